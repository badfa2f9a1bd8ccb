package e2e

// Operations (issue 16) end to end: the metrics a scrape shows after a
// scripted series of SCIM calls, readiness when the store goes away and
// comes back, and a backup taken under concurrent SCIM writes.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/metrics"
	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

// scrape GETs a Prometheus text exposition and returns each sample by its
// series ("name{labels}" as exposed).
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %d", u, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// moved is every series of the named metrics whose value changed between
// two scrapes, with the change.
func moved(before, after map[string]float64, names ...string) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		name, _, _ := strings.Cut(k, "{")
		if slices.Contains(names, name) && v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

func sameMoves(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %s moved by %v, want %v", what, k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s moved by %v, want no change", what, k, got[k])
		}
	}
}

// metricsURL serves the server's metrics on a loopback port of their
// own, as roster serve --metrics-addr does.
func (s *server) metricsURL() string {
	ms := httptest.NewServer(s.api.MetricsHandler())
	s.t.Cleanup(ms.Close)
	return ms.URL + "/metrics"
}

// TestMetricsCountWhatWasDone runs a scripted series of SCIM calls (as
// Okta makes them, with a few failures) and checks that the HTTP and SCIM
// counters moved by exactly what was done, the provisioning log's by
// every request that reached the team, and the store's by at least every
// write.
func TestMetricsCountWhatWasDone(t *testing.T) {
	srv := startServer(t)
	mu := srv.metricsURL()
	idp, team := srv.newTeam("Metrics Co")
	before := scrape(t, mu)

	var ids []string
	for i := range 3 {
		ids = append(ids, idp.createUser(fmt.Sprintf("m%d@metrics.example", i)))
	}
	idp.do("POST", "/Users", oktaUser("m0@metrics.example")).must(t, 409)
	idp.do("GET", "/Users/"+ids[0], nil).must(t, 200)
	idp.do("GET", "/Users/"+ids[1], nil).must(t, 200)
	idp.do("GET", "/Users/no-such-user", nil).must(t, 404)
	idp.do("PATCH", "/Users/"+ids[0], patch(op("replace", "active", false))).must(t, 200)
	idp.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "m1@metrics.example"`), nil).must(t, 200)
	idp.do("POST", "/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter": `userName sw "m"`}).must(t, 200)
	idp.do("DELETE", "/Users/"+ids[2], nil).must(t, 204)
	idp.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Metrics"}).must(t, 201)
	idp.do("POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": oktaUser("bulk@metrics.example")}}}).must(t, 200)
	idp.do("GET", "/ServiceProviderConfig", nil).must(t, 200)
	idp.withAuth("Bearer rsk_not-a-key").do("GET", "/Users", nil).must(t, 401)
	const reachedTeam = 13 // every call above but discovery and the unknown key
	if err := srv.api.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, mu)

	ops := func(resource, op, outcome string) string {
		return `roster_scim_operations_total{operation="` + op + `",outcome="` + outcome + `",resource="` + resource + `"}`
	}
	sameMoves(t, "SCIM operations", moved(before, after, "roster_scim_operations_total"), map[string]float64{
		ops("Users", "create", "success"):              3,
		ops("Users", "create", "client_error"):         1,
		ops("Users", "get", "success"):                 2,
		ops("Users", "get", "client_error"):            1,
		ops("Users", "patch", "success"):               1,
		ops("Users", "list", "success"):                1,
		ops("Users", "search", "success"):              1,
		ops("Users", "delete", "success"):              1,
		ops("Groups", "create", "success"):             1,
		ops("Bulk", "bulk", "success"):                 1,
		ops("ServiceProviderConfig", "get", "success"): 1,
		ops("Users", "list", "denied"):                 1,
	})
	req := func(code, method, route string) string {
		return `roster_http_requests_total{code="` + code + `",method="` + method + `",route="/scim/v2` + route + `"}`
	}
	sameMoves(t, "HTTP requests", moved(before, after, "roster_http_requests_total"), map[string]float64{
		req("2xx", "POST", "/Users"):                3,
		req("4xx", "POST", "/Users"):                1,
		req("2xx", "GET", "/Users/{id}"):            2,
		req("4xx", "GET", "/Users/{id}"):            1,
		req("2xx", "PATCH", "/Users/{id}"):          1,
		req("2xx", "GET", "/Users"):                 1,
		req("4xx", "GET", "/Users"):                 1,
		req("2xx", "POST", "/Users/.search"):        1,
		req("2xx", "DELETE", "/Users/{id}"):         1,
		req("2xx", "POST", "/Groups"):               1,
		req("2xx", "POST", "/Bulk"):                 1,
		req("2xx", "GET", "/ServiceProviderConfig"): 1,
	})
	lat := moved(before, after, "roster_http_request_duration_seconds_count")
	if lat[`roster_http_request_duration_seconds_count{method="POST",route="/scim/v2/Users"}`] != 4 {
		t.Errorf("latency histogram: %v", lat)
	}
	sameMoves(t, "provisioning log", moved(before, after, "roster_provlog_written_total", "roster_provlog_dropped_total"),
		map[string]float64{"roster_provlog_written_total": reachedTeam})
	if after["roster_provlog_queue_depth"] != 0 {
		t.Errorf("queue depth after a flush: %v", after["roster_provlog_queue_depth"])
	}
	// Six writes succeeded (3 creates, patch, delete, group), plus the
	// Bulk create and the provisioning log's batch; the duplicate failed.
	tx := moved(before, after, "roster_store_transaction_duration_seconds_count")
	if ok := tx[`roster_store_transaction_duration_seconds_count{outcome="ok"}`]; ok < 8 {
		t.Errorf("store transactions: %v", tx)
	}
	if onPostgres {
		if n := after["roster_store_group_commit_batch_size_count"]; n != 0 {
			t.Errorf("group commits on PostgreSQL: %v", n)
		}
	} else if moved(before, after, "roster_store_group_commit_batch_size_count")["roster_store_group_commit_batch_size_count"] < 8 {
		t.Errorf("group commits not observed")
	}
	// The team is in no label without --metrics-per-team.
	for k := range after {
		if strings.Contains(k, team.Slug) {
			t.Errorf("series names the team: %s", k)
		}
	}
}

// TestMetricsRateLimitsAndSignIns: a SCIM rate-limit refusal and admin
// sign-ins by outcome.
func TestMetricsRateLimitsAndSignIns(t *testing.T) {
	srv := startServerWith(t, httpsrv.Config{SCIMReadRate: 1}) // bursts of 2
	mu := srv.metricsURL()
	idp, _ := srv.newTeam("Limited")
	_, password := testserver.NewTeamWithAdmin(t, srv.Svc, "Signin Co", "admin@signin.example")
	before := scrape(t, mu)
	idp.do("GET", "/Users", nil).must(t, 200)
	idp.do("GET", "/Users", nil).must(t, 200)
	idp.do("GET", "/Users", nil).must(t, 429)
	login := func(pw string) int {
		resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(fmt.Sprintf(`{"email":"admin@signin.example","password":%q}`, pw)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := login("wrong password"); c != 401 {
		t.Fatalf("wrong password: %d", c)
	}
	if c := login(password); c != 200 {
		t.Fatalf("sign-in: %d", c)
	}
	after := scrape(t, mu)
	sameMoves(t, "rate limits", moved(before, after, "roster_rate_limited_total"), map[string]float64{`roster_rate_limited_total{limit="scim"}`: 1})
	sameMoves(t, "sign-ins", moved(before, after, "roster_signins_total"), map[string]float64{
		`roster_signins_total{outcome="bad_credentials"}`: 1, `roster_signins_total{outcome="success"}`: 1})
	sameMoves(t, "SCIM", moved(before, after, "roster_scim_operations_total"), map[string]float64{
		`roster_scim_operations_total{operation="list",outcome="success",resource="Users"}`:      2,
		`roster_scim_operations_total{operation="list",outcome="rate_limited",resource="Users"}`: 1})
	if after[`roster_http_requests_total{code="2xx",method="POST",route="/api/v1/auth/login"}`] != 1 {
		t.Errorf("admin API route not counted by its pattern")
	}
	// The SSO edge's own routes, by their patterns too (not the mount's).
	for _, path := range []string{"/sso/login/no-such-connection", "/sso/login/another"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	sso := moved(after, scrape(t, mu), "roster_http_requests_total")
	if len(sso) != 1 {
		t.Errorf("SSO requests: %v", sso)
	}
	for k, v := range sso {
		if !strings.Contains(k, `route="/sso/login/{id}"`) || v != 2 {
			t.Errorf("SSO requests counted as %s %v", k, v)
		}
	}
}

// TestMetricsPerTeam: with --metrics-per-team the team's slug labels its
// own counter and its last successful request.
func TestMetricsPerTeam(t *testing.T) {
	srv := startServerWith(t, httpsrv.Config{Metrics: metrics.New(metrics.Config{PerTeam: true})})
	mu := srv.metricsURL()
	idp, team := srv.newTeam("Per Team")
	idp.do("GET", "/Users", nil).must(t, 200)
	idp.do("GET", "/Users/missing", nil).must(t, 404)
	after := scrape(t, mu)
	if v := after[`roster_scim_team_operations_total{outcome="success",team="`+team.Slug+`"}`]; v != 1 {
		t.Errorf("team success: %v", v)
	}
	if v := after[`roster_scim_team_operations_total{outcome="client_error",team="`+team.Slug+`"}`]; v != 1 {
		t.Errorf("team client error: %v", v)
	}
	if v := after[`roster_scim_team_last_success_timestamp_seconds{team="`+team.Slug+`"}`]; v == 0 {
		t.Error("no last success time")
	}
}

// ready GETs /healthz/ready.
func ready(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyFollowsTheStore: /healthz/ready turns 503 when the store can't
// be reached (SQLite: the database file moved away from under the server;
// PostgreSQL: the connection to the server cut) and back to 200 when it
// can again; /healthz/live stays 200 throughout.
func TestReadyFollowsTheStore(t *testing.T) {
	if onPostgres {
		readyFollowsPostgres(t)
		return
	}
	srv := startServer(t)
	if code, body := ready(t, srv.URL); code != 200 {
		t.Fatalf("ready: %d %s", code, body)
	}
	path := filepath.Join(srv.Dir, sqlite.FileName)
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	code, body := ready(t, srv.URL)
	if code != 503 || !strings.Contains(body, `"reason":"store: `) || strings.Contains(body, srv.Dir) {
		t.Fatalf("file away: %d %s", code, body)
	}
	if resp, err := http.Get(srv.URL + "/healthz/live"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("live: %v %v", resp, err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if code, body := ready(t, srv.URL); code != 200 {
		t.Fatalf("file back: %d %s", code, body)
	}
}

func readyFollowsPostgres(t *testing.T) {
	u, err := url.Parse(pgtest.NewSchemaURL(t))
	if err != nil || u.Host == "" {
		t.Skipf("ROSTER_TEST_POSTGRES_URL is not a postgres:// URL with a host: %v", err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	st, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, st, testserver.Options{})
	if code, body := ready(t, ts.URL); code != 200 {
		t.Fatalf("ready: %d %s", code, body)
	}
	p.cut()
	code, body := ready(t, ts.URL)
	if code != 503 || !strings.Contains(body, `"reason":"store: `) || strings.Contains(body, p.addr) {
		t.Fatalf("PostgreSQL unreachable: %d %s", code, body)
	}
	p.restore(t)
	// The pool drops the connections the cut broke as it meets them:
	// within a few probes it answers again.
	for i := range 10 {
		if code, body = ready(t, ts.URL); code == 200 {
			t.Logf("ready again at probe %d", i+1)
			return
		}
	}
	t.Fatalf("PostgreSQL back: %d %s", code, body)
}

// proxy is a TCP proxy to PostgreSQL that a test can cut and restore.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut closes the listener and every connection: PostgreSQL is gone.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// restore listens again on the same address.
func (p *proxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

// TestBackupUnderConcurrentSCIMWrites takes an online backup while IdP
// clients create users and add them to groups, restores it into a new
// data dir and serves it: the copy passes SQLite's integrity and foreign
// key checks and the store's readiness check, holds every write
// acknowledged before the backup began, and works as a store (the
// restored server answers the IdP's calls, reads and writes). (The
// conformance suite on restored stores: internal/store/sqlite.)
func TestBackupUnderConcurrentSCIMWrites(t *testing.T) {
	if onPostgres {
		t.Skip("online backup is SQLite's; PostgreSQL has pg_dump and PITR (docs/operations.md)")
	}
	srv := startServer(t)
	idp, _ := srv.newTeam("Backup Co")

	type ack struct{ user, group string }
	var (
		mu    sync.Mutex
		acked []ack // in the order acknowledged
		grew  = make(chan int, 1024)
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	const writers = 4
	for w := range writers {
		group := str(idp.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": fmt.Sprintf("writers-%d", w)}).must(t, 201).Body, "id")
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := idp.createUser(fmt.Sprintf("w%d-%d@backup.example", w, i))
				idp.do("PATCH", "/Groups/"+group, patch(op("add", "members", []any{map[string]any{"value": id}}))).must(t, 200)
				mu.Lock()
				acked = append(acked, ack{id, group})
				n := len(acked)
				mu.Unlock()
				select {
				case grew <- n:
				default:
				}
			}
		})
	}
	waitFor := func(n int) {
		for got := range grew {
			if got >= n {
				return
			}
		}
	}
	waitFor(60)
	mu.Lock()
	before := slices.Clone(acked) // acknowledged before the backup began
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "roster.backup")
	info, err := sqlite.Backup(context.Background(), srv.Dir, out)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	waitFor(len(before) + during + 20) // the writers go on after it
	close(stop)
	wg.Wait()
	t.Logf("backup: %d users acknowledged before, %d while it ran (%d ms), %d bytes; %d acknowledged in all",
		len(before), during, info.Took.Milliseconds(), info.Bytes, len(acked))
	if info.Users < len(before) {
		t.Fatalf("backup holds %d users, %d were acknowledged before it began", info.Users, len(before))
	}

	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := sqlite.Restore(context.Background(), out, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Verify(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(context.Background()); err != nil {
		t.Fatalf("restored store not ready: %v", err)
	}
	restored := testserver.Start(t, st, testserver.Options{})
	rc := idp.withAuth(idp.auth) // the same key: it is in the backup
	rc.base = restored.Base
	members := map[string]map[string]bool{}
	for _, a := range before {
		rc.do("GET", "/Users/"+a.user, nil).must(t, 200)
		if members[a.group] == nil {
			members[a.group] = map[string]bool{}
			for _, m := range get(rc.do("GET", "/Groups/"+a.group+"?attributes=members", nil).must(t, 200).Body, "members").([]any) {
				members[a.group][str(m, "value")] = true
			}
		}
		if !members[a.group][a.user] {
			t.Errorf("user %s, acknowledged in group %s before the backup, is not in it after the restore", a.user, a.group)
		}
	}
	// The restored store works: the IdP's lookups, a new user, a change.
	first := before[0].user
	u := rc.do("GET", "/Users/"+first, nil).must(t, 200)
	rc.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+str(u.Body, "userName")+`"`), nil).list(t)
	rc.createUser("after-restore@backup.example")
	rc.do("PATCH", "/Users/"+first, patch(op("replace", "active", false))).must(t, 200)
	if total := num(rc.do("GET", "/Users?count=0", nil).must(t, 200).Body, "totalResults"); total != info.Users+1 {
		t.Errorf("restored store has %d users, the backup %d plus one", total, info.Users)
	}
}
