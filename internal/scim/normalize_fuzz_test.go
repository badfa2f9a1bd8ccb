package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzCustom is a team's custom User attributes, one of every declarable
// type, for the fuzz targets below.
var fuzzCustom = []CustomAttribute{
	{Name: "badge", Type: TypeInteger},
	{Name: "score", Type: TypeDecimal},
	{Name: "vip", Type: TypeBoolean},
	{Name: "tags", Type: TypeString, MultiValued: true},
	{Name: "hired", Type: TypeDateTime},
	{Name: "homepage", Type: TypeReference, CaseExact: true},
	{Name: "costCenter", Type: TypeString},
}

var normalizeSeeds = []string{
	// Okta, POST /Users.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isaac.brock@example.com","name":{"givenName":"Isaac","familyName":"Brock"},"emails":[{"primary":true,"value":"isaac.brock@example.com","type":"work"}],"displayName":"Isaac Brock","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`,
	// Okta, PUT /Users/{id} with the enterprise extension.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"23a35c27-23d3-4c03-b4c5-6443c09e7173","userName":"test.user@okta.local","name":{"givenName":"Another","middleName":"Something","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"active":true,"meta":{"resourceType":"User"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1234","department":"Eng","manager":{"value":"m-1","displayName":"Boss"}}}`,
	// Microsoft Entra ID, POST /Users.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","active":true,"addresses":[{"primary":true,"type":"work","streetAddress":"1 Main","locality":"Redmond","region":"WA","postalCode":"98052","country":"US","formatted":"1 Main\nRedmond WA 98052"}],"displayName":"Ryan Leenay","emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],"meta":{"resourceType":"User"},"name":{"familyName":"Leenay","givenName":"Ryan","formatted":"Ryan Leenay"},"phoneNumbers":[{"primary":true,"type":"work","value":"123-456-7890"},{"type":"mobile","value":"123-456-7891"}],"roles":[{"primary":"False","type":"WindowsAzureActiveDirectoryRole","value":"Admin"}],"title":"Manager","preferredLanguage":"en-US","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dept","employeeNumber":42,"manager":"a9d1e3c2"}}`,
	// Entra's qualified top-level names and string booleans.
	`{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales","urn:ietf:params:scim:schemas:core:2.0:User:nickName":"Bo","active":"False","emails":{"value":"lone@x","primary":"True"}}`,
	// Core attributes nested under the core URN (SCIMVERIFY).
	`{"urn:ietf:params:scim:schemas:core:2.0:User":{"userName":"nested","externalId":"e-1","name":{"formatted":"N"}},"x509Certificates":[{"value":"MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}]}`,
	// Custom attributes.
	`{"userName":"c","urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"badge":"17","score":2.5,"vip":"true","tags":["a","b","a"],"hired":"2024-01-02T03:04:05Z","homepage":"https://x.example/~c","costCenter":12}}`,
	`{"userName":"c","urn:ietf:params:scim:schemas:extension:roster:2.0:User:badge":12345678901234567890,"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ROSTER:2.0:USER:Tags":"solo"}`,
	// Groups (Okta and Entra).
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Group1DisplayName","meta":{"resourceType":"Group"},"members":["u-1","u-2","u-1"]}`,
	// Refusals.
	`{"userName":42}`,
	`{"userName":"a\u0000b"}`,
	`{"active":"maybe"}`,
	`{"name":"flat"}`,
	`{"emails":[{"value":{"nested":true}}]}`,
	`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`,
	`{"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"badge":1.5,"score":"NaN"}}`,
	`[]`,
	`{"a":1} {"b":2}`,
	`{"userName":"u","displayName":null,"name":{},"roles":[],"active":""}`,
}

