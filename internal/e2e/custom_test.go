package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
)

const customURN = scim.CustomUserURN

func TestCustomUserAttributes(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	other, _ := srv.newTeam("Other")
	for _, a := range []scim.CustomAttribute{
		{Name: "costCode", Type: "string"},
		{Name: "badges", Type: "string", MultiValued: true},
		{Name: "level", Type: "integer"},
		{Name: "remote", Type: "boolean"},
		{Name: "badgeId", Type: "string", CaseExact: true},
	} {
		if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, a, testActor); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, scim.CustomAttribute{Name: "CostCode", Type: "string"}, testActor); err == nil {
		t.Fatal("a second costCode (other case) was accepted")
	}
	if err := srv.Svc.AddCustomAttribute(t.Context(), team.Slug, scim.CustomAttribute{Name: "bad name", Type: "string"}, testActor); err == nil {
		t.Fatal("an invalid name was accepted")
	}

	// The team's key sees its attributes in /Schemas; no key, or another
	// team's key, sees only the standard schemas.
	hasCustom := func(cl *client) bool {
		for _, s := range cl.do("GET", "/Schemas", nil).list(t) {
			if str(s, "id") == customURN {
				return len(get(s, "attributes").([]any)) == 5
			}
		}
		return false
	}
	if !hasCustom(c) || hasCustom(other) || hasCustom(c.withAuth("")) {
		t.Fatal("custom schema shown to the wrong callers")
	}
	rt := c.do("GET", "/ResourceTypes/User", nil).must(t, 200)
	if len(get(rt.Body, "schemaExtensions").([]any)) != 2 {
		t.Fatalf("ResourceType lacks the custom extension: %s", rt.Raw)
	}
	c.do("GET", "/Schemas/"+customURN, nil).must(t, 200)

	for i, v := range []map[string]any{
		{"costCode": "CC-1", "badges": []any{"gold", "Silver"}, "level": 5, "remote": "True", "badgeId": "AbC"},
		{"costCode": "cc-2", "badges": "bronze", "level": 2, "remote": false},
		{"COSTCODE": "cc-1", "level": "7"},
	} {
		u := oktaUser(fmt.Sprintf("custom%d@example.com", i))
		u[customURN] = v
		r := c.do("POST", "/Users", u).must(t, 201)
		if !hasString(r.Body["schemas"], customURN) {
			t.Fatalf("schemas lack the custom URN: %s", r.Raw)
		}
	}
	res := c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "custom0@example.com"`), nil).list(t)
	if got := get(res[0], customURN); fmt.Sprint(got) != "map[badgeId:AbC badges:[gold Silver] costCode:CC-1 level:5 remote:true]" {
		t.Fatalf("stored custom attributes: %v", got)
	}
	count := func(f string) int {
		r := c.do("GET", "/Users?filter="+url.QueryEscape(f), nil)
		r.list(t)
		return num(r.Body, "totalResults")
	}
	for f, want := range map[string]int{
		customURN + `:costCode eq "CC-1"`:                                   2, // caseExact false
		customURN + `:badgeId eq "abc"`:                                     0, // caseExact true
		customURN + `:badgeId eq "AbC"`:                                     1,
		customURN + `:badges eq "silver"`:                                   1,
		customURN + `:badges co "o"`:                                        2, // gold, bronze
		customURN + `:level gt 4`:                                           2,
		customURN + `:level le 2`:                                           1,
		customURN + `:remote eq true`:                                       1,
		customURN + `:level pr and not (` + customURN + `:remote eq false)`: 2,
	} {
		if got := count(f); got != want {
			t.Errorf("%s: %d, want %d", f, got, want)
		}
	}
	c.do("GET", "/Users?filter="+url.QueryEscape(customURN+`:level co "1"`), nil).scimError(t, 400, "invalidFilter")
	c.do("GET", "/Users?filter="+url.QueryEscape(customURN+`:nope eq "1"`), nil).scimError(t, 400, "invalidFilter")

	// PATCH by URN path, and path-less with a URN-qualified key.
	id := str(res[0], "id")
	c.do("PATCH", "/Users/"+id, patch(
		op("replace", customURN+":level", 9),
		op("add", customURN+":badges", []any{"platinum"}),
		op("replace", "", map[string]any{customURN + ":costCode": "CC-9"}),
	)).must(t, 200)
	got := c.do("GET", "/Users/"+id, nil).must(t, 200)
	if fmt.Sprint(get(got.Body, customURN)) != "map[badgeId:AbC badges:[gold Silver platinum] costCode:CC-9 level:9 remote:true]" {
		t.Fatalf("after PATCH: %v", get(got.Body, customURN))
	}
	c.do("PATCH", "/Users/"+id, patch(op("replace", customURN+":level", "high"))).scimError(t, 400, "invalidValue")
	// Sorting by a custom attribute.
	sorted := c.do("GET", "/Users?filter="+url.QueryEscape(customURN+":level pr")+"&sortBy="+url.QueryEscape(customURN+":level")+"&sortOrder=descending", nil).list(t)
	if len(sorted) != 3 || num(sorted[0], customURN, "level") != 9 || num(sorted[2], customURN, "level") != 2 {
		t.Fatalf("sort by level: %v", sorted)
	}
	// Another team's users can't carry this team's attributes.
	u := oktaUser("x@other.example")
	u[customURN] = map[string]any{"costCode": "CC-1"}
	if r := other.do("POST", "/Users", u).must(t, 201); get(r.Body, customURN) != nil {
		t.Fatalf("other team stored a custom attribute it never declared: %s", r.Raw)
	}
	// Removing the declaration stops serving the values.
	if err := srv.Svc.RemoveCustomAttribute(t.Context(), team.Slug, "badges", testActor); err != nil {
		t.Fatal(err)
	}
	c.do("GET", "/Users?filter="+url.QueryEscape(customURN+`:badges eq "gold"`), nil).scimError(t, 400, "invalidFilter")
	if got := c.do("GET", "/Users/"+id, nil).must(t, 200); get(got.Body, customURN, "badges") != nil || get(got.Body, customURN, "level") == nil {
		t.Fatalf("after removing badges: %v", get(got.Body, customURN))
	}
}
