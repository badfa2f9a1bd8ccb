// Package rfc7643 checks discovery documents (/ServiceProviderConfig,
// /ResourceTypes, /Schemas and their list responses) against the schemas
// RFC 7643 gives for them (§5, §6, §7, written out in §8.7.2), the way a
// client built on strict models reads them: required attributes present,
// every value of its declared type, references that are URIs (an
// "external" one an absolute http(s) URL), canonical values where the RFC
// lists them, and no attribute the schema doesn't define.
//
// It is used by tests (the SCIM core's and the end-to-end ones); nothing
// in the server imports it.
//
// Where §8.7.2 contradicts the sections it summarises, the sections win:
// ServiceProviderConfig has "etag" (§5) and authenticationSchemes have
// "type" (§5; and "primary", as §8.5's example shows), schemaExtensions is
// multi-valued and optional (§6), and "binary" is an attribute type
// (§2.3.6, used by §8.7.1's x509Certificates).
package rfc7643

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// URNs of the documents checked.
const (
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeURN          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaURN                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ListResponseURN          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// attr is one attribute definition (RFC 7643 §7), as much as checking a
// value needs.
type attr struct {
	name      string
	typ       string // string, boolean, integer, dateTime, reference, complex
	multi     bool
	required  bool
	canonical []string // the only values allowed, when set
	refTypes  []string // for references: "external", "uri", or resource types
	subs      []attr
}

func str(name string, required bool, canonical ...string) attr {
	return attr{name: name, typ: "string", required: required, canonical: canonical}
}
func boolean(name string, required bool) attr {
	return attr{name: name, typ: "boolean", required: required}
}
func integer(name string, required bool) attr {
	return attr{name: name, typ: "integer", required: required}
}
func ref(name string, required bool, types ...string) attr {
	return attr{name: name, typ: "reference", required: required, refTypes: types}
}
func complexAttr(name string, required, multi bool, subs ...attr) attr {
	return attr{name: name, typ: "complex", required: required, multi: multi, subs: subs}
}
func supported(name string) attr { return complexAttr(name, true, false, boolean("supported", true)) }

// meta is the common attribute of every resource (§3.1).
var meta = complexAttr("meta", false, false,
	str("resourceType", false), attr{name: "created", typ: "dateTime"}, attr{name: "lastModified", typ: "dateTime"},
	ref("location", false, "uri"), str("version", false))

// attributeSubs are the sub-attributes of a schema's "attributes" (§7).
var attributeSubs = []attr{
	str("name", true),
	str("type", true, "string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"),
	boolean("multiValued", true),
	str("description", false),
	boolean("required", false),
	{name: "canonicalValues", typ: "string", multi: true},
	boolean("caseExact", false),
	str("mutability", false, "readOnly", "readWrite", "immutable", "writeOnly"),
	str("returned", false, "always", "never", "default", "request"),
	str("uniqueness", false, "none", "server", "global"),
	{name: "referenceTypes", typ: "string", multi: true},
}

// schemas are the three discovery schemas, by URN. id is required only
// where the RFC requires it (not on the ServiceProviderConfig, §5).
var schemas = map[string][]attr{
	ServiceProviderConfigURN: {
		ref("documentationUri", false, "external"),
		supported("patch"),
		complexAttr("bulk", true, false, boolean("supported", true), integer("maxOperations", true), integer("maxPayloadSize", true)),
		complexAttr("filter", true, false, boolean("supported", true), integer("maxResults", true)),
		supported("changePassword"),
		supported("sort"),
		supported("etag"),
		complexAttr("authenticationSchemes", true, true,
			str("type", true, "oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"),
			str("name", true), str("description", true),
			ref("specUri", false, "external"), ref("documentationUri", false, "external"),
			boolean("primary", false)),
		meta,
	},
	ResourceTypeURN: {
		str("id", false), str("name", true), str("description", false),
		ref("endpoint", true, "uri"), ref("schema", true, "uri"),
		complexAttr("schemaExtensions", false, true, ref("schema", true, "uri"), boolean("required", true)),
		meta,
	},
	SchemaURN: {
		ref("id", true, "uri"), str("name", false), str("description", false),
		complexAttr("attributes", true, true, append(slices.Clone(attributeSubs),
			complexAttr("subAttributes", false, true, attributeSubs...))...),
		meta,
	},
}

// Check returns what is wrong with one discovery document, named by the
// URN in its "schemas"; nil when nothing is.
func Check(doc map[string]any) []string {
	c := &checker{}
	urns := anyStrings(doc["schemas"])
	if len(urns) != 1 {
		return []string{fmt.Sprintf(`schemas: must list the document's one schema URN, got %v`, doc["schemas"])}
	}
	urn := urns[0]
	defs, ok := schemas[urn]
	if !ok {
		return []string{fmt.Sprintf("%q is not a discovery schema", urn)}
	}
	c.object("", doc, defs, map[string]bool{"schemas": true})
	if urn == SchemaURN {
		c.schemaAttributes("attributes", doc["attributes"], 0)
	}
	if m, ok := doc["meta"].(map[string]any); ok {
		want := map[string]string{ServiceProviderConfigURN: "ServiceProviderConfig", ResourceTypeURN: "ResourceType", SchemaURN: "Schema"}[urn]
		if m["resourceType"] != want {
			c.errorf("meta.resourceType", "is %v, want %q", m["resourceType"], want)
		}
		if s, _ := m["location"].(string); !absoluteURL(s) {
			c.errorf("meta.location", "%q is not an absolute URL", s)
		}
	}
	return c.problems
}

// CheckList checks a ListResponse (RFC 7644 §3.4.2) and each resource in
// it, which must all be of the schema urn.
func CheckList(doc map[string]any, urn string) []string {
	c := &checker{}
	c.object("", doc, []attr{
		integer("totalResults", true), integer("startIndex", false), integer("itemsPerPage", false),
		{name: "Resources", typ: "complex", multi: true},
	}, map[string]bool{"schemas": true, "Resources": true})
	if !slices.Equal(anyStrings(doc["schemas"]), []string{ListResponseURN}) {
		c.errorf("schemas", "must be [%q], got %v", ListResponseURN, doc["schemas"])
	}
	list, ok := doc["Resources"].([]any)
	if !ok {
		c.errorf("Resources", "must be a list, got %T", doc["Resources"])
	}
	if n, _ := toInt(doc["totalResults"]); n != len(list) {
		c.errorf("totalResults", "is %v, but Resources lists %d", doc["totalResults"], len(list))
	}
	for i, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			c.errorf(fmt.Sprintf("Resources[%d]", i), "is not an object")
			continue
		}
		if got := anyStrings(m["schemas"]); !slices.Equal(got, []string{urn}) {
			c.errorf(fmt.Sprintf("Resources[%d].schemas", i), "is %v, want [%q]", got, urn)
		}
		for _, p := range Check(m) {
			c.problems = append(c.problems, fmt.Sprintf("Resources[%d].%s", i, p))
		}
	}
	return c.problems
}

