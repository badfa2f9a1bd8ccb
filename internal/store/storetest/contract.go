package storetest

// Conformance of the methods the rest of the suite doesn't reach: team
// settings, seats, group role bindings and the group queries the service's
// rules read (sole members, counts, a page's groups); every read inside a
// write transaction; and a closed store.

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// sorted returns a sorted copy, for comparing lists whose order the
// contract leaves open.
func sorted(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	return out
}

// hasDup reports whether l holds a value twice.
func hasDup(l []string) bool {
	return len(slices.Compact(sorted(l))) != len(l)
}

func mkGroupWithID(t *testing.T, s store.Store, teamID, groupID, name string) store.Group {
	t.Helper()
	n := seq.Add(1)
	g := store.Group{TeamID: teamID, ID: groupID, DisplayName: name, Attrs: []byte(`{"displayName":"` + name + `"}`),
		Created: base.Add(time.Duration(n) * time.Second), Modified: base, Version: 1}
	tx(t, s, func(tx store.Tx) error { return tx.CreateGroup(ctx, g) })
	return g
}

func addMembers(t *testing.T, s store.Store, teamID, groupID string, userIDs ...string) {
	t.Helper()
	tx(t, s, func(tx store.Tx) error { return tx.AddMembers(ctx, teamID, groupID, userIDs) })
}

func setGroupRoles(t *testing.T, s store.Store, teamID, groupID string, roles ...string) {
	t.Helper()
	tx(t, s, func(tx store.Tx) error { return tx.SetGroupRoles(ctx, teamID, groupID, roles) })
}

// testTeamSettings: a team's custom attributes and policies are stored,
// read back by every read of the team (authentication's KeyWithTeam
// included), never touch another team, and need the team to exist.
func testTeamSettings(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "globex")
	otherBefore, err := s.Team(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	k := store.SCIMKey{TeamID: tm.ID, ID: id("key"), Name: "okta", Prefix: "rsk_abc", Hash: hashOf("key"), CreatedBy: "cli", Created: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateKey(ctx, k) })

	ext := `[{"name":"costCenter","type":"string"}]`
	tx(t, s, func(tx store.Tx) error {
		if err := tx.SetUserExtension(ctx, tm.ID, ext); err != nil {
			return err
		}
		return tx.SetTeamPolicies(ctx, tm.ID, 25, true)
	})
	got, err := s.Team(ctx, tm.ID)
	if err != nil || got.UserExtension != ext || got.SeatLimit != 25 || !got.GroupDeleteDeactivates || got.Slug != "acme" || got.DefaultRole != "Developer" {
		t.Fatalf("Team after SetUserExtension and SetTeamPolicies = %+v, %v", got, err)
	}
	if bySlug, err := s.TeamBySlug(ctx, "acme"); err != nil || !reflect.DeepEqual(bySlug, got) {
		t.Fatalf("TeamBySlug = %+v, %v; Team = %+v", bySlug, err, got)
	}
	if _, withKey, err := s.KeyWithTeam(ctx, hashOf("key")); err != nil || !reflect.DeepEqual(withKey, got) {
		t.Fatalf("KeyWithTeam's team = %+v, %v; Team = %+v", withKey, err, got)
	}
	if after, err := s.Team(ctx, other.ID); err != nil || !reflect.DeepEqual(after, otherBefore) {
		t.Fatalf("another team changed: %+v, was %+v (%v)", after, otherBefore, err)
	}
	// Back to the defaults: no attributes, no seat limit.
	tx(t, s, func(tx store.Tx) error {
		if err := tx.SetUserExtension(ctx, tm.ID, ""); err != nil {
			return err
		}
		return tx.SetTeamPolicies(ctx, tm.ID, 0, false)
	})
	if got, _ := s.Team(ctx, tm.ID); got.UserExtension != "" || got.SeatLimit != 0 || got.GroupDeleteDeactivates {
		t.Fatalf("after resetting: %+v", got)
	}
	for name, fn := range map[string]func(tx store.Tx) error{
		"SetUserExtension": func(tx store.Tx) error { return tx.SetUserExtension(ctx, "missing", ext) },
		"SetTeamPolicies":  func(tx store.Tx) error { return tx.SetTeamPolicies(ctx, "missing", 3, true) },
	} {
		if err := s.Tx(ctx, fn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s on a missing team: %v, want ErrNotFound", name, err)
		}
	}
}

