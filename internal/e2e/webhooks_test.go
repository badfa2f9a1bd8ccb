package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/testwait"
	"github.com/rosterhq/roster/internal/webhooks"
)

// Webhooks end to end (issue 15): the real server and its delivery
// worker, SCIM changes over HTTP, an httptest receiver. The endpoints are
// made through the service, as the admin API and the CLI do.

// hookReceiver records what a receiver gets; down makes it answer 503.
type hookReceiver struct {
	*httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	hits []hookHit
}

type hookHit struct {
	id     string
	seq    int64
	typ    string
	status int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ev struct {
			ID   string `json:"id"`
			Seq  int64  `json:"seq"`
			Type string `json:"type"`
		}
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &ev)
		code := 200
		if r.down.Load() {
			code = 503
		}
		if ev.ID != req.Header.Get("webhook-id") {
			code = 400 // the body's id is the header's
		}
		r.mu.Lock()
		r.hits = append(r.hits, hookHit{req.Header.Get("webhook-id"), ev.Seq, ev.Type, code})
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) got() []hookHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hits)
}

// acked is the ids the receiver answered 2xx, in order, and how many
// times each came in all.
func (r *hookReceiver) acked() ([]string, map[string]int) {
	var ids []string
	times := map[string]int{}
	for _, h := range r.got() {
		times[h.id]++
		if h.status == 200 {
			ids = append(ids, h.id)
		}
	}
	return ids, times
}

// eventually polls cond until it holds, failing after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, 20*time.Second, what, cond)
}

// adminAPI speaks the admin API with a team admin's personal API token.
type adminAPI struct {
	t      *testing.T
	url    string
	bearer string
}

// newTeamWithAPI makes a team with SCIM on, its IdP's client, and an
// admin API client of its first admin (a Super Admin).
func (s *server) newTeamWithAPI(name string) (*client, store.Team, *adminAPI) {
	s.t.Helper()
	ctx := context.Background()
	email := "admin@" + service.Slugify(name) + ".example"
	// The admin's account made straight in the store, without a password
	// (no argon2 hashing, slow under -race): the team's first member is
	// linked to it, and its API token is what the test signs in with.
	now := time.Now()
	acc := store.Account{ID: service.NewID(), Email: email, Created: now, Updated: now}
	if err := s.st.Tx(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, acc) }); err != nil {
		s.t.Fatal(err)
	}
	team, err := s.Svc.CreateTeam(ctx, name, email, testActor)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.Svc.SetSCIM(ctx, team.Slug, true, testActor); err != nil {
		s.t.Fatal(err)
	}
	k, err := s.Svc.CreateKey(ctx, team.Slug, "okta", nil, testActor)
	if err != nil {
		s.t.Fatal(err)
	}
	tok, err := s.Svc.CreateAPIToken(ctx, service.Caller{Account: acc, Actor: service.Actor{Kind: "account", Name: email}}, "e2e")
	if err != nil {
		s.t.Fatal(err)
	}
	idp := &client{t: s.t, base: s.Base, auth: "Bearer " + k.Token, hc: &http.Client{Timeout: 30 * time.Second}}
	return idp, team, &adminAPI{t: s.t, url: s.URL + "/api/v1/teams/" + team.Slug, bearer: tok.Secret}
}

// do sends a request to the team's admin API; out, when not nil, gets
// the JSON answer.
func (a *adminAPI) do(method, path string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, a.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.bearer)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

// webhook reads an endpoint through the admin API.
func (a *adminAPI) webhook(id string) service.WebhookView {
	a.t.Helper()
	var v service.WebhookView
	if code := a.do("GET", "/webhooks/"+id, nil, &v); code != 200 {
		a.t.Fatalf("GET webhook: %d", code)
	}
	return v
}

// create adds an endpoint through the admin API.
func (a *adminAPI) create(url string, types ...string) service.NewWebhook {
	a.t.Helper()
	var nw service.NewWebhook
	if code := a.do("POST", "/webhooks", map[string]any{"url": url, "types": types}, &nw); code != 201 {
		a.t.Fatalf("POST webhooks %s: %d", url, code)
	}
	return nw
}

