package httpapi

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

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	return m
}

func TestPanicBecomesSCIMErrorAndServerKeepsServing(t *testing.T) {
	s, logs := newTestServer(t)
	s.mux.HandleFunc("GET /scim/v2/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/scim/v2/boom", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	body := decode(t, rec)
	if body["status"] != "500" || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("body %v leaks the panic or lacks the status", body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatal("panic and stack not logged")
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("healthz after panic: %d", rec.Code)
	}
}

func TestUnknownSCIMRoutesGetSCIMErrors(t *testing.T) {
	s, _ := newTestServer(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/scim/v2/Nope", 404, ""},
		{"DELETE", "/scim/v2/Users", 405, "GET, POST"},
		{"POST", "/scim/v2/ServiceProviderConfig", 405, "GET"},
		{"GET", "/scim/v2/Bulk", 405, "POST"},
		{"GET", "/scim/v2/Me", 501, ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || rec.Header().Get("Content-Type") != "application/scim+json" {
			t.Errorf("%s %s: %d %q", c.method, c.path, rec.Code, rec.Header().Get("Content-Type"))
			continue
		}
		if body := decode(t, rec); body["status"] != itoa(c.status) || body["detail"] == "" {
			t.Errorf("%s %s: body %v", c.method, c.path, body)
		}
		if c.allow != "" && rec.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, rec.Header().Get("Allow"), c.allow)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

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

func TestHealthzWaitsForReady(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetReady(false)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("not ready: %d", rec.Code)
	}
}

func TestBearerToken(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Bearer rsk_abc", "rsk_abc"},
		{"bearer   rsk_abc ", "rsk_abc"},
		{"rsk_abc", "rsk_abc"}, // Okta's header mode with the bare key
		{"Basic dXNlcjpwYXNz", ""},
		{"", ""},
		{"Token rsk_abc", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := bearerToken(r); got != c.want {
			t.Errorf("%q: got %q, want %q", c.header, got, c.want)
		}
	}
}

func TestParseListEdgeCases(t *testing.T) {
	s, _ := newTestServer(t)
	for _, c := range []struct {
		q             listQuery
		start, count  int
		wantErrString string
	}{
		{listQuery{}, 1, 100, ""},
		{listQuery{startIndex: "0", count: "-5"}, 1, 0, ""},
		{listQuery{startIndex: "-3", count: "5000"}, 1, 1000, ""},
		{listQuery{startIndex: "21", count: "5"}, 21, 5, ""},
		{listQuery{startIndex: "x"}, 0, 0, "startIndex"},
		{listQuery{count: "1.5"}, 0, 0, "count"},
		{listQuery{filter: "userName eq"}, 0, 0, "invalid filter"},
	} {
		o, err := s.parseList(c.q)
		if c.wantErrString != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErrString) {
				t.Errorf("%+v: err %v, want one about %s", c.q, err, c.wantErrString)
			}
			continue
		}
		if err != nil || o.StartIndex != c.start || o.Count != c.count {
			t.Errorf("%+v: got start %d count %d err %v", c.q, o.StartIndex, o.Count, err)
		}
	}
}
