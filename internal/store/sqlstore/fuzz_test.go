package sqlstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

const fuzzTeam = "team-7f3a"

var dialects = []sqlstore.Dialect{sqlite.Dialect, postgres.Dialect}

// listTypes are the resource types lists are compiled for: Users with and
// without a team's custom attributes, and Groups.
var listTypes = []struct {
	groups bool
	rt     *scim.ResourceType
}{
	{false, nil},
	{false, scim.UserTypeWith([]scim.CustomAttribute{
		{Name: "badge", Type: scim.TypeInteger},
		{Name: "score", Type: scim.TypeDecimal},
		{Name: "vip", Type: scim.TypeBoolean},
		{Name: "tags", Type: scim.TypeString, MultiValued: true},
		{Name: "hired", Type: scim.TypeDateTime},
		{Name: "homepage", Type: scim.TypeReference, CaseExact: true},
	})},
	{true, nil},
}

var filterSQLSeeds = []string{
	// What IdPs send.
	`userName eq "test.user@okta.local"`,
	`externalId eq "00ujl29u0le5T6Aj10h7"`,
	`displayName eq "Group1DisplayName"`,
	`id eq "2819c223-7f76-453a-919d-413861904646"`,
	`emails[type eq "work" and value eq "Test_User@testuser.com"]`,
	`members[value eq "u-1"]`,
	`members.value eq "u-1" and displayName eq "G"`,
	`active eq "True" and meta.lastModified gt "2011-05-13T04:42:34Z"`,
	// Every column kind, JSON attribute type and operator.
	`userName sw "J" or userName ew "@example.com" or userName co "'; DROP TABLE users; --" or userName gt "a"`,
	`externalId eq null or displayName ne null or externalId pr or displayName co "x?y"`,
	`meta.created ge "2020-01-01T00:00:00.5+02:00" and meta.created lt "9999-12-31T23:59:59-01:00"`,
	`meta.resourceType eq "User" or meta.resourceType eq "Group"`,
	`title pr and userType eq "Employee" and not (nickName co "\\")`,
	`name.familyName co "O'Malley" and name.givenName sw "?"`,
	`emails.primary eq true and emails.type eq "work" and emails co "example.org"`,
	`phoneNumbers[type eq "mobile" or not (value sw "+1")]`,
	`addresses[primary eq true and country eq "DE"] or addresses eq "x"`,
	`x509Certificates.value eq "MIIDQzCC" or photos[value co "http"]`,
	`groups.value eq "g-1" or groups[value eq "g-2"] or groups.display eq "G"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt 5 and urn:ietf:params:scim:schemas:core:2.0:User:userName pr`,
	`urn:ietf:params:scim:schemas:extension:roster:2.0:User:badge ge 10 and urn:ietf:params:scim:schemas:extension:roster:2.0:User:vip ne false`,
	`urn:ietf:params:scim:schemas:extension:roster:2.0:User:tags co "a" and urn:ietf:params:scim:schemas:extension:roster:2.0:User:hired lt "2024-01-01T00:00:00Z"`,
	`urn:ietf:params:scim:schemas:extension:roster:2.0:User:score lt -1.5e3 or urn:ietf:params:scim:schemas:extension:roster:2.0:User:homepage sw "https:"`,
	`password eq "x"`,
	`active gt true`,
	`meta.created eq 5`,
	`userName eq "a\u0000b"`,
	`emails[value eq "x"].type eq "work"`,
	`name eq "x" or name pr`,
	`urn:example:nope:attr eq 1`,
}

