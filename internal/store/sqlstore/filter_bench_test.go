package sqlstore

import (
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// benchDialect is SQLite's dialect in shape (package sqlite imports this
// one, so the test can't import it).
var benchDialect = Dialect{
	Name:              "sqlite",
	IsUniqueViolation: func(error) bool { return false },
	Contains:          func(h, n string) string { return "instr(" + h + ", " + n + ") > 0" },
	JSONValue: func(col string, path []string) string {
		return "json_extract(" + col + ", '$." + path[len(path)-1] + "')"
	},
	JSONEach: func(col string, path []string, alias string) (string, func([]string) string) {
		return "json_each(" + col + ") AS " + alias, func(p []string) string { return alias + ".value" }
	},
	JSONBoolIs:     func(expr string, b bool) string { return expr },
	JSONNumber:     func(expr string) string { return expr },
	UnindexedOrder: func(col string) string { return "+" + col },
}

func benchCompile(b *testing.B, src string) {
	f, err := filter.Parse(src, filter.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	r := reader{d: benchDialect}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, _, err := r.listSQL(userFilterAttrs, "u", "team-1", store.Query{Filter: f, Type: scim.UserType, Page: store.Page{Limit: 100}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterToSQLUserNameEq is the lookup every IdP makes.
func BenchmarkFilterToSQLUserNameEq(b *testing.B) {
	benchCompile(b, `userName eq "bjensen@example.com"`)
}

// BenchmarkFilterToSQLComplex mixes columns, child tables and JSON.
func BenchmarkFilterToSQLComplex(b *testing.B) {
	benchCompile(b, `userType eq "Employee" and (emails[type eq "work" and value co "@example.com"] or `+
		`not (title pr)) and meta.lastModified gt "2011-05-13T04:42:34Z" or active eq true`)
}
