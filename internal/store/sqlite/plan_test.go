package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore/plantest"
)

// TestLookupsUseIndexes: the lookups IdPs make on every sync are index
// searches, never scans of the team's users, so they stay flat at a
// million members.
func TestLookupsUseIndexes(t *testing.T) {
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	str := func(v string) filter.Value { return filter.Value{Kind: filter.String, Str: v} }
	for name, f := range map[string]filter.Expr{
		"userName eq":     filter.Compare{Path: filter.AttrPath{Name: "userName"}, Op: filter.Eq, Value: str("a@b.c")},
		"externalId eq":   filter.Compare{Path: filter.AttrPath{Name: "externalId"}, Op: filter.Eq, Value: str("x")},
		"id eq":           filter.Compare{Path: filter.AttrPath{Name: "id"}, Op: filter.Eq, Value: str("x")},
		"emails.value eq": filter.Compare{Path: filter.AttrPath{Name: "emails", Sub: "value"}, Op: filter.Eq, Value: str("a@b.c")},
		"Entra emails[type eq work].value eq": filter.ValuePath{Path: filter.AttrPath{Name: "emails"}, Filter: filter.And{
			Left:  filter.Compare{Path: filter.AttrPath{Name: "type"}, Op: filter.Eq, Value: str("work")},
			Right: filter.Compare{Path: filter.AttrPath{Name: "value"}, Op: filter.Eq, Value: str("a@b.c")}}},
	} {
		plan, err := s.ExplainListUsers(context.Background(), "EXPLAIN QUERY PLAN", "team", store.Query{Filter: f, Page: store.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		// "SCAN u" would read every user of the team; a SEARCH is an
		// index lookup. (SQLite may still sort the few matches.)
		if strings.Contains(plan, "SCAN u") || strings.Contains(plan, "USING INDEX users_order") || !strings.Contains(plan, "SEARCH") {
			t.Errorf("%s: plan scans users:\n%s", name, plan)
		}
	}
	// Paging the whole team (an IdP import) walks the order index: no sort
	// of the team's users per page.
	plan, err := s.ExplainListUsers(context.Background(), "EXPLAIN QUERY PLAN", "team", store.Query{Page: store.Page{Offset: 500, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING INDEX users_order") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("import paging plan:\n%s", plan)
	}
}

// sqlitePlanner reads EXPLAIN QUERY PLAN output.
var sqlitePlanner = plantest.Planner{
	Prefix: "EXPLAIN QUERY PLAN",
	Index: func(name string) string {
		if table, ok := strings.CutSuffix(name, "_pkey"); ok {
			return "sqlite_autoindex_" + table + "_1"
		}
		return name
	},
	Read: readSQLitePlan,
}

// readSQLitePlan reads the index accesses of a plan ("SEARCH m USING
// COVERING INDEX group_members_user (team_id=? AND user_id=?)") and
// flags whole scans of a table ("SCAN m", "SCAN m USING INDEX …") and
// searches that bind only the team ("… (team_id=?)"): both cost as much
// as the team is large.
func readSQLitePlan(plan string) (uses []plantest.Use, problems []string) {
	subqueries := map[string]bool{}
	for _, line := range strings.Split(plan, "\n") {
		// Rows are "id parent notused detail".
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 {
			continue
		}
		detail := f[3]
		words := strings.Fields(detail)
		switch {
		case len(words) >= 2 && (words[0] == "CO-ROUTINE" || words[0] == "MATERIALIZE"):
			subqueries[words[1]] = true
		case len(words) >= 2 && words[0] == "SCAN":
			// Not tables: a constant row, the rows of a VALUES list, a
			// subquery's result.
			if words[1] != "CONSTANT" && !strings.HasSuffix(detail, "VALUES CLAUSE") && !subqueries[words[1]] && !strings.HasPrefix(words[1], "(") {
				problems = append(problems, "scans a table: "+detail)
			}
		case len(words) >= 2 && words[0] == "SEARCH":
			_, rest, ok := strings.Cut(detail, " INDEX ")
			if !ok {
				continue // by rowid
			}
			name, cond, _ := strings.Cut(rest, " ")
			cond = strings.Trim(cond, "()")
			var keys []string
			for _, term := range strings.Split(cond, " AND ") {
				keys = append(keys, strings.TrimRight(strings.FieldsFunc(term, func(r rune) bool { return r == '=' || r == '<' || r == '>' || r == ' ' })[0], " "))
			}
			uses = append(uses, plantest.Use{Index: name, Keys: keys})
			if len(keys) == 1 && keys[0] == "team_id" {
				problems = append(problems, "walks every row of the team: "+detail)
			}
		}
	}
	return uses, problems
}

// TestMembershipPlans pins the plan of every store call that touches
// memberships on a realistic store (plantest): each reads one user's
// memberships by group_members_user and one group's by the primary key,
// whether SQLite has statistics or not (ANALYZE, as PRAGMA optimize
// would run it, on a team with a group of a tenth of its members).
//
// Under the race detector, SQLite (compiled to Go) runs some twenty times
// slower and the team is a quarter of the size: the plans are the same
// (the test has no concurrency for the detector to check).
func TestMembershipPlans(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users := plantest.Users
	if raceEnabled {
		users /= 4
	}
	plantest.Build(t, s, users)
	t.Run("filters", func(t *testing.T) { plantest.CheckFilters(t, s) })
	t.Run("no statistics", func(t *testing.T) { plantest.Check(t, s, sqlitePlanner, plantest.Calls) })
	// Statistics are read when a connection opens, or by the connection
	// that ran ANALYZE: the store is held to that one from here on.
	s.DB().SetMaxOpenConns(1)
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'group_members'").Scan(&n); err != nil || n == 0 {
		t.Fatalf("ANALYZE left %d statistics of group_members: %v", n, err)
	}
	t.Run("analyzed", func(t *testing.T) { plantest.Check(t, s, sqlitePlanner, plantest.Calls) })
}
