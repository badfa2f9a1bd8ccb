// Package plantest pins the query plans of the store calls that touch
// group memberships, on every SQL backend: the same calls, run on the same
// realistic store, must read memberships through the index that bounds
// their cost by what they touch (one user's groups, one group's members),
// never by the size of the team or of its largest group (issue 11, item 6).
//
// A backend's test builds a store with Build, then calls Check with its
// EXPLAIN prefix and a Planner that reads its plan output.
package plantest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// The realistic store: team A has Users members (or as many as Build is
// given), each in 2 to 4 of Groups groups, one of which (Big) holds a
// tenth of the team; team B, beside it, has small groups with role
// bindings.
const (
	Users     = 2000
	Groups    = 30
	BUsers    = 200
	BGroups   = 200
	TeamA     = "team-a"
	TeamB     = "team-b"
	Big       = "a-g10"    // GroupID(0): every tenth member of team A
	Small     = "a-g15"    // GroupID(5), bound to a role
	UserInBig = "a-u10010" // UserID(10): in Big and two other groups
	UserName  = "user10010@a.example"
)

// UserID is the id of team A's user i.
func UserID(i int) string { return fmt.Sprintf("a-u%d", 10000+i) }

// GroupID is the id of team A's group i.
func GroupID(i int) string { return fmt.Sprintf("a-g%d", 10+i) }

