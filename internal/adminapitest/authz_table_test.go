package adminapitest

// TestAuthorizationTable tries every route of the admin API (the routes
// come from the server's own openapi.json, which TestOpenAPIDescribesEveryRoute
// in internal/adminapi keeps equal to the route table) with every caller
// who must be refused: no credentials, a revoked token, a session cookie
// without its CSRF token, a deactivated member, each team role below what
// the route needs, and the Super Admin of another team (who must get the
// 404 a nonexistent team gets, and 404 for team A's ids under their own
// team's slug). After each refused request team A's observable state is
// compared with a snapshot taken before it. Last, the authorised caller
// makes the same request and must succeed, so no row passes by being
// broken.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// authzNeed is who may make a row's request.
type authzNeed int

const (
	needPublic     authzNeed = iota // anyone, without credentials
	needAccount                     // any signed-in account (session or API token)
	needMember                      // any active member of the team
	needAction                      // an active member whose roles allow the row's action
	needSuperAdmin                  // an active Super Admin (rules finer than the matrix)
)

// authzRow is one request of the table.
type authzRow struct {
	name   string
	method string
	route  string // the path as openapi.json names it
	need   authzNeed
	// act is the permission the route itself requires (what openapi.json's
	// summary names); "" for routes whose rule depends on the target.
	act service.Action
	ok  int // the authorised caller's status
	// setup creates the row's targets in team A and returns the request.
	setup func(f *authzFixture) authzReq
}

// authzReq is a row's concrete request.
type authzReq struct {
	id    string // fills {id}
	query string // appended to the path
	body  any
	// as is the authorised caller of the positive control; nil means
	// team A's Super Admin with an API token.
	as      *client
	okCheck func(t *testing.T, r response)
	// attacks are refused (or harmless) requests beyond the generated
	// callers: on public and account routes, where roles mean nothing.
	attacks []authzAttack
	// after undoes the positive control where later rows depend on it.
	after func(t *testing.T)
}

// authzAttack is one extra request of a row.
type authzAttack struct {
	who    string
	c      *client
	id     string // "" keeps the row's id
	body   any    // nil keeps the row's body
	status int
	// outsider: the caller must not see team A (no ids of A in the answer).
	outsider bool
	check    func(t *testing.T, r response)
}

type authzFixture struct {
	e     *env
	super *client // team A's Super Admin, API token
	// Callers who must be refused.
	revoked    *client            // team A's Super Admin's revoked API token
	noCSRF     *client            // team A's Super Admin's session, sent without X-CSRF-Token
	deact      *client            // a deactivated member of A who holds Super Admin
	roles      map[string]*client // an active member of A per lesser role
	otherTok   *client            // Super Admin of team B, API token
	otherCook  *client            // Super Admin of team B, session with CSRF token
	other      store.Team
	provEntry  string // a provisioning log entry of team A
	routes     map[string]openAPIOp
	adminEmail string
}

type openAPIOp struct {
	summary  string
	statuses map[int]bool
}

const ghostSlug = "no-such-team-authz"

func TestAuthorizationTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := newAuthzFixture(t, e)
	rows := authzRows()

	covered := map[string]bool{}
	for _, row := range rows {
		key := row.method + " " + row.route
		op, ok := f.routes[key]
		if !ok {
			t.Errorf("row %q: %s is not a route of the admin API (openapi.json)", row.name, key)
			continue
		}
		covered[key] = true
		if row.act != "" && !strings.Contains(op.summary, "("+string(row.act)) && !strings.Contains(op.summary, " "+string(row.act)) {
			t.Errorf("row %q says %s needs %s; openapi.json says %q", row.name, key, row.act, op.summary)
		}
		if row.act == "" && (row.need == needAction || row.need == needSuperAdmin) {
			t.Errorf("row %q: a role rule without the route's action", row.name)
		}
	}
	var missing []string
	for key := range f.routes {
		if !covered[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, key := range missing {
		t.Errorf("route %s has no row in the authorization table (authzRows)", key)
	}
	if t.Failed() {
		return
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) { f.run(t, row) })
	}
}