// testSeats: SeatsUsed counts the team's active members holding a seat
// role as one whole item of their role list, each member once.
func testSeats(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	other := mkTeam(t, s, "globex")
	role := func(r string, active bool) func(*store.User) {
		return func(u *store.User) { u.Role, u.Active = r, active }
	}
	admin := mkUser(t, s, tm.ID, "admin@example.com", role("Admin", true))
	mkUser(t, s, tm.ID, "dev@example.com", role("Developer,Billing", true))
	mkUser(t, s, tm.ID, "off@example.com", role("Admin", false))
	mkUser(t, s, tm.ID, "sa@example.com", role("Super Admin", true))
	mkUser(t, s, tm.ID, "both@example.com", role("Admin,Developer", true))
	mkUser(t, s, tm.ID, "none@example.com", role("", true))
	mkUser(t, s, other.ID, "admin@example.com", role("Admin", true))
	mkUser(t, s, other.ID, "admin2@example.com", role("Admin,Developer", true))
	cases := []struct {
		roles []string
		want  int
	}{
		{[]string{"Admin"}, 2},              // not the deactivated one, nor "Super Admin"
		{[]string{"Admin", "Developer"}, 3}, // both@ once
		{[]string{"Billing"}, 1},            // the last item of a list
		{[]string{"Developer"}, 2},          // the first item and the last
		{[]string{"Owner"}, 0},
		{nil, 0},
	}
	for _, c := range cases {
		if n, err := s.SeatsUsed(ctx, tm.ID, c.roles); err != nil || n != c.want {
			t.Errorf("SeatsUsed(%q) = %d, %v; want %d", c.roles, n, err, c.want)
		}
	}
	// Deactivating a member frees its seat.
	admin.Active, admin.Version = false, 2
	tx(t, s, func(tx store.Tx) error { return tx.UpdateUser(ctx, admin) })
	if n, err := s.SeatsUsed(ctx, tm.ID, []string{"Admin"}); err != nil || n != 1 {
		t.Errorf("SeatsUsed(Admin) after deactivating one = %d, %v; want 1", n, err)
	}
	if n, err := s.SeatsUsed(ctx, other.ID, []string{"Admin"}); err != nil || n != 2 {
		t.Errorf("the other team's SeatsUsed(Admin) = %d, %v; want 2", n, err)
	}
}

