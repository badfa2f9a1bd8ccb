package postgres_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/store/sqlstore/plantest"
)

// teamTables are the tables that grow with the teams: a hot call never
// reads one whole (Seq Scan).
var teamTables = []string{"users", "user_emails", "scim_groups", "group_members", "group_roles"}

// condKey finds the index columns an Index Cond binds:
// "((team_id = 'a'::text) AND (user_id = ANY (…)))".
var condKey = regexp.MustCompile(`\((\w+) (?:=|<|>|<=|>=) `)

// pgPlanner reads EXPLAIN (FORMAT JSON) output.
var pgPlanner = plantest.Planner{
	Prefix: "EXPLAIN (FORMAT JSON)",
	Index:  func(name string) string { return name },
	Read:   readPGPlan,
}

type pgNode struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	Index     string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	Plans     []pgNode `json:"Plans"`
}

// readPGPlan reads the index accesses of a plan, and flags sequential
// scans of team tables and index reads of every membership of a team.
//
// Unlike SQLite's test, it lets an index read the team's rows of the
// other tables (a merge join over the 2,000 users' primary key to count a
// group's 200 members, over a team's 4 role bindings to find a user's
// roles): PostgreSQL chooses those by cost, from statistics, only while
// the team is small enough for them to be the cheaper plan, and turns to
// the probes as it grows. Its memberships are what the issue is about:
// those are read by the intended index, whatever the statistics say.
func readPGPlan(plan string) (uses []plantest.Use, problems []string) {
	var top []struct{ Plan pgNode }
	if err := json.Unmarshal([]byte(plan), &top); err != nil {
		return nil, []string{"unreadable plan: " + err.Error()}
	}
	var walk func(n pgNode)
	walk = func(n pgNode) {
		switch n.NodeType {
		case "Seq Scan":
			if slices.Contains(teamTables, n.Relation) {
				problems = append(problems, "reads the whole table "+n.Relation)
			}
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			var keys []string
			for _, m := range condKey.FindAllStringSubmatch(n.IndexCond, -1) {
				if !slices.Contains(keys, m[1]) { // "team_id = m.team_id AND team_id = 'a'"
					keys = append(keys, m[1])
				}
			}
			uses = append(uses, plantest.Use{Index: n.Index, Keys: keys})
			if strings.HasPrefix(n.Index, "group_members") && (len(keys) == 0 || len(keys) == 1 && keys[0] == "team_id") {
				problems = append(problems, fmt.Sprintf("%s on %s binds %q: it reads every membership of the team", n.NodeType, n.Index, n.IndexCond))
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range top {
		walk(p.Plan)
	}
	return uses, problems
}

// TestMembershipPlans pins, on PostgreSQL, the plans of the same store
// calls as the SQLite test (plantest.Calls) on the same realistic store:
// after VACUUM ANALYZE (the state autovacuum keeps a database in), and
// before any statistics (autovacuum off), where only the calls that read
// for one key are held to it (plantest.Narrow).
//
// The team tables are written ten times as sparse as PostgreSQL would
// write them (fillfactor 10): reading one whole then costs what it costs
// in a database holding ten times as many rows, other teams', as a shared
// database does. Without it PostgreSQL rightly reads a table of a few
// pages whole, and the test would only show that its store is small.
func TestMembershipPlans(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, table := range teamTables {
		if _, err := s.DB().ExecContext(ctx, "ALTER TABLE "+table+" SET (autovacuum_enabled = false, fillfactor = 10)"); err != nil {
			t.Fatal(err)
		}
	}
	plantest.Build(t, s, plantest.Users)
	t.Run("filters", func(t *testing.T) { plantest.CheckFilters(t, s) })
	t.Run("no statistics", func(t *testing.T) { plantest.Check(t, s, pgPlanner, plantest.Narrow(plantest.Calls)) })
	if _, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE "+strings.Join(teamTables, ", ")); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", func(t *testing.T) { plantest.Check(t, s, pgPlanner, plantest.Calls) })
	// pgx keeps statements prepared, and after five runs PostgreSQL may
	// plan one for any arguments (a generic plan): the plan production
	// runs most of the time.
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	generic := pgPlanner
	generic.Replan = func(ctx context.Context, st sqlstore.Statement) (string, error) {
		return genericPlan(ctx, conn, st)
	}
	t.Run("generic plans", func(t *testing.T) { plantest.Check(t, s, generic, plantest.Calls) })
}

// genericPlan is the plan PostgreSQL makes of st prepared, for any
// arguments.
func genericPlan(ctx context.Context, conn *sql.Conn, st sqlstore.Statement) (string, error) {
	if _, err := conn.ExecContext(ctx, "PREPARE plantest_generic AS "+st.Query); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, "DEALLOCATE plantest_generic")
	args := make([]string, len(st.Args))
	for i, a := range st.Args {
		switch v := a.(type) {
		case string:
			args[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case int, int64:
			args[i] = fmt.Sprint(v)
		default:
			return "", fmt.Errorf("argument %d: %T", i+1, a)
		}
	}
	q := "EXPLAIN (FORMAT JSON) EXECUTE plantest_generic"
	if len(args) > 0 {
		q += "(" + strings.Join(args, ", ") + ")"
	}
	var plan string
	err := conn.QueryRowContext(ctx, q).Scan(&plan)
	return plan, err
}

// TestTextColumnsCollateC: every text column of the team tables has the
// "C" collation (0001's rule). A column without it compared with one that
// has it takes the other's collation, and its index can no longer serve
// the join: group_roles, made without it in 0005, had a user's roles read
// from every role binding of the team until 0008.
func TestTextColumnsCollateC(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().QueryContext(ctx, `SELECT table_name, column_name, coalesce(collation_name, '') FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'text' AND table_name = ANY ($1)
		AND coalesce(collation_name, '') <> 'C' ORDER BY table_name, column_name`, teamTables)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s.%s has collation %q, want \"C\"", table, column, collation)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
