package scim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestServiceProviderConfig(t *testing.T) {
	spc := ServiceProviderConfig("https://h/scim/v2", Capabilities{MaxResults: 100, Documentation: "https://docs"})
	var m map[string]any
	if err := json.Unmarshal([]byte(asJSON(t, spc)), &m); err != nil {
		t.Fatal(err)
	}
	// RFC 7643 §5 / RFC-05: the required keys and their shapes.
	for _, k := range []string{"schemas", "patch", "bulk", "filter", "changePassword", "sort", "etag", "authenticationSchemes", "meta"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
	for _, k := range []string{"patch", "bulk", "filter", "changePassword", "sort", "etag"} {
		if _, ok := m[k].(map[string]any)["supported"].(bool); !ok {
			t.Errorf("%s.supported is not a boolean: %v", k, m[k])
		}
	}
	if m["patch"].(map[string]any)["supported"] != true {
		t.Error("patch.supported must be true (PM-04)")
	}
	if m["filter"].(map[string]any)["supported"] != true || m["filter"].(map[string]any)["maxResults"] != float64(100) {
		t.Errorf("filter = %v", m["filter"])
	}
	bulk := m["bulk"].(map[string]any)
	for _, k := range []string{"maxOperations", "maxPayloadSize"} {
		if _, ok := bulk[k].(float64); !ok {
			t.Errorf("bulk.%s missing", k)
		}
	}
	if !sameJSON(t, m["schemas"], `["`+ServiceProviderURN+`"]`) {
		t.Errorf("schemas = %v", m["schemas"])
	}
	auth, _ := m["authenticationSchemes"].([]any)
	if len(auth) == 0 {
		t.Fatal("no authenticationSchemes")
	}
	for _, a := range auth {
		am := a.(map[string]any)
		for _, k := range []string{"type", "name", "description"} {
			if s, _ := am[k].(string); s == "" {
				t.Errorf("authenticationSchemes[].%s empty", k)
			}
		}
	}
	meta := m["meta"].(map[string]any)
	if meta["resourceType"] != "ServiceProviderConfig" || meta["location"] != "https://h/scim/v2/ServiceProviderConfig" {
		t.Errorf("meta = %v", meta)
	}
}

func TestResourceTypeDoc(t *testing.T) {
	if len(ResourceTypes) == 0 || ResourceTypes[0] != UserType {
		t.Fatal("User must be the first resource type (PM-03)")
	}
	tests := []struct {
		rt                *ResourceType
		id, endpoint, urn string
		exts              string
	}{
		{UserType, "User", "/Users", UserURN, `[{"schema":"` + EnterpriseUserURN + `","required":false}]`},
		{GroupType, "Group", "/Groups", GroupURN, `[]`},
	}
	for _, tc := range tests {
		doc := ResourceTypeDoc("https://h", tc.rt)
		if !sameJSON(t, doc["schemas"], `["`+ResourceTypeURN+`"]`) || doc["id"] != tc.id || doc["name"] != tc.id ||
			doc["endpoint"] != tc.endpoint || doc["schema"] != tc.urn {
			t.Errorf("%s doc = %s", tc.id, asJSON(t, doc))
		}
		if !sameJSON(t, doc["schemaExtensions"], tc.exts) {
			t.Errorf("%s schemaExtensions = %s", tc.id, asJSON(t, doc["schemaExtensions"]))
		}
		meta := doc["meta"].(map[string]any)
		if meta["resourceType"] != "ResourceType" || meta["location"] != "https://h/ResourceTypes/"+tc.id {
			t.Errorf("%s meta = %v", tc.id, meta)
		}
	}
}

func TestSchemaDoc(t *testing.T) {
	doc := SchemaDoc("https://h", UserSchema)
	b := asJSON(t, doc)
	if !strings.Contains(b, `"User Account"`) { // PM-05
		t.Error(`User schema description must be "User Account"`)
	}
	var m map[string]any
	json.Unmarshal([]byte(b), &m)
	if m["id"] != UserURN || m["name"] != "User" || !sameJSON(t, m["schemas"], `["`+SchemaURN+`"]`) {
		t.Errorf("doc = %s", b)
	}
	if m["meta"].(map[string]any)["location"] != "https://h/Schemas/"+UserURN {
		t.Errorf("meta = %v", m["meta"])
	}
	attrs := m["attributes"].([]any)
	first := attrs[0].(map[string]any)
	// RFC-07: every attribute definition carries these keys.
	for _, k := range []string{"name", "type", "multiValued", "description", "required", "caseExact", "mutability", "returned", "uniqueness"} {
		if _, ok := first[k]; !ok {
			t.Errorf("attribute JSON lacks %q: %v", k, first)
		}
	}
	if len(AllSchemas) != 3 {
		t.Errorf("AllSchemas = %d schemas", len(AllSchemas))
	}
	for _, s := range AllSchemas {
		if s.ID == "" || s.Name == "" || s.Description == "" || len(s.Attributes) == 0 {
			t.Errorf("schema %q incomplete", s.ID)
		}
	}
}

func checkAttrs(t *testing.T, where string, list []*Attribute) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range list {
		p := where + "." + a.Name
		if a.Name == "" || a.Type == "" || a.Mutability == "" || a.Returned == "" || a.Uniqueness == "" || a.Description == "" {
			t.Errorf("%s: incomplete definition %+v", p, *a)
		}
		if seen[strings.ToLower(a.Name)] {
			t.Errorf("%s defined twice", p)
		}
		seen[strings.ToLower(a.Name)] = true
		switch a.Type {
		case TypeString, TypeBoolean, TypeDecimal, TypeInteger, TypeDateTime, TypeReference, TypeBinary:
			if len(a.SubAttributes) > 0 {
				t.Errorf("%s: simple type %s with sub-attributes", p, a.Type)
			}
		case TypeComplex:
			if len(a.SubAttributes) == 0 {
				t.Errorf("%s: complex without sub-attributes", p)
			}
			checkAttrs(t, p, a.SubAttributes)
		default:
			t.Errorf("%s: unknown type %q", p, a.Type)
		}
		if a.Type == TypeReference && len(a.ReferenceTypes) == 0 {
			t.Errorf("%s: reference without referenceTypes", p)
		}
		switch a.Mutability {
		case ReadOnly, ReadWrite, Immutable, WriteOnly:
		default:
			t.Errorf("%s: mutability %q", p, a.Mutability)
		}
		switch a.Returned {
		case ReturnAlways, ReturnNever, ReturnDefault, ReturnRequest:
		default:
			t.Errorf("%s: returned %q", p, a.Returned)
		}
		switch a.Uniqueness {
		case "none", "server", "global":
		default:
			t.Errorf("%s: uniqueness %q", p, a.Uniqueness)
		}
	}
}

