package scim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestNormalizeUser(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // canonical resource as JSON
	}{
		{
			name: "case-insensitive names are canonicalised (PM-06)",
			in: `{"schemas":["` + UserURN + `"],"UserName":"UserName123","Active":true,
				"Emails":[{"Primary":true,"Type":"work","Value":"a@x.com"},{"Primary":false,"type":"home","value":"b@x.com"}],
				"NAME":{"GivenName":"Ann","FAMILYNAME":"Lee"}}`,
			want: `{"userName":"UserName123","active":true,
				"emails":[{"primary":true,"type":"work","value":"a@x.com"},{"primary":false,"type":"home","value":"b@x.com"}],
				"name":{"givenName":"Ann","familyName":"Lee"}}`,
		},
		{
			name: "enterprise extension with capitalised names (PM-07)",
			in:   `{"userName":"u","URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"Department":"bob","Manager":{"Value":"SuzzyQ"}}}`,
			want: `{"userName":"u","` + entURN + `":{"department":"bob","manager":{"value":"SuzzyQ"}}}`,
		},
		{
			name: "unknown attributes are dropped (PM-53 adreses, Q13)",
			in:   `{"userName":"u","adreses":[{"country":"DE"}],"acve":true,"` + entURN + `":{"hobby":"x"}}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "read-only id, meta, groups are ignored (RFC-11, OKTA-04)",
			in:   `{"id":"client-id","meta":{"resourceType":"User"},"groups":[{"value":"g1"}],"userName":"u"}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "nulls mean absent",
			in:   `{"userName":"u","displayName":null,"name":{"givenName":null},"emails":null,"addresses":[{"country":null,"type":null}],"` + entURN + `":null}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "empty lists and objects mean absent (EN-03 roles:[])",
			in:   `{"userName":"u","roles":[],"name":{},"` + entURN + `":{}}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "string booleans are coerced (Q3, PM-44, MSV-01)",
			in:   `{"userName":"u","active":"True","roles":[{"primary":"True","value":"admin"}],"emails":[{"value":"a@x","primary":"false"}]}`,
			want: `{"userName":"u","active":true,"roles":[{"primary":true,"value":"admin"}],"emails":[{"value":"a@x","primary":false}]}`,
		},
		{
			name: "False string for active",
			in:   `{"userName":"u","active":"False"}`,
			want: `{"userName":"u","active":false}`,
		},
		{
			name: "empty string for a boolean is absent (ELA-2 null update)",
			in:   `{"userName":"u","active":"","emails":[{"value":"a","primary":" "}]}`,
			want: `{"userName":"u","emails":[{"value":"a"}]}`,
		},
		{
			name: "a lone object for a multi-valued attribute",
			in:   `{"userName":"u","emails":{"value":"a@x.com","type":"work"}}`,
			want: `{"userName":"u","emails":[{"value":"a@x.com","type":"work"}]}`,
		},
		{
			name: "a lone string for a multi-valued attribute becomes its value",
			in:   `{"userName":"u","emails":"a@x.com"}`,
			want: `{"userName":"u","emails":[{"value":"a@x.com"}]}`,
		},
		{
			name: "only the first primary:true is kept (RFC-33)",
			in:   `{"userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":true},{"value":"c","primary":"True"}]}`,
			want: `{"userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":false},{"value":"c","primary":false}]}`,
		},
		{
			name: "duplicate equal elements are collapsed",
			in:   `{"userName":"u","emails":[{"value":"a"},{"value":"a"}]}`,
			want: `{"userName":"u","emails":[{"value":"a"}]}`,
		},
		{
			name: "manager as bare string (Q6, EN-11)",
			in:   `{"userName":"u","` + entURN + `":{"manager":"m-1"}}`,
			want: `{"userName":"u","` + entURN + `":{"manager":{"value":"m-1"}}}`,
		},
		{
			name: "manager empty string is absent and the extension disappears",
			in:   `{"userName":"u","` + entURN + `":{"manager":""}}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "core attributes nested under the core URN (SCIMVERIFY)",
			in:   `{"schemas":["` + UserURN + `"],"` + UserURN + `":{"userName":"nested","Name":{"givenName":"N"}}}`,
			want: `{"userName":"nested","name":{"givenName":"N"}}`,
		},
		{
			name: "externalId nested under the core URN is kept",
			in:   `{"` + UserURN + `":{"userName":"nested","externalId":"ext-1"}}`,
			want: `{"userName":"nested","externalId":"ext-1"}`,
		},
		{
			name: "null core URN object is absent",
			in:   `{"userName":"u","` + UserURN + `":null}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "password is kept verbatim by Normalize (OKTA-04)",
			in:   `{"userName":"u","password":"1mz050nq \"x\""}`,
			want: `{"userName":"u","password":"1mz050nq \"x\""}`,
		},
		{
			name: "a number sent for a string is kept as its text",
			in:   `{"userName":"u","` + entURN + `":{"employeeNumber":42}}`,
			want: `{"userName":"u","` + entURN + `":{"employeeNumber":"42"}}`,
		},
		{
			name: "externalId is case-insensitive and kept exactly (Q19)",
			in:   `{"userName":"u","EXTERNALID":" 00ujl29u0le5T6Aj10h7 ","emails":[{"value":"  A@X.com "}]}`,
			want: `{"userName":"u","externalId":" 00ujl29u0le5T6Aj10h7 ","emails":[{"value":"  A@X.com "}]}`,
		},
		{
			name: "unknown sub-attributes and $ref null are dropped",
			in:   `{"userName":"u","name":{"givenName":"A","nick":"x"},"emails":[{"value":"a","$ref":null,"display":null}]}`,
			want: `{"userName":"u","name":{"givenName":"A"},"emails":[{"value":"a"}]}`,
		},
		{
			name: "top-level URN-qualified extension attribute",
			in:   `{"userName":"u","` + entURN + `:department":"Sales"}`,
			want: `{"userName":"u","` + entURN + `":{"department":"Sales"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(UserType, mustJSON(t, tc.in))
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if !sameJSON(t, got, tc.want) {
				t.Errorf("Normalize =\n %s\nwant\n %s", asJSON(t, got), tc.want)
			}
			for _, k := range []string{"id", "meta", "schemas", "groups"} {
				if _, ok := got[k]; ok {
					t.Errorf("result holds server-managed key %q", k)
				}
			}
		})
	}
}

func TestNormalizeBooleansAreRealBools(t *testing.T) {
	r := mustNormalize(t, UserType, `{"userName":"u","active":"TRUE","roles":[{"primary":"True","value":"r"}]}`)
	if b, ok := r.Bool("active"); !ok || !b {
		t.Fatalf("active = %#v, want bool true", r["active"])
	}
	role := r["roles"].([]any)[0].(map[string]any)
	if p, ok := role["primary"].(bool); !ok || !p {
		t.Fatalf("roles[0].primary = %#v (%T), want bool true", role["primary"], role["primary"])
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"active not a boolean", `{"userName":"u","active":"yes"}`},
		{"active a number", `{"userName":"u","active":1}`},
		{"userName an object", `{"userName":{"a":"b"}}`},
		{"userName a list", `{"userName":["a"]}`},
		{"name a string", `{"userName":"u","name":"Ann Lee"}`},
		{"name a list", `{"userName":"u","name":[{"givenName":"A"}]}`},
		{"emails element a list", `{"userName":"u","emails":[["a"]]}`},
		{"email value an object", `{"userName":"u","emails":[{"value":{"x":1}}]}`},
		{"primary not a boolean", `{"userName":"u","emails":[{"value":"a","primary":"maybe"}]}`},
		{"enterprise not an object", `{"userName":"u","` + entURN + `":"x"}`},
		{"core URN not an object", `{"` + UserURN + `":"x"}`},
		{"manager an object with a list", `{"userName":"u","` + entURN + `":{"manager":{"value":["a"]}}}`},
		{"externalId an object", `{"userName":"u","externalId":{"a":1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(UserType, mustJSON(t, tc.in))
			wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
		})
	}
}

