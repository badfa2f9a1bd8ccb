package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/testserver"
)

// These tests run the RFC 7643/7644 cases of idp-conformance.md §8 (and
// the Postman "garbage" cases of §6 that are pure RFC behaviour) against a
// running server.

// ---- helpers shared by entra_test.go, rfc_test.go and isolation_test.go ----

// bindT returns a copy of c that fails t (for use inside subtests).
func bindT(c *client, t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// rawDo sends a request exactly as given: no Content-Type unless in hdr.
// target is either an absolute URL or a path relative to the SCIM base.
func rawDo(t *testing.T, c *client, method, target string, body io.Reader, hdr ...string) response {
	t.Helper()
	u := target
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = c.base + target
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	return response(testserver.Do(t, c.hc, req, "application/scim+json", hdr...))
}

// plusQ form-encodes a filter the way Entra does: spaces as '+', quotes as %22.
func plusQ(filter string) string {
	return strings.ReplaceAll(url.QueryEscape(filter), "%20", "+")
}

// okOrNoContent asserts a PATCH success (200 with body or 204, Q15).
func okOrNoContent(t *testing.T, r response) response {
	t.Helper()
	if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
		t.Fatalf("status %d, want 200 or 204; body: %s", r.Status, r.Raw)
	}
	if r.Status == http.StatusNoContent && len(r.Raw) != 0 {
		t.Fatalf("204 with a body: %s", r.Raw)
	}
	return r
}

// getUser GETs a user and returns its body.
func getUser(t *testing.T, c *client, id string) map[string]any {
	t.Helper()
	return bindT(c, t).do("GET", "/Users/"+id, nil).must(t, http.StatusOK).Body
}

// groupMembers returns the sorted member ids of a group.
func groupMembers(t *testing.T, c *client, gid string) []string {
	t.Helper()
	g := bindT(c, t).do("GET", "/Groups/"+gid, nil).must(t, http.StatusOK).Body
	var ids []string
	ms, _ := g["members"].([]any)
	for _, m := range ms {
		ids = append(ids, str(m, "value"))
	}
	sort.Strings(ids)
	return ids
}

