package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// testFilterProperty holds the SQL filter compiler to the reference
// semantics of scim.Match: over random users and random filters, the
// store returns exactly the users the in-memory evaluator accepts.

var vocab = []string{"ann", "Ann", "ANNA", "bob", "Bo", "carl", "x1", "ab", "b"}

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

func randCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i := range b {
		if r.IntN(3) == 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		}
	}
	return string(b)
}

// randUser builds canonical attributes the way the service stores them.
func randUser(r *rand.Rand, i int) scim.Resource {
	res := scim.Resource{"userName": fmt.Sprintf("%s%d@example.com", pick(r, vocab), i), "active": r.IntN(2) == 0}
	maybe := func(k string, v any) {
		if r.IntN(2) == 0 {
			res[k] = v
		}
	}
	maybe("externalId", pick(r, vocab))
	maybe("displayName", pick(r, vocab)+" "+pick(r, vocab))
	maybe("nickName", pick(r, vocab))
	maybe("title", pick(r, vocab))
	if r.IntN(3) > 0 {
		name := map[string]any{"givenName": pick(r, vocab)}
		if r.IntN(2) == 0 {
			name["familyName"] = pick(r, vocab)
		}
		res["name"] = name
	}
	multi := func(k string, n int, types []string) {
		var l []any
		for j := 0; j < n; j++ {
			e := map[string]any{"value": pick(r, vocab) + fmt.Sprint(j)}
			if r.IntN(3) > 0 {
				e["type"] = pick(r, types)
			}
			if r.IntN(3) == 0 {
				e["primary"] = r.IntN(2) == 0
			}
			l = append(l, e)
		}
		if l != nil {
			res[k] = l
		}
	}
	multi("emails", r.IntN(3), []string{"work", "home"})
	multi("phoneNumbers", r.IntN(3), []string{"work", "mobile"})
	multi("roles", r.IntN(2), []string{"a", "b"})
	if r.IntN(2) == 0 {
		ent := map[string]any{"department": pick(r, vocab)}
		if r.IntN(2) == 0 {
			ent["manager"] = map[string]any{"value": pick(r, vocab)}
		}
		res[scim.EnterpriseUserURN] = ent
	}
	return res
}

var (
	stringPaths = []filter.AttrPath{
		{Name: "userName"}, {Name: "externalId"}, {Name: "displayName"}, {Name: "nickName"}, {Name: "title"},
		{Name: "name", Sub: "givenName"}, {Name: "name", Sub: "familyName"},
		{Name: "emails", Sub: "value"}, {Name: "emails"}, {Name: "emails", Sub: "type"},
		{Name: "phoneNumbers", Sub: "value"}, {Name: "phoneNumbers", Sub: "type"}, {Name: "roles", Sub: "value"},
		{URN: scim.EnterpriseUserURN, Name: "department"}, {URN: scim.EnterpriseUserURN, Name: "manager", Sub: "value"},
	}
	boolPaths  = []filter.AttrPath{{Name: "active"}, {Name: "emails", Sub: "primary"}, {Name: "roles", Sub: "primary"}}
	stringOps  = []filter.Op{filter.Eq, filter.Ne, filter.Co, filter.Sw, filter.Ew, filter.Gt, filter.Ge, filter.Lt, filter.Le, filter.Pr}
	timeOps    = []filter.Op{filter.Gt, filter.Ge, filter.Lt, filter.Le, filter.Eq, filter.Ne}
	multiAttrs = []string{"emails", "phoneNumbers", "roles"}
)

func randLiteral(r *rand.Rand) filter.Value {
	s := pick(r, vocab)
	if r.IntN(4) == 0 {
		s = s[:1+r.IntN(len(s))] // prefixes make sw/co/gt interesting
	}
	return filter.Value{Kind: filter.String, Str: randCase(r, s)}
}

