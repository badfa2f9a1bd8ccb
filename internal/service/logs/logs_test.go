package logs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// testService is the log queries on a fresh embedded store with one team,
// Acme (slug acme), made straight in the store (so with no audit event);
// it returns the team's id.
func testService(t *testing.T) (*Service, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	team := store.Team{ID: "team-acme", Slug: "acme", Name: "Acme", AdminEmail: "admin@acme.example", DefaultRole: "Developer", Created: time.Now()}
	if err := st.Tx(ctx, func(tx store.Tx) error { return tx.CreateTeam(ctx, team) }); err != nil {
		t.Fatal(err)
	}
	return New(st, domain.Env{}), team.ID
}

// awkward details: commas, quotes, line breaks, non-ASCII.
var awkward = []string{`{"a":"x,y"}`, `{"q":"say \"hi\""}`, "{\"n\":\"line1\\nline2\"}", `{"name":"Zoë, \"Z\""}`}

func addEvents(t *testing.T, svc *Service, teamID string, n int) {
	t.Helper()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// The log queries only read; the fixture is written through the
	// whole store behind them.
	err := svc.st.(store.Store).Tx(context.Background(), func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			actor := "scim-key:okta, primary" // a comma in a field
			if i%2 == 1 {
				actor = "cli:\"op\"" // quotes in a field
			}
			e := store.AuditEvent{TeamID: teamID, ID: fmt.Sprintf("e%04d", i), At: base.Add(time.Duration(i) * time.Second), Actor: actor,
				Action: "user.update", TargetType: "user", TargetID: fmt.Sprint("u", i), Detail: awkward[i%len(awkward)], RequestID: "r", IP: "10.0.0.1"}
			if err := tx.AppendAudit(context.Background(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExportAuditCSV(t *testing.T) {
	svc, teamID := testService(t)
	addEvents(t, svc, teamID, 2500) // more than two pages of MaxLogPage
	var buf bytes.Buffer
	if err := svc.ExportAudit(context.Background(), teamID, store.AuditQuery{ActionPrefix: "user.update"}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, strings.Join(AuditCSVHeader, ",")+"\r\n") {
		t.Fatalf("header: %q", raw[:80])
	}
	// RFC 4180: CRLF records, fields with , " or line breaks quoted, quotes doubled.
	for _, want := range []string{`"scim-key:okta, primary"`, `"cli:""op"""`, `"{""a"":""x,y""}"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("CSV lacks %s", want)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2501 {
		t.Fatalf("%d records, want header + 2500", len(recs))
	}
	first := recs[1]
	if first[0] != "e2499" || first[4] != "user:u2499" || first[7] != awkward[2499%len(awkward)] || first[2] != `cli:"op"` {
		t.Fatalf("first row %q", first)
	}
	if recs[2500][0] != "e0000" {
		t.Fatalf("last row %q", recs[2500])
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[0]] {
			t.Fatalf("row %s twice", r[0])
		}
		seen[r[0]] = true
	}
}

func TestExportAuditJSONL(t *testing.T) {
	svc, teamID := testService(t)
	addEvents(t, svc, teamID, 5)
	var buf bytes.Buffer
	if err := svc.ExportAudit(context.Background(), teamID, store.AuditQuery{}, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		for _, k := range []string{"at", "actor", "action", "target", "detail", "request_id", "ip", "id"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", n, k, sc.Text())
			}
		}
		n++
	}
	// The 5 events (the team was made without one).
	if n != 5 {
		t.Fatalf("%d lines", n)
	}
	if err := svc.ExportAudit(context.Background(), teamID, store.AuditQuery{}, "xml", &buf); err == nil {
		t.Fatal("format xml accepted")
	}
}

func TestQueryAuditPaging(t *testing.T) {
	svc, teamID := testService(t)
	addEvents(t, svc, teamID, 7)
	var got []string
	q := store.AuditQuery{ActionPrefix: "user.", Limit: 3}
	for pages := 0; ; pages++ {
		p, err := svc.QueryAudit(context.Background(), teamID, q)
		if err != nil || pages > 5 {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			got = append(got, e.ID)
		}
		if p.Next == "" {
			break
		}
		if q.After, err = DecodeCursor(p.Next); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(got) != "[e0006 e0005 e0004 e0003 e0002 e0001 e0000]" {
		t.Fatalf("pages = %v", got)
	}
	for _, bad := range []string{"nope", "bm9waXBl", EncodeCursor(store.LogCursor{})[:5]} {
		if _, err := DecodeCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

func TestParseStatusFilter(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		bad    bool
	}{
		{"", 0, 0, false}, {"error", 400, 0, false}, {"4xx", 400, 499, false}, {"5XX", 500, 599, false},
		{"409", 409, 409, false}, {"abc", 0, 0, true}, {"99", 0, 0, true}, {"6xx", 0, 0, true},
	}
	for _, tc := range tests {
		lo, hi, err := ParseStatusFilter(tc.in)
		if (err != nil) != tc.bad || lo != tc.lo || hi != tc.hi {
			t.Errorf("ParseStatusFilter(%q) = %d, %d, %v", tc.in, lo, hi, err)
		}
	}
}