// FuzzFilterSQL compiles every filter that parses, for both dialects and
// every resource type. It either fails with an UnsupportedFilterError
// (answered with 400 invalidFilter), or gives SQL in which values are
// only ever parameters: the text is the same when every literal is
// replaced by another of its kind (so no fragment of a literal is in it),
// it has exactly one placeholder per argument and balanced parentheses,
// and every argument is the team id or comes from a literal (a dateTime
// as a timestamp that reads back as the same instant).
func FuzzFilterSQL(f *testing.F) {
	for _, s := range filterSQLSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := filter.Parse(src, filter.Limits{})
		if err != nil {
			return
		}
		other := replaceLiterals(e)
		var lits []filter.Value
		collectLiterals(e, &lits)
		for _, d := range dialects {
			for _, lt := range listTypes {
				q := store.Query{Filter: e, Type: lt.rt}
				where, args, _, _, err := sqlstore.ListSQL(d, lt.groups, fuzzTeam, q)
				q.Filter = other
				where2, args2, _, _, err2 := sqlstore.ListSQL(d, lt.groups, fuzzTeam, q)
				if err != nil {
					var ue *store.UnsupportedFilterError
					if !errors.As(err, &ue) || ue.Reason == "" {
						t.Fatalf("%s: %q: error %v (%T), want an UnsupportedFilterError", d.Name, src, err, err)
					}
					if err2 == nil {
						t.Fatalf("%s: %q fails (%v), but compiles with other literals:\n%s", d.Name, src, err, where2)
					}
					continue
				}
				if err2 != nil {
					t.Fatalf("%s: %q compiles, but fails with other literals: %v", d.Name, src, err2)
				}
				if where != where2 || len(args) != len(args2) {
					t.Fatalf("%s: the SQL of %q depends on its literals:\n%s\n%s", d.Name, src, where, where2)
				}
				if !strings.HasPrefix(where, " AND (") || !strings.HasSuffix(where, ")") {
					t.Fatalf("%s: %q: %q is not an AND term", d.Name, src, where)
				}
				n, balanced := scanSQL(where)
				if n != len(args) || !balanced {
					t.Fatalf("%s: %q: %d placeholders for %d args, balanced %v:\n%s", d.Name, src, n, len(args), balanced, where)
				}
				for _, a := range args {
					checkArg(t, d.Name, src, a, lits)
				}
			}
		}
	})
}

// checkArg asserts an argument is the team id or made from a literal.
func checkArg(t *testing.T, dialect, src string, a any, lits []filter.Value) {
	t.Helper()
	switch v := a.(type) {
	case int: // a boolean column
		if v == 0 || v == 1 {
			return
		}
	case float64:
		for _, l := range lits {
			if l.Kind == filter.Number && l.Num == v {
				return
			}
		}
	case string:
		if v == fuzzTeam {
			return
		}
		for _, l := range lits {
			s := l.Str
			if l.Kind == filter.Bool {
				s = map[bool]string{true: "true", false: "false"}[l.Bool]
			}
			if v == s || v == sqlstore.Fold(s) {
				return
			}
			if l.Kind != filter.String {
				continue
			}
			ts, err := time.Parse(time.RFC3339Nano, l.Str)
			if err != nil || v != ts.UTC().Format(sqlstore.TimeLayout) {
				continue
			}
			back, err := time.Parse(sqlstore.TimeLayout, v)
			if err != nil || !back.Equal(ts) {
				t.Fatalf("%s: %q: dateTime %q is bound as %q, which reads back as %v (%v)", dialect, src, l.Str, v, back, err)
			}
			return
		}
	}
	t.Fatalf("%s: %q: argument %#v comes from no literal", dialect, src, a)
}

// scanSQL counts the ? placeholders outside '…' literals and reports
// whether the parentheses outside them balance.
func scanSQL(q string) (placeholders int, balanced bool) {
	depth, quoted := 0, false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '?':
			placeholders++
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return placeholders, false
			}
		}
	}
	return placeholders, depth == 0 && !quoted
}

// replaceLiterals returns e with every literal replaced by another of the
// same kind, as the compiler sees kinds: a string that is a boolean by
// another boolean string of the same value, a timestamp by another
// timestamp (of a year the store can or can't hold, as the original), any
// other string by "lit" (NUL kept, which is refused), a
// number by 1. meta.resourceType literals stay: they are decided at
// compile time, as constants.
func replaceLiterals(e filter.Expr) filter.Expr {
	switch t := e.(type) {
	case filter.And:
		return filter.And{Left: replaceLiterals(t.Left), Right: replaceLiterals(t.Right)}
	case filter.Or:
		return filter.Or{Left: replaceLiterals(t.Left), Right: replaceLiterals(t.Right)}
	case filter.Not:
		return filter.Not{X: replaceLiterals(t.X)}
	case filter.ValuePath:
		return filter.ValuePath{Path: t.Path, Filter: replaceLiterals(t.Filter)}
	case filter.Compare:
		if strings.EqualFold(t.Path.Name, "meta") && strings.EqualFold(t.Path.Sub, "resourceType") {
			return t
		}
		switch v := &t.Value; v.Kind {
		case filter.Number:
			v.Str, v.Num = "1", 1
		case filter.String:
			b, isBool := scim.ParseBool(v.Str)
			ts, terr := time.Parse(time.RFC3339Nano, v.Str)
			switch {
			case strings.IndexByte(v.Str, 0) >= 0:
				v.Str = "\x00"
			case isBool:
				v.Str = map[bool]string{true: "tRUE", false: "False"}[b]
			case terr == nil && ts.UTC().Year() >= 0 && ts.UTC().Year() <= 9999:
				v.Str = "2001-02-03T04:05:06.7Z"
			case terr == nil: // a year the store can't order
				v.Str = "0000-01-01T00:00:00+00:01"
			default:
				v.Str = "lit"
			}
		}
		return t
	}
	return e
}

