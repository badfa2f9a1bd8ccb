package scim

import (
	"net/http"
	"strings"
	"testing"
)

const testUserID = "2819c223-7f76-453a-919d-413861904646"

// baseUser is the stored user most PATCH cases start from.
func baseUser(t testing.TB) Resource {
	t.Helper()
	return mustNormalize(t, UserType, `{
		"userName":"bjensen@example.com","externalId":"ext-1","active":true,
		"displayName":"Babs Jensen",
		"name":{"givenName":"Barbara","familyName":"Jensen"},
		"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}],
		"phoneNumbers":[{"value":"555-1234","type":"work"}],
		"`+entURN+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}
	}`)
}

func mustParsePatch(t testing.TB, body string) []PatchOperation {
	t.Helper()
	ops, err := ParsePatch([]byte(body))
	if err != nil {
		t.Fatalf("ParsePatch(%s): %v", body, err)
	}
	return ops
}

func patchBody(ops string) string {
	return `{"schemas":["` + PatchOpURN + `"],"Operations":[` + ops + `]}`
}

func TestParsePatch(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []PatchOperation
		errType string // scimType of the expected 400; "" for success
	}{
		{
			name: "ops in any case (Q1)",
			body: patchBody(`{"op":"Add","path":"nickName","value":"Babs"},{"op":"REPLACE","path":"title","value":"x"},{"op":"Remove","path":"locale"}`),
			want: []PatchOperation{{Op: "add", Path: "nickName", Value: "Babs"}, {Op: "replace", Path: "title", Value: "x"}, {Op: "remove", Path: "locale"}},
		},
		{
			name: "key names in any case, extra keys ignored (PM-26 name)",
			body: `{"schemas":["` + PatchOpURN + `"],"operations":[{"name":"addMember","OP":"add","Path":"members","VALUE":"u1","extra":{"a":1}}]}`,
			want: []PatchOperation{{Op: "add", Path: "members", Value: "u1"}},
		},
		{
			name: "padding around op and path is trimmed",
			body: patchBody(`{"op":" replace ","path":" userName ","value":"x"}`),
			want: []PatchOperation{{Op: "replace", Path: "userName", Value: "x"}},
		},
		{
			name: "null path means no path",
			body: patchBody(`{"op":"replace","path":null,"value":{"active":false}}`),
			want: []PatchOperation{{Op: "replace", Value: map[string]any{"active": false}}},
		},
		{name: "missing Operations", body: `{"schemas":["` + PatchOpURN + `"]}`, errType: InvalidSyntax},
		{name: "empty Operations", body: patchBody(``), errType: InvalidSyntax},
		{name: "Operations not a list", body: `{"Operations":{"op":"add"}}`, errType: InvalidSyntax},
		{name: "operation not an object", body: patchBody(`"add"`), errType: InvalidSyntax},
		{name: "unknown op", body: patchBody(`{"op":"move","path":"a"}`), errType: InvalidSyntax},
		{name: "missing op", body: patchBody(`{"path":"a","value":"x"}`), errType: InvalidSyntax},
		{name: "op not a string", body: patchBody(`{"op":1,"path":"a"}`), errType: InvalidSyntax},
		{name: "second op bad", body: patchBody(`{"op":"add","path":"a","value":1},{"op":"copy"}`), errType: InvalidSyntax},
		{name: "path not a string", body: patchBody(`{"op":"add","path":["a"],"value":"x"}`), errType: InvalidPath},
		{name: "malformed JSON", body: `{"Operations":[`, errType: InvalidSyntax},
		{name: "not an object", body: `[{"op":"add"}]`, errType: InvalidSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := ParsePatch([]byte(tc.body))
			if tc.errType != "" {
				wantSCIMError(t, err, http.StatusBadRequest, tc.errType)
				return
			}
			if err != nil {
				t.Fatalf("ParsePatch: %v", err)
			}
			if !sameJSON(t, ops, asJSON(t, tc.want)) {
				t.Errorf("ops = %s, want %s", asJSON(t, ops), asJSON(t, tc.want))
			}
		})
	}
}

func TestParsePatchErrorNamesOperation(t *testing.T) {
	_, err := ParsePatch([]byte(patchBody(`{"op":"add","path":"a","value":1},{"op":"copy"}`)))
	if err == nil || !strings.Contains(err.Error(), "operation 2") {
		t.Fatalf("error %v does not name operation 2", err)
	}
}

func TestParsePatchExactOperationsKeyWins(t *testing.T) {
	for i := 0; i < 20; i++ { // map order is random: the result must not be
		ops := mustParsePatch(t, `{"operations":[{"op":"remove","path":"title"}],"Operations":[{"op":"add","path":"title","value":"x"}]}`)
		if len(ops) != 1 || ops[0].Op != "add" {
			t.Fatalf("ops = %+v, want the exact-case \"Operations\"", ops)
		}
	}
}

// patchCase is one PATCH against a starting resource. want lists JSON
// fragments: key -> expected JSON of that top-level key ("" = absent).
type patchCase struct {
	name    string
	start   string // JSON; "" = baseUser
	ops     string // Operations array contents
	want    map[string]string
	status  int
	errType string
	errHas  string
}

func runPatchCases(t *testing.T, rt *ResourceType, id string, base func(testing.TB) Resource, tests []patchCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var start Resource
			if tc.start == "" {
				start = base(t)
			} else {
				start = mustNormalize(t, rt, tc.start)
			}
			before := asJSON(t, start)
			ops := mustParsePatch(t, patchBody(tc.ops))
			got, err := Patcher{Type: rt, ID: id}.Apply(start, ops)
			if after := asJSON(t, start); after != before {
				t.Errorf("Apply modified its input:\n before %s\n after  %s", before, after)
			}
			if tc.errType != "" || tc.status != 0 {
				status := tc.status
				if status == 0 {
					status = http.StatusBadRequest
				}
				e := wantSCIMError(t, err, status, tc.errType)
				if tc.errHas != "" && !strings.Contains(e.Detail, tc.errHas) {
					t.Errorf("detail %q does not contain %q", e.Detail, tc.errHas)
				}
				if got != nil {
					t.Errorf("result %v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for k, w := range tc.want {
				v, ok := got[k]
				if w == "" {
					if ok {
						t.Errorf("%s = %s, want absent", k, asJSON(t, v))
					}
					continue
				}
				if !ok {
					t.Errorf("%s absent, want %s", k, w)
					continue
				}
				if !sameJSON(t, v, w) {
					t.Errorf("%s =\n %s\nwant\n %s", k, asJSON(t, v), w)
				}
			}
			// Whatever happened, the result must still be canonical.
			re, err := Normalize(rt, mustJSON(t, asJSON(t, got)))
			if err != nil {
				t.Fatalf("result does not re-normalise: %v", err)
			}
			if !sameJSON(t, re, asJSON(t, got)) {
				t.Errorf("result is not canonical:\n %s\nre-normalised\n %s", asJSON(t, got), asJSON(t, re))
			}
		})
	}
}

const ent = `"` + entURN + `"`

func TestPatchUser(t *testing.T) {
	mgr := `{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}`
	tests := []patchCase{
		// Okta
		{name: "OKTA-08 path-less replace active false", ops: `{"op":"replace","value":{"active":false}}`,
			want: map[string]string{"active": `false`, "userName": `"bjensen@example.com"`}},
		{name: "OKTA-09 path-less replace active true", start: `{"userName":"u","active":false}`, ops: `{"op":"replace","value":{"active":true}}`,
			want: map[string]string{"active": `true`}},
		{name: "OKTA-10 path-less password replace accepted", ops: `{"op":"replace","value":{"password":"n3wP@ss"}}`,
			want: map[string]string{"password": `"n3wP@ss"`, "active": `true`}},
		{name: "OKTA-10 password by path", ops: `{"op":"replace","path":"password","value":"n3wP@ss"}`,
			want: map[string]string{"password": `"n3wP@ss"`}},
		// Entra
		{name: "EN-05 replace emails[type eq work].value in place plus name.familyName",
			ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`,
			want: map[string]string{
				"emails": `[{"value":"updatedEmail@microsoft.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`,
				"name":   `{"givenName":"Barbara","familyName":"updatedFamilyName"}`,
			}},
		{name: "EN-06 replace userName", ops: `{"op":"Replace","path":"userName","value":"5b50@testuser.com"}`,
			want: map[string]string{"userName": `"5b50@testuser.com"`}},
		{name: "EN-07 active \"False\" string", ops: `{"op":"Replace","path":"active","value":"False"}`,
			want: map[string]string{"active": `false`}},
		{name: "EN-07 flagged boolean false", ops: `{"op":"replace","path":"active","value":false}`,
			want: map[string]string{"active": `false`}},
		{name: "EN-08 add nickName", ops: `{"op":"Add","path":"nickName","value":"Babs"}`,
			want: map[string]string{"nickName": `"Babs"`}},
		{name: "EN-09 separate replaces incl. externalId and URN path",
			ops: `{"op":"Replace","path":"displayName","value":"D"},{"op":"Replace","path":"externalId","value":"ext-2"},
				{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"99"}`,
			want: map[string]string{"displayName": `"D"`, "externalId": `"ext-2"`,
				entURN: `{"employeeNumber":"99","department":"Tour Operations","manager":` + mgr + `}`}},
		{name: "EN-10 path-less replace with dotted and URN keys",
			ops: `{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@x.com"},
				{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`,
			want: map[string]string{
				"displayName": `"Bjfe"`,
				"name":        `{"givenName":"Kkom","familyName":"Unua"}`,
				"emails":      `[{"value":"new@x.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`,
				entURN:        `{"employeeNumber":"Aklq","department":"Tour Operations","manager":` + mgr + `}`,
			}},
		{name: "path-less value keyed by the extension URN",
			ops:  `{"op":"replace","value":{"` + entURN + `":{"Department":"R&D","manager":"m-2"}}}`,
			want: map[string]string{entURN: `{"employeeNumber":"701984","department":"R&D","manager":{"value":"m-2"}}`}},
		{name: "path-less value keyed by the core URN",
			ops:  `{"op":"replace","value":{"` + UserURN + `":{"displayName":"Core"}}}`,
			want: map[string]string{"displayName": `"Core"`}},
		{name: "path-less core-URN-qualified key",
			ops:  `{"op":"replace","value":{"` + UserURN + `:title":"Boss"}}`,
			want: map[string]string{"title": `"Boss"`}},
		// EN-11 manager lifecycle
		{name: "EN-11 manager bare string via URN path", start: `{"userName":"u"}`,
			ops:  `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}`,
			want: map[string]string{entURN: `{"manager":{"value":"m-1"}}`}},
		{name: "EN-11 manager replace with object (MSV-11)",
			ops:  `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m-2"}}`,
			want: map[string]string{entURN: `{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m-2"}}`}},
		{name: "EN-11 manager remove (MSV-12)", start: `{"userName":"u","` + entURN + `":{"manager":"m-1"}}`,
			ops:  `{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`,
			want: map[string]string{entURN: ``}},
		{name: "EN-11 manager replace with empty removes it", start: `{"userName":"u","` + entURN + `":{"manager":"m-1"}}`,
			ops:  `{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}`,
			want: map[string]string{entURN: ``}},
		{name: "EN-11 full sequence", start: `{"userName":"u"}`,
			ops: `{"op":"Add","path":"` + entURN + `:manager","value":"m-1"},
				{"op":"Replace","path":"` + entURN + `:manager","value":{"value":"m-2"}},
				{"op":"Remove","path":"` + entURN + `:manager"},
				{"op":"Add","path":"` + entURN + `:manager","value":"m-3"},
				{"op":"Replace","path":"` + entURN + `:manager","value":""}`,
			want: map[string]string{entURN: ``}},
		{name: "manager.value sub-path", start: `{"userName":"u"}`,
			ops:  `{"op":"add","path":"` + entURN + `:manager.value","value":"m-9"}`,
			want: map[string]string{entURN: `{"manager":{"value":"m-9"}}`}},
		{name: "old-style path with dot before manager (MS-PM2, Q6)", start: `{"userName":"u"}`,
			ops:  `{"op":"replace","path":"` + entURN + `.manager","value":"m-4"}`,
			want: map[string]string{entURN: `{"manager":{"value":"m-4"}}`}},
		{name: "URN in lower case", start: `{"userName":"u"}`,
			ops:  `{"op":"add","path":"` + strings.ToLower(entURN) + `:Department","value":"d"}`,
			want: map[string]string{entURN: `{"department":"d"}`}},
		{name: "remove the whole extension by its URN",
			ops:  `{"op":"remove","path":"` + entURN + `"}`,
			want: map[string]string{entURN: ``, "userName": `"bjensen@example.com"`}},
		{name: "add the whole extension by its URN path", start: `{"userName":"u"}`,
			ops:  `{"op":"add","path":"` + entURN + `","value":{"department":"D","manager":"m"}}`,
			want: map[string]string{entURN: `{"department":"D","manager":{"value":"m"}}`}},
		// MSV-09: add ops creating missing elements from the filter
		{name: "MSV-09 add creates elements from value filters", start: `{"userName":"u","schemas":["` + UserURN + `"]}`,
			ops: `{"op":"add","path":"active","value":"True"},
				{"op":"add","path":"displayName","value":"Dee"},
				{"op":"add","path":"title","value":"T"},
				{"op":"add","path":"name.givenName","value":"G"},
				{"op":"add","path":"emails[type eq \"work\"].value","value":"w@x.com"},
				{"op":"add","path":"emails[type eq \"work\"].primary","value":"True"},
				{"op":"add","path":"phoneNumbers[type eq \"work\"].value","value":"1"},
				{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"2"},
				{"op":"add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"},
				{"op":"add","path":"addresses[type eq \"work\"].locality","value":"Town"},
				{"op":"add","path":"roles[primary eq \"True\"].value","value":"admin"},
				{"op":"add","path":"roles[primary eq \"True\"].display","value":"Admin"},
				{"op":"add","path":"` + entURN + `:employeeNumber","value":"7"}`,
			want: map[string]string{
				"active":       `true`,
				"displayName":  `"Dee"`,
				"title":        `"T"`,
				"name":         `{"givenName":"G"}`,
				"emails":       `[{"type":"work","value":"w@x.com","primary":true}]`,
				"phoneNumbers": `[{"type":"work","value":"1"},{"type":"mobile","value":"2"}]`,
				"addresses":    `[{"type":"work","streetAddress":"1 Main St","locality":"Town"}]`,
				"roles":        `[{"primary":true,"value":"admin","display":"Admin"}]`,
				entURN:         `{"employeeNumber":"7"}`,
			}},
		{name: "MSV-09 filter with and creates an element with both terms", start: `{"userName":"u"}`,
			ops:  `{"op":"add","path":"emails[type eq \"work\" and primary eq true].value","value":"w@x"}`,
			want: map[string]string{"emails": `[{"type":"work","primary":true,"value":"w@x"}]`}},
		{name: "EN-21 roles[primary eq \"True\"] matches a stored boolean", start: `{"userName":"u","roles":[{"primary":true,"value":"old"}]}`,
			ops:  `{"op":"replace","path":"roles[primary eq \"True\"].value","value":"new"}`,
			want: map[string]string{"roles": `[{"primary":true,"value":"new"}]`}},
		{name: "replace on a filter with no match creates too (Q4)", start: `{"userName":"u"}`,
			ops:  `{"op":"replace","path":"emails[type eq \"work\"].value","value":"w@x"}`,
			want: map[string]string{"emails": `[{"type":"work","value":"w@x"}]`}},
		{name: "add with empty value on a missing element creates nothing (ELA-2)", start: `{"userName":"u"}`,
			ops:  `{"op":"add","path":"emails[type eq \"work\"].value","value":""},{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":null}`,
			want: map[string]string{"emails": ``, "phoneNumbers": ``}},
		{name: "filter with co can't describe a new element", start: `{"userName":"u"}`,
			ops: `{"op":"add","path":"emails[value co \"x\"].type","value":"work"}`, errType: NoTarget},
		{name: "filter with or can't describe a new element", start: `{"userName":"u"}`,
			ops: `{"op":"add","path":"emails[type eq \"a\" or type eq \"b\"].value","value":"v"}`, errType: NoTarget},
		// MSV-06
		{name: "MSV-06 replace in place, no literal key",
			ops: `{"op":"replace","path":"emails[type eq \"work\"].value","value":"w2@x"},
				{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"555-9"},
				{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"S"},
				{"op":"replace","path":"addresses[type eq \"work\"].locality","value":"L"}`,
			want: map[string]string{
				"emails":                       `[{"value":"w2@x","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`,
				"phoneNumbers":                 `[{"value":"555-9","type":"work"}]`,
				"addresses":                    `[{"type":"work","streetAddress":"S","locality":"L"}]`,
				`emails[type eq "work"].value`: ``,
			}},
		{name: "filter values and attribute names are case-insensitive",
			ops:  `{"op":"replace","path":"EMAILS[TYPE eq \"WORK\"].VALUE","value":"w3@x"}`,
			want: map[string]string{"emails": `[{"value":"w3@x","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`}},
		{name: "Q20 duplicate work emails: the filter updates the first only",
			start: `{"userName":"u","emails":[{"type":"work","value":"a"},{"type":"work","value":"b"}]}`,
			ops:   `{"op":"replace","path":"emails[type eq \"work\"].value","value":"c"}`,
			want:  map[string]string{"emails": `[{"type":"work","value":"c"},{"type":"work","value":"b"}]`}},
		{name: "replace a whole filtered element",
			ops:  `{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"h@x","type":"home"}}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"h@x","type":"home"}]`}},
		{name: "remove emails[type eq work]",
			ops:  `{"op":"remove","path":"emails[type eq \"work\"]"}`,
			want: map[string]string{"emails": `[{"value":"babs@home.example","type":"home"}]`}},
		{name: "remove the last matching element drops the attribute",
			ops:  `{"op":"remove","path":"phoneNumbers[type eq \"work\"]"}`,
			want: map[string]string{"phoneNumbers": ``}},
		{name: "remove a sub-attribute of a filtered element",
			ops:  `{"op":"remove","path":"emails[type eq \"work\"].primary"}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work"},{"value":"babs@home.example","type":"home"}]`}},
		{name: "remove with a filter that matches nothing is a no-op",
			ops:  `{"op":"remove","path":"emails[type eq \"other\"]"}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`}},
		{name: "remove by value list (Q5 shape on emails)",
			ops:  `{"op":"remove","path":"emails","value":[{"value":"babs@home.example"}]}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":true}]`}},
		{name: "remove a whole multi-valued attribute",
			ops:  `{"op":"remove","path":"emails"}`,
			want: map[string]string{"emails": ``, "userName": `"bjensen@example.com"`}},
		{name: "remove a complex sub-attribute; the last one drops the parent",
			ops:  `{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"}`,
			want: map[string]string{"name": ``}},
		{name: "setting a simple attribute to null removes it (ELA-2)",
			ops:  `{"op":"replace","path":"displayName","value":null},{"op":"replace","path":"externalId","value":""}`,
			want: map[string]string{"displayName": ``, "externalId": ``}},
		{name: "setting active and a sub-attribute to \"\" clears them (ELA-2)",
			ops:  `{"op":"replace","path":"active","value":""},{"op":"replace","path":"name.givenName","value":""}`,
			want: map[string]string{"active": ``, "name": `{"familyName":"Jensen"}`}},
		{name: "multi-valued add appends without duplicates (RFC-22)",
			ops: `{"op":"add","path":"emails","value":[{"value":"babs@home.example","type":"home"},{"value":"o@x","type":"other"}]}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":true},
				{"value":"babs@home.example","type":"home"},{"value":"o@x","type":"other"}]`}},
		{name: "multi-valued add of a new primary demotes the old one (RFC 7644 §3.5.2)",
			ops: `{"op":"add","path":"emails","value":[{"value":"n@x","type":"other","primary":true}]}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":false},
				{"value":"babs@home.example","type":"home"},{"value":"n@x","type":"other","primary":true}]`}},
		{name: "setting primary via a filter demotes the old primary (RFC 7644 §3.5.2)",
			ops: `{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":false},
				{"value":"babs@home.example","type":"home","primary":true}]`}},
		{name: "multi-valued replace replaces all values (RFC-23)",
			ops:  `{"op":"replace","path":"emails","value":[{"value":"only@x"}]}`,
			want: map[string]string{"emails": `[{"value":"only@x"}]`}},
		{name: "multi-valued replace with [] clears (OKTA-15 shape)",
			ops:  `{"op":"replace","path":"phoneNumbers","value":[]}`,
			want: map[string]string{"phoneNumbers": ``}},
		{name: "emails.value without filter applies to every element", start: `{"userName":"u","emails":[{"type":"work"}]}`,
			ops:  `{"op":"replace","path":"emails.value","value":"x@y"}`,
			want: map[string]string{"emails": `[{"type":"work","value":"x@y"}]`}},
		{name: "complex add merges sub-attributes (RFC-22)",
			ops:  `{"op":"add","path":"name","value":{"middleName":"M","GivenName":"B2"}}`,
			want: map[string]string{"name": `{"givenName":"B2","familyName":"Jensen","middleName":"M"}`}},
		{name: "path-less add merges several attributes", start: `{"userName":"u"}`,
			ops:  `{"op":"add","value":{"emails":[{"value":"a@x","type":"work"}],"name":{"givenName":"A"},"adreses":"ignored","meta":{"x":1},"schemas":["x"]}}`,
			want: map[string]string{"emails": `[{"value":"a@x","type":"work"}]`, "name": `{"givenName":"A"}`, "adreses": ``, "meta": ``}},
		{name: "path-less replace restating the same id (OKTA-13 shape)",
			ops:  `{"op":"replace","value":{"id":"` + testUserID + `","displayName":"Same"}}`,
			want: map[string]string{"displayName": `"Same"`, "id": ``}},
		{name: "path-less replace ignores read-only groups", ops: `{"op":"replace","value":{"groups":[{"value":"g"}],"title":"T"}}`,
			want: map[string]string{"groups": ``, "title": `"T"`}},
		{name: "path-less unknown extension attribute leaves no empty extension", start: `{"userName":"u"}`,
			ops:  `{"op":"add","value":{"` + entURN + `:shoeSize":"9"}}`,
			want: map[string]string{entURN: ``}},
		{name: "ops apply in order (MSV-P2)",
			ops: `{"op":"replace","path":"displayName","value":"one"},{"op":"replace","path":"displayName","value":"two"},
				{"op":"remove","path":"title"},{"op":"add","path":"title","value":"three"}`,
			want: map[string]string{"displayName": `"two"`, "title": `"three"`}},
		{name: "ops in order: add then remove the same element",
			ops:  `{"op":"add","path":"emails[type eq \"other\"].value","value":"o@x"},{"op":"remove","path":"emails[type eq \"other\"]"}`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}]`}},
		// errors
		{name: "remove without path", ops: `{"op":"remove","value":{"title":"x"}}`, errType: NoTarget},
		{name: "path-less value not an object", ops: `{"op":"replace","value":"x"}`, errType: InvalidValue},
		{name: "invalid path syntax", ops: `{"op":"replace","path":"emails[type eq","value":"x"}`, errType: InvalidPath},
		{name: "unknown attribute path", ops: `{"op":"replace","path":"shoeSize","value":"x"}`, errType: InvalidPath},
		{name: "unknown sub-attribute path", ops: `{"op":"replace","path":"name.nick","value":"x"}`, errType: InvalidPath},
		{name: "unknown sub-attribute after a filter", ops: `{"op":"replace","path":"emails[type eq \"work\"].nope","value":"x"}`, errType: InvalidPath},
		{name: "filter on a sub-attribute that doesn't exist", ops: `{"op":"replace","path":"emails[nope eq \"work\"].value","value":"x"}`, errType: InvalidPath},
		{name: "filter on a single-valued attribute", ops: `{"op":"replace","path":"name[givenName eq \"x\"].familyName","value":"x"}`, errType: InvalidPath},
		{name: "unknown schema URN", ops: `{"op":"replace","path":"urn:example:foo:2.0:User:x","value":"x"}`, errType: InvalidPath},
		{name: "path to groups", ops: `{"op":"add","path":"groups","value":[{"value":"g"}]}`, errType: Mutability},
		{name: "path to meta", ops: `{"op":"replace","path":"meta","value":{"version":"x"}}`, errType: Mutability},
		{name: "path to meta.created", ops: `{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}`, errType: Mutability},
		{name: "path to id", ops: `{"op":"replace","path":"id","value":"other"}`, errType: Mutability},
		{name: "path-less replace with a different id", ops: `{"op":"replace","value":{"id":"other","displayName":"x"}}`, errType: Mutability},
		{name: "path-less replace with a non-string id", ops: `{"op":"replace","value":{"id":42}}`, errType: Mutability},
		{name: "remove userName", ops: `{"op":"remove","path":"userName"}`, errType: InvalidValue, errHas: "userName"},
		{name: "replace userName with empty", ops: `{"op":"replace","path":"userName","value":""}`, errType: InvalidValue},
		{name: "replace userName with null path-less", ops: `{"op":"replace","value":{"userName":null}}`, errType: InvalidValue},
		{name: "wrong type for active", ops: `{"op":"replace","path":"active","value":"nope"}`, errType: InvalidValue},
		{name: "wrong type for name", ops: `{"op":"replace","path":"name","value":"Ann"}`, errType: InvalidValue},
		{name: "atomic: a failing second op names operation 2",
			ops:     `{"op":"replace","path":"displayName","value":"changed"},{"op":"replace","path":"active","value":"maybe"}`,
			errType: InvalidValue, errHas: "operation 2"},
		{name: "atomic: failing third op after element creation",
			ops:     `{"op":"add","path":"emails[type eq \"other\"].value","value":"x"},{"op":"remove","path":"` + entURN + `:manager"},{"op":"remove"}`,
			errType: NoTarget, errHas: "operation 3"},
	}
	runPatchCases(t, UserType, testUserID, baseUser, tests)
}

func baseGroup(t testing.TB) Resource {
	return mustNormalize(t, GroupType, `{"displayName":"Test SCIMv2","externalId":"g-ext","members":[{"value":"u1"},{"value":"u2"}]}`)
}

const testGroupID = "e9e30dba-f08f-4109-8486-d5c6a331660a"

func TestPatchGroup(t *testing.T) {
	tests := []patchCase{
		{name: "OKTA-13 path-less rename restating id",
			ops:  `{"op":"replace","value":{"id":"` + testGroupID + `","displayName":"Renamed"}}`,
			want: map[string]string{"displayName": `"Renamed"`, "externalId": `"g-ext"`, "members": `[{"value":"u1"},{"value":"u2"}]`}},
		{name: "MSV-21 path-less externalId replace",
			ops:  `{"op":"replace","value":{"externalId":"c3b9"}}`,
			want: map[string]string{"externalId": `"c3b9"`, "displayName": `"Test SCIMv2"`}},
		{name: "MSV-22 path-less displayName", ops: `{"op":"replace","value":{"displayName":"MSAD"}}`,
			want: map[string]string{"displayName": `"MSAD"`}},
		{name: "EN-16 displayName by path", ops: `{"op":"Replace","path":"displayName","value":"x updatedDisplayName"}`,
			want: map[string]string{"displayName": `"x updatedDisplayName"`}},
		{name: "WSO2 path-less add displayName", ops: `{"op":"add","value":{"displayName":"Actors"}}`,
			want: map[string]string{"displayName": `"Actors"`}},
		{name: "remove externalId", ops: `{"op":"remove","path":"externalId"}`,
			want: map[string]string{"externalId": ``, "displayName": `"Test SCIMv2"`}},
		{name: "User attributes are unknown on a Group", ops: `{"op":"replace","path":"userName","value":"x"}`, errType: InvalidPath},
		{name: "enterprise URN is unknown on a Group", ops: `{"op":"replace","path":"` + entURN + `:department","value":"x"}`, errType: InvalidPath},
		{name: "rename with another id", ops: `{"op":"replace","value":{"id":"other","displayName":"x"}}`, errType: Mutability},
		{name: "remove displayName", ops: `{"op":"remove","path":"displayName"}`, errType: InvalidValue, errHas: "displayName"},
		{name: "meta is read-only", ops: `{"op":"replace","path":"meta.lastModified","value":"x"}`, errType: Mutability},
	}
	runPatchCases(t, GroupType, testGroupID, baseGroup, tests)
}

func TestPatchResultDoesNotAliasOpValues(t *testing.T) {
	ops := mustParsePatch(t, patchBody(`{"op":"add","path":"emails","value":[{"value":"n@x"}]},{"op":"replace","path":"name","value":{"givenName":"G"}}`))
	got, err := Patcher{Type: UserType, ID: testUserID}.Apply(Resource{"userName": "u"}, ops)
	if err != nil {
		t.Fatal(err)
	}
	ops[0].Value.([]any)[0].(map[string]any)["value"] = "mutated"
	ops[1].Value.(map[string]any)["givenName"] = "mutated"
	if got.Values("emails", "value")[0] != "n@x" || got.SubString("name", "givenName") != "G" {
		t.Errorf("result aliases the operation values: %s", asJSON(t, got))
	}
}

func TestErrorDetailNamesOperationAndPath(t *testing.T) {
	ops := mustParsePatch(t, patchBody(`{"op":"add","path":"nickName","value":"x"},{"op":"Replace","path":"groups","value":[]}`))
	_, err := Patcher{Type: UserType}.Apply(Resource{"userName": "u"}, ops)
	e := wantSCIMError(t, err, http.StatusBadRequest, Mutability)
	if !strings.Contains(e.Detail, "operation 2 (replace groups)") {
		t.Errorf("detail %q", e.Detail)
	}
}

func TestParsePatchIndexSurvivesSplitting(t *testing.T) {
	ops := mustParsePatch(t, patchBody(`{"op":"add","path":"members","value":"u1"},{"op":"replace","path":"active","value":"maybe"}`))
	if ops[0].Index != 1 || ops[1].Index != 2 {
		t.Fatalf("indexes = %d %d", ops[0].Index, ops[1].Index)
	}
	// A caller that takes out the first operation still gets "operation 2".
	_, err := Patcher{Type: UserType}.Apply(Resource{"userName": "u"}, ops[1:])
	if e := wantSCIMError(t, err, http.StatusBadRequest, InvalidValue); !strings.Contains(e.Detail, "operation 2 (replace active)") {
		t.Errorf("detail %q", e.Detail)
	}
	// Hand-built operations are numbered by position.
	_, err = Patcher{Type: UserType}.Apply(Resource{"userName": "u"}, []PatchOperation{{Op: "add", Path: "title", Value: "x"}, {Op: "remove"}})
	if e := wantSCIMError(t, err, http.StatusBadRequest, NoTarget); !strings.Contains(e.Detail, "operation 2 (remove)") {
		t.Errorf("detail %q", e.Detail)
	}
}
