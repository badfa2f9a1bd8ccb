package e2e

import (
	"fmt"
	"net/url"
	"testing"
)

// Engine features beyond what Okta and Entra send: versions (RFC 7644
// §3.14), sorting (§3.4.2.3) and filters on any schema attribute.

func TestETags(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	created := c.do("POST", "/Users", oktaUser("etag@example.com")).must(t, 201)
	id := str(created.Body, "id")
	v1 := created.Header.Get("ETag")
	if v1 == "" || v1 != str(created.Body, "meta", "version") {
		t.Fatalf("ETag %q vs meta.version %q", v1, str(created.Body, "meta", "version"))
	}
	got := c.do("GET", "/Users/"+id, nil).must(t, 200)
	if got.Header.Get("ETag") != v1 {
		t.Fatalf("GET ETag %q, want %q", got.Header.Get("ETag"), v1)
	}
	// If-None-Match with the current version: 304, no body.
	if r := c.do("GET", "/Users/"+id, nil, "If-None-Match", v1); r.Status != 304 || len(r.Raw) != 0 {
		t.Fatalf("If-None-Match current: %d %s", r.Status, r.Raw)
	}
	c.do("GET", "/Users/"+id, nil, "If-None-Match", `W/"999"`).must(t, 200)

	// A write with the current version succeeds and moves the version on.
	p := c.do("PATCH", "/Users/"+id, patch(op("replace", "nickName", "Ed")), "If-Match", v1).must(t, 200)
	v2 := p.Header.Get("ETag")
	if v2 == "" || v2 == v1 || v2 != str(p.Body, "meta", "version") {
		t.Fatalf("version after PATCH: %q (was %q)", v2, v1)
	}
	// Stale versions fail with 412 and change nothing.
	c.do("PATCH", "/Users/"+id, patch(op("replace", "nickName", "Stale")), "If-Match", v1).scimError(t, 412, "")
	full := c.do("GET", "/Users/"+id, nil).Body
	full["nickName"] = "StalePut"
	c.do("PUT", "/Users/"+id, full, "If-Match", v1).scimError(t, 412, "")
	c.do("DELETE", "/Users/"+id, nil, "If-Match", v1).scimError(t, 412, "")
	if now := c.do("GET", "/Users/"+id, nil).must(t, 200); str(now.Body, "nickName") != "Ed" || now.Header.Get("ETag") != v2 {
		t.Fatalf("a 412 changed the user: %s", now.Raw)
	}
	// The strong form of the same tag and "*" match too.
	strong := v2[2:]
	c.do("PUT", "/Users/"+id, full, "If-Match", strong).must(t, 200)
	c.do("DELETE", "/Users/"+id, nil, "If-Match", "*").must(t, 204)

	// Groups: a membership change is a new version.
	uid := c.createUser("member@example.com")
	g := c.do("POST", "/Groups", map[string]any{"displayName": "G"}).must(t, 201)
	gid, gv1 := str(g.Body, "id"), g.Header.Get("ETag")
	added := c.do("PATCH", "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": uid}})), "If-Match", gv1).must(t, 200)
	if added.Header.Get("ETag") == gv1 {
		t.Fatal("membership change kept the group's version")
	}
	c.do("PATCH", "/Groups/"+gid, patch(op("remove", "members", nil)), "If-Match", gv1).scimError(t, 412, "")
	if got := memberValues(t, c, gid); len(got) != 1 {
		t.Fatalf("a 412 removed members: %v", got)
	}
	spc := c.do("GET", "/ServiceProviderConfig", nil).must(t, 200)
	if get(spc.Body, "etag", "supported") != true || get(spc.Body, "sort", "supported") != true {
		t.Fatalf("ServiceProviderConfig: %s", spc.Raw)
	}
}