func newAuthzFixture(t *testing.T, e *env) *authzFixture {
	t.Helper()
	f := &authzFixture{e: e, roles: map[string]*client{}, adminEmail: e.Admin}
	f.super = e.token(e.Admin, e.AdminPassword, "authz-super")

	// The routes, from the server itself.
	doc := e.anon().do("GET", "/openapi.json", nil).must(t, 200)
	paths, _ := doc.Body["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatalf("openapi.json has no paths: %.200s", doc.Raw)
	}
	f.routes = map[string]openAPIOp{}
	for p, ops := range paths {
		for m, o := range ops.(map[string]any) {
			if m == "parameters" {
				continue
			}
			om, _ := o.(map[string]any)
			op := openAPIOp{statuses: map[int]bool{}}
			op.summary, _ = om["summary"].(string)
			for code := range om["responses"].(map[string]any) {
				var n int
				if _, err := fmt.Sscanf(code, "%d", &n); err == nil {
					op.statuses[n] = true
				}
			}
			f.routes[strings.ToUpper(m)+" "+p] = op
		}
	}

	// Team A's Super Admin: a revoked token, and a session without CSRF.
	rt := e.login(e.Admin, e.AdminPassword).do("POST", "/me/tokens", map[string]any{"name": "authz-revoked"}).must(t, 201)
	f.revoked = &client{e: e, hc: f.super.hc, bearer: rt.Body["token"].(string)}
	f.super.do("DELETE", "/me/tokens/"+rt.Body["id"].(string), nil).must(t, 204)
	f.revoked.do("GET", "/me", nil).must(t, 401)
	f.noCSRF = e.login(e.Admin, e.AdminPassword)
	f.noCSRF.csrf = ""

	// A member of A per role below Super Admin, and a deactivated one who
	// would otherwise be allowed everything.
	for _, role := range service.AllRoles {
		if role == service.RoleSuperAdmin {
			continue
		}
		email := uniq("authz-" + strings.ToLower(role))
		e.addMember(email, []string{role}, store.SourceManual, true)
		f.roles[role] = e.token(email, testPassword, "authz")
	}
	email := uniq("authz-deactivated")
	e.addMember(email, []string{service.RoleSuperAdmin}, store.SourceManual, false)
	f.deact = e.token(email, testPassword, "authz")

	// Team B and its Super Admin.
	var passB string
	f.other, passB = testserver.NewTeamWithAdmin(t, e.Svc, "Globex", "boss@globex.example")
	f.otherTok = e.token("boss@globex.example", passB, "authz-b")
	f.otherCook = e.login("boss@globex.example", passB)

	// Team A's settings, so that a change to any of them shows.
	f.super.do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "costCode", "description": "finance"}}}).must(t, 200)
	// The snapshot sees a new audit event (it reads only the newest).
	seen := f.snapshot(t)
	f.super.do("PATCH", e.teamPath("/policies"), map[string]any{"seat_limit": 5000}).must(t, 200)
	if now := f.snapshot(t); now.Audit == seen.Audit || len(seen.diff(now, true)) == 0 {
		t.Fatalf("the snapshot misses an audited change")
	}
	f.key()
	f.invite(service.RoleDeveloper)
	dev := e.addMember(uniq("authz-grouped"), []string{service.RoleDeveloper}, store.SourceManual, true)
	g := e.addGroup("Authz Group", dev.ID)
	f.super.do("PUT", e.teamPath("/groups/"+g+"/roles"), map[string]any{"roles": []any{"Billing"}}).must(t, 200)

	// A provisioning log entry: a refused SCIM request with a known key of
	// A (SCIM is off) is logged in A's provisioning log.
	if st, body := e.scim("GET", "/Users", f.key(), ""); st != 403 {
		t.Fatalf("SCIM with SCIM off: %d %s", st, body)
	}
	if err := e.Srv.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	pl := f.super.do("GET", e.teamPath("/provisioning-log"), nil).must(t, 200)
	entries, _ := pl.Body["entries"].([]any)
	if len(entries) == 0 {
		t.Fatalf("no provisioning log entry: %s", pl.Raw)
	}
	f.provEntry, _ = entries[0].(map[string]any)["id"].(string)
	return f
}

// Targets made for a row, in team A.

func (f *authzFixture) victim(roles ...string) store.User {
	return f.e.addMember(uniq("authz-victim"), roles, store.SourceManual, true)
}

func (f *authzFixture) invite(role string) (id, token string) {
	r := f.super.do("POST", f.e.teamPath("/invites"), map[string]any{"email": uniq("authz-invitee"), "role": role}).must(f.e.t, 201)
	return r.Body["id"].(string), r.Body["token"].(string)
}

// key creates an active SCIM key of A and returns its secret; keyID its id.
func (f *authzFixture) key() string { _, tok := f.newKey(); return tok }

func (f *authzFixture) keyID() string { id, _ := f.newKey(); return id }

func (f *authzFixture) newKey() (string, string) {
	r := f.super.do("POST", f.e.teamPath("/scim/keys"), map[string]any{"name": uniq("authz")}).must(f.e.t, 201) // two active keys can't share a name
	return r.Body["id"].(string), r.Body["token"].(string)
}

// member makes an active Developer of A signed in with an API token.
func (f *authzFixture) member() (*client, store.User) {
	email := uniq("authz-member")
	u := f.e.addMember(email, []string{service.RoleDeveloper}, store.SourceManual, true)
	return f.e.token(email, testPassword, "authz"), u
}

func (f *authzFixture) superToken() string {
	r := f.super.do("POST", "/me/tokens", map[string]any{"name": "authz-target"}).must(f.e.t, 201)
	return r.Body["id"].(string)
}

