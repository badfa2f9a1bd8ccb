package scim

import (
	"github.com/rosterhq/roster/internal/scim/filter"
)

// FilterApplies reports whether every attribute f names is one resources
// of type rt have (an attribute of its schemas, or id, externalId, meta,
// with the sub-attributes named), so that f can be evaluated on them. A
// search across resource types (POST /.search at the root) runs a filter
// on the types it applies to.
func FilterApplies(rt *ResourceType, f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return FilterApplies(rt, t.Left) && FilterApplies(rt, t.Right)
	case filter.Or:
		return FilterApplies(rt, t.Left) && FilterApplies(rt, t.Right)
	case filter.Not:
		return FilterApplies(rt, t.X)
	case filter.Compare:
		return definedPath(rt, t.Path)
	case filter.ValuePath:
		a := definedAttr(rt, t.Path)
		return a != nil && t.Path.Sub == "" && subsDefined(a, t.Filter)
	}
	return false
}

// definedAttr finds the attribute p names in rt (nil: none).
func definedAttr(rt *ResourceType, p filter.AttrPath) *Attribute {
	if p.URN != "" && !rt.Schema.Is(p.URN) {
		ext := rt.Extension(p.URN)
		if ext == nil {
			return nil
		}
		return ext.Attr(p.Name)
	}
	if a := rt.Schema.Attr(p.Name); a != nil {
		return a
	}
	return findAttr(rt.Common, p.Name)
}

func definedPath(rt *ResourceType, p filter.AttrPath) bool {
	a := definedAttr(rt, p)
	return a != nil && (p.Sub == "" || a.Sub(p.Sub) != nil)
}

// subsDefined reports whether every path inside a value filter is a
// sub-attribute of a.
func subsDefined(a *Attribute, f filter.Expr) bool {
	switch t := f.(type) {
	case filter.And:
		return subsDefined(a, t.Left) && subsDefined(a, t.Right)
	case filter.Or:
		return subsDefined(a, t.Left) && subsDefined(a, t.Right)
	case filter.Not:
		return subsDefined(a, t.X)
	case filter.Compare:
		return t.Path.URN == "" && t.Path.Sub == "" && a.Sub(t.Path.Name) != nil
	}
	return false
}
