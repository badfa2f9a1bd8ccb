// Package storetest is the storage conformance suite: every backend runs
// the same tests through Run, so they behave alike (the dex
// storage/conformance model).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// Run runs the whole suite. newStore must return an empty, migrated store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Teams", testTeams},
		{"Keys", testKeys},
		{"UserCRUD", testUserCRUD},
		{"UserNameUniqueCaseInsensitive", testUserNameUnique},
		{"UserVersionCheck", testUserVersion},
		{"ListUsersPagingAndFilters", testListUsers},
		{"UnsupportedFilter", testUnsupportedFilter},
		{"FiltersOnStoredAttributes", testJSONFilters},
		{"Sort", testSort},
		{"FilterMatchesReferenceEvaluator", testFilterProperty},
		{"FoldMatchesReferenceEvaluator", testFoldProperty}, // fold.go
		{"Groups", testGroups},
		{"GroupMembership", testMembership},
		{"DeleteUserLeavesGroups", testDeleteUserLeavesGroups},
		{"TenantIsolation", testTenantIsolation},
		{"TxRollback", testTxRollback},
		{"Invites", testInvites},
		{"Audit", testAudit},
		{"Logs", testLogs},                                 // logs.go
		{"ProvisioningActivity", testProvisioningActivity}, // activity.go
		{"Accounts", testAccounts},                         // accounts.go
		{"MemberQueries", testMemberQueries},               // accounts.go
		{"InviteLinks", testInviteLinks},                   // accounts.go
		{"AccountLinks", testAccountLinks},                 // accounts.go
		{"ConcurrentWrites", testConcurrentWrites},
		// events.go:
		{"Events", testEvents},
		{"EventOrder", testEventOrder},
		{"EventBatchSizes", testEventBatchSizes},
		{"MembershipChanges", testMembershipChanges},
		{"Webhooks", testWebhooks},
		{"DeprovisionGuard", testDeprovisionGuard},
		{"LockTeam", testLockTeam},
		{"EventReadsInsideTx", testEventReadsInsideTx},
		{"TeamSettings", testTeamSettings},   // contract.go
		{"Seats", testSeats},                 // contract.go
		{"GroupQueries", testGroupQueries},   // contract.go
		{"SessionsEnd", testSessionsEnd},     // contract.go
		{"ReadsInsideTx", testReadsInsideTx}, // contract.go
		{"SSO", testSSO},                     // sso.go
		{"Close", testClose},                 // contract.go
	}
	// Every test runs on a recording proxy of the store (record.go), so
	// that, once all have run, EveryMethodCalled can name each method of
	// the contract that no test calls.
	rec := newRecorder()
	ran, passed := 0, true
	for _, tc := range tests {
		passed = t.Run(tc.name, func(t *testing.T) {
			ran++
			w := rec.wrap(newStore(t))
			t.Cleanup(w.closeUnlessClosed)
			tc.fn(t, w)
		}) && passed
	}
	t.Run("EveryMethodCalled", func(t *testing.T) {
		switch {
		case ran < len(tests):
			t.Skipf("%d of the %d conformance tests ran (-run): which methods they call is checked only when all run", ran, len(tests))
		case !passed:
			t.Skip("a conformance test failed: which methods the suite calls is checked only when all pass")
		}
		testEveryMethodCalled(t, rec)
	})
}

var ctx = context.Background()

// base is a fixed clock so stored times are predictable.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// seq numbers ids; concurrent writers (testEventOrder) call id at once.
var seq atomic.Int64

func id(prefix string) string {
	return fmt.Sprintf("%s-%06d", prefix, seq.Add(1))
}

func tx(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Tx(ctx, fn); err != nil {
		t.Fatalf("tx: %v", err)
	}
}

func mkTeam(t *testing.T, s store.Store, slug string) store.Team {
	t.Helper()
	tm := store.Team{ID: id("team"), Slug: slug, Name: slug, AdminEmail: "admin@" + slug + ".example", DefaultRole: "Developer", Created: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateTeam(ctx, tm) })
	return tm
}

