package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// TestOpenAPIDescribesEveryRoute keeps openapi.json in step with the route
// table: every route is described, and nothing described is missing.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	s := New(service.New(nil, nil), slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	seen := map[string]bool{}
	for _, rt := range s.apiRouteTable() {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		seen[key] = true
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("openapi.json does not describe %s %s", rt.Method, rt.Path)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" && !seen[m+" "+p] {
				t.Errorf("openapi.json describes %s %s, which has no route", m, p)
			}
		}
	}
	// served as is
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", APIPrefix+"/openapi.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.Len() != len(openAPIDoc) {
		t.Fatalf("GET openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestFailureLimiter(t *testing.T) {
	l := newFailureLimiter(2, 60e9)
	now := l.now()
	l.now = func() time.Time { return now }
	l.fail("a")
	if _, b := l.blocked("a"); b {
		t.Fatal("blocked after one")
	}
	l.fail("a")
	if w, b := l.blocked("a", "b"); !b || w != 60e9 {
		t.Fatalf("%v %v", w, b)
	}
	now = now.Add(30e9)
	if w, _ := l.blocked("a"); w != 30e9 {
		t.Fatalf("wait %v", w)
	}
	now = now.Add(30e9)
	if _, b := l.blocked("a"); b {
		t.Fatal("still blocked after the window")
	}
	l.fail("a")
	l.fail("a")
	l.reset("a")
	if _, b := l.blocked("a"); b {
		t.Fatal("blocked after reset")
	}
}
