package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// testFoldProperty holds case-insensitive matching to scim.Match over
// random Unicode text: attributes that are not caseExact, whether the store
// keeps a folded column for them (userName, displayName, emails) or reads
// them from the JSON (name.givenName, title, the enterprise department…),
// with every operator (eq, ne, co, sw, ew, gt, ge, lt, le) and in sorts,
// which must order by the folded text byte by byte (strings.Compare on
// scim.Fold), missing values last.

// foldRunes are characters whose case trips up folding: ASCII, Latin-1 and
// Latin Extended letters, the Turkish dotted and dotless i, the Kelvin and
// Ångström signs (which lower to ASCII "k" and "å"), sharp s and its
// capital, Greek with its final sigma, Cyrillic, title-case digraphs,
// Cherokee (whose lower case is in another block), Deseret (beyond the
// BMP), characters without case (CJK, digits, punctuation), and a combining
// accent.
var foldRunes = []rune("aAzZiIkKsS09 -_.@'ÀàÉéËëÖöÜüÿŸİıKÅåßẞΣσςΩωΆάЁёЖжДдǅǄǆǈǋᏣꮳᎠꭰ𐐀𐐨李中ー々\u0301")

// randFoldString is 1 to 8 characters: mostly from foldRunes, now and then
// any code point Go can encode (NUL aside, which no store can hold).
func randFoldString(r *rand.Rand) string {
	n := 1 + r.IntN(8)
	var b strings.Builder
	for range n {
		if r.IntN(6) == 0 {
			for {
				c := rune(1 + r.IntN(unicode.MaxRune))
				if utf8.ValidRune(c) {
					b.WriteRune(c)
					break
				}
			}
			continue
		}
		b.WriteRune(pick(r, foldRunes))
	}
	return b.String()
}

