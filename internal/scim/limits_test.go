package scim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/filter"
)

// values builds a JSON list of n member or email objects with distinct ids.
func values(n int, format string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, format, i)
	}
	b.WriteByte(']')
	return b.String()
}

func TestValueLimits(t *testing.T) {
	members := GroupSchema.Attr("members")
	emails := UserSchema.Attr("emails")
	tags := UserTypeWith(fuzzCustom).Extension(CustomUserURN).Attr("tags")
	if MaxValues(members) != MaxMembersPerRequest || MaxValues(emails) != MaxValuesPerRequest || MaxValues(tags) != MaxValuesPerRequest {
		t.Fatal("MaxValues picks the wrong limit")
	}
	if MaxMembersPerRequest < 10000 {
		t.Fatalf("MaxMembersPerRequest = %d; the brief asks for at least 10,000", MaxMembersPerRequest)
	}
	tests := []struct {
		name   string
		a      *Attribute
		list   string
		n      int
		limit  int
		symbol string
	}{
		{"members", members, `{"value":"u%d"}`, MaxMembersPerRequest, MaxMembersPerRequest, "MaxMembersPerRequest"},
		{"emails", emails, `{"value":"e%d@x.example"}`, MaxValuesPerRequest, MaxValuesPerRequest, "MaxValuesPerRequest"},
		{"custom strings", tags, `"t%d"`, MaxValuesPerRequest, MaxValuesPerRequest, "MaxValuesPerRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var atLimit, over []any
			if err := json.Unmarshal([]byte(values(tc.n, tc.list)), &atLimit); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(values(tc.n+1, tc.list)), &over); err != nil {
				t.Fatal(err)
			}
			nv, err := NormValue(tc.a, atLimit)
			if err != nil {
				t.Fatalf("%d values: %v", tc.n, err)
			}
			if l, _ := nv.([]any); len(l) != tc.n {
				t.Fatalf("%d values kept of %d", len(l), tc.n)
			}
			_, err = NormValue(tc.a, over)
			e := wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
			for _, want := range []string{strconv.Itoa(tc.limit), tc.symbol, strconv.Itoa(tc.n + 1), strconv.Quote(tc.a.Name)} {
				if !strings.Contains(e.Detail, want) {
					t.Errorf("detail %q does not say %q", e.Detail, want)
				}
			}
		})
	}
	// Repeats count: the limit is on what is sent, which is what costs.
	same := make([]any, MaxValuesPerRequest+1)
	for i := range same {
		same[i] = "x@example.com"
	}
	if _, err := NormValue(emails, same); err == nil {
		t.Fatal("1001 copies of one email were accepted")
	}
}

// The limits hold on every way a list reaches the engine: a POST body, a
// PATCH with a path, a path-less PATCH, a remove with values.
func TestValueLimitsThroughBodiesAndPatch(t *testing.T) {
	over := values(MaxValuesPerRequest+1, `{"value":"e%d@x.example"}`)
	_, err := Normalize(UserType, mustJSON(t, `{"userName":"u","emails":`+over+`}`))
	wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)

	base := baseUser(t)
	before := asJSON(t, base)
	for _, op := range []string{
		`{"op":"add","path":"emails","value":` + over + `}`,
		`{"op":"replace","value":{"emails":` + over + `}}`,
		`{"op":"remove","path":"emails","value":` + over + `}`,
		`{"op":"add","path":"` + CustomUserURN + `:tags","value":` + values(MaxValuesPerRequest+1, `"t%d"`) + `}`,
	} {
		_, err := Patcher{Type: UserTypeWith(fuzzCustom), ID: testUserID}.Apply(base, mustParsePatch(t, patchBody(op)))
		e := wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
		if !strings.Contains(e.Detail, "operation 1") || !strings.Contains(e.Detail, "1000") {
			t.Errorf("%.60s…: detail %q", op, e.Detail)
		}
	}
	if asJSON(t, base) != before {
		t.Fatal("a refused PATCH changed the resource")
	}
}

func TestPatchOperationLimit(t *testing.T) {
	op := `{"op":"replace","path":"title","value":"x"}`
	atLimit := patchBody(strings.TrimSuffix(strings.Repeat(op+",", MaxPatchOperations), ","))
	if ops, err := ParsePatch([]byte(atLimit)); err != nil || len(ops) != MaxPatchOperations {
		t.Fatalf("%d operations: %d, %v", MaxPatchOperations, len(ops), err)
	}
	over := patchBody(strings.TrimSuffix(strings.Repeat(op+",", MaxPatchOperations+1), ","))
	ops, err := ParsePatch([]byte(over))
	e := wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
	if ops != nil || !strings.Contains(e.Detail, "MaxPatchOperations") || !strings.Contains(e.Detail, "1000") || !strings.Contains(e.Detail, "1001") {
		t.Fatalf("ops %v, detail %q", ops, e.Detail)
	}
}

// ---- the hashed deduplication is the quadratic one it replaced ----

