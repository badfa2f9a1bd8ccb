package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// scimDo sends one SCIM request with a key.
func scimDo(t *testing.T, e *env, key, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+"/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (e *env) flushLog() {
	e.t.Helper()
	if err := e.api.ProvisioningLog().Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// TestOverviewPage: the team's home says what to do while SCIM isn't
// connected, then shows the key in use, the last request, the errors of
// the last 24 hours (linked) and the chart, with counts that match.
func TestOverviewPage(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/teams/acme/")
	want(t, r, 200, "Connect your identity provider", `class="todo"`, "Turn SCIM provisioning on.", "No key has been used yet.",
		`id="stat-active">1<`, "no seat limit", "None yet", `id="activity-chart"`, "0 requests and 0 errors in the last 7 days")
	checkHeaders(t, r)
	if n := strings.Count(r.body, `<g class="hour">`); n != 7*24 {
		t.Fatalf("%d hours in the chart, want %d", n, 7*24)
	}

	// Connect: SCIM on, a key, two requests (one refused).
	b.post("/teams/acme/settings/scim", url.Values{"enabled": {"true"}})
	r = b.post("/teams/acme/settings/keys", url.Values{"name": {"okta"}})
	key := regexp.MustCompile(`value="(rsk_[^"]+)"`).FindStringSubmatch(r.body)
	if key == nil {
		t.Fatalf("no key: %s", r.body)
	}
	if st := scimDo(t, e, key[1], "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example"}`); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := scimDo(t, e, key[1], "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example"}`); st != 409 {
		t.Fatalf("duplicate: %d", st)
	}
	e.flushLog()
	r = b.get("/teams/acme/")
	want(t, r, 200, `id="key-in-use"><strong>okta</strong>`, "last used less than a minute ago", `id="stat-active">2<`,
		"POST /scim/v2/Users</code></a>", `<span class="badge revoked">409</span>`, "2 requests and 1 error in the last 7 days",
		"see what failed", `<rect class="err"`)
	wantNot(t, r, "Connect your identity provider")
	// The errors link lists exactly that error.
	link := regexp.MustCompile(`href="([^"]+)" id="errors-24h"`).FindStringSubmatch(r.body)
	if link == nil || !strings.Contains(r.body, `<span class="stat-num">1</span>`) {
		t.Fatalf("errors of the last 24 hours: %s", r.body)
	}
	errs := b.get(strings.ReplaceAll(link[1], "&amp;", "&"))
	want(t, errs, 200, "already exists", "map a unique value to userName")
	if n := strings.Count(errs.body, `class="row-err"`); n != 1 {
		t.Fatalf("%d errors listed, want 1", n)
	}
	// A seat limit shows against the seats used.
	b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"2"}})
	want(t, b.get("/teams/acme/"), 200, `2 <small>of 2</small>`, "limit reached")
}

