package adminapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/websession"
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
	svc := service.New(nil, nil)
	s := New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), websession.New(svc, websession.Config{}))
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
