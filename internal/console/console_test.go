package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testserver"
)

func TestMain(m *testing.M) {
	testserver.CheapPasswordHashes() // the tests sign in many times
	os.Exit(m.Run())
}

const pw = "correct horse battery staple"

type env struct {
	t      *testing.T
	url    string
	api    *server.Server
	svc    *service.Service
	st     store.Store
	team   store.Team
	admin  string
	adminP string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, st, testserver.Options{})
	e := &env{t: t, url: ts.URL, api: ts.API, svc: ts.Svc, st: ts.St, admin: "owner@acme.example"}
	e.team, e.adminP = testserver.NewTeamWithAdmin(t, ts.Svc, "Acme", e.admin)
	return e
}

// addMember adds an active member with roles and an account (password pw).
func (e *env) addMember(email string, roles []string, source string) store.User {
	e.t.Helper()
	return testserver.AddMember(e.t, e.st, e.svc, e.team, email, roles, source, true, pw)
}

// browser is a cookie-keeping client that doesn't follow redirects.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	*http.Response
	body string
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{res, string(raw)}
	if m := csrfRE.FindStringSubmatch(out.body); m != nil {
		b.csrf = m[1]
	}
	return out
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) get(path string) resp { return b.do("GET", path, nil) }

// post sends a form with the session's CSRF token.
func (b *browser) post(path string, form url.Values) resp {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf)
	return b.do("POST", path, form)
}

func (e *env) signIn(email, password string) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.do("POST", "/signin", url.Values{"email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: %d %s", email, r.StatusCode, r.body)
	}
	b.get("/teams/acme/members") // picks up the CSRF token
	if b.csrf == "" {
		e.t.Fatal("no CSRF token on the members page")
	}
	return b
}

func want(t *testing.T, r resp, status int, contains ...string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Fatalf("%s %s: body lacks %q\n%s", r.Request.Method, r.Request.URL.Path, s, r.body)
		}
	}
}

func wantNot(t *testing.T, r resp, absent ...string) {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(r.body, s) {
			t.Fatalf("%s %s: body has %q", r.Request.Method, r.Request.URL.Path, s)
		}
	}
}