type checker struct{ problems []string }

func (c *checker) errorf(where, format string, args ...any) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// object checks the attributes of one JSON object against defs; names in
// skip are checked by the caller.
func (c *checker) object(where string, m map[string]any, defs []attr, skip map[string]bool) {
	byName := map[string]attr{}
	for _, d := range defs {
		byName[d.name] = d
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if skip[k] {
			continue
		}
		d, ok := byName[k]
		if !ok {
			c.errorf(join(where, k), "is not an attribute of this schema")
			continue
		}
		c.value(join(where, k), d, m[k])
	}
	for _, d := range defs {
		if _, ok := m[d.name]; !ok && d.required && !skip[d.name] {
			c.errorf(join(where, d.name), "is required")
		}
	}
}

func (c *checker) value(where string, d attr, v any) {
	if v == nil {
		c.errorf(where, "is null; leave an attribute without a value out")
		return
	}
	if d.multi {
		list, ok := v.([]any)
		if !ok {
			c.errorf(where, "is multi-valued: it must be a list, got %T", v)
			return
		}
		if d.required && len(list) == 0 {
			c.errorf(where, "is required and empty")
		}
		for i, e := range list {
			one := d
			one.multi = false
			c.value(fmt.Sprintf("%s[%d]", where, i), one, e)
		}
		return
	}
	switch d.typ {
	case "string":
		s, ok := v.(string)
		switch {
		case !ok:
			c.errorf(where, "must be a string, got %T", v)
		case d.required && s == "":
			c.errorf(where, "is required and empty")
		case d.canonical != nil && !slices.Contains(d.canonical, s):
			c.errorf(where, "%q is not one of %v", s, d.canonical)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.errorf(where, "must be a boolean, got %T %v", v, v)
		}
	case "integer":
		if _, ok := toInt(v); !ok {
			c.errorf(where, "must be an integer, got %T %v", v, v)
		}
	case "dateTime":
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			c.errorf(where, "must be an xsd:dateTime, got %v", v)
		}
	case "reference":
		s, ok := v.(string)
		if !ok {
			c.errorf(where, "must be a URI string, got %T", v)
			return
		}
		u, err := url.Parse(s)
		switch {
		case s == "" || err != nil:
			c.errorf(where, "%q is not a URI", s)
		case slices.Contains(d.refTypes, "external") && !absoluteURL(s):
			c.errorf(where, "%q is not an absolute http(s) URL", s)
		case slices.Contains(d.refTypes, "uri") && u.String() == "":
			c.errorf(where, "%q is not a URI", s)
		}
	case "complex":
		m, ok := v.(map[string]any)
		if !ok {
			c.errorf(where, "must be an object, got %T", v)
			return
		}
		if d.subs != nil {
			c.object(where, m, d.subs, nil)
		}
	}
}