func teamCaller(team store.Team) service.Caller {
	return service.Caller{Actor: service.Actor{Kind: "test"}, Team: team, Roles: service.AllRoles}
}

// allEventIDs is the team's event ids after seq, in order (the pull API).
func allEventIDs(t *testing.T, svc *service.Service, team store.Team, after int64) []string {
	t.Helper()
	page, err := svc.ListEvents(context.Background(), teamCaller(team), service.EventQuery{After: fmt.Sprint(after), Limit: service.MaxEventLimit})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range page.Data {
		ids = append(ids, e.ID)
	}
	return ids
}

func webhookView(t *testing.T, svc *service.Service, team store.Team, id string) service.WebhookView {
	t.Helper()
	v, err := svc.GetWebhook(context.Background(), teamCaller(team), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWebhookReceiverDownThenBack: a receiver answering 503 for a while
// gets, once it is back, every event in order, each once but for the
// retries of the one it was refusing.
func TestWebhookReceiverDownThenBack(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	wake := make(chan struct{}, 1)
	s := startServerOpts(t, testserver.Options{Now: clock.Now, Config: httpsrv.Config{
		Events:   service.EventsConfig{AllowPrivateNetworks: true},
		Webhooks: webhooks.Config{Poll: time.Hour, Wake: wake}}})
	idp, team, api := s.newTeamWithAPI("Acme")
	rcv := newHookReceiver(t)
	ctx := context.Background()
	wh := api.create(rcv.URL + "/roster")
	from := wh.DeliveredSeq
	kick := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}

	rcv.down.Store(true)
	ids := []string{idp.createUser("ana@acme.example")}
	eventually(t, "the first attempt", func() bool { return len(rcv.got()) == 1 && api.webhook(wh.ID).Attempts == 1 })
	// More changes while it is down: queued behind the first.
	for _, name := range []string{"bo", "cy", "di"} {
		ids = append(ids, idp.createUser(name+"@acme.example"))
	}
	idp.do("PATCH", "/Users/"+ids[1], map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}).must(t, 200)
	idp.do("DELETE", "/Users/"+ids[2], nil).must(t, 204)
	clock.Add(5 * time.Second)
	kick()
	eventually(t, "the second attempt", func() bool { return api.webhook(wh.ID).Attempts == 2 })
	if got := rcv.got(); len(got) != 2 || got[0].id != got[1].id {
		t.Fatalf("while down: %+v (only the first event, retried)", got)
	}

	rcv.down.Store(false)
	clock.Add(5 * time.Minute)
	kick()
	want := allEventIDs(t, s.Svc, team, from)
	if len(want) != 6 { // 4 member.created, member.deactivated, member.deleted
		t.Fatalf("%d events", len(want))
	}
	eventually(t, "every event", func() bool { a, _ := rcv.acked(); return len(a) == len(want) })
	acked, times := rcv.acked()
	if !slices.Equal(acked, want) {
		t.Fatalf("delivered %v\nwant     %v", acked, want)
	}
	for i, id := range want {
		if n := times[id]; (i == 0 && n != 3) || (i > 0 && n != 1) {
			t.Errorf("event %d (%s) came %d times", i, id, n)
		}
	}
	var types []string
	for _, h := range rcv.got()[2:] {
		types = append(types, h.typ)
	}
	if fmt.Sprint(types) != "[member.created member.created member.created member.created member.deactivated member.deleted]" {
		t.Fatalf("types %v", types)
	}
	eventually(t, "the last delivery recorded", func() bool { return api.webhook(wh.ID).Pending == 0 })
	v := api.webhook(wh.ID)
	if v.Status != "enabled" || v.FailingSince != nil || v.Attempts != 0 {
		t.Fatalf("after: %+v", v)
	}
	// The delivery log over the API: the first event's two 503s and its
	// delivery, then one delivery of each other event.
	var log struct {
		Deliveries []service.DeliveryView `json:"deliveries"`
	}
	if code := api.do("GET", "/webhooks/"+wh.ID+"/deliveries", nil, &log); code != 200 {
		t.Fatalf("deliveries: %d", code)
	}
	outcomes := map[string]int{}
	for _, d := range log.Deliveries {
		outcomes[fmt.Sprintf("%s:%d", d.Outcome, d.Status)]++
	}
	if len(log.Deliveries) != 8 || outcomes["failed:503"] != 2 || outcomes["delivered:200"] != 6 {
		t.Fatalf("delivery log: %v", outcomes)
	}
	// Nothing more comes: no duplicates beyond the retries.
	clock.Add(time.Hour)
	if err := s.api.Webhooks().RunOnce(ctx); err != nil { // one more pass, to its end
		t.Fatal(err)
	}
	if n := len(rcv.got()); n != 8 {
		t.Fatalf("%d requests in all, want 8", n)
	}
}