// TestNormalizeCaseVariantKeys: attribute names are case-insensitive, so a
// body that names one attribute twice is ambiguous and refused, at every
// level, instead of keeping whichever key Go's map order reads last.
func TestNormalizeCaseVariantKeys(t *testing.T) {
	for _, in := range []string{
		`{"userName":"a","USERNAME":"b"}`,
		`{"userName":"a","name":{"givenName":"A","GIVENNAME":"B"}}`,
		`{"userName":"a","` + entURN + `":{"department":"x","Department":"y"}}`,
		`{"` + UserURN + `":{"userName":"a","username":"b"}}`,
	} {
		_, err := Normalize(UserType, mustJSON(t, in))
		wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
		if !strings.Contains(err.Error(), "given twice") {
			t.Errorf("%s: %v", in, err)
		}
	}
	// An extension set to null beside one of its attributes, URN-qualified,
	// is read the same every time.
	in := `{"userName":"a","` + entURN + `":null,"` + entURN + `:department":"x"}`
	first, err := Normalize(UserType, mustJSON(t, in))
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		again, err := Normalize(UserType, mustJSON(t, in))
		if err != nil || !equalValues(map[string]any(first), map[string]any(again)) {
			t.Fatalf("Normalize is not deterministic: %v then %v (%v)", first, again, err)
		}
	}
}

