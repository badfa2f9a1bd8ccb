package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// seeded is one pre-existing member the scenarios act on.
type seeded struct {
	ID       string
	UserName string
}

// target is one server under load: Roster or the baseline.
type target struct {
	name      string
	base      string // SCIM base URL
	token     string
	users     []seeded
	storeSize func() int64 // bytes; nil when unknown
	close     func()
	peakRSS   func() float64 // MiB; the baseline's, when in a child process
	// events is how many events the bench team's stream holds (Roster
	// in-process only).
	events func(ctx context.Context) (int64, error)
}

// userBody is the body an IdP sends to create member i (Okta's shape).
func userBody(userName, externalID string, i int) map[string]any {
	given := fmt.Sprintf("Given%d", i)
	family := fmt.Sprintf("Family%d", i)
	return map[string]any{
		"schemas":     []any{userURN},
		"userName":    userName,
		"externalId":  externalID,
		"displayName": given + " " + family,
		"name":        map[string]any{"givenName": given, "familyName": family, "formatted": given + " " + family},
		"emails":      []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"locale":      "en-US",
		"title":       "Engineer",
		"active":      true,
	}
}

func seedName(i int) string { return fmt.Sprintf("user%07d@bench.example", i) }
func seedExternalID(i int) string {
	return fmt.Sprintf("00u%013d", i)
}

