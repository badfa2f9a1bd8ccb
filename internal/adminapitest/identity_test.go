package adminapitest

// Regression tests of the identity model: an account belongs to a team
// only through a link made by an event of that team (its creation, one of
// its invites accepted), never through an email; and the Super Admin rules
// hold on the SCIM path as on the admin API. Each test forges the attack
// that worked before the link model, end to end, on SQLite and (second
// pass) PostgreSQL.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// otherTeam is a second team on the same server, with SCIM on and a key.
type otherTeam struct {
	team  store.Team
	owner *client
	key   string
}

func (e *env) otherTeam(name, ownerEmail string) otherTeam {
	e.t.Helper()
	team, pass := testserver.NewTeamWithAdmin(e.t, e.Svc, name, ownerEmail)
	owner := e.login(ownerEmail, pass)
	path := "/teams/" + team.Slug
	owner.do("PUT", path+"/scim", map[string]any{"enabled": true}).must(e.t, 200)
	key := owner.do("POST", path+"/scim/keys", map[string]any{"name": "okta"}).must(e.t, 201).Body["token"].(string)
	return otherTeam{team: team, owner: owner, key: key}
}

// provision creates a member over SCIM, as the team's IdP does, and
// returns its id.
func (e *env) provision(key, userName string, extra string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"active":true,
		"emails":[{"value":%q,"type":"work","primary":true}]%s}`, userName, userName, extra)
	st, raw := e.scim("POST", "/Users", key, body)
	if st != 201 {
		e.t.Fatalf("provision %s: %d %s", userName, st, raw)
	}
	var u struct{ ID string }
	if err := json.Unmarshal([]byte(raw), &u); err != nil || u.ID == "" {
		e.t.Fatalf("provision %s: %s", userName, raw)
	}
	return u.ID
}

// teamSlugs is what GET /me lists.
func teamSlugs(t *testing.T, c *client) []string {
	t.Helper()
	var out []string
	for _, m := range c.do("GET", "/me", nil).must(t, 200).Body["teams"].([]any) {
		out = append(out, m.(map[string]any)["slug"].(string))
	}
	slices.Sort(out)
	return out
}

// assertOutside checks that c reaches nothing of team b: not in its team
// list, 404 on the team and on minting a SCIM key for it.
func assertOutside(t *testing.T, c *client, b otherTeam) {
	t.Helper()
	if slugs := teamSlugs(t, c); slices.Contains(slugs, b.team.Slug) {
		t.Fatalf("the account lists team %s: %v", b.team.Slug, slugs)
	}
	c.do("GET", "/teams/"+b.team.Slug, nil).apiError(t, 404, "")
	c.do("POST", "/teams/"+b.team.Slug+"/scim/keys", map[string]any{"name": "stolen"}).apiError(t, 404, "")
	c.do("GET", "/teams/"+b.team.Slug+"/members", nil).apiError(t, 404, "")
}

// Defect 1a: an invite of team A, for the email of a SCIM-provisioned
// member of team B, accepted with a new password, used to give the new
// account team B with that member's roles.
func TestInviteForAnotherTeamsMemberLinksOnlyThisTeam(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.otherTeam("Beta", "owner@b.example")
	carol := e.provision(b.key, "carol@b.example", "")
	// Make carol someone worth being in team B.
	b.owner.do("PATCH", "/teams/"+b.team.Slug+"/members/"+carol, map[string]any{"roles": []any{"Admin"}}).must(t, 200)

	admin := e.login(e.Admin, e.AdminPassword)
	inv := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "carol@b.example", "role": "Developer"}).must(t, 201)
	r := e.anon().do("POST", "/invites/accept", map[string]any{"token": inv.Body["token"], "password": "attacker chosen password"}).must(t, 200)
	if r.Body["team"].(map[string]any)["slug"] != e.Team.Slug {
		t.Fatalf("accepted into %s", r.Raw)
	}
	c := e.login("carol@b.example", "attacker chosen password")
	if slugs := teamSlugs(t, c); !slices.Equal(slugs, []string{e.Team.Slug}) {
		t.Fatalf("teams %v, want only %s", slugs, e.Team.Slug)
	}
	assertOutside(t, c, b)
	// Team B's member is untouched and still linked to no one.
	m, err := e.St.User(context.Background(), b.team.ID, carol)
	if err != nil || m.AccountID != "" || m.Role != "Admin" {
		t.Fatalf("team B's carol: %+v, %v", m, err)
	}
}

// Defect 1b: changing the account's email to that of another team's
// member used to make the account that member.
func TestEmailChangeReachesNoOtherTeam(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.otherTeam("Beta", "owner@b.example")
	e.provision(b.key, "bob@b.example", "")
	admin := e.login(e.Admin, e.AdminPassword)
	r := admin.do("PATCH", "/me", map[string]any{"email": "bob@b.example"}).must(t, 200)
	if acc, _ := r.Body["account"].(map[string]any); acc["email"] != "bob@b.example" {
		t.Fatalf("%s", r.Raw)
	}
	if slugs := teamSlugs(t, admin); !slices.Equal(slugs, []string{e.Team.Slug}) {
		t.Fatalf("teams %v after the email change", slugs)
	}
	assertOutside(t, admin, b)
	// A fresh sign-in with the new email reaches the same, and only that.
	again := e.login("bob@b.example", e.AdminPassword)
	if slugs := teamSlugs(t, again); !slices.Equal(slugs, []string{e.Team.Slug}) {
		t.Fatalf("teams %v on a new sign-in", slugs)
	}
	assertOutside(t, again, b)
	// The account is still Super Admin of its own team: its own member
	// followed the rename.
	me := again.do("GET", e.teamPath(""), nil).must(t, 200)
	if !strings.Contains(string(me.Raw), service.RoleSuperAdmin) {
		t.Fatalf("lost its own team's roles: %s", me.Raw)
	}
}

// An account made by the operator for an email carried by a SCIM member
// reaches nothing: only the team's events link.
func TestOperatorAccountLinksNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.otherTeam("Beta", "owner@b.example")
	e.provision(b.key, "dana@b.example", "")
	// The operator's account, once its owner has chosen their password.
	testserver.SetOwnPassword(t, e.St, e.Svc, "dana@b.example", testPassword)
	c := e.login("dana@b.example", testPassword)
	if slugs := teamSlugs(t, c); len(slugs) != 0 {
		t.Fatalf("teams %v", slugs)
	}
	assertOutside(t, c, b)
}

// A SCIM-provisioned member gets in through an invite of its own team:
// SCIM claims the invite, and accepting links to that very member.
func TestInviteClaimedBySCIMLinksThatMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(e.Admin, e.AdminPassword)
	admin.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true}).must(t, 200)
	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201).Body["token"].(string)
	inv := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "erin@acme.example", "role": "Billing"}).must(t, 201)
	id := e.provision(key, "erin@acme.example", "")
	// Still open, and now for that member.
	list := admin.do("GET", e.teamPath("/invites"), nil).must(t, 200)
	if !strings.Contains(string(list.Raw), `"claimed"`) {
		t.Fatalf("claimed invite not listed: %s", list.Raw)
	}
	r := e.anon().do("POST", "/invites/accept", map[string]any{"token": inv.Body["token"], "password": testPassword}).must(t, 200)
	if r.Body["member_id"] != id {
		t.Fatalf("linked to %v, want the SCIM member %s", r.Body["member_id"], id)
	}
	m, _ := e.St.User(context.Background(), e.Team.ID, id)
	if m.AccountID == "" || m.Role != "Billing" {
		t.Fatalf("member after accept: %+v", m)
	}
	c := e.login("erin@acme.example", testPassword)
	if slugs := teamSlugs(t, c); !slices.Equal(slugs, []string{e.Team.Slug}) {
		t.Fatalf("teams %v", slugs)
	}
	// An IdP rename neither unlinks nor moves the link.
	if st, raw := e.scim("PATCH", "/Users/"+id, key, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"erin.new@acme.example"}]}`); st != 200 {
		t.Fatalf("rename: %d %s", st, raw)
	}
	if slugs := teamSlugs(t, c); !slices.Equal(slugs, []string{e.Team.Slug}) {
		t.Fatalf("teams after an IdP rename %v", slugs)
	}
	// An invite for a member that already has an account is refused.
	admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "erin.new@acme.example"}).apiError(t, 409, "email")
}