// schemaAttributes checks what §7 and §2.3 ask of attribute definitions
// beyond their types: a complex attribute has sub-attributes and only it
// does, and they are not complex themselves (§2.3.8); referenceTypes
// belong to references, which name them; caseExact to strings.
func (c *checker) schemaAttributes(where string, v any, depth int) {
	list, _ := v.([]any)
	names := map[string]bool{}
	for i, e := range list {
		m, _ := e.(map[string]any)
		w := fmt.Sprintf("%s[%d]", where, i)
		name, _ := m["name"].(string)
		if names[strings.ToLower(name)] {
			c.errorf(w, "%q is defined twice", name)
		}
		names[strings.ToLower(name)] = true
		typ, _ := m["type"].(string)
		_, hasSubs := m["subAttributes"]
		switch {
		case typ == "complex" && depth > 0:
			c.errorf(w, "%q: a sub-attribute can't be complex", name)
		case typ == "complex" && !hasSubs:
			c.errorf(w, "%q is complex but has no subAttributes", name)
		case typ != "complex" && hasSubs:
			c.errorf(w, "%q has subAttributes but is of type %q", name, typ)
		}
		refs := anyStrings(m["referenceTypes"])
		if typ == "reference" && len(refs) == 0 {
			c.errorf(w, "%q is a reference without referenceTypes", name)
		}
		if typ != "reference" && m["referenceTypes"] != nil {
			c.errorf(w, "%q has referenceTypes but is of type %q", name, typ)
		}
		if hasSubs {
			c.schemaAttributes(w+".subAttributes", m["subAttributes"], depth+1)
		}
	}
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func toInt(v any) (int, bool) {
	switch t := v.(type) {
	case json.Number:
		n, err := t.Int64()
		return int(n), err == nil
	case float64:
		return int(t), t == float64(int(t))
	case int:
		return t, true
	}
	return 0, false
}

func anyStrings(v any) []string {
	switch t := v.(type) {
	case []string:
		return t
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