func sortedIDs(ids ...string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// findTyped returns the element of a multi-valued attribute with that type.
func findTyped(v any, typ string) map[string]any {
	l, _ := v.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

// filterUsers lists users by a filter (%-encoded) and returns the resources.
func filterUsers(t *testing.T, c *client, filter string) []any {
	t.Helper()
	return bindT(c, t).do("GET", "/Users?filter="+url.QueryEscape(filter), nil).list(t)
}

func newGroup(t *testing.T, c *client, name string, members ...string) string {
	t.Helper()
	body := map[string]any{"schemas": []string{groupURN}, "displayName": name}
	if len(members) > 0 {
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		body["members"] = ms
	}
	r := bindT(c, t).do("POST", "/Groups", body).must(t, http.StatusCreated)
	id := str(r.Body, "id")
	if id == "" {
		t.Fatalf("group without id: %s", r.Raw)
	}
	return id
}

// ---- RFC-01 media types ----

func TestRFC01ContentTypes(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for i, ct := range []string{"application/json", "application/scim+json; charset=utf-8", "application/scim+json", "application/json; charset=utf-8", ""} {
		t.Run(fmt.Sprintf("accept %q", ct), func(t *testing.T) {
			name := fmt.Sprintf("ct%d@example.com", i)
			b, _ := json.Marshal(oktaUser(name))
			var hdr []string
			if ct != "" {
				hdr = []string{"Content-Type", ct}
			}
			r := rawDo(t, c, "POST", "/Users", strings.NewReader(string(b)), hdr...).must(t, http.StatusCreated)
			if str(r.Body, "userName") != name {
				t.Fatalf("userName: %s", r.Raw)
			}
			// PATCH under the same media type.
			p, _ := json.Marshal(patch(op("replace", "displayName", "Renamed")))
			okOrNoContent(t, rawDo(t, c, "PATCH", "/Users/"+str(r.Body, "id"), strings.NewReader(string(p)), hdr...))
			if got := getUser(t, c, str(r.Body, "id")); str(got, "displayName") != "Renamed" {
				t.Fatalf("PATCH with Content-Type %q not applied: %v", ct, got)
			}
		})
	}
	t.Run("text/plain is 415", func(t *testing.T) {
		b, _ := json.Marshal(oktaUser("plain@example.com"))
		rawDo(t, c, "POST", "/Users", strings.NewReader(string(b)), "Content-Type", "text/plain").scimError(t, http.StatusUnsupportedMediaType, "")
		if res := filterUsers(t, bindT(c, t), `userName eq "plain@example.com"`); len(res) != 0 {
			t.Fatalf("415 request stored a user: %v", res)
		}
	})
}

// ---- RFC-02 error bodies ----

func TestRFC02ErrorBodies(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.createUser("dup@example.com")
	cases := []struct {
		name     string
		c        *client
		method   string
		path     string
		body     any
		status   int
		scimType string
	}{
		{"401 no key", c.withAuth(""), "GET", "/Users", nil, 401, ""},
		{"401 bad key", c.withAuth("Bearer nope"), "GET", "/Users", nil, 401, ""},
		{"404 user", c, "GET", "/Users/does-not-exist", nil, 404, ""},
		{"404 group", c, "GET", "/Groups/does-not-exist", nil, 404, ""},
		{"405 DELETE collection", c, "DELETE", "/Users", nil, 405, ""},
		{"405 PATCH groups collection", c, "PATCH", "/Groups", patch(op("add", "displayName", "x")), 405, ""},
		{"409 duplicate", c, "POST", "/Users", oktaUser("dup@example.com"), 409, "uniqueness"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bindT(tc.c, t).do(tc.method, tc.path, tc.body).scimError(t, tc.status, tc.scimType)
		})
	}
}

func TestRFCBodyTooLarge(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u := oktaUser("big@example.com")
	u["displayName"] = strings.Repeat("x", 1<<20+1024)
	c.do("POST", "/Users", u).scimError(t, http.StatusRequestEntityTooLarge, "")
	if res := filterUsers(t, c, `userName eq "big@example.com"`); len(res) != 0 {
		t.Fatalf("oversized body stored a user")
	}
	// The server still answers afterwards.
	c.do("GET", "/Users", nil).list(t)
}

// ---- RFC-03 bad input ----

func TestRFC03BadInput(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	t.Run("malformed JSON", func(t *testing.T) {
		bindT(c, t).do("POST", "/Users", `{"acve": tre, "userName": "malformed@example.com"}`).scimError(t, 400, "invalidSyntax")
		bindT(c, t).do("POST", "/Users", `{"userName": "trunc@example.com"`).scimError(t, 400, "invalidSyntax")
	})
	t.Run("missing userName", func(t *testing.T) {
		u := oktaUser("x@example.com")
		delete(u, "userName")
		bindT(c, t).do("POST", "/Users", u).scimError(t, 400, "")
		u["userName"] = ""
		bindT(c, t).do("POST", "/Users", u).scimError(t, 400, "")
	})
	wrong := []struct {
		name  string
		key   string
		value any
	}{
		{"active object", "active", map[string]any{"x": 1}},
		{"active number", "active", 7},
		{"userName number", "userName", 5},
		{"name string", "name", "Just A String"},
		{"displayName array", "displayName", []any{"a", "b"}},
	}
	for i, w := range wrong {
		t.Run("wrong type "+w.name, func(t *testing.T) {
			userName := fmt.Sprintf("wrongtype%d@example.com", i)
			u := oktaUser(userName)
			u[w.key] = w.value
			bindT(c, t).do("POST", "/Users", u).scimError(t, 400, "invalidValue")
			if res := filterUsers(t, c, `userName eq "`+userName+`"`); len(res) != 0 {
				t.Fatalf("rejected request stored a user: %v", res)
			}
			// Only the admin is in the team.
			if n := num(bindT(c, t).do("GET", "/Users", nil).Body, "totalResults"); n != 1 {
				t.Fatalf("totalResults %d after rejected creates, want 1", n)
			}
		})
	}
}

// ---- RFC-04 unsupported endpoints ----

func TestRFC04Unsupported(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	bulk := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "failOnErrors": 1,
		"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": oktaUser("bulk@example.com")}},
	}
	// RFC-28: either bulk is supported (200 BulkResponse) or it is not
	// (501); ServiceProviderConfig must say which.
	supported := get(c.do("GET", "/ServiceProviderConfig", nil).must(t, 200).Body, "bulk", "supported")
	r := c.do("POST", "/Bulk", bulk)
	if supported == true {
		r.must(t, 200)
		if !hasString(r.Body["schemas"], "urn:ietf:params:scim:api:messages:2.0:BulkResponse") || str(r.Body, "Operations", 0, "status") != "201" ||
			str(r.Body, "Operations", 0, "bulkId") != "qwerty" {
			t.Errorf("BulkResponse: %s", r.Raw)
		}
		if res := filterUsers(t, c, `userName eq "bulk@example.com"`); len(res) != 1 || str(res[0], "id") == "" ||
			!strings.HasSuffix(str(r.Body, "Operations", 0, "location"), "/Users/"+str(res[0], "id")) {
			t.Errorf("/Bulk POST not stored as reported: %v / %s", res, r.Raw)
		}
	} else {
		r.scimError(t, http.StatusNotImplemented, "")
		if res := filterUsers(t, c, `userName eq "bulk@example.com"`); len(res) != 0 {
			t.Fatalf("/Bulk created a user")
		}
	}
	c.do("GET", "/Me", nil).scimError(t, http.StatusNotImplemented, "")
}

// ---- RFC-05..08 discovery ----

func TestRFC05ServiceProviderConfig(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	b := c.do("GET", "/ServiceProviderConfig", nil).must(t, 200).Body
	if !hasString(b["schemas"], "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig") {
		t.Errorf("schemas: %v", b["schemas"])
	}
	if _, isList := b["Resources"]; isList {
		t.Errorf("ServiceProviderConfig must be a single object, not a list")
	}
	for _, p := range [][]any{{"patch", "supported"}, {"bulk", "supported"}, {"filter", "supported"}, {"changePassword", "supported"}, {"sort", "supported"}, {"etag", "supported"}} {
		if _, ok := get(b, p...).(bool); !ok {
			t.Errorf("%v is not a boolean: %v", p, get(b, p...))
		}
	}
	for _, p := range [][]any{{"bulk", "maxOperations"}, {"bulk", "maxPayloadSize"}, {"filter", "maxResults"}} {
		if _, ok := get(b, p...).(float64); !ok {
			t.Errorf("%v is not a number: %v", p, get(b, p...))
		}
	}
	// Truthful: PATCH and filters work, /Bulk answers 501.
	if get(b, "patch", "supported") != true {
		t.Errorf("patch.supported = %v", get(b, "patch", "supported"))
	}
	if get(b, "filter", "supported") != true {
		t.Errorf("filter.supported = %v", get(b, "filter", "supported"))
	}
	// bulk.supported is checked against /Bulk's behaviour in TestRFC04Unsupported.
	if m := num(b, "filter", "maxResults"); m < 1 || m > 1000 {
		t.Errorf("filter.maxResults = %d", m)
	}
	schemes, _ := b["authenticationSchemes"].([]any)
	if len(schemes) == 0 {
		t.Fatalf("no authenticationSchemes: %v", b)
	}
	found := false
	for _, s := range schemes {
		if str(s, "type") == "oauthbearertoken" {
			found = true
			if str(s, "name") == "" || str(s, "description") == "" {
				t.Errorf("bearer scheme lacks name/description: %v", s)
			}
		}
	}
	if !found {
		t.Errorf("no oauthbearertoken scheme: %v", schemes)
	}
	if str(b, "meta", "resourceType") != "ServiceProviderConfig" || !strings.HasSuffix(str(b, "meta", "location"), "/ServiceProviderConfig") {
		t.Errorf("meta: %v", b["meta"])
	}
}

