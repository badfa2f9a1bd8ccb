package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// Tenant isolation and authentication: one server, several teams, each
// IdP holding its own team's key.

func TestIsolationBetweenTeams(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	a, _ := srv.newTeam("Alpha")
	b, _ := srv.newTeam("Beta")
	const aName = "shared.name@example.com"
	aUser := a.createUser(aName)
	aOther := a.createUser("alpha.only@example.com")
	aGroup := newGroup(t, a, "Alpha Group", aUser)
	bUser := b.createUser("beta.only@example.com")
	bGroup := newGroup(t, b, "Beta Group", bUser)

	aUserBefore := a.do("GET", "/Users/"+aUser, nil).must(t, 200)
	aGroupBefore := a.do("GET", "/Groups/"+aGroup, nil).must(t, 200)

	cases := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"GET user", "GET", "/Users/" + aUser, nil},
		{"PUT user", "PUT", "/Users/" + aUser, oktaUser("hijacked@example.com")},
		{"PATCH user", "PATCH", "/Users/" + aUser, patch(op("replace", "active", false), op("replace", "displayName", "Hijacked"))},
		{"GET group", "GET", "/Groups/" + aGroup, nil},
		{"GET group excl", "GET", "/Groups/" + aGroup + "?excludedAttributes=members", nil},
		{"PUT group", "PUT", "/Groups/" + aGroup, map[string]any{"schemas": []string{groupURN}, "displayName": "Hijacked", "members": []any{}}},
		{"PATCH group", "PATCH", "/Groups/" + aGroup, patch(op("replace", "displayName", "Hijacked"), op("remove", "members", nil))},
		{"DELETE user", "DELETE", "/Users/" + aUser, nil},
		{"DELETE group", "DELETE", "/Groups/" + aGroup, nil},
	}
	for _, tc := range cases {
		t.Run("B "+tc.name+" of A is 404", func(t *testing.T) {
			bindT(b, t).do(tc.method, tc.path, tc.body).scimError(t, http.StatusNotFound, "")
		})
	}
	t.Run("A's resources unchanged", func(t *testing.T) {
		u := bindT(a, t).do("GET", "/Users/"+aUser, nil).must(t, 200)
		if string(u.Raw) != string(aUserBefore.Raw) {
			t.Errorf("A's user changed:\nbefore %s\nafter  %s", aUserBefore.Raw, u.Raw)
		}
		g := bindT(a, t).do("GET", "/Groups/"+aGroup, nil).must(t, 200)
		if string(g.Raw) != string(aGroupBefore.Raw) {
			t.Errorf("A's group changed:\nbefore %s\nafter  %s", aGroupBefore.Raw, g.Raw)
		}
	})
	t.Run("B's filters and lists see only B", func(t *testing.T) {
		bc := bindT(b, t)
		for _, f := range []string{`userName eq "` + aName + `"`, `id eq "` + aUser + `"`, `externalId eq "00u` + aName + `"`} {
			r := bc.do("GET", "/Users?filter="+url.QueryEscape(f), nil)
			if res := r.list(t); len(res) != 0 || num(r.Body, "totalResults") != 0 {
				t.Errorf("%s: %s", f, r.Raw)
			}
		}
		r := bc.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Alpha Group"`), nil)
		if res := r.list(t); len(res) != 0 {
			t.Errorf("B sees A's group: %s", r.Raw)
		}
		users := bc.do("GET", "/Users?count=1000", nil)
		for _, u := range users.list(t) {
			if id := str(u, "id"); id == aUser || id == aOther {
				t.Errorf("B's list holds A's user %s", id)
			}
		}
		if n := num(users.Body, "totalResults"); n != 2 { // B's admin + bUser
			t.Errorf("B's totalResults = %d, want 2", n)
		}
		for _, g := range bc.do("GET", "/Groups?count=1000", nil).list(t) {
			if str(g, "id") != bGroup {
				t.Errorf("B's group list holds %v", g)
			}
		}
		search := bc.do("POST", "/Users/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `userName eq "` + aName + `"`,
		})
		if res := search.list(t); len(res) != 0 {
			t.Errorf(".search leaks: %s", search.Raw)
		}
	})
	t.Run("A's user as a member of B's group is 400", func(t *testing.T) {
		bc := bindT(b, t)
		bc.do("PATCH", "/Groups/"+bGroup, patch(op("add", "members", []any{map[string]any{"value": aUser}}))).scimError(t, 400, "")
		bc.do("PUT", "/Groups/"+bGroup, map[string]any{"schemas": []string{groupURN}, "displayName": "Beta Group",
			"members": []any{map[string]any{"value": bUser}, map[string]any{"value": aUser}}}).scimError(t, 400, "")
		bc.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Beta Two",
			"members": []any{map[string]any{"value": aUser}}}).scimError(t, 400, "")
		if got := groupMembers(t, b, bGroup); len(got) != 1 || got[0] != bUser {
			t.Errorf("B's group members %v", got)
		}
		if res := bc.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Beta Two"`), nil).list(t); len(res) != 0 {
			t.Errorf("rejected group stored")
		}
	})
	t.Run("uniqueness is per team", func(t *testing.T) {
		bc := bindT(b, t)
		r := bc.do("POST", "/Users", oktaUser(aName)).must(t, 201)
		if str(r.Body, "id") == aUser {
			t.Errorf("B got A's user id")
		}
		bc.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Alpha Group"}).must(t, 201)
		if res := filterUsers(t, a, `userName eq "`+aName+`"`); len(res) != 1 || str(res[0], "id") != aUser {
			t.Errorf("A's lookup after B's create: %v", res)
		}
	})
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := srv.newTeam("Alpha")
	c.createUser("auth@example.com")
	realToken := strings.TrimPrefix(c.auth, "Bearer ")
	cases := []struct{ name, auth string }{
		{"no key", ""},
		{"bogus key", "Bearer bogus-token-value"},
		{"empty bearer", "Bearer "},
		{"basic", "Basic dXNlcjpwYXNz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := bindT(c.withAuth(tc.auth), t)
			for _, p := range []string{"/Users", "/Groups", "/Users?filter=" + url.QueryEscape(`userName eq "auth@example.com"`)} {
				r := cc.do("GET", p, nil).scimError(t, http.StatusUnauthorized, "")
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
			cc.do("POST", "/Users", oktaUser("intruder@example.com")).scimError(t, http.StatusUnauthorized, "")
		})
	}
	if res := filterUsers(t, c, `userName eq "intruder@example.com"`); len(res) != 0 {
		t.Errorf("unauthenticated POST created a user")
	}
	// The bearer scheme name is case-insensitive (RFC 7235).
	t.Run("lower-case bearer", func(t *testing.T) {
		bindT(c.withAuth("bearer "+realToken), t).do("GET", "/Users", nil).list(t)
	})
}

