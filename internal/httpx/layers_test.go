package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/metrics"
)

// edge is a handler with a mux of its own behind a prefix, as scimapi and
// adminapi are: it notes the pattern it matched, and the caller.
type edge struct{ mux *http.ServeMux }

func newEdge() *edge {
	e := &edge{mux: http.NewServeMux()}
	e.mux.HandleFunc("GET /scim/v2/Users/{id}", func(w http.ResponseWriter, r *http.Request) {
		NoteRoute(r, r.Pattern)
		NoteCaller(r.Context(), "acme", "rsk_abc123")
		w.WriteHeader(http.StatusNoContent)
	})
	return e
}

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

func TestAccessLogAndMetricsNameTheRoute(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(ContextHandler{Handler: slog.NewJSONHandler(&logs, nil)})
	m := metrics.New(metrics.Config{NoProcess: true})
	outer := http.NewServeMux()
	outer.Handle("/scim/v2/", newEdge())
	outer.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {}) // writes nothing: a 200
	h := Layers{Log: log, Metrics: m, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}.Wrap(outer)

	for _, path := range []string{"/scim/v2/Users/u-1", "/scim/v2/Users/u-2", "/healthz", "/nowhere/secret-path"} {
		req := httptest.NewRequest("GET", path+"?filter=userName+eq+%22someone%22", nil)
		req.RemoteAddr = "10.1.2.3:5555"
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		req.Header.Set("X-Request-Id", "rid-"+strings.TrimPrefix(path, "/"))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 4 {
		t.Fatalf("%d access log lines: %s", len(lines), logs.String())
	}
	scim := lines[0]
	for k, want := range map[string]any{"route": "GET /scim/v2/Users/{id}", "team": "acme", "key_prefix": "rsk_abc123",
		"client_ip": "203.0.113.7", "request_id": "rid-scim/v2/Users/u-1", "status": float64(204), "path": "/scim/v2/Users/u-1"} {
		if scim[k] != want {
			t.Errorf("SCIM access log %s = %v, want %v", k, scim[k], want)
		}
	}
	if lines[2]["route"] != "GET /healthz" || lines[2]["status"] != float64(200) || lines[2]["team"] != nil {
		t.Errorf("health access log: %v", lines[2])
	}
	if lines[3]["route"] != "" || lines[3]["status"] != float64(404) {
		t.Errorf("unmatched access log: %v", lines[3])
	}
	if strings.Contains(logs.String(), "someone") {
		t.Error("the query string was logged")
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`roster_http_requests_total{code="2xx",method="GET",route="/scim/v2/Users/{id}"} 2`,
		`roster_http_requests_total{code="2xx",method="GET",route="/healthz"} 1`,
		`roster_http_requests_total{code="4xx",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Raw paths never become labels.
	for _, raw := range []string{"u-1", "secret-path"} {
		if strings.Contains(out, raw) {
			t.Errorf("a raw path is a label: %s", raw)
		}
	}
}