// TestWebhooksSurviveRestart: the server stops with events undelivered
// (the receiver down, and changes made while no server runs, by the CLI);
// a new server on the same store delivers them all, in order, without
// sending again what was delivered before.
func TestWebhooksSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var pgURL string
	if onPostgres {
		pgURL = pgtest.NewSchemaURL(t)
	}
	open := func(t *testing.T) store.Store {
		var st store.Store
		var err error
		if onPostgres {
			st, err = postgres.Open(context.Background(), pgURL)
		} else {
			st, err = sqlite.Open(context.Background(), dir)
		}
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	clock := newTestClock()
	rcv := newHookReceiver(t)
	ctx := context.Background()
	var team store.Team
	var hookID string
	var from int64

	t.Run("first server", func(t *testing.T) {
		ts := testserver.Start(t, open(t), testserver.Options{Now: clock.Now, Config: httpsrv.Config{
			Events: service.EventsConfig{AllowPrivateNetworks: true}, Webhooks: webhooks.Config{Poll: 10 * time.Millisecond}}})
		s := &server{t: t, URL: ts.URL, Base: ts.Base, Svc: ts.Svc, st: ts.St, api: ts.API, Dir: filepath.Join(dir)}
		idp, tm := s.newTeam("Acme")
		team = tm
		wh, err := s.Svc.CreateWebhook(ctx, teamCaller(team), service.WebhookInput{URL: rcv.URL})
		if err != nil {
			t.Fatal(err)
		}
		hookID, from = wh.ID, wh.DeliveredSeq
		idp.createUser("ana@acme.example")
		idp.createUser("bo@acme.example")
		eventually(t, "two deliveries", func() bool { a, _ := rcv.acked(); return len(a) == 2 })
		rcv.down.Store(true)
		idp.createUser("cy@acme.example")
		eventually(t, "a failed attempt", func() bool { return webhookView(t, s.Svc, team, hookID).Attempts == 1 })
		// The subtest's end stops the server (draining the worker,
		// giving up its lease) and closes the store.
	})
	if t.Failed() {
		return
	}
	// While no server runs, the CLI changes the team.
	func() {
		st := open(t)
		defer st.Close()
		svc := service.New(st, nil)
		svc.Now = clock.Now
		if _, err := svc.CreateKey(ctx, team.Slug, "second-idp", nil, service.Actor{Kind: "cli", Name: "operator"}); err != nil {
			t.Fatal(err)
		}
	}()

	rcv.down.Store(false)
	clock.Add(5 * time.Second) // the failed event's retry is due
	t.Run("second server", func(t *testing.T) {
		ts := testserver.Start(t, open(t), testserver.Options{Now: clock.Now, Config: httpsrv.Config{
			Events: service.EventsConfig{AllowPrivateNetworks: true}, Webhooks: webhooks.Config{Poll: 10 * time.Millisecond}}})
		want := allEventIDs(t, ts.Svc, team, from)
		if len(want) != 4 {
			t.Fatalf("%d events", len(want))
		}
		eventually(t, "every event after the restart", func() bool { a, _ := rcv.acked(); return len(a) == len(want) })
		acked, times := rcv.acked()
		if !slices.Equal(acked, want) {
			t.Fatalf("delivered %v\nwant     %v", acked, want)
		}
		for i, id := range want {
			if n := times[id]; (i == 2 && n != 2) || (i != 2 && n != 1) {
				t.Errorf("event %d came %d times", i, n)
			}
		}
		if got := rcv.got(); got[len(got)-1].typ != "scim_key.created" {
			t.Fatalf("the CLI's event: %+v", got[len(got)-1])
		}
		eventually(t, "the last delivery recorded", func() bool { return webhookView(t, ts.Svc, team, hookID).Pending == 0 })
		if v := webhookView(t, ts.Svc, team, hookID); v.Attempts != 0 || v.FailingSince != nil {
			t.Fatalf("after: %+v", v)
		}
	})
}

