package provlog

import (
	"encoding/json"
	"strings"
	"testing"
)

// secrets never to be seen in a stored body.
var secrets = []string{"hunter2", "s3cr3t-tok", "clientsecretvalue", "apikeyvalue", "pathpw", "nestedpw", "entra-pw"}

func TestRedactBody(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		truncated bool
		want      string // exact output, when set
		keep      []string
	}{
		{name: "POST user with password",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.io","password":"hunter2","active":true}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.io","password":"[REDACTED]","active":true}`},
		{name: "key names in any case and compound",
			body: `{"PASSWORD":"hunter2","accessToken":"s3cr3t-tok","client_secret":"clientsecretvalue","apiKey":"apikeyvalue","n":1.50}`,
			want: `{"PASSWORD":"[REDACTED]","accessToken":"[REDACTED]","client_secret":"[REDACTED]","apiKey":"[REDACTED]","n":1.50}`},
		{name: "nested objects and arrays",
			body: `{"a":{"b":[{"c":{"password":"nestedpw"}},{"token":{"deep":["s3cr3t-tok"]}}]},"after":"kept"}`,
			want: `{"a":{"b":[{"c":{"password":"[REDACTED]"}},{"token":"[REDACTED]"}]},"after":"kept"}`},
		{name: "PATCH path-less value object",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"hunter2","active":false}}]}`,
			want: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"[REDACTED]","active":false}}]}`},
		{name: "PATCH path password, path first",
			body: `{"Operations":[{"op":"replace","path":"password","value":"pathpw"},{"op":"replace","path":"active","value":false}]}`,
			want: `{"Operations":[{"op":"replace","path":"password","value":"[REDACTED]"},{"op":"replace","path":"active","value":false}]}`},
		{name: "PATCH path password, value first",
			body: `{"Operations":[{"value":"pathpw","op":"Replace","path":"password"},{"value":"kept-value","path":"displayName","op":"add"}]}`,
			want: `{"Operations":[{"value":"[REDACTED]","op":"Replace","path":"password"},{"value":"kept-value","path":"displayName","op":"add"}]}`},
		{name: "PATCH URN path and object value",
			body: `{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":{"x":"entra-pw"}}]}`,
			want: `{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":"[REDACTED]"}]}`},
		{name: "Bulk data and nested PATCH",
			body: `{"Operations":[{"method":"POST","path":"/Users","bulkId":"q","data":{"userName":"b","password":"hunter2"}},` +
				`{"method":"PATCH","path":"/Users/1","data":{"Operations":[{"op":"replace","path":"password","value":"pathpw"}]}}]}`,
			want: `{"Operations":[{"method":"POST","path":"/Users","bulkId":"q","data":{"userName":"b","password":"[REDACTED]"}},` +
				`{"method":"PATCH","path":"/Users/1","data":{"Operations":[{"op":"replace","path":"password","value":"[REDACTED]"}]}}]}`},
		{name: "escapes survive",
			body: `{"displayName":"A \"quoted\" <name> é","password":"hun\"ter2"}`,
			want: `{"displayName":"A \"quoted\" <name> é","password":"[REDACTED]"}`},
		{name: "truncated inside a password", body: `{"userName":"a","password":"hunte`, truncated: true,
			want: `{"userName":"a","password":`},
		{name: "truncated PATCH before its path", body: `{"Operations":[{"op":"replace","value":"pathpw","pa`, truncated: true,
			keep: []string{`"op":"replace"`}},
		{name: "truncated PATCH keeps object values redacted by name", body: `{"Operations":[{"op":"replace","value":{"password":"hunter2","active":false},"pa`, truncated: true,
			keep: []string{`"active":false`}},
		{name: "malformed JSON stops at the error", body: `{"userName":"bob" "password":"hunter2"}`,
			keep: []string{`"userName":"bob"`, "not valid JSON"}},
		{name: "not JSON at all", body: `password=hunter2&user=bob`},
		{name: "empty", body: ``, want: ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactBody([]byte(tc.body), tc.truncated)
			for _, s := range secrets {
				if strings.Contains(got, s) {
					t.Fatalf("secret %q leaked: %s", s, got)
				}
			}
			if strings.Contains(got, "hunte") {
				t.Fatalf("part of a secret leaked: %s", got)
			}
			if tc.want != "" && got != tc.want {
				t.Fatalf("RedactBody =\n %s\nwant\n %s", got, tc.want)
			}
			if tc.want != "" && !tc.truncated && !json.Valid([]byte(got)) {
				t.Fatalf("output is not JSON: %s", got)
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Fatalf("output lost %q: %s", k, got)
				}
			}
		})
	}
}

// A body cut at MaxBody in the middle of PATCH operations never leaks a
// password, wherever the cut falls.
func TestRedactTruncatedAnywhere(t *testing.T) {
	body := `{"Operations":[{"op":"replace","path":"name.givenName","value":"Ann"},{"value":"zqpw9","op":"replace","path":"password"},{"op":"replace","value":{"password":"hunter2"}}]}`
	for cut := 0; cut <= len(body); cut++ {
		got := RedactBody([]byte(body[:cut]), cut < len(body))
		for _, s := range []string{"zqpw9", "hunter2"} {
			for n := 3; n <= len(s); n++ {
				if strings.Contains(got, `"`+s[:n]) {
					t.Fatalf("cut at %d leaked %q: %s", cut, s[:n], got)
				}
			}
		}
	}
}

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{`filter=userName+eq+%22a%40x.io%22&startIndex=1&count=2`, `filter=userName+eq+%22a%40x.io%22&startIndex=1&count=2`},
		{`access_token=abc&count=2`, `access_token=%5BREDACTED%5D&count=2`},
		{`aadOptscim062020`, `aadOptscim062020`},
		{`api%4Bey=zzz`, `api%4Bey=%5BREDACTED%5D`},
	}
	for _, tc := range tests {
		if got := RedactQuery(tc.in); got != tc.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResource(t *testing.T) {
	tests := []struct{ path, typ, id string }{
		{"/scim/v2/Users", "Users", ""},
		{"/scim/v2/Users/", "Users", ""},
		{"/scim/v2/Users/abc", "Users", "abc"},
		{"/scim/v2/Groups/g1", "Groups", "g1"},
		{"/scim/v2/Users/.search", "Users", ""},
		{"/scim/v2/Bulk", "Bulk", ""},
		{"/other", "", ""},
	}
	for _, tc := range tests {
		if typ, id := Resource(tc.path); typ != tc.typ || id != tc.id {
			t.Errorf("Resource(%q) = %q, %q; want %q, %q", tc.path, typ, id, tc.typ, tc.id)
		}
	}
}
