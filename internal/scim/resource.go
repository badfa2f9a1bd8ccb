package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Resource is a SCIM resource in canonical form: attributes of the core
// schema at the top level under their canonical names, attributes of an
// extension under the extension's canonical URN, and values typed as
// string, bool, json.Number, map[string]any or []any. It never holds the
// server-managed attributes id, meta, schemas or (for Users) groups.
type Resource map[string]any

// DecodeObject parses a request body as one JSON object. Numbers are kept
// as json.Number so integers and decimals round-trip exactly. A string
// that isn't Unicode text (bytes that aren't UTF-8, a lone surrogate
// escape) is a 400 invalidValue naming where it is, rather than the
// U+FFFD the JSON decoder would silently store in its place.
func DecodeObject(body []byte) (map[string]any, error) {
	m, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if te := CheckText(body); te != nil {
		return nil, BadRequest(InvalidValue, "%s; send text as UTF-8", te.Error())
	}
	return m, nil
}

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, BadRequest(InvalidSyntax, "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, BadRequest(InvalidSyntax, "request body has data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(InvalidSyntax, "request body must be a JSON object")
	}
	return m, nil
}

// Normalize turns a client's resource body into a canonical Resource of
// type rt. It follows what real IdPs send (idp-conformance.md §10):
// attribute names match case-insensitively (Q13, RFC 7643 §2.1), unknown
// attributes are ignored, read-only attributes (id, meta, groups) are
// ignored rather than rejected (RFC-11), nulls mean "absent", and the
// strings "True"/"False" are accepted for booleans (Q3).
func Normalize(rt *ResourceType, in map[string]any) (Resource, error) {
	out := Resource{}
	keys, err := keysOf(in, "")
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := out.setTop(rt, k, in[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keysOf returns an object's keys in a fixed order, so a body that sets one
// attribute two ways (an extension object and a URN-qualified name inside
// it) is read the same every time, and refuses keys that differ only in
// case: attribute names are case-insensitive (RFC 7643 §2.1), so
// {"userName":"a","USERNAME":"b"} is ambiguous and gets a 400, not
// whichever Go's map order picked.
func keysOf(m map[string]any, where string) ([]string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) < 2 {
		return keys, nil
	}
	sort.Strings(keys)
	twice := func(prev, k string) error {
		if where != "" {
			where = " in " + where
		}
		return BadRequest(InvalidValue, "attribute %q is given twice%s (as %q and %q); attribute names are case-insensitive", k, where, prev, k)
	}
	if len(keys) <= 8 {
		// An element of a multi-valued attribute has a few keys: comparing
		// them pairwise is cheaper than a map per element.
		for i, k := range keys {
			for _, prev := range keys[:i] {
				if strings.EqualFold(prev, k) {
					return nil, twice(prev, k)
				}
			}
		}
		return keys, nil
	}
	seen := make(map[string]string, len(keys))
	for _, k := range keys {
		f := foldKey(k)
		if prev, dup := seen[f]; dup {
			return nil, twice(prev, k)
		}
		seen[f] = k
	}
	return keys, nil
}

// foldKey maps s to a key that two strings share exactly when
// strings.EqualFold says they are equal (how attribute names are matched):
// each rune becomes the least rune of its simple case-folding orbit, so
// "K", "k" and the Kelvin sign "K" are one key, as are "s" and "ſ",
// which strings.ToLower would keep apart.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// setTop places one top-level key of a request body into r.
func (r Resource) setTop(rt *ResourceType, key string, v any) error {
	switch {
	case strings.EqualFold(key, "schemas"), strings.EqualFold(key, "id"), strings.EqualFold(key, "meta"):
		return nil
	case strings.EqualFold(key, "externalId"):
		s, err := normSimple(rt.Common[1], v)
		if err != nil {
			return err
		}
		setOrDelete(r, "externalId", s)
		return nil
	case rt.Schema.Is(key):
		// Some clients nest core attributes under the core URN (SCIMVERIFY).
		if v == nil {
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return BadRequest(InvalidValue, "%q must be an object", key)
		}
		keys, err := keysOf(m, key)
		if err != nil {
			return err
		}
		for _, k2 := range keys {
			v2 := m[k2]
			if strings.EqualFold(k2, "externalId") {
				if err := r.setTop(rt, k2, v2); err != nil {
					return err
				}
				continue
			}
			if err := r.setAttr(rt.Schema, r, k2, v2); err != nil {
				return err
			}
		}
		return nil
	}
	if ext := rt.Extension(key); ext != nil {
		m, ok := v.(map[string]any)
		if v == nil {
			delete(r, ext.ID)
			return nil
		}
		if !ok {
			return BadRequest(InvalidValue, "extension %q must be an object", ext.ID)
		}
		target, _ := r[ext.ID].(map[string]any)
		if target == nil {
			target = map[string]any{}
		}
		keys, err := keysOf(m, ext.ID)
		if err != nil {
			return err
		}
		for _, k2 := range keys {
			if err := r.setAttr(ext, target, k2, m[k2]); err != nil {
				return err
			}
		}
		setOrDelete(r, ext.ID, emptyToNil(target))
		return nil
	}
	if s, name := splitURN(rt, key); s != nil {
		// A URN-qualified attribute name at the top level
		// ("urn:...:enterprise:2.0:User:department"), RFC 7644 §3.10.
		if s == rt.Schema {
			return r.setTop(rt, name, v)
		}
		target, _ := r[s.ID].(map[string]any)
		if target == nil {
			target = map[string]any{}
		}
		if err := r.setAttr(s, target, name, v); err != nil {
			return err
		}
		setOrDelete(r, s.ID, emptyToNil(target))
		return nil
	}
	return r.setAttr(rt.Schema, r, key, v)
}

// splitURN splits "urn:...:User:attr" into the schema of rt it names and
// "attr"; it returns nil when key is not qualified by one of rt's schemas.
func splitURN(rt *ResourceType, key string) (*Schema, string) {
	for _, s := range rt.Schemas() {
		if rest, ok := s.cutURN(key); ok {
			return s, rest
		}
	}
	return nil, ""
}

// setAttr normalises one attribute of schema s into target.
func (r Resource) setAttr(s *Schema, target map[string]any, key string, v any) error {
	a := s.Attr(key)
	if a == nil || a.Mutability == ReadOnly {
		return nil // unknown or server-owned: ignored (Q13, RFC-11)
	}
	nv, err := NormValue(a, v)
	if err != nil {
		return err
	}
	setOrDelete(target, a.Name, nv)
	return nil
}

func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}

func emptyToNil(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// NormValue normalises a value for attribute a. It returns nil when the
// value means "absent" (null, an empty list or an empty object).
func NormValue(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		return normSingle(a, v)
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v} // a lone value for a multi-valued attribute
	}
	if err := checkValueCount(a, len(list)); err != nil {
		return nil, err
	}
	return normList(a, list)
}