func TestSchemaAttributesComplete(t *testing.T) {
	checkAttrs(t, "User", UserSchema.Attributes)
	checkAttrs(t, "EnterpriseUser", EnterpriseUserSchema.Attributes)
	checkAttrs(t, "Group", GroupSchema.Attributes)
	checkAttrs(t, "common", commonAttributes)
}

func TestSchemaKeyDefinitions(t *testing.T) {
	// RFC-32 and RFC 7643 §4: the definitions behaviour depends on.
	tests := []struct {
		name                string
		a                   *Attribute
		typ, mut, ret, uniq string
		multi, req, exact   bool
	}{
		{"id", commonAttributes[0], TypeString, ReadOnly, ReturnAlways, "server", false, false, true},
		{"externalId", commonAttributes[1], TypeString, ReadWrite, ReturnDefault, "none", false, false, true},
		{"meta", commonAttributes[2], TypeComplex, ReadOnly, ReturnDefault, "none", false, false, false},
		{"userName", UserSchema.Attr("userName"), TypeString, ReadWrite, ReturnDefault, "server", false, true, false},
		{"active", UserSchema.Attr("active"), TypeBoolean, ReadWrite, ReturnDefault, "none", false, false, false},
		{"password", UserSchema.Attr("password"), TypeString, WriteOnly, ReturnNever, "none", false, false, false},
		{"emails", UserSchema.Attr("emails"), TypeComplex, ReadWrite, ReturnDefault, "none", true, false, false},
		{"emails.value", UserSchema.Attr("emails").Sub("value"), TypeString, ReadWrite, ReturnDefault, "none", false, false, false},
		{"emails.primary", UserSchema.Attr("emails").Sub("primary"), TypeBoolean, ReadWrite, ReturnDefault, "none", false, false, false},
		{"roles.primary", UserSchema.Attr("roles").Sub("primary"), TypeBoolean, ReadWrite, ReturnDefault, "none", false, false, false},
		{"groups", UserSchema.Attr("groups"), TypeComplex, ReadOnly, ReturnDefault, "none", true, false, false},
		{"manager", EnterpriseUserSchema.Attr("manager"), TypeComplex, ReadWrite, ReturnDefault, "none", false, false, false},
		{"group displayName", GroupSchema.Attr("displayName"), TypeString, ReadWrite, ReturnDefault, "server", false, true, false},
		{"members", GroupSchema.Attr("members"), TypeComplex, ReadWrite, ReturnDefault, "none", true, false, false},
		{"members.value", GroupSchema.Attr("members").Sub("value"), TypeString, Immutable, ReturnDefault, "none", false, false, false},
	}
	for _, tc := range tests {
		a := tc.a
		if a == nil {
			t.Errorf("%s not defined", tc.name)
			continue
		}
		if a.Type != tc.typ || a.Mutability != tc.mut || a.Returned != tc.ret || a.Uniqueness != tc.uniq ||
			a.MultiValued != tc.multi || a.Required != tc.req || a.CaseExact != tc.exact {
			t.Errorf("%s = %+v", tc.name, *a)
		}
	}
	for _, sub := range []string{"value", "$ref", "displayName"} {
		if EnterpriseUserSchema.Attr("manager").Sub(sub) == nil {
			t.Errorf("manager.%s missing", sub)
		}
	}
	if UserSchema.Attr("EMAILS") != UserSchema.Attr("emails") || UserSchema.Attr("emails").Sub("VALUE") == nil {
		t.Error("lookups must be case-insensitive")
	}
	if UserType.Extension(strings.ToUpper(EnterpriseUserURN)) != EnterpriseUserSchema || GroupType.Extension(EnterpriseUserURN) != nil {
		t.Error("Extension lookup")
	}
	if s := UserType.Schemas(); len(s) != 2 || s[0] != UserSchema || s[1] != EnterpriseUserSchema {
		t.Error("Schemas order")
	}
}