func authzRows() []authzRow {
	const (
		t   = "/teams/{slug}"
		sa  = service.RoleSuperAdmin
		dev = service.RoleDeveloper
	)
	none := func(f *authzFixture) authzReq { return authzReq{} }
	listed := func(key string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if _, ok := r.Body[key].([]any); !ok {
				t.Errorf("no %s list: %.300s", key, r.Raw)
			}
		}
	}
	return []authzRow{
		// Public routes: no caller is lesser; the attacks are the
		// credentials the route itself checks.
		{name: "openapi", method: "GET", route: "/openapi.json", need: needPublic, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{as: f.e.anon()} }},
		{name: "login", method: "POST", route: "/auth/login", need: needPublic, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{as: f.e.anon(), body: map[string]any{"email": f.adminEmail, "password": f.e.AdminPassword},
					attacks: []authzAttack{{who: "wrong password", c: f.e.anon(), body: map[string]any{"email": f.adminEmail, "password": "not " + f.e.AdminPassword}, status: 401}}}
			}},
		{name: "accept invite", method: "POST", route: "/invites/accept", need: needPublic, ok: 200,
			setup: func(f *authzFixture) authzReq {
				_, tok := f.invite(dev)
				revokedID, revokedTok := f.invite(dev)
				f.super.do("DELETE", f.e.teamPath("/invites/"+revokedID), nil).must(f.e.t, 204)
				return authzReq{as: f.e.anon(), body: map[string]any{"token": tok, "password": testPassword},
					attacks: []authzAttack{
						{who: "unknown token", c: f.e.anon(), body: map[string]any{"token": "rit_" + strings.Repeat("A", 43), "password": testPassword}, status: 404},
						{who: "revoked invite's token", c: f.e.anon(), body: map[string]any{"token": revokedTok, "password": testPassword}, status: 410},
					}}
			}},

		// Account routes: any account, on itself only.
		{name: "logout", method: "POST", route: "/auth/logout", need: needAccount, ok: 204,
			setup: func(f *authzFixture) authzReq {
				return authzReq{as: f.e.login(f.adminEmail, f.e.AdminPassword),
					attacks: []authzAttack{{who: "team B's Super Admin (token)", c: f.otherTok, status: 400, outsider: true}}}
			}},
		{name: "me", method: "GET", route: "/me", need: needAccount, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{okCheck: f.listsTeamA(true), attacks: []authzAttack{
					{who: "team B's Super Admin (token)", c: f.otherTok, status: 200, outsider: true},
					{who: "deactivated member of A", c: f.deact, status: 200, check: f.listsTeamA(false)},
				}}
			}},
		{name: "change email", method: "PATCH", route: "/me", need: needAccount, ok: 200,
			setup: func(f *authzFixture) authzReq {
				c, _ := f.member()
				return authzReq{as: c, body: map[string]any{"email": uniq("authz-renamed")}, attacks: []authzAttack{
					{who: "team B's Super Admin takes A's Super Admin's email", c: f.otherTok, body: map[string]any{"email": f.adminEmail}, status: 409, outsider: true},
				}}
			}},
		{name: "change password", method: "POST", route: "/me/password", need: needAccount, ok: 204,
			setup: func(f *authzFixture) authzReq {
				next := "a new " + f.e.AdminPassword
				return authzReq{body: map[string]any{"current_password": f.e.AdminPassword, "new_password": next},
					attacks: []authzAttack{{who: "team B's Super Admin with A's Super Admin's password", c: f.otherTok, status: 403, outsider: true}},
					after: func(t *testing.T) {
						// Put the password back; the change ended every session.
						f.super.do("POST", "/me/password", map[string]any{"current_password": next, "new_password": f.e.AdminPassword}).must(t, 204)
						f.noCSRF = f.e.login(f.adminEmail, f.e.AdminPassword)
						f.noCSRF.csrf = ""
					}}
			}},
		{name: "list tokens", method: "GET", route: "/me/tokens", need: needAccount, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{okCheck: listed("tokens"), attacks: []authzAttack{{who: "team B's Super Admin", c: f.otherTok, status: 200, outsider: true}}}
			}},
		{name: "create token", method: "POST", route: "/me/tokens", need: needAccount, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"name": "authz-new"}, attacks: []authzAttack{
					{who: "team B's Super Admin (a token of their own)", c: f.otherTok, status: 201, outsider: true}}}
			}},
		{name: "revoke token", method: "DELETE", route: "/me/tokens/{id}", need: needAccount, ok: 204,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.superToken(), attacks: []authzAttack{
					{who: "team B's Super Admin (token)", c: f.otherTok, status: 404, outsider: true},
					{who: "team B's Super Admin (session)", c: f.otherCook, status: 404, outsider: true},
				}}
			}},
		{name: "my teams", method: "GET", route: "/teams", need: needAccount, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{okCheck: f.listsTeamA(true), attacks: []authzAttack{
					{who: "team B's Super Admin", c: f.otherTok, status: 200, outsider: true},
					{who: "deactivated member of A", c: f.deact, status: 200, check: f.listsTeamA(false)},
				}}
			}},

		// Team routes.
		{name: "team", method: "GET", route: t, need: needAction, act: service.ActTeamView, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{okCheck: func(t *testing.T, r response) {
					if r.Body["slug"] != f.e.Team.Slug || r.Body["id"] != f.e.Team.ID {
						t.Errorf("not team A: %.300s", r.Raw)
					}
				}}
			}},
		{name: "overview", method: "GET", route: t + "/overview", need: needAction, act: service.ActTeamView, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{okCheck: func(t *testing.T, r response) {
					team, _ := r.Body["team"].(map[string]any)
					if team["slug"] != f.e.Team.Slug || r.Body["scim"] == nil || r.Body["activity"] == nil {
						t.Errorf("not team A's whole overview: %.300s", r.Raw)
					}
				}}
			}},
		{name: "members", method: "GET", route: t + "/members", need: needAction, act: service.ActMembersRead, ok: 200,
			setup: func(f *authzFixture) authzReq {
				v := f.victim(dev)
				g := f.e.addGroup(uniq("Authz Members"), v.ID)
				return authzReq{query: "?group=" + g, okCheck: func(t *testing.T, r response) {
					if r.Body["total"] != float64(1) {
						t.Errorf("the group's member is not listed: %.300s", r.Raw)
					}
				}}
			}},
		{name: "member", method: "GET", route: t + "/members/{id}", need: needAction, act: service.ActMembersRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.victim(dev).ID} }},
		{name: "member roles", method: "PATCH", route: t + "/members/{id}", need: needAction, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.victim(dev).ID, body: map[string]any{"roles": []any{"Billing"}}}
			}},
		{name: "member profile of another", method: "PATCH", route: t + "/members/{id}", need: needAction, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.victim(dev).ID, body: map[string]any{"displayName": "Renamed by an admin", "title": "x"}}
			}},
		{name: "grant Super Admin", method: "PATCH", route: t + "/members/{id}", need: needSuperAdmin, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.victim(dev).ID, body: map[string]any{"roles": []any{sa}}}
			}},
		{name: "demote a Super Admin", method: "PATCH", route: t + "/members/{id}", need: needSuperAdmin, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.victim(sa).ID, body: map[string]any{"roles": []any{"Admin"}}}
			}},
		{name: "remove member", method: "DELETE", route: t + "/members/{id}", need: needAction, act: service.ActMembersManage, ok: 204,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.victim(dev).ID} }},
		{name: "remove a Super Admin", method: "DELETE", route: t + "/members/{id}", need: needSuperAdmin, act: service.ActMembersManage, ok: 204,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.victim(sa).ID} }},
		{name: "leave", method: "POST", route: t + "/leave", need: needMember, ok: 204,
			setup: func(f *authzFixture) authzReq { c, _ := f.member(); return authzReq{as: c} }},
		{name: "invites", method: "GET", route: t + "/invites", need: needAction, act: service.ActInvitesManage, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{okCheck: listed("invites")} }},
		{name: "invite", method: "POST", route: t + "/invites", need: needAction, act: service.ActInvitesManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"email": uniq("authz-invited"), "role": dev}}
			}},
		{name: "invite a Super Admin", method: "POST", route: t + "/invites", need: needSuperAdmin, act: service.ActInvitesManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"email": uniq("authz-invited"), "role": sa}}
			}},
		{name: "resend invite", method: "POST", route: t + "/invites/{id}/resend", need: needAction, act: service.ActInvitesManage, ok: 200,
			setup: func(f *authzFixture) authzReq { id, _ := f.invite(dev); return authzReq{id: id} }},
		{name: "resend a Super Admin's invite", method: "POST", route: t + "/invites/{id}/resend", need: needSuperAdmin, act: service.ActInvitesManage, ok: 200,
			setup: func(f *authzFixture) authzReq { id, _ := f.invite(sa); return authzReq{id: id} }},
		{name: "revoke invite", method: "DELETE", route: t + "/invites/{id}", need: needAction, act: service.ActInvitesManage, ok: 204,
			setup: func(f *authzFixture) authzReq { id, _ := f.invite(dev); return authzReq{id: id} }},
		{name: "revoke a Super Admin's invite", method: "DELETE", route: t + "/invites/{id}", need: needSuperAdmin, act: service.ActInvitesManage, ok: 204,
			setup: func(f *authzFixture) authzReq { id, _ := f.invite(sa); return authzReq{id: id} }},
		{name: "scim setting", method: "GET", route: t + "/scim", need: needAction, act: service.ActSCIMManage, ok: 200, setup: none},
		{name: "switch scim", method: "PUT", route: t + "/scim", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"enabled": true}, after: func(t *testing.T) {
					// SCIM on changes what members may do (leave, email,
					// password): switch it back off.
					f.super.do("PUT", f.e.teamPath("/scim"), map[string]any{"enabled": false}).must(t, 200)
				}}
			}},
		{name: "keys", method: "GET", route: t + "/scim/keys", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{okCheck: listed("keys")} }},
		{name: "create key", method: "POST", route: t + "/scim/keys", need: needAction, act: service.ActSCIMManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"name": "authz-created", "expires_in": "2160h"}}
			}},
		{name: "revoke key", method: "DELETE", route: t + "/scim/keys/{id}", need: needAction, act: service.ActSCIMManage, ok: 204,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.keyID()} }},
		{name: "rotate key", method: "POST", route: t + "/scim/keys/{id}/rotate", need: needAction, act: service.ActSCIMManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.keyID(), body: map[string]any{"grace": "0s"}}
			}},
		{name: "policies", method: "GET", route: t + "/policies", need: needAction, act: service.ActSCIMManage, ok: 200, setup: none},
		{name: "change policies", method: "PATCH", route: t + "/policies", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"seat_limit": 4000, "group_delete_deactivates": true}, after: func(t *testing.T) {
					f.super.do("PATCH", f.e.teamPath("/policies"), map[string]any{"seat_limit": 5000, "group_delete_deactivates": false}).must(t, 200)
				}}
			}},
		{name: "schema", method: "GET", route: t + "/schema", need: needAction, act: service.ActSCIMManage, ok: 200, setup: none},
		{name: "replace schema", method: "PUT", route: t + "/schema", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				// The attack would withdraw every custom attribute.
				return authzReq{body: map[string]any{"attributes": []any{}, "prune": true}, after: func(t *testing.T) {
					f.super.do("PUT", f.e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "costCode", "description": "finance"}}}).must(t, 200)
				}}
			}},
		{name: "groups", method: "GET", route: t + "/groups", need: needAction, act: service.ActMembersRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{okCheck: listed("groups")} }},
		{name: "group", method: "GET", route: t + "/groups/{id}", need: needAction, act: service.ActMembersRead, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.e.addGroup(uniq("Authz Group"), f.victim(dev).ID)}
			}},
		{name: "bind group roles", method: "PUT", route: t + "/groups/{id}/roles", need: needAction, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.e.addGroup(uniq("Authz Group"), f.victim(dev).ID), body: map[string]any{"roles": []any{"Admin"}}}
			}},
		{name: "bind Super Admin to a group", method: "PUT", route: t + "/groups/{id}/roles", need: needSuperAdmin, act: service.ActMembersManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.e.addGroup(uniq("Authz Group"), f.victim(dev).ID), body: map[string]any{"roles": []any{sa}}}
			}},
		{name: "audit", method: "GET", route: t + "/audit", need: needAction, act: service.ActAuditRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{okCheck: listed("events")} }},
		{name: "provisioning log", method: "GET", route: t + "/provisioning-log", need: needAction, act: service.ActAuditRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{okCheck: listed("entries")} }},
		{name: "provisioning log entry", method: "GET", route: t + "/provisioning-log/{id}", need: needAction, act: service.ActAuditRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.provEntry} }},
		// Single sign-on (sso_test.go makes the targets): settings need
		// scim.manage, and the service lets only Super Admins change them.
		{name: "sso connections", method: "GET", route: t + "/sso/connections", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq { f.ssoConnection(); return authzReq{okCheck: listed("connections")} }},
		{name: "create sso connection", method: "POST", route: t + "/sso/connections", need: needSuperAdmin, act: service.ActSCIMManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"type": "saml", "idp_metadata": f.ssoIdPMetadata(), "preset": "okta"}}
			}},
		{name: "sso connection", method: "GET", route: t + "/sso/connections/{id}", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.ssoConnection()} }},
		{name: "change sso connection", method: "PATCH", route: t + "/sso/connections/{id}", need: needSuperAdmin, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.ssoConnection(), body: map[string]any{"allow_idp_initiated": true}}
			}},
		{name: "delete sso connection", method: "DELETE", route: t + "/sso/connections/{id}", need: needSuperAdmin, act: service.ActSCIMManage, ok: 204,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.ssoConnection()} }},
		{name: "sso policy", method: "GET", route: t + "/sso/policy", need: needAction, act: service.ActSCIMManage, ok: 200, setup: none},
		{name: "change sso policy", method: "PATCH", route: t + "/sso/policy", need: needSuperAdmin, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"jit": true, "domains": []any{"acme.example"}}, after: func(t *testing.T) {
					f.super.do("PATCH", f.e.teamPath("/sso/policy"), map[string]any{"jit": false, "domains": []any{}}).must(t, 200)
				}}
			}},
		{name: "sso traces", method: "GET", route: t + "/sso/traces", need: needAction, act: service.ActAuditRead, ok: 200,
			setup: func(f *authzFixture) authzReq { f.ssoTrace(); return authzReq{okCheck: listed("traces")} }},
		{name: "sso trace", method: "GET", route: t + "/sso/traces/{id}", need: needAction, act: service.ActAuditRead, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.ssoTrace()} }},
		// The event stream, webhooks and the deprovisioning guard
		// (events_test.go, webhooks_api_test.go, guard_test.go).
		{name: "events", method: "GET", route: t + "/events", need: needAction, act: service.ActEventsRead, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{query: "?limit=1000", okCheck: func(t *testing.T, r response) {
					data, _ := r.Body["data"].([]any)
					if len(data) == 0 {
						t.Errorf("team A's events are not listed: %.300s", r.Raw)
					}
					for _, ev := range data {
						if team, _ := ev.(map[string]any)["team"].(map[string]any); team["id"] != f.e.Team.ID {
							t.Errorf("an event of another team: %v", ev)
						}
					}
				}}
			}},
		{name: "webhooks", method: "GET", route: t + "/webhooks", need: needAction, act: service.ActWebhooksManage, ok: 200,
			setup: func(f *authzFixture) authzReq { f.webhook(); return authzReq{okCheck: listed("webhooks")} }},
		{name: "create webhook", method: "POST", route: t + "/webhooks", need: needAction, act: service.ActWebhooksManage, ok: 201,
			setup: func(f *authzFixture) authzReq {
				return authzReq{body: map[string]any{"url": "https://hooks.example.com/authz-created", "types": []any{"member.*"}}}
			}},
		{name: "webhook", method: "GET", route: t + "/webhooks/{id}", need: needAction, act: service.ActWebhooksManage, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.webhook()} }},
		{name: "change webhook", method: "PATCH", route: t + "/webhooks/{id}", need: needAction, act: service.ActWebhooksManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				// The attack would send team A's events to the attacker.
				return authzReq{id: f.webhook(), body: map[string]any{"url": "https://attacker.example.net/steal", "enabled": false}}
			}},
		{name: "delete webhook", method: "DELETE", route: t + "/webhooks/{id}", need: needAction, act: service.ActWebhooksManage, ok: 204,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.webhook()} }},
		{name: "rotate webhook secret", method: "POST", route: t + "/webhooks/{id}/rotate-secret", need: needAction, act: service.ActWebhooksManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.webhook(), body: map[string]any{"grace": "1h"}, okCheck: func(t *testing.T, r response) {
					if sec, _ := r.Body["secret"].(string); !strings.HasPrefix(sec, "whsec_") {
						t.Errorf("no new secret: %.300s", r.Raw)
					}
				}}
			}},
		{name: "webhook deliveries", method: "GET", route: t + "/webhooks/{id}/deliveries", need: needAction, act: service.ActWebhooksManage, ok: 200,
			setup: func(f *authzFixture) authzReq { return authzReq{id: f.webhook(), okCheck: listed("deliveries")} }},
		{name: "replay webhook", method: "POST", route: t + "/webhooks/{id}/replay", need: needAction, act: service.ActWebhooksManage, ok: 202,
			setup: func(f *authzFixture) authzReq {
				return authzReq{id: f.webhook(), body: map[string]any{"since_seq": 1}}
			}},
		{name: "deprovisioning guard", method: "GET", route: t + "/deprovisioning", need: needAction, act: service.ActSCIMManage, ok: 200, setup: none},
		{name: "change deprovisioning guard", method: "PATCH", route: t + "/deprovisioning", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				// The attack would switch the guard off.
				return authzReq{body: map[string]any{"enabled": false}, after: func(t *testing.T) {
					f.super.do("PATCH", f.e.teamPath("/deprovisioning"), map[string]any{"enabled": true}).must(t, 200)
				}}
			}},
		{name: "confirm deprovisioning", method: "POST", route: t + "/deprovisioning/confirm", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				f.e.pauseGuard(f.victim(dev))
				return authzReq{okCheck: func(t *testing.T, r response) {
					if applied, _ := r.Body["applied"].([]any); len(applied) != 1 {
						t.Errorf("the held delete was not applied: %.300s", r.Raw)
					}
				}, after: f.e.restoreGuard}
			}},
		{name: "reject deprovisioning", method: "POST", route: t + "/deprovisioning/reject", need: needAction, act: service.ActSCIMManage, ok: 200,
			setup: func(f *authzFixture) authzReq {
				f.e.pauseGuard(f.victim(dev))
				return authzReq{okCheck: func(t *testing.T, r response) {
					if dropped, _ := r.Body["dropped"].([]any); len(dropped) != 1 {
						t.Errorf("the held delete was not dropped: %.300s", r.Raw)
					}
				}, after: f.e.restoreGuard}
			}},
	}
}

