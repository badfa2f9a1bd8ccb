package e2e

import (
	"strings"
	"testing"
	"time"

	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

func TestSCIMRateLimitPerTeam(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, httpsrv.Config{SCIMReadRate: 1000, SCIMWriteRate: 0.5}) // writes: burst of 1
	c, _ := srv.newTeam("Acme")
	other, _ := srv.newTeam("Other")
	c.createUser("one@example.com")
	r := c.do("POST", "/Users", oktaUser("two@example.com")).scimError(t, 429, "")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	if !strings.Contains(str(r.Body, "detail"), "writes") {
		t.Fatalf("detail doesn't say which limit: %s", r.Raw)
	}
	// Reads are counted apart, and other teams have their own buckets.
	c.do("GET", "/Users?filter=userName+eq+%22two%40example.com%22", nil).list(t)
	other.createUser("two@example.com")
	// Nothing was written by the refused request.
	if res := c.do("GET", "/Users?filter=userName+eq+%22two%40example.com%22", nil).list(t); len(res) != 0 {
		t.Fatal("a throttled create was stored")
	}
}

func TestSeatLimit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	two := 2
	if _, err := srv.Svc.SetTeamPolicies(t.Context(), team.Slug, &two, nil, testActor); err != nil {
		t.Fatal(err)
	}
	// The admin (Super Admin) takes one seat; one more member fits.
	a := c.createUser("a@example.com")
	r := c.do("POST", "/Users", oktaUser("b@example.com")).scimError(t, 403, "")
	if !strings.Contains(str(r.Body, "detail"), "seat limit") {
		t.Fatalf("detail doesn't name the licence problem: %s", r.Raw)
	}
	// Deactivating frees the seat.
	c.do("PATCH", "/Users/"+a, patch(op("replace", "active", "False"))).must(t, 200)
	b := c.createUser("b@example.com")
	// Reactivation beyond the limit is refused and changes nothing.
	c.do("PATCH", "/Users/"+a, patch(op("replace", "", map[string]any{"active": true}))).scimError(t, 403, "")
	if u := c.do("GET", "/Users/"+a, nil).must(t, 200); u.Body["active"] != false {
		t.Fatal("refused reactivation changed the user")
	}
	// A deactivated user may be created (it takes no seat), and editing an
	// active member's profile at the limit is fine.
	u := oktaUser("c@example.com")
	u["active"] = false
	c.do("POST", "/Users", u).must(t, 201)
	c.do("PATCH", "/Users/"+b, patch(op("replace", "nickName", "Bee"))).must(t, 200)
}

func TestKeyRotationGrace(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	now := time.Now()
	srv.Svc.Now = func() time.Time { return now }
	keys, _ := srv.Svc.ListKeys(t.Context(), team.Slug)
	nk, err := srv.Svc.RotateKey(t.Context(), team.Slug, keys[0].ID, time.Hour, testActor)
	if err != nil {
		t.Fatal(err)
	}
	fresh := c.withAuth("Bearer " + nk.Token)
	// During the grace period both keys work.
	c.do("GET", "/Users", nil).list(t)
	fresh.do("GET", "/Users", nil).list(t)
	// After it, the old key gets a 401 that says it was revoked.
	now = now.Add(time.Hour + time.Second)
	r := c.do("GET", "/Users", nil).scimError(t, 401, "")
	if !strings.Contains(str(r.Body, "detail"), "revoked") {
		t.Fatalf("detail: %s", r.Raw)
	}
	fresh.do("GET", "/Users", nil).list(t)
	// A revoked key can't be rotated, and revocation is never postponed.
	if _, err := srv.Svc.RotateKey(t.Context(), team.Slug, keys[0].ID, time.Hour, testActor); err == nil {
		t.Fatal("rotated a revoked key")
	}
	nk2, _ := srv.Svc.RotateKey(t.Context(), team.Slug, nk.Key.ID, 24*time.Hour, testActor)
	if err := srv.Svc.RevokeKey(t.Context(), team.Slug, nk.Key.ID, testActor); err != nil {
		t.Fatal(err)
	}
	fresh.do("GET", "/Users", nil).scimError(t, 401, "")
	c.withAuth("Bearer "+nk2.Token).do("GET", "/Users", nil).list(t)
	list, _ := srv.Svc.ListKeys(t.Context(), team.Slug)
	if len(list) != 3 || list[2].Name != "okta" {
		t.Fatalf("keys after rotations: %+v", list)
	}
}

func TestGroupDeletionPolicyAndRoles(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, team := srv.newTeam("Acme")
	solo, both := c.createUser("solo@example.com"), c.createUser("both@example.com")
	g1 := str(c.do("POST", "/Groups", map[string]any{"displayName": "G1", "members": []any{map[string]any{"value": solo}, map[string]any{"value": both}}}).must(t, 201).Body, "id")
	g2 := str(c.do("POST", "/Groups", map[string]any{"displayName": "G2", "members": []any{map[string]any{"value": both}}}).must(t, 201).Body, "id")
	// Roles through groups.
	if err := srv.Svc.SetGroupRoles(t.Context(), team.Slug, g2, []string{"Admin"}, testActor); err != nil {
		t.Fatal(err)
	}
	if err := srv.Svc.SetGroupRoles(t.Context(), team.Slug, g2, []string{"Owner"}, testActor); err == nil {
		t.Fatal("an unknown role was accepted")
	}
	u, _ := srv.Store().User(t.Context(), team.ID, both)
	roles, err := srv.Svc.EffectiveRoles(t.Context(), srv.Store(), u)
	if err != nil || strings.Join(roles, ",") != "Admin,Developer" {
		t.Fatalf("effective roles %v, %v", roles, err)
	}
	// By default deleting a group deactivates nobody.
	g3 := str(c.do("POST", "/Groups", map[string]any{"displayName": "G3", "members": []any{map[string]any{"value": solo}}}).must(t, 201).Body, "id")
	c.do("DELETE", "/Groups/"+g3, nil).must(t, 204)
	if c.do("GET", "/Users/"+solo, nil).Body["active"] != true {
		t.Fatal("default policy deactivated a member")
	}
	// With Postman's behaviour chosen, G1's deletion deactivates only the
	// member it was the sole group of.
	on := true
	if _, err := srv.Svc.SetTeamPolicies(t.Context(), team.Slug, nil, &on, testActor); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/Groups/"+g1, nil).must(t, 204)
	if c.do("GET", "/Users/"+solo, nil).Body["active"] != false || c.do("GET", "/Users/"+both, nil).Body["active"] != true {
		t.Fatal("group deletion policy deactivated the wrong members")
	}
	// Deleting G2 drops its role binding: no role through a deleted group.
	c.do("DELETE", "/Groups/"+g2, nil).must(t, 204)
	u, _ = srv.Store().User(t.Context(), team.ID, both)
	if roles, _ := srv.Svc.EffectiveRoles(t.Context(), srv.Store(), u); strings.Join(roles, ",") != "Developer" {
		t.Fatalf("roles after the group's deletion: %v", roles)
	}
	events, _ := srv.Svc.Audit(t.Context(), team.Slug, 50)
	found := false
	for _, e := range events {
		if e.Action == "user.deactivate" && e.TargetID == solo && strings.Contains(e.Detail, "only group") {
			found = true
		}
	}
	if !found {
		t.Fatal("the policy deactivation was not audited with its reason")
	}
	var _ store.Store = srv.Store()
}
