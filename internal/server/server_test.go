package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func newTestServer(t *testing.T) (*Server, *bytes.Buffer) {
	t.Helper()
	s, logs, _ := newTestServerStore(t)
	return s, logs
}

// newTestServerStore is newTestServer that also hands back the store, for
// tests that seed it directly.
func newTestServerStore(t *testing.T) (*Server, *bytes.Buffer, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs bytes.Buffer
	log := slog.New(ContextHandler{Handler: slog.NewJSONHandler(&logs, nil)})
	s := New(service.New(st, log), log, Config{})
	s.SetReady(true)
	return s, &logs, st
}

func TestHealthzWaitsForReady(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetReady(false)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("not ready: %d", rec.Code)
	}
}

func TestEveryLogLineCarriesTheRequestID(t *testing.T) {
	s, logs := newTestServer(t)
	req := httptest.NewRequest("GET", "/scim/v2/Users?filter=userName+eq+%22secret-person%22", nil)
	req.Header.Set("Authorization", "Bearer rsk_not-a-real-key")
	req.Header.Set("X-Request-Id", "req-42")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 401 || rec.Header().Get("X-Request-Id") != "req-42" {
		t.Fatalf("status %d, request id %q", rec.Code, rec.Header().Get("X-Request-Id"))
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("expected the refusal and the access log, got %q", logs.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["request_id"] != "req-42" {
			t.Errorf("log line without the request id: %s", l)
		}
	}
	for _, secret := range []string{"rsk_not-a-real-key", "secret-person"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}

// TestCrossOriginWritesRefused: a browser's cross-site write to the admin
// API or the console is refused before anything else, even with a valid
// session and CSRF token (a forged form or fetch from another site); the
// same request from this site's pages, or from a script, goes through.
func TestCrossOriginWritesRefused(t *testing.T) {
	s, _ := newTestServer(t)
	post := func(path, body string, h map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Host = "roster.example"
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for _, forged := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		rec := post("/api/v1/auth/login", `{"email":"a@b.example","password":"x"}`, mergeHeaders(forged, map[string]string{"Content-Type": "application/json"}))
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), `"cross_origin"`) {
			t.Errorf("admin API, %v: %d %s", forged, rec.Code, rec.Body)
		}
		rec = post("/signin", "email=a%40b.example&password=x", mergeHeaders(forged, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "another site") {
			t.Errorf("console, %v: %d %s", forged, rec.Code, rec.Body)
		}
	}
	// Same site, and scripts (no browser headers): on to the real check.
	for _, ok := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://roster.example"}, {}} {
		rec := post("/api/v1/auth/login", `{"email":"a@b.example","password":"wrong password"}`, mergeHeaders(ok, map[string]string{"Content-Type": "application/json"}))
		if rec.Code != 401 {
			t.Errorf("admin API, %v: %d %s", ok, rec.Code, rec.Body)
		}
	}
	// The SCIM API has no browser sessions: an IdP's call is never refused for its origin.
	req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(`{}`))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("SCIM: %d", rec.Code)
	}
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