// Build fills an empty, migrated store with the two teams, team A with
// users members (Users, or at least 200), in one transaction. The
// database makes the rows (INSERT … SELECT over a counter), in a few
// statements rather than thousands of store calls.
//
// Team A's user i (UserID(i)) is in 2 + i%3 groups: Big when i%10 == 0,
// and GroupID(1 + (7i + 11j) % 29) for j = 0, 1, … for the others.
func Build(t testing.TB, s *sqlstore.Store, users int) {
	t.Helper()
	ctx := context.Background()
	// n(i) counts 0 … m-1; every statement is SQL both backends run.
	count := func(m int) string {
		return fmt.Sprintf("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d) ", m-1)
	}
	const at = "'2026-01-02T03:04:05.000000000Z'"
	created := "'2026-01-02T03:04:05.' || (100000000 + i) || 'Z'"
	if users < 200 {
		t.Fatalf("plantest.Build: %d users, want at least 200", users)
	}
	addUsers := func(team, prefix, domain string, m int) string {
		name := "'user' || (10000 + i) || '@" + domain + "'"
		return `INSERT INTO users (team_id, id, user_name, user_name_key, external_id, display_name, display_name_key, active, source, role, attrs, created, modified, version) ` +
			count(m) + `SELECT '` + team + `', '` + prefix + `' || (10000 + i), ` + name + `, ` + name + `, '00u' || (10000 + i), 'User ' || (10000 + i), 'user ' || (10000 + i), 1, 'scim', 'Developer', ` +
			`'{"userName":"user' || (10000 + i) || '@` + domain + `","active":true,"emails":[{"value":"user' || (10000 + i) || '@` + domain + `","type":"work","primary":true}]}', ` +
			created + `, ` + at + `, 1 FROM n`
	}
	groups := func(team, prefix string, base, m int) string {
		id := fmt.Sprintf("'%s' || (%d + i)", prefix, base)
		return `INSERT INTO scim_groups (team_id, id, display_name, display_name_key, external_id, attrs, created, modified, version) ` +
			count(m) + `SELECT '` + team + `', ` + id + `, 'Group ' || ` + id + `, 'group ' || ` + id + `, '', '{}', ` + created + `, ` + at + `, 1 FROM n`
	}
	stmts := []string{
		`INSERT INTO teams (id, slug, name, admin_email, scim_enabled, default_role, created) VALUES
			('team-a', 'team-a', 'Team A', 'admin@team-a.example', 1, 'Developer', ` + at + `),
			('team-b', 'team-b', 'Team B', 'admin@team-b.example', 1, 'Developer', ` + at + `)`,
		addUsers(TeamA, "a-u", "a.example", users),
		addUsers(TeamB, "b-u", "b.example", BUsers),
		`INSERT INTO user_emails (team_id, user_id, value_key, type_key, is_primary) SELECT team_id, id, user_name_key, 'work', 1 FROM users`,
		groups(TeamA, "a-g", 10, Groups),
		groups(TeamB, "b-g", 10000, BGroups),
		`INSERT INTO group_members (team_id, group_id, user_id) ` + count(users) + `, k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 3)
			SELECT 'team-a', 'a-g' || (11 + (7 * i + 11 * j) % 29), 'a-u' || (10000 + i) FROM n, k
				WHERE j < 2 + i % 3 - (CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END)
			UNION ALL SELECT 'team-a', 'a-g10', 'a-u' || (10000 + i) FROM n WHERE i % 10 = 0`,
		`INSERT INTO group_members (team_id, group_id, user_id) ` + count(BGroups) + fmt.Sprintf(`SELECT 'team-b', 'b-g' || (10000 + i), 'b-u' || (10000 + i %% %d) FROM n`, BUsers),
		`INSERT INTO group_roles (team_id, group_id, role) VALUES ('team-a', 'a-g10', 'Developer'), ('team-a', 'a-g11', 'Admin'), ('team-a', 'a-g12', 'Billing'), ('team-a', 'a-g15', 'Admin')`,
		`INSERT INTO group_roles (team_id, group_id, role) SELECT team_id, id, 'Developer' FROM scim_groups WHERE team_id = 'team-b'`,
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The store reads back what it was given: team A's user 10 and its groups.
	groupsOf, err := s.GroupsOfUser(ctx, TeamA, UserInBig)
	if err != nil || len(groupsOf) != 3 || !slices.ContainsFunc(groupsOf, func(g store.GroupRef) bool { return g.GroupID == Big }) {
		t.Fatalf("groups of %s: %v, %v", UserInBig, groupsOf, err)
	}
	if n, err := s.MemberCount(ctx, TeamA, Big); err != nil || n != (users+9)/10 {
		t.Fatalf("members of %s: %d, %v", Big, n, err)
	}
}

// Access is how a plan reads one table: through Index (its name on
// PostgreSQL; the SQLite test maps a "_pkey" to SQLite's own name), with
// Key the index column after team_id that the access must bind.
type Access struct {
	Index string
	Key   string
}

// The membership accesses.
var (
	MembersOfGroup = Access{"group_members_pkey", "group_id"}
	GroupsOfUser   = Access{"group_members_user", "user_id"}
	RolesOfGroup   = Access{"group_roles_pkey", "group_id"}
	// OneMembership finds one row by all its columns, through either
	// group_members index.
	OneMembership = Access{"group_members", "team_id, group_id, user_id"}
)

// Call is one store call on the hot path of a request.
type Call struct {
	Name string
	// Wide calls read for many keys at once (a page of users: an IN list
	// of 128 ids). Without statistics PostgreSQL takes each value to match
	// 0.5% of a table, so 64% for the list, and rightly walks the team;
	// see Narrow.
	Wide bool
	Run  func(ctx context.Context, tx store.Tx) error
	// Want lists the accesses its plans must make. They may read
	// memberships no other way, but for point lookups (OneMembership).
	Want []Access
}

func eq(attr, v string) filter.Expr {
	f, err := filter.Parse(attr+` eq "`+v+`"`, filter.Limits{})
	if err != nil {
		panic(err)
	}
	return f
}

func parse(s string) filter.Expr {
	f, err := filter.Parse(s, filter.Limits{})
	if err != nil {
		panic(err)
	}
	return f
}

func page(ids ...string) []string {
	if len(ids) > 0 {
		return ids
	}
	out := make([]string, 100)
	for i := range out {
		out[i] = UserID(100 + i)
	}
	return out
}

// Calls is the shared list of hot store calls that read or write
// memberships: every backend pins the same ones.
var Calls = []Call{
	// A lookup answers with the page's groups; GET /Users/{id} and a
	// deactivate's answer with the user's.
	{"GroupsOfUser", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GroupsOfUser(ctx, TeamA, UserInBig)
		return err
	}, []Access{GroupsOfUser}},
	{"GroupsOfUsers one", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GroupsOfUsers(ctx, TeamA, page(UserInBig))
		return err
	}, []Access{GroupsOfUser}},
	{"GroupsOfUsers page", true, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GroupsOfUsers(ctx, TeamA, page())
		return err
	}, []Access{GroupsOfUser}},
	// Effective roles, on every member update and sign-in.
	{"RolesFromGroups", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.RolesFromGroups(ctx, TeamA, UserInBig)
		return err
	}, []Access{GroupsOfUser}},
	{"GroupRoles", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GroupRoles(ctx, TeamA, Big)
		return err
	}, []Access{RolesOfGroup}},
	{"SetGroupRoles", false, func(ctx context.Context, tx store.Tx) error {
		return tx.SetGroupRoles(ctx, TeamA, Small, []string{"Admin", "Billing"})
	}, []Access{RolesOfGroup}},
	// A group read lists its members: the group's rows only.
	{"Members", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Members(ctx, TeamA, Small)
		return err
	}, []Access{MembersOfGroup}},
	{"MemberCount", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MemberCount(ctx, TeamA, Small)
		return err
	}, []Access{MembersOfGroup}},
	{"MemberCountUpTo", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MemberCountUpTo(ctx, TeamA, Big, 11)
		return err
	}, []Access{MembersOfGroup}},
	// Deleting a group under Postman's rule: the group's members, each
	// checked for another group through its own memberships.
	{"SoleMembers", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.SoleMembers(ctx, TeamA, Small)
		return err
	}, []Access{MembersOfGroup, GroupsOfUser}},
	// PATCH /Groups add and remove: the users' existence, then one row each.
	{"ExistingUsers", false, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExistingUsers(ctx, TeamA, []string{UserID(1), UserID(2), "nobody"})
		return err
	}, nil},
	{"AddMembers", false, func(ctx context.Context, tx store.Tx) error {
		return tx.AddMembers(ctx, TeamA, Big, []string{UserID(1), UserID(2)})
	}, nil},
	{"RemoveMembers", false, func(ctx context.Context, tx store.Tx) error {
		return tx.RemoveMembers(ctx, TeamA, Big, []string{UserID(10), UserID(20)})
	}, []Access{OneMembership}},
	{"DeleteUser", false, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteUser(ctx, TeamA, UserInBig)
	}, []Access{GroupsOfUser}},
	{"DeleteGroup", false, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteGroup(ctx, TeamA, Small)
	}, []Access{MembersOfGroup, RolesOfGroup}},
	// Filters IdPs send: a group's members, a user's groups, and Entra's
	// membership check (id eq … and members[value eq …]).
	{"ListUsers groups.value eq", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListUsers(ctx, TeamA, store.Query{Type: scim.UserType, Filter: eq("groups.value", Small), Page: store.Page{Limit: 100}})
		return err
	}, []Access{MembersOfGroup}},
	{"ListUsers userName eq and groups.value eq", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListUsers(ctx, TeamA, store.Query{Type: scim.UserType, Filter: parse(`userName eq "` + UserName + `" and groups.value eq "` + Big + `"`), Page: store.Page{Limit: 100}})
		return err
	}, []Access{OneMembership}},
	{"ListGroups members.value eq", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListGroups(ctx, TeamA, store.Query{Type: scim.GroupType, Filter: eq("members.value", UserInBig), Page: store.Page{Limit: 100}})
		return err
	}, []Access{GroupsOfUser}},
	{"ListGroups members[value eq]", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListGroups(ctx, TeamA, store.Query{Type: scim.GroupType, Filter: parse(`members[value eq "` + UserInBig + `"]`), Page: store.Page{Limit: 100}})
		return err
	}, []Access{GroupsOfUser}},
	{"ListGroups id eq and members[value eq]", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListGroups(ctx, TeamA, store.Query{Type: scim.GroupType, Filter: parse(`id eq "` + Big + `" and members[value eq "` + UserInBig + `"]`), Page: store.Page{Limit: 100}})
		return err
	}, []Access{OneMembership}},
	// The console's and admin API's member list of one group.
	{"ListMembers of a group", false, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.ListMembers(ctx, TeamA, store.MemberQuery{GroupID: Small, Page: store.Page{Limit: 50}})
		return err
	}, []Access{MembersOfGroup}},
}

