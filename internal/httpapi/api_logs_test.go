package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func TestLogHandlers(t *testing.T) {
	s, _, st := newTestServerStore(t)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	team, err := s.svc.CreateTeam(ctx, "Acme", "admin@acme.example", service.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err = st.Tx(ctx, func(tx store.Tx) error {
		for i := 0; i < 5; i++ {
			if err := tx.AppendAudit(ctx, store.AuditEvent{TeamID: team.ID, ID: fmt.Sprint("ev", i), At: base.Add(time.Duration(i) * time.Minute),
				Actor: "scim-key:okta", Action: []string{"user.create", "group.create"}[i%2], TargetType: "user", TargetID: fmt.Sprint("u", i), Detail: `{"x":"a,b"}`}); err != nil {
				return err
			}
		}
		return tx.AppendProvisioningLog(ctx, []store.ProvisioningEntry{
			{TeamID: team.ID, ID: "p1", At: base, Method: "POST", Path: "/scim/v2/Users", Status: 201, RequestBody: `{"password":"[REDACTED]"}`},
			{TeamID: team.ID, ID: "p2", At: base.Add(time.Second), Method: "PATCH", Path: "/scim/v2/Users/u1", ResourceID: "u1", Status: 400,
				ErrorDetail: "bad op", ErrorBody: `{"detail":"bad op"}`, RequestBody: `{"Operations":[]}`},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	teamOf := func(*http.Request) string { return team.ID }
	mux := http.NewServeMux()
	mux.Handle("GET /audit", s.LogHandler(s.AuditLog, teamOf))
	mux.Handle("GET /prov", s.LogHandler(s.ProvisioningLogList, teamOf))
	mux.Handle("GET /prov/{id}", s.LogHandler(s.ProvisioningLogEntry, teamOf))
	mux.Handle("GET /nobody", s.LogHandler(s.AuditLog, func(*http.Request) string { return "" }))

	tests := []struct {
		name, url   string
		status      int
		contentType string
		check       func(t *testing.T, body string)
	}{
		{"audit page", "/audit?action=user.&limit=2", 200, "application/json", func(t *testing.T, body string) {
			var out struct {
				Events []map[string]any `json:"events"`
				Next   string           `json:"next_cursor"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Events) != 2 || out.Next == "" ||
				out.Events[0]["id"] != "ev4" || out.Events[0]["target"] != "user:u4" || out.Events[1]["id"] != "ev2" {
				t.Fatalf("%v %s", err, body)
			}
		}},
		{"audit target and time", "/audit?target=user:u3&since=2026-01-02T03:00:00Z&until=2026-01-02T04:00:00Z", 200, "application/json", func(t *testing.T, body string) {
			if !strings.Contains(body, `"ev3"`) || strings.Contains(body, `"ev4"`) {
				t.Fatal(body)
			}
		}},
		{"audit csv", "/audit?format=csv&actor=scim-key:okta", 200, "text/csv", func(t *testing.T, body string) {
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || len(recs) != 6 || recs[0][0] != "id" || recs[1][7] != `{"x":"a,b"}` || !strings.Contains(body, "\r\n") {
				t.Fatalf("%v %q", err, body)
			}
		}},
		{"audit jsonl", "/audit?format=jsonl&action=group.", 200, "application/jsonl", func(t *testing.T, body string) {
			lines := strings.Split(strings.TrimSpace(body), "\n")
			if len(lines) != 2 || !json.Valid([]byte(lines[0])) || !strings.Contains(lines[0], `"action":"group.create"`) {
				t.Fatal(body)
			}
		}},
		{"audit bad time", "/audit?since=yesterday", 400, "application/json", func(t *testing.T, body string) {
			if !strings.Contains(body, `"field":"since"`) {
				t.Fatal(body)
			}
		}},
		{"audit bad format", "/audit?format=xml", 400, "application/json", nil},
		{"audit bad cursor", "/audit?cursor=zzz", 400, "application/json", nil},
		{"prov errors", "/prov?status=error", 200, "application/json", func(t *testing.T, body string) {
			if !strings.Contains(body, `"p2"`) || strings.Contains(body, `"p1"`) || !strings.Contains(body, `"error_detail":"bad op"`) || strings.Contains(body, "request_body") {
				t.Fatal(body)
			}
		}},
		{"prov by user", "/prov?user_id=u1&method=PATCH", 200, "application/json", func(t *testing.T, body string) {
			if !strings.Contains(body, `"p2"`) || strings.Contains(body, `"p1"`) {
				t.Fatal(body)
			}
		}},
		{"prov bad status", "/prov?status=teapot", 400, "application/json", nil},
		{"prov entry", "/prov/p2", 200, "application/json", func(t *testing.T, body string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil || m["status"] != float64(400) {
				t.Fatal(body)
			}
			if eb, _ := m["error_body"].(map[string]any); eb["detail"] != "bad op" {
				t.Fatal(body)
			}
		}},
		{"prov entry of no such id", "/prov/nope", 404, "application/json", nil},
		{"no team", "/nobody", 404, "application/json", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.contentType) {
				t.Fatalf("%d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if tc.check != nil {
				tc.check(t, rec.Body.String())
			}
		})
	}
}

// The body capture leaves the handler's body intact, and a request that
// never reached a team is not logged.
func TestProvisioningCaptureKeepsBody(t *testing.T) {
	s, _ := newTestServer(t)
	t.Cleanup(func() { s.Close() })
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.io","password":"pw-123"}`
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", SCIMPrefix+"/Users", strings.NewReader(body)))
	if rec.Code != 401 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if err := s.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.ProvisioningLog().Written() != 0 {
		t.Fatal("a request with no key was logged")
	}
	r := httptest.NewRequest("POST", SCIMPrefix+"/Users", strings.NewReader(body))
	r2, pr := s.provBegin(r)
	b := make([]byte, len(body)+10)
	n, _ := r2.Body.Read(b)
	if string(b[:n]) != body || string(pr.body.buf) != body || pr.body.n != int64(len(body)) || pr.body.truncated {
		t.Fatalf("handler read %q, captured %q", b[:n], pr.body.buf)
	}
	big := strings.Repeat("x", 70<<10)
	r3, pr3 := s.provBegin(httptest.NewRequest("POST", SCIMPrefix+"/Users", strings.NewReader(big)))
	all := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := r3.Body.Read(buf)
		all.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	if all.Len() != len(big) || len(pr3.body.buf) != 64<<10 || !pr3.body.truncated || pr3.body.n != int64(len(big)) {
		t.Fatalf("read %d, captured %d, truncated %v", all.Len(), len(pr3.body.buf), pr3.body.truncated)
	}
}
