package adminapitest

// A small JSON Schema validator for what the admin API's tests check
// against schemas: the OpenAPI 3.0 document against the official OpenAPI
// 3.0 JSON Schema (draft-04), and the server's answers against the
// response schemas the document declares (OpenAPI 3.0 Schema Objects).
// It implements the keywords those two use, and refuses a schema that
// uses any other validation keyword, so nothing is skipped silently:
//
//	$ref (JSON pointers within the same document), type (a name or, in
//	draft-04, a list), enum, properties, patternProperties,
//	additionalProperties (a boolean or a schema), required, minProperties,
//	maxProperties, items, minItems, maxItems, uniqueItems, allOf, anyOf,
//	oneOf, not, pattern, minLength, maxLength, minimum, maximum and
//	draft-04's boolean exclusiveMinimum/exclusiveMaximum, format
//	(uri, uri-reference, email, regex, date-time; others are names only),
//	and OpenAPI's nullable.
//
// Why not a library: the module proxy has well-kept ones (kin-openapi,
// santhosh-tekuri/jsonschema), but either adds a dependency tree to the
// module for two tests, and the subset is small enough to own and to test
// (TestSchemaValidator).
//
// In strict mode (the server's answers) an object may hold only the
// properties its schema documents (under properties, or in any allOf
// branch) unless the schema says additionalProperties or
// patternProperties: an undocumented field is a finding, so the document
// can't fall behind the answers.

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type validator struct {
	root    any  // the document $refs point into
	openAPI bool // OpenAPI Schema Objects: nullable is a keyword
	strict  bool // report undocumented properties
}

// known lists the keywords the validator reads, and the annotations it
// may ignore; any other key in a schema is an error of the schema.
var known = map[string]bool{
	"$ref": true, "type": true, "enum": true, "properties": true, "patternProperties": true, "additionalProperties": true,
	"required": true, "minProperties": true, "maxProperties": true, "items": true, "minItems": true, "maxItems": true,
	"uniqueItems": true, "allOf": true, "anyOf": true, "oneOf": true, "not": true, "pattern": true, "minLength": true,
	"maxLength": true, "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "format": true,
	// annotations
	"id": true, "$schema": true, "description": true, "default": true, "definitions": true, "title": true, "example": true,
	"examples": true, "readOnly": true, "writeOnly": true, "deprecated": true,
}

// validate checks inst against schema and returns what fails, each
// prefixed with the JSON pointer of the value at fault.
func (v *validator) validate(schema, inst any) []string {
	var out []string
	v.check(schema, inst, "", true, &out)
	return out
}

func (v *validator) fail(out *[]string, at, format string, args ...any) {
	if at == "" {
		at = "/"
	}
	*out = append(*out, at+": "+fmt.Sprintf(format, args...))
}

// resolve follows a local $ref ("#/a/b~1c").
func (v *validator) resolve(ref string) (any, error) {
	if ref == "#" {
		return v.root, nil
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q is not a pointer into this document", ref)
	}
	cur := v.root
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[part]
			if !ok {
				return nil, fmt.Errorf("$ref %q: no %q", ref, part)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("$ref %q: no item %q", ref, part)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("$ref %q: %q is inside a scalar", ref, part)
		}
	}
	return cur, nil
}

// deref follows $refs until a schema without one.
func (v *validator) deref(schema any) (map[string]any, error) {
	for range 64 {
		s, ok := schema.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("a schema must be an object, got %T", schema)
		}
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		var err error
		if schema, err = v.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref loop")
}