// normList normalises the values of a multi-valued attribute and drops
// repeats (equalValues: the first of equal values stays, in place), in
// O(n) expected time: a long list is deduplicated through a hash index,
// not by comparing each value with those before it.
func normList(a *Attribute, list []any) (any, error) {
	out := make([]any, 0, len(list))
	var seen *valueIndex
	if len(list) > linearBelow {
		seen = newValueIndex(len(list))
	}
	for _, e := range list {
		ne, err := normSingle(a, e)
		if err != nil {
			return nil, err
		}
		if ne == nil {
			continue
		}
		if seen != nil {
			if _, isNew := seen.addFirst(ne, len(out)); !isNew {
				continue
			}
		} else if containsEqual(out, ne) {
			continue
		}
		out = append(out, ne)
	}
	if len(out) == 0 {
		return nil, nil
	}
	onePrimary(a, out)
	return out, nil
}

func normSingle(a *Attribute, v any) (any, error) {
	if a.Type != TypeComplex {
		return normSimple(a, v)
	}
	var m map[string]any
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		m = t
	case string, bool, json.Number:
		// Entra sends the manager as a bare id (Q6); any complex attribute
		// with a "value" sub-attribute takes a bare value the same way.
		if a.Sub("value") == nil {
			return nil, BadRequest(InvalidValue, "attribute %q must be an object", a.Name)
		}
		if s, ok := t.(string); ok && s == "" {
			return nil, nil
		}
		m = map[string]any{"value": t}
	default:
		return nil, BadRequest(InvalidValue, "attribute %q must be an object", a.Name)
	}
	out := map[string]any{}
	keys, err := keysOf(m, a.Name)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		sv := m[k]
		sa := a.Sub(k)
		if sa == nil {
			continue
		}
		nv, err := normSimple(sa, sv)
		if err != nil {
			return nil, err
		}
		setOrDelete(out, sa.Name, nv)
	}
	return emptyToNil(out), nil
}