// recase changes the letter case of some characters of s, the way an IdP
// or a person types a value differently from how it is stored.
func recase(r *rand.Rand, s string) string {
	var b strings.Builder
	for _, c := range s {
		switch r.IntN(4) {
		case 0:
			c = unicode.ToUpper(c)
		case 1:
			c = unicode.ToLower(c)
		case 2:
			c = unicode.ToTitle(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// foldPaths are the attributes compared: folded columns, JSON values, a
// value inside a multi-valued attribute, an extension's.
var foldPaths = []filter.AttrPath{
	{Name: "userName"}, {Name: "displayName"}, {Name: "nickName"}, {Name: "title"},
	{Name: "name", Sub: "givenName"}, {Name: "name", Sub: "familyName"},
	{Name: "emails", Sub: "value"}, {Name: "emails", Sub: "type"}, {Name: "phoneNumbers", Sub: "value"},
	{URN: scim.EnterpriseUserURN, Name: "department"},
}

// foldValues lists the values of p in a resource (for picking literals).
func foldValues(res scim.Resource, p filter.AttrPath) []string {
	var c map[string]any = res
	if p.URN != "" {
		c, _ = res[p.URN].(map[string]any)
	}
	switch v := c[p.Name].(type) {
	case string:
		return []string{v}
	case map[string]any:
		s, _ := v[p.Sub].(string)
		return []string{s}
	case []any:
		var out []string
		for _, e := range v {
			m, _ := e.(map[string]any)
			if s, ok := m[p.Sub].(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// foldLiteral is a literal for op: a stored value (or a random string),
// recased, and for co, sw and ew often a part of it.
func foldLiteral(r *rand.Rand, users []scim.Resource, p filter.AttrPath, op filter.Op) string {
	var s string
	if vals := foldValues(pick(r, users), p); len(vals) > 0 && r.IntN(5) > 0 {
		s = pick(r, vals)
	} else {
		s = randFoldString(r)
	}
	rs := []rune(s)
	switch {
	case op == filter.Sw && len(rs) > 1:
		rs = rs[:1+r.IntN(len(rs))]
	case op == filter.Ew && len(rs) > 1:
		rs = rs[r.IntN(len(rs)):]
	case op == filter.Co && len(rs) > 1:
		i := r.IntN(len(rs))
		rs = rs[i : i+1+r.IntN(len(rs)-i)]
	}
	return recase(r, string(rs))
}

func testFoldProperty(t *testing.T, s store.Store) {
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 11))
	t.Logf("seed %d", seed)
	tm := mkTeam(t, s, "fold")
	const users = 60
	var stored []scim.Resource
	var rendered []map[string]any
	var ids []string
	for i := range users {
		// userName is unique once folded: a suffix keeps two apart.
		res := scim.Resource{"userName": fmt.Sprintf("%s-%d", randFoldString(r), i), "active": true}
		maybe := func(k string, v any) {
			if r.IntN(4) > 0 {
				res[k] = v
			}
		}
		maybe("displayName", randFoldString(r))
		maybe("nickName", randFoldString(r))
		maybe("title", randFoldString(r))
		name := map[string]any{}
		if r.IntN(4) > 0 {
			name["givenName"] = randFoldString(r)
		}
		if r.IntN(4) > 0 {
			name["familyName"] = randFoldString(r)
		}
		if len(name) > 0 {
			res["name"] = name
		}
		var emails []any
		for j := range r.IntN(3) {
			e := map[string]any{"value": fmt.Sprintf("%s%d@%s", randFoldString(r), j, randFoldString(r))}
			if r.IntN(3) > 0 {
				e["type"] = randFoldString(r)
			}
			emails = append(emails, e)
		}
		if emails != nil {
			res["emails"] = emails
		}
		if r.IntN(2) == 0 {
			res["phoneNumbers"] = []any{map[string]any{"value": randFoldString(r)}}
		}
		if r.IntN(3) > 0 {
			res[scim.EnterpriseUserURN] = map[string]any{"department": randFoldString(r)}
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Second)
		u := store.User{TeamID: tm.ID, ID: fmt.Sprintf("f%03d", i), UserName: res.String("userName"), DisplayName: res.String("displayName"),
			Active: true, Source: "scim", Role: "Developer", Attrs: b, Created: at, Modified: at, Version: 1}
		for _, e := range emails {
			m := e.(map[string]any)
			typ, _ := m["type"].(string)
			u.Emails = append(u.Emails, store.Email{Value: m["value"].(string), Type: typ})
		}
		tx(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
		out := scim.Render(scim.UserType, u.ID, res, scim.Meta{ResourceType: "User", Created: at, LastModified: at}, nil)
		raw, _ := json.Marshal(out)
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		stored, rendered, ids = append(stored, res), append(rendered, m), append(ids, u.ID)
	}

	ops := []filter.Op{filter.Eq, filter.Ne, filter.Co, filter.Sw, filter.Ew, filter.Gt, filter.Ge, filter.Lt, filter.Le}
	matched := 0
	for i := range 600 {
		var f filter.Expr
		p, op := pick(r, foldPaths), pick(r, ops)
		lit := filter.Value{Kind: filter.String, Str: foldLiteral(r, stored, p, op)}
		f = filter.Compare{Path: p, Op: op, Value: lit}
		switch {
		case i%10 == 0:
			f = filter.Not{X: f}
		case i%10 == 1:
			// The same test inside a value filter: emails[type eq "…"].
			f = filter.ValuePath{Path: filter.AttrPath{Name: "emails"}, Filter: filter.Compare{Path: filter.AttrPath{Name: pick(r, []string{"value", "type"})}, Op: op,
				Value: filter.Value{Kind: filter.String, Str: foldLiteral(r, stored, filter.AttrPath{Name: "emails", Sub: "type"}, op)}}}
		case i%10 == 2:
			p2, op2 := pick(r, foldPaths), pick(r, ops)
			f = filter.Or{Left: f, Right: filter.Compare{Path: p2, Op: op2, Value: filter.Value{Kind: filter.String, Str: foldLiteral(r, stored, p2, op2)}}}
		}
		var want []string
		for j, m := range rendered {
			ok, err := scim.Match(scim.UserType, m, f)
			if err != nil {
				t.Fatalf("filter %s: evaluator: %v", filter.Format(f), err)
			}
			if ok {
				want = append(want, ids[j])
			}
		}
		page, total, err := s.ListUsers(ctx, tm.ID, store.Query{Filter: f, Page: store.Page{Limit: users}})
		if err != nil {
			t.Fatalf("filter %s (seed %d): %v", filter.Format(f), seed, err)
		}
		var got []string
		for _, u := range page {
			got = append(got, u.ID)
		}
		sort.Strings(got)
		if total != len(want) || !slices.Equal(got, want) {
			t.Fatalf("filter %s (seed %d):\n store %v\n  eval %v", filter.Format(f), seed, got, want)
		}
		if len(want) > 0 && len(want) < users {
			matched++
		}
	}
	// The literals come from stored values, recased: most filters must
	// select some users and not others, or they tested nothing.
	if matched < 150 {
		t.Fatalf("only %d of 600 filters selected some users but not all (seed %d): the generator drifted", matched, seed)
	}

	// Sorts: by the folded value, byte by byte; missing values last in
	// either direction; ties (and the missing) by creation, then id.
	for _, by := range []filter.AttrPath{{Name: "userName"}, {Name: "displayName"}, {Name: "nickName"}, {Name: "title"},
		{Name: "name", Sub: "givenName"}, {Name: "name", Sub: "familyName"}, {URN: scim.EnterpriseUserURN, Name: "department"}} {
		for _, desc := range []bool{false, true} {
			type row struct {
				id      string
				key     string
				present bool
			}
			var rows []row
			for j, res := range stored {
				vals := foldValues(res, by)
				rw := row{id: ids[j]}
				if len(vals) > 0 && vals[0] != "" {
					rw.key, rw.present = scim.Fold(vals[0]), true
				}
				rows = append(rows, rw)
			}
			sort.SliceStable(rows, func(a, b int) bool { // ids follow creation order
				x, y := rows[a], rows[b]
				if x.present != y.present {
					return x.present
				}
				if c := strings.Compare(x.key, y.key); c != 0 && x.present {
					return (c < 0) != desc
				}
				return x.id < y.id
			})
			var want []string
			for _, rw := range rows {
				want = append(want, rw.id)
			}
			page, _, err := s.ListUsers(ctx, tm.ID, store.Query{SortBy: by.String(), Descending: desc, Page: store.Page{Limit: users}})
			if err != nil {
				t.Fatalf("sortBy %s: %v", by.String(), err)
			}
			var got []string
			for _, u := range page {
				got = append(got, u.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("sortBy %s descending=%v (seed %d):\n store %v\n  want %v", by.String(), desc, seed, got, want)
			}
		}
	}
}
