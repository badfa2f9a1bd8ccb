package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
)

// Raw bytes that aren't UTF-8, sent over HTTP in each kind of SCIM body,
// get a 400 invalidValue naming the attribute, and nothing is written:
// Go's JSON decoder would have stored U+FFFD in their place.
func TestInvalidUTF8IsRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("utf8.user@okta.local")
	gid := str(c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Eng"}).must(t, 201).Body, "id")
	before := c.do("GET", "/Users/"+id, nil).must(t, 200).Raw

	cases := []struct {
		name, method, path, body, names string
	}{
		{"POST /Users", "POST", "/Users",
			"{\"schemas\":[\"" + userURN + "\"],\"userName\":\"new@okta.local\",\"name\":{\"givenName\":\"Zo\xeb\"}}", `"name.givenName"`},
		{"PUT /Users", "PUT", "/Users/" + id,
			"{\"schemas\":[\"" + userURN + "\"],\"userName\":\"utf8.user@okta.local\",\"displayName\":\"\xff\xfe\"}", `"displayName"`},
		{"PATCH /Users", "PATCH", "/Users/" + id,
			"{\"schemas\":[\"" + patchURN + "\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"title\",\"value\":\"Chef \xc3\"}]}", `"Operations[1].value"`},
		{"PATCH /Users, lone surrogate escape", "PATCH", "/Users/" + id,
			`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"nickName":"\ud800"}}]}`, `"Operations[1].value.nickName"`},
		{"POST /Groups", "POST", "/Groups",
			"{\"schemas\":[\"" + groupURN + "\"],\"displayName\":\"Ops\x80\"}", `"displayName"`},
		{"PATCH /Groups", "PATCH", "/Groups/" + gid,
			"{\"schemas\":[\"" + patchURN + "\"],\"Operations\":[{\"op\":\"replace\",\"value\":{\"displayName\":\"\xf0\x9f\"}}]}", `"Operations[1].value.displayName"`},
		{"POST /Bulk", "POST", "/Bulk",
			"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"],\"Operations\":[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"a\",\"data\":{\"userName\":\"bulk\xff@okta.local\"}}]}",
			`"Operations[1].data.userName"`},
		{"POST /Users/.search", "POST", "/Users/.search",
			"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],\"filter\":\"userName eq \\\"\xff\\\"\"}", `"filter"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, []byte(tc.body)).scimError(t, http.StatusBadRequest, scim.InvalidValue)
			d := str(r.Body, "detail")
			if !strings.Contains(d, tc.names) || !strings.Contains(d, "UTF-8") {
				t.Fatalf("detail %q does not name %s", d, tc.names)
			}
		})
	}
	if after := c.do("GET", "/Users/"+id, nil).must(t, 200).Raw; string(after) != string(before) {
		t.Fatalf("the user changed:\n%s\n%s", before, after)
	}
	if users := c.do("GET", "/Users?filter=userName%20eq%20%22new%40okta.local%22", nil).list(t); len(users) != 0 {
		t.Fatalf("a refused POST created %v", users)
	}
	if g := c.do("GET", "/Groups/"+gid, nil).must(t, 200); str(g.Body, "displayName") != "Eng" {
		t.Fatalf("group changed: %s", g.Raw)
	}
	// Valid UTF-8, and a real surrogate pair, are stored as sent.
	r := c.do("PATCH", "/Users/"+id, []byte(`{"schemas":["`+patchURN+`"],"Operations":[{"op":"replace","value":{"nickName":"Zoë \ud83c\udf89"}}]}`)).must(t, 200)
	if str(r.Body, "nickName") != "Zoë 🎉" {
		t.Fatalf("nickName %q", str(r.Body, "nickName"))
	}
}

// The documented limits answer 400 invalidValue with a detail naming the
// limit and its number, over HTTP, and change nothing.
func TestRequestLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	uid := c.createUser("limits.user@okta.local")
	gid := str(c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Big",
		"members": []any{map[string]any{"value": uid}}}).must(t, 201).Body, "id")

	members := make([]any, scim.MaxMembersPerRequest+1)
	for i := range members {
		members[i] = map[string]any{"value": fmt.Sprintf("missing-%d", i)}
	}
	emails := make([]any, scim.MaxValuesPerRequest+1)
	for i := range emails {
		emails[i] = map[string]any{"value": fmt.Sprintf("e%d@okta.local", i)}
	}
	ops := make([]map[string]any, scim.MaxPatchOperations+1)
	for i := range ops {
		ops[i] = op("replace", "title", fmt.Sprint("t", i))
	}
	cases := []struct {
		name, method, path string
		body               any
		says               []string
	}{
		{"group PATCH add members", "PATCH", "/Groups/" + gid, patch(op("add", "members", members)),
			[]string{"MaxMembersPerRequest", "10000", "10001", "operation 1"}},
		{"group PUT members", "PUT", "/Groups/" + gid, map[string]any{"schemas": []string{groupURN}, "displayName": "Big", "members": members},
			[]string{"MaxMembersPerRequest", "10000"}},
		{"group POST members", "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Other", "members": members},
			[]string{"MaxMembersPerRequest", "10000"}},
		{"user emails", "PATCH", "/Users/" + uid, patch(op("add", "emails", emails)),
			[]string{"MaxValuesPerRequest", "1000", "1001"}},
		{"operations", "PATCH", "/Users/" + uid, patch(ops...),
			[]string{"MaxPatchOperations", "1000", "1001"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body).scimError(t, http.StatusBadRequest, scim.InvalidValue)
			for _, s := range tc.says {
				if !strings.Contains(str(r.Body, "detail"), s) {
					t.Errorf("detail %q does not say %q", str(r.Body, "detail"), s)
				}
			}
		})
	}
	g := c.do("GET", "/Groups/"+gid, nil).must(t, 200)
	if m, _ := g.Body["members"].([]any); len(m) != 1 || str(g.Body, "displayName") != "Big" {
		t.Fatalf("group changed: %s", g.Raw)
	}
	if n := len(c.do("GET", "/Groups?filter=displayName%20eq%20%22Other%22", nil).list(t)); n != 0 {
		t.Fatalf("a refused POST created %d groups", n)
	}
	u := c.do("GET", "/Users/"+uid, nil).must(t, 200)
	if e, _ := u.Body["emails"].([]any); len(e) != 1 || str(u.Body, "title") != "" {
		t.Fatalf("user changed: %s", u.Raw)
	}
}