// documented lists the properties a schema names, allOf branches included.
func (v *validator) documented(s map[string]any, names map[string]bool) {
	if p, ok := s["properties"].(map[string]any); ok {
		for k := range p {
			names[k] = true
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, b := range all {
			if bs, err := v.deref(b); err == nil {
				v.documented(bs, names)
			}
		}
	}
}

// namesProperties reports whether a schema, or an allOf branch of it,
// has a properties keyword (even an empty one: then no property may be
// there).
func (v *validator) namesProperties(s map[string]any) bool {
	if _, ok := s["properties"]; ok {
		return true
	}
	all, _ := s["allOf"].([]any)
	for _, b := range all {
		if bs, err := v.deref(b); err == nil && v.namesProperties(bs) {
			return true
		}
	}
	return false
}

func (v *validator) check(schema, inst any, at string, extras bool, out *[]string) {
	// draft-04's additionalProperties may be a boolean, validated by the
	// caller; here a schema is an object.
	s, err := v.deref(schema)
	if err != nil {
		v.fail(out, at, "schema: %v", err)
		return
	}
	for k := range s {
		if !known[k] && !strings.HasPrefix(k, "x-") && !(v.openAPI && (k == "nullable" || k == "discriminator" || k == "xml" || k == "externalDocs")) {
			v.fail(out, at, "schema uses %q, which this validator doesn't implement", k)
		}
	}
	if inst == nil && v.openAPI && s["nullable"] == true {
		return
	}
	if t, ok := s["type"]; ok && !typeMatches(t, inst, v.openAPI) {
		v.fail(out, at, "is %s, want type %v", kindOf(inst), t)
		return
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if sameValue(x, inst) {
				found = true
				break
			}
		}
		if !found {
			v.fail(out, at, "%s is not one of %s", short(inst), short(e))
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		list, ok := s[key].([]any)
		if !ok {
			continue
		}
		passed := 0
		var first []string
		for _, b := range list {
			var sub []string
			// An allOf branch sees the whole object; what is documented is
			// the union of the branches, checked below.
			v.check(b, inst, at, extras && key != "allOf", &sub)
			if len(sub) == 0 {
				passed++
			} else if first == nil {
				first = sub
			}
			if key == "allOf" {
				*out = append(*out, sub...)
			}
		}
		switch {
		case key == "anyOf" && passed == 0:
			v.fail(out, at, "matches none of anyOf (first: %s)", strings.Join(first, "; "))
		case key == "oneOf" && passed != 1:
			v.fail(out, at, "matches %d of oneOf, want exactly 1 (first failure: %s)", passed, strings.Join(first, "; "))
		}
	}
	if n, ok := s["not"]; ok {
		var sub []string
		v.check(n, inst, at, true, &sub)
		if len(sub) == 0 {
			v.fail(out, at, "matches a schema it must not")
		}
	}
	switch x := inst.(type) {
	case map[string]any:
		v.checkObject(s, x, at, extras, out)
	case []any:
		v.checkArray(s, x, at, out)
	case string:
		v.checkString(s, x, at, out)
	case float64:
		v.checkNumber(s, x, at, out)
	}
}

func (v *validator) checkObject(s map[string]any, x map[string]any, at string, extras bool, out *[]string) {
	props, _ := s["properties"].(map[string]any)
	pats, _ := s["patternProperties"].(map[string]any)
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, _ := r.(string); name != "" {
				if _, ok := x[name]; !ok {
					v.fail(out, at, "lacks required %q", name)
				}
			}
		}
	}
	if n, ok := s["minProperties"].(float64); ok && float64(len(x)) < n {
		v.fail(out, at, "has %d properties, fewer than %v", len(x), n)
	}
	if n, ok := s["maxProperties"].(float64); ok && float64(len(x)) > n {
		v.fail(out, at, "has %d properties, more than %v", len(x), n)
	}
	addl, hasAddl := s["additionalProperties"]
	var names map[string]bool
	if v.strict && extras && !hasAddl && pats == nil {
		// An object schema that names no properties at all is free-form
		// ({"type": "object"}: a SCIM resource, a log's detail).
		names = map[string]bool{}
		if v.documented(s, names); !v.namesProperties(s) {
			names = nil
		}
	}
	for _, k := range sortedKeys(x) {
		val, sub := x[k], at+"/"+pointerEscape(k)
		matched := false
		if ps, ok := props[k]; ok {
			matched = true
			v.check(ps, val, sub, true, out)
		}
		for p, ps := range pats {
			re, err := compile(p)
			if err != nil {
				v.fail(out, at, "schema pattern %q: %v", p, err)
				continue
			}
			if re.MatchString(k) {
				matched = true
				v.check(ps, val, sub, true, out)
			}
		}
		if matched {
			continue
		}
		switch a := addl.(type) {
		case bool:
			if !a {
				v.fail(out, sub, "is not allowed here (additionalProperties false)")
			}
		case map[string]any:
			v.check(a, val, sub, true, out)
		case nil:
			if names != nil && !names[k] {
				v.fail(out, sub, "is in the answer but not documented")
			}
		}
	}
}

