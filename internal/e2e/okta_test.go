package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
)

// These tests replay Okta's provisioning traffic (idp-conformance.md §1)
// and its Runscope SPEC suite (§2a) against a running server.

func TestOktaTestAPICredentials(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	// OKTA-01: count=2 is a constant; the team's first admin exists already.
	res := c.do("GET", "/Users?startIndex=1&count=2", nil).list(t)
	if len(res) != 1 || num(c.do("GET", "/Users?startIndex=1&count=2", nil).Body, "startIndex") != 1 {
		t.Fatalf("want the admin as the only user, got %v", res)
	}
	// OKB legacy probe of Groups.
	c.do("GET", "/Groups?count=100&startIndex=1", nil).list(t)
}

func TestOktaSPECSuite(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	// OKS-01: the oldest user is the active admin with the six fields.
	first := c.createUser("runscope123@atko.com")
	_ = first
	r := c.do("GET", "/Users?count=1&startIndex=1", nil)
	res := r.list(t)
	if len(res) != 1 {
		t.Fatalf("OKS-01: %d resources", len(res))
	}
	u := res[0]
	for _, path := range [][]any{{"id"}, {"userName"}, {"emails", 0, "value"}} {
		if str(u, path...) == "" {
			t.Errorf("OKS-01: %v empty in %v", path, u)
		}
	}
	if get(u, "active") != true {
		t.Errorf("OKS-01: active = %v", get(u, "active"))
	}
	id := str(u, "id")
	// OKS-02
	if got := c.do("GET", "/Users/"+id, nil).must(t, 200); str(got.Body, "id") != id {
		t.Fatalf("OKS-02: id %v", got.Body["id"])
	}
	// OKS-03, OKS-05: misses are 200 with totalResults 0, no paging params.
	for _, q := range []string{`userName eq "abcdefgh@atko.com"`, `userName eq "RunscopeXyz@atko.com"`} {
		r := c.do("GET", "/Users?filter="+url.QueryEscape(q), nil)
		if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 {
			t.Fatalf("%s: %s", q, r.Raw)
		}
	}
	// OKS-04, OKS-12
	for _, missing := range []string{"010101001010101011001010101011", "00919288221112222"} {
		c.do("GET", "/Users/"+missing, nil).scimError(t, 404, "")
	}
	// OKS-06: Content-Type application/json.
	userName := "RunscopeGiven789Abcdefghi123@atko.com"
	body := map[string]any{
		"schemas": []string{userURN}, "userName": userName,
		"name":        map[string]any{"givenName": "RunscopeGiven789", "familyName": "Abcdefghi123"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "RunscopeGiven789 Abcdefghi123", "active": true,
	}
	jc := *c
	jc.contentType = "application/json"
	created := jc.do("POST", "/Users", body, "Accept", "application/scim+json; charset=utf-8").must(t, 201)
	if created.Body["active"] != true || str(created.Body, "userName") != userName || !hasString(created.Body["schemas"], userURN) ||
		str(created.Body, "name", "givenName") != "RunscopeGiven789" || str(created.Body, "name", "familyName") != "Abcdefghi123" {
		t.Fatalf("OKS-06: %s", created.Raw)
	}
	newID := str(created.Body, "id")
	// OKS-07
	got := c.do("GET", "/Users/"+newID, nil).must(t, 200)
	if str(got.Body, "userName") != userName || str(got.Body, "name", "familyName") != "Abcdefghi123" {
		t.Fatalf("OKS-07: %s", got.Raw)
	}
	// OKS-08: duplicate → 409.
	c.do("POST", "/Users", body).scimError(t, 409, "uniqueness")
	// OKS-09: case-insensitive userName lookup finds the user.
	r = c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+strings.ToUpper(userName)+`"`), nil)
	if res := r.list(t); len(res) != 1 || str(res[0], "id") != newID {
		t.Fatalf("OKS-09: %s", r.Raw)
	}
	// OKS-10
	c.do("GET", "/Groups", nil).list(t)
	// OKS-11: a bad credential gets a JSON 401 with a string status.
	c.withAuth("non-token").do("GET", "/Users?filter="+url.QueryEscape(`userName eq "X"`), nil).scimError(t, 401, "")
}