// FuzzNormalize feeds arbitrary POST/PUT bodies to DecodeObject and
// Normalize, for Users (with the enterprise and custom extensions) and
// Groups. Bad bodies must be a 400 *Error; a success must be canonical
// (only the schemas' attributes, under their canonical names, with their
// declared types, no empty values, at most one primary), idempotent, must
// leave the decoded body untouched, and must never render its password.
func FuzzNormalize(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add([]byte(s))
	}
	types := []*ResourceType{UserType, GroupType, UserTypeWith(fuzzCustom)}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeObject(body)
		if err != nil {
			if e, ok := err.(*Error); ok && e.ScimType == InvalidValue {
				wantBadRequest(t, err, InvalidValue) // text that isn't UTF-8
				if CheckText(body) == nil {
					t.Fatalf("DecodeObject refused %q as text: %v", body, err)
				}
			} else {
				wantBadRequest(t, err, InvalidSyntax)
			}
			if m != nil {
				t.Fatalf("DecodeObject returned %v with error %v", m, err)
			}
			return
		}
		if te := CheckText(body); te != nil {
			t.Fatalf("DecodeObject took %q: %v", body, te)
		}
		before, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("decoded body does not encode: %v", err)
		}
		for _, rt := range types {
			r, err := Normalize(rt, m)
			if after, _ := json.Marshal(m); string(after) != string(before) {
				t.Fatalf("%s: Normalize modified its input:\n%s\n%s", rt.Name, before, after)
			}
			if err != nil {
				wantBadRequest(t, err, InvalidValue)
				if r != nil {
					t.Fatalf("%s: Normalize returned %v with error %v", rt.Name, r, err)
				}
				continue
			}
			checkCanonical(t, rt, r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("%s: result does not encode: %v", rt.Name, err)
			}
			m2, err := DecodeObject(b)
			if err != nil {
				t.Fatalf("%s: result does not decode: %v\n%s", rt.Name, err, b)
			}
			r2, err := Normalize(rt, m2)
			if err != nil {
				t.Fatalf("%s: result does not re-normalise: %v\n%s", rt.Name, err, b)
			}
			if b2, _ := json.Marshal(r2); string(b2) != string(b) {
				t.Fatalf("%s: Normalize is not idempotent:\n%s\n%s", rt.Name, b, b2)
			}
			out := Render(rt, "id-1", r, Meta{ResourceType: rt.Name, Version: `W/"1"`}, nil)
			if _, ok := out["password"]; ok {
				t.Fatalf("%s: rendered resource has a password: %v", rt.Name, out)
			}
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("%s: rendered resource does not encode: %v", rt.Name, err)
			}
		}
	})
}

// wantBadRequest asserts err is a 400 *Error of the given scimType with a
// detail for the client.
func wantBadRequest(t *testing.T, err error, scimType string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *scim.Error", err, err)
	}
	if e.Status != http.StatusBadRequest || e.ScimType != scimType || e.Detail == "" {
		t.Fatalf("error = %d %q %q, want 400 %q with a detail", e.Status, e.ScimType, e.Detail, scimType)
	}
}

// checkCanonical asserts r is a canonical resource of type rt.
func checkCanonical(t *testing.T, rt *ResourceType, r Resource) {
	t.Helper()
	for k, v := range r {
		switch {
		case k == "externalId":
			checkSimple(t, rt.Common[1], v)
		case rt.Extension(k) != nil:
			ext := rt.Extension(k)
			if ext.ID != k {
				t.Fatalf("%s: extension key %q is not canonical %q", rt.Name, k, ext.ID)
			}
			m, ok := v.(map[string]any)
			if !ok || len(m) == 0 {
				t.Fatalf("%s: extension %q holds %#v, want a non-empty object", rt.Name, k, v)
			}
			for k2, v2 := range m {
				checkAttrValue(t, ext, k2, v2)
			}
		default:
			checkAttrValue(t, rt.Schema, k, v)
		}
	}
}