func TestRFC06ResourceTypes(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	res := c.do("GET", "/ResourceTypes", nil).list(t)
	if len(res) < 2 {
		t.Fatalf("want User and Group, got %v", res)
	}
	u := res[0]
	if str(u, "id") != "User" || str(u, "name") != "User" || str(u, "endpoint") != "/Users" || str(u, "schema") != userURN {
		t.Errorf("first resource type: %v", u)
	}
	if !hasString(get(u, "schemas"), "urn:ietf:params:scim:schemas:core:2.0:ResourceType") {
		t.Errorf("ResourceType schemas: %v", get(u, "schemas"))
	}
	exts, _ := get(u, "schemaExtensions").([]any)
	okExt := false
	for _, e := range exts {
		if str(e, "schema") == entURN && get(e, "required") == false {
			okExt = true
		}
	}
	if !okExt {
		t.Errorf("User lacks the enterprise extension (required false): %v", exts)
	}
	var group any
	for _, r := range res {
		if str(r, "id") == "Group" {
			group = r
		}
	}
	if str(group, "endpoint") != "/Groups" || str(group, "schema") != groupURN {
		t.Errorf("Group resource type: %v", group)
	}
	one := c.do("GET", "/ResourceTypes/User", nil).must(t, 200).Body
	if str(one, "id") != "User" || str(one, "endpoint") != "/Users" || one["Resources"] != nil {
		t.Errorf("/ResourceTypes/User: %v", one)
	}
	c.do("GET", "/ResourceTypes/Nope", nil).scimError(t, 404, "")
}

func TestRFC07Schemas(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	r := c.do("GET", "/Schemas", nil)
	res := r.list(t)
	if _, ok := r.Body["totalResults"]; !ok {
		t.Fatal("no totalResults")
	}
	byID := map[string]any{}
	for _, s := range res {
		if str(s, "id") == "" || str(s, "name") == "" {
			t.Errorf("schema without id/name: %v", s)
		}
		byID[str(s, "id")] = s
	}
	for _, urn := range []string{userURN, groupURN, entURN} {
		if byID[urn] == nil {
			t.Errorf("/Schemas lacks %s", urn)
		}
	}
	if !strings.Contains(str(byID[userURN], "description"), "User Account") {
		t.Errorf("User schema description (PM-05): %q", str(byID[userURN], "description"))
	}
	if strings.Contains(string(r.Raw), ":null") {
		t.Errorf("/Schemas carries nulls")
	}
	one := c.do("GET", "/Schemas/"+userURN, nil).must(t, 200).Body
	if str(one, "id") != userURN || one["Resources"] != nil {
		t.Fatalf("/Schemas/%s: %v", userURN, one)
	}
	attrs, _ := one["attributes"].([]any)
	var userName any
	for _, a := range attrs {
		for _, k := range []string{"name", "type", "multiValued", "required", "mutability", "returned"} {
			if get(a, k) == nil {
				t.Errorf("attribute %s lacks %s", str(a, "name"), k)
			}
		}
		if str(a, "name") == "userName" {
			userName = a
		}
	}
	if get(userName, "required") != true || str(userName, "uniqueness") != "server" || get(userName, "caseExact") != false || str(userName, "type") != "string" {
		t.Errorf("userName attribute: %v", userName)
	}
	c.do("GET", "/Schemas/urn:example:nope", nil).scimError(t, 404, "")
}

func TestRFC08DiscoveryFilterForbidden(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for _, p := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} {
		t.Run(p, func(t *testing.T) {
			bc := bindT(c, t)
			bc.do("GET", p+"?filter="+url.QueryEscape(`id eq "User"`), nil).scimError(t, http.StatusForbidden, "")
			bc.do("GET", p+"?foo=bar&aadOptscim062020", nil).must(t, 200)
		})
	}
}

// ---- RFC-09..11 create ----

