package rfc7643_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/rfc7643"
)

// roundTrip is a document as a client decodes it.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every discovery document Roster renders passes: the configuration with
// and without a documentation URL, each resource type (a team's custom
// attributes included), each schema, and the lists of them.
func TestDiscoveryDocumentsFollowRFC7643(t *testing.T) {
	const base = "https://roster.example/scim/v2"
	caps := scim.Capabilities{MaxResults: 1000, MaxPayloadSize: 1 << 20, MaxBulkOperations: 1000, MaxBulkPayload: 1 << 20}
	withDocs := caps
	withDocs.Documentation = "https://roster.example/docs"
	custom := scim.UserTypeWith([]scim.CustomAttribute{
		{Name: "badge", Type: scim.TypeInteger}, {Name: "homepage", Type: scim.TypeReference, CaseExact: true},
		{Name: "tags", Type: scim.TypeString, MultiValued: true}, {Name: "vip", Type: scim.TypeBoolean},
	})
	docs := map[string]any{
		"ServiceProviderConfig":      scim.ServiceProviderConfig(base, caps),
		"ServiceProviderConfig+docs": scim.ServiceProviderConfig(base, withDocs),
		"ResourceType User":          scim.ResourceTypeDoc(base, scim.UserType),
		"ResourceType Group":         scim.ResourceTypeDoc(base, scim.GroupType),
		"ResourceType User (custom)": scim.ResourceTypeDoc(base, custom),
		"Schema custom attributes":   scim.SchemaDoc(base, custom.Extension(scim.CustomUserURN)),
	}
	for _, s := range scim.AllSchemas {
		docs["Schema "+s.ID] = scim.SchemaDoc(base, s)
	}
	for name, d := range docs {
		for _, p := range rfc7643.Check(roundTrip(t, d)) {
			t.Errorf("%s: %s", name, p)
		}
	}
	var rts, schemas []any
	for _, rt := range scim.ResourceTypes {
		rts = append(rts, scim.ResourceTypeDoc(base, rt))
	}
	for _, s := range scim.AllSchemas {
		schemas = append(schemas, scim.SchemaDoc(base, s))
	}
	for _, p := range rfc7643.CheckList(roundTrip(t, scim.NewList(len(rts), 1, rts)), rfc7643.ResourceTypeURN) {
		t.Errorf("/ResourceTypes: %s", p)
	}
	for _, p := range rfc7643.CheckList(roundTrip(t, scim.NewList(len(schemas), 1, schemas)), rfc7643.SchemaURN) {
		t.Errorf("/Schemas: %s", p)
	}
	if _, ok := roundTrip(t, docs["ServiceProviderConfig"])["documentationUri"]; ok {
		t.Error(`documentationUri is present without a documentation URL; "" is not a URI`)
	}
	if got := roundTrip(t, docs["ServiceProviderConfig+docs"])["documentationUri"]; got != withDocs.Documentation {
		t.Errorf("documentationUri %v, want %s", got, withDocs.Documentation)
	}
}

// The checker sees what strict clients refuse: each mutation of a valid
// document is reported, naming the attribute.
func TestCheckCatches(t *testing.T) {
	const base = "https://roster.example/scim/v2"
	spc := func() map[string]any {
		return roundTrip(t, scim.ServiceProviderConfig(base, scim.Capabilities{MaxResults: 10, MaxBulkOperations: 1, MaxBulkPayload: 1}))
	}
	schema := func() map[string]any { return roundTrip(t, scim.SchemaDoc(base, scim.UserSchema)) }
	rt := func() map[string]any { return roundTrip(t, scim.ResourceTypeDoc(base, scim.UserType)) }
	attrs := func(m map[string]any) []any { return m["attributes"].([]any) }
	cases := []struct {
		name  string
		doc   map[string]any
		edit  func(map[string]any)
		wants string
	}{
		{"empty documentationUri", spc(), func(m map[string]any) { m["documentationUri"] = "" }, "documentationUri"},
		{"relative documentationUri", spc(), func(m map[string]any) { m["documentationUri"] = "/docs" }, "documentationUri"},
		{"missing etag", spc(), func(m map[string]any) { delete(m, "etag") }, "etag: is required"},
		{"string boolean", spc(), func(m map[string]any) { m["patch"] = map[string]any{"supported": "true"} }, "patch.supported"},
		{"fractional integer", spc(), func(m map[string]any) { m["filter"].(map[string]any)["maxResults"] = json.Number("1.5") }, "filter.maxResults"},
		{"unknown scheme type", spc(), func(m map[string]any) { m["authenticationSchemes"].([]any)[0].(map[string]any)["type"] = "bearer" }, "authenticationSchemes[0].type"},
		{"schemes not a list", spc(), func(m map[string]any) { m["authenticationSchemes"] = m["authenticationSchemes"].([]any)[0] }, "multi-valued"},
		{"unknown attribute", spc(), func(m map[string]any) { m["xmlDataFormat"] = map[string]any{"supported": false} }, "xmlDataFormat"},
		{"null", spc(), func(m map[string]any) { m["documentationUri"] = nil }, "null"},
		{"relative location", spc(), func(m map[string]any) { m["meta"].(map[string]any)["location"] = "/ServiceProviderConfig" }, "meta.location"},
		{"wrong resourceType", rt(), func(m map[string]any) { m["meta"].(map[string]any)["resourceType"] = "Schema" }, "meta.resourceType"},
		{"no endpoint", rt(), func(m map[string]any) { delete(m, "endpoint") }, "endpoint: is required"},
		{"two schemas", rt(), func(m map[string]any) { m["schemas"] = []any{rfc7643.ResourceTypeURN, rfc7643.SchemaURN} }, "schemas"},
		{"bad type", schema(), func(m map[string]any) { attrs(m)[0].(map[string]any)["type"] = "text" }, "attributes[0].type"},
		{"bad mutability", schema(), func(m map[string]any) { attrs(m)[0].(map[string]any)["mutability"] = "writeonly" }, "mutability"},
		{"complex without subs", schema(), func(m map[string]any) {
			for _, a := range attrs(m) {
				if a.(map[string]any)["name"] == "name" {
					delete(a.(map[string]any), "subAttributes")
				}
			}
		}, "no subAttributes"},
		{"reference without types", schema(), func(m map[string]any) {
			for _, a := range attrs(m) {
				if a.(map[string]any)["name"] == "profileUrl" {
					delete(a.(map[string]any), "referenceTypes")
				}
			}
		}, "without referenceTypes"},
		{"twice", schema(), func(m map[string]any) { m["attributes"] = append(attrs(m), attrs(m)[0]) }, "defined twice"},
	}
	for _, c := range cases {
		if p := rfc7643.Check(c.doc); len(p) != 0 {
			t.Fatalf("%s: the unedited document fails: %v", c.name, p)
		}
		c.edit(c.doc)
		p := rfc7643.Check(c.doc)
		if !strings.Contains(strings.Join(p, "\n"), c.wants) {
			t.Errorf("%s: problems %q, want one about %q", c.name, p, c.wants)
		}
	}
	list := roundTrip(t, scim.NewList(1, 1, []any{scim.SchemaDoc(base, scim.GroupSchema)}))
	list["totalResults"] = json.Number("2")
	if p := rfc7643.CheckList(list, rfc7643.SchemaURN); !strings.Contains(strings.Join(p, "\n"), "totalResults") {
		t.Errorf("list with a wrong total: %q", p)
	}
}