// refNormList is NormValue's list loop as it was: each value compared
// with every one kept before it.
func refNormList(a *Attribute, list []any) (any, error) {
	out := make([]any, 0, len(list))
	for _, e := range list {
		ne, err := normSingle(a, e)
		if err != nil {
			return nil, err
		}
		if ne != nil && !containsEqual(out, ne) {
			out = append(out, ne)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	onePrimary(a, out)
	return out, nil
}

// refAdd is applyWhole's add of a multi-valued attribute as it was.
func refAdd(a *Attribute, cur []any, nv []any) []any {
	primary := -1
	for _, e := range nv {
		i := indexEqual(cur, e)
		if i < 0 {
			cur = append(cur, e)
			i = len(cur) - 1
		}
		if isPrimary(e) {
			primary = i
		}
	}
	preferPrimary(a, cur, primary)
	return cur
}

// refRemove is removeValues as it was.
func refRemove(cur []any, nv any) []any {
	var keep []any
	for _, e := range cur {
		if !matchesAny(e, nv) {
			keep = append(keep, e)
		}
	}
	return keep
}

// randomValue draws a raw value for a, from few enough choices that
// lists hold many repeats, and near-repeats that must stay apart: case
// variants ("a" and "A": equality is byte for byte, whatever caseExact
// says), a number and its text, "True" and true, extra sub-attributes.
func randomValue(r *rand.Rand, a *Attribute) any {
	pick := func(xs ...any) any { return xs[r.IntN(len(xs))] }
	if a.Type != TypeComplex {
		switch a.Type {
		case TypeInteger:
			return pick(json.Number("1"), json.Number("2"), "1", " 2", json.Number("10"), json.Number("1e0"))
		default:
			return pick("a", "A", "b", "1", json.Number("1"), true, "true", "", "a ")
		}
	}
	if r.IntN(8) == 0 {
		return pick("a", "A", "u1", json.Number("1"), "") // a bare value (Entra's manager, Q6)
	}
	m := map[string]any{}
	for _, sa := range a.SubAttributes {
		if r.IntN(3) == 0 {
			continue
		}
		switch sa.Type {
		case TypeBoolean:
			m[sa.Name] = pick(true, false, "True", "false", "")
		default:
			if sa.Name == "value" {
				m[sa.Name] = pick("a", "A", "b", "B", "u1", "u2", "")
			} else {
				m[sa.Name] = pick("work", "Work", "home", "x")
			}
		}
	}
	return m
}

func randomList(r *rand.Rand, a *Attribute, n int) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = randomValue(r, a)
	}
	return l
}