// Narrow is calls without the Wide ones.
func Narrow(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		if !c.Wide {
			out = append(out, c)
		}
	}
	return out
}

// Use is one index access read from a plan.
type Use struct {
	Index string
	// Keys are the index columns the access binds, in index order.
	Keys []string
}

// Planner reads one backend's plans.
type Planner struct {
	// Prefix is put before each statement: "EXPLAIN QUERY PLAN", …
	Prefix string
	// Read returns the index accesses of a plan and its problems: whole
	// scans of a table, or walks of a team's rows.
	Read func(plan string) (uses []Use, problems []string)
	// Index maps an Access's index name to the backend's.
	Index func(name string) string
	// Replan, when set, gives the plan Check reads instead of the one the
	// Prefix gave (PostgreSQL's generic plan of a prepared statement).
	Replan func(ctx context.Context, st sqlstore.Statement) (string, error)
}

// Check runs calls (Calls, or some of them) on s, built by Build, and
// checks their plans.
func Check(t *testing.T, s *sqlstore.Store, p Planner, calls []Call) {
	t.Helper()
	ctx := context.Background()
	for _, c := range calls {
		stmts, err := s.ExplainCalls(ctx, p.Prefix, func(tx store.Tx) error { return c.Run(ctx, tx) })
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if len(stmts) == 0 {
			t.Errorf("%s: ran no statement", c.Name)
		}
		found := map[Access]bool{}
		var errs []string
		for i, st := range stmts {
			if p.Replan != nil {
				if stmts[i].Plan, err = p.Replan(ctx, st); err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				st = stmts[i]
			}
			uses, problems := p.Read(st.Plan)
			errs = append(errs, problems...)
			for _, u := range uses {
				matched, member := false, false
				for _, a := range []Access{MembersOfGroup, GroupsOfUser} {
					member = member || p.Index(a.Index) == u.Index
				}
				for _, a := range c.Want {
					if p.Index(a.Index) == u.Index && len(u.Keys) >= 2 && u.Keys[0] == "team_id" && u.Keys[1] == a.Key {
						found[a], matched = true, true
					}
				}
				if member && point(u) {
					found[OneMembership], matched = true, true
				}
				if member && !matched {
					errs = append(errs, fmt.Sprintf("reads memberships through %s (%s), want only %v", u.Index, strings.Join(u.Keys, ", "), c.Want))
				}
			}
		}
		for _, a := range c.Want {
			if !found[a] {
				errs = append(errs, fmt.Sprintf("no plan reads %s by %s", p.Index(a.Index), a.Key))
			}
		}
		if len(errs) > 0 {
			var plans strings.Builder
			for _, st := range stmts {
				fmt.Fprintf(&plans, "\n%s\n%s", st.Query, st.Plan)
			}
			t.Errorf("%s:\n- %s\nstatements and plans:%s", c.Name, strings.Join(errs, "\n- "), plans.String())
		}
	}
}