// newServer serves h on a fresh loopback port.
func newServer(h http.Handler, log *slog.Logger) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := server.NewHTTPServer(ln.Addr().String(), h, log)
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// startBaseline seeds and serves the in-memory baseline.
func startBaseline(n int) (*target, error) {
	m := newMemSCIM("baseline-token")
	users := make([]seeded, n)
	for i := range n {
		body := userBody(seedName(i), seedExternalID(i), i)
		delete(body, "schemas")
		users[i] = seeded{ID: m.seed(body), UserName: seedName(i)}
	}
	url, stop, err := newServer(m.handler(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	return &target{name: "baseline", base: url + "/scim/v2", token: m.token, users: users, close: stop,
		peakRSS: func() float64 { return 0 }}, nil
}

// startRoster opens a store, seeds it and serves Roster in-process with the
// production handler. Rate limits are off: they would measure themselves.
func startRoster(ctx context.Context, o Options, progress func(string, ...any)) (*target, error) {
	if o.Open == nil {
		return nil, errors.New("bench: no store to open (Options.Open)")
	}
	opened, err := o.Open(ctx)
	if err != nil {
		return nil, err
	}
	st, size := opened.Store, opened.Size
	cleanup := []func(){opened.Close}
	fail := func(err error) (*target, error) {
		for _, f := range cleanup {
			f()
		}
		return nil, err
	}
	log := slog.New(server.ContextHandler{Handler: slog.NewJSONHandler(io.Discard, nil)})
	svc := service.New(st, log)
	a := service.Actor{Kind: "cli", Name: "bench"}
	team, err := svc.CreateTeam(ctx, "Bench "+time.Now().UTC().Format("20060102T150405.000000"), "admin@bench.example", a)
	if err != nil {
		return fail(err)
	}
	if team, err = svc.SetSCIM(ctx, team.Slug, true, a); err != nil {
		return fail(err)
	}
	// The deprovisioning guard (on by default) would pause the
	// deactivate scenario's mass deactivations, as it should an IdP's:
	// the bench's team has it off.
	if err := st.Tx(ctx, func(tx store.Tx) error {
		g, err := tx.LockDeprovisionGuard(ctx, team.ID, time.Now())
		if err != nil {
			return err
		}
		g.Enabled = false
		return tx.SetDeprovisionGuard(ctx, g)
	}); err != nil {
		return fail(fmt.Errorf("switching the deprovisioning guard off: %w", err))
	}
	key, err := svc.CreateKey(ctx, team.Slug, "bench", nil, a)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	users, err := seedStore(ctx, st, team, o.Users, progress)
	if err != nil {
		return fail(fmt.Errorf("seed: %w", err))
	}
	progress("seeded %d members in %.1fs", o.Users, time.Since(start).Seconds())
	if opened.Analyze != nil {
		// PostgreSQL plans from statistics, which autovacuum gathers some
		// time after a bulk load; without them it misjudges a team of
		// 100,000 as a thousand rows and sorts the whole team for every
		// import page. A server that has run for a while has them.
		if err := opened.Analyze(ctx); err != nil {
			return fail(fmt.Errorf("analyze: %w", err))
		}
	}
	api := server.New(svc, log, server.Config{SCIMReadRate: -1, SCIMWriteRate: -1})
	api.SetReady(true)
	url, stop, err := newServer(api, log)
	if err != nil {
		return fail(err)
	}
	events := func(ctx context.Context) (int64, error) {
		pos, err := st.EventPosition(ctx, team.ID)
		return pos.LastSeq, err
	}
	return &target{name: "roster", base: url + server.SCIMPrefix, token: key.Token, users: users, storeSize: size, events: events,
		close: func() {
			stop()
			for _, f := range cleanup {
				f()
			}
		}}, nil
}

// seedStore writes n members through the store in large transactions,
// each as the service would store one an IdP created: canonical
// attributes, indexed columns, email rows and an audit event.
func seedStore(ctx context.Context, st store.Store, team store.Team, n int, progress func(string, ...any)) ([]seeded, error) {
	const batch = 5000
	users := make([]seeded, n)
	base := time.Now().Add(-time.Duration(n) * time.Millisecond)
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		err := st.Tx(ctx, func(tx store.Tx) error {
			for i := from; i < to; i++ {
				u, err := seedUser(team, i, base.Add(time.Duration(i)*time.Millisecond))
				if err != nil {
					return err
				}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				detail, _ := json.Marshal(map[string]any{"userName": u.UserName, "externalId": u.ExternalID, "active": true})
				if err := tx.AppendAudit(ctx, store.AuditEvent{TeamID: team.ID, ID: service.NewID(), At: u.Created,
					Actor: "scim-key:bench", Action: "user.create", TargetType: "user", TargetID: u.ID, Detail: string(detail)}); err != nil {
					return err
				}
				users[i] = seeded{ID: u.ID, UserName: u.UserName}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if to%100000 == 0 && to < n {
			progress("  seeded %d", to)
		}
	}
	return users, nil
}

func seedUser(team store.Team, i int, at time.Time) (store.User, error) {
	res, err := scim.Normalize(scim.UserType, userBody(seedName(i), seedExternalID(i), i))
	if err != nil {
		return store.User{}, err
	}
	attrs, err := json.Marshal(res)
	if err != nil {
		return store.User{}, err
	}
	return store.User{
		TeamID: team.ID, ID: service.NewID(), UserName: res.String("userName"), ExternalID: res.String("externalId"),
		DisplayName: res.String("displayName"), Active: true,
		Emails: []store.Email{{Value: seedName(i), Type: "work", Primary: true}},
		Source: store.SourceSCIM, Role: team.DefaultRole, Attrs: attrs, Created: at, Modified: at, Version: 1,
	}, nil
}

// startExternal targets a running server. Its members are created over
// HTTP (a POST each, or a lookup when one exists already), which is much
// slower than seeding a store.
func startExternal(ctx context.Context, o Options, progress func(string, ...any)) (*target, error) {
	t := &target{name: "roster", base: strings.TrimSuffix(o.Base, "/"), token: o.Token, close: func() {}}
	c := newClient(t, o.Clients)
	t.users = make([]seeded, o.Users)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	for range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= o.Users || ctx.Err() != nil {
					return
				}
				id, err := ensureUser(ctx, c, i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				t.users[i] = seeded{ID: id, UserName: seedName(i)}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	progress("seeded %d members over HTTP in %.1fs", o.Users, time.Since(start).Seconds())
	return t, nil
}

func ensureUser(ctx context.Context, c *client, i int) (string, error) {
	body, _ := json.Marshal(userBody(seedName(i), seedExternalID(i), i))
	st, resp, err := c.do(ctx, http.MethodPost, "/Users", body)
	if err != nil {
		return "", err
	}
	if st == http.StatusConflict {
		st, resp, err = c.do(ctx, http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "`+seedName(i)+`"`), nil)
		if err != nil {
			return "", err
		}
		var l struct {
			Resources []struct{ ID string } `json:"Resources"`
		}
		if st != http.StatusOK || json.Unmarshal(resp, &l) != nil || len(l.Resources) != 1 {
			return "", fmt.Errorf("look up %s: status %d", seedName(i), st)
		}
		return l.Resources[0].ID, nil
	}
	var u struct{ ID string }
	if st != http.StatusCreated || json.Unmarshal(resp, &u) != nil {
		return "", fmt.Errorf("create %s: status %d: %.200s", seedName(i), st, resp)
	}
	return u.ID, nil
}

// ServeBaseline seeds n members into the in-memory baseline, serves it on
// a loopback port, prints its SCIM base URL as one line on w, and serves
// until ctx ends: the child process of Options.BaselineExec.
func ServeBaseline(ctx context.Context, n int, w io.Writer) error {
	t, err := startBaseline(n)
	if err != nil {
		return err
	}
	defer t.close()
	runtime.GC()
	debug.FreeOSMemory()
	if _, err := fmt.Fprintln(w, t.base); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// startBaselineProcess runs ServeBaseline in a child process. The
// baseline's ids are its seeding order, so they are known here.
func startBaselineProcess(ctx context.Context, argv []string, n int) (*target, error) {
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], "--users", strconv.Itoa(n))...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return nil, fmt.Errorf("baseline process: %w", err)
	}
	users := make([]seeded, n)
	for i := range n {
		users[i] = seeded{ID: "mem-" + strconv.Itoa(i+1), UserName: seedName(i)}
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	return &target{name: "baseline", base: strings.TrimSpace(line), token: "baseline-token", users: users, close: stop,
		peakRSS: func() float64 { return peakRSSMiB(pid) }}, nil
}
