package adminapitest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/testserver"
)

// raw sends body byte for byte (do would JSON-encode it, and json.Marshal
// replaces invalid UTF-8 before it leaves).
func (c *client) raw(method, path string, body []byte) response {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.API+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set(server.CSRFHeader, c.csrf)
	}
	return response(testserver.Do(c.e.t, c.hc, req, "application/json"))
}

// Admin API bodies holding bytes that aren't UTF-8 (or a lone surrogate
// escape) get a 400 naming the field, and nothing is created.
func TestAdminAPIRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(e.Admin, e.AdminPassword)
	cases := []struct {
		path, body, field string
	}{
		{"/me/tokens", "{\"name\":\"deploy \xff\"}", "name"},
		{"/me/tokens", `{"name":"deploy \udc00"}`, "name"},
		{e.teamPath("/scim/keys"), "{\"name\":\"okta\xc3\"}", "name"},
		{e.teamPath("/invites"), "{\"email\":\"n\xe9w@acme.example\",\"role\":\"Billing\"}", "email"},
	}
	for _, tc := range cases {
		msg := admin.raw("POST", tc.path, []byte(tc.body)).apiError(t, http.StatusBadRequest, tc.field)
		if !strings.Contains(msg, "UTF-8") && !strings.Contains(msg, "surrogate") {
			t.Errorf("POST %s: message %q", tc.path, msg)
		}
	}
	if r := admin.do("GET", "/me/tokens", nil).must(t, 200); len(r.Body["tokens"].([]any)) != 0 {
		t.Fatalf("a refused body made a token: %s", r.Raw)
	}
	if r := admin.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200); strings.Contains(string(r.Raw), "okta") {
		t.Fatalf("a refused body made a key: %s", r.Raw)
	}
	if r := admin.do("GET", e.teamPath("/invites"), nil).must(t, 200); len(r.Body["invites"].([]any)) != 0 {
		t.Fatalf("a refused body made an invite: %s", r.Raw)
	}
	// The same names in UTF-8 are taken.
	admin.raw("POST", "/me/tokens", []byte(`{"name":"deploy é 🎉"}`)).must(t, 201)
}
