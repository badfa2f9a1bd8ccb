package adminapitest

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/testserver"
)

// TestOneTimePasswordMustBeChanged: the first admin signs in with the
// one-time password `roster team create` printed and gets 403
// password_change_required on everything but changing the password and
// signing out (each refusal changes nothing); the change opens the rest.
func TestOneTimePasswordMustBeChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team, once := testserver.NewTeamWithOneTimeAdmin(t, e.Svc, "Initech", "boss@initech.example")
	c := e.anon()
	r := c.do("POST", "/auth/login", map[string]any{"email": "boss@initech.example", "password": once}).must(t, 200)
	c.csrf = r.Body["csrf_token"].(string)
	if acc, _ := r.Body["account"].(map[string]any); acc["must_change_password"] != true {
		t.Fatalf("login: %s", r.Raw)
	}
	tp := "/teams/" + team.Slug
	refused := []struct {
		method, path string
		body         any
	}{
		{"GET", "/me", nil},
		{"PATCH", "/me", map[string]any{"email": "other@initech.example"}},
		{"GET", "/me/tokens", nil},
		{"POST", "/me/tokens", map[string]any{"name": "sneaky"}},
		{"GET", "/teams", nil},
		{"GET", tp, nil},
		{"GET", tp + "/overview", nil},
		{"GET", tp + "/members", nil},
		{"PUT", tp + "/scim", map[string]any{"enabled": true}},
		{"POST", tp + "/scim/keys", map[string]any{"name": "okta"}},
		{"POST", tp + "/invites", map[string]any{"email": "friend@initech.example", "role": "Super Admin"}},
		{"PATCH", tp + "/policies", map[string]any{"seat_limit": 1}},
		{"GET", tp + "/audit", nil},
		{"POST", tp + "/leave", nil},
	}
	for _, q := range refused {
		r := c.do(q.method, q.path, q.body)
		msg := r.apiError(t, 403, "password")
		if e, _ := r.Body["error"].(map[string]any); e["code"] != "password_change_required" || !strings.Contains(msg, "choose a new password first") {
			t.Errorf("%s %s: %s", q.method, q.path, r.Raw)
		}
	}
	// Nothing of it happened.
	ctx := context.Background()
	if tm, _ := e.Svc.Team(ctx, team.Slug); tm.SCIMEnabled || tm.SeatLimit != 0 {
		t.Fatalf("team changed: %+v", tm)
	}
	if keys, _ := e.Svc.ListKeys(ctx, team.Slug); len(keys) != 0 {
		t.Fatalf("keys: %v", keys)
	}
	if acc, _ := e.St.AccountByEmail(ctx, "boss@initech.example"); !acc.MustChangePassword || acc.Email != "boss@initech.example" {
		t.Fatalf("account: %+v", acc)
	}
	if toks, _ := e.St.ListAPITokens(ctx, mustAccount(t, e, "boss@initech.example").ID); len(toks) != 0 {
		t.Fatalf("tokens: %v", toks)
	}

	// The change itself: the current (one-time) password is checked, and
	// the new one must differ.
	c.do("POST", "/me/password", map[string]any{"current_password": "not it at all", "new_password": "my very own password"}).apiError(t, 403, "current_password")
	c.do("POST", "/me/password", map[string]any{"current_password": once, "new_password": once}).apiError(t, 400, "new_password")
	c.do("POST", "/me/password", map[string]any{"current_password": once, "new_password": "my very own password"}).must(t, 204)
	c.do("GET", tp, nil).must(t, 200)
	r = e.anon().do("POST", "/auth/login", map[string]any{"email": "boss@initech.example", "password": "my very own password"}).must(t, 200)
	if acc, _ := r.Body["account"].(map[string]any); acc["must_change_password"] != false {
		t.Fatalf("login after the change: %s", r.Raw)
	}
	e.anon().do("POST", "/auth/login", map[string]any{"email": "boss@initech.example", "password": once}).apiError(t, 401, "")

	// Signing out works while the change is pending.
	_, once2 := testserver.NewTeamWithOneTimeAdmin(t, e.Svc, "Hooli", "gavin@hooli.example")
	h := e.login("gavin@hooli.example", once2)
	h.do("POST", "/auth/logout", nil).must(t, 204)
	h.do("GET", "/me", nil).apiError(t, 401, "")
}

// TestOperatorResetMustBeChanged: `roster account set-password` (the
// operator's reset) makes the person choose their own password next,
// even while a team of theirs has SCIM on (which otherwise keeps the
// password the IdP's), and it holds for the account's API tokens too.
func TestOperatorResetMustBeChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(e.Admin, e.AdminPassword, "ci")
	tok.do("GET", e.teamPath(""), nil).must(t, 200)
	e.setSCIM(true)
	if _, err := e.Svc.SetAccountPassword(context.Background(), e.Admin, "the operator's choice", service.Actor{Kind: "cli"}); err != nil {
		t.Fatal(err)
	}
	if r := tok.do("GET", e.teamPath(""), nil); r.apiError(t, 403, "password") == "" || r.Body["error"].(map[string]any)["code"] != "password_change_required" {
		t.Fatalf("token after the reset: %s", r.Raw)
	}
	c := e.login(e.Admin, "the operator's choice")
	c.do("GET", e.teamPath("/members"), nil).apiError(t, 403, "password")
	c.do("POST", "/me/password", map[string]any{"current_password": "the operator's choice", "new_password": "mine again, and long"}).must(t, 204)
	c.do("GET", e.teamPath("/members"), nil).must(t, 200)
	tok.do("GET", e.teamPath(""), nil).must(t, 200)
	// Once it is theirs, SCIM's rule is back: the IdP manages it.
	c.do("POST", "/me/password", map[string]any{"current_password": "mine again, and long", "new_password": "yet another password"}).apiError(t, 403, "")
}

// TestBearerTwiceOnTheAdminAPI: "Authorization: Bearer Bearer rpt_…" is a
// 401 that names the mistake.
func TestBearerTwiceOnTheAdminAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(e.Admin, e.AdminPassword, "ci")
	bad := &client{e: e, hc: tok.hc, bearer: "Bearer " + tok.bearer}
	msg := bad.do("GET", "/me", nil).apiError(t, 401, "")
	if !strings.Contains(msg, `says "Bearer" twice`) || strings.Contains(msg, tok.bearer) {
		t.Fatalf("message %q", msg)
	}
	tok.do("GET", "/me", nil).must(t, 200)
}

func mustAccount(t *testing.T, e *env, email string) struct{ ID string } {
	t.Helper()
	acc, err := e.St.AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return struct{ ID string }{acc.ID}
}