func checkHeaders(t *testing.T, r resp) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	for _, s := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, s) {
			t.Errorf("%s: CSP %q lacks %q", r.Request.URL.Path, csp, s)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP allows unsafe code: %q", r.Request.URL.Path, csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff", r.Request.URL.Path)
	}
	if r.Header.Get("Referrer-Policy") == "" {
		t.Errorf("%s: no Referrer-Policy", r.Request.URL.Path)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.get("/teams/acme/members")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("signed out: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.get("/signin")
	want(t, r, 200, `<label for="email">Email</label>`, `<label for="password">Password</label>`)
	checkHeaders(t, r)
	r = b.do("POST", "/signin", url.Values{"email": {e.admin}, "password": {"wrong"}})
	want(t, r, http.StatusUnauthorized, "Wrong email or password")
	r = b.do("POST", "/signin", url.Values{"email": {e.admin}, "password": {e.adminP}, "next": {"https://evil.example/"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.get("/")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/teams/acme/" {
		t.Fatalf("home: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// The team's home is its overview.
	want(t, b.get("/teams/acme/"), 200, "<h1>Acme</h1>", `id="overview-stats"`, "Connect your identity provider")
	r = b.get("/teams")
	want(t, r, 200, "Your teams", "Acme", "Super Admin")
	// The session works on the admin API too: one sign-in system.
	r = b.get("/api/v1/me")
	want(t, r, 200, e.admin)
	// Another team is a 404, like the API.
	r = b.get("/teams/other/members")
	want(t, r, 404, "not a member")
	// Sign-out needs the CSRF token, then ends the session.
	r = b.do("POST", "/signout", url.Values{})
	want(t, r, http.StatusForbidden, "CSRF")
	r = b.post("/signout", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.StatusCode)
	}
	if r = b.get("/teams/acme/members"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", r.StatusCode)
	}
}

func scimGet(t *testing.T, e *env, key, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/scim/v2"+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var keyRE = regexp.MustCompile(`id="new-key"[^>]*value="(rsk_[A-Za-z0-9_-]+)"`)

func TestAuthenticationPage(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/teams/acme/settings/authentication")
	want(t, r, 200, "SCIM provisioning", "can't leave", "can't change their email or password", "Only team admins remove",
		e.url+"/scim/v2", "No keys yet", `data-copy="scim-base-url"`, "Test connection")
	checkHeaders(t, r)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}

	// CSRF: a form without the token changes nothing.
	r = b.do("POST", "/teams/acme/settings/scim", url.Values{"enabled": {"true"}})
	want(t, r, http.StatusForbidden, "CSRF")
	if tm, _ := e.svc.Team(context.Background(), "acme"); tm.SCIMEnabled {
		t.Fatal("SCIM switched on without a CSRF token")
	}
	r = b.post("/teams/acme/settings/scim", url.Values{"enabled": {"true"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("scim on: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "SCIM provisioning is on.", "Turn SCIM provisioning off")

	// A key without CSRF is refused; with it, shown once, no-store.
	want(t, b.do("POST", "/teams/acme/settings/keys", url.Values{"name": {"okta"}}), http.StatusForbidden)
	want(t, b.post("/teams/acme/settings/keys", url.Values{"name": {""}}), http.StatusBadRequest, "Give the key a name")
	r = b.post("/teams/acme/settings/keys", url.Values{"name": {"okta"}, "expires_in": {"2160h"}})
	want(t, r, http.StatusCreated, "won't be shown again", `data-copy="new-key"`, "ACTIVE")
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("key page Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	checkHeaders(t, r)
	m := keyRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no key in\n%s", r.body)
	}
	key := m[1]
	if st, body := scimGet(t, e, key, "/Users?startIndex=1&count=2"); st != 200 {
		t.Fatalf("key on SCIM: %d %s", st, body)
	}
	// Shown once: the next page load has no key.
	r = b.get("/teams/acme/settings/authentication")
	wantNot(t, r, key)
	want(t, r, 200, "okta", "ACTIVE", "by account:"+e.admin)

	// Test connection, in words.
	want(t, b.post("/teams/acme/settings/test-connection", url.Values{"key": {key}}), 200, "Connection works", "answered 200 OK")
	want(t, b.post("/teams/acme/settings/test-connection", url.Values{"key": {"rsk_nope"}}), 200, "The key was refused (401 Unauthorized)", "invalid SCIM API key")

	keys, _ := e.svc.ListKeys(context.Background(), "acme")
	id := keys[0].ID
	// Rotate with a grace period: a new key, the old one still works for now.
	r = b.post("/teams/acme/settings/keys/"+id+"/rotate", url.Values{"grace": {"1h"}})
	want(t, r, http.StatusCreated, "won't be shown again", "stops working at")
	newKey := keyRE.FindStringSubmatch(r.body)[1]
	if st, _ := scimGet(t, e, newKey, "/Users"); st != 200 {
		t.Fatalf("rotated key: %d", st)
	}
	if st, _ := scimGet(t, e, key, "/Users"); st != 200 {
		t.Fatalf("old key in grace: %d", st)
	}
	// Revoke: refused at once.
	r = b.post("/teams/acme/settings/keys/"+id+"/revoke", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "REVOKED", "The key was revoked")
	if st, _ := scimGet(t, e, key, "/Users"); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	want(t, b.post("/teams/acme/settings/test-connection", url.Values{"key": {key}}), 200, "was revoked")

	// SCIM off: the test says so.
	b.post("/teams/acme/settings/scim", url.Values{"enabled": {"false"}})
	want(t, b.post("/teams/acme/settings/test-connection", url.Values{"key": {newKey}}), 200, "SCIM provisioning is off (403 Forbidden)")
}

func TestDeveloperIsRefused(t *testing.T) {
	e := newEnv(t)
	target := e.addMember("target@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	e.addMember("dev@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	b := e.signIn("dev@acme.example", pw)
	// A developer's overview: members and groups, not SCIM or the logs.
	r := b.get("/teams/acme/")
	want(t, r, 200, `id="stat-active"`, `id="stat-groups"`, "team admins also see SCIM")
	wantNot(t, r, "SCIM provisioning</h2>", "errors-24h", "activity-chart", "Connect your identity provider", "/settings/policies")
	r = b.get("/teams/acme/members")
	want(t, r, 200, "target@acme.example")
	wantNot(t, r, "Invite people", "/settings/authentication", "Provisioning log")
	r = b.get("/teams/acme/members/" + target.ID)
	want(t, r, 200, "SCIM attributes", "target@acme.example")
	wantNot(t, r, "Remove member", "Audit trail")
	for _, path := range []string{"/teams/acme/settings/authentication", "/teams/acme/settings/policies", "/teams/acme/invites", "/teams/acme/logs/audit", "/teams/acme/logs/provisioning"} {
		r = b.get(path)
		want(t, r, http.StatusForbidden, "you need one of the roles Super Admin, Admin")
		checkHeaders(t, r)
	}
	want(t, b.post("/teams/acme/members/"+target.ID+"/remove", nil), http.StatusForbidden, "members.manage")
	want(t, b.post("/teams/acme/members/"+target.ID+"/roles", url.Values{"roles": {"Admin"}}), http.StatusForbidden, "members.manage")
	want(t, b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"1"}}), http.StatusForbidden)
	want(t, b.post("/teams/acme/settings/keys", url.Values{"name": {"x"}}), http.StatusForbidden)
	want(t, b.post("/teams/acme/settings/scim", url.Values{"enabled": {"true"}}), http.StatusForbidden)
	want(t, b.post("/teams/acme/invites", url.Values{"email": {"x@acme.example"}}), http.StatusForbidden)
	if _, err := e.svc.GetMember(context.Background(), service.Caller{Team: e.team}, target.ID); err != nil {
		t.Fatal("member was removed by a developer")
	}
	// Guides and groups are readable.
	want(t, b.get("/teams/acme/settings/guides/okta"), 200, "SCIM connector base URL")
	want(t, b.get("/teams/acme/groups"), 200, "No groups yet")
}

func TestMembersPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.svc.SetSCIM(ctx, "acme", true, service.Actor{Kind: "cli"})
	p := service.Principal{Team: e.team}
	p.Team.SCIMEnabled = true
	var firstID string
	for i := range 120 {
		v, err := e.svc.CreateUser(ctx, p, service.Actor{Kind: "scim-key", Name: "okta"}, map[string]any{
			"userName": fmt.Sprintf("user%03d@acme.example", i), "displayName": fmt.Sprintf("User %03d", i), "active": i%10 != 0})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstID = v.User.ID
		}
	}
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/teams/acme/members")
	want(t, r, 200, "Showing 1–50 of 121 members", "Page 1 of 3", `<label for="q">Search</label>`, `hx-get="/teams/acme/members"`)
	checkHeaders(t, r)
	want(t, b.get("/teams/acme/members?page=3"), 200, "Showing 101–121 of 121", "‹ Previous")
	want(t, b.get("/teams/acme/members?q=user007"), 200, "Showing 1–1 of 1 matching", "User 007")
	want(t, b.get("/teams/acme/members?status=deactivated"), 200, "of 12 matching")
	want(t, b.get("/teams/acme/members?source=scim&role=Developer"), 200, "of 120 matching")
	want(t, b.get("/teams/acme/members?role=Super+Admin"), 200, "of 1 matching", e.admin)
	want(t, b.get("/teams/acme/members?q=nobody"), 200, "No members match")

	r = b.get("/teams/acme/members/" + firstID)
	want(t, r, 200, "User 000", "SCIM attributes", "user000@acme.example", "Audit trail", "user.create", "Remove member")
	want(t, b.get("/teams/acme/members/nope"), 404)

	// Remove: CSRF first, then done.
	want(t, b.do("POST", "/teams/acme/members/"+firstID+"/remove", url.Values{}), http.StatusForbidden, "CSRF")
	r = b.post("/teams/acme/members/"+firstID+"/remove", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "The member was removed", "of 120 members")
}

func TestInvitesPage(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/teams/acme/invites")
	want(t, r, 200, "No pending invites", `<label for="invite-email">Email</label>`)
	want(t, b.do("POST", "/teams/acme/invites", url.Values{"email": {"new@acme.example"}}), http.StatusForbidden, "CSRF")
	want(t, b.post("/teams/acme/invites", url.Values{"email": {"not an email"}}), http.StatusBadRequest, "not a valid email")
	r = b.post("/teams/acme/invites", url.Values{"email": {"new@acme.example"}, "role": {"Billing"}})
	want(t, r, http.StatusCreated, "Invite link for new@acme.example", "rit_", "/invite?token=rit_", "new@acme.example", "Billing")
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("invite token page is cacheable")
	}
	want(t, b.post("/teams/acme/invites", url.Values{"email": {"new@acme.example"}}), http.StatusConflict, "already has a pending invite")
	list, _ := e.svc.Invites(context.Background(), service.Caller{Team: e.team})
	if len(list) != 1 {
		t.Fatalf("invites: %v", list)
	}
	want(t, b.post("/teams/acme/invites/"+list[0].ID+"/resend", nil), 200, "Invite re-sent", "rit_")
	r = b.post("/teams/acme/invites/"+list[0].ID+"/revoke", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "The invite was revoked", "No pending invites")
}

// TestAcceptInvitePage follows an invite link as the invitee: a wrong
// token and mismatched passwords are refused with words, then the person
// joins, is signed in, and lands in the team.
func TestAcceptInvitePage(t *testing.T) {
	e := newEnv(t)
	ni, err := e.svc.InviteMember(context.Background(), service.Caller{Team: e.team, Actor: service.Actor{Kind: "cli"},
		Roles: []string{service.RoleSuperAdmin}}, "joiner@acme.example", service.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	r := b.get("/invite?token=" + url.QueryEscape(ni.Token))
	want(t, r, 200, "Accept your invite", `name="token" value="`+ni.Token+`"`, `<label for="password">Password</label>`)
	if r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers of a page whose URL holds a token: %v", r.Header)
	}
	want(t, b.get("/invite"), 200, `<label for="token">Invite token</label>`)
	want(t, b.do("POST", "/invite", url.Values{"token": {"rit_nope"}, "password": {"long enough pass"}}), http.StatusNotFound, "unknown or was replaced")
	want(t, b.do("POST", "/invite", url.Values{"token": {ni.Token}, "password": {"long enough pass"}, "confirm": {"other"}}), http.StatusBadRequest, "The two passwords differ")
	want(t, b.do("POST", "/invite", url.Values{"token": {ni.Token}, "password": {"short"}}), http.StatusBadRequest, "at least 10 characters")
	r = b.do("POST", "/invite", url.Values{"token": {ni.Token}, "password": {"long enough pass"}, "confirm": {"long enough pass"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/teams/acme/?done=joined" {
		t.Fatalf("accept: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "you accepted the invite", "joiner@acme.example", "<h1>Acme</h1>")
	// The link works once.
	want(t, e.browser().do("POST", "/invite", url.Values{"token": {ni.Token}, "password": {"long enough pass"}}), http.StatusGone)
}

func TestGroupsPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := service.Principal{Team: e.team}
	a := service.Actor{Kind: "scim-key", Name: "okta"}
	var ids []any
	for i := range 3 {
		v, err := e.svc.CreateUser(ctx, p, a, map[string]any{"userName": fmt.Sprintf("g%d@acme.example", i), "active": true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, map[string]any{"value": v.User.ID})
	}
	g, err := e.svc.CreateGroup(ctx, p, a, map[string]any{"displayName": "Engineering", "members": ids})
	if err != nil {
		t.Fatal(err)
	}
	b := e.signIn(e.admin, e.adminP)
	want(t, b.get("/teams/acme/groups"), 200, "Engineering", "Showing 1–1 of 1 groups")
	want(t, b.get("/teams/acme/groups?q=eng"), 200, "Engineering")
	want(t, b.get("/teams/acme/groups?q=zzz"), 200, "No groups match")
	r := b.get("/teams/acme/groups/" + g.Group.ID)
	want(t, r, 200, "Role bindings", "g0@acme.example", "Showing 1–3 of 3 members", "Save role bindings")
	r = b.post("/teams/acme/groups/"+g.Group.ID+"/roles", url.Values{"role": {"Billing"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("set roles: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get("/teams/acme/groups"), 200, "Billing")
	// An Admin (not Super Admin) can't bind Super Admin.
	e.addMember("admin2@acme.example", []string{service.RoleAdmin}, store.SourceManual)
	b2 := e.signIn("admin2@acme.example", pw)
	want(t, b2.post("/teams/acme/groups/"+g.Group.ID+"/roles", url.Values{"role": {"Super Admin"}}), http.StatusForbidden, "only a Super Admin can grant or withdraw the Super Admin role")
	roles, _ := e.st.GroupRoles(ctx, e.team.ID, g.Group.ID)
	if strings.Join(roles, ",") != "Billing" {
		t.Fatalf("roles %v", roles)
	}
}

func TestLogsPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.signIn(e.admin, e.adminP)
	want(t, b.get("/teams/acme/logs/provisioning"), 200, "No SCIM requests yet")
	e.svc.SetSCIM(ctx, "acme", true, service.Actor{Kind: "cli"})
	nk, err := e.svc.CreateKey(ctx, "acme", "okta", nil, service.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	// A bad SCIM call: a user without userName, with a password.
	req, _ := http.NewRequest("POST", e.url+"/scim/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"No Name","password":"hunter2-secret"}`))
	req.Header.Set("Authorization", "Bearer "+nk.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("bad call: %d", res.StatusCode)
	}
	if err := e.api.ProvisioningLog().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := b.get("/teams/acme/logs/provisioning?status=error")
	want(t, r, 200, "POST /scim/v2/Users", "400", "okta")
	checkHeaders(t, r)
	m := regexp.MustCompile(`/teams/acme/logs/provisioning/([0-9a-f-]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no entry link\n%s", r.body)
	}
	r = b.get("/teams/acme/logs/provisioning/" + m[1])
	want(t, r, 200, "What the IdP sent", "The error Roster sent back", "userName", "No Name")
	wantNot(t, r, "hunter2-secret")
	want(t, b.get("/teams/acme/logs/provisioning?status=2xx"), 200, "No requests match")
	want(t, b.get("/teams/acme/logs/provisioning/nope"), 404)

	r = b.get("/teams/acme/logs/audit")
	want(t, r, 200, "scim_key.create", "scim.enable")
	want(t, b.get("/teams/acme/logs/audit?action=scim_key."), 200, "scim_key.create")
	want(t, b.get("/teams/acme/logs/audit?action=nothing."), 200, "No events match")
	want(t, b.get("/teams/acme/logs/audit?since=yesterday"), 400, "since must be a date")

	// Export: the filtered log as a download, linked from the page.
	r = b.get("/teams/acme/logs/audit?action=scim_key.")
	want(t, r, 200, `/teams/acme/logs/audit/export?action=scim_key.&amp;format=csv`)
	r = b.get("/teams/acme/logs/audit/export?action=scim_key.&format=csv")
	want(t, r, 200, "id,at,actor,action,target", "scim_key.create")
	wantNot(t, r, "scim.enable")
	if !strings.Contains(r.Header.Get("Content-Disposition"), `filename="audit-acme.csv"`) {
		t.Fatalf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	want(t, b.get("/teams/acme/logs/audit/export?format=jsonl"), 200, `"action":"scim.enable"`)
	want(t, b.get("/teams/acme/logs/audit/export?format=xml"), 400, "format must be csv or jsonl")
}

func TestAuditPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 60 {
		if _, err := e.svc.CreateKey(ctx, "acme", fmt.Sprintf("k%02d", i), nil, service.Actor{Kind: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/teams/acme/logs/audit?action=scim_key.")
	want(t, r, 200, "Older ›")
	m := regexp.MustCompile(`href="([^"]+cursor=[^"]+)" rel="next"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no next link")
	}
	r = b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	want(t, r, 200, "« Newest", "k00")
}

func TestGuidesAndStatic(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	for idp, field := range map[string]string{"okta": "SCIM connector base URL", "entra": "Tenant URL", "onelogin": "SCIM Base URL", "jumpcloud": "Base URL"} {
		r := b.get("/teams/acme/settings/guides/" + idp)
		want(t, r, 200, field, "<code>"+e.url+"/scim/v2</code>", "needs HTTPS")
	}
	want(t, b.get("/teams/acme/settings/guides/pingone"), 404)
	for path, ct := range map[string]string{"/static/htmx.min.js": "javascript", "/static/console.css": "text/css", "/static/console.js": "javascript"} {
		r := b.get(path)
		want(t, r, 200)
		if !strings.Contains(r.Header.Get("Content-Type"), ct) {
			t.Errorf("%s: Content-Type %q", path, r.Header.Get("Content-Type"))
		}
	}
	want(t, b.get("/static/htmx.min.js"), 200, "htmx.org 2.0.11")
	// The console's routes leave SCIM's own 404s and 405s alone.
	r := b.get("/scim/v2/Nope")
	want(t, r, 404, "urn:ietf:params:scim:api:messages:2.0:Error")
	r = b.do("DELETE", "/scim/v2/Users", nil)
	want(t, r, 405)
}