func TestOktaUserLifecycle(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	const userName = "test.user@okta.local"
	// OKTA-03: the existence check before create, %20-encoded.
	r := c.do("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", nil)
	if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 || num(r.Body, "startIndex") != 1 {
		t.Fatalf("OKTA-03: %s", r.Raw)
	}
	// OKTA-04: create returns the full user, never the password.
	created := c.do("POST", "/Users", oktaUser(userName)).must(t, 201)
	id := str(created.Body, "id")
	if id == "" || strings.Contains(string(created.Raw), "1mz050nq") || created.Body["password"] != nil {
		t.Fatalf("OKTA-04: %s", created.Raw)
	}
	if created.Header.Get("Location") != str(created.Body, "meta", "location") || !strings.HasSuffix(str(created.Body, "meta", "location"), "/Users/"+id) {
		t.Fatalf("Location %q vs meta.location %q", created.Header.Get("Location"), str(created.Body, "meta", "location"))
	}
	if str(created.Body, "meta", "resourceType") != "User" || str(created.Body, "externalId") != "00u"+userName {
		t.Fatalf("OKTA-04 meta/externalId: %s", created.Raw)
	}
	// OKTA-05: duplicate.
	c.do("POST", "/Users", oktaUser(userName)).scimError(t, 409, "uniqueness")
	// The existence check now links to the user.
	r = c.do("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", nil)
	if res := r.list(t); len(res) != 1 || str(res[0], "id") != id {
		t.Fatalf("existence check after create: %s", r.Raw)
	}
	// OKTA-06
	c.do("GET", "/Users/"+id, nil).must(t, 200)
	// OKTA-07: GET then PUT the whole object with a changed name; id, meta
	// and groups in the body are read-only and ignored.
	full := c.do("GET", "/Users/"+id, nil).must(t, 200).Body
	full["name"] = map[string]any{"givenName": "Changed", "familyName": "User"}
	full["groups"] = []any{}
	put := c.do("PUT", "/Users/"+id, full).must(t, 200)
	if str(put.Body, "name", "givenName") != "Changed" || put.Body["active"] != true || str(put.Body, "id") != id {
		t.Fatalf("OKTA-07: %s", put.Raw)
	}
	if str(put.Body, "meta", "lastModified") < str(put.Body, "meta", "created") {
		t.Fatalf("lastModified before created: %s", put.Raw)
	}
	// OKTA-08: deactivate with a path-less replace; the user stays readable.
	deact := c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": false})))
	if deact.Status != 200 && deact.Status != 204 {
		t.Fatalf("OKTA-08: %d %s", deact.Status, deact.Raw)
	}
	if got := c.do("GET", "/Users/"+id, nil).must(t, 200); got.Body["active"] != false {
		t.Fatalf("after deactivate: %s", got.Raw)
	}
	// Deactivated users stay filterable (Q14).
	if res := c.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil).list(t); len(res) != 1 || get(res[0], "active") != false {
		t.Fatalf("deactivated user not found by filter: %v", res)
	}
	// OKTA-09: reactivate.
	c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": true}))).must(t, 200)
	if got := c.do("GET", "/Users/"+id, nil).must(t, 200); got.Body["active"] != true {
		t.Fatalf("after reactivate: %s", got.Raw)
	}
	// AIW deactivation: PUT with active false.
	full = c.do("GET", "/Users/"+id, nil).Body
	full["active"] = false
	if got := c.do("PUT", "/Users/"+id, full).must(t, 200); got.Body["active"] != false {
		t.Fatalf("PUT active false: %s", got.Raw)
	}
	// OKTA-10: password sync is accepted and never echoed.
	pw := c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"password": "n3w-Secret!"}))).must(t, 200)
	if strings.Contains(string(pw.Raw), "n3w-Secret!") {
		t.Fatalf("password echoed: %s", pw.Raw)
	}
	if strings.Contains(srv.Logs(), "n3w-Secret!") || strings.Contains(srv.Logs(), "1mz050nq") {
		t.Fatal("a password appears in the server log")
	}
}

