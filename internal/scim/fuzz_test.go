package scim

import (
	"encoding/json"
	"testing"
)

// FuzzPatchApply runs arbitrary PatchOp bodies against a fixed user: Apply
// must never panic, a success must encode as JSON and stay canonical, and
// a failure must leave the input untouched.
func FuzzPatchApply(f *testing.F) {
	seeds := []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"Add","path":"nickName","value":"Babs"}]}`,
		`{"Operations":[{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`,
		`{"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"},{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]}`,
		`{"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}`,
		`{"Operations":[{"op":"add","path":"roles[primary eq \"True\"].value","value":"admin"},{"op":"add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main"}]}`,
		`{"Operations":[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555"},{"op":"remove","path":"emails[type eq \"work\"]"}]}`,
		`{"Operations":[{"op":"remove","path":"emails","value":[{"value":"babs@home.example"}]}]}`,
		`{"Operations":[{"op":"replace","value":{"id":"2819c223-7f76-453a-919d-413861904646","userName":"x"}}]}`,
		`{"Operations":[{"op":"replace","value":{"password":"s3cret"}}]}`,
		`{"Operations":[{"op":"add","path":"emails","value":[{"value":"n@x","primary":true}]},{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]}`,
		`{"Operations":[{"op":"remove","path":"userName"}]}`,
		`{"Operations":[{"op":"replace","path":"groups","value":[]},{"op":"remove"}]}`,
		`{"Operations":[{"op":"add","path":"emails[type eq \"work\" and primary eq true].display","value":"W"},{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager","value":{"value":"m"}}]}`,
		`{"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},{"op":"add","path":"emails.value","value":"all@x"}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base := baseUser(f)
	want := asJSON(f, base)
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := ParsePatch(body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParsePatch returned %T, want *Error", err)
			}
			return
		}
		for _, rt := range []*ResourceType{UserType, GroupType} {
			in := base
			if rt == GroupType {
				in = Resource{"displayName": "G", "members": []any{map[string]any{"value": "u1"}}}
			}
			before, _ := json.Marshal(in)
			got, err := Patcher{Type: rt, ID: testUserID}.Apply(in, ops)
			if after, _ := json.Marshal(in); string(after) != string(before) {
				t.Fatalf("Apply modified its input (err=%v):\n%s\n%s", err, before, after)
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("Apply returned %T, want *Error", err)
				}
				continue
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("result does not encode: %v", err)
			}
			m, err := DecodeObject(b)
			if err != nil {
				t.Fatalf("result does not decode: %v", err)
			}
			re, err := Normalize(rt, m)
			if err != nil {
				t.Fatalf("result does not re-normalise: %v\n%s", err, b)
			}
			if rb, _ := json.Marshal(re); string(rb) != string(b) {
				t.Fatalf("result is not canonical:\n%s\nre-normalised\n%s", b, rb)
			}
		}
		if asJSON(t, base) != want {
			t.Fatal("base user changed")
		}
	})
}