func checkAttrValue(t *testing.T, s *Schema, k string, v any) {
	t.Helper()
	a := s.Attr(k)
	if a == nil || a.Name != k {
		t.Fatalf("key %q is not a canonical attribute of %s", k, s.ID)
	}
	if a.Mutability == ReadOnly {
		t.Fatalf("read-only attribute %q was kept", k)
	}
	if !a.MultiValued {
		checkSingle(t, a, v)
		return
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		t.Fatalf("multi-valued %q holds %#v, want a non-empty list", k, v)
	}
	primaries := 0
	for i, e := range l {
		checkSingle(t, a, e)
		for _, p := range l[:i] {
			if equalValues(p, e) {
				t.Fatalf("%q holds %v twice", k, e)
			}
		}
		if m, ok := e.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
	}
	if primaries > 1 {
		t.Fatalf("%q has %d primary values", k, primaries)
	}
}

func checkSingle(t *testing.T, a *Attribute, v any) {
	t.Helper()
	if a.Type != TypeComplex {
		checkSimple(t, a, v)
		return
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		t.Fatalf("complex %q holds %#v, want a non-empty object", a.Name, v)
	}
	for k, sv := range m {
		sa := a.Sub(k)
		if sa == nil || sa.Name != k {
			t.Fatalf("%q has a non-canonical sub-attribute %q", a.Name, k)
		}
		checkSimple(t, sa, sv)
	}
}

func checkSimple(t *testing.T, a *Attribute, v any) {
	t.Helper()
	switch a.Type {
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			t.Fatalf("boolean %q holds %#v", a.Name, v)
		}
	case TypeInteger:
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			t.Fatalf("integer %q holds %#v", a.Name, v)
		}
	case TypeDecimal:
		n, ok := v.(json.Number)
		if _, err := n.Float64(); !ok || err != nil || !json.Valid([]byte(n)) {
			t.Fatalf("decimal %q holds %#v", a.Name, v)
		}
	default:
		s, ok := v.(string)
		if !ok || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("string %q holds %#v", a.Name, v)
		}
	}
}

