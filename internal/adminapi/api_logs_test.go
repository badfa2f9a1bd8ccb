package adminapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/websession"
)

func TestLogHandlers(t *testing.T) {
	s, st := newTestAPI(t)
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

// newTestAPI is the admin API over a fresh embedded store.
func newTestAPI(t *testing.T) (*API, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st, slog.New(slog.DiscardHandler))
	return New(svc, slog.New(slog.DiscardHandler), websession.New(svc, websession.Config{})), st
}
