package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testProvisioningActivity checks the hourly request and error counts the
// console's overview charts: what AppendProvisioningLog inserts is
// counted in its hour (once, even when a batch is written again), the
// read covers [since's hour, until's hour), oldest first, one team only,
// at most store.MaxActivityHours, and pruning by age takes the hours that
// ended before the cut.
func testProvisioningActivity(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "other")
	hour := base.Truncate(time.Hour) // 03:00
	var entries []store.ProvisioningEntry
	add := func(team store.Team, at time.Time, status int) {
		entries = append(entries, store.ProvisioningEntry{TeamID: team.ID, ID: fmt.Sprintf("pa-%03d", len(entries)), At: at,
			Method: "GET", Path: "/scim/v2/Users", Status: status})
	}
	// 03:xx: 3 requests, 1 error (409); 04:59:59.999: 1 request, 1 error
	// (500); 06:00 exactly: 2 requests; 3 days earlier: 1 request.
	add(tm, hour, 200)
	add(tm, hour.Add(30*time.Minute), 409)
	add(tm, hour.Add(59*time.Minute+59*time.Second), 201)
	add(tm, hour.Add(2*time.Hour-time.Millisecond), 500)
	add(tm, hour.Add(3*time.Hour), 204)
	add(tm, hour.Add(3*time.Hour), 399)
	add(tm, hour.Add(-72*time.Hour), 200)
	add(other, hour, 500)
	// Over 40 rows, so the insert runs in more than one statement.
	for i := range 45 {
		add(tm, hour.Add(-48*time.Hour+time.Duration(i)*time.Second), 400+i%2*100)
	}
	tx(t, s, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries) })
	// Written again (a retried batch) and again in part: nothing counts twice.
	tx(t, s, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries[:5]) })
	tx(t, s, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, entries) })

	show := func(as []store.HourlyActivity) string {
		out := ""
		for _, a := range as {
			out += fmt.Sprintf("%s %d/%d; ", a.Hour.UTC().Format("01-02T15"), a.Requests, a.Errors)
		}
		return out
	}
	cases := []struct {
		name         string
		since, until time.Time
		want         string
	}{
		{"a week", hour.Add(-7 * 24 * time.Hour), hour.Add(24 * time.Hour),
			"12-30T03 1/0; 12-31T03 45/45; 01-02T03 3/1; 01-02T04 1/1; 01-02T06 2/0; "},
		{"since inside an hour counts that hour", hour.Add(59 * time.Minute), hour.Add(4 * time.Hour), "01-02T03 3/1; 01-02T04 1/1; 01-02T06 2/0; "},
		{"until's hour is left out", hour, hour.Add(3*time.Hour + 30*time.Minute), "01-02T03 3/1; 01-02T04 1/1; "},
		{"an empty range", hour.Add(time.Hour), hour.Add(time.Hour), ""},
		{"a range over the cap starts MaxActivityHours before until", time.Time{}, hour.Add(time.Duration(store.MaxActivityHours-72) * time.Hour),
			"12-30T03 1/0; 12-31T03 45/45; 01-02T03 3/1; 01-02T04 1/1; 01-02T06 2/0; "},
		{"an hour later the oldest hour is past the cap", time.Time{}, hour.Add(time.Duration(store.MaxActivityHours-71) * time.Hour),
			"12-31T03 45/45; 01-02T03 3/1; 01-02T04 1/1; 01-02T06 2/0; "},
	}
	for _, c := range cases {
		got, err := s.ProvisioningActivity(ctx, tm.ID, c.since, c.until)
		if err != nil || show(got) != c.want {
			t.Errorf("ProvisioningActivity %s = %q, %v; want %q", c.name, show(got), err, c.want)
		}
	}
	if got, err := s.ProvisioningActivity(ctx, other.ID, hour.Add(-24*time.Hour), hour.Add(24*time.Hour)); err != nil || show(got) != "01-02T03 1/1; " {
		t.Errorf("the other team's activity = %q, %v", show(got), err)
	}

	// Pruning by age before 04:30 takes the hours that ended by 04:00
	// (and the entries before 04:30); the row cap takes entries only.
	tx(t, s, func(tx store.Tx) error {
		_, err := tx.PruneProvisioningLog(ctx, tm.ID, hour.Add(90*time.Minute), 0, 1000)
		return err
	})
	if got, _ := s.ProvisioningActivity(ctx, tm.ID, hour.Add(-7*24*time.Hour), hour.Add(24*time.Hour)); show(got) != "01-02T04 1/1; 01-02T06 2/0; " {
		t.Errorf("after pruning by age: %q", show(got))
	}
	tx(t, s, func(tx store.Tx) error {
		_, err := tx.PruneProvisioningLog(ctx, tm.ID, hour, 1, 1000)
		return err
	})
	if got, _ := s.ProvisioningActivity(ctx, tm.ID, hour.Add(-7*24*time.Hour), hour.Add(24*time.Hour)); show(got) != "01-02T04 1/1; 01-02T06 2/0; " {
		t.Errorf("after pruning by rows: %q", show(got))
	}
	if got, _ := s.ProvisioningActivity(ctx, other.ID, hour.Add(-24*time.Hour), hour.Add(24*time.Hour)); show(got) != "01-02T03 1/1; " {
		t.Errorf("pruning one team took the other's counts: %q", show(got))
	}
}