func TestRFC09Create(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u := oktaUser("create@example.com")
	u["id"] = "client-chosen-id"
	u["password"] = "S3cr3t-Pa55w0rd!"
	r := c.do("POST", "/Users", u).must(t, 201)
	id := str(r.Body, "id")
	if id == "" || id == "client-chosen-id" {
		t.Fatalf("id %q: client id must be ignored", id)
	}
	loc := r.Header.Get("Location")
	if loc == "" || loc != str(r.Body, "meta", "location") || !strings.HasPrefix(loc, "http") || !strings.HasSuffix(loc, "/Users/"+id) {
		t.Errorf("Location %q, meta.location %q", loc, str(r.Body, "meta", "location"))
	}
	if str(r.Body, "meta", "created") == "" || str(r.Body, "meta", "created") != str(r.Body, "meta", "lastModified") {
		t.Errorf("meta.created %q lastModified %q", str(r.Body, "meta", "created"), str(r.Body, "meta", "lastModified"))
	}
	if _, err := time.Parse(time.RFC3339, str(r.Body, "meta", "created")); err != nil {
		t.Errorf("meta.created not RFC 3339: %v", err)
	}
	if str(r.Body, "meta", "resourceType") != "User" || str(r.Body, "schemas", 0) != userURN {
		t.Errorf("resourceType / schemas[0]: %s", r.Raw)
	}
	for _, raw := range [][]byte{r.Raw, c.do("GET", "/Users/"+id, nil).must(t, 200).Raw, c.do("GET", "/Users", nil).must(t, 200).Raw} {
		if strings.Contains(strings.ToLower(string(raw)), "password") || strings.Contains(string(raw), "S3cr3t-Pa55w0rd!") {
			t.Errorf("password returned: %s", raw)
		}
	}
	// SUVERA follows meta.location.
	got := rawDo(t, c, "GET", loc, nil).must(t, 200)
	if str(got.Body, "id") != id {
		t.Errorf("GET meta.location: %s", got.Raw)
	}
	c.do("GET", "/Users/client-chosen-id", nil).scimError(t, 404, "")
}

func TestRFC10UniquenessCaseInsensitive(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.createUser("Mixed.Case@example.com")
	other := c.createUser("other@example.com")
	c.do("POST", "/Users", oktaUser("mixed.case@EXAMPLE.com")).scimError(t, 409, "uniqueness")
	c.do("POST", "/Users", oktaUser("MIXED.CASE@EXAMPLE.COM")).scimError(t, 409, "uniqueness")
	// Renaming onto a taken name is a clash too, and changes nothing.
	c.do("PATCH", "/Users/"+other, patch(op("replace", "userName", "MIXED.case@example.com"))).scimError(t, 409, "uniqueness")
	put := oktaUser("mixed.CASE@example.com")
	c.do("PUT", "/Users/"+other, put).scimError(t, 409, "uniqueness")
	if got := getUser(t, c, other); str(got, "userName") != "other@example.com" {
		t.Errorf("clash changed the user: %v", got)
	}
	if n := len(filterUsers(t, c, `userName eq "mixed.case@example.com"`)); n != 1 {
		t.Errorf("%d users with the name", n)
	}
}

func TestRFC11ReadOnlyIgnored(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	gid := newGroup(t, c, "Readers")
	u := oktaUser("ro@example.com")
	u["id"] = "my-own-id"
	u["meta"] = map[string]any{"resourceType": "User", "created": "2001-01-01T00:00:00Z", "lastModified": "2001-01-01T00:00:00Z", "location": "https://evil.example/Users/x"}
	u["groups"] = []any{map[string]any{"value": gid, "display": "Readers"}}
	r := c.do("POST", "/Users", u).must(t, 201)
	id := str(r.Body, "id")
	if id == "my-own-id" || strings.HasPrefix(str(r.Body, "meta", "created"), "2001") || strings.Contains(str(r.Body, "meta", "location"), "evil") {
		t.Fatalf("read-only attributes taken from the client: %s", r.Raw)
	}
	if m := groupMembers(t, c, gid); len(m) != 0 {
		t.Errorf("POST groups made the user a member: %v", m)
	}
	created := str(r.Body, "meta", "created")
	// PUT with the same id, bogus meta, groups → 200, nothing of that applied.
	u["id"] = id
	u["displayName"] = "Put Name"
	p := c.do("PUT", "/Users/"+id, u).must(t, 200)
	if str(p.Body, "id") != id || str(p.Body, "meta", "created") != created || str(p.Body, "displayName") != "Put Name" {
		t.Errorf("PUT: %s", p.Raw)
	}
	if m := groupMembers(t, c, gid); len(m) != 0 {
		t.Errorf("PUT groups made the user a member: %v", m)
	}
}

// ---- RFC-12 projection ----

func TestRFC12Projection(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("proj@example.com")
	allowed := map[string]bool{"id": true, "userName": true, "schemas": true, "meta": true}
	checkOnly := func(t *testing.T, r map[string]any) {
		t.Helper()
		for k := range r {
			if !allowed[k] {
				t.Errorf("attributes=userName returned %q: %v", k, r)
			}
		}
		if str(r, "id") == "" || str(r, "userName") == "" || r["schemas"] == nil {
			t.Errorf("projection lacks id/userName/schemas: %v", r)
		}
	}
	for _, a := range []string{"userName", "USERNAME", userURN + ":userName"} {
		t.Run("attributes="+a, func(t *testing.T) {
			bc := bindT(c, t)
			checkOnly(t, bc.do("GET", "/Users/"+id+"?attributes="+url.QueryEscape(a), nil).must(t, 200).Body)
			for _, r := range bc.do("GET", "/Users?attributes="+url.QueryEscape(a), nil).list(t) {
				m, _ := r.(map[string]any)
				checkOnly(t, m)
			}
		})
	}
	t.Run("dotted", func(t *testing.T) {
		b := bindT(c, t).do("GET", "/Users/"+id+"?attributes=name.givenName", nil).must(t, 200).Body
		name, _ := b["name"].(map[string]any)
		if len(name) != 1 || name["givenName"] != "Test" || b["emails"] != nil || b["displayName"] != nil {
			t.Errorf("attributes=name.givenName: %v", b)
		}
	})
	t.Run("excludedAttributes", func(t *testing.T) {
		b := bindT(c, t).do("GET", "/Users/"+id+"?excludedAttributes=emails,displayName", nil).must(t, 200).Body
		if b["emails"] != nil || b["displayName"] != nil || str(b, "userName") == "" || str(b, "id") == "" {
			t.Errorf("excludedAttributes=emails,displayName: %v", b)
		}
		b = bindT(c, t).do("GET", "/Users/"+id+"?excludedAttributes=id", nil).must(t, 200).Body
		if str(b, "id") != id {
			t.Errorf("id excluded: %v", b)
		}
	})
	t.Run("password never", func(t *testing.T) {
		r := bindT(c, t).do("GET", "/Users/"+id+"?attributes=password,userName", nil).must(t, 200)
		if strings.Contains(string(r.Raw), "password") || strings.Contains(string(r.Raw), "1mz050nq") {
			t.Errorf("password returned: %s", r.Raw)
		}
	})
}

