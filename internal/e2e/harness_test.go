// Package e2e holds end-to-end tests: each starts the real server on a
// loopback port over a fresh embedded store and speaks HTTP to it the way
// an IdP does.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// server is one running Roster.
type server struct {
	t    *testing.T
	URL  string // http://127.0.0.1:PORT
	Base string // SCIM base URL
	Svc  *service.Service
	st   store.Store
	api  *httpsrv.Server
	Dir  string
	logs *bytes.Buffer
}

// lockedBuffer lets the server log while the test reads.
type syncWriter struct {
	mu  chan struct{}
	buf *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.Write(p)
}

func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, httpsrv.Config{})
}

func startServerWith(t *testing.T, cfg httpsrv.Config) *server {
	t.Helper()
	return startServerOpts(t, testserver.Options{Config: cfg})
}

// testClock is a clock a test moves by hand (Add), safe to read from the
// server's goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func startServerClock(t *testing.T, c *testClock) *server {
	t.Helper()
	return startServerOpts(t, testserver.Options{Now: c.Now})
}

func startServerOpts(t *testing.T, o testserver.Options) *server {
	t.Helper()
	dir := t.TempDir()
	st, err := openStore(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	w := syncWriter{mu: make(chan struct{}, 1), buf: logs}
	log := slog.New(httpsrv.ContextHandler{Handler: slog.NewJSONHandler(w, nil)})
	o.Log = log
	ts := testserver.Start(t, st, o)
	return &server{t: t, URL: ts.URL, Base: ts.Base, Svc: ts.Svc, st: st, api: ts.API, Dir: dir, logs: logs}
}

// Logs returns what the server logged so far.
func (s *server) Logs() string { return s.logs.String() }

// newTeam creates a team with SCIM enabled and returns an IdP client
// holding a fresh key of that team.
func (s *server) newTeam(name string) (*client, store.Team) {
	s.t.Helper()
	ctx := context.Background()
	a := service.Actor{Kind: "test"}
	team, err := s.Svc.CreateTeam(ctx, name, "admin@"+service.Slugify(name)+".example", a)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.Svc.SetSCIM(ctx, team.Slug, true, a); err != nil {
		s.t.Fatal(err)
	}
	k, err := s.Svc.CreateKey(ctx, team.Slug, "okta", nil, a)
	if err != nil {
		s.t.Fatal(err)
	}
	return &client{t: s.t, base: s.Base, auth: "Bearer " + k.Token, hc: &http.Client{Timeout: 30 * time.Second}}, team
}

// client speaks SCIM like an IdP.
type client struct {
	t    *testing.T
	base string
	auth string
	hc   *http.Client
	// contentType of request bodies; Okta's SPEC test uses both.
	contentType string
}

// response is a decoded SCIM answer.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (c *client) withAuth(auth string) *client {
	cp := *c
	cp.auth = auth
	return &cp
}

// do sends a request. body may be a string (sent verbatim) or any value
// (JSON-encoded). path is relative to the SCIM base URL.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if rd != nil {
		ct := c.contentType
		if ct == "" {
			ct = "application/scim+json; charset=utf-8"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	return response(testserver.Do(c.t, c.hc, req, "application/scim+json", headers...))
}

// must asserts the status and returns the response.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	testserver.Response(r).Must(t, status)
	return r
}

// scimError asserts an RFC 7644 §3.12 error body with a string status.
func (r response) scimError(t *testing.T, status int, scimType string) response {
	t.Helper()
	r.must(t, status)
	if !hasString(r.Body["schemas"], "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("error body lacks the Error schema: %s", r.Raw)
	}
	if s, ok := r.Body["status"].(string); !ok || s != itoa(status) {
		t.Fatalf("error status = %#v, want the string %q", r.Body["status"], itoa(status))
	}
	if d, _ := r.Body["detail"].(string); d == "" {
		t.Fatalf("error without a detail: %s", r.Raw)
	}
	if scimType != "" && r.Body["scimType"] != scimType {
		t.Fatalf("scimType = %v, want %s; body %s", r.Body["scimType"], scimType, r.Raw)
	}
	return r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func hasString(v any, s string) bool {
	l, _ := v.([]any)
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// str walks a decoded body: str(body, "name", "givenName").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func num(v any, path ...any) int {
	f, _ := get(v, path...).(float64)
	return int(f)
}

// list asserts a ListResponse and returns its Resources.
func (r response) list(t *testing.T) []any {
	t.Helper()
	r.must(t, http.StatusOK)
	if !hasString(r.Body["schemas"], "urn:ietf:params:scim:api:messages:2.0:ListResponse") {
		t.Fatalf("not a ListResponse: %s", r.Raw)
	}
	for _, k := range []string{"totalResults", "startIndex", "itemsPerPage"} {
		if _, ok := r.Body[k].(float64); !ok {
			t.Fatalf("%s is not a number: %s", k, r.Raw)
		}
	}
	res, ok := r.Body["Resources"].([]any)
	if !ok {
		t.Fatalf("Resources missing or not an array: %s", r.Raw)
	}
	if num(r.Body, "itemsPerPage") != len(res) {
		t.Fatalf("itemsPerPage %d != len(Resources) %d", num(r.Body, "itemsPerPage"), len(res))
	}
	return res
}

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entURN   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// oktaUser is the body of OKTA-04.
func oktaUser(userName string) map[string]any {
	return map[string]any{
		"schemas":     []string{userURN},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Test", "familyName": "User"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Test User", "locale": "en-US", "externalId": "00u" + userName,
		"groups": []any{}, "password": "1mz050nq", "active": true,
	}
}

func patch(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{patchURN}, "Operations": ops}
}

func op(o, path string, value any) map[string]any {
	m := map[string]any{"op": o}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// createUser POSTs an Okta-shaped user and returns its id.
func (c *client) createUser(userName string) string {
	c.t.Helper()
	r := c.do("POST", "/Users", oktaUser(userName)).must(c.t, http.StatusCreated)
	return str(r.Body, "id")
}

var testActor = service.Actor{Kind: "test"}

// Store exposes the server's store for assertions on what was written.
func (s *server) Store() store.Store { return s.st }