func TestHashedDedupMatchesQuadratic(t *testing.T) {
	custom := UserTypeWith(append(append([]CustomAttribute{}, fuzzCustom...), CustomAttribute{Name: "nums", Type: TypeInteger, MultiValued: true}))
	attrs := []*Attribute{
		UserSchema.Attr("emails"), UserSchema.Attr("addresses"), UserSchema.Attr("roles"),
		GroupSchema.Attr("members"),
		custom.Extension(CustomUserURN).Attr("tags"), custom.Extension(CustomUserURN).Attr("nums"),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, a := range attrs {
		for _, n := range []int{1, 2, linearBelow, linearBelow + 1, 40, 300} {
			for range 20 {
				list := randomList(r, a, n)
				in := asJSON(t, list)
				got, gerr := NormValue(a, list)
				want, werr := refNormList(a, cloneValue(list).([]any))
				if (gerr == nil) != (werr == nil) || asJSON(t, got) != asJSON(t, want) {
					t.Fatalf("%s, %d values %s:\n got %s (%v)\nwant %s (%v)", a.Name, n, in, asJSON(t, got), gerr, asJSON(t, want), werr)
				}
				if asJSON(t, list) != in {
					t.Fatal("NormValue modified its input")
				}
				if gerr != nil || got == nil {
					continue // nothing to merge: an add of nothing clears the attribute
				}
				// A stored list (which may hold repeats, as written before
				// they were refused) merged with a normalised one, and the
				// values removed from it.
				cur, _ := refNormList(a, randomList(r, a, n))
				curList, _ := cur.([]any)
				if len(curList) > 1 {
					curList = append(curList, cloneValue(curList[0]))
				}
				add, _ := got.([]any)
				c := map[string]any{a.Name: cloneValue(curList)}
				if err := applyWhole(c, a, "add", list); err != nil {
					t.Fatal(err)
				}
				wantAdd := refAdd(a, cloneValue(curList).([]any), cloneValue(add).([]any))
				if asJSON(t, listOrNil(wantAdd)) != asJSON(t, c[a.Name]) {
					t.Fatalf("%s add %s to %s:\n got %s\nwant %s", a.Name, in, asJSON(t, curList), asJSON(t, c[a.Name]), asJSON(t, wantAdd))
				}
				c = map[string]any{a.Name: cloneValue(curList)}
				if err := removeValues(c, a, list); err != nil {
					t.Fatal(err)
				}
				wantRm := refRemove(cloneValue(curList).([]any), got)
				if asJSON(t, listOrNil(wantRm)) != asJSON(t, c[a.Name]) {
					t.Fatalf("%s remove %s from %s:\n got %s\nwant %s", a.Name, in, asJSON(t, curList), asJSON(t, c[a.Name]), asJSON(t, wantRm))
				}
			}
		}
	}
}

// valueKey gives equal values, and only those, the same key.
func TestValueKey(t *testing.T) {
	vals := []any{
		nil, "", "a", "A", "a ", json.Number("1"), "1", json.Number("1.0"), true, false, "true",
		[]any{}, []any{"a"}, []any{"a", "b"}, []any{"ab"}, []any{[]any{"a"}, "b"},
		map[string]any{}, map[string]any{"value": "a"}, map[string]any{"Value": "a"}, map[string]any{"value": "A"},
		map[string]any{"value": "a", "type": "work"}, map[string]any{"type": "work", "value": "a"},
		map[string]any{"value": json.Number("1")}, map[string]any{"value": "1"}, map[string]any{"va": "lue"},
		map[string]any{"value": map[string]any{"value": "a"}}, map[string]any{"value": []any{"a"}},
		// Strings that look like encoded values.
		"s\x01a", "m\x01\x05value", "la",
	}
	for i, x := range vals {
		for j, y := range vals {
			kx, okx := valueKey(nil, x)
			ky, oky := valueKey(nil, y)
			if !okx || !oky {
				t.Fatalf("no key for %#v or %#v", x, y)
			}
			if (string(kx) == string(ky)) != equalValues(x, y) {
				t.Errorf("%d %#v and %d %#v: same key %v, equalValues %v", i, x, j, y, string(kx) == string(ky), equalValues(x, y))
			}
		}
	}
	for _, odd := range []any{1.5, map[string]any{"value": nil}, []any{map[string]any{"a": 1}}, Resource{}} {
		if _, ok := valueKey(nil, odd); ok {
			t.Errorf("valueKey(%#v) claims a key", odd)
		}
	}
	// Values without a key still deduplicate, among themselves.
	x := newValueIndex(0)
	if _, isNew := x.addFirst(1.5, 0); !isNew {
		t.Fatal("first 1.5 not new")
	}
	if i, isNew := x.addFirst(1.5, 1); isNew || i != 0 {
		t.Fatalf("second 1.5: %d, %v", i, isNew)
	}
	if x.find(1.5) != 0 || x.find(2.5) != -1 || x.find("1.5") != -1 {
		t.Fatal("find of values without a key")
	}
}

// A long value filter's remove keeps the elements it doesn't match, in order.
func TestFilteredRemoveKeepsOrder(t *testing.T) {
	var list []any
	for i := range 200 {
		typ := "home"
		if i%3 == 0 {
			typ = "work"
		}
		list = append(list, map[string]any{"value": fmt.Sprintf("e%d@x", i), "type": typ})
	}
	c := map[string]any{"emails": list}
	f, err := filter.Parse(`type eq "work"`, filter.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := applyFiltered(c, UserSchema.Attr("emails"), f, nil, "remove", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := c["emails"].([]any)
	if len(got) != 133 {
		t.Fatalf("%d left, want 133", len(got))
	}
	for i, e := range got {
		v := e.(map[string]any)["value"].(string)
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "e"), "@x"))
		if n%3 == 0 || (i > 0 && n <= prevN(got[i-1])) {
			t.Fatalf("element %d is %s", i, v)
		}
	}
}

func prevN(e any) int {
	v := e.(map[string]any)["value"].(string)
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "e"), "@x"))
	return n
}

// keysOf finds names given twice the way attributes are matched
// (strings.EqualFold), in a small object and a large one alike.
func TestKeysOfFoldsLikeEqualFold(t *testing.T) {
	for _, pair := range [][2]string{{"userName", "USERNAME"}, {"userName", "uſerName"}, {"k", "\u212a"}} {
		for _, extra := range []int{0, 20} {
			m := map[string]any{pair[0]: 1, pair[1]: 2}
			for i := range extra {
				m[fmt.Sprint("x", i)] = i
			}
			if _, err := keysOf(m, ""); err == nil {
				t.Errorf("%q and %q with %d other keys: no error", pair[0], pair[1], extra)
			}
		}
	}
	for _, pair := range [][2]string{{"a", "b"}, {"ß", "ss"}, {"i", "ı"}} {
		if strings.EqualFold(pair[0], pair[1]) {
			t.Fatalf("bad case %q", pair)
		}
		for _, extra := range []int{0, 20} {
			m := map[string]any{pair[0]: 1, pair[1]: 2}
			for i := range extra {
				m[fmt.Sprint("x", i)] = i
			}
			if _, err := keysOf(m, ""); err != nil {
				t.Errorf("%q and %q with %d other keys: %v", pair[0], pair[1], extra, err)
			}
		}
	}
}
