package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// TestLargeGroup: a group of 100,000 members can be read whole, read
// without members, and grown by one member without the answer carrying
// the whole list (issue: group membership that scales).
func TestLargeGroup(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large group test skipped in -short mode")
	}
	// Full size without the race detector (see README: the scale command);
	// under -race the same checks run on 5,000 members.
	n := 100_000
	if raceEnabled {
		n = 5_000
	}
	srv := startServer(t)
	c, team := srv.newTeam("Big")
	gid := str(c.do("POST", "/Groups", map[string]any{"displayName": "Everyone"}).must(t, 201).Body, "id")
	ctx := context.Background()
	now := time.Now()
	ids := make([]string, n)
	err := srv.Store().Tx(ctx, func(tx store.Tx) error {
		for i := range ids {
			ids[i] = fmt.Sprintf("u-%06d", i)
			u := store.User{TeamID: team.ID, ID: ids[i], UserName: fmt.Sprintf("member%06d@example.com", i), Active: true,
				Source: "scim", Role: "Developer", Attrs: []byte(`{"active":true}`), Created: now, Modified: now, Version: 1}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return tx.AddMembers(ctx, team.ID, gid, ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("group of %d members", n)
	// The whole group.
	g := c.do("GET", "/Groups/"+gid, nil).must(t, 200)
	if members, _ := g.Body["members"].([]any); len(members) != n {
		t.Fatalf("GET returned %d members, want %d", len(members), n)
	}
	// Without members: no member key at all.
	if g := c.do("GET", "/Groups/"+gid+"?excludedAttributes=members", nil).must(t, 200); g.Body["members"] != nil {
		t.Fatal("excludedAttributes=members returned members")
	}
	// One more member: the answer doesn't list 100,001 of them.
	extra := c.createUser("extra@example.com")
	r := c.do("PATCH", "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": extra}}))).must(t, 200)
	if r.Body["members"] != nil || len(r.Raw) > 4096 {
		t.Fatalf("PATCH answer of a huge group carries %d bytes", len(r.Raw))
	}
	// Removing one member by filter leaves the rest.
	c.do("PATCH", "/Groups/"+gid, patch(op("remove", `members[value eq "`+ids[500]+`"]`, nil))).must(t, 200)
	if cnt, err := srv.Store().MemberCount(ctx, team.ID, gid); err != nil || cnt != n {
		t.Fatalf("member count %d, %v; want %d", cnt, err, n)
	}
	// Asking by name still lists them.
	if r := c.do("PATCH", "/Groups/"+gid+"?attributes=members", patch(op("add", "members", []any{map[string]any{"value": ids[500]}}))).must(t, 200); len(r.Body["members"].([]any)) != n+1 {
		t.Fatal("attributes=members did not list the members")
	}
}