func collectLiterals(e filter.Expr, out *[]filter.Value) {
	switch t := e.(type) {
	case filter.And:
		collectLiterals(t.Left, out)
		collectLiterals(t.Right, out)
	case filter.Or:
		collectLiterals(t.Left, out)
		collectLiterals(t.Right, out)
	case filter.Not:
		collectLiterals(t.X, out)
	case filter.ValuePath:
		collectLiterals(t.Filter, out)
	case filter.Compare:
		*out = append(*out, t.Value)
	}
}

var sortSQLSeeds = []string{
	"", "userName", "displayName", "externalId", "id", "meta.created", "meta.lastModified", "meta.resourceType",
	"name.familyName", "name", "emails", "emails.value", "emails.type", "phoneNumbers.value", "addresses.locality", "addresses",
	"groups", "groups.value", "members", "members.value", "active", "title", "password",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
	"urn:ietf:params:scim:schemas:core:2.0:User:userName",
	"urn:ietf:params:scim:schemas:extension:roster:2.0:User:badge",
	"urn:ietf:params:scim:schemas:extension:roster:2.0:User:tags",
	`emails[type eq "work"].value`, "userName'", "a b", "urn:x:y",
}

// FuzzSortSQL compiles arbitrary sortBy values for both dialects and every
// resource type, with and without a selective filter. A sortBy is refused
// with an InvalidSortError, or gives an ORDER BY without placeholders,
// with balanced parentheses, ending in the stable tail, and the same
// whatever the case of the attribute path (so no part of it is spliced).
func FuzzSortSQL(f *testing.F) {
	for _, s := range sortSQLSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	selective, err := filter.Parse(`id eq "x"`, filter.Limits{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sortBy string, desc bool) {
		for _, d := range dialects {
			for _, lt := range listTypes {
				for _, fe := range []filter.Expr{nil, selective} {
					q := store.Query{Filter: fe, Type: lt.rt, SortBy: sortBy, Descending: desc}
					_, _, order, orderArgs, err := sqlstore.ListSQL(d, lt.groups, fuzzTeam, q)
					q.SortBy = swapCase(sortBy)
					_, _, order2, _, err2 := sqlstore.ListSQL(d, lt.groups, fuzzTeam, q)
					if err != nil {
						var se *store.InvalidSortError
						if !errors.As(err, &se) || se.Reason == "" {
							t.Fatalf("%s: sortBy %q: error %v (%T), want an InvalidSortError", d.Name, sortBy, err, err)
						}
						if err2 == nil {
							t.Fatalf("%s: sortBy %q fails (%v), but %q gives %s", d.Name, sortBy, err, q.SortBy, order2)
						}
						continue
					}
					if err2 != nil || order2 != order {
						t.Fatalf("%s: sortBy %q and %q differ:\n%s\n%s (%v)", d.Name, sortBy, q.SortBy, order, order2, err2)
					}
					n, balanced := scanSQL(order)
					if n != 0 || len(orderArgs) != 0 || !balanced {
						t.Fatalf("%s: sortBy %q: %d placeholders, %d args, balanced %v:\n%s", d.Name, sortBy, n, len(orderArgs), balanced, order)
					}
					if !strings.HasPrefix(order, " ORDER BY ") || !strings.HasSuffix(order, ".id") && !strings.HasSuffix(order, ".id)") {
						t.Fatalf("%s: sortBy %q: %q does not end in the stable order", d.Name, sortBy, order)
					}
					if sortBy == "" && strings.Contains(order, "IS NULL") {
						t.Fatalf("%s: no sortBy, but %s", d.Name, order)
					}
				}
			}
		}
	})
}

// swapCase swaps the case of ASCII letters; attribute paths, URNs
// included, match case-insensitively.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
