// Package testserver starts the real Roster server for tests: the real
// HTTP server (timeouts, limits) on a loopback port, over a store the
// test chooses, torn down in the right order when the test ends. The
// end-to-end, admin API and console suites share it, so all of them
// exercise the same wiring as `roster serve`.
package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// Server is one running Roster.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Base string // the SCIM base URL
	API  *server.Server
	Svc  *service.Service
	St   store.Store
}

// Options tune Start. The zero value logs nowhere and uses the default
// server configuration.
type Options struct {
	Config server.Config
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
	// Now, when set, is the service's clock (set before the server serves,
	// so tests can move time without sleeping).
	Now func() time.Time
}

// Start serves st on a fresh loopback port until the test ends. At the
// end it shuts the HTTP server down, flushes the provisioning log
// (api.Close) and only then closes the store, which Start owns.
func Start(t testing.TB, st store.Store, o Options) *Server {
	t.Helper()
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	svc := service.New(st, log)
	if o.Now != nil {
		svc.Now = o.Now
	}
	// Wired as roster serve wires them: the store reports to the metrics
	// and answers the readiness check.
	if o.Config.Metrics == nil {
		o.Config.Metrics = metrics.New(metrics.Config{})
	}
	if ob, ok := st.(store.Observable); ok {
		ob.SetObserver(o.Config.Metrics)
	}
	if c, ok := st.(store.Checker); ok && o.Config.StoreCheck == nil {
		o.Config.StoreCheck = c.Check
	}
	api := server.New(svc, log, o.Config)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv := server.NewHTTPServer(ln.Addr().String(), api, log)
	api.SetReady(true)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := api.Close(); err != nil {
			t.Errorf("closing the server: %v", err)
		}
		st.Close()
	})
	url := "http://" + ln.Addr().String()
	return &Server{URL: url, Base: url + server.SCIMPrefix, API: api, Svc: svc, St: st}
}

// CheapPasswordHashes makes password hashing cheap, for the TestMain of
// suites that sign in many times. The hash format and the production
// parameters are checked in the service package.
func CheapPasswordHashes() {
	service.PasswordParams = service.Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// AddMember puts an active or deactivated member in team straight
// through the store, as if provisioned from source, and gives them an
// account with password, linked to the member as if they had accepted an
// invite (no account, and no link, when password is "").
func AddMember(t testing.TB, st store.Store, svc *service.Service, team store.Team, email string, roles []string, source string, active bool, password string) store.User {
	t.Helper()
	ctx := context.Background()
	attrs, err := json.Marshal(map[string]any{"userName": email, "displayName": "Name of " + email, "active": active,
		"emails": []any{map[string]any{"value": email, "type": "work", "primary": true}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u := store.User{TeamID: team.ID, ID: service.NewID(), UserName: email, DisplayName: "Name of " + email, Active: active,
		Emails: []store.Email{{Value: email, Type: "work", Primary: true}}, Source: source, Role: service.JoinRoles(roles),
		Attrs: attrs, Created: now, Modified: now, Version: 1}
	if password != "" {
		u.AccountID = SetOwnPassword(t, st, svc, email, password).ID // as if they had accepted an invite of the team
	}
	if err := st.Tx(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	return u
}

// SetOwnPassword gives the account of email (created if there is none)
// password as its own: the operator's reset sets it, and the person has
// since chosen it (MustChangePassword is cleared, straight in the store).
func SetOwnPassword(t testing.TB, st store.Store, svc *service.Service, email, password string) store.Account {
	t.Helper()
	ctx := context.Background()
	acc, err := svc.SetAccountPassword(ctx, email, password, service.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tx(ctx, func(tx store.Tx) error {
		return tx.SetAccountPassword(ctx, acc.ID, acc.PasswordHash, false, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	acc.MustChangePassword = false
	return acc
}

// NewTeamWithAdmin creates team name with its first admin (a Super
// Admin), who has signed in once and replaced the one-time password
// `roster team create` printed with the password it returns.
func NewTeamWithAdmin(t testing.TB, svc *service.Service, name, adminEmail string) (store.Team, string) {
	t.Helper()
	team, once := NewTeamWithOneTimeAdmin(t, svc, name, adminEmail)
	ctx := context.Background()
	first, err := svc.Login(ctx, adminEmail, once, "127.0.0.1", "testserver", time.Minute, "")
	if err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	own := once + "-chosen"
	if err := svc.ChangePassword(ctx, service.Caller{Account: first.Account, SessionHash: first.Session.Session.TokenHash}, once, own); err != nil {
		t.Fatalf("first sign-in's password change: %v", err)
	}
	return team, own
}

// NewTeamWithOneTimeAdmin creates team name with its first admin and
// returns the one-time password `roster team create` would print: the
// admin must change it before doing anything else.
func NewTeamWithOneTimeAdmin(t testing.TB, svc *service.Service, name, adminEmail string) (store.Team, string) {
	t.Helper()
	ctx := context.Background()
	cli := service.Actor{Kind: "cli", Name: "test"}
	team, err := svc.CreateTeam(ctx, name, adminEmail, cli)
	if err != nil {
		t.Fatal(err)
	}
	pass, err := svc.SetupAdminAccount(ctx, team, cli)
	if err != nil || pass == "" {
		t.Fatalf("admin account: %q, %v", pass, err)
	}
	return team, pass
}
