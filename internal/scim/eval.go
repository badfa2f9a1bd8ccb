package scim

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/scim/filter"
)

// MatchElement reports whether one element of multi-valued complex
// attribute a matches a value filter such as `type eq "work"`. Paths in f
// name sub-attributes of a.
func MatchElement(a *Attribute, f filter.Expr, elem map[string]any) (bool, error) {
	switch t := f.(type) {
	case filter.And:
		l, err := MatchElement(a, t.Left, elem)
		if err != nil || !l {
			return false, err
		}
		return MatchElement(a, t.Right, elem)
	case filter.Or:
		l, err := MatchElement(a, t.Left, elem)
		if err != nil || l {
			return l, err
		}
		return MatchElement(a, t.Right, elem)
	case filter.Not:
		r, err := MatchElement(a, t.X, elem)
		if err != nil {
			return false, err
		}
		return !r, nil
	case filter.Compare:
		if t.Path.URN != "" || t.Path.Sub != "" {
			return false, BadRequest(InvalidFilter, "%q is not a sub-attribute of %q", t.Path.String(), a.Name)
		}
		sa := a.Sub(t.Path.Name)
		if sa == nil {
			return false, BadRequest(InvalidFilter, "%q has no sub-attribute %q", a.Name, t.Path.Name)
		}
		return CompareValue(sa, elem[sa.Name], t.Op, t.Value)
	}
	return false, BadRequest(InvalidFilter, "value filters can't be nested")
}

// CompareValue applies one filter comparison to one stored value of
// attribute a, following RFC 7644 §3.4.2.2: strings honour caseExact,
// dateTimes compare chronologically, booleans only support eq and ne.
func CompareValue(a *Attribute, actual any, op filter.Op, lit filter.Value) (bool, error) {
	if op == filter.Pr {
		switch t := actual.(type) {
		case nil:
			return false, nil
		case string:
			return t != "", nil
		case []any:
			return len(t) > 0, nil
		case map[string]any:
			return len(t) > 0, nil
		}
		return true, nil
	}
	if lit.Kind == filter.Null {
		// `title eq null` asks for resources without a title.
		absent := actual == nil || actual == ""
		switch op {
		case filter.Eq:
			return absent, nil
		case filter.Ne:
			return !absent, nil
		}
		return false, BadRequest(InvalidFilter, "null can only be compared with eq or ne (%s)", a.Name)
	}
	if actual == nil {
		return op == filter.Ne, nil
	}
	switch a.Type {
	case TypeBoolean:
		want, ok := boolLiteral(lit)
		if !ok {
			return false, BadRequest(InvalidFilter, "%q is a boolean; compare it with true or false", a.Name)
		}
		got, _ := actual.(bool)
		switch op {
		case filter.Eq:
			return got == want, nil
		case filter.Ne:
			return got != want, nil
		}
		return false, BadRequest(InvalidFilter, "operator %q does not apply to the boolean %q", op, a.Name)
	case TypeInteger, TypeDecimal:
		n, _ := actual.(json.Number)
		got, err1 := n.Float64()
		want, err2 := json.Number(lit.Str).Float64()
		if lit.Kind == filter.Number {
			want, err2 = lit.Num, nil
		}
		if err1 != nil || err2 != nil {
			return false, BadRequest(InvalidFilter, "%q is a number; compare it with a number", a.Name)
		}
		return ordered(op, cmpFloat(got, want))
	case TypeDateTime:
		s, _ := actual.(string)
		if lit.Kind != filter.String {
			return false, BadRequest(InvalidFilter, "%q is a dateTime; compare it with a quoted timestamp", a.Name)
		}
		gt, err1 := time.Parse(time.RFC3339Nano, s)
		wt, err2 := time.Parse(time.RFC3339Nano, lit.Str)
		if err1 == nil && err2 == nil {
			return ordered(op, gt.Compare(wt))
		}
		return compareStrings(op, s, lit.Str, true)
	}
	s, ok := actual.(string)
	if !ok {
		return false, nil
	}
	want := lit.Str
	if lit.Kind == filter.Bool {
		want = map[bool]string{true: "true", false: "false"}[lit.Bool]
	} else if lit.Kind == filter.Null {
		return op == filter.Ne, nil
	}
	return compareStrings(op, s, want, a.CaseExact)
}

func boolLiteral(v filter.Value) (bool, bool) {
	switch v.Kind {
	case filter.Bool:
		return v.Bool, true
	case filter.String:
		return ParseBool(v.Str) // Entra's roles[primary eq "True"] (Q3)
	}
	return false, false
}

func compareStrings(op filter.Op, got, want string, exact bool) (bool, error) {
	if !exact {
		got, want = Fold(got), Fold(want)
	}
	switch op {
	case filter.Eq:
		return got == want, nil
	case filter.Ne:
		return got != want, nil
	case filter.Co:
		return strings.Contains(got, want), nil
	case filter.Sw:
		return strings.HasPrefix(got, want), nil
	case filter.Ew:
		return strings.HasSuffix(got, want), nil
	}
	return ordered(op, strings.Compare(got, want))
}

func ordered(op filter.Op, c int) (bool, error) {
	switch op {
	case filter.Eq:
		return c == 0, nil
	case filter.Ne:
		return c != 0, nil
	case filter.Gt:
		return c > 0, nil
	case filter.Ge:
		return c >= 0, nil
	case filter.Lt:
		return c < 0, nil
	case filter.Le:
		return c <= 0, nil
	}
	return false, BadRequest(InvalidFilter, "operator %q does not apply here", op)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