var projectionSeeds = [][2]string{
	{"userName", ""},
	{"userName,emails.value,name.givenName", ""},
	{`emails[type eq "work"],displayName`, ""},
	{"emails,emails.value", ""},
	{"emails.value,emails", ""},
	{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,meta.version", ""},
	{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", ""},
	{"urn:ietf:params:scim:schemas:core:2.0:User:userName,urn:ietf:params:scim:schemas:core:2.0:User", ""},
	{"urn:ietf:params:scim:schemas:extension:roster:2.0:User:tags", ""},
	{"members", ""},
	{"displayName,members.value", ""},
	{"", "members"},
	{"", "groups,emails.type,name.familyName,meta"},
	{"", "id,schemas,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
	{"", "MEMBERS.Display"},
	{"", " , ,"},
	{"userName", "userName"},
}

// FuzzProjection applies arbitrary attributes / excludedAttributes lists
// to a full User (with both extensions and groups) and a Group. Apply must
// never panic or modify the resource; id and schemas are always returned;
// everything returned is (part of) what the resource holds; an attribute
// named whole by attributes= comes back whole, one excluded whole never
// does; and Returns never says an attribute is not needed when Apply would
// return it (members and groups are only loaded when Returns says so).
func FuzzProjection(f *testing.F) {
	for _, s := range projectionSeeds {
		f.Add(s[0], s[1])
	}
	userType := UserTypeWith(fuzzCustom)
	user := mustNormalize(f, userType, `{"userName":"bjensen","externalId":"e-1","displayName":"Babs",
		"name":{"givenName":"Barbara","familyName":"Jensen"},"active":true,"password":"hunter2",
		"emails":[{"value":"b@work.example","type":"work","primary":true},{"value":"b@home.example","type":"home"},{"value":"bare@x"}],
		"addresses":[{"type":"work","locality":"Here"}],
		"`+entURN+`":{"department":"Tour","manager":{"value":"m-1"}},
		"`+CustomUserURN+`":{"badge":7,"tags":["x","y"],"vip":true}}`)
	userOut := Render(userType, testUserID, user, Meta{ResourceType: "User", Created: time.Unix(0, 0), LastModified: time.Unix(1, 0), Location: "https://x/Users/1", Version: `W/"3"`},
		map[string]any{"groups": []any{map[string]any{"value": "g1", "display": "G", "$ref": "https://x/Groups/g1", "type": "direct"}}})
	group := mustNormalize(f, GroupType, `{"displayName":"G","externalId":"ge"}`)
	groupOut := Render(GroupType, "g1", group, Meta{ResourceType: "Group", Version: `W/"1"`},
		map[string]any{"members": []any{map[string]any{"value": "u1", "display": "U", "$ref": "https://x/Users/u1", "type": "User"}, map[string]any{"value": "u2", "type": "User"}}})
	f.Fuzz(func(t *testing.T, attributes, excluded string) {
		p := ParseProjection(attributes, excluded)
		for _, l := range [][]string{p.Attributes, p.Excluded} {
			for _, n := range l {
				if n == "" || n != strings.TrimSpace(n) || strings.Contains(n, ",") {
					t.Fatalf("ParseProjection kept %q", n)
				}
			}
		}
		for _, c := range []struct {
			rt  *ResourceType
			out map[string]any
		}{{userType, userOut}, {GroupType, groupOut}} {
			before := asJSON(t, c.out)
			res := p.Apply(c.rt, c.out)
			if asJSON(t, c.out) != before {
				t.Fatalf("Apply(%q, %q) modified the resource", attributes, excluded)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("projection does not encode: %v", err)
			}
			for _, k := range []string{"id", "schemas"} {
				if !reflect.DeepEqual(res[k], c.out[k]) {
					t.Fatalf("Apply(%q, %q) lost %q: %v", attributes, excluded, k, res)
				}
			}
			for k, v := range res {
				full, ok := c.out[k]
				if !ok {
					t.Fatalf("Apply(%q, %q) made up %q", attributes, excluded, k)
				}
				if !partOf(v, full) {
					t.Fatalf("Apply(%q, %q): %q is %v, not part of %v", attributes, excluded, k, v, full)
				}
				if k != "id" && k != "schemas" && !p.Returns(c.rt, k) {
					t.Fatalf("Returns(%q) is false, but Apply(%q, %q) returns it", k, attributes, excluded)
				}
			}
			// The names Apply goes by: attributes= wins over excludedAttributes=.
			names := p.Attributes
			if len(names) == 0 {
				names = p.Excluded
			}
			whole, named := map[string]bool{}, map[string]bool{}
			for _, n := range names {
				r := ref(c.rt, n)
				named[strings.ToLower(r.top)] = true
				if r.sub == "" {
					whole[r.top] = true
				}
			}
			for k, v := range c.out {
				if k == "id" || k == "schemas" {
					continue
				}
				switch {
				case len(p.Attributes) > 0 && whole[k]:
					if !reflect.DeepEqual(res[k], v) {
						t.Fatalf("attributes=%q names %q, but it came back as %v", attributes, k, res[k])
					}
				case len(p.Attributes) > 0:
				case whole[k]:
					if _, ok := res[k]; ok {
						t.Fatalf("excludedAttributes=%q names %q, but it came back", excluded, k)
					}
				case !named[strings.ToLower(k)]:
					if !reflect.DeepEqual(res[k], v) {
						t.Fatalf("excludedAttributes=%q changed %q: %v", excluded, k, res[k])
					}
				}
			}
		}
	})
}

// partOf reports whether v is full or a part of it: an object with some
// of its members (each part of full's), or a list of parts of its elements.
func partOf(v, full any) bool {
	if reflect.DeepEqual(v, full) {
		return true
	}
	switch t := v.(type) {
	case map[string]any:
		fm, ok := full.(map[string]any)
		if !ok {
			return false
		}
		for k, e := range t {
			fe, ok := fm[k]
			if !ok || !partOf(e, fe) {
				return false
			}
		}
		return true
	case []any:
		fl, ok := full.([]any)
		if !ok {
			return false
		}
		for _, e := range t {
			found := false
			for _, fe := range fl {
				if partOf(e, fe) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return false
}