// point reports whether u finds one membership by all of its columns
// (either index does that as well as the other).
func point(u Use) bool {
	return slices.Contains(u.Keys, "team_id") && slices.Contains(u.Keys, "group_id") && slices.Contains(u.Keys, "user_id")
}

// CheckFilters checks what the filters whose plans Calls pins answer on
// the store Build made, both as a filter that only a child table answers
// (an IN over the child's index) and as one pinned by the resource's own
// index (a count per row found), negated and not.
func CheckFilters(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	// UserInBig (user 10) is in Big, GroupID(13) and GroupID(24); not in Small.
	other := GroupID(13)
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`groups.value eq "` + other + `" and userName eq "` + UserName + `"`, []string{UserInBig}},
		{`userName eq "` + UserName + `" and groups.value eq "` + Big + `"`, []string{UserInBig}},
		{`userName eq "` + UserName + `" and groups.value eq "` + Small + `"`, nil},
		{`userName eq "` + UserName + `" and not (groups.value eq "` + Big + `")`, nil},
		{`userName eq "` + UserName + `" and not (groups.value eq "` + Small + `")`, []string{UserInBig}},
		{`userName eq "` + UserName + `" and (groups.value eq "` + Small + `" or groups[value eq "` + other + `"])`, []string{UserInBig}},
		{`id eq "` + UserInBig + `" and groups[value eq "` + Small + `" or value eq "nothing"]`, nil},
		{`userName eq "` + UserName + `" and emails.value eq "` + strings.ToUpper(UserName) + `"`, []string{UserInBig}},
		{`userName eq "` + UserName + `" and emails co "@a.example"`, []string{UserInBig}},
		{`userName eq "` + UserName + `" and emails co "@b.example"`, nil},
		{`externalId eq "00u` + UserInBig[len("a-u"):] + `" and emails[type eq "work" and value sw "user1001"]`, []string{UserInBig}},
		{`externalId eq null and groups.value eq "` + Big + `"`, nil}, // eq null pins nothing
	} {
		users, total, err := s.ListUsers(ctx, TeamA, store.Query{Type: scim.UserType, Filter: parse(c.filter), Page: store.Page{Limit: 10}})
		var got []string
		for _, u := range users {
			got = append(got, u.ID)
		}
		if err != nil || total != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("users %s: %v (total %d), %v; want %v", c.filter, got, total, err, c.want)
		}
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`id eq "` + Big + `" and members[value eq "` + UserInBig + `"]`, []string{Big}},
		{`id eq "` + Small + `" and members[value eq "` + UserInBig + `"]`, nil},
		{`displayName eq "Group ` + other + `" and members.value eq "` + UserInBig + `"`, []string{other}},
		{`displayName eq "Group ` + other + `" and not (members.value eq "` + UserInBig + `")`, nil},
		{`members.value eq "` + UserInBig + `"`, []string{Big, other, GroupID(24)}},
	} {
		groups, total, err := s.ListGroups(ctx, TeamA, store.Query{Type: scim.GroupType, Filter: parse(c.filter), Page: store.Page{Limit: 10}})
		var got []string
		for _, g := range groups {
			got = append(got, g.ID)
		}
		if err != nil || total != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("groups %s: %v (total %d), %v; want %v", c.filter, got, total, err, c.want)
		}
	}
}