func TestSortAndAttributeFilters(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for i, fam := range []string{"stark", "Banner", "odinson"} {
		u := oktaUser(fmt.Sprintf("hero%d@example.com", i))
		u["name"] = map[string]any{"givenName": "G", "familyName": fam}
		u[entURN] = map[string]any{"employeeNumber": fmt.Sprint(100 - i), "department": "Avengers"}
		c.do("POST", "/Users", u).must(t, 201)
	}
	// The admin that team creation made has a name read off its email
	// (Admin); remove it, so a member without familyName shows where
	// missing values sort.
	admin := c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "admin@acme.example"`), nil).list(t)
	c.do("PATCH", "/Users/"+str(admin[0], "id"), patch(op("remove", "name", nil))).must(t, 200)
	names := func(res []any) []string {
		var out []string
		for _, r := range res {
			out = append(out, str(r, "name", "familyName"))
		}
		return out
	}
	// Ascending by default, case-insensitive; the admin (no familyName) last.
	res := c.do("GET", "/Users?sortBy=name.familyName", nil).list(t)
	if fmt.Sprint(names(res)) != "[Banner odinson stark ]" {
		t.Fatalf("sortBy familyName: %v", names(res))
	}
	res = c.do("GET", "/Users?sortBy=name.familyName&sortOrder=descending&count=3", nil).list(t)
	if fmt.Sprint(names(res)) != "[stark odinson Banner]" {
		t.Fatalf("descending: %v", names(res))
	}
	c.do("GET", "/Users?sortBy=name.familyName&sortOrder=sideways", nil).scimError(t, 400, "invalidValue")
	c.do("GET", "/Users?sortBy=noSuchAttribute", nil).scimError(t, 400, "invalidValue")

	// Filters on attributes without their own column (RFC-15).
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`name.familyName co "N"`, 2},
		{`name.familyName eq "STARK" or name.familyName eq "banner"`, 2},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "99"`, 1},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "avengers" and not (name.familyName sw "o")`, 2},
		{`emails[type eq "work" and value co "hero1"]`, 1},
		{`emails co "hero"`, 3},
		{`meta.resourceType eq "User"`, 4}, // the admin too
		{`meta.resourceType eq "Group"`, 0},
		{`meta.location eq "x"`, -1}, // not filterable: a clear 400
	} {
		r := c.do("GET", "/Users?filter="+url.QueryEscape(tc.filter), nil)
		if tc.want < 0 {
			r.scimError(t, 400, "invalidFilter")
			continue
		}
		if res := r.list(t); len(res) != tc.want || num(r.Body, "totalResults") != tc.want {
			t.Errorf("%s: %d results, want %d: %s", tc.filter, len(res), tc.want, r.Raw)
		}
	}
	// The same through POST /.search with a SearchRequest.
	r := c.do("POST", "/Users/.search", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `name.familyName pr`, "sortBy": "name.familyName", "sortOrder": "descending",
		"attributes": []string{"name.familyName"}, "startIndex": 1, "count": 2,
	})
	res = r.list(t)
	if num(r.Body, "totalResults") != 3 || fmt.Sprint(names(res)) != "[stark odinson]" || get(res[0], "userName") != nil {
		t.Fatalf(".search: %s", r.Raw)
	}
	// Members of the wrong type are refused, never ignored (a filter sent
	// as a number must not list everyone); null means absent.
	c.do("POST", "/Users/.search", map[string]any{"filter": 42}).scimError(t, 400, "invalidFilter")
	c.do("POST", "/Users/.search", map[string]any{"attributes": []any{"userName", 7}}).scimError(t, 400, "invalidValue")
	c.do("POST", "/Users/.search", map[string]any{"count": true}).scimError(t, 400, "invalidValue")
	c.do("POST", "/Users/.search", map[string]any{"sortBy": map[string]any{}}).scimError(t, 400, "invalidValue")
	if r := c.do("POST", "/Users/.search", map[string]any{"filter": `name.familyName pr`, "startIndex": nil}); num(r.Body, "totalResults") != 3 {
		t.Fatalf(".search with a null startIndex: %s", r.Raw)
	}
}