func TestRevokedKey(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Alpha")
	ctx := context.Background()
	c.do("GET", "/Users", nil).list(t) // warm any cache
	keys, err := srv.Svc.ListKeys(ctx, team.Slug)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	// A second key of the same team stays valid.
	k2, err := srv.Svc.CreateKey(ctx, team.Slug, "second", nil, service.Actor{Kind: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Svc.RevokeKey(ctx, team.Slug, keys[0].ID, service.Actor{Kind: "test"}); err != nil {
		t.Fatal(err)
	}
	r := c.do("GET", "/Users", nil).scimError(t, http.StatusUnauthorized, "")
	if !strings.Contains(strings.ToLower(str(r.Body, "detail")), "revoked") {
		t.Errorf("detail %q does not say revoked", str(r.Body, "detail"))
	}
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
	c.do("POST", "/Users", oktaUser("after.revoke@example.com")).scimError(t, http.StatusUnauthorized, "")
	c2 := c.withAuth("Bearer " + k2.Token)
	c2.do("GET", "/Users", nil).list(t)
	if res := filterUsers(t, c2, `userName eq "after.revoke@example.com"`); len(res) != 0 {
		t.Errorf("revoked key created a user")
	}
}

func TestSCIMDisabled(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Alpha")
	other, _ := srv.newTeam("Beta")
	ctx := context.Background()
	actor := service.Actor{Kind: "test"}
	id := c.createUser("toggle@example.com")
	c.do("GET", "/Users", nil).list(t)
	if _, err := srv.Svc.SetSCIM(ctx, team.Slug, false, actor); err != nil {
		t.Fatal(err)
	}
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/Users", nil},
		{"GET", "/Users/" + id, nil},
		{"POST", "/Users", oktaUser("while.off@example.com")},
		{"PATCH", "/Users/" + id, patch(op("replace", "active", false))},
		{"DELETE", "/Users/" + id, nil},
	} {
		r := c.do(req.method, req.path, req.body).scimError(t, http.StatusForbidden, "")
		d := strings.ToLower(str(r.Body, "detail"))
		if !strings.Contains(d, "scim") || !strings.Contains(d, "disabled") {
			t.Errorf("%s %s: detail %q does not say SCIM is disabled", req.method, req.path, str(r.Body, "detail"))
		}
	}
	// Other teams are unaffected.
	other.do("GET", "/Users", nil).list(t)
	if _, err := srv.Svc.SetSCIM(ctx, team.Slug, true, actor); err != nil {
		t.Fatal(err)
	}
	b := c.do("GET", "/Users/"+id, nil).must(t, 200).Body
	if b["active"] != true {
		t.Errorf("request made while disabled was applied: %v", b)
	}
	if res := filterUsers(t, c, `userName eq "while.off@example.com"`); len(res) != 0 {
		t.Errorf("POST while disabled stored a user")
	}
}

func TestExpiredKey(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, team := srv.newTeam("Alpha")
	ctx := context.Background()
	actor := service.Actor{Kind: "test"}
	past := time.Now().Add(-time.Hour)
	k, err := srv.Svc.CreateKey(ctx, team.Slug, "x", &past, actor)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: srv.Base, auth: "Bearer " + k.Token, hc: &http.Client{Timeout: 30 * time.Second}}
	r := c.do("GET", "/Users", nil).scimError(t, http.StatusUnauthorized, "")
	if !strings.Contains(strings.ToLower(str(r.Body, "detail")), "expired") {
		t.Errorf("detail %q does not say expired", str(r.Body, "detail"))
	}
	// A key that expires in the future works.
	future := time.Now().Add(time.Hour)
	k2, err := srv.Svc.CreateKey(ctx, team.Slug, "y", &future, actor)
	if err != nil {
		t.Fatal(err)
	}
	c.withAuth("Bearer "+k2.Token).do("GET", "/Users", nil).list(t)
}