// TestNormalizeNumbersAreJSON: numbers are kept as written, so only JSON
// numbers are taken (strconv alone accepts NaN, Inf, +5 and hex floats,
// which would make every later answer invalid JSON).
func TestNormalizeNumbersAreJSON(t *testing.T) {
	rt := UserTypeWith([]CustomAttribute{{Name: "score", Type: TypeDecimal}, {Name: "level", Type: TypeInteger}})
	for _, v := range []string{`"NaN"`, `"NAN"`, `"Inf"`, `"-Infinity"`, `"+5"`, `"0x1p3"`, `"1_000"`, `" "`, `"1 2"`} {
		for _, attr := range []string{"score", "level"} {
			in := `{"userName":"u","` + CustomUserURN + `":{"` + attr + `":` + v + `}}`
			_, err := Normalize(rt, mustJSON(t, in))
			wantSCIMError(t, err, http.StatusBadRequest, InvalidValue)
		}
	}
	res, err := Normalize(rt, mustJSON(t, `{"userName":"u","`+CustomUserURN+`":{"score":"-1.5e3","level":"42"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"score":-1.5e3`) || !strings.Contains(string(b), `"level":42`) {
		t.Fatalf("%s %v", b, err)
	}
}

func TestNormalizeGroup(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"members with unknown keys and the ADSCIM schema (EN-13, PM-26)",
			`{"schemas":["` + GroupURN + `","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			  "DisplayName":"G","externalId":"e","members":[{"value":"u1","displayName":"new User","$ref":null}],"meta":{"resourceType":"Group"}}`,
			`{"displayName":"G","externalId":"e","members":[{"value":"u1"}]}`,
		},
		{"empty members are absent (OKTA-12)", `{"displayName":"G","members":[]}`, `{"displayName":"G"}`},
		{"a lone member id string", `{"displayName":"G","members":"u1"}`, `{"displayName":"G","members":[{"value":"u1"}]}`},
		{"User attributes are unknown on a Group", `{"displayName":"G","userName":"u","active":true}`, `{"displayName":"G"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(GroupType, mustJSON(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, tc.want) {
				t.Errorf("got %s want %s", asJSON(t, got), tc.want)
			}
		})
	}
}

func TestNormalizeDoesNotMutateInput(t *testing.T) {
	in := mustJSON(t, `{"userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`)
	before := asJSON(t, in)
	r, err := Normalize(UserType, in)
	if err != nil {
		t.Fatal(err)
	}
	if after := asJSON(t, in); after != before {
		t.Errorf("input changed: %s -> %s", before, after)
	}
	// the result must not share maps with the input
	r["emails"].([]any)[0].(map[string]any)["value"] = "changed"
	if asJSON(t, in) != before {
		t.Error("result aliases the input")
	}
}

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"object", `{"a":1}`, true},
		{"object with trailing space", "{\"a\":1}\n ", true},
		{"malformed (PM-49)", `{"acve": tre}`, false},
		{"array", `[{"a":1}]`, false},
		{"string", `"x"`, false},
		{"null", `null`, false},
		{"two objects", `{"a":1}{"b":2}`, false},
		{"empty", ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeObject([]byte(tc.in))
			if tc.ok {
				if err != nil || m == nil {
					t.Fatalf("DecodeObject: %v", err)
				}
				return
			}
			wantSCIMError(t, err, http.StatusBadRequest, InvalidSyntax)
		})
	}
	m, _ := DecodeObject([]byte(`{"n":12345678901234567890}`))
	if n, ok := m["n"].(json.Number); !ok || n.String() != "12345678901234567890" {
		t.Errorf("numbers must stay json.Number, got %#v", m["n"])
	}
}

func TestResourceAccessorsAndClone(t *testing.T) {
	r := mustNormalize(t, UserType, `{"userName":"u","active":false,"name":{"givenName":"G"},
		"emails":[{"value":"a"},{"type":"home"},{"value":"b"}]}`)
	if r.String("userName") != "u" || r.String("active") != "" {
		t.Errorf("String: %q %q", r.String("userName"), r.String("active"))
	}
	if b, ok := r.Bool("active"); !ok || b {
		t.Errorf("Bool(active) = %v %v", b, ok)
	}
	if _, ok := r.Bool("userName"); ok {
		t.Error("Bool(userName) reported set")
	}
	if r.SubString("name", "givenName") != "G" || r.SubString("missing", "x") != "" {
		t.Error("SubString")
	}
	if got := r.Values("emails", "value"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Values = %v", got)
	}
	c := r.Clone()
	c["emails"].([]any)[0].(map[string]any)["value"] = "z"
	c["name"].(map[string]any)["givenName"] = "z"
	if r.Values("emails", "value")[0] != "a" || r.SubString("name", "givenName") != "G" {
		t.Error("Clone is shallow")
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		val, ok bool
	}{
		{"true", true, true}, {"True", true, true}, {"TRUE", true, true}, {" false ", false, true},
		{"False", false, true}, {"yes", false, false}, {"1", false, false}, {"", false, false},
	}
	for _, tc := range tests {
		v, ok := ParseBool(tc.in)
		if v != tc.val || ok != tc.ok {
			t.Errorf("ParseBool(%q) = %v,%v want %v,%v", tc.in, v, ok, tc.val, tc.ok)
		}
	}
}