// ---- RFC-13 empty lists ----

func TestRFC13EmptyList(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for _, p := range []string{"/Groups", "/Users?filter=" + url.QueryEscape(`userName eq "nobody@example.com"`), "/Groups?filter=" + url.QueryEscape(`displayName eq "nothing"`)} {
		t.Run(p, func(t *testing.T) {
			r := bindT(c, t).do("GET", p, nil)
			if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 {
				t.Fatalf("want empty: %s", r.Raw)
			}
			if !strings.Contains(strings.ReplaceAll(string(r.Raw), " ", ""), `"Resources":[]`) {
				t.Fatalf("empty list without \"Resources\": []: %s", r.Raw)
			}
		})
	}
}

// ---- RFC-14/16 filters ----

func TestRFC16BadFilters(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.createUser("filter@example.com")
	for _, f := range []string{
		`userName eq`, `((`, `foo bar baz`, `userName eq "x" and`, `userName xx "x"`, `)`, `userName eq "unterminated`,
		`emails[type eq "work"`, `userName eq "x" or`,
		// attributes the server cannot filter on
		`fooBar eq "x"`, `urn:ietf:params:scim:schemas:core:2.0:User:bogus eq "x"`, `name.nosuch eq "x"`,
		// ordering on a boolean (RFC-14)
		`active gt true`,
	} {
		t.Run(f, func(t *testing.T) {
			for _, base := range []string{"/Users", "/Groups"} {
				if strings.Contains(f, "User:bogus") && base == "/Groups" {
					continue
				}
				bindT(c, t).do("GET", base+"?filter="+url.QueryEscape(f), nil).scimError(t, 400, "invalidFilter")
			}
		})
	}
}

// ---- RFC-19 paging ----

func TestRFC19Paging(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for i := 0; i < 12; i++ {
		c.createUser(fmt.Sprintf("page%02d@example.com", i))
	}
	const total = 13 // the team's admin + 12
	all := c.do("GET", "/Users?count=1000", nil)
	allRes := all.list(t)
	if num(all.Body, "totalResults") != total || len(allRes) != total {
		t.Fatalf("want %d users: %s", total, all.Raw)
	}
	want := map[string]bool{}
	for _, r := range allRes {
		want[str(r, "id")] = true
	}
	seen := map[string]bool{}
	for start := 1; start <= total; start += 5 {
		r := c.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=5", start), nil)
		res := r.list(t)
		if num(r.Body, "totalResults") != total || num(r.Body, "startIndex") != start {
			t.Errorf("page %d: %s", start, r.Raw)
		}
		wantLen := min(5, total-start+1)
		if len(res) != wantLen {
			t.Errorf("page %d has %d items, want %d", start, len(res), wantLen)
		}
		for _, u := range res {
			id := str(u, "id")
			if seen[id] {
				t.Errorf("page %d repeats %s", start, id)
			}
			seen[id] = true
		}
	}
	if len(seen) != total {
		t.Errorf("pages covered %d of %d users", len(seen), total)
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("pages missed %s", id)
		}
	}
	first := c.do("GET", "/Users?startIndex=1&count=5", nil).list(t)
	for _, s := range []string{"0", "-3"} {
		r := c.do("GET", "/Users?startIndex="+s+"&count=5", nil)
		res := r.list(t)
		if num(r.Body, "startIndex") != 1 || len(res) != 5 || str(res[0], "id") != str(first[0], "id") {
			t.Errorf("startIndex=%s not treated as 1: %s", s, r.Raw)
		}
	}
	for _, cnt := range []string{"0", "-2"} {
		r := c.do("GET", "/Users?count="+cnt, nil)
		if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != total {
			t.Errorf("count=%s: %s", cnt, r.Raw)
		}
		if !strings.Contains(string(r.Raw), `"Resources":[]`) {
			t.Errorf("count=%s without Resources []: %s", cnt, r.Raw)
		}
	}
	r := c.do("GET", "/Users?startIndex=100&count=5", nil)
	if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != total || num(r.Body, "startIndex") != 100 {
		t.Errorf("past the end: %s", r.Raw)
	}
	r = c.do("GET", "/Users?count=100000", nil)
	if res := r.list(t); num(r.Body, "itemsPerPage") > 1000 || len(res) != total || num(r.Body, "totalResults") != total {
		t.Errorf("count=100000: %d items", len(res))
	}
	// With a filter, totals count the matches only.
	r = c.do("GET", "/Users?filter="+url.QueryEscape(`userName sw "page"`)+"&startIndex=11&count=5", nil)
	if res := r.list(t); len(res) != 2 || num(r.Body, "totalResults") != 12 {
		t.Errorf("filtered page: %s", r.Raw)
	}
}

// ---- RFC-20 PUT ----