// TestWebhookSSRF: without --webhooks-allow-private-networks, a webhook
// to a private address is refused when it is made, and one to a name
// that resolves to 127.0.0.1, under https, is refused when the worker
// connects (the resolved address is checked), with the reason in the
// delivery log and nothing sent. With the flag, both are allowed.
func TestWebhookSSRF(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	rcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.WriteHeader(204) }))
	t.Cleanup(rcv.Close)
	_, port, _ := net.SplitHostPort(rcv.Listener.Addr().String())
	// example.com is in httptest's certificate; here it resolves to loopback.
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "example.com" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	roots := rcv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	hookURL := "https://example.com:" + port + "/roster"

	for _, allowed := range []bool{false, true} {
		t.Run(fmt.Sprintf("allowed=%v", allowed), func(t *testing.T) {
			s := startServerOpts(t, testserver.Options{Config: httpsrv.Config{
				Events:   service.EventsConfig{AllowPrivateNetworks: allowed},
				Webhooks: webhooks.Config{Poll: 10 * time.Millisecond, Lookup: lookup, RootCAs: roots}}})
			idp, _, api := s.newTeamWithAPI("Acme")
			for _, u := range []string{"https://10.0.0.1/roster", "https://[fd00::1]/roster", "https://169.254.169.254/latest", "http://127.0.0.1:" + port + "/"} {
				var answer struct {
					ID    string `json:"id"`
					Error struct {
						Field   string `json:"field"`
						Message string `json:"message"`
					} `json:"error"`
				}
				code := api.do("POST", "/webhooks", map[string]any{"url": u}, &answer)
				switch {
				case allowed && code == 201: // not left to try to reach 10.0.0.1
					if code := api.do("DELETE", "/webhooks/"+answer.ID, nil, nil); code != 204 {
						t.Fatalf("DELETE: %d", code)
					}
				case !allowed && code == 400 && answer.Error.Field == "url" && strings.Contains(answer.Error.Message, "--webhooks-allow-private-networks"):
				default:
					t.Errorf("webhook to %s: %d %+v", u, code, answer)
				}
			}
			wh := api.create(hookURL, "member.*")
			before := hits.Load()
			idp.createUser("ana@acme.example")
			var got struct {
				Deliveries []service.DeliveryView `json:"deliveries"`
			}
			eventually(t, "an attempt", func() bool {
				return api.do("GET", "/webhooks/"+wh.ID+"/deliveries", nil, &got) == 200 && len(got.Deliveries) > 0
			})
			log := got.Deliveries
			if allowed {
				if log[0].Outcome != "delivered" || hits.Load() != before+1 {
					t.Fatalf("allowed: %+v", log[0])
				}
				return
			}
			if log[0].Outcome != "failed" || !strings.Contains(log[0].Error, "refused to connect to example.com (127.0.0.1)") || hits.Load() != before {
				t.Fatalf("refused: %+v, %d requests reached the receiver", log[0], hits.Load()-before)
			}
		})
	}
}