// listsTeamA checks an answer's "teams": team A is listed, or not.
func (f *authzFixture) listsTeamA(want bool) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		teams, ok := r.Body["teams"].([]any)
		if !ok {
			t.Errorf("no teams list: %.300s", r.Raw)
			return
		}
		found := false
		for _, tm := range teams {
			if m, _ := tm.(map[string]any); m["slug"] == f.e.Team.Slug {
				found = true
			}
		}
		if found != want {
			t.Errorf("team %s listed: %v, want %v: %.300s", f.e.Team.Slug, found, want, r.Raw)
		}
	}
}

// authzCaller is a generated caller of team routes and account routes.
type authzCaller struct {
	who  string
	c    *client
	kind string // anon, revoked, csrf, deactivated, role, other
	role string
}

func (f *authzFixture) callers() []authzCaller {
	cs := []authzCaller{
		{who: "no credentials", c: f.e.anon(), kind: "anon"},
		{who: "revoked token of A's Super Admin", c: f.revoked, kind: "revoked"},
		{who: "A's Super Admin's session without CSRF token", c: f.noCSRF, kind: "csrf"},
		{who: "deactivated Super Admin of A", c: f.deact, kind: "deactivated"},
	}
	for _, role := range service.AllRoles {
		if c := f.roles[role]; c != nil {
			cs = append(cs, authzCaller{who: role + " of A", c: c, kind: "role", role: role})
		}
	}
	return append(cs,
		authzCaller{who: "team B's Super Admin (token)", c: f.otherTok, kind: "other"},
		authzCaller{who: "team B's Super Admin (session)", c: f.otherCook, kind: "other"})
}