func TestRFC20Put(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u := oktaUser("put@example.com")
	u["nickName"] = "Nicky"
	u["title"] = "Boss"
	id := str(c.do("POST", "/Users", u).must(t, 201).Body, "id")
	put := map[string]any{"schemas": []string{userURN}, "userName": "put@example.com", "name": map[string]any{"givenName": "New", "familyName": "Name", "formatted": "NewName"}, "active": true}
	r := c.do("PUT", "/Users/"+id, put).must(t, 200)
	for _, b := range []map[string]any{r.Body, getUser(t, c, id)} {
		if b["nickName"] != nil || b["title"] != nil || b["emails"] != nil || b["displayName"] != nil || b["externalId"] != nil {
			t.Errorf("PUT kept omitted attributes: %v", b)
		}
		if str(b, "name", "formatted") != "NewName" || str(b, "name", "givenName") != "New" || str(b, "id") != id {
			t.Errorf("PUT not applied: %v", b)
		}
	}
	noName := map[string]any{"schemas": []string{userURN}, "userame": "typo@example.com", "active": true}
	c.do("PUT", "/Users/"+id, noName).scimError(t, 400, "")
	if str(getUser(t, c, id), "userName") != "put@example.com" {
		t.Errorf("rejected PUT changed the user")
	}
	c.do("PUT", "/Users/does-not-exist", put).scimError(t, 404, "")
}

func TestPM53PutMisspelledAttribute(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u := oktaUser("omalley@example.com")
	u["addresses"] = []any{map[string]any{"type": "work", "country": "Germany", "primary": true}}
	id := str(c.do("POST", "/Users", u).must(t, 201).Body, "id")
	if !strings.Contains(string(c.do("GET", "/Users/"+id, nil).Raw), "Germany") {
		t.Fatal("address not stored")
	}
	put := map[string]any{"schemas": []string{userURN}, "userName": "omalley@example.com", "active": true,
		"adreses": []any{map[string]any{"type": "work", "country": "France"}}}
	r := c.do("PUT", "/Users/"+id, put).must(t, 200)
	for _, raw := range [][]byte{r.Raw, c.do("GET", "/Users/"+id, nil).must(t, 200).Raw} {
		if strings.Contains(string(raw), "Germany") || strings.Contains(string(raw), "France") || strings.Contains(string(raw), "adreses") {
			t.Errorf("PUT with adreses: %s", raw)
		}
	}
}

// ---- RFC-21 PATCH atomicity ----

func TestRFC21PatchAtomic(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("atomic@example.com")
	bad := []struct {
		name string
		op   map[string]any
	}{
		{"unknown op", op("frobnicate", "nickName", "x")},
		{"remove without path", op("remove", "", nil)},
		{"wrong type", op("replace", "active", map[string]any{"x": 1})},
		{"invalid path", op("replace", "name..givenName", "x")},
		{"remove userName", op("remove", "userName", nil)},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			bc := bindT(c, t)
			r := bc.do("PATCH", "/Users/"+id, patch(op("replace", "displayName", "Changed"), op("Add", "nickName", "Nick"), b.op))
			r.scimError(t, 400, "")
			got := getUser(t, c, id)
			if str(got, "displayName") != "Test User" || got["nickName"] != nil {
				t.Errorf("failed PATCH applied earlier ops: %v", got)
			}
		})
	}
	// PATCH of an unknown user is 404.
	c.do("PATCH", "/Users/does-not-exist", patch(op("replace", "displayName", "x"))).scimError(t, 404, "")
}

// ---- RFC-26 delete ----

func TestRFC26DeleteUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("gone@example.com")
	keep := c.createUser("stays@example.com")
	gid := newGroup(t, c, "Team", id, keep)
	if m := groupMembers(t, c, gid); len(m) != 2 {
		t.Fatalf("members %v", m)
	}
	r := c.do("DELETE", "/Users/"+id, nil).must(t, 204)
	if len(r.Raw) != 0 {
		t.Errorf("204 with a body: %s", r.Raw)
	}
	c.do("GET", "/Users/"+id, nil).scimError(t, 404, "")
	c.do("PUT", "/Users/"+id, oktaUser("gone@example.com")).scimError(t, 404, "")
	c.do("PATCH", "/Users/"+id, patch(op("replace", "active", false))).scimError(t, 404, "")
	c.do("DELETE", "/Users/"+id, nil).scimError(t, 404, "")
	if res := filterUsers(t, c, `userName eq "gone@example.com"`); len(res) != 0 {
		t.Errorf("deleted user still listed")
	}
	for _, u := range c.do("GET", "/Users?count=1000", nil).list(t) {
		if str(u, "id") == id {
			t.Errorf("deleted user in the list")
		}
	}
	if m := groupMembers(t, c, gid); len(m) != 1 || m[0] != keep {
		t.Errorf("group members after delete: %v, want only %s", m, keep)
	}
	// The name is free again.
	c.createUser("gone@example.com")
}

// ---- RFC-30, RFC-17, Q18 ----