func mkUser(t *testing.T, s store.Store, teamID, userName string, mod func(*store.User)) store.User {
	t.Helper()
	n := seq.Add(1)
	u := store.User{
		TeamID: teamID, ID: id("user"), UserName: userName, Active: true, Source: "scim", Role: "Developer",
		Emails: []store.Email{{Value: userName, Type: "work", Primary: true}}, Attrs: []byte(`{"userName":"` + userName + `"}`),
		Created: base.Add(time.Duration(n) * time.Second), Modified: base.Add(time.Duration(n) * time.Second), Version: 1,
	}
	if mod != nil {
		mod(&u)
	}
	tx(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	return u
}

func mkGroup(t *testing.T, s store.Store, teamID, name string) store.Group {
	t.Helper()
	n := seq.Add(1)
	g := store.Group{TeamID: teamID, ID: id("group"), DisplayName: name, Attrs: []byte(`{"displayName":"` + name + `"}`),
		Created: base.Add(time.Duration(n) * time.Second), Modified: base, Version: 1}
	tx(t, s, func(tx store.Tx) error { return tx.CreateGroup(ctx, g) })
	return g
}

func eq(name, v string) filter.Expr {
	return filter.Compare{Path: filter.AttrPath{Name: name}, Op: filter.Eq, Value: filter.Value{Kind: filter.String, Str: v}}
}

func userNames(us []store.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserName
	}
	return out
}

func testTeams(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	got, err := s.TeamBySlug(ctx, "acme")
	if err != nil || got.ID != tm.ID || got.SCIMEnabled || !got.Created.Equal(base) {
		t.Fatalf("TeamBySlug = %+v, %v", got, err)
	}
	if _, err := s.TeamBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown slug: %v, want ErrNotFound", err)
	}
	err = s.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateTeam(ctx, store.Team{ID: id("team"), Slug: "acme", Name: "x", DefaultRole: "Developer", Created: base})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate slug: %v, want ErrConflict", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.SetSCIMEnabled(ctx, tm.ID, true) })
	if got, _ := s.Team(ctx, tm.ID); !got.SCIMEnabled {
		t.Fatal("SCIM not enabled after SetSCIMEnabled(true)")
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.SetSCIMEnabled(ctx, "missing", true) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetSCIMEnabled on missing team: %v", err)
	}
	list, err := s.ListTeams(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListTeams = %v, %v", list, err)
	}
}

func testKeys(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	exp := base.Add(time.Hour)
	k := store.SCIMKey{TeamID: tm.ID, ID: id("key"), Name: "okta", Prefix: "rsk_abc", Hash: []byte("hash-1"), CreatedBy: "cli", Created: base, ExpiresAt: &exp}
	tx(t, s, func(tx store.Tx) error { return tx.CreateKey(ctx, k) })
	got, err := s.KeyByHash(ctx, []byte("hash-1"))
	if err != nil || got.ID != k.ID || got.TeamID != tm.ID || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	if _, err := s.KeyByHash(ctx, []byte("other")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	if got.Privileged {
		t.Fatalf("a key stored unprivileged reads back privileged")
	}
	pk := store.SCIMKey{TeamID: tm.ID, ID: id("key"), Name: "entra", Prefix: "rsk_def", Hash: []byte("hash-2"), CreatedBy: "account:sa@example.com", Created: base.Add(time.Second), Privileged: true}
	tx(t, s, func(tx store.Tx) error { return tx.CreateKey(ctx, pk) })
	if got, _, err := s.KeyWithTeam(ctx, []byte("hash-2")); err != nil || !got.Privileged {
		t.Fatalf("KeyWithTeam(privileged) = %+v, %v", got, err)
	}
	used := base.Add(time.Minute)
	tx(t, s, func(tx store.Tx) error { return tx.TouchKey(ctx, tm.ID, k.ID, used, "192.0.2.1") })
	tx(t, s, func(tx store.Tx) error { return tx.RevokeKey(ctx, tm.ID, k.ID, used) })
	keys, err := s.ListKeys(ctx, tm.ID)
	if err != nil || len(keys) != 2 || keys[0].ID != k.ID {
		t.Fatalf("ListKeys = %v, %v", keys, err)
	}
	if g := keys[0]; g.LastUsedAt == nil || !g.LastUsedAt.Equal(used) || g.LastUsedIP != "192.0.2.1" || g.RevokedAt == nil {
		t.Fatalf("after touch and revoke: %+v", g)
	}
	other := mkTeam(t, s, "other")
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.RevokeKey(ctx, other.ID, k.ID, used) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking another team's key: %v, want ErrNotFound", err)
	}
}