// testGroupQueries: the reads the service's rules make of groups. Team B
// holds a user with the same id as each of team A's a and b, and a group
// with the id of team A's group "Alpha": nothing of B may show in A's
// answers, nor the other way round.
func testGroupQueries(t *testing.T, s store.Store) {
	tmA := mkTeam(t, s, "team-a")
	tmB := mkTeam(t, s, "team-b")
	a := mkUser(t, s, tmA.ID, "a@example.com", nil)
	b := mkUser(t, s, tmA.ID, "b@example.com", nil)
	c := mkUser(t, s, tmA.ID, "c@example.com", nil)
	d := mkUser(t, s, tmA.ID, "d@example.com", nil) // in no group
	beta := mkGroup(t, s, tmA.ID, "beta")
	alpha := mkGroup(t, s, tmA.ID, "Alpha")
	zeta := mkGroup(t, s, tmA.ID, "Zeta") // after beta case-insensitively, before it by byte
	empty := mkGroup(t, s, tmA.ID, "empty")
	addMembers(t, s, tmA.ID, beta.ID, a.ID, b.ID, c.ID)
	addMembers(t, s, tmA.ID, alpha.ID, b.ID)
	addMembers(t, s, tmA.ID, zeta.ID, b.ID)

	aB := mkUser(t, s, tmB.ID, "a@example.com", func(u *store.User) { u.ID = a.ID })
	bB := mkUser(t, s, tmB.ID, "b@example.com", func(u *store.User) { u.ID = b.ID })
	cB := mkUser(t, s, tmB.ID, "c@example.com", func(u *store.User) { u.ID = c.ID })
	forged := mkGroupWithID(t, s, tmB.ID, alpha.ID, "Forged")
	otherB := mkGroup(t, s, tmB.ID, "other")
	addMembers(t, s, tmB.ID, forged.ID, aB.ID, bB.ID)
	addMembers(t, s, tmB.ID, otherB.ID, bB.ID)
	// Team B adds a member to team A's group by its id: that writes team
	// B's membership of a group team B doesn't have, which is no group.
	addMembers(t, s, tmB.ID, beta.ID, cB.ID)

	// GroupsOfUsers: each user's groups by name (case-insensitively),
	// users in no group (or unknown) absent.
	ref := func(g store.Group) store.GroupRef { return store.GroupRef{GroupID: g.ID, Display: g.DisplayName} }
	want := map[string][]store.GroupRef{
		a.ID: {ref(beta)},
		b.ID: {ref(alpha), ref(beta), ref(zeta)},
		c.ID: {ref(beta)},
	}
	got, err := s.GroupsOfUsers(ctx, tmA.ID, []string{a.ID, b.ID, c.ID, d.ID, "nope"})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GroupsOfUsers = %+v, %v;\nwant %+v", got, err, want)
	}
	if refs, err := s.GroupsOfUser(ctx, tmA.ID, b.ID); err != nil || !reflect.DeepEqual(refs, want[b.ID]) {
		t.Errorf("GroupsOfUser(b) = %+v, %v; want %+v", refs, err, want[b.ID])
	}
	if refs, err := s.GroupsOfUser(ctx, tmA.ID, d.ID); err != nil || len(refs) != 0 {
		t.Errorf("GroupsOfUser of a user in no group = %+v, %v", refs, err)
	}
	if got, err := s.GroupsOfUsers(ctx, tmA.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("GroupsOfUsers(nil) = %+v, %v", got, err)
	}
	if got, err := s.GroupsOfUsers(ctx, tmA.ID, []string{a.ID, a.ID}); err != nil || !reflect.DeepEqual(got, map[string][]store.GroupRef{a.ID: want[a.ID]}) {
		t.Errorf("GroupsOfUsers with an id twice = %+v, %v", got, err)
	}
	// A page of more users than one statement takes.
	many := []string{a.ID}
	for i := range 600 {
		many = append(many, fmt.Sprintf("ghost-%03d", i))
	}
	many = append(many, b.ID)
	if got, err := s.GroupsOfUsers(ctx, tmA.ID, many); err != nil || !reflect.DeepEqual(got, map[string][]store.GroupRef{a.ID: want[a.ID], b.ID: want[b.ID]}) {
		t.Errorf("GroupsOfUsers of 602 ids = %+v, %v", got, err)
	}
	wantB := map[string][]store.GroupRef{aB.ID: {ref(forged)}, bB.ID: {ref(forged), ref(otherB)}}
	if got, err := s.GroupsOfUsers(ctx, tmB.ID, []string{a.ID, b.ID, c.ID}); err != nil || !reflect.DeepEqual(got, wantB) {
		t.Errorf("team B's GroupsOfUsers = %+v, %v; want %+v", got, err, wantB)
	}

	// MemberCount and MemberCountUpTo.
	counts := []struct {
		team, group string
		want        int
	}{
		{tmA.ID, beta.ID, 3}, {tmA.ID, alpha.ID, 1}, {tmA.ID, empty.ID, 0}, {tmA.ID, "nope", 0},
		{tmB.ID, alpha.ID, 2}, {tmB.ID, otherB.ID, 1}, {tmB.ID, empty.ID, 0},
	}
	for _, c := range counts {
		if n, err := s.MemberCount(ctx, c.team, c.group); err != nil || n != c.want {
			t.Errorf("MemberCount(%s, %s) = %d, %v; want %d", c.team, c.group, n, err, c.want)
		}
		for _, limit := range []int{0, 1, 2, 3, 10} {
			if n, err := s.MemberCountUpTo(ctx, c.team, c.group, limit); err != nil || n != min(c.want, limit) {
				t.Errorf("MemberCountUpTo(%s, %s, %d) = %d, %v; want %d", c.team, c.group, limit, n, err, min(c.want, limit))
			}
		}
	}

	// SoleMembers: the group's members in no other group of their team.
	soles := []struct {
		team, group string
		want        []string
	}{
		// b is in two more groups; a's namesake in team B is in a group
		// there, which is no group of team A.
		{tmA.ID, beta.ID, sorted([]string{a.ID, c.ID})},
		{tmA.ID, alpha.ID, nil},
		{tmA.ID, empty.ID, nil},
		// bB is in "other" too; a, in team A's beta, is not in team B.
		{tmB.ID, alpha.ID, []string{aB.ID}},
	}
	for _, c := range soles {
		if ids, err := s.SoleMembers(ctx, c.team, c.group); err != nil || !slices.Equal(sorted(ids), c.want) {
			t.Errorf("SoleMembers(%s, %s) = %v, %v; want %v", c.team, c.group, ids, err, c.want)
		}
	}

	// Role bindings: SetGroupRoles replaces a group's roles; a member
	// holds the union of its groups' roles, each once.
	setGroupRoles(t, s, tmA.ID, beta.ID, "Developer", "Billing", "Developer")
	setGroupRoles(t, s, tmA.ID, alpha.ID, "Admin", "Billing")
	setGroupRoles(t, s, tmB.ID, alpha.ID, "Super Admin")
	type rolesRead struct {
		name string
		read func() ([]string, error)
		want []string
	}
	groupRoles := func(team, group string) func() ([]string, error) {
		return func() ([]string, error) { return s.GroupRoles(ctx, team, group) }
	}
	rolesFromGroups := func(team, user string) func() ([]string, error) {
		return func() ([]string, error) { return s.RolesFromGroups(ctx, team, user) }
	}
	expect := func(step string, reads ...rolesRead) {
		t.Helper()
		for _, r := range reads {
			if got, err := r.read(); err != nil || hasDup(got) || !slices.Equal(sorted(got), r.want) {
				t.Errorf("%s: %s = %q, %v; want %q, each once", step, r.name, got, err, r.want)
			}
		}
	}
	expect("bound",
		rolesRead{"GroupRoles(beta)", groupRoles(tmA.ID, beta.ID), []string{"Billing", "Developer"}},
		rolesRead{"GroupRoles(Alpha)", groupRoles(tmA.ID, alpha.ID), []string{"Admin", "Billing"}},
		rolesRead{"GroupRoles(empty)", groupRoles(tmA.ID, empty.ID), nil},
		rolesRead{"team B's GroupRoles(Alpha's id)", groupRoles(tmB.ID, alpha.ID), []string{"Super Admin"}},
		rolesRead{"RolesFromGroups(a)", rolesFromGroups(tmA.ID, a.ID), []string{"Billing", "Developer"}},
		rolesRead{"RolesFromGroups(b)", rolesFromGroups(tmA.ID, b.ID), []string{"Admin", "Billing", "Developer"}},
		rolesRead{"RolesFromGroups(d)", rolesFromGroups(tmA.ID, d.ID), nil},
		rolesRead{"team B's RolesFromGroups(a's id)", rolesFromGroups(tmB.ID, aB.ID), []string{"Super Admin"}},
	)
	setGroupRoles(t, s, tmA.ID, beta.ID, "Admin")
	expect("replaced",
		rolesRead{"GroupRoles(beta)", groupRoles(tmA.ID, beta.ID), []string{"Admin"}},
		rolesRead{"RolesFromGroups(a)", rolesFromGroups(tmA.ID, a.ID), []string{"Admin"}},
	)
	setGroupRoles(t, s, tmA.ID, beta.ID)
	expect("cleared",
		rolesRead{"GroupRoles(beta)", groupRoles(tmA.ID, beta.ID), nil},
		rolesRead{"RolesFromGroups(a)", rolesFromGroups(tmA.ID, a.ID), nil},
	)

	// Leaving a group drops its roles; deleting a group drops its
	// bindings and memberships, in its team only.
	tx(t, s, func(tx store.Tx) error { return tx.RemoveMembers(ctx, tmA.ID, alpha.ID, []string{b.ID}) })
	expect("b left Alpha", rolesRead{"RolesFromGroups(b)", rolesFromGroups(tmA.ID, b.ID), nil})
	addMembers(t, s, tmA.ID, alpha.ID, c.ID)
	tx(t, s, func(tx store.Tx) error { return tx.DeleteGroup(ctx, tmA.ID, alpha.ID) })
	expect("Alpha deleted",
		rolesRead{"GroupRoles(Alpha)", groupRoles(tmA.ID, alpha.ID), nil},
		rolesRead{"RolesFromGroups(c)", rolesFromGroups(tmA.ID, c.ID), nil},
		rolesRead{"team B's GroupRoles(Alpha's id)", groupRoles(tmB.ID, alpha.ID), []string{"Super Admin"}},
	)
	if n, err := s.MemberCount(ctx, tmB.ID, alpha.ID); err != nil || n != 2 {
		t.Errorf("team B's group lost members when team A's was deleted: %d, %v", n, err)
	}
}