func TestRFC30CaseInsensitiveNames(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("case.user@example.com")
	for _, f := range []string{`Username EQ "CASE.USER@example.com"`, `USERNAME eq "case.user@example.com"`, `userName Eq "Case.User@Example.Com"`} {
		if res := filterUsers(t, c, f); len(res) != 1 || str(res[0], "id") != id {
			t.Errorf("%s: %v", f, res)
		}
	}
	// Capitalised attribute names on input (PM-06/PM-07); canonical camelCase on output.
	body := map[string]any{
		"schemas": []string{userURN, entURN}, "UserName": "UserName123", "Active": true, "DisplayName": "BobIsAmazing",
		"Emails": []any{map[string]any{"Primary": true, "Type": "work", "Value": "bob@example.com"}, map[string]any{"Primary": false, "type": "home", "value": "bob@home.example"}},
		entURN:   map[string]any{"Department": "bob", "Manager": map[string]any{"Value": "SuzzyQ"}},
	}
	r := c.do("POST", "/Users", body).must(t, 201)
	b := r.Body
	if str(b, "userName") != "UserName123" || str(b, "displayName") != "BobIsAmazing" || get(b, "active") != true {
		t.Errorf("capitalised names: %s", r.Raw)
	}
	if w := findTyped(b["emails"], "work"); w == nil || w["value"] != "bob@example.com" || w["primary"] != true {
		t.Errorf("Emails: %s", r.Raw)
	}
	if str(b, entURN, "department") != "bob" || str(b, entURN, "manager", "value") != "SuzzyQ" {
		t.Errorf("enterprise extension: %s", r.Raw)
	}
	for _, k := range []string{"UserName", "Emails", "DisplayName", "Active"} {
		if _, ok := b[k]; ok {
			t.Errorf("non-canonical key %q in output", k)
		}
	}
	// PM-11: trailing slash, capitalised attribute, '+' spaces.
	res := c.do("GET", "/Users/?filter="+plusQ(`DisplayName eq "BobIsAmazing"`), nil).list(t)
	if len(res) != 1 || str(res[0], "id") != str(b, "id") {
		t.Errorf("PM-11: %v", res)
	}
}

func TestRFC17SearchAndQ18(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("search.me@example.com")
	c.createUser("other.one@example.com")
	r := c.do("POST", "/Users/.search", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `userName eq "SEARCH.me@example.com"`, "attributes": []string{"userName"}, "startIndex": 1, "count": 10,
	})
	res := r.list(t)
	if len(res) != 1 || str(res[0], "id") != id || num(r.Body, "totalResults") != 1 {
		t.Fatalf(".search: %s", r.Raw)
	}
	if get(res[0], "emails") != nil || get(res[0], "name") != nil {
		t.Errorf(".search ignored attributes: %v", res[0])
	}
	for _, p := range []string{
		"/Users/?filter=" + plusQ(`userName eq "search.me@example.com"`),
		"/Users?aadOptscim062020&filter=" + plusQ(`userName eq "search.me@example.com"`),
		"/Users/?aadOptscim062020&filter=" + plusQ(`userName eq "search.me@example.com"`) + "&unknownParam=1",
	} {
		t.Run(p, func(t *testing.T) {
			res := bindT(c, t).do("GET", p, nil).list(t)
			if len(res) != 1 || str(res[0], "id") != id {
				t.Fatalf("%s: %v", p, res)
			}
		})
	}
}

// ---- PM-44 string booleans on POST ----

func TestPM44StringBooleans(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for i, tc := range []struct {
		in   any
		want bool
	}{{"True", true}, {"true", true}, {"False", false}, {"FALSE", false}, {true, true}} {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			bc := bindT(c, t)
			u := oktaUser(fmt.Sprintf("emp%d@example.com", i))
			u["active"] = tc.in
			r := bc.do("POST", "/Users", u).must(t, 201)
			if got, ok := r.Body["active"].(bool); !ok || got != tc.want {
				t.Fatalf("active = %#v, want %v", r.Body["active"], tc.want)
			}
			if got := getUser(t, c, str(r.Body, "id")); got["active"] != tc.want {
				t.Fatalf("GET active = %#v", got["active"])
			}
		})
	}
}

// ---- RFC-24/25/31 and concurrency ----

func TestRFC24RemoveFilteredElement(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u := oktaUser("multi@example.com")
	u["emails"] = []any{map[string]any{"type": "work", "value": "w@example.com", "primary": true}, map[string]any{"type": "home", "value": "h@example.com"}}
	id := str(c.do("POST", "/Users", u).must(t, 201).Body, "id")
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("remove", `emails[type eq "work"]`, nil))))
	emails, _ := getUser(t, c, id)["emails"].([]any)
	if len(emails) != 1 || str(emails[0], "type") != "home" {
		t.Fatalf("emails %v", emails)
	}
	// Removing a required attribute is refused.
	c.do("PATCH", "/Users/"+id, patch(op("remove", "userName", nil))).scimError(t, 400, "")
}

func TestRFC25ReadOnlyPatch(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	id := c.createUser("ro.patch@example.com")
	c.do("PATCH", "/Users/"+id, patch(op("replace", "id", "other-id"))).scimError(t, 400, "mutability")
	// Restating the same id is tolerated (Okta OKTA-13).
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"id": id, "active": false}))))
	if b := getUser(t, c, id); b["active"] != false || str(b, "id") != id {
		t.Fatalf("%v", b)
	}
	c.do("PATCH", "/Users/"+id, patch(op("replace", `emails[type eq "work"`, "x"))).scimError(t, 400, "invalidPath")
}

func TestRFC31LastModifiedAdvances(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := startServerClock(t, clock)
	c, _ := srv.newTeam("Acme")
	r := c.do("POST", "/Users", oktaUser("lm@example.com")).must(t, 201)
	id := str(r.Body, "id")
	created, _ := time.Parse(time.RFC3339, str(r.Body, "meta", "created"))
	clock.Add(1100 * time.Millisecond) // meta times are to the second
	okOrNoContent(t, c.do("PATCH", "/Users/"+id, patch(op("replace", "displayName", "Later"))))
	b := getUser(t, c, id)
	lm, err := time.Parse(time.RFC3339, str(b, "meta", "lastModified"))
	if err != nil || !lm.After(created) || str(b, "meta", "created") != str(r.Body, "meta", "created") {
		t.Fatalf("meta after PATCH: %v (created %v)", b["meta"], created)
	}
}

