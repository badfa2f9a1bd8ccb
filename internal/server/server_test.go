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