// expect is the status a generated caller gets on a row; run is false
// when the caller is not lesser than the row needs (or the row's own
// attacks cover it).
func (row authzRow) expect(k authzCaller) (status int, run bool) {
	team := row.need == needMember || row.need == needAction || row.need == needSuperAdmin
	switch {
	case row.need == needPublic:
		return 0, false
	case k.kind == "anon" || k.kind == "revoked":
		return 401, true
	case k.kind == "csrf":
		if row.method == "GET" {
			return row.ok, true // reads need no CSRF token
		}
		return 403, true
	case !team:
		return 0, false // account routes: roles and teams mean nothing
	case k.kind == "deactivated":
		return 403, true
	case k.kind == "other":
		return 404, true
	case k.kind == "role" && row.need == needSuperAdmin:
		return 403, k.role != service.RoleSuperAdmin
	case k.kind == "role" && row.need == needAction:
		return 403, !service.Allowed([]string{k.role}, row.act)
	}
	return 0, false
}

func (f *authzFixture) path(route, slug, id, query string) string {
	p := strings.ReplaceAll(strings.ReplaceAll(route, "{slug}", slug), "{id}", id)
	if strings.ContainsAny(p, "{}") {
		f.e.t.Fatalf("unfilled path %s", p)
	}
	return p + query
}