func TestNewList(t *testing.T) {
	l := NewList(5, 3, nil)
	b := asJSON(t, l)
	if !sameJSON(t, l, `{"schemas":["`+ListResponseURN+`"],"totalResults":5,"startIndex":3,"itemsPerPage":0,"Resources":[]}`) {
		t.Errorf("empty list = %s", b) // Resources: [] always present (PM teardown, Q8)
	}
	l = NewList(10, 1, []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}})
	if l.ItemsPerPage != 2 || l.TotalResults != 10 { // Q12
		t.Errorf("list = %+v", l)
	}
}

func TestErrorJSON(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"bad request with scimType", BadRequest(InvalidValue, "attribute %q bad", "x"),
			`{"schemas":["` + ErrorURN + `"],"status":"400","scimType":"invalidValue","detail":"attribute \"x\" bad"}`},
		{"not found omits scimType (EN-04, OKS-12)", NotFound("User", "abc"),
			`{"schemas":["` + ErrorURN + `"],"status":"404","detail":"User \"abc\" not found"}`},
		{"conflict", Errorf(http.StatusConflict, Uniqueness, "taken"),
			`{"schemas":["` + ErrorURN + `"],"status":"409","scimType":"uniqueness","detail":"taken"}`},
		{"cause is never sent", &Error{Status: 500, Detail: "internal error", Cause: errString("db password leaked")},
			`{"schemas":["` + ErrorURN + `"],"status":"500","detail":"internal error"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.err)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, json.RawMessage(b), tc.want) {
				t.Errorf("JSON = %s\nwant   %s", b, tc.want)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			if _, ok := m["status"].(string); !ok {
				t.Error("status must be a string (RFC-02, Q16)")
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestErrorString(t *testing.T) {
	e := &Error{Status: 400, ScimType: InvalidPath, Detail: "bad", Cause: errString("why")}
	if e.Error() != "400 invalidPath: bad: why" || e.Unwrap() == nil {
		t.Errorf("Error() = %q", e.Error())
	}
	if NotFound("Group", "g").Error() != `404: Group "g" not found` {
		t.Errorf("NotFound = %q", NotFound("Group", "g").Error())
	}
}