func testUserCRUD(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	u := mkUser(t, s, tm.ID, "Bjensen@Example.com", func(u *store.User) {
		u.ExternalID = "ext-1"
		u.DisplayName = "Barbara"
		u.Emails = []store.Email{{Value: "bjensen@example.com", Type: "work", Primary: true}, {Value: "babs@home.example", Type: "home"}}
	})
	got, err := s.User(ctx, tm.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserName != u.UserName || got.ExternalID != "ext-1" || !got.Active || got.Version != 1 || string(got.Attrs) != string(u.Attrs) || !got.Created.Equal(u.Created) {
		t.Fatalf("User = %+v", got)
	}
	if len(got.Emails) != 2 {
		t.Fatalf("emails = %v", got.Emails)
	}
	u.Active = false
	u.UserName = "barbara@example.com"
	u.Emails = []store.Email{{Value: "barbara@example.com", Type: "work"}}
	u.Version = 2
	tx(t, s, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) })
	got, _ = s.User(ctx, tm.ID, u.ID)
	if got.Active || got.UserName != "barbara@example.com" || got.Version != 2 || len(got.Emails) != 1 {
		t.Fatalf("after update: %+v", got)
	}
	// The old email no longer finds the user; the new one does.
	if _, n, _ := s.ListUsers(ctx, tm.ID, store.Query{Filter: filter.Compare{Path: filter.AttrPath{Name: "emails", Sub: "value"}, Op: filter.Eq, Value: filter.Value{Kind: filter.String, Str: "BJENSEN@example.com"}}, Page: store.Page{Limit: 10}}); n != 0 {
		t.Fatalf("old email still matches %d users", n)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, tm.ID, u.ID) })
	if _, err := s.User(ctx, tm.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, tm.ID, u.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testUserNameUnique(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	mkUser(t, s, tm.ID, "alice@example.com", nil)
	err := s.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateUser(ctx, store.User{TeamID: tm.ID, ID: id("user"), UserName: "ALICE@example.COM", Active: true, Attrs: []byte("{}"), Created: base, Modified: base, Version: 1})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("case-variant duplicate: %v, want ErrConflict", err)
	}
	// The same userName in another team is fine.
	other := mkTeam(t, s, "other")
	mkUser(t, s, other.ID, "alice@example.com", nil)
	// Renaming onto a taken name conflicts too.
	b := mkUser(t, s, tm.ID, "bob@example.com", nil)
	b.UserName, b.Version = "Alice@Example.com", 2
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, b) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("rename onto taken name: %v", err)
	}
}

func testUserVersion(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	u := mkUser(t, s, tm.ID, "v@example.com", nil)
	u.Version = 3 // skips version 2: someone else's update is assumed lost
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) }); !errors.Is(err, store.ErrStale) {
		t.Fatalf("stale version: %v, want ErrStale", err)
	}
	u.ID = "missing"
	u.Version = 2
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v, want ErrNotFound", err)
	}
}