func (f *authzFixture) run(t *testing.T, row authzRow) {
	parent := f.e.t
	f.e.t = t // the helpers fail this subtest
	defer func() { f.e.t = parent }()

	req := row.setup(f)
	op := f.routes[row.method+" "+row.route]
	before := f.snapshot(t)
	slugA, slugB := f.e.Team.Slug, f.other.Slug

	send := func(who string, c *client, slug, id string, body any, want int, outsider bool, check func(*testing.T, response)) response {
		t.Helper()
		if id == "" {
			id = req.id
		}
		if body == nil {
			body = req.body
		}
		r := c.do(row.method, f.path(row.route, slug, id, req.query), body)
		if r.Status != want {
			t.Errorf("%s: status %d, want %d: %.400s", who, r.Status, want, r.Raw)
		} else if !op.statuses[want] {
			t.Errorf("%s: status %d is not among the answers openapi.json documents for %s %s", who, want, row.method, row.route)
		}
		if want >= 400 && r.Status == want {
			checkRefusal(t, who, r)
		}
		if outsider && r.Status < 300 {
			f.noLeak(t, who, r, before)
		}
		if check != nil {
			check(t, r)
		}
		after := f.snapshot(t)
		if d := before.diff(after, want >= 400); len(d) > 0 {
			t.Errorf("%s: team A changed:\n  %s", who, strings.Join(d, "\n  "))
		}
		before = after
		return r
	}

	for _, k := range f.callers() {
		want, run := row.expect(k)
		if !run || (k.kind == "csrf" && want < 400 && req.as != nil) {
			continue // the cookie is A's Super Admin's, not the row's caller's
		}
		r := send(k.who, k.c, slugA, "", nil, want, k.kind == "other", nil)
		switch {
		case r.Status != want:
		case k.kind == "csrf" && want == 403:
			if code := apiErrorCode(r); code != "csrf" {
				t.Errorf("%s: code %q, want csrf: %s", k.who, code, r.Raw)
			}
		case k.kind == "deactivated":
			if msg := apiErrorMessage(r); !strings.Contains(msg, "deactivated") {
				t.Errorf("%s: message %q does not say the membership is deactivated", k.who, msg)
			}
		case k.kind == "role":
			// The refusal says who can act.
			if msg := apiErrorMessage(r); apiErrorCode(r) != "forbidden" || !strings.Contains(msg, "Admin") {
				t.Errorf("%s: refusal %s", k.who, r.Raw)
			}
		case k.kind == "other":
			// Exactly the answer for a team that doesn't exist.
			ghost := send(k.who+", nonexistent team", k.c, ghostSlug, "", nil, 404, true, nil)
			same := func(s string) string { return strings.ReplaceAll(s, ghostSlug, slugA) }
			if apiErrorCode(ghost) != apiErrorCode(r) || same(apiErrorMessage(ghost)) != apiErrorMessage(r) {
				t.Errorf("%s: team A's answer differs from a nonexistent team's:\n  %s\n  %s", k.who, r.Raw, ghost.Raw)
			}
		}
	}
	if row.need == needMember || row.need == needAction || row.need == needSuperAdmin {
		// Team B's Super Admin under B's own slug: A's ids are not found,
		// and B's lists show nothing of A.
		switch {
		case strings.Contains(row.route, "{id}"):
			send("team B's Super Admin, B's slug, A's id", f.otherTok, slugB, "", nil, 404, true, nil)
		case row.method == "GET":
			send("team B's Super Admin, B's slug", f.otherTok, slugB, "", nil, row.ok, true, nil)
		}
	}
	for _, a := range req.attacks {
		send(a.who, a.c, slugA, a.id, a.body, a.status, a.outsider, a.check)
	}

	// The positive control: the authorised caller succeeds.
	as := req.as
	if as == nil {
		as = f.super
	}
	r := as.do(row.method, f.path(row.route, slugA, req.id, req.query), req.body)
	if r.Status != row.ok {
		t.Fatalf("the authorised caller: status %d, want %d: %.400s", r.Status, row.ok, r.Raw)
	}
	if req.okCheck != nil {
		req.okCheck(t, r)
	}
	if req.after != nil {
		req.after(t)
	}
}