// testSessionsEnd: ending one session, or every session of an account,
// touches no other; ending one that is gone says so.
func testSessionsEnd(t *testing.T, s store.Store) {
	ana := store.Account{ID: id("acc"), Email: "ana@example.com", Created: base, Updated: base}
	bo := store.Account{ID: id("acc"), Email: "bo@example.com", Created: base, Updated: base}
	sess := func(name string, acc store.Account) store.Session {
		return store.Session{TokenHash: hashOf(name), AccountID: acc.ID, CSRFToken: "csrf-" + name, Created: base, Expires: base.Add(time.Hour)}
	}
	tx(t, s, func(tx store.Tx) error {
		for _, a := range []store.Account{ana, bo} {
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		for _, x := range []store.Session{sess("a1", ana), sess("a2", ana), sess("a3", ana), sess("b1", bo)} {
			if err := tx.CreateSession(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	alive := func(step string, want map[string]bool) {
		t.Helper()
		for name, ok := range want {
			got, err := s.SessionByHash(ctx, hashOf(name))
			switch {
			case ok && (err != nil || got.CSRFToken != "csrf-"+name):
				t.Errorf("%s: session %s = %+v, %v; want it kept", step, name, got, err)
			case !ok && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: session %s: %v, want ErrNotFound", step, name, err)
			}
		}
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteSession(ctx, hashOf("a1")) })
	alive("after DeleteSession(a1)", map[string]bool{"a1": false, "a2": true, "a3": true, "b1": true})
	for _, name := range []string{"a1", "never"} {
		if err := s.Tx(ctx, func(tx store.Tx) error { return tx.DeleteSession(ctx, hashOf(name)) }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteSession(%s), a session that is gone: %v, want ErrNotFound", name, err)
		}
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteAccountSessions(ctx, ana.ID, nil) })
	alive("after DeleteAccountSessions(ana, nil)", map[string]bool{"a2": false, "a3": false, "b1": true})
	tx(t, s, func(tx store.Tx) error { return tx.DeleteExpiredSessions(ctx, base) })
	alive("after DeleteExpiredSessions(before any expiry)", map[string]bool{"b1": true})
}

// empty reports whether a read's result holds nothing, so comparing two of
// them proves nothing.
func empty(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		if l, ok := v.([]any); ok {
			return slices.ContainsFunc(l, empty)
		}
		return rv.Len() == 0
	case reflect.Invalid:
		return true
	}
	return rv.IsZero()
}

var errRollback = errors.New("roll back")

// testReadsInsideTx: every read answers the same inside a write
// transaction as outside it (there, on PostgreSQL, single-row reads lock
// their row; on SQLite they run inside a group commit). A transaction
// reads its own writes; no one else sees them before the commit, nor
// ever after a rollback.
func testReadsInsideTx(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	mkTeam(t, s, "globex")
	acc := store.Account{ID: id("acc"), Email: "ana@example.com", PasswordHash: "$argon2id$x", Created: base, Updated: base}
	tx(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, acc) })
	ana := mkUser(t, s, tm.ID, "ana@example.com", func(u *store.User) { u.DisplayName, u.AccountID = "Ana", acc.ID })
	bo := mkUser(t, s, tm.ID, "bo@example.com", nil)
	g := mkGroup(t, s, tm.ID, "Eng")
	inv := store.Invite{TeamID: tm.ID, ID: id("inv"), Email: "new@example.com", Role: "Developer", Status: "pending", Created: base}
	used := base.Add(time.Minute)
	tx(t, s, func(tx store.Tx) error {
		steps := []error{
			tx.CreateKey(ctx, store.SCIMKey{TeamID: tm.ID, ID: id("key"), Name: "okta", Prefix: "rsk_abc", Hash: hashOf("key"), CreatedBy: "cli", Created: base, LastUsedAt: &used}),
			tx.CreateSession(ctx, store.Session{TokenHash: hashOf("sess"), AccountID: acc.ID, CSRFToken: "c", Created: base, Expires: base.Add(time.Hour)}),
			tx.CreateAPIToken(ctx, store.APIToken{ID: id("tok"), AccountID: acc.ID, Name: "ci", Prefix: "rpt_abc", Hash: hashOf("tok"), Created: base}),
			tx.AddMembers(ctx, tm.ID, g.ID, []string{ana.ID, bo.ID}),
			tx.SetGroupRoles(ctx, tm.ID, g.ID, []string{"Billing"}),
			tx.CreateInvite(ctx, inv),
			tx.SetInviteLink(ctx, tm.ID, inv.ID, hashOf("inv"), base, base.Add(time.Hour), "cli"),
			tx.AppendAudit(ctx, store.AuditEvent{TeamID: tm.ID, ID: id("ev"), At: base, Actor: "cli", Action: "user.create", TargetType: "user", TargetID: ana.ID, Detail: "{}"}),
			tx.AppendProvisioningLog(ctx, []store.ProvisioningEntry{{TeamID: tm.ID, ID: "pl-1", At: base, Method: "GET", Path: "/scim/v2/Users", Status: 200}}),
		}
		return errors.Join(steps...)
	})
	two := func(a any, b any, err error) (any, error) { return []any{a, b}, err }
	reads := []struct {
		name string
		read func(r store.Reader) (any, error)
	}{
		{"TeamBySlug", func(r store.Reader) (any, error) { return r.TeamBySlug(ctx, "acme") }},
		{"Team", func(r store.Reader) (any, error) { return r.Team(ctx, tm.ID) }},
		{"ListTeams", func(r store.Reader) (any, error) { return r.ListTeams(ctx) }},
		{"KeyByHash", func(r store.Reader) (any, error) { return r.KeyByHash(ctx, hashOf("key")) }},
		{"KeyWithTeam", func(r store.Reader) (any, error) { return two(r.KeyWithTeam(ctx, hashOf("key"))) }},
		{"ListKeys", func(r store.Reader) (any, error) { return r.ListKeys(ctx, tm.ID) }},
		{"User", func(r store.Reader) (any, error) { return r.User(ctx, tm.ID, ana.ID) }},
		{"ListUsers", func(r store.Reader) (any, error) {
			return two(r.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Limit: 10}}))
		}},
		{"ListUsers filtered", func(r store.Reader) (any, error) {
			return two(r.ListUsers(ctx, tm.ID, store.Query{Filter: eq("userName", "BO@example.com"), Page: store.Page{Limit: 10}}))
		}},
		{"GroupsOfUser", func(r store.Reader) (any, error) { return r.GroupsOfUser(ctx, tm.ID, ana.ID) }},
		{"GroupsOfUsers", func(r store.Reader) (any, error) { return r.GroupsOfUsers(ctx, tm.ID, []string{ana.ID, bo.ID}) }},
		{"Group", func(r store.Reader) (any, error) { return r.Group(ctx, tm.ID, g.ID) }},
		{"ListGroups", func(r store.Reader) (any, error) {
			return two(r.ListGroups(ctx, tm.ID, store.Query{Page: store.Page{Limit: 10}}))
		}},
		{"Members", func(r store.Reader) (any, error) { return r.Members(ctx, tm.ID, g.ID) }},
		{"MemberCount", func(r store.Reader) (any, error) { return r.MemberCount(ctx, tm.ID, g.ID) }},
		{"MemberCountUpTo", func(r store.Reader) (any, error) { return r.MemberCountUpTo(ctx, tm.ID, g.ID, 1) }},
		{"SeatsUsed", func(r store.Reader) (any, error) { return r.SeatsUsed(ctx, tm.ID, []string{"Developer"}) }},
		{"GroupRoles", func(r store.Reader) (any, error) { return r.GroupRoles(ctx, tm.ID, g.ID) }},
		{"RolesFromGroups", func(r store.Reader) (any, error) { return r.RolesFromGroups(ctx, tm.ID, ana.ID) }},
		{"SoleMembers", func(r store.Reader) (any, error) { return r.SoleMembers(ctx, tm.ID, g.ID) }},
		{"ExistingUsers", func(r store.Reader) (any, error) { return r.ExistingUsers(ctx, tm.ID, []string{ana.ID, "nope"}) }},
		{"PendingInvite", func(r store.Reader) (any, error) { return r.PendingInvite(ctx, tm.ID, "NEW@example.com") }},
		{"CountActiveWithRole", func(r store.Reader) (any, error) { return r.CountActiveWithRole(ctx, tm.ID, "Billing", 10) }},
		{"ListAudit", func(r store.Reader) (any, error) { return r.ListAudit(ctx, tm.ID, 10) }},
		{"Account", func(r store.Reader) (any, error) { return r.Account(ctx, acc.ID) }},
		{"AccountByEmail", func(r store.Reader) (any, error) { return r.AccountByEmail(ctx, "ANA@example.com") }},
		{"SessionByHash", func(r store.Reader) (any, error) { return r.SessionByHash(ctx, hashOf("sess")) }},
		{"APITokenByHash", func(r store.Reader) (any, error) { return r.APITokenByHash(ctx, hashOf("tok")) }},
		{"ListAPITokens", func(r store.Reader) (any, error) { return r.ListAPITokens(ctx, acc.ID) }},
		{"MembershipsOfAccount", func(r store.Reader) (any, error) { return r.MembershipsOfAccount(ctx, acc.ID) }},
		{"MemberOfAccount", func(r store.Reader) (any, error) { return r.MemberOfAccount(ctx, tm.ID, acc.ID) }},
		{"MembersByEmail", func(r store.Reader) (any, error) { return r.MembersByEmail(ctx, tm.ID, "ana@example.com") }},
		{"ListMembers", func(r store.Reader) (any, error) {
			return two(r.ListMembers(ctx, tm.ID, store.MemberQuery{Page: store.Page{Limit: 10}}))
		}},
		{"InviteDetail", func(r store.Reader) (any, error) { return r.InviteDetail(ctx, tm.ID, inv.ID) }},
		{"InviteByTokenHash", func(r store.Reader) (any, error) { return r.InviteByTokenHash(ctx, hashOf("inv")) }},
		{"ListPendingInvites", func(r store.Reader) (any, error) { return r.ListPendingInvites(ctx, tm.ID) }},
		{"QueryAudit", func(r store.Reader) (any, error) { return r.QueryAudit(ctx, tm.ID, store.AuditQuery{Actor: "cli"}) }},
		{"QueryProvisioningLog", func(r store.Reader) (any, error) {
			return r.QueryProvisioningLog(ctx, tm.ID, store.ProvisioningQuery{Method: "get"})
		}},
		{"ProvisioningLogEntry", func(r store.Reader) (any, error) { return r.ProvisioningLogEntry(ctx, tm.ID, "pl-1") }},
		{"ProvisioningActivity", func(r store.Reader) (any, error) {
			return r.ProvisioningActivity(ctx, tm.ID, base.Add(-time.Hour), base.Add(time.Hour))
		}},
	}
	outside := make([]any, len(reads))
	for i, rd := range reads {
		v, err := rd.read(s)
		if err != nil || empty(v) {
			t.Fatalf("%s = %+v, %v: the fixture should give every read something to return", rd.name, v, err)
		}
		outside[i] = v
	}
	tx(t, s, func(tx store.Tx) error {
		for i, rd := range reads {
			v, err := rd.read(tx)
			if err != nil {
				return fmt.Errorf("%s in a transaction: %w", rd.name, err)
			}
			if !reflect.DeepEqual(v, outside[i]) {
				t.Errorf("%s in a transaction = %+v\n outside it = %+v", rd.name, v, outside[i])
			}
		}
		return nil
	})

	// Read your own writes; nobody else reads them, before or after a
	// rollback.
	cy := store.User{TeamID: tm.ID, ID: id("user"), UserName: "cy@example.com", Active: true, Source: "scim", Role: "Developer",
		Emails: []store.Email{{Value: "cy@example.com"}}, Attrs: []byte(`{"userName":"cy@example.com"}`), Created: base.Add(time.Hour), Modified: base.Add(time.Hour), Version: 1}
	visible := func(r store.Reader) (user bool, total, members int, err error) {
		_, uerr := r.User(ctx, tm.ID, cy.ID)
		if uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
			return false, 0, 0, uerr
		}
		_, total, err = r.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Limit: 10}})
		if err != nil {
			return
		}
		members, err = r.MemberCount(ctx, tm.ID, g.ID)
		return uerr == nil, total, members, err
	}
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, cy); err != nil {
			return err
		}
		if err := tx.AddMembers(ctx, tm.ID, g.ID, []string{cy.ID}); err != nil {
			return err
		}
		if u, n, m, err := visible(tx); err != nil || !u || n != 3 || m != 3 {
			t.Errorf("inside the transaction: user found %v, %d users, %d members, %v; want its own writes", u, n, m, err)
		}
		if u, n, m, err := visible(s); err != nil || u || n != 2 || m != 2 {
			t.Errorf("outside, before commit: user found %v, %d users, %d members, %v; want none of its writes", u, n, m, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx = %v, want the function's error", err)
	}
	if u, n, m, err := visible(s); err != nil || u || n != 2 || m != 2 {
		t.Errorf("after rollback: user found %v, %d users, %d members, %v; want none of its writes", u, n, m, err)
	}
}

// testClose: once closed, a store answers every call with an error:
// never a panic, a hang, or a write that lands.
func testClose(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Team(ctx, tm.ID); err == nil {
		t.Error("Team on a closed store: no error")
	}
	if _, _, err := s.ListUsers(ctx, tm.ID, store.Query{Page: store.Page{Limit: 10}}); err == nil {
		t.Error("ListUsers on a closed store: no error")
	}
	ran := false
	if err := s.Tx(ctx, func(tx store.Tx) error { ran = true; return nil }); err == nil {
		t.Error("Tx on a closed store: no error")
	}
	if ran {
		t.Error("Tx on a closed store ran its function")
	}
}