func testListUsers(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	var want []string
	for i := 0; i < 25; i++ {
		name := fmt.Sprintf("user%02d@example.com", i)
		mkUser(t, s, tm.ID, name, func(u *store.User) {
			u.ExternalID = fmt.Sprintf("EXT-%d", i)
			u.Active = i%2 == 0
		})
		want = append(want, name)
	}
	// Pages in a stable order, never overlapping.
	var got []string
	for off := 0; off < 30; off += 10 {
		page, total, err := s.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Offset: off, Limit: 10}})
		if err != nil || total != 25 {
			t.Fatalf("page %d: total %d, %v", off, total, err)
		}
		got = append(got, userNames(page)...)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paging order:\n got %v\nwant %v", got, want)
	}
	if page, total, _ := s.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Offset: 0, Limit: 0}}); total != 25 || len(page) != 0 {
		t.Fatalf("count only: %d rows, total %d", len(page), total)
	}
	if page, total, _ := s.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Offset: 100, Limit: 10}}); total != 25 || len(page) != 0 {
		t.Fatalf("past the end: %d rows, total %d", len(page), total)
	}
	active := filter.Compare{Path: filter.AttrPath{Name: "active"}, Op: filter.Eq, Value: filter.Value{Kind: filter.Bool, Bool: true}}
	cases := []struct {
		name string
		f    filter.Expr
		want []string
	}{
		{"userName eq, other case", eq("USERNAME", "USER03@EXAMPLE.COM"), []string{"user03@example.com"}},
		{"externalId eq is case-exact", eq("externalId", "ext-3"), nil},
		{"externalId eq", eq("externalId", "EXT-3"), []string{"user03@example.com"}},
		{"emails.value eq", filter.Compare{Path: filter.AttrPath{Name: "emails", Sub: "value"}, Op: filter.Eq, Value: filter.Value{Kind: filter.String, Str: "User04@example.com"}}, []string{"user04@example.com"}},
		{"emails[value eq]", filter.ValuePath{Path: filter.AttrPath{Name: "emails"}, Filter: eq("value", "user05@example.com")}, []string{"user05@example.com"}},
		{"and active", filter.And{Left: eq("userName", "user03@example.com"), Right: active}, nil},
		{"or", filter.Or{Left: eq("userName", "user01@example.com"), Right: eq("userName", "user02@example.com")}, []string{"user01@example.com", "user02@example.com"}},
		{"not", filter.And{Left: filter.Not{X: active}, Right: filter.Compare{Path: filter.AttrPath{Name: "userName"}, Op: filter.Sw, Value: filter.Value{Kind: filter.String, Str: "USER1"}}},
			[]string{"user11@example.com", "user13@example.com", "user15@example.com", "user17@example.com", "user19@example.com"}},
		{"ew", filter.Compare{Path: filter.AttrPath{Name: "userName"}, Op: filter.Ew, Value: filter.Value{Kind: filter.String, Str: "24@EXAMPLE.com"}}, []string{"user24@example.com"}},
		{"co", filter.Compare{Path: filter.AttrPath{Name: "userName"}, Op: filter.Co, Value: filter.Value{Kind: filter.String, Str: "r2"}},
			[]string{"user20@example.com", "user21@example.com", "user22@example.com", "user23@example.com", "user24@example.com"}},
		{"id eq", eq("id", "nope"), nil},
		{"meta.created gt", filter.And{Left: filter.Compare{Path: filter.AttrPath{Name: "meta", Sub: "created"}, Op: filter.Gt, Value: filter.Value{Kind: filter.String, Str: "2000-01-01T00:00:00Z"}}, Right: eq("userName", "user00@example.com")}, []string{"user00@example.com"}},
		{"meta.lastModified lt", filter.Compare{Path: filter.AttrPath{Name: "meta", Sub: "lastModified"}, Op: filter.Lt, Value: filter.Value{Kind: filter.String, Str: "2000-01-01T00:00:00Z"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, total, err := s.ListUsers(ctx, tm.ID, store.Query{Filter: c.f, Page: store.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			names := userNames(page)
			sort.Strings(names)
			if total != len(c.want) || fmt.Sprint(names) != fmt.Sprint(c.want) && len(c.want) > 0 {
				t.Fatalf("got %v (total %d), want %v", names, total, c.want)
			}
		})
	}
}

func testUnsupportedFilter(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	for _, f := range []filter.Expr{
		eq("nickNameTypo", "x"),
		eq("password", "x"),
		filter.Compare{Path: filter.AttrPath{URN: "urn:example:unknown", Name: "x"}, Op: filter.Eq, Value: filter.Value{Kind: filter.String, Str: "x"}},
		eq("name", "x"), // complex without a sub-attribute
		filter.Compare{Path: filter.AttrPath{Name: "emails", Sub: "primary"}, Op: filter.Gt, Value: filter.Value{Kind: filter.Bool, Bool: true}},
		filter.Compare{Path: filter.AttrPath{Name: "active"}, Op: filter.Gt, Value: filter.Value{Kind: filter.Bool, Bool: true}},
		filter.Compare{Path: filter.AttrPath{Name: "meta", Sub: "created"}, Op: filter.Gt, Value: filter.Value{Kind: filter.String, Str: "yesterday"}},
	} {
		_, _, err := s.ListUsers(ctx, tm.ID, store.Query{Filter: f, Page: store.Page{Limit: 10}})
		var uf *store.UnsupportedFilterError
		if !errors.As(err, &uf) {
			t.Errorf("filter %#v: err %v, want UnsupportedFilterError", f, err)
		}
	}
}

func testGroups(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	g := mkGroup(t, s, tm.ID, "Engineering")
	if err := s.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateGroup(ctx, store.Group{TeamID: tm.ID, ID: id("group"), DisplayName: "ENGINEERING", Attrs: []byte("{}"), Created: base, Modified: base, Version: 1})
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate displayName: %v", err)
	}
	g.DisplayName, g.Version = "Eng", 2
	tx(t, s, func(tx store.Tx) error { return tx.UpdateGroup(ctx, g) })
	got, err := s.Group(ctx, tm.ID, g.ID)
	if err != nil || got.DisplayName != "Eng" || got.Version != 2 {
		t.Fatalf("Group = %+v, %v", got, err)
	}
	list, total, err := s.ListGroups(ctx, tm.ID, store.Query{Filter: eq("displayName", "eng"), Page: store.Page{Limit: 10}})
	if err != nil || total != 1 || list[0].ID != g.ID {
		t.Fatalf("ListGroups displayName eq = %v %d %v", list, total, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteGroup(ctx, tm.ID, g.ID) })
	if _, err := s.Group(ctx, tm.ID, g.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func memberIDs(t *testing.T, s store.Store, teamID, groupID string) []string {
	t.Helper()
	ms, err := s.Members(ctx, teamID, groupID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	sort.Strings(out)
	return out
}

func testMembership(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	a := mkUser(t, s, tm.ID, "a@example.com", func(u *store.User) { u.DisplayName = "Ann" })
	b := mkUser(t, s, tm.ID, "b@example.com", nil)
	c := mkUser(t, s, tm.ID, "c@example.com", nil)
	g := mkGroup(t, s, tm.ID, "G")
	tx(t, s, func(tx store.Tx) error { return tx.AddMembers(ctx, tm.ID, g.ID, []string{a.ID, b.ID}) })
	tx(t, s, func(tx store.Tx) error { return tx.AddMembers(ctx, tm.ID, g.ID, []string{b.ID, c.ID}) }) // union
	want := []string{a.ID, b.ID, c.ID}
	sort.Strings(want)
	if got := memberIDs(t, s, tm.ID, g.ID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("members = %v, want %v", got, want)
	}
	ms, _ := s.Members(ctx, tm.ID, g.ID)
	for _, m := range ms {
		if m.UserID == a.ID && m.Display != "Ann" || m.UserID == b.ID && m.Display != "b@example.com" {
			t.Fatalf("display of %s = %q", m.UserID, m.Display)
		}
	}
	tx(t, s, func(tx store.Tx) error { return tx.RemoveMembers(ctx, tm.ID, g.ID, []string{b.ID, "unknown"}) })
	if got := memberIDs(t, s, tm.ID, g.ID); len(got) != 2 {
		t.Fatalf("after remove: %v", got)
	}
	groups, err := s.GroupsOfUser(ctx, tm.ID, a.ID)
	if err != nil || len(groups) != 1 || groups[0].GroupID != g.ID || groups[0].Display != "G" {
		t.Fatalf("GroupsOfUser = %v, %v", groups, err)
	}
	byMember, total, err := s.ListGroups(ctx, tm.ID, store.Query{Filter: filter.ValuePath{Path: filter.AttrPath{Name: "members"}, Filter: eq("value", c.ID)}, Page: store.Page{Limit: 10}})
	if err != nil || total != 1 || byMember[0].ID != g.ID {
		t.Fatalf("groups with member c = %v, %d, %v", byMember, total, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.RemoveAllMembers(ctx, tm.ID, g.ID) })
	if got := memberIDs(t, s, tm.ID, g.ID); len(got) != 0 {
		t.Fatalf("after remove all: %v", got)
	}
	found, err := s.ExistingUsers(ctx, tm.ID, []string{a.ID, "nope", c.ID})
	if err != nil || !found[a.ID] || !found[c.ID] || found["nope"] {
		t.Fatalf("ExistingUsers = %v, %v", found, err)
	}
}

func testDeleteUserLeavesGroups(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	a := mkUser(t, s, tm.ID, "a@example.com", nil)
	g1, g2 := mkGroup(t, s, tm.ID, "G1"), mkGroup(t, s, tm.ID, "G2")
	tx(t, s, func(tx store.Tx) error {
		if err := tx.AddMembers(ctx, tm.ID, g1.ID, []string{a.ID}); err != nil {
			return err
		}
		return tx.AddMembers(ctx, tm.ID, g2.ID, []string{a.ID})
	})
	tx(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, tm.ID, a.ID) })
	for _, g := range []store.Group{g1, g2} {
		if got := memberIDs(t, s, tm.ID, g.ID); len(got) != 0 {
			t.Fatalf("group %s still lists %v", g.DisplayName, got)
		}
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	a, b := mkTeam(t, s, "team-a"), mkTeam(t, s, "team-b")
	ua := mkUser(t, s, a.ID, "same@example.com", nil)
	ga := mkGroup(t, s, a.ID, "Same")
	if _, err := s.User(ctx, b.ID, ua.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("team B reads team A's user: %v", err)
	}
	if _, err := s.Group(ctx, b.ID, ga.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("team B reads team A's group: %v", err)
	}
	if _, n, _ := s.ListUsers(ctx, b.ID, store.Query{Page: store.Page{Limit: 10}}); n != 0 {
		t.Fatalf("team B lists %d users", n)
	}
	if _, n, _ := s.ListUsers(ctx, b.ID, store.Query{Filter: eq("userName", "same@example.com"), Page: store.Page{Limit: 10}}); n != 0 {
		t.Fatalf("team B filters %d users", n)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, b.ID, ua.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("team B deletes team A's user: %v", err)
	}
	ub := mkUser(t, s, b.ID, "b@example.com", nil)
	if found, _ := s.ExistingUsers(ctx, a.ID, []string{ub.ID}); found[ub.ID] {
		t.Fatal("team A sees team B's user as existing")
	}
	if err := s.Tx(ctx, func(tx store.Tx) error {
		ua2 := ua
		ua2.TeamID, ua2.Version = b.ID, 2
		return tx.UpdateUser(ctx, ua2)
	}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("team B updates team A's user: %v", err)
	}
	if _, err := s.User(ctx, a.ID, ua.ID); err != nil {
		t.Fatalf("team A's user damaged: %v", err)
	}
}

func testTxRollback(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, store.User{TeamID: tm.ID, ID: "u1", UserName: "x@example.com", Active: true, Attrs: []byte("{}"), Created: base, Modified: base, Version: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx err = %v", err)
	}
	if _, err := s.User(ctx, tm.ID, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back user exists: %v", err)
	}
}

func testInvites(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	inv := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "New@Example.com", Role: "Admin", Status: "pending", Created: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateInvite(ctx, inv) })
	got, err := s.PendingInvite(ctx, tm.ID, "new@example.COM")
	if err != nil || got.ID != inv.ID || got.Role != "Admin" {
		t.Fatalf("PendingInvite = %+v, %v", got, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.CloseInvite(ctx, tm.ID, inv.ID, "claimed", base) })
	if _, err := s.PendingInvite(ctx, tm.ID, "new@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closed invite still pending: %v", err)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CloseInvite(ctx, tm.ID, inv.ID, "claimed", base) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing twice: %v", err)
	}
}

