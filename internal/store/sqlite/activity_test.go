package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// activityStore is a store with one team whose provisioning log holds n
// requests spread over the last 7 days, one in 20 an error.
func activityStore(tb testing.TB, n int) (*sqlstore.Store, string, time.Time) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	team := store.Team{ID: "team-1", Slug: "bench", Name: "Bench", DefaultRole: "Developer", Created: time.Now()}
	now := time.Now().UTC()
	if err := st.Tx(ctx, func(tx store.Tx) error { return tx.CreateTeam(ctx, team) }); err != nil {
		tb.Fatal(err)
	}
	step := 7 * 24 * time.Hour / time.Duration(max(n, 1))
	for start := 0; start < n; start += 500 {
		var batch []store.ProvisioningEntry
		for i := start; i < min(start+500, n); i++ {
			status := 200
			if i%20 == 0 {
				status = 409
			}
			batch = append(batch, store.ProvisioningEntry{TeamID: team.ID, ID: fmt.Sprintf("e%07d", i), At: now.Add(-time.Duration(i) * step),
				Method: "GET", Path: "/scim/v2/Users", Query: "filter=userName+eq+%22x%22", Status: status, KeyName: "okta",
				RequestBody: `{"userName":"someone@example.com"}`})
		}
		if err := st.Tx(ctx, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, batch) }); err != nil {
			tb.Fatal(err)
		}
	}
	return st, team.ID, now
}

// TestActivityReadsTheRollup: the overview's read is a primary-key range
// of provisioning_hourly, never the log.
func TestActivityReadsTheRollup(t *testing.T) {
	st, teamID, now := activityStore(t, 2000)
	stmts, err := st.ExplainCalls(context.Background(), "EXPLAIN QUERY PLAN", func(tx store.Tx) error {
		_, err := tx.ProvisioningActivity(context.Background(), teamID, now.Add(-7*24*time.Hour), now)
		return err
	})
	if err != nil || len(stmts) != 1 {
		t.Fatalf("%d statements, %v", len(stmts), err)
	}
	plan := stmts[0].Plan
	if !strings.Contains(plan, "SEARCH provisioning_hourly USING INDEX sqlite_autoindex_provisioning_hourly_1 (team_id=? AND hour>? AND hour<?)") ||
		strings.Contains(plan, "SCAN") || strings.Contains(plan, "provisioning_log") {
		t.Fatalf("plan:\n%s", plan)
	}
}

// BenchmarkOverviewActivity compares the overview's read of a week of
// hourly counts from the rollup with counting the same from the log, for
// a team whose log holds 100,000 requests (the default row cap).
func BenchmarkOverviewActivity(b *testing.B) {
	st, teamID, now := activityStore(b, 100_000)
	ctx := context.Background()
	since := now.Add(-7 * 24 * time.Hour)
	b.Run("rollup", func(b *testing.B) {
		for b.Loop() {
			hours, err := st.ProvisioningActivity(ctx, teamID, since, now.Add(time.Hour))
			if err != nil || len(hours) < 160 {
				b.Fatalf("%d hours, %v", len(hours), err)
			}
		}
	})
	b.Run("count the log", func(b *testing.B) {
		q := `SELECT substr(at, 1, 13), count(*), sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) FROM provisioning_log
			WHERE team_id = ? AND at >= ? GROUP BY substr(at, 1, 13)`
		for b.Loop() {
			rows, err := st.DB().QueryContext(ctx, q, teamID, since.Format("2006-01-02T15:04:05.000000000Z"))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n < 160 {
				b.Fatalf("%d hours", n)
			}
		}
	})
}

// BenchmarkAppendProvisioningLog is the provisioning log writer's batch
// of 500 entries, hourly counts included.
func BenchmarkAppendProvisioningLog(b *testing.B) {
	st, teamID, now := activityStore(b, 0)
	ctx := context.Background()
	seq := 0
	for b.Loop() {
		batch := make([]store.ProvisioningEntry, 500)
		for i := range batch {
			seq++
			batch[i] = store.ProvisioningEntry{TeamID: teamID, ID: fmt.Sprintf("b%09d", seq), At: now.Add(time.Duration(seq) * time.Second),
				Method: "PATCH", Path: "/scim/v2/Users/u", Status: 200 + seq%2*209, RequestBody: `{"Operations":[]}`}
		}
		if err := st.Tx(ctx, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, batch) }); err != nil {
			b.Fatal(err)
		}
	}
}