// scimAdmin is a plain Admin of team acme, with SCIM on and a key that
// Admin made (not privileged).
func scimAdmin(t *testing.T, e *env) (admin *client, key string, adminMember store.User) {
	t.Helper()
	adminMember = e.addMember("admin@acme.example", []string{"Admin"}, store.SourceManual, true)
	admin = e.login("admin@acme.example", testPassword)
	admin.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true}).must(t, 200)
	k := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "mine"}).must(t, 201)
	if k.Body["privileged"] != false {
		t.Fatalf("an Admin's key is privileged: %s", k.Raw)
	}
	return admin, k.Body["token"].(string), adminMember
}

func (e *env) ownerMember() store.User {
	e.t.Helper()
	acc, err := e.St.AccountByEmail(context.Background(), e.Admin)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.St.MemberOfAccount(context.Background(), e.Team.ID, acc.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func patchOp(op, path, value string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"` + op + `","path":"` + path + `","value":` + value + `}]}`
}

// wantRule asserts a SCIM 409 whose detail names the rule.
func wantRule(t *testing.T, st int, raw, rule string) {
	t.Helper()
	if st != http.StatusConflict || !strings.Contains(raw, rule) || !strings.Contains(raw, "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("got %d %s, want a SCIM 409 naming %q", st, raw, rule)
	}
}

const (
	ruleOnlySA = "only a Super Admin grants, takes or removes the Super Admin role"
	ruleKeepSA = "must keep at least one active Super Admin"
)

// Defect 2: a plain Admin with a SCIM key they made took the Super Admin's
// place by renaming the Super Admin's member, or removed the last one.
func TestSCIMCannotTakeSuperAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, key, adminMember := scimAdmin(t, e)
	owner := e.ownerMember()

	t.Run("a rename moves no role", func(t *testing.T) {
		if st, raw := e.scim("PATCH", "/Users/"+adminMember.ID, key, patchOp("replace", "userName", `"spare@acme.example"`)); st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		if st, raw := e.scim("PATCH", "/Users/"+owner.ID, key, patchOp("replace", "userName", `"admin@acme.example"`)); st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		me := admin.do("GET", e.teamPath(""), nil).must(t, 200)
		if strings.Contains(string(me.Raw), service.RoleSuperAdmin) {
			t.Fatalf("the Admin inherited Super Admin by a rename: %s", me.Raw)
		}
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "x@acme.example", "role": "Super Admin"}).apiError(t, 403, "")
		// The owner is still the Super Admin, under the new name.
		o := e.login(e.Admin, e.AdminPassword).do("GET", e.teamPath(""), nil).must(t, 200)
		if !strings.Contains(string(o.Raw), service.RoleSuperAdmin) {
			t.Fatalf("the owner lost Super Admin: %s", o.Raw)
		}
	})
	t.Run("an Admin's key can't delete or deactivate a Super Admin", func(t *testing.T) {
		before := len(e.auditEvents())
		st, raw := e.scim("DELETE", "/Users/"+owner.ID, key, "")
		wantRule(t, st, raw, ruleOnlySA)
		st, raw = e.scim("PATCH", "/Users/"+owner.ID, key, patchOp("replace", "active", "false"))
		wantRule(t, st, raw, ruleOnlySA)
		st, raw = e.scim("PUT", "/Users/"+owner.ID, key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"admin@acme.example","active":false}`)
		wantRule(t, st, raw, ruleOnlySA)
		bulk := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/` + owner.ID + `"}]}`
		st, raw = e.scim("POST", "/Bulk", key, bulk)
		if st != 200 || !strings.Contains(raw, `"409"`) || !strings.Contains(raw, ruleOnlySA) {
			t.Fatalf("bulk delete of the Super Admin: %d %s", st, raw)
		}
		u, err := e.St.User(context.Background(), e.Team.ID, owner.ID)
		if err != nil || !u.Active || !service.HasRole(u.Role, service.RoleSuperAdmin) {
			t.Fatalf("owner after refused requests: %+v, %v", u, err)
		}
		if after := len(e.auditEvents()); after != before {
			t.Fatalf("refused requests wrote %d audit events", after-before)
		}
	})
	t.Run("an Admin's key can't join a group that grants Super Admin", func(t *testing.T) {
		gid := e.addGroup("Owners", owner.ID)
		ownerC := e.login(e.Admin, e.AdminPassword)
		ownerC.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{"Super Admin"}}).must(t, 200)
		st, raw := e.scim("PATCH", "/Groups/"+gid, key, patchOp("add", "members", `[{"value":"`+adminMember.ID+`"}]`))
		wantRule(t, st, raw, ruleOnlySA)
		st, raw = e.scim("PUT", "/Groups/"+gid, key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Owners","members":[{"value":"`+adminMember.ID+`"}]}`)
		wantRule(t, st, raw, ruleOnlySA)
		st, raw = e.scim("DELETE", "/Groups/"+gid, key, "")
		wantRule(t, st, raw, ruleOnlySA)
		me := admin.do("GET", e.teamPath(""), nil).must(t, 200)
		if strings.Contains(string(me.Raw), service.RoleSuperAdmin) {
			t.Fatalf("the Admin became Super Admin through a group: %s", me.Raw)
		}
		// A plain group is the IdP's to change, whatever key.
		plain := e.addGroup("Eng")
		if st, raw := e.scim("PATCH", "/Groups/"+plain, key, patchOp("add", "members", `[{"value":"`+adminMember.ID+`"}]`)); st != 200 && st != 204 {
			t.Fatalf("plain group: %d %s", st, raw)
		}
	})
	t.Run("rotating a Super Admin's key as an Admin makes an unprivileged key", func(t *testing.T) {
		ownerC := e.login(e.Admin, e.AdminPassword)
		k := ownerC.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "owner-key"}).must(t, 201)
		if k.Body["privileged"] != true {
			t.Fatalf("a Super Admin's key is not privileged: %s", k.Raw)
		}
		rot := admin.do("POST", e.teamPath("/scim/keys/"+k.Body["id"].(string)+"/rotate"), map[string]any{"grace": "0s"}).must(t, 201)
		if rot.Body["privileged"] != false {
			t.Fatalf("an Admin's rotation kept the key privileged: %s", rot.Raw)
		}
		st, raw := e.scim("DELETE", "/Users/"+owner.ID, rot.Body["token"].(string), "")
		wantRule(t, st, raw, ruleOnlySA)
	})
}