func testAudit(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "other")
	for i := 0; i < 3; i++ {
		e := store.AuditEvent{TeamID: tm.ID, ID: id("ev"), At: base.Add(time.Duration(i) * time.Minute), Actor: "scim-key:okta", Action: fmt.Sprintf("a%d", i), TargetType: "user", TargetID: "u", Detail: "{}"}
		tx(t, s, func(tx store.Tx) error { return tx.AppendAudit(ctx, e) })
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendAudit(ctx, store.AuditEvent{TeamID: other.ID, ID: id("ev"), At: base, Action: "x", Detail: "{}"})
	})
	got, err := s.ListAudit(ctx, tm.ID, 2)
	if err != nil || len(got) != 2 || got[0].Action != "a2" || got[1].Action != "a1" {
		t.Fatalf("ListAudit = %+v, %v", got, err)
	}
}

// testConcurrentWrites checks that parallel writers neither fail nor lose
// rows: the store must serialise them itself.
func testConcurrentWrites(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	g := mkGroup(t, s, tm.ID, "G")
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = mkUser(t, s, tm.ID, fmt.Sprintf("c%02d@example.com", i), nil).ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, uid := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Tx(ctx, func(tx store.Tx) error { return tx.AddMembers(ctx, tm.ID, g.ID, []string{uid}) })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent add: %v", err)
		}
	}
	if got := memberIDs(t, s, tm.ID, g.ID); len(got) != n {
		t.Fatalf("%d members after %d concurrent adds", len(got), n)
	}
}

