package adminapitest

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// TestSCIMPolicies runs each self-service and admin request with SCIM
// provisioning on and off.
func TestSCIMPolicies(t *testing.T) {
	t.Parallel()
	type setup struct {
		e     *env
		self  *client    // the member acting on themself (SCIM-provisioned, Developer)
		me    store.User // that member
		admin *client    // an Admin
		dev   *client    // another Developer
		other store.User // a manual member
	}
	cases := []struct {
		name     string
		do       func(s setup) response
		on, off  int
		onSays   string
		verifyOn func(t *testing.T, s setup) // nothing changed with SCIM on
	}{
		{"leave", func(s setup) response { return s.self.do("POST", s.e.teamPath("/leave"), nil) }, 403, 204,
			"members can't leave the team themselves; ask your IdP administrator", nil},
		{"change email", func(s setup) response {
			return s.self.do("PATCH", "/me", map[string]any{"email": "renamed@acme.example"})
		}, 403, 200, "your identity provider manages your email; ask your IdP administrator", nil},
		{"change password", func(s setup) response {
			return s.self.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "a brand new password"})
		}, 403, 204, "your identity provider manages your password; ask your IdP administrator", nil},
		{"edit own profile", func(s setup) response {
			return s.self.do("PATCH", s.e.teamPath("/members/"+s.me.ID), map[string]any{"displayName": "Me Myself"})
		}, 403, 200, "your identity provider manages your profile", nil},
		{"admin edits a SCIM member's profile", func(s setup) response {
			return s.admin.do("PATCH", s.e.teamPath("/members/"+s.me.ID), map[string]any{"name": map[string]any{"givenName": "X"}})
		}, 403, 200, "ask your IdP administrator. Team admins can still change roles", nil},
		{"admin changes a SCIM member's roles", func(s setup) response {
			return s.admin.do("PATCH", s.e.teamPath("/members/"+s.me.ID), map[string]any{"roles": []any{"Billing"}})
		}, 200, 200, "", nil},
		{"roles and profile together: nothing applied", func(s setup) response {
			return s.admin.do("PATCH", s.e.teamPath("/members/"+s.me.ID), map[string]any{"roles": []any{"Billing"}, "displayName": "Y"})
		}, 403, 200, "", func(t *testing.T, s setup) {
			u, _ := s.e.member(s.me.ID)
			if u.Role != "Developer" || u.DisplayName == "Y" {
				t.Fatalf("half applied: %q %q", u.Role, u.DisplayName)
			}
		}},
		{"admin removes a member", func(s setup) response {
			return s.admin.do("DELETE", s.e.teamPath("/members/"+s.me.ID), nil)
		}, 204, 204, "", nil},
		{"a developer can't remove a member", func(s setup) response {
			return s.dev.do("DELETE", s.e.teamPath("/members/"+s.other.ID), nil)
		}, 403, 403, "", nil},
		{"a developer can't edit someone else's profile", func(s setup) response {
			return s.dev.do("PATCH", s.e.teamPath("/members/"+s.other.ID), map[string]any{"displayName": "Z"})
		}, 403, 403, "", nil},
		{"a manual member edits their profile even with SCIM on", func(s setup) response {
			return s.dev.do("PATCH", s.e.teamPath("/members/"+s.dev.memberID(s.e)), map[string]any{"displayName": "Dev"})
		}, 200, 200, "", nil},
		{"userName is not a profile field", func(s setup) response {
			return s.dev.do("PATCH", s.e.teamPath("/members/"+s.dev.memberID(s.e)), map[string]any{"userName": "x@acme.example"})
		}, 400, 400, "", nil},
	}
	for _, c := range cases {
		for _, on := range []bool{true, false} {
			name := c.name + "/scim-off"
			want := c.off
			if on {
				name, want = c.name+"/scim-on", c.on
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				me := e.addMember("idp.user@acme.example", []string{"Developer"}, store.SourceSCIM, true)
				e.addMember("admin@acme.example", []string{"Admin"}, store.SourceManual, true)
				e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
				other := e.addMember("other@acme.example", []string{"Developer"}, store.SourceManual, true)
				s := setup{e: e, me: me, other: other, self: e.login(me.UserName, testPassword),
					admin: e.login("admin@acme.example", testPassword), dev: e.login("dev@acme.example", testPassword)}
				e.setSCIM(on)
				before := len(e.auditEvents())
				r := c.do(s)
				if want >= 400 {
					msg := r.apiError(t, want, r.field())
					if on && c.onSays != "" && !strings.Contains(msg, c.onSays) {
						t.Fatalf("message %q lacks %q", msg, c.onSays)
					}
					if on && want == 403 && c.onSays != "" && !strings.Contains(msg, "SCIM provisioning is on for team acme") {
						t.Fatalf("message %q doesn't say why", msg)
					}
					if n := len(e.auditEvents()) - before; n != 0 {
						t.Fatalf("%d audit events after a refusal", n)
					}
					if c.verifyOn != nil {
						c.verifyOn(t, s)
					}
					return
				}
				r.must(t, want)
			})
		}
	}
}