func (v *validator) checkArray(s map[string]any, x []any, at string, out *[]string) {
	if n, ok := s["minItems"].(float64); ok && float64(len(x)) < n {
		v.fail(out, at, "has %d items, fewer than %v", len(x), n)
	}
	if n, ok := s["maxItems"].(float64); ok && float64(len(x)) > n {
		v.fail(out, at, "has %d items, more than %v", len(x), n)
	}
	if s["uniqueItems"] == true {
		for i := range x {
			for j := i + 1; j < len(x); j++ {
				if sameValue(x[i], x[j]) {
					v.fail(out, at, "items %d and %d are the same, and must be unique", i, j)
				}
			}
		}
	}
	switch items := s["items"].(type) {
	case map[string]any:
		for i, e := range x {
			v.check(items, e, at+"/"+strconv.Itoa(i), true, out)
		}
	case []any: // draft-04 tuple form
		for i, e := range x {
			if i < len(items) {
				v.check(items[i], e, at+"/"+strconv.Itoa(i), true, out)
			}
		}
	}
}

func (v *validator) checkString(s map[string]any, x string, at string, out *[]string) {
	n := float64(len([]rune(x)))
	if m, ok := s["minLength"].(float64); ok && n < m {
		v.fail(out, at, "is shorter than %v characters", m)
	}
	if m, ok := s["maxLength"].(float64); ok && n > m {
		v.fail(out, at, "is longer than %v characters", m)
	}
	if p, ok := s["pattern"].(string); ok {
		re, err := compile(p)
		if err != nil {
			v.fail(out, at, "schema pattern %q: %v", p, err)
		} else if !re.MatchString(x) {
			v.fail(out, at, "%q does not match %q", x, p)
		}
	}
	if f, ok := s["format"].(string); ok {
		if msg := checkFormat(f, x); msg != "" {
			v.fail(out, at, "%q is not a valid %s: %s", x, f, msg)
		}
	}
}

func (v *validator) checkNumber(s map[string]any, x float64, at string, out *[]string) {
	if m, ok := s["minimum"].(float64); ok {
		if x < m || (s["exclusiveMinimum"] == true && x == m) {
			v.fail(out, at, "%v is below the minimum %v", x, m)
		}
	}
	if m, ok := s["maximum"].(float64); ok {
		if x > m || (s["exclusiveMaximum"] == true && x == m) {
			v.fail(out, at, "%v is above the maximum %v", x, m)
		}
	}
}

func checkFormat(format, x string) string {
	switch format {
	case "uri":
		if u, err := url.Parse(x); err != nil || !u.IsAbs() {
			return "not an absolute URI"
		}
	case "uri-reference":
		if _, err := url.Parse(x); err != nil {
			return err.Error()
		}
	case "email":
		if a, err := mail.ParseAddress(x); err != nil || a.Address != x {
			return "not an email address"
		}
	case "regex":
		if _, err := regexp.Compile(x); err != nil {
			return err.Error()
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, x); err != nil {
			return err.Error()
		}
	}
	return ""
}

var patterns sync.Map // string → *regexp.Regexp

func compile(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

// typeMatches checks draft-04's type (a name or a list of names); in an
// OpenAPI Schema Object it must be one name.
func typeMatches(t, inst any, openAPI bool) bool {
	switch tt := t.(type) {
	case string:
		return isType(tt, inst)
	case []any:
		if openAPI {
			return false // OpenAPI 3.0 has no type lists
		}
		for _, e := range tt {
			if name, _ := e.(string); isType(name, inst) {
				return true
			}
		}
	}
	return false
}

func isType(name string, inst any) bool {
	switch name {
	case "object":
		_, ok := inst.(map[string]any)
		return ok
	case "array":
		_, ok := inst.([]any)
		return ok
	case "string":
		_, ok := inst.(string)
		return ok
	case "boolean":
		_, ok := inst.(bool)
		return ok
	case "null":
		return inst == nil
	case "number":
		_, ok := inst.(float64)
		return ok
	case "integer":
		f, ok := inst.(float64)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}

func kindOf(inst any) string {
	switch inst.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", inst)
}

func sameValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