// testLockTeam: LockTeam refuses an unknown team, and writers that take
// it before a check-then-insert take turns: of 8 concurrent "create the
// key named okta unless the team has one", exactly one inserts.
func testLockTeam(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.LockTeam(ctx, "nope") }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LockTeam of no team: %v, want ErrNotFound", err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Tx(ctx, func(tx store.Tx) error {
				if err := tx.LockTeam(ctx, tm.ID); err != nil {
					return err
				}
				keys, err := tx.ListKeys(ctx, tm.ID)
				if err != nil || len(keys) > 0 {
					return err
				}
				return tx.CreateKey(ctx, store.SCIMKey{TeamID: tm.ID, ID: id("key"), Name: "okta", Prefix: fmt.Sprintf("rsk_%06d", i),
					Hash: []byte(fmt.Sprintf("hash-%d", i)), CreatedBy: "test", Created: base})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent locked create: %v", err)
		}
	}
	if keys, err := s.ListKeys(ctx, tm.ID); err != nil || len(keys) != 1 {
		t.Fatalf("%d keys after %d concurrent check-then-create under LockTeam (%v), want 1", len(keys), n, err)
	}
}

// profile is a user with the attributes the JSON-backed filters read.
func profile(userName, given, family, nick, employee string, phones []string, primaryRole string) func(*store.User) {
	return func(u *store.User) {
		attrs := map[string]any{
			"userName": userName,
			"name":     map[string]any{"givenName": given},
			"nickName": nick,
			"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}, map[string]any{"value": "home-" + userName, "type": "home"}},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": employee, "manager": map[string]any{"value": "boss-" + employee}},
		}
		if family != "" {
			attrs["name"].(map[string]any)["familyName"] = family
		}
		var ph []any
		for i, p := range phones {
			typ := "work"
			if i > 0 {
				typ = "mobile"
			}
			ph = append(ph, map[string]any{"value": p, "type": typ})
		}
		if ph != nil {
			attrs["phoneNumbers"] = ph
		}
		if primaryRole != "" {
			attrs["roles"] = []any{map[string]any{"value": "other"}, map[string]any{"value": primaryRole, "primary": true}}
		}
		b, _ := json.Marshal(attrs)
		u.Attrs = b
		u.Emails = []store.Email{{Value: userName, Type: "work", Primary: true}, {Value: "home-" + userName, Type: "home"}}
	}
}

