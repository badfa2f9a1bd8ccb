package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
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