// The team keeps one active Super Admin whatever the key: a privileged key
// (a Super Admin's) can't delete or deactivate the last one either, but can
// once there is another.
func TestSCIMKeepsOneSuperAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.ownerMember()
	ownerC := e.login(e.Admin, e.AdminPassword)
	ownerC.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true}).must(t, 200)
	k := ownerC.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201)
	key := k.Body["token"].(string)

	st, raw := e.scim("DELETE", "/Users/"+owner.ID, key, "")
	wantRule(t, st, raw, ruleKeepSA)
	st, raw = e.scim("PATCH", "/Users/"+owner.ID, key, patchOp("replace", "active", "false"))
	wantRule(t, st, raw, ruleKeepSA)
	if u, _ := e.St.User(context.Background(), e.Team.ID, owner.ID); !u.Active {
		t.Fatal("the last Super Admin was deactivated")
	}
	// Super Admin through a group counts, and removing the group's only
	// member (the owner holds it themself too) keeps one.
	gid := e.addGroup("Owners", owner.ID)
	ownerC.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{"Super Admin"}}).must(t, 200)
	second := e.addMember("second@acme.example", []string{"Developer"}, store.SourceManual, true)
	if st, raw := e.scim("PATCH", "/Groups/"+gid, key, patchOp("add", "members", `[{"value":"`+second.ID+`"}]`)); st != 200 && st != 204 {
		t.Fatalf("privileged key adds to the owners' group: %d %s", st, raw)
	}
	// Now the owner may go: the second member is a Super Admin through the group.
	if st, raw := e.scim("PATCH", "/Users/"+owner.ID, key, patchOp("replace", "active", "false")); st != 200 {
		t.Fatalf("deactivating one of two Super Admins: %d %s", st, raw)
	}
	// And the group can't lose its last active Super Admin.
	st, raw = e.scim("PATCH", "/Groups/"+gid, key, patchOp("remove", `members[value eq \"`+second.ID+`\"]`, "null"))
	wantRule(t, st, raw, ruleKeepSA)
	st, raw = e.scim("DELETE", "/Groups/"+gid, key, "")
	wantRule(t, st, raw, ruleKeepSA)
	// Nor through the admin API's role binding.
	ownerC2 := e.login("second@acme.example", testPassword)
	ownerC2.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{}}).apiError(t, 409, "")
}