func randCompare(r *rand.Rand, created []time.Time) filter.Expr {
	switch r.IntN(10) {
	case 0, 1:
		p := pick(r, boolPaths)
		if r.IntN(5) == 0 {
			return filter.Compare{Path: p, Op: filter.Pr}
		}
		v := filter.Value{Kind: filter.Bool, Bool: r.IntN(2) == 0}
		if r.IntN(3) == 0 {
			v = filter.Value{Kind: filter.String, Str: map[bool]string{true: "True", false: "False"}[v.Bool]}
		}
		return filter.Compare{Path: p, Op: pick(r, []filter.Op{filter.Eq, filter.Ne}), Value: v}
	case 2:
		ts := pick(r, created).Add(time.Duration(r.IntN(3)-1) * time.Second)
		return filter.Compare{Path: filter.AttrPath{Name: "meta", Sub: pick(r, []string{"created", "lastModified"})}, Op: pick(r, timeOps),
			Value: filter.Value{Kind: filter.String, Str: ts.Format(time.RFC3339)}}
	case 3:
		p := pick(r, []filter.AttrPath{{Name: "title"}, {Name: "externalId"}, {Name: "nickName"}})
		return filter.Compare{Path: p, Op: pick(r, []filter.Op{filter.Eq, filter.Ne}), Value: filter.Value{Kind: filter.Null}}
	case 4:
		attr := pick(r, multiAttrs)
		sub := func() filter.Expr {
			if r.IntN(3) == 0 {
				return filter.Compare{Path: filter.AttrPath{Name: "primary"}, Op: filter.Eq, Value: filter.Value{Kind: filter.Bool, Bool: true}}
			}
			return filter.Compare{Path: filter.AttrPath{Name: pick(r, []string{"value", "type"})}, Op: pick(r, stringOps[:9]), Value: randLiteral(r)}
		}
		var f filter.Expr = sub()
		if r.IntN(2) == 0 {
			f = filter.And{Left: f, Right: sub()}
		}
		return filter.ValuePath{Path: filter.AttrPath{Name: attr}, Filter: f}
	}
	op := pick(r, stringOps)
	c := filter.Compare{Path: pick(r, stringPaths), Op: op}
	if op != filter.Pr {
		c.Value = randLiteral(r)
	}
	return c
}

func randFilter(r *rand.Rand, depth int, created []time.Time) filter.Expr {
	if depth == 0 || r.IntN(3) == 0 {
		return randCompare(r, created)
	}
	switch r.IntN(3) {
	case 0:
		return filter.And{Left: randFilter(r, depth-1, created), Right: randFilter(r, depth-1, created)}
	case 1:
		return filter.Or{Left: randFilter(r, depth-1, created), Right: randFilter(r, depth-1, created)}
	}
	return filter.Not{X: randFilter(r, depth-1, created)}
}

func testFilterProperty(t *testing.T, s store.Store) {
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	tm := mkTeam(t, s, "prop")
	const users = 60
	var rendered []map[string]any
	var created []time.Time
	for i := 0; i < users; i++ {
		res := randUser(r, i)
		b, _ := json.Marshal(res)
		at := base.Add(time.Duration(i) * time.Second)
		u := store.User{TeamID: tm.ID, ID: fmt.Sprintf("u%03d", i), UserName: res.String("userName"), ExternalID: res.String("externalId"),
			DisplayName: res.String("displayName"), Source: "scim", Role: "Developer", Attrs: b,
			Created: at, Modified: at.Add(time.Duration(r.IntN(100)) * time.Second), Version: 1}
		u.Active, _ = res.Bool("active")
		for _, e := range res.Values("emails", "value") {
			u.Emails = append(u.Emails, store.Email{Value: e})
		}
		// The emails rows carry type and primary as the service writes them.
		u.Emails = nil
		if list, ok := res["emails"].([]any); ok {
			for _, e := range list {
				m := e.(map[string]any)
				typ, _ := m["type"].(string)
				p, _ := m["primary"].(bool)
				u.Emails = append(u.Emails, store.Email{Value: m["value"].(string), Type: typ, Primary: p})
			}
		}
		tx(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
		// Round-trip through JSON, as the HTTP layer renders it.
		out := scim.Render(scim.UserType, u.ID, res, scim.Meta{ResourceType: "User", Created: u.Created, LastModified: u.Modified}, nil)
		var m map[string]any
		raw, _ := json.Marshal(out)
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		_ = dec.Decode(&m)
		rendered = append(rendered, m)
		created = append(created, at)
	}
	checked := 0
	for i := 0; i < 400; i++ {
		f := randFilter(r, 3, created)
		var want []string
		var evalErr error
		for _, m := range rendered {
			ok, err := scim.Match(scim.UserType, m, f)
			if err != nil {
				evalErr = err
				break
			}
			if ok {
				want = append(want, m["id"].(string))
			}
		}
		page, total, err := s.ListUsers(ctx, tm.ID, store.Query{Filter: f, Page: store.Page{Limit: users}})
		if (err != nil) != (evalErr != nil) {
			t.Fatalf("filter %s: store error %v, evaluator error %v (seed %d)", filter.Format(f), err, evalErr, seed)
		}
		if err != nil {
			continue
		}
		var got []string
		for _, u := range page {
			got = append(got, u.ID)
		}
		sort.Strings(got)
		if total != len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("filter %s (seed %d):\n store %v\n  eval %v", filter.Format(f), seed, got, want)
		}
		checked++
	}
	if checked < 300 {
		t.Fatalf("only %d of 400 random filters compiled; the generator drifted from what is supported", checked)
	}
}