// normSimple coerces a scalar to the attribute's type.
func normSimple(a *Attribute, v any) (any, error) {
	switch v.(type) {
	case nil:
		return nil, nil
	case map[string]any, []any:
		return nil, BadRequest(InvalidValue, "attribute %q must be a single %s value", a.Name, a.Type)
	}
	switch a.Type {
	case TypeBoolean:
		switch t := v.(type) {
		case bool:
			return t, nil
		case string:
			if b, ok := ParseBool(t); ok {
				return b, nil
			}
			if strings.TrimSpace(t) == "" {
				return nil, nil // "" for an optional boolean means absent (ELA-2)
			}
		}
		return nil, BadRequest(InvalidValue, "attribute %q must be a boolean, got %s", a.Name, describe(v))
	case TypeInteger, TypeDecimal:
		var n json.Number
		switch t := v.(type) {
		case json.Number:
			n = t
		case string:
			n = json.Number(strings.TrimSpace(t))
		default:
			return nil, BadRequest(InvalidValue, "attribute %q must be a number, got %s", a.Name, describe(v))
		}
		// The number is stored and answered as written, so it must be a
		// JSON number: strconv alone also takes "NaN", "Inf", "+5" and
		// "0x1p3", which would make every later answer invalid JSON.
		if !isJSONNumber(string(n)) {
			return nil, BadRequest(InvalidValue, "attribute %q must be a number, got %s", a.Name, describe(v))
		}
		if a.Type == TypeInteger {
			if _, err := n.Int64(); err != nil {
				return nil, BadRequest(InvalidValue, "attribute %q must be an integer, got %s", a.Name, describe(v))
			}
		} else if _, err := n.Float64(); err != nil {
			return nil, BadRequest(InvalidValue, "attribute %q must be a number, got %s", a.Name, describe(v))
		}
		return n, nil
	default:
		// Strings, references, dateTimes and binaries are kept verbatim
		// (Q19). A number or boolean sent for a string (an employeeNumber of
		// 42) is kept as its text rather than refused, except for the
		// identifiers (userName, a group's displayName): a number there is
		// a broken attribute mapping, and the admin should hear of it.
		s, isString := v.(string)
		if isString {
			if strings.IndexByte(s, 0) >= 0 {
				// PostgreSQL can't store NUL in text; no IdP sends it.
				return nil, BadRequest(InvalidValue, "attribute %q contains a NUL character (U+0000)", a.Name)
			}
			return s, nil
		}
		if a.Uniqueness == "server" {
			return nil, BadRequest(InvalidValue, "attribute %q must be a string, got %s", a.Name, describe(v))
		}
		switch t := v.(type) {
		case json.Number:
			return t.String(), nil
		case bool:
			return strconv.FormatBool(t), nil
		}
		return nil, BadRequest(InvalidValue, "attribute %q must be a string, got %s", a.Name, describe(v))
	}
}

// ParseBool accepts JSON-style and Entra-style ("True", "False") booleans.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func describe(v any) string {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// onePrimary keeps at most one primary:true per multi-valued attribute
// (RFC 7643 §2.4): the first one sent wins.
func onePrimary(a *Attribute, list []any) {
	if a.Sub("primary") == nil {
		return
	}
	seen := false
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if p, _ := m["primary"].(bool); p {
			if seen {
				m["primary"] = false
			}
			seen = true
		}
	}
}

func containsEqual(list []any, v any) bool {
	for _, e := range list {
		if equalValues(e, v) {
			return true
		}
	}
	return false
}

// equalValues compares two normalised values structurally.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !equalValues(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// Clone deep-copies a resource so a PATCH can fail without side effects.
func (r Resource) Clone() Resource {
	return cloneValue(map[string]any(r)).(map[string]any)
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = cloneValue(e)
		}
		return m
	case Resource:
		return cloneValue(map[string]any(t))
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = cloneValue(e)
		}
		return l
	default:
		return v
	}
}

// String returns a top-level string attribute, or "".
func (r Resource) String(name string) string {
	s, _ := r[name].(string)
	return s
}

// Bool returns a top-level boolean attribute and whether it was set.
func (r Resource) Bool(name string) (bool, bool) {
	b, ok := r[name].(bool)
	return b, ok
}

// SubString returns a string sub-attribute of a single complex attribute.
func (r Resource) SubString(name, sub string) string {
	m, _ := r[name].(map[string]any)
	s, _ := m[sub].(string)
	return s
}

// Values returns the given sub-attribute of every element of a
// multi-valued complex attribute, such as every emails.value.
func (r Resource) Values(name, sub string) []string {
	list, _ := r[name].([]any)
	var out []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		if s, ok := m[sub].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isJSONNumber reports whether s is a number in JSON's grammar (RFC 8259 §6).
func isJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil || d.More() {
		return false
	}
	n, ok := v.(json.Number)
	return ok && string(n) == s
}