func str(name string, op filter.Op, v string) filter.Expr {
	p := filter.AttrPath{Name: name}
	if i := strings.IndexByte(name, '.'); i > 0 {
		p = filter.AttrPath{Name: name[:i], Sub: name[i+1:]}
	}
	return filter.Compare{Path: p, Op: op, Value: filter.Value{Kind: filter.String, Str: v}}
}

func ent(name string, op filter.Op, v string) filter.Expr {
	p := filter.AttrPath{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name: name}
	if i := strings.IndexByte(name, '.'); i > 0 {
		p.Name, p.Sub = name[:i], name[i+1:]
	}
	return filter.Compare{Path: p, Op: op, Value: filter.Value{Kind: filter.String, Str: v}}
}

func testJSONFilters(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	mkUser(t, s, tm.ID, "ann@example.com", profile("ann@example.com", "Ann", "Lee", "Annie", "701984", []string{"555-0100", "555-0199"}, "admin"))
	mkUser(t, s, tm.ID, "bob@example.com", profile("bob@example.com", "Bob", "Stark", "", "42", []string{"555-0200"}, ""))
	mkUser(t, s, tm.ID, "cy@example.com", profile("cy@example.com", "Cy", "stark", "Cyclone", "", nil, "dev"))
	g := mkGroup(t, s, tm.ID, "Eng")
	users, _, _ := s.ListUsers(ctx, tm.ID, store.Query{Filter: eq("userName", "bob@example.com"), Page: store.Page{Limit: 1}})
	tx(t, s, func(tx store.Tx) error { return tx.AddMembers(ctx, tm.ID, g.ID, []string{users[0].ID}) })
	vp := func(attr string, f filter.Expr) filter.Expr {
		return filter.ValuePath{Path: filter.AttrPath{Name: attr}, Filter: f}
	}
	cases := []struct {
		name string
		f    filter.Expr
		want []string
	}{
		{"nickName eq is case-insensitive", str("nickName", filter.Eq, "ANNIE"), []string{"ann@example.com"}},
		{"nickName pr", filter.Compare{Path: filter.AttrPath{Name: "nickName"}, Op: filter.Pr}, []string{"ann@example.com", "cy@example.com"}},
		{"name.familyName eq, any case", str("name.familyName", filter.Eq, "Stark"), []string{"bob@example.com", "cy@example.com"}},
		{"name.familyName co", str("name.familyName", filter.Co, "TAR"), []string{"bob@example.com", "cy@example.com"}},
		{"name.givenName sw", str("name.givenName", filter.Sw, "a"), []string{"ann@example.com"}},
		{"enterprise employeeNumber", ent("employeeNumber", filter.Eq, "701984"), []string{"ann@example.com"}},
		{"enterprise manager.value", ent("manager.value", filter.Eq, "boss-42"), []string{"bob@example.com"}},
		{"phoneNumbers.value, any element", str("phoneNumbers.value", filter.Eq, "555-0199"), []string{"ann@example.com"}},
		{"bare phoneNumbers co", str("phoneNumbers", filter.Co, "0200"), []string{"bob@example.com"}},
		{"phoneNumbers[type eq work and value sw]", vp("phoneNumbers", filter.And{Left: str("type", filter.Eq, "work"), Right: str("value", filter.Sw, "555-01")}), []string{"ann@example.com"}},
		{"phoneNumbers[type and value on different elements] matches none", vp("phoneNumbers", filter.And{Left: str("type", filter.Eq, "mobile"), Right: str("value", filter.Eq, "555-0100")}), nil},
		{"roles[primary eq \"True\"] string boolean", filter.And{Left: vp("roles", str("primary", filter.Eq, "True")), Right: vp("roles", str("value", filter.Eq, "dev"))}, []string{"cy@example.com"}},
		{"emails[type eq work].value eq (Entra)", vp("emails", filter.And{Left: str("type", filter.Eq, "work"), Right: str("value", filter.Eq, "CY@example.com")}), []string{"cy@example.com"}},
		{"emails[type eq home] value is not the work one", vp("emails", filter.And{Left: str("type", filter.Eq, "home"), Right: str("value", filter.Eq, "cy@example.com")}), nil},
		{"emails.type eq home", str("emails.type", filter.Eq, "HOME"), []string{"ann@example.com", "bob@example.com", "cy@example.com"}},
		{"groups.value (membership)", str("groups.value", filter.Eq, g.ID), []string{"bob@example.com"}},
		{"not over JSON", filter.And{Left: filter.Not{X: str("name.familyName", filter.Eq, "stark")}, Right: str("userName", filter.Ew, "@example.com")}, []string{"ann@example.com"}},
		{"eq null", filter.Compare{Path: filter.AttrPath{Name: "title"}, Op: filter.Eq, Value: filter.Value{Kind: filter.Null}}, []string{"ann@example.com", "bob@example.com", "cy@example.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, total, err := s.ListUsers(ctx, tm.ID, store.Query{Filter: c.f, Page: store.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			names := userNames(page)
			sort.Strings(names)
			if total != len(c.want) || len(c.want) > 0 && fmt.Sprint(names) != fmt.Sprint(c.want) {
				t.Fatalf("got %v (total %d), want %v", names, total, c.want)
			}
		})
	}
}