func TestOktaImportPaging(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	for i := 0; i < 23; i++ {
		c.createUser(fmt.Sprintf("import%02d@example.com", i))
	}
	// OKTA-02 with count=10: startIndex 1, 11, 21 until totalResults.
	seen := map[string]bool{}
	var order []string
	for start := 1; ; start += 10 {
		r := c.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=10", start), nil)
		res := r.list(t)
		if num(r.Body, "totalResults") != 24 || num(r.Body, "startIndex") != start {
			t.Fatalf("page %d: %s", start, r.Raw)
		}
		for _, u := range res {
			id := str(u, "id")
			if seen[id] {
				t.Fatalf("user %s on two pages", id)
			}
			seen[id] = true
			order = append(order, id)
		}
		if start+10 > 24 {
			break
		}
	}
	if len(seen) != 24 {
		t.Fatalf("saw %d users, want 24", len(seen))
	}
	// The order is stable: a second walk with another page size agrees.
	var again []string
	for start := 1; start <= 24; start += 7 {
		for _, u := range c.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=7", start), nil).list(t) {
			again = append(again, str(u, "id"))
		}
	}
	if fmt.Sprint(again) != fmt.Sprint(order) {
		t.Fatal("order differs between page sizes")
	}
	// Past the end: empty page, real total (ory/polis#4054).
	r := c.do("GET", "/Users?startIndex=101&count=100", nil)
	if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 24 {
		t.Fatalf("past the end: %s", r.Raw)
	}
}

