package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestUnfilteredPagingIsExact: unfiltered pages come from team_user_stats
// and cached cursors (sqlstore/userstats.go); with users created and
// deleted between pages, in the middle of the order too, every page and
// total must still be exactly what OFFSET over the current rows gives.
func TestUnfilteredPagingIsExact(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(fn func(store.Tx) error) {
		t.Helper()
		if err := s.Tx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	add := func(team string, at time.Time) string {
		n++
		u := store.User{TeamID: team, ID: fmt.Sprintf("u%03d", n), UserName: fmt.Sprintf("user%03d@example.com", n),
			Active: true, Source: "scim", Role: "Developer", Attrs: []byte(`{}`), Created: at, Modified: at, Version: 1}
		run(func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
		return u.ID
	}
	for _, tm := range []string{"t1", "t2"} {
		run(func(tx store.Tx) error {
			return tx.CreateTeam(ctx, store.Team{ID: tm, Slug: tm, Name: tm, AdminEmail: "a@example.com", DefaultRole: "Developer", Created: base})
		})
	}
	var ids []string
	for i := range 40 {
		// Pairs share a creation time: the order falls back to the id.
		ids = append(ids, add("t1", base.Add(time.Duration(i/2)*time.Minute)))
	}
	add("t2", base) // another team's users are not counted
	// want is the page OFFSET gives; inside a transaction the list takes
	// the generic path (count, LIMIT/OFFSET), the reference.
	want := func(off, limit int) (string, int) {
		var page []store.User
		var total int
		run(func(tx store.Tx) error {
			var err error
			page, total, err = tx.ListUsers(ctx, "t1", store.Query{Page: store.Page{Offset: off, Limit: limit}})
			return err
		})
		return names(page), total
	}
	check := func(step string, off, limit int) {
		t.Helper()
		page, total, err := s.ListUsers(ctx, "t1", store.Query{Page: store.Page{Offset: off, Limit: limit}})
		if err != nil {
			t.Fatal(err)
		}
		if w, wt := want(off, limit); names(page) != w || total != wt {
			t.Fatalf("%s: page at %d: got %s (total %d), want %s (total %d)", step, off, names(page), total, w, wt)
		}
	}
	for off := 0; off < 45; off += 7 {
		check("first pass", off, 7)
	}
	check("again, from cursors", 14, 7)
	check("between cursors", 17, 5)
	// A user created with an early time lands in the middle of the order.
	add("t1", base.Add(90*time.Second))
	check("after an insert", 14, 7)
	check("after an insert", 21, 7)
	run(func(tx store.Tx) error { return tx.DeleteUser(ctx, "t1", ids[3]) })
	for off := 0; off < 45; off += 7 {
		check("after a delete", off, 7)
	}
	// A transaction rolled back leaves neither its count nor its cursors.
	_ = s.Tx(ctx, func(tx store.Tx) error {
		_ = tx.DeleteUser(ctx, "t1", ids[5])
		_, _, _ = tx.ListUsers(ctx, "t1", store.Query{Page: store.Page{Offset: 7, Limit: 7}})
		return fmt.Errorf("roll back")
	})
	for off := 0; off < 45; off += 7 {
		check("after a rollback", off, 7)
	}
	if _, total, _ := s.ListUsers(ctx, "t1", store.Query{Page: store.Page{Limit: 0}}); total != 40 {
		t.Fatalf("count only: %d, want 40", total)
	}
	if _, total, _ := s.ListUsers(ctx, "t2", store.Query{Page: store.Page{Limit: 10}}); total != 1 {
		t.Fatalf("other team: %d, want 1", total)
	}
	// A page resumed from a cursor seeks in the order index.
	rows, err := s.DB().QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT u.id FROM users u WHERE u.team_id = ? AND (u.created, u.id) > (?, ?)
		ORDER BY u.created, u.id LIMIT 10 OFFSET 0`, "t1", "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var a, b, c int
		var d string
		if err := rows.Scan(&a, &b, &c, &d); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(d + "\n")
	}
	if p := plan.String(); !strings.Contains(p, "users_order (team_id=? AND (created,id)>(?,?))") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("cursor page plan:\n%s", p)
	}
}

func names(us []store.User) string {
	var b strings.Builder
	for _, u := range us {
		b.WriteString(u.ID + " ")
	}
	return b.String()
}