func testSort(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	mkUser(t, s, tm.ID, "b@example.com", profile("b@example.com", "Zed", "alpha", "", "2", []string{"3"}, ""))
	mkUser(t, s, tm.ID, "C@example.com", profile("C@example.com", "amy", "Beta", "", "1", []string{"1"}, ""))
	mkUser(t, s, tm.ID, "a@example.com", profile("a@example.com", "Bo", "", "", "3", nil, ""))
	cases := []struct {
		by   string
		desc bool
		want string
	}{
		{"", false, "[b@example.com C@example.com a@example.com]"}, // creation order
		{"userName", false, "[a@example.com b@example.com C@example.com]"},
		{"USERNAME", true, "[C@example.com b@example.com a@example.com]"},
		{"name.givenName", false, "[C@example.com a@example.com b@example.com]"},  // amy, Bo, Zed: case-insensitive
		{"name.familyName", false, "[b@example.com C@example.com a@example.com]"}, // missing sorts last
		{"name.familyName", true, "[C@example.com b@example.com a@example.com]"},  // last either way
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", false, "[C@example.com b@example.com a@example.com]"},
		{"emails", false, "[a@example.com b@example.com C@example.com]"}, // by the primary value
		{"phoneNumbers.value", false, "[C@example.com b@example.com a@example.com]"},
		{"meta.created", true, "[a@example.com C@example.com b@example.com]"},
	}
	for _, c := range cases {
		page, _, err := s.ListUsers(ctx, tm.ID, store.Query{SortBy: c.by, Descending: c.desc, Page: store.Page{Limit: 10}})
		if err != nil {
			t.Fatalf("sortBy %q: %v", c.by, err)
		}
		if got := fmt.Sprint(userNames(page)); got != c.want {
			t.Errorf("sortBy %q desc=%v: %s, want %s", c.by, c.desc, got, c.want)
		}
	}
	// A sort on an attribute that doesn't exist is refused, not ignored.
	var is *store.InvalidSortError
	if _, _, err := s.ListUsers(ctx, tm.ID, store.Query{SortBy: "nope", Page: store.Page{Limit: 10}}); !errors.As(err, &is) {
		t.Fatalf("sortBy nope: %v", err)
	}
	// Paging under a sort neither skips nor repeats.
	var all []string
	for off := 0; off < 3; off++ {
		page, _, _ := s.ListUsers(ctx, tm.ID, store.Query{SortBy: "name.familyName", Page: store.Page{Offset: off, Limit: 1}})
		all = append(all, userNames(page)...)
	}
	if fmt.Sprint(all) != "[b@example.com C@example.com a@example.com]" {
		t.Fatalf("paged sort: %v", all)
	}
}
