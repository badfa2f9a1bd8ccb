// Package adminapitest tests the admin JSON API (/api/v1) end to end: each
// test starts the real server on a loopback port over a fresh embedded
// store and speaks HTTP to it as a browser (cookie + CSRF) or a script
// (personal API token) does.
package adminapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

func TestMain(m *testing.M) {
	testserver.CheapPasswordHashes() // the tests sign in hundreds of times
	// Sessions, tokens and sign-in limits must hold on PostgreSQL too
	// (stateless replicas): the whole suite runs again there.
	os.Exit(pgtest.RunTwice(m, "adminapitest", func() { onPostgres = true }))
}

// onPostgres switches newEnv to a fresh PostgreSQL schema per test.
var onPostgres bool

const testPassword = "correct horse battery staple"

type env struct {
	t     *testing.T
	URL   string
	API   string // URL + /api/v1
	Svc   *service.Service
	St    store.Store
	Srv   *server.Server
	Team  store.Team
	Admin string // the first admin's email (Super Admin)
	// AdminPassword is the one-time password team setup printed.
	AdminPassword string
}

func newEnv(t *testing.T) *env { return newEnvWith(t, server.Config{}) }

func newEnvWith(t *testing.T, cfg server.Config) *env {
	t.Helper()
	return newEnvOptions(t, testserver.Options{Config: cfg})
}

// newEnvClock is newEnv with the service's clock set before it serves.
func newEnvClock(t *testing.T, now func() time.Time) *env {
	t.Helper()
	return newEnvOptions(t, testserver.Options{Now: now})
}

func newEnvOptions(t *testing.T, o testserver.Options) *env {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if onPostgres {
		st, err = postgres.Open(ctx, pgtest.NewSchemaURL(t))
	} else {
		st, err = sqlite.Open(ctx, t.TempDir())
	}
	if err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, st, o)
	e := &env{t: t, URL: ts.URL, API: ts.URL + server.APIPrefix, Svc: ts.Svc, St: st, Srv: ts.API, Admin: "owner@acme.example"}
	e.Team, e.AdminPassword = testserver.NewTeamWithAdmin(t, ts.Svc, "Acme", e.Admin)
	return e
}

// addMember puts a member in the team directly through the store, with
// an account (password testPassword).
func (e *env) addMember(email string, roles []string, source string, active bool) store.User {
	e.t.Helper()
	return testserver.AddMember(e.t, e.St, e.Svc, e.Team, email, roles, source, active, testPassword)
}

func (e *env) setSCIM(on bool) {
	e.t.Helper()
	var err error
	if e.Team, err = e.Svc.SetSCIM(context.Background(), e.Team.Slug, on, service.Actor{Kind: "cli"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) member(id string) (store.User, error) {
	return e.St.User(context.Background(), e.Team.ID, id)
}

// client is one API caller: a browser with a cookie jar and the CSRF
// token of its sign-in, or a script with a bearer token.
type client struct {
	e      *env
	hc     *http.Client
	csrf   string
	bearer string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// login signs in and fails the test unless it works.
func (e *env) login(email, password string) *client {
	e.t.Helper()
	c := e.anon()
	r := c.do("POST", "/auth/login", map[string]any{"email": email, "password": password}).must(e.t, 200)
	c.csrf, _ = r.Body["csrf_token"].(string)
	if c.csrf == "" {
		e.t.Fatalf("no csrf_token in %s", r.Raw)
	}
	return c
}

// token returns a client using a new personal API token of the account.
func (e *env) token(email, password, name string) *client {
	e.t.Helper()
	r := e.login(email, password).do("POST", "/me/tokens", map[string]any{"name": name}).must(e.t, 201)
	tok, _ := r.Body["token"].(string)
	if !strings.HasPrefix(tok, "rpt_") {
		e.t.Fatalf("token %q", tok)
	}
	return &client{e: e, hc: &http.Client{Timeout: 30 * time.Second}, bearer: tok}
}

type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// do sends a request to path below /api/v1, with the CSRF token when the
// client has one.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.e.API+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set(server.CSRFHeader, c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	return response(testserver.Do(c.e.t, c.hc, req, "application/json", headers...))
}

func (r response) must(t *testing.T, status int) response {
	t.Helper()
	testserver.Response(r).Must(t, status)
	return r
}

// apiError asserts the JSON error shape and returns its message.
func (r response) apiError(t *testing.T, status int, field string) string {
	t.Helper()
	r.must(t, status)
	e, _ := r.Body["error"].(map[string]any)
	if e == nil || e["status"] != float64(status) || e["code"] == "" {
		t.Fatalf("not an API error body: %s", r.Raw)
	}
	if got, _ := e["field"].(string); got != field {
		t.Fatalf("error field %q, want %q: %s", got, field, r.Raw)
	}
	msg, _ := e["message"].(string)
	return msg
}

func (e *env) teamPath(rest string) string { return "/teams/" + e.Team.Slug + rest }

// auditCount counts the audit events of the team and of accounts.
func (e *env) auditEvents() []store.AuditEvent {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.St.ListAudit(ctx, e.Team.ID, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := e.St.ListAudit(ctx, "", 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	return append(a, b...)
}

// addGroup creates a group the way an IdP would push it and returns its id.
func (e *env) addGroup(name string, memberIDs ...string) string {
	e.t.Helper()
	var members []any
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	g, err := e.Svc.CreateGroup(context.Background(), service.Principal{Team: e.Team}, service.Actor{Kind: "scim-key", Name: "okta"},
		map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": members})
	if err != nil {
		e.t.Fatal(err)
	}
	return g.Group.ID
}

// scim calls the team's SCIM API with key and returns the status and body.
func (e *env) scim(method, path, key string, body string) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+server.SCIMPrefix+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
