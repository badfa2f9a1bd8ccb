package scim

import (
	"github.com/rosterhq/roster/internal/scim/filter"
)

// Match evaluates a filter against a rendered resource (the output of
// Render, with a User's groups or a Group's members when present). It is
// the reference semantics the SQL compiler must agree with, and the
// property test holds them to each other:
//   - names match case-insensitively; strings honour caseExact;
//   - a multi-valued attribute matches when any element does;
//   - an absent value matches ne and nothing else (pr is false);
//   - and, or and not are two-valued: "unknown" never leaks out of a term.
func Match(rt *ResourceType, res map[string]any, f filter.Expr) (bool, error) {
	switch t := f.(type) {
	case filter.And:
		l, err := Match(rt, res, t.Left)
		if err != nil || !l {
			return false, err
		}
		return Match(rt, res, t.Right)
	case filter.Or:
		l, err := Match(rt, res, t.Left)
		if err != nil || l {
			return l, err
		}
		return Match(rt, res, t.Right)
	case filter.Not:
		r, err := Match(rt, res, t.X)
		return !r, err
	case filter.Compare:
		return matchCompare(rt, res, t)
	case filter.ValuePath:
		a, v, err := lookupAttr(rt, res, t.Path)
		if err != nil {
			return false, err
		}
		if !a.MultiValued || a.Type != TypeComplex {
			return false, BadRequest(InvalidFilter, "a value filter needs a multi-valued complex attribute; %q is not one", a.Name)
		}
		list, _ := v.([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			ok, err := MatchElement(a, t.Filter, m)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, BadRequest(InvalidFilter, "unsupported filter expression")
}

// lookupAttr finds an attribute's definition and its value in res.
func lookupAttr(rt *ResourceType, res map[string]any, p filter.AttrPath) (*Attribute, any, error) {
	container := res
	schema := rt.Schema
	if p.URN != "" && !rt.Schema.Is(p.URN) {
		ext := rt.Extension(p.URN)
		if ext == nil {
			return nil, nil, BadRequest(InvalidFilter, "unknown schema %q in filter", p.URN)
		}
		schema = ext
		container, _ = res[ext.ID].(map[string]any)
	}
	a := schema.Attr(p.Name)
	if a == nil && schema == rt.Schema {
		a = findAttr(rt.Common, p.Name)
	}
	if a == nil {
		return nil, nil, BadRequest(InvalidFilter, "can't filter on %q: %ss have no such attribute", p.String(), rt.Name)
	}
	return a, container[a.Name], nil
}

func matchCompare(rt *ResourceType, res map[string]any, t filter.Compare) (bool, error) {
	a, v, err := lookupAttr(rt, res, t.Path)
	if err != nil {
		return false, err
	}
	if a.MultiValued {
		sub := a
		if a.Type == TypeComplex {
			name := t.Path.Sub
			if name == "" {
				name = "value"
			}
			if sub = a.Sub(name); sub == nil {
				return false, BadRequest(InvalidFilter, "%q has no sub-attribute %q", a.Name, name)
			}
		}
		list, _ := v.([]any)
		for _, e := range list {
			ev := e
			if a.Type == TypeComplex {
				m, _ := e.(map[string]any)
				ev = m[sub.Name]
			}
			ok, err := CompareValue(sub, ev, t.Op, t.Value)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	if a.Type == TypeComplex {
		if t.Path.Sub == "" {
			if t.Op == filter.Pr {
				m, _ := v.(map[string]any)
				return len(m) > 0, nil
			}
			return false, BadRequest(InvalidFilter, "can't compare the complex attribute %q", a.Name)
		}
		sa := a.Sub(t.Path.Sub)
		if sa == nil {
			return false, BadRequest(InvalidFilter, "%q has no sub-attribute %q", a.Name, t.Path.Sub)
		}
		m, _ := v.(map[string]any)
		return CompareValue(sa, m[sa.Name], t.Op, t.Value)
	}
	return CompareValue(a, v, t.Op, t.Value)
}
