package scim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
)

// PatchOperation is one operation of a PatchOp request (RFC 7644 §3.5.2).
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
	// Index is the operation's 1-based position in the request, set by
	// ParsePatch, so errors name it even when a caller has split the list
	// (the service takes member operations out first). 0 means "its
	// position in the list given to Apply".
	Index int `json:"-"`
}

// ParsePatch decodes a PatchOp body. Operation names are case-insensitive
// because Entra sends "Replace" and "Add" (Q1); unknown keys on an
// operation (MS-PM's "name") are ignored.
func ParsePatch(body []byte) ([]PatchOperation, error) {
	m, err := DecodeObject(body)
	if err != nil {
		return nil, err
	}
	// "Operations" as the RFC spells it wins over other spellings, so a
	// body holding both is read the same way every time.
	rawOps, exact := m["Operations"]
	if !exact {
		for k, v := range m {
			if strings.EqualFold(k, "Operations") {
				rawOps = v
			}
		}
	}
	list, ok := rawOps.([]any)
	if !ok || len(list) == 0 {
		return nil, BadRequest(InvalidSyntax, "a PatchOp request needs a non-empty \"Operations\" array")
	}
	if len(list) > MaxPatchOperations {
		return nil, BadRequest(InvalidValue, "the PatchOp request has %d operations; at most %d are allowed in one request (limit MaxPatchOperations = %d)", len(list), MaxPatchOperations, MaxPatchOperations)
	}
	ops := make([]PatchOperation, 0, len(list))
	for i, raw := range list {
		om, ok := raw.(map[string]any)
		if !ok {
			return nil, BadRequest(InvalidSyntax, "operation %d is not an object", i+1)
		}
		op := PatchOperation{Index: i + 1}
		for k, v := range om {
			switch strings.ToLower(k) {
			case "op":
				s, _ := v.(string)
				op.Op = strings.ToLower(strings.TrimSpace(s))
			case "path":
				s, ok := v.(string)
				if !ok && v != nil {
					return nil, BadRequest(InvalidPath, "operation %d: \"path\" must be a string", i+1)
				}
				op.Path = strings.TrimSpace(s)
			case "value":
				op.Value = v
			}
		}
		switch op.Op {
		case "add", "replace", "remove":
		default:
			return nil, BadRequest(InvalidSyntax, "operation %d: \"op\" must be add, replace or remove, got %q", i+1, op.Op)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func opError(i int, op PatchOperation, err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	where := op.Op
	if op.Path != "" {
		where += " " + op.Path
	}
	n := i + 1
	if op.Index > 0 {
		n = op.Index
	}
	return &Error{Status: e.Status, ScimType: e.ScimType, Detail: fmt.Sprintf("operation %d (%s): %s", n, where, e.Detail), Cause: e.Cause}
}

// Patcher applies PATCH operations to a resource of one type.
type Patcher struct {
	Type *ResourceType
	// ID is the resource's id: a path-less replace that restates it (Okta's
	// group rename, OKTA-13) is accepted, a different one is refused.
	ID string
}

// Apply applies ops in order to a copy of r and returns the result. It is
// atomic: on any error r is untouched and the error names the failing
// operation.
func (p Patcher) Apply(r Resource, ops []PatchOperation) (Resource, error) {
	out := r.Clone()
	for i, op := range ops {
		if err := p.apply(out, op); err != nil {
			return nil, opError(i, op, err)
		}
	}
	if err := p.checkRequired(out); err != nil {
		return nil, err
	}
	return out, nil
}

func (p Patcher) checkRequired(r Resource) error {
	for _, a := range p.Type.Schema.Attributes {
		if a.Required {
			if v, ok := r[a.Name]; !ok || v == "" {
				return BadRequest(InvalidValue, "%q is required and can't be removed", a.Name)
			}
		}
	}
	return nil
}

func (p Patcher) apply(r Resource, op PatchOperation) error {
	if op.Path == "" {
		if op.Op == "remove" {
			return BadRequest(NoTarget, "remove needs a path")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return BadRequest(InvalidValue, "without a path, value must be an object of attributes")
		}
		// Keys of a path-less value are attribute paths: plain, dotted or
		// URN-qualified (Q2, EN-10).
		for k, v := range obj {
			if err := p.applyKey(r, op.Op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if ext := p.Type.Extension(op.Path); ext != nil {
		// The path is a whole extension: "remove" drops it, add and
		// replace take an object of its attributes.
		if op.Op == "remove" {
			delete(r, ext.ID)
			return nil
		}
		return p.applyKey(r, op.Op, ext.ID, op.Value)
	}
	path, err := filter.ParsePath(op.Path, filter.Limits{})
	if err != nil {
		return BadRequest(InvalidPath, "invalid path %q: %v", op.Path, err)
	}
	return p.applyPath(r, op.Op, path, op.Value, true)
}

// applyKey handles one key of a path-less add or replace.
func (p Patcher) applyKey(r Resource, op, key string, v any) error {
	switch {
	case strings.EqualFold(key, "schemas"), strings.EqualFold(key, "meta"):
		return nil
	case strings.EqualFold(key, "id"):
		return p.checkID(v)
	case p.Type.Schema.Is(key):
		// {"urn:...:core:2.0:User": {"displayName": "x"}}: core attributes
		// nested under the core URN, as Normalize accepts them.
		m, ok := v.(map[string]any)
		if !ok {
			return BadRequest(InvalidValue, "%q must be an object", p.Type.Schema.ID)
		}
		for k2, v2 := range m {
			if strings.HasPrefix(strings.ToLower(k2), "urn:") {
				continue
			}
			if err := p.applyKey(r, op, k2, v2); err != nil {
				return err
			}
		}
		return nil
	}
	if ext := p.Type.Extension(key); ext != nil {
		// {"urn:...:enterprise:2.0:User": {"department": "x"}}
		m, ok := v.(map[string]any)
		if !ok {
			return BadRequest(InvalidValue, "extension %q must be an object", ext.ID)
		}
		for k2, v2 := range m {
			path := filter.Path{Attr: filter.AttrPath{URN: ext.ID, Name: k2}}
			if err := p.applyPath(r, op, path, v2, false); err != nil {
				return err
			}
		}
		return nil
	}
	path, err := filter.ParsePath(key, filter.Limits{})
	if err != nil {
		return nil // not an attribute path: an unknown key, ignored (Q13)
	}
	return p.applyPath(r, op, path, v, false)
}

// checkID accepts a restated id (Okta's group rename, OKTA-13, RFC-25)
// and refuses a different one.
func (p Patcher) checkID(v any) error {
	if s, ok := v.(string); ok && s == p.ID {
		return nil
	}
	return BadRequest(Mutability, "id is read-only")
}

// resolve finds the schema, attribute and container map for a path. It
// creates the extension object when create is set.
func (p Patcher) resolve(r Resource, ap filter.AttrPath, create bool) (*Attribute, map[string]any, filter.AttrPath) {
	s := p.Type.Schema
	container := map[string]any(r)
	if ap.URN != "" && ap.Sub != "" && p.Type.Extension(ap.URN) == nil {
		if ext := p.Type.Extension(ap.URN + ":" + ap.Name); ext != nil {
			// "urn:...:enterprise:2.0:User.manager", the old form Entra
			// sends (MS-PM2, Q6): the "sub-attribute" is the attribute.
			ap = filter.AttrPath{URN: ext.ID, Name: ap.Sub}
		}
	}
	if ap.URN != "" && !s.Is(ap.URN) {
		ext := p.Type.Extension(ap.URN)
		if ext == nil {
			return nil, nil, ap
		}
		s = ext
		m, _ := r[ext.ID].(map[string]any)
		if m == nil {
			m = map[string]any{}
			if create {
				r[ext.ID] = m
			}
		}
		container = m
	}
	if s == p.Type.Schema {
		// id, externalId and meta are common to every resource type
		// (RFC 7643 §3.1) and live outside its schema.
		if a := findAttr(p.Type.Common, ap.Name); a != nil {
			return a, container, ap
		}
	}
	return s.Attr(ap.Name), container, ap
}

var externalIDAttr = commonAttributes[1]

func (p Patcher) applyPath(r Resource, op string, path filter.Path, v any, explicit bool) error {
	defer p.dropEmptyExtension(r) // resolve may have created one
	a, container, ap := p.resolve(r, path.Attr, op != "remove")
	path.Attr = ap
	if a == nil {
		if !explicit {
			return nil // unknown key in a path-less value: ignored
		}
		return BadRequest(InvalidPath, "unknown attribute %q", path.Attr.String())
	}
	if a.Mutability == ReadOnly {
		if a.Name == "id" && op == "replace" && path.Attr.Sub == "" && path.Filter == nil {
			return p.checkID(v)
		}
		if !explicit {
			return nil
		}
		return BadRequest(Mutability, "attribute %q is read-only", a.Name)
	}
	sub := path.Attr.Sub
	if path.Filter != nil {
		sub = path.Sub
	}
	var sa *Attribute
	if sub != "" {
		if sa = a.Sub(sub); sa == nil {
			return BadRequest(InvalidPath, "attribute %q has no sub-attribute %q", a.Name, sub)
		}
	}
	switch {
	case path.Filter != nil:
		return applyFiltered(container, a, path.Filter, sa, op, v)
	case sa != nil:
		return applySub(container, a, sa, op, v)
	default:
		return applyWhole(container, a, op, v)
	}
}

func (p Patcher) dropEmptyExtension(r Resource) {
	for _, ext := range p.Type.Extensions {
		if m, ok := r[ext.ID].(map[string]any); ok && len(m) == 0 {
			delete(r, ext.ID)
		}
	}
}

// applyWhole handles a path naming a whole attribute.
func applyWhole(c map[string]any, a *Attribute, op string, v any) error {
	if op == "remove" {
		if a.MultiValued && v != nil {
			return removeValues(c, a, v)
		}
		delete(c, a.Name)
		return nil
	}
	nv, err := NormValue(a, v)
	if err != nil {
		return err
	}
	switch {
	case nv == nil || nv == "":
		// Setting an attribute to null or "" clears it (ELA-2, EN-11's
		// "Replace with empty" manager removal).
		delete(c, a.Name)
	case a.MultiValued && op == "add":
		cur, _ := c[a.Name].([]any)
		c[a.Name] = addValues(a, cur, nv.([]any))
	case !a.MultiValued && a.Type == TypeComplex:
		// add and replace on a complex attribute merge the sub-attributes
		// given and leave the others (RFC 7644 §3.5.2.1, §3.5.2.3).
		cur, _ := c[a.Name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for k, sv := range nv.(map[string]any) {
			cur[k] = sv
		}
		c[a.Name] = cur
	default:
		c[a.Name] = nv
	}
	return nil
}

// addValues is the union of an add: each value not already in cur is
// appended, and a primary value sent becomes the only primary. The values
// present are indexed once, so adding n values to m costs O(n + m), not
// O(n·m).
func addValues(a *Attribute, cur, add []any) []any {
	var index *valueIndex
	if len(add) > 1 {
		index = indexList(cur)
	}
	primary := -1
	for _, e := range add {
		var i int
		if index != nil {
			i, _ = index.addFirst(e, len(cur))
		} else {
			i = indexEqual(cur, e)
		}
		if i < 0 || i == len(cur) {
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

func indexEqual(list []any, v any) int {
	for i, e := range list {
		if equalValues(e, v) {
			return i
		}
	}
	return -1
}

func isPrimary(e any) bool {
	m, _ := e.(map[string]any)
	p, _ := m["primary"].(bool)
	return p
}

// preferPrimary makes list[keep] the only primary value when it is one:
// RFC 7644 §3.5.2 has the server clear "primary" on the other values when
// an operation sets it on one. With keep < 0 the first primary wins.
func preferPrimary(a *Attribute, list []any, keep int) {
	if a.Sub("primary") == nil {
		return
	}
	if keep >= 0 && keep < len(list) && isPrimary(list[keep]) {
		for i, e := range list {
			if m, ok := e.(map[string]any); ok && i != keep && isPrimary(m) {
				m["primary"] = false
			}
		}
		return
	}
	onePrimary(a, list)
}

// removeValues removes the listed elements from a multi-valued attribute:
// Entra's remove-with-value form (Q5).
func removeValues(c map[string]any, a *Attribute, v any) error {
	nv, err := NormValue(a, v)
	if err != nil {
		return err
	}
	cur, _ := c[a.Name].([]any)
	setOrDelete(c, a.Name, listOrNil(withoutValues(cur, nv)))
	return nil
}

// withoutValues returns the elements of cur that match none of the
// normalised values in nv (matchesAny), in O(len(cur) + len(nv)).
func withoutValues(cur []any, nv any) []any {
	match := newRemoveMatcher(nv)
	var keep []any
	for _, e := range cur {
		if !match.matches(e) {
			keep = append(keep, e)
		}
	}
	return keep
}

// removeMatcher answers matchesAny(e, list) for many e in O(1) each: the
// values to remove are indexed once, by their "value" sub-attribute for
// an object that has one, and whole otherwise.
type removeMatcher struct {
	byValue *valueIndex // "value" of the objects that have one
	whole   *valueIndex // every other value to remove
	list    any         // a short list: matchesAny itself
}

func newRemoveMatcher(list any) removeMatcher {
	l, _ := list.([]any)
	if len(l) <= linearBelow {
		return removeMatcher{list: list}
	}
	m := removeMatcher{byValue: newValueIndex(len(l)), whole: newValueIndex(0)}
	for i, x := range l {
		if xm, ok := x.(map[string]any); ok && xm["value"] != nil {
			m.byValue.addFirst(xm["value"], i)
			continue
		}
		m.whole.addFirst(x, i)
	}
	return m
}

// matches is matchesAny(e, list): an object e matches a value to remove
// with an equal "value", and anything matches an equal value to remove
// that is not an object with a "value" (an object never equals a
// non-object, so e's own shape needs no further test).
func (m removeMatcher) matches(e any) bool {
	if m.byValue == nil {
		return matchesAny(e, m.list)
	}
	if em, ok := e.(map[string]any); ok {
		if v := em["value"]; v != nil && m.byValue.find(v) >= 0 {
			return true
		}
	}
	return m.whole.find(e) >= 0
}

func matchesAny(e, list any) bool {
	l, _ := list.([]any)
	em, _ := e.(map[string]any)
	for _, x := range l {
		if xm, ok := x.(map[string]any); ok && em != nil && xm["value"] != nil {
			if equalValues(em["value"], xm["value"]) {
				return true
			}
			continue
		}
		if equalValues(e, x) {
			return true
		}
	}
	return false
}

func listOrNil(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// normSub normalises a value for a sub-attribute; "" means absent, as for
// a whole attribute (ELA-2).
func normSub(sa *Attribute, v any) (any, error) {
	nv, err := NormValue(sa, v)
	if nv == "" {
		nv = nil
	}
	return nv, err
}

// applySub handles attr.sub without a filter.
func applySub(c map[string]any, a, sa *Attribute, op string, v any) error {
	var nv any
	if op != "remove" {
		var err error
		if nv, err = normSub(sa, v); err != nil {
			return err
		}
	}
	if !a.MultiValued {
		cur, _ := c[a.Name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		setOrDelete(cur, sa.Name, nv)
		setOrDelete(c, a.Name, emptyToNil(cur))
		return nil
	}
	// A sub-attribute of every element (emails.value): applied to each;
	// with no element yet, add and replace create one.
	cur, _ := c[a.Name].([]any)
	if nv != nil && len(cur) == 0 {
		cur = []any{map[string]any{}}
	}
	var keep []any
	for _, e := range cur {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		setOrDelete(m, sa.Name, nv)
		if len(m) > 0 {
			keep = append(keep, m)
		}
	}
	onePrimary(a, keep)
	setOrDelete(c, a.Name, listOrNil(keep))
	return nil
}

// applyFiltered handles attr[filter] and attr[filter].sub.
func applyFiltered(c map[string]any, a *Attribute, f filter.Expr, sa *Attribute, op string, v any) error {
	if !a.MultiValued || a.Type != TypeComplex {
		return BadRequest(InvalidPath, "a value filter needs a multi-valued complex attribute; %q is not one", a.Name)
	}
	// Check the filter against the attribute even when there is nothing to
	// match, so a bad path fails the same way on every resource.
	if _, err := MatchElement(a, f, map[string]any{}); err != nil {
		return pathError(err)
	}
	cur, _ := c[a.Name].([]any)
	var matched []int // ascending
	for i, e := range cur {
		m, _ := e.(map[string]any)
		ok, err := MatchElement(a, f, m)
		if err != nil {
			return pathError(err)
		}
		if ok {
			matched = append(matched, i)
		}
	}
	if op == "remove" {
		var keep []any
		next := 0 // matched[next] is the next matched index
		for i, e := range cur {
			isMatched := next < len(matched) && matched[next] == i
			if isMatched {
				next++
			}
			if !isMatched {
				keep = append(keep, e)
			} else if m, ok := e.(map[string]any); ok && sa != nil {
				delete(m, sa.Name)
				if len(m) > 0 {
					keep = append(keep, m)
				}
			}
		}
		setOrDelete(c, a.Name, listOrNil(keep))
		return nil
	}
	var nv any
	var err error
	if sa != nil {
		nv, err = normSub(sa, v)
	} else {
		nv, err = normSingle(a, v)
	}
	if err != nil {
		return err
	}
	if len(matched) == 0 {
		if nv == nil {
			return nil // clearing a value that isn't there (ELA-2)
		}
		// Entra sets emails[type eq "work"].value and roles[primary eq
		// "True"].value on users that have no such element yet (Q4): the
		// element is created from the filter's equality terms.
		seed, ok := elementFromFilter(a, f)
		if !ok {
			return BadRequest(NoTarget, "no value of %q matches the filter, and the filter can't describe a new one", a.Name)
		}
		cur = append(cur, seed)
		matched = []int{len(cur) - 1}
	}
	// Q20: several elements matching (two "work" emails) should not occur;
	// when it does, the first is updated, so the others aren't collapsed
	// into copies of it.
	i := matched[0]
	m, _ := cur[i].(map[string]any)
	if m == nil {
		m = map[string]any{}
		cur[i] = m
	}
	if sa != nil {
		setOrDelete(m, sa.Name, nv)
	} else {
		if op == "replace" {
			for k := range m {
				delete(m, k)
			}
		}
		nm, _ := nv.(map[string]any)
		for k, sv := range nm {
			m[k] = sv
		}
	}
	var keep []any
	keepIdx := -1
	for j, e := range cur {
		em, _ := e.(map[string]any)
		if len(em) == 0 {
			continue
		}
		if j == i {
			keepIdx = len(keep)
		} else if equalValues(em, m) {
			continue // the update made it a copy of another value
		}
		keep = append(keep, em)
	}
	preferPrimary(a, keep, keepIdx)
	setOrDelete(c, a.Name, listOrNil(keep))
	return nil
}

// pathError reports a value filter that doesn't fit the attribute as a bad
// PATCH path (RFC 7644 §3.12 invalidPath) rather than a bad search filter.
func pathError(err error) error {
	if e, ok := err.(*Error); ok && e.ScimType == InvalidFilter {
		return BadRequest(InvalidPath, "%s", e.Detail)
	}
	return err
}

// elementFromFilter builds a new element from `sub eq value` terms joined
// by and; any other shape of filter can't describe an element.
func elementFromFilter(a *Attribute, f filter.Expr) (map[string]any, bool) {
	m := map[string]any{}
	var walk func(e filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch t := e.(type) {
		case filter.And:
			return walk(t.Left) && walk(t.Right)
		case filter.Compare:
			if t.Op != filter.Eq || t.Path.URN != "" || t.Path.Sub != "" {
				return false
			}
			sa := a.Sub(t.Path.Name)
			if sa == nil {
				return false
			}
			nv, err := normSimple(sa, literal(t.Value))
			if err != nil || nv == nil {
				return false
			}
			m[sa.Name] = nv
			return true
		}
		return false
	}
	if !walk(f) || len(m) == 0 {
		return nil, false
	}
	return m, true
}

func literal(v filter.Value) any {
	switch v.Kind {
	case filter.String:
		return v.Str
	case filter.Number:
		return json.Number(v.Str)
	case filter.Bool:
		return v.Bool
	}
	return nil
}
