package scim

import (
	"strings"
	"time"
)

// Meta is the server-managed metadata of a resource (RFC 7643 §3.1).
type Meta struct {
	ResourceType string
	Created      time.Time
	LastModified time.Time
	Location     string
	Version      string
}

// TimeFormat is how Roster writes dateTime values: RFC 3339 in UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Render builds the response representation of a resource: schemas, id,
// the attributes and meta, plus server-derived extras (a User's groups,
// a Group's members).
func Render(rt *ResourceType, id string, r Resource, meta Meta, extra map[string]any) map[string]any {
	out := make(map[string]any, len(r)+4+len(extra))
	schemas := []string{rt.Schema.ID}
	for _, ext := range rt.Extensions {
		if _, ok := r[ext.ID]; ok {
			schemas = append(schemas, ext.ID)
		}
	}
	for k, v := range r {
		if a := rt.Schema.Attr(k); a != nil && a.Returned == ReturnNever {
			continue // password is accepted, never returned (RFC-09, RFC-12)
		}
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	out["schemas"] = schemas
	out["id"] = id
	m := map[string]any{
		"resourceType": meta.ResourceType,
		"created":      meta.Created.UTC().Format(TimeFormat),
		"lastModified": meta.LastModified.UTC().Format(TimeFormat),
		"location":     meta.Location,
	}
	if meta.Version != "" {
		m["version"] = meta.Version
	}
	out["meta"] = m
	return out
}

// Projection is the attributes / excludedAttributes pair of RFC 7644
// §3.4.2.5 (at most one of them is normally set).
type Projection struct {
	Attributes []string
	Excluded   []string
}

// ParseProjection reads the comma-separated query parameter values.
func ParseProjection(attributes, excluded string) Projection {
	return Projection{Attributes: splitList(attributes), Excluded: splitList(excluded)}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type attrRef struct {
	top, sub string
	// none says sub is a sub-attribute the multi-valued attribute top
	// doesn't have, so the name selects (or excludes) nothing.
	none bool
}

// refs resolves the names of a projection once each: a name given twice
// (in any case) or one naming a sub-attribute that doesn't exist selects
// nothing more, so each attribute's elements are walked at most once per
// distinct sub-attribute of the schema, however many names the query
// string holds.
func refs(rt *ResourceType, names []string) []attrRef {
	out := make([]attrRef, 0, len(names))
	seen := make(map[attrRef]bool, len(names))
	for _, n := range names {
		r := ref(rt, n)
		if r.none || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

// ref resolves a projection name such as "name.givenName",
// "emails[type eq \"work\"]" or "urn:...:enterprise:2.0:User:department"
// to the keys it names in a rendered resource.
func ref(rt *ResourceType, name string) attrRef {
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i] // a filter in a projection selects the attribute
	}
	if strings.HasPrefix(strings.ToLower(name), "urn:") {
		for _, s := range rt.Schemas() {
			if s.Is(name) {
				if s == rt.Schema {
					return attrRef{}
				}
				return attrRef{top: s.ID}
			}
			if rest, ok := s.cutURN(name); ok {
				if s == rt.Schema {
					name = rest
					break
				}
				attr, _, _ := strings.Cut(rest, ".")
				if a := s.Attr(attr); a != nil {
					attr = a.Name
				}
				return attrRef{top: s.ID, sub: attr}
			}
		}
	}
	top, sub, _ := strings.Cut(name, ".")
	a := rt.Schema.Attr(top)
	if a == nil {
		a = findAttr(rt.Common, top)
	}
	if a == nil {
		return attrRef{top: top, sub: sub}
	}
	if sub != "" {
		if sa := a.Sub(sub); sa != nil {
			sub = sa.Name
		} else if a.MultiValued && a.Type == TypeComplex {
			return attrRef{top: a.Name, sub: sub, none: true}
		}
	}
	return attrRef{top: a.Name, sub: sub}
}

// Returns reports whether a top-level attribute will be in the response,
// so callers can skip loading it (a large group's members).
func (p Projection) Returns(rt *ResourceType, attr string) bool {
	if len(p.Attributes) > 0 {
		for _, n := range p.Attributes {
			if strings.EqualFold(ref(rt, n).top, attr) {
				return true
			}
		}
		return false
	}
	for _, n := range p.Excluded {
		r := ref(rt, n)
		if strings.EqualFold(r.top, attr) && r.sub == "" {
			return false
		}
	}
	return true
}

// Names reports whether attributes= names the top-level attribute.
func (p Projection) Names(rt *ResourceType, attr string) bool {
	for _, n := range p.Attributes {
		if strings.EqualFold(ref(rt, n).top, attr) {
			return true
		}
	}
	return false
}

// Apply projects a rendered resource. id and schemas are returned always.
func (p Projection) Apply(rt *ResourceType, out map[string]any) map[string]any {
	if len(p.Attributes) > 0 {
		res := map[string]any{"schemas": out["schemas"], "id": out["id"]}
		for _, r := range refs(rt, p.Attributes) {
			v, ok := out[r.top]
			if !ok || r.top == "" {
				continue
			}
			if r.sub == "" {
				res[r.top] = v
				continue
			}
			// A sub-attribute of a simple value (displayName.x) is nothing,
			// not null.
			if m := mergeSub(res[r.top], v, r.sub); m != nil {
				res[r.top] = m
			}
		}
		for k, v := range res {
			if k == "id" || k == "schemas" {
				continue
			}
			if l, ok := v.([]any); ok {
				v = pruneEmpty(l)
				res[k] = v
			}
			if isEmpty(v) {
				delete(res, k) // a sub-attribute that wasn't there: no empty object
			}
		}
		return res
	}
	if len(p.Excluded) == 0 {
		return out
	}
	res := make(map[string]any, len(out))
	for k, v := range out {
		res[k] = v
	}
	for _, r := range refs(rt, p.Excluded) {
		if r.top == "id" || r.top == "schemas" || r.top == "" {
			continue
		}
		if r.sub == "" {
			delete(res, r.top)
			continue
		}
		switch t := res[r.top].(type) {
		case map[string]any:
			setOrDelete(res, r.top, emptyToNil(withoutKey(t, r.sub)))
		case []any:
			// emails.type: the sub-attribute of every element.
			l := make([]any, 0, len(t))
			for _, e := range t {
				if m, ok := e.(map[string]any); ok {
					if c := withoutKey(m, r.sub); len(c) > 0 {
						l = append(l, c)
					}
					continue
				}
				l = append(l, e)
			}
			setOrDelete(res, r.top, listOrNil(l))
		}
	}
	return res
}

// withoutKey copies m without key k (case-insensitively).
func withoutKey(m map[string]any, k string) map[string]any {
	c := make(map[string]any, len(m))
	for mk, v := range m {
		if !strings.EqualFold(mk, k) {
			c[mk] = v
		}
	}
	return c
}

// pruneEmpty drops the empty objects mergeSub left for elements that
// lack the sub-attribute asked for.
func pruneEmpty(l []any) []any {
	out := l[:0:0]
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && len(m) == 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

// isEmpty reports an empty object, or a list of only empty objects.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) == 0
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); !ok || len(m) > 0 {
				return false
			}
		}
		return true
	}
	return false
}

// mergeSub copies sub-attribute sub of v into dst (a map, or a list of
// maps for a multi-valued attribute).
func mergeSub(dst, v any, sub string) any {
	switch t := v.(type) {
	case map[string]any:
		d, _ := dst.(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		if sv, ok := t[sub]; ok {
			d[sub] = sv
		}
		return d
	case []any:
		d, _ := dst.([]any)
		if d == nil {
			d = make([]any, len(t))
			for i := range d {
				d[i] = map[string]any{}
			}
		}
		for i, e := range t {
			if m, ok := e.(map[string]any); ok && i < len(d) {
				if sv, ok := m[sub]; ok {
					d[i].(map[string]any)[sub] = sv
				}
			}
		}
		return d
	}
	return dst
}