// statusOnly sends a JSON request without a testing.T (for goroutines).
func statusOnly(c *client, method, path string, body any) (int, string) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(string(j)))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	const n = 30
	type result struct {
		status int
		body   string
	}
	// Distinct users in parallel (≥25 req/s): all succeed.
	out := make(chan result, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			s, b := statusOnly(c, "POST", "/Users", oktaUser(fmt.Sprintf("par%02d@example.com", i)))
			out <- result{s, b}
		}(i)
	}
	for i := 0; i < n; i++ {
		if r := <-out; r.status != 201 {
			t.Errorf("parallel create: %d %s", r.status, r.body)
		}
	}
	if got := num(c.do("GET", "/Users?count=0", nil).Body, "totalResults"); got != n+1 {
		t.Errorf("totalResults %d, want %d", got, n+1)
	}
	// The same userName in parallel: exactly one 201, the rest 409.
	for i := 0; i < n; i++ {
		go func(i int) {
			name := "race@example.com"
			if i%2 == 1 {
				name = "RACE@example.com"
			}
			s, b := statusOnly(c, "POST", "/Users", oktaUser(name))
			out <- result{s, b}
		}(i)
	}
	created := 0
	for i := 0; i < n; i++ {
		switch r := <-out; r.status {
		case 201:
			created++
		case 409:
		default:
			t.Errorf("racing duplicate: %d %s", r.status, r.body)
		}
	}
	if created != 1 {
		t.Errorf("%d racing duplicates created, want 1", created)
	}
	// Parallel member adds to one group: the union survives.
	gid := newGroup(t, c, "Racers")
	ids := filterUsers(t, c, `userName sw "par"`)
	for _, u := range ids {
		go func(id string) {
			s, b := statusOnly(c, "PATCH", "/Groups/"+gid, patch(op("Add", "members", []any{map[string]any{"value": id}})))
			out <- result{s, b}
		}(str(u, "id"))
	}
	for range ids {
		if r := <-out; r.status != 200 && r.status != 204 {
			t.Errorf("parallel member add: %d %s", r.status, r.body)
		}
	}
	if got := groupMembers(t, c, gid); len(got) != len(ids) {
		t.Errorf("group has %d members after %d parallel adds", len(got), len(ids))
	}
}

// ---- RFC-14 operators ----

func TestRFC14FilterOperators(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	mk := func(userName, nick string, active bool) string {
		u := oktaUser(userName)
		if nick != "" {
			u["nickName"] = nick
		}
		u["active"] = active
		return str(c.do("POST", "/Users", u).must(t, 201).Body, "id")
	}
	pct := mk("100%real@example.com", "", true)
	under := mk("a_b@example.com", "nick", true)
	axb := mk("axb@example.com", "", false)
	emile := mk("Émile.Zola@example.fr", "Zo", true)
	cases := []struct {
		filter string
		want   []string
	}{
		{`userName co "%"`, []string{pct}},
		{`userName sw "a_"`, []string{under}},
		{`userName ew "_b@example.com"`, []string{under}},
		{`userName co "B@EXAMPLE"`, []string{under, axb}},
		{`userName eq "émile.zola@example.fr"`, []string{emile}},
		{`userName eq "ÉMILE.ZOLA@EXAMPLE.FR"`, []string{emile}},
		{`nickName pr and userName ne "a_b@example.com"`, []string{emile}},
		{`not (active eq true) and userName ew "@example.com"`, []string{axb}},
		{`userName eq "axb@example.com" or userName eq "a_b@example.com" and active eq false`, []string{axb}},
		{`(userName eq "axb@example.com" or userName eq "a_b@example.com") and active eq true`, []string{under}},
		{`emails[type eq "work" and value co "zola"]`, []string{emile}},
		{`emails.value sw "axb@"`, []string{axb}},
		{`emails co "100%"`, []string{pct}},
		{`meta.resourceType eq "User" and userName sw "axb"`, []string{axb}},
		{`meta.created gt "2011-05-13T04:42:34Z" and userName ew "@example.com"`, []string{pct, under, axb}},
		{`meta.created lt "2011-05-13T04:42:34Z"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			var got []string
			for _, r := range filterUsers(t, c, tc.filter) {
				got = append(got, str(r, "id"))
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(sortedIDs(tc.want...), ",") {
				t.Errorf("got %v, want %v", got, sortedIDs(tc.want...))
			}
		})
	}
	t.Run("uniqueness beyond ASCII", func(t *testing.T) {
		bindT(c, t).do("POST", "/Users", oktaUser("émile.zola@example.fr")).scimError(t, 409, "uniqueness")
	})
	t.Run("sortBy", func(t *testing.T) {
		for _, order := range []string{"ascending", "descending"} {
			res := bindT(c, t).do("GET", "/Users?sortBy=userName&sortOrder="+order, nil).list(t)
			for i := 1; i < len(res); i++ {
				a, b := strings.ToLower(str(res[i-1], "userName")), strings.ToLower(str(res[i], "userName"))
				if (order == "ascending" && a > b) || (order == "descending" && a < b) {
					t.Errorf("%s: %q before %q", order, a, b)
				}
			}
		}
	})
}

// NUL characters can't be stored by PostgreSQL; both backends refuse them
// the same way instead of one answering 500.
func TestNULCharactersRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	c.do("POST", "/Users", `{"userName":"a\u0000b@example.com"}`).scimError(t, 400, "invalidValue")
	c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "a\u0000b"`), nil).scimError(t, 400, "")
	c.do("GET", `/Users?filter=userName+eq+%22a\u0000b%22`, nil).scimError(t, 400, "invalidFilter")
	c.do("GET", "/Users/a%00b", nil).scimError(t, 400, "")
}
