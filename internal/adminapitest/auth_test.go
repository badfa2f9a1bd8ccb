package adminapitest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
	gone := e.addMember("gone@acme.example", []string{"Developer"}, store.SourceManual, false)

	t.Run("first admin with the one-time password", func(t *testing.T) {
		r := e.anon().do("POST", "/auth/login", map[string]any{"email": "OWNER@acme.example", "password": e.AdminPassword}).must(t, 200)
		teams := r.Body["teams"].([]any)
		if len(teams) != 1 {
			t.Fatalf("teams %v", teams)
		}
		tm := teams[0].(map[string]any)
		if tm["slug"] != e.Team.Slug || tm["name"] != "Acme" || tm["roles"].([]any)[0] != "Super Admin" {
			t.Fatalf("team %v", tm)
		}
		if r.Body["account"].(map[string]any)["email"] != e.Admin {
			t.Fatalf("account %v", r.Body["account"])
		}
	})
	for _, tc := range []struct {
		name, email, password string
		status                int
		field                 string
	}{
		{"wrong password", dev.UserName, "not the password", 401, ""},
		{"unknown email", "nobody@acme.example", testPassword, 401, ""},
		{"missing email", "", testPassword, 400, "email"},
		{"missing password", dev.UserName, "", 400, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.anon().do("POST", "/auth/login", map[string]any{"email": tc.email, "password": tc.password}).apiError(t, tc.status, tc.field)
			if tc.status == 401 && msg != "wrong email or password" {
				t.Fatalf("message %q reveals which part was wrong", msg)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		c := e.anon()
		req, _ := http.NewRequest("POST", e.API+"/auth/login", strings.NewReader("email=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("unknown field named", func(t *testing.T) {
		e.anon().do("POST", "/auth/login", map[string]any{"email": "a@b.c", "password": "x", "remember": true}).apiError(t, 400, "remember")
	})
	t.Run("deactivated member signs in but the team is not listed and refuses", func(t *testing.T) {
		c := e.login(gone.UserName, testPassword)
		if teams := c.do("GET", "/me", nil).must(t, 200).Body["teams"].([]any); len(teams) != 0 {
			t.Fatalf("teams %v", teams)
		}
		msg := c.do("GET", e.teamPath("/members"), nil).apiError(t, 403, "")
		if !strings.Contains(msg, "your membership is deactivated") {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		e.anon().do("GET", "/me", nil).apiError(t, 401, "")
		e.anon().do("GET", e.teamPath("/members"), nil).apiError(t, 401, "")
	})
	t.Run("not a member: 404 like a missing team", func(t *testing.T) {
		e.addMember("outsider@else.example", []string{"Developer"}, store.SourceManual, true)
		// remove the membership but keep the account
		c := e.login("outsider@else.example", testPassword)
		admin := e.login(e.Admin, e.AdminPassword)
		r := admin.do("GET", e.teamPath("/members?q=outsider"), nil).must(t, 200)
		id := r.Body["members"].([]any)[0].(map[string]any)["id"].(string)
		admin.do("DELETE", e.teamPath("/members/"+id), nil).must(t, 204)
		m1 := c.do("GET", e.teamPath(""), nil).apiError(t, 404, "")
		m2 := c.do("GET", "/teams/no-such-team", nil).apiError(t, 404, "")
		if strings.Replace(m1, e.Team.Slug, "X", 1) != strings.Replace(m2, "no-such-team", "X", 1) {
			t.Fatalf("answers differ: %q vs %q", m1, m2)
		}
	})
	t.Run("logout ends the session", func(t *testing.T) {
		c := e.login(dev.UserName, testPassword)
		c.do("POST", "/auth/logout", nil).must(t, 204)
		c.do("GET", "/me", nil).apiError(t, 401, "")
	})
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		publicURL  string
		wantSecure bool
	}{
		{"plain http", "", false},
		{"https public URL (TLS proxy)", "https://roster.example.com", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, server.Config{PublicURL: tc.publicURL, SessionTTL: 2 * time.Hour})
			r := e.anon().do("POST", "/auth/login", map[string]any{"email": e.Admin, "password": e.AdminPassword}).must(t, 200)
			var ck *http.Cookie
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == server.SessionCookie {
					ck = c
				}
			}
			if ck == nil {
				t.Fatalf("no session cookie: %v", r.Header)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != tc.wantSecure || ck.Path != "/" {
				t.Fatalf("cookie flags: %+v", ck)
			}
			if len(ck.Value) < 43 { // 256 bits, base64
				t.Fatalf("token too short: %d", len(ck.Value))
			}
			if ck.MaxAge <= 0 || ck.MaxAge > 2*3600 {
				t.Fatalf("max age %d", ck.MaxAge)
			}
			exp, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
			if err != nil || exp.Sub(time.Now()) > 2*time.Hour+time.Minute || exp.Sub(time.Now()) < 2*time.Hour-time.Minute {
				t.Fatalf("expires_at %v", r.Body["expires_at"])
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, server.Config{SignIn: server.SignInLimits{PairFree: 3, IPMax: 3, IPWindow: time.Minute}})
	e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
	bad := map[string]any{"email": "dev@acme.example", "password": "wrong password!"}
	for i := 0; i < 3; i++ {
		e.anon().do("POST", "/auth/login", bad).apiError(t, 401, "")
	}
	check429 := func(r response) {
		t.Helper()
		r.apiError(t, 429, "")
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
	}
	t.Run("the account is blocked, even with the right password", func(t *testing.T) {
		check429(e.anon().do("POST", "/auth/login", map[string]any{"email": "DEV@acme.example", "password": testPassword}))
	})
	t.Run("the IP is blocked for other emails too", func(t *testing.T) {
		check429(e.anon().do("POST", "/auth/login", map[string]any{"email": e.Admin, "password": e.AdminPassword}))
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(e.Admin, e.AdminPassword)
	body := map[string]any{"name": "ci"}
	for _, tc := range []struct {
		name   string
		csrf   string
		status int
	}{
		{"missing", "", 403},
		{"wrong", "not-the-token", 403},
		{"right", c.csrf, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			cc.csrf = tc.csrf
			r := cc.do("POST", "/me/tokens", body)
			if tc.status == 403 {
				r.apiError(t, 403, "")
				if r.Body["error"].(map[string]any)["code"] != "csrf" {
					t.Fatalf("%s", r.Raw)
				}
				return
			}
			r.must(t, tc.status)
		})
	}
	t.Run("reads need none", func(t *testing.T) {
		cc := *c
		cc.csrf = ""
		cc.do("GET", "/me/tokens", nil).must(t, 200)
	})
	t.Run("nothing was created by refused requests", func(t *testing.T) {
		if n := len(c.do("GET", "/me/tokens", nil).must(t, 200).Body["tokens"].([]any)); n != 1 {
			t.Fatalf("%d tokens", n)
		}
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	browser := e.login(e.Admin, e.AdminPassword)
	r := browser.do("POST", "/me/tokens", map[string]any{"name": "deploy"}).must(t, 201)
	secret := r.Body["token"].(string)
	id := r.Body["id"].(string)
	if !strings.HasPrefix(secret, "rpt_") || len(secret) < 4+43 || r.Body["prefix"] != secret[:10] {
		t.Fatalf("token %v", r.Body)
	}
	script := &client{e: e, hc: &http.Client{}, bearer: secret}

	t.Run("works without CSRF, also for writes", func(t *testing.T) {
		script.do("GET", e.teamPath("/members"), nil).must(t, 200)
		script.do("POST", e.teamPath("/invites"), map[string]any{"email": "new@acme.example", "role": "Developer"}).must(t, 201)
	})
	t.Run("listed with last use, never with the secret", func(t *testing.T) {
		r := browser.do("GET", "/me/tokens", nil).must(t, 200)
		tok := r.Body["tokens"].([]any)[0].(map[string]any)
		if tok["last_used_at"] == nil || tok["last_used_ip"] != "127.0.0.1" || tok["status"] != "ACTIVE" || tok["token"] != nil {
			t.Fatalf("%v", tok)
		}
		if strings.Contains(string(r.Raw), secret) {
			t.Fatal("secret listed")
		}
	})
	t.Run("the audit actor is the token", func(t *testing.T) {
		evs := e.auditEvents()
		found := false
		for _, ev := range evs {
			found = found || (ev.Action == "invite.create" && ev.Actor == "token:deploy")
		}
		if !found {
			t.Fatalf("no invite.create by token:deploy in %v", evs)
		}
	})
	t.Run("revoked at once", func(t *testing.T) {
		browser.do("DELETE", "/me/tokens/"+id, nil).must(t, 204)
		msg := script.do("GET", e.teamPath("/members"), nil).apiError(t, 401, "")
		if !strings.Contains(msg, "revoked") {
			t.Fatalf("%q", msg)
		}
		browser.do("DELETE", "/me/tokens/"+id, nil).apiError(t, 404, "")
	})
	t.Run("bad tokens", func(t *testing.T) {
		for _, h := range []string{"Bearer rpt_nope", "Bearer rsk_somescimkey", "Basic Zm9vOmJhcg=="} {
			c := e.anon()
			c.do("GET", "/me", nil, "Authorization", h).apiError(t, 401, "")
		}
	})
	t.Run("another account's token can't be revoked", func(t *testing.T) {
		e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
		other := e.login("dev@acme.example", testPassword)
		r := browser.do("POST", "/me/tokens", map[string]any{"name": "second"}).must(t, 201)
		other.do("DELETE", "/me/tokens/"+r.Body["id"].(string), nil).apiError(t, 404, "")
	})
}