func apiErrorCode(r response) string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func apiErrorMessage(r response) string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// checkRefusal asserts the admin API's error shape.
func checkRefusal(t *testing.T, who string, r response) {
	t.Helper()
	e, _ := r.Body["error"].(map[string]any)
	if e == nil || e["status"] != float64(r.Status) || apiErrorCode(r) == "" || apiErrorMessage(r) == "" {
		t.Errorf("%s: not an API error body: %s", who, r.Raw)
	}
	if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: 401 without WWW-Authenticate", who)
	}
}

// noLeak fails when an answer to an outsider names anything of team A.
func (f *authzFixture) noLeak(t *testing.T, who string, r response, s authzState) {
	t.Helper()
	raw := string(r.Raw)
	for _, id := range s.ids {
		if strings.Contains(raw, id) {
			t.Errorf("%s: the answer names %s of team A: %.400s", who, id, raw)
		}
	}
	if strings.Contains(raw, "@acme.example") || strings.Contains(raw, `"`+f.e.Team.Slug+`"`) {
		t.Errorf("%s: the answer names team A or its members: %.400s", who, raw)
	}
}

// authzState is what can be observed of team A (and of its Super
// Admin's account): a refused request must change none of it.
type authzState struct {
	Team         string
	Members      []string
	Groups       []string
	Invites      []string
	Keys         []string
	Audit        string // team A's newest audit events
	Webhooks     []string
	Guard        string // the deprovisioning guard's settings, state and holds
	Events       string // where team A's event stream stands
	Account      []string
	AccountAudit string // the newest events of the account trail (sign-ins, tokens, …)

	ids []string // every id of A, for leak checks; not compared
}

