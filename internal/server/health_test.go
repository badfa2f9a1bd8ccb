package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/buildinfo"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// healthServer is a server whose store check the test controls.
func healthServer(t *testing.T, check func(context.Context) error) (*Server, *bytes.Buffer) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs bytes.Buffer
	log := slog.New(ContextHandler{Handler: slog.NewJSONHandler(&logs, nil)})
	s := New(service.New(st, log), log, Config{StoreCheck: check, ReadyTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { s.Close() })
	s.SetReady(true)
	return s, &logs
}

func get(t *testing.T, s *Server, path string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var body map[string]any
	if strings.HasPrefix(path, "/healthz/") {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type %q", path, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body)
		}
	}
	return rec.Code, body
}

func TestLiveAndReady(t *testing.T) {
	var fail atomic.Pointer[error] // nil: the store answers
	s, logs := healthServer(t, func(context.Context) error {
		if e := fail.Load(); e != nil {
			return *e
		}
		return nil
	})
	code, body := get(t, s, "/healthz/live")
	bi := buildinfo.Get()
	if code != 200 || body["status"] != "live" || body["version"].(map[string]any)["go_version"] != bi.GoVersion {
		t.Fatalf("live: %d %v", code, body)
	}
	code, body = get(t, s, "/healthz/ready")
	if code != 200 || body["status"] != "ready" || body["reason"] != nil {
		t.Fatalf("ready: %d %v", code, body)
	}
	checks := body["checks"].(map[string]any)
	if checks["store"] != "ok" || checks["provisioning_log"] != "ok" || checks["webhooks"] != "ok" {
		t.Fatalf("checks: %v", checks)
	}
	if v := body["version"].(map[string]any); v["version"] != bi.Version || v["revision"] != bi.Revision {
		t.Fatalf("version: %v", v)
	}

	// The store fails: 503 with its reason; the driver's cause (hosts,
	// paths) stays in the log, off the unauthenticated endpoint.
	cause := fmt.Errorf("store: not answering: %w", errors.New("dial tcp 10.9.8.7:5432: connect: connection refused"))
	fail.Store(&cause)
	code, body = get(t, s, "/healthz/ready")
	if code != 503 || body["status"] != "unavailable" || body["reason"] != "store: not answering" {
		t.Fatalf("store failing: %d %v", code, body)
	}
	if c := body["checks"].(map[string]any); c["store"] != "store: not answering" || c["provisioning_log"] != "ok" {
		t.Fatalf("checks: %v", c)
	}
	if raw, _ := json.Marshal(body); strings.Contains(string(raw), "10.9.8.7") {
		t.Fatalf("the cause leaked: %s", raw)
	}
	if !strings.Contains(logs.String(), "10.9.8.7") || !strings.Contains(logs.String(), `"msg":"not ready"`) {
		t.Fatalf("the log lacks the cause: %s", logs)
	}
	// /healthz and /healthz/live don't look at the store.
	if code, _ := get(t, s, "/healthz"); code != 200 {
		t.Fatalf("/healthz with the store failing: %d", code)
	}
	if code, _ := get(t, s, "/healthz/live"); code != 200 {
		t.Fatalf("/healthz/live with the store failing: %d", code)
	}
	// And back.
	fail.Store(nil)
	if code, body = get(t, s, "/healthz/ready"); code != 200 {
		t.Fatalf("recovered: %d %v", code, body)
	}
	if !strings.Contains(logs.String(), `"msg":"ready again"`) {
		t.Fatalf("recovery not logged: %s", logs)
	}
}

// TestReadyFollowsTheWebhookWorker: a server whose delivery worker has
// stopped (drained) is not ready, and says which writer stopped.
func TestReadyFollowsTheWebhookWorker(t *testing.T) {
	s, _ := healthServer(t, nil)
	if code, body := get(t, s, "/healthz/ready"); code != 200 {
		t.Fatalf("before: %d %v", code, body)
	}
	if err := s.DrainWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s, "/healthz/ready")
	if code != 503 || body["reason"] != "webhooks: the delivery worker is not running" {
		t.Fatalf("after the worker stopped: %d %v", code, body)
	}
	if c := body["checks"].(map[string]any); c["provisioning_log"] != "ok" {
		t.Fatalf("checks: %v", c)
	}
}

// TestReadyDeadline: a store that doesn't answer within the deadline is
// not ready, and says so; the probe does not hang.
func TestReadyDeadline(t *testing.T) {
	s, _ := healthServer(t, func(ctx context.Context) error {
		<-ctx.Done() // never answers
		return fmt.Errorf("store: not answering: %w", ctx.Err())
	})
	code, body := get(t, s, "/healthz/ready")
	if code != 503 || body["reason"] != "store: no answer within 200ms" {
		t.Fatalf("%d %v", code, body)
	}
}

// TestReadyStartingAndDraining: before serve is ready, and once it
// drains, /healthz/ready is 503 and says which; /healthz keeps its own
// meaning (ready since start) while draining.
func TestReadyStartingAndDraining(t *testing.T) {
	s, _ := healthServer(t, nil)
	s.SetReady(false)
	if code, body := get(t, s, "/healthz/ready"); code != 503 || body["reason"] != "starting" {
		t.Fatalf("starting: %d %v", code, body)
	}
	s.SetReady(true)
	s.SetDraining()
	if code, body := get(t, s, "/healthz/ready"); code != 503 || body["reason"] != "shutting down" {
		t.Fatalf("draining: %d %v", code, body)
	}
	if code, _ := get(t, s, "/healthz"); code != 200 {
		t.Fatalf("/healthz while draining: %d", code)
	}
	if code, _ := get(t, s, "/healthz/live"); code != 200 {
		t.Fatalf("/healthz/live while draining: %d", code)
	}
}

// TestReadyWhenTheProvisioningLogStops: a stopped background writer makes
// the server not ready.
func TestReadyWhenTheProvisioningLogStops(t *testing.T) {
	s, _ := healthServer(t, nil)
	if code, _ := get(t, s, "/healthz/ready"); code != 200 {
		t.Fatal(code)
	}
	s.ProvisioningLog().Close()
	code, body := get(t, s, "/healthz/ready")
	if code != 503 || !strings.Contains(fmt.Sprint(body["reason"]), "provisioning log") {
		t.Fatalf("%d %v", code, body)
	}
}

func TestPublicReason(t *testing.T) {
	inner := errors.New("open /var/lib/roster/roster.db: permission denied")
	for err, want := range map[error]string{
		fmt.Errorf("store: the database file is not readable: %w", inner): "store: the database file is not readable",
		errors.New("store: migrations not applied: 0011_acme_cache.sql"):  "store: migrations not applied: 0011_acme_cache.sql",
		&reasonError{msg: "store: no answer within 2s", cause: inner}:     "store: no answer within 2s",
	} {
		if got := publicReason(err); got != want {
			t.Errorf("publicReason(%v) = %q, want %q", err, got, want)
		}
	}
}