// TestMustChangePasswordInTheConsole: signed in with the one-time
// password, every page sends the browser to the password form, and no
// form does anything; the API says 403 on the same session; sign-out
// works; once changed, the console opens where the person was going.
func TestMustChangePasswordInTheConsole(t *testing.T) {
	e := newEnv(t)
	_, once := testserver.NewTeamWithOneTimeAdmin(t, e.svc, "Initech", "boss@initech.example")
	b := e.browser()
	r := b.do("POST", "/signin", url.Values{"email": {"boss@initech.example"}, "password": {once}, "next": {"/teams/initech/members"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/teams/initech/members" {
		t.Fatalf("sign in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	for _, path := range []string{"/teams/initech/members", "/", "/teams", "/teams/initech/", "/teams/initech/settings/authentication"} {
		r = b.get(path)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account?next="+url.QueryEscape(path) {
			t.Fatalf("GET %s: %d %q", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	r = b.get("/account?next=" + url.QueryEscape("/teams/initech/members"))
	want(t, r, 200, "Choose your password", `id="must-change"`, `name="next" value="/teams/initech/members"`, `id="change-password"`)
	wantNot(t, r, "Personal API tokens", "Change email", `class="switcher"`)
	// Forms refuse, and change nothing.
	r = b.post("/teams/initech/settings/scim", url.Values{"enabled": {"true"}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account") {
		t.Fatalf("a form while the change is due: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	for _, form := range []string{"/account/tokens", "/account/email"} {
		if r = b.post(form, url.Values{"name": {"x"}, "email": {"x@initech.example"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", form, r.StatusCode)
		}
	}
	ctx := context.Background()
	if tm, _ := e.svc.Team(ctx, "initech"); tm.SCIMEnabled {
		t.Fatal("SCIM was switched on")
	}
	if acc, _ := e.st.AccountByEmail(ctx, "boss@initech.example"); acc.Email != "boss@initech.example" || !acc.MustChangePassword {
		t.Fatalf("account %+v", acc)
	}
	// The admin API, on the same session, says why.
	want(t, b.get("/api/v1/teams/initech"), 403, "password_change_required")

	// Wrong current password, mismatched confirmation, the same password.
	want(t, b.post("/account/password", url.Values{"current_password": {"nope"}, "new_password": {"my own password"}, "confirm_password": {"my own password"}}),
		403, "the current password is wrong", `id="must-change"`)
	want(t, b.post("/account/password", url.Values{"current_password": {once}, "new_password": {"my own password"}, "confirm_password": {"my own passwrd"}}),
		400, "The two new passwords differ")
	want(t, b.post("/account/password", url.Values{"current_password": {once}, "new_password": {once}, "confirm_password": {once}}),
		400, "other than the current one")
	r = b.post("/account/password", url.Values{"current_password": {once}, "new_password": {"my own password"}, "confirm_password": {"my own password"},
		"next": {"/teams/initech/members"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/teams/initech/members?done=password" {
		t.Fatalf("change: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "Your password was changed", "boss@initech.example")
	want(t, b.get("/account"), 200, "Your account", "Personal API tokens")

	// Sign-out works while the change is due.
	_, once2 := testserver.NewTeamWithOneTimeAdmin(t, e.svc, "Hooli", "gavin@hooli.example")
	h := e.browser()
	h.do("POST", "/signin", url.Values{"email": {"gavin@hooli.example"}, "password": {once2}})
	h.get("/account")
	if r = h.post("/signout", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin?done=signed-out" {
		t.Fatalf("sign out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestAccountPage: your email (locked while a team has SCIM on), your
// API tokens (shown once, revocable) and your password.
func TestAccountPage(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	r := b.get("/account")
	want(t, r, 200, "Your account", `id="account-email">owner@acme.example<`, "Acme", "Super Admin", `id="create-token"`)
	checkHeaders(t, r)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}

	// A token: shown once, works on the API, revoked.
	r = b.post("/account/tokens", url.Values{"name": {"ci"}})
	want(t, r, 201, "Copy this token now")
	tok := regexp.MustCompile(`id="new-token" class="mono" type="text" readonly value="(rpt_[^"]+)"`).FindStringSubmatch(r.body)
	if tok == nil {
		t.Fatalf("no token: %s", r.body)
	}
	api := func() int {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := api(); st != 200 {
		t.Fatalf("token on the API: %d", st)
	}
	r = b.get("/account")
	wantNot(t, r, tok[1])
	id := regexp.MustCompile(`action="/account/tokens/([^/"]+)/revoke"`).FindStringSubmatch(r.body)
	want(t, b.post("/account/tokens", url.Values{"name": {""}}), 400, "a token needs a name")
	r = b.post("/account/tokens/"+id[1]+"/revoke", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "The token was revoked", `<span class="badge revoked">REVOKED</span>`)
	if st := api(); st != 401 {
		t.Fatalf("revoked token on the API: %d", st)
	}

	// Email: refused while SCIM is on, changed when it's off.
	want(t, b.post("/account/email", url.Values{"email": {"not an email"}}), 400, "not a valid email address")
	b.post("/teams/acme/settings/scim", url.Values{"enabled": {"true"}})
	want(t, b.get("/account"), 200, `id="email-locked"`, `id="password-locked"`)
	want(t, b.post("/account/email", url.Values{"email": {"boss@acme.example"}}), 403, "your identity provider manages your email")
	b.post("/teams/acme/settings/scim", url.Values{"enabled": {"false"}})
	r = b.post("/account/email", url.Values{"email": {"boss@acme.example"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("email: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "Your email was changed", `id="account-email">boss@acme.example<`)

	// Password: checked, then changed; the old one no longer signs in,
	// another session ends, this one stays.
	other := e.signIn("boss@acme.example", e.adminP)
	want(t, b.post("/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"a new long password"}, "confirm_password": {"a new long password"}}),
		403, "the current password is wrong")
	r = b.post("/account/password", url.Values{"current_password": {e.adminP}, "new_password": {"a new long password"}, "confirm_password": {"a new long password"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account?done=password" {
		t.Fatalf("password: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	want(t, b.get("/account"), 200, "Your account")
	if r = other.get("/account"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the other session: %d", r.StatusCode)
	}
	want(t, e.browser().do("POST", "/signin", url.Values{"email": {"boss@acme.example"}, "password": {e.adminP}}), 401)
	e.signIn("boss@acme.example", "a new long password")
}

// TestMemberRolesForm: an admin changes a member's roles on their page,
// under the role rules: only a Super Admin grants Super Admin, a member
// keeps a role, the team keeps its Super Admin; each refusal changes
// nothing and says why.
func TestMemberRolesForm(t *testing.T) {
	e := newEnv(t)
	dev := e.addMember("dev@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	e.addMember("admin@acme.example", []string{service.RoleAdmin}, store.SourceManual)
	owner := e.signIn(e.admin, e.adminP)
	r := owner.get("/teams/acme/members/" + dev.ID)
	want(t, r, 200, `id="roles-form"`, `value="Super Admin">`, `value="Developer" checked>`)
	r = owner.post("/teams/acme/members/"+dev.ID+"/roles", url.Values{"roles": {"Developer", "Billing"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("roles: %d %s", r.StatusCode, r.body)
	}
	want(t, owner.get(r.Header.Get("Location")), 200, "The member&#39;s roles were saved", `value="Billing" checked>`)
	roles := func() string {
		u, err := e.st.User(context.Background(), e.team.ID, dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Role
	}
	if got := roles(); got != "Billing,Developer" {
		t.Fatalf("roles %q", got)
	}
	want(t, owner.post("/teams/acme/members/"+dev.ID+"/roles", nil), 400, "at least one role")
	want(t, owner.post("/teams/acme/members/"+dev.ID+"/roles", url.Values{"roles": {"Janitor"}}), 400, "unknown role")
	// The last Super Admin can't drop the role.
	self, _ := e.st.MembersByEmail(context.Background(), e.team.ID, e.admin)
	want(t, owner.post("/teams/acme/members/"+self[0].ID+"/roles", url.Values{"roles": {"Admin"}}), 409, "Super Admin")

	// A plain Admin: the Super Admin box is disabled, and forging it is refused.
	admin := e.signIn("admin@acme.example", pw)
	want(t, admin.get("/teams/acme/members/"+dev.ID), 200, `value="Super Admin" disabled>`)
	want(t, admin.post("/teams/acme/members/"+dev.ID+"/roles", url.Values{"roles": {"Super Admin"}}), 403, "only a Super Admin can grant the Super Admin role")
	want(t, admin.post("/teams/acme/members/"+self[0].ID+"/roles", url.Values{"roles": {"Developer"}}), 403, "only a Super Admin can change a Super Admin")
	if got := roles(); got != "Billing,Developer" {
		t.Fatalf("roles after refusals %q", got)
	}
	r = admin.post("/teams/acme/members/"+dev.ID+"/roles", url.Values{"roles": {"Admin"}})
	if r.StatusCode != http.StatusSeeOther || roles() != "Admin" {
		t.Fatalf("an Admin's change: %d, roles %q", r.StatusCode, roles())
	}
	want(t, owner.post("/teams/acme/members/nope/roles", url.Values{"roles": {"Admin"}}), 404)
	// The change is in the member's trail, readable.
	want(t, owner.get("/teams/acme/members/"+dev.ID), 200, "<dt>roles</dt><dd><del>Billing, Developer</del>", "<ins>Admin</ins>")
}

// TestPoliciesPage: the seat limit and the group-deletion rule.
func TestPoliciesPage(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	want(t, b.get("/teams/acme/settings/policies"), 200, `id="seats-used">1<`, `value="keep" checked`, `name="seat_limit" type="number"`)
	want(t, b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"lots"}, "group_delete": {"deactivate"}}), 400, "whole number", `value="lots"`)
	want(t, b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"-1"}}), 400, "can&#39;t be negative")
	want(t, b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"100000001"}}), 400, "at most")
	if tm, _ := e.svc.Team(context.Background(), "acme"); tm.SeatLimit != 0 || tm.GroupDeleteDeactivates {
		t.Fatalf("a refused form changed %+v", tm)
	}
	r := b.post("/teams/acme/settings/policies", url.Values{"seat_limit": {"25"}, "group_delete": {"deactivate"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.StatusCode, r.body)
	}
	want(t, b.get(r.Header.Get("Location")), 200, "The team&#39;s policies were saved", `value="25"`, `value="deactivate" checked`)
	if tm, _ := e.svc.Team(context.Background(), "acme"); tm.SeatLimit != 25 || !tm.GroupDeleteDeactivates {
		t.Fatalf("saved %+v", tm)
	}
	want(t, b.get("/teams/acme/logs/audit"), 200, "<dt>seatLimit</dt><dd><del>0</del>", "<ins>25</ins>")
}

// TestReadableLogs: the audit log names targets and shows changes as
// before and after, to the second; the provisioning log shows who a
// request was about, its query decoded, and what to change in the IdP.
func TestReadableLogs(t *testing.T) {
	e := newEnv(t)
	b := e.signIn(e.admin, e.adminP)
	b.post("/teams/acme/settings/scim", url.Values{"enabled": {"true"}})
	r := b.post("/teams/acme/settings/keys", url.Values{"name": {"okta"}})
	key := regexp.MustCompile(`value="(rsk_[^"]+)"`).FindStringSubmatch(r.body)[1]
	users := func(body string) int {
		return scimDo(t, e, key, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`+body+`}`)
	}
	if users(`"userName":"grace@acme.example","active":true`) != 201 || users(`"displayName":"No userName"`) != 400 {
		t.Fatal("SCIM creates")
	}
	grace, _ := e.st.MembersByEmail(context.Background(), e.team.ID, "grace@acme.example")
	if scimDo(t, e, key, "PATCH", "/Users/"+grace[0].ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`) != 200 {
		t.Fatal("SCIM deactivate")
	}
	scimDo(t, e, key, "GET", "/Users?filter="+url.QueryEscape(`userName eq "grace@acme.example"`)+"&startIndex=1&count=1", "")
	e.flushLog()

	r = b.get("/teams/acme/logs/audit")
	want(t, r, 200, `<a href="/teams/acme/members/`+grace[0].ID+`">grace@acme.example</a>`, "<dt>active</dt><dd><del>yes</del>", "<ins>no</ins>",
		"<strong>okta</strong>", "When (UTC)")
	if !regexp.MustCompile(`<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>`).MatchString(r.body) {
		t.Fatalf("audit times aren't to the second: %s", r.body)
	}
	r = b.get("/teams/acme/logs/provisioning")
	want(t, r, 200, `?filter=userName eq &#34;grace@acme.example&#34;&amp;startIndex=1&amp;count=1`,
		`<a href="/teams/acme/members/`+grace[0].ID+`">grace@acme.example</a>`, "Map an IdP attribute to userName")
	entry := regexp.MustCompile(`<tr class="row-err" data-entry="([^"]+)">`).FindStringSubmatch(r.body)
	if entry == nil {
		t.Fatalf("no failed request: %s", r.body)
	}
	want(t, b.get("/teams/acme/logs/provisioning/"+entry[1]), 200, `id="error-hint"`, "What to change:", `id="entry-subject">No userName<`,
		"userName is required")
}