func (f *authzFixture) snapshot(t *testing.T) authzState {
	t.Helper()
	ctx := context.Background()
	st := f.e.St
	var s authzState
	fail := func(err error) {
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	team, err := st.TeamBySlug(ctx, f.e.Team.Slug)
	fail(err)
	s.Team = fmt.Sprintf("name=%q scim=%v ext=%s seats=%d groupDelete=%v defaultRole=%s",
		team.Name, team.SCIMEnabled, team.UserExtension, team.SeatLimit, team.GroupDeleteDeactivates, team.DefaultRole)
	all := store.Page{Limit: 1 << 20}
	users, _, err := st.ListUsers(ctx, team.ID, store.Query{Page: all})
	fail(err)
	for _, u := range users {
		s.Members = append(s.Members, fmt.Sprintf("%s %s roles=%s active=%v source=%s v%d %s", u.ID, u.UserName, u.Role, u.Active, u.Source, u.Version, u.Attrs))
		s.ids = append(s.ids, u.ID)
	}
	// Every membership in one query.
	of, err := st.GroupsOfUsers(ctx, team.ID, s.ids)
	fail(err)
	members := map[string][]string{}
	for _, id := range s.ids {
		for _, g := range of[id] {
			members[g.GroupID] = append(members[g.GroupID], id)
		}
	}
	groups, _, err := st.ListGroups(ctx, team.ID, store.Query{Page: all})
	fail(err)
	for _, g := range groups {
		roles, err := st.GroupRoles(ctx, team.ID, g.ID)
		fail(err)
		ms := members[g.ID]
		sort.Strings(ms)
		s.Groups = append(s.Groups, fmt.Sprintf("%s %q v%d members=%v roles=%v", g.ID, g.DisplayName, g.Version, ms, roles))
		s.ids = append(s.ids, g.ID)
	}
	invites, err := st.ListPendingInvites(ctx, team.ID)
	fail(err)
	for _, i := range invites {
		s.Invites = append(s.Invites, fmt.Sprintf("%s %s role=%s %s sent=%v expires=%v", i.ID, i.Email, i.Role, i.Status, i.SentAt, i.ExpiresAt))
		s.ids = append(s.ids, i.ID)
	}
	keys, err := st.ListKeys(ctx, team.ID)
	fail(err)
	for _, k := range keys {
		s.Keys = append(s.Keys, fmt.Sprintf("%s %s expires=%v revoked=%v used=%v", k.ID, k.Name, k.ExpiresAt, k.RevokedAt, k.LastUsedAt))
		s.ids = append(s.ids, k.ID)
	}
	s.Audit, err = newestAudit(ctx, st, team.ID)
	fail(err)
	hooks, err := st.ListWebhookEndpoints(ctx, team.ID)
	fail(err)
	for _, h := range hooks {
		// Settings only: a delivery worker moves the progress on its own
		// (a refused replay shows in the audit trail).
		s.Webhooks = append(s.Webhooks, fmt.Sprintf("%s %s types=%v enabled=%v secret=%x", h.ID, h.URL, h.Types, h.Enabled,
			sha256.Sum256([]byte(h.Secret+" "+h.OldSecret))))
		s.ids = append(s.ids, h.ID)
	}
	g, err := st.DeprovisionGuard(ctx, team.ID)
	fail(err)
	holds, err := st.ListDeprovisionHolds(ctx, team.ID)
	fail(err)
	s.Guard = fmt.Sprintf("enabled=%v %d%% min=%d window=%s paused=%v holds=%d", g.Enabled, g.Percent, g.MinCount, g.Window, g.PausedAt != nil, len(holds))
	pos, err := st.EventPosition(ctx, team.ID)
	fail(err)
	s.Events = fmt.Sprintf("last=%d pruned=%d", pos.LastSeq, pos.PrunedThrough)
	acc, err := st.AccountByEmail(ctx, f.adminEmail)
	fail(err)
	s.Account = append(s.Account, fmt.Sprintf("%s %s %s", acc.ID, acc.Email, acc.PasswordHash))
	tokens, err := st.ListAPITokens(ctx, acc.ID)
	fail(err)
	for _, tk := range tokens {
		s.Account = append(s.Account, fmt.Sprintf("token %s %s revoked=%v", tk.ID, tk.Name, tk.RevokedAt))
		s.ids = append(s.ids, tk.ID)
	}
	s.AccountAudit, err = newestAudit(ctx, st, "")
	fail(err)
	s.ids = append(s.ids, team.ID)
	if f.provEntry != "" {
		s.ids = append(s.ids, f.provEntry)
	}
	return s
}

// diff lists what changed. A request that may succeed for its caller
// (on their own account) may add to the account trail.
func (a authzState) diff(b authzState, withAccountAudit bool) []string {
	var out []string
	cmp := func(what string, x, y []string) {
		for _, v := range x {
			if !slices.Contains(y, v) {
				out = append(out, what+" before: "+v)
			}
		}
		for _, v := range y {
			if !slices.Contains(x, v) {
				out = append(out, what+" after:  "+v)
			}
		}
	}
	if a.Team != b.Team {
		out = append(out, "team before: "+a.Team, "team after:  "+b.Team)
	}
	cmp("member", a.Members, b.Members)
	cmp("group", a.Groups, b.Groups)
	cmp("invite", a.Invites, b.Invites)
	cmp("key", a.Keys, b.Keys)
	cmp("account", a.Account, b.Account)
	cmp("webhook", a.Webhooks, b.Webhooks)
	if a.Guard != b.Guard {
		out = append(out, "guard before: "+a.Guard, "guard after:  "+b.Guard)
	}
	if a.Events != b.Events {
		out = append(out, "events before: "+a.Events, "events after:  "+b.Events)
	}
	if a.Audit != b.Audit {
		out = append(out, "team A's audit trail has new events")
	}
	if withAccountAudit && a.AccountAudit != b.AccountAudit {
		out = append(out, "the account audit trail has new events")
	}
	return out
}

// newestAudit identifies the newest events of a trail (a team's, or with
// teamID "" the accounts'). The trail is append-only and ordered by time
// to the nanosecond, so any new event changes it; reading only the
// newest keeps a snapshot cheap however long the trail grows.
func newestAudit(ctx context.Context, st store.Reader, teamID string) (string, error) {
	evs, err := st.ListAudit(ctx, teamID, 100)
	if err != nil {
		return "", err
	}
	ids := make([]string, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ","), nil
}