func memberValues(t *testing.T, c *client, gid string) []string {
	t.Helper()
	g := c.do("GET", "/Groups/"+gid, nil).must(t, 200)
	var out []string
	members, _ := g.Body["members"].([]any)
	for _, m := range members {
		out = append(out, str(m, "value"))
	}
	sort.Strings(out)
	return out
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

func TestOktaGroupPush(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Acme")
	u1, u2, u3 := c.createUser("u1@example.com"), c.createUser("u2@example.com"), c.createUser("u3@example.com")

	// OKTA-11: link check finds nothing.
	if res := c.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Test SCIMv2"`), nil).list(t); len(res) != 0 {
		t.Fatalf("link check: %v", res)
	}
	// OKTA-12: create, with members as Okta sends them.
	created := c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Test SCIMv2",
		"members": []any{map[string]any{"value": u1, "display": "u1@example.com"}}}).must(t, 201)
	gid := str(created.Body, "id")
	if gid == "" || created.Header.Get("Location") == "" || len(get(created.Body, "members").([]any)) != 1 {
		t.Fatalf("OKTA-12: %s", created.Raw)
	}
	// The link check is case-insensitive and finds it now.
	if res := c.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "test scimv2"`), nil).list(t); len(res) != 1 || str(res[0], "id") != gid {
		t.Fatalf("link check after create: %v", res)
	}
	// Duplicate group name → 409.
	c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "TEST SCIMv2"}).scimError(t, 409, "uniqueness")

	// OKTA-13: rename, path-less, restating the read-only id.
	r := c.do("PATCH", "/Groups/"+gid, patch(op("replace", "", map[string]any{"id": gid, "displayName": "Renamed"})))
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("OKTA-13: %d %s", r.Status, r.Raw)
	}
	if g := c.do("GET", "/Groups/"+gid, nil).must(t, 200); str(g.Body, "displayName") != "Renamed" {
		t.Fatalf("rename lost: %s", g.Raw)
	}
	// OKTA-14: membership delta: remove one by filter, add others (a union).
	c.do("PATCH", "/Groups/"+gid, patch(
		op("remove", `members[value eq "`+u1+`"]`, nil),
		op("add", "members", []any{map[string]any{"value": u2, "display": "u2@example.com"}, map[string]any{"value": u3}}),
	)).must(t, 200)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint(sorted(u2, u3)) {
		t.Fatalf("after delta: %v", got)
	}
	// Adding an existing member again changes nothing.
	c.do("PATCH", "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": u2}}))).must(t, 200)
	if got := memberValues(t, c, gid); len(got) != 2 {
		t.Fatalf("duplicate add: %v", got)
	}
	// OKTA-15: full replace, then the empty group of "Push now".
	c.do("PATCH", "/Groups/"+gid, patch(op("replace", "members", []any{map[string]any{"value": u1}}))).must(t, 200)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint([]string{u1}) {
		t.Fatalf("after replace: %v", got)
	}
	c.do("PATCH", "/Groups/"+gid, patch(op("replace", "members", []any{}))).must(t, 200)
	if got := memberValues(t, c, gid); len(got) != 0 {
		t.Fatalf("after replace []: %v", got)
	}
	// The path-less variant with members inside the value.
	c.do("PATCH", "/Groups/"+gid, patch(op("replace", "", map[string]any{"id": gid, "displayName": "Renamed", "members": []any{map[string]any{"value": u3}}}))).must(t, 200)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint([]string{u3}) {
		t.Fatalf("path-less members replace: %v", got)
	}
	// A user's groups are derived from memberships.
	if u := c.do("GET", "/Users/"+u3, nil).must(t, 200); str(u.Body, "groups", 0, "value") != gid || str(u.Body, "groups", 0, "display") != "Renamed" {
		t.Fatalf("user groups: %s", u.Raw)
	}
	// OKTA-16: AIW PUT replaces membership wholesale.
	c.do("PUT", "/Groups/"+gid, map[string]any{"schemas": []string{groupURN}, "id": gid, "displayName": "Put Name",
		"members": []any{map[string]any{"value": u1}, map[string]any{"value": u2}}}).must(t, 200)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint(sorted(u1, u2)) {
		t.Fatalf("after PUT: %v", got)
	}
	// OKTA-18: import groups with members.
	res := c.do("GET", "/Groups?startIndex=1&count=100", nil).list(t)
	if len(res) != 1 || len(get(res[0], "members").([]any)) != 2 {
		t.Fatalf("OKTA-18: %v", res)
	}
	// A deactivated member keeps their memberships; reactivation restores all.
	c.do("PATCH", "/Users/"+u1, patch(op("replace", "", map[string]any{"active": false}))).must(t, 200)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint(sorted(u1, u2)) {
		t.Fatalf("deactivation dropped a membership: %v", got)
	}
	// An unknown member id is refused with a detail that names it.
	bad := c.do("PATCH", "/Groups/"+gid, patch(op("add", "members", []any{map[string]any{"value": "no-such-user"}}))).scimError(t, 400, "invalidValue")
	if !strings.Contains(str(bad.Body, "detail"), "no-such-user") {
		t.Fatalf("detail doesn't name the member: %s", bad.Raw)
	}
	// Deleting a user removes it from every group.
	c.do("DELETE", "/Users/"+u2, nil).must(t, http.StatusNoContent)
	if got := memberValues(t, c, gid); fmt.Sprint(got) != fmt.Sprint([]string{u1}) {
		t.Fatalf("after user delete: %v", got)
	}
	// OKTA-17: delete the group; its members stay members of the team.
	c.do("DELETE", "/Groups/"+gid, nil).must(t, http.StatusNoContent)
	c.do("GET", "/Groups/"+gid, nil).scimError(t, 404, "")
	c.do("GET", "/Users/"+u1, nil).must(t, 200)
}

func TestInviteClaimedBySCIMCreate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	ctx := t.Context()
	ni, err := srv.Svc.InviteMember(ctx, service.Caller{Actor: testActor, Team: team, Roles: service.AllRoles}, "Invited@Example.com", "Admin")
	inv := ni.Invite
	if err != nil {
		t.Fatal(err)
	}
	// Postman fails here; Roster provisions the member and closes the invite.
	id := c.createUser("invited@example.com")
	if _, err := srv.Store().PendingInvite(ctx, team.ID, "invited@example.com"); err == nil {
		t.Fatal("invite still pending after the SCIM create")
	}
	u, err := srv.Store().User(ctx, team.ID, id)
	if err != nil || u.Role != "Admin" {
		t.Fatalf("member %+v, %v: want the invite's role", u, err)
	}
	events, _ := srv.Svc.Audit(ctx, team.Slug, 10)
	found := false
	for _, e := range events {
		if e.Action == "user.create" && e.TargetID == id && strings.Contains(e.Detail, inv.ID) && e.Actor == "scim-key:okta" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit event for the create that names the claimed invite: %+v", events)
	}
}

func TestAuditRecordsSCIMChanges(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	id := c.createUser("audited@example.com")
	c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": false}))).must(t, 200)
	c.do("PATCH", "/Users/"+id, patch(op("replace", "", map[string]any{"active": true}))).must(t, 200)
	gid := str(c.do("POST", "/Groups", map[string]any{"displayName": "G"}).must(t, 201).Body, "id")
	c.do("DELETE", "/Groups/"+gid, nil).must(t, 204)
	c.do("DELETE", "/Users/"+id, nil).must(t, 204)
	events, err := srv.Svc.Audit(t.Context(), team.Slug, 20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.Actor != "scim-key:okta" {
			continue
		}
		if e.RequestID == "" || e.At.IsZero() {
			t.Errorf("event %s lacks request id or time", e.Action)
		}
		got = append(got, e.Action+" "+e.TargetType)
	}
	want := []string{"user.delete user", "group.delete group", "group.create group", "user.reactivate user", "user.deactivate user", "user.create user"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit actions:\n got %v\nwant %v", got, want)
	}
}