func (r response) field() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		f, _ := e["field"].(string)
		return f
	}
	return ""
}

func (c *client) memberID(e *env) string {
	return c.do("GET", e.teamPath(""), nil).Body["you"].(map[string]any)["member_id"].(string)
}

func TestSelfServiceWithSCIMOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
	c := e.login("dev@acme.example", testPassword)
	other := e.login("dev@acme.example", testPassword) // a second session

	t.Run("email change renames the membership and keeps access", func(t *testing.T) {
		c.do("PATCH", "/me", map[string]any{"email": "Dev.New@acme.example"}).must(t, 200)
		m, _ := e.member(u.ID)
		if m.UserName != "Dev.New@acme.example" || m.Emails[0].Value != "dev.new@acme.example" {
			t.Fatalf("%q %v", m.UserName, m.Emails)
		}
		c.do("GET", e.teamPath("/members"), nil).must(t, 200)
		e.anon().do("POST", "/auth/login", map[string]any{"email": "dev.new@acme.example", "password": testPassword}).must(t, 200)
	})
	t.Run("email taken", func(t *testing.T) {
		c.do("PATCH", "/me", map[string]any{"email": e.Admin}).apiError(t, 409, "email")
		c.do("PATCH", "/me", map[string]any{"email": "not an email"}).apiError(t, 400, "email")
	})
	t.Run("password change needs the current one and ends other sessions", func(t *testing.T) {
		c.do("POST", "/me/password", map[string]any{"current_password": "wrong one!", "new_password": "another new password"}).apiError(t, 403, "current_password")
		c.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "short"}).apiError(t, 400, "new_password")
		c.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "another new password"}).must(t, 204)
		c.do("GET", "/me", nil).must(t, 200)
		other.do("GET", "/me", nil).apiError(t, 401, "")
		e.login("dev.new@acme.example", "another new password")
	})
	t.Run("profile edit", func(t *testing.T) {
		r := c.do("PATCH", e.teamPath("/members/"+u.ID), map[string]any{"displayName": "Dev", "name": map[string]any{"givenName": "D", "familyName": "V"}}).must(t, 200)
		if r.Body["displayName"] != "Dev" || r.Body["attributes"].(map[string]any)["name"].(map[string]any)["familyName"] != "V" {
			t.Fatalf("%s", r.Raw)
		}
		c.do("PATCH", e.teamPath("/members/"+u.ID), map[string]any{"name": map[string]any{"nick": "x"}}).apiError(t, 400, "name.nick")
		c.do("PATCH", e.teamPath("/members/"+u.ID), map[string]any{"favouriteColour": "x"}).apiError(t, 400, "favouriteColour")
		c.do("PATCH", e.teamPath("/members/"+u.ID), map[string]any{"displayName": 3}).apiError(t, 400, "displayName")
	})
	t.Run("leave", func(t *testing.T) {
		c.do("POST", e.teamPath("/leave"), nil).must(t, 204)
		if _, err := e.member(u.ID); err == nil {
			t.Fatal("still a member")
		}
		c.do("GET", e.teamPath(""), nil).apiError(t, 404, "")
	})
	_ = context.Background
	_ = service.RoleAdmin
}

// A seat limit beyond any team is refused (400 naming the field), not
// stored on one backend and a 500 on the other.
func TestSeatLimitBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(e.Admin, e.AdminPassword)
	admin.do("PATCH", e.teamPath("/policies"), map[string]any{"seat_limit": 3_000_000_000}).apiError(t, 400, "seat_limit")
	r := admin.do("GET", e.teamPath("/policies"), nil).must(t, 200)
	if r.Body["seat_limit"] != float64(0) {
		t.Fatalf("seat limit changed: %s", r.Raw)
	}
}
