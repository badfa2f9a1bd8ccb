package adminapitest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

type fixture struct {
	e      *env
	admin  *client // the Super Admin, by cookie
	script *client // the Super Admin, by API token "script"
	dev    *client
	devU   store.User
	seen   map[string]bool
}

// TestAuditCompleteness calls every mutating endpoint the OpenAPI document
// lists once, successfully, and checks that exactly one audit event was
// written, with the caller as actor. A new mutating endpoint without a
// case here fails the test.
func TestAuditCompleteness(t *testing.T) {
	t.Parallel()
	type tc struct {
		do    func(f *fixture) response
		want  int
		actor func(f *fixture) string
	}
	adminActor := func(f *fixture) string { return "account:" + f.e.Admin }
	cases := map[string]tc{
		"post /auth/login": {func(f *fixture) response {
			return f.e.anon().do("POST", "/auth/login", map[string]any{"email": f.devU.UserName, "password": testPassword})
		}, 200, func(f *fixture) string { return "account:" + f.devU.UserName }},
		"post /auth/logout": {func(f *fixture) response { return f.dev.do("POST", "/auth/logout", nil) }, 204,
			func(f *fixture) string { return "account:" + f.devU.UserName }},
		"post /invites/accept": {func(f *fixture) response {
			r := f.script.do("POST", f.e.teamPath("/invites"), map[string]any{"email": "joiner@acme.example"})
			f.e.t.Helper()
			f.markAudit()
			return f.e.anon().do("POST", "/invites/accept", map[string]any{"token": r.Body["token"], "password": testPassword})
		}, 200, func(f *fixture) string { return "account:joiner@acme.example" }},
		"patch /me": {func(f *fixture) response {
			return f.dev.do("PATCH", "/me", map[string]any{"email": "dev2@acme.example"})
		}, 200, func(f *fixture) string { return "account:" + f.devU.UserName }},
		"post /me/password": {func(f *fixture) response {
			return f.dev.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "yet another password"})
		}, 204, func(f *fixture) string { return "account:" + f.devU.UserName }},
		"post /me/tokens": {func(f *fixture) response {
			return f.admin.do("POST", "/me/tokens", map[string]any{"name": "more"})
		}, 201, adminActor},
		"delete /me/tokens/{id}": {func(f *fixture) response {
			id := f.admin.do("GET", "/me/tokens", nil).Body["tokens"].([]any)[0].(map[string]any)["id"].(string)
			return f.admin.do("DELETE", "/me/tokens/"+id, nil)
		}, 204, adminActor},
		"patch /teams/{slug}/members/{id}": {func(f *fixture) response {
			return f.script.do("PATCH", f.e.teamPath("/members/"+f.devU.ID), map[string]any{"roles": []any{"Admin"}, "displayName": "D"})
		}, 200, func(*fixture) string { return "token:script" }},
		"delete /teams/{slug}/members/{id}": {func(f *fixture) response {
			return f.admin.do("DELETE", f.e.teamPath("/members/"+f.devU.ID), nil)
		}, 204, adminActor},
		"post /teams/{slug}/leave": {func(f *fixture) response { return f.dev.do("POST", f.e.teamPath("/leave"), nil) }, 204,
			func(f *fixture) string { return "account:" + f.devU.UserName }},
		"post /teams/{slug}/invites": {func(f *fixture) response {
			return f.admin.do("POST", f.e.teamPath("/invites"), map[string]any{"email": "i@acme.example", "role": "Admin"})
		}, 201, adminActor},
		"post /teams/{slug}/invites/{id}/resend": {func(f *fixture) response {
			id := f.script.do("POST", f.e.teamPath("/invites"), map[string]any{"email": "i@acme.example"}).Body["id"].(string)
			f.markAudit()
			return f.admin.do("POST", f.e.teamPath("/invites/"+id+"/resend"), nil)
		}, 200, adminActor},
		"delete /teams/{slug}/invites/{id}": {func(f *fixture) response {
			id := f.script.do("POST", f.e.teamPath("/invites"), map[string]any{"email": "i@acme.example"}).Body["id"].(string)
			f.markAudit()
			return f.admin.do("DELETE", f.e.teamPath("/invites/"+id), nil)
		}, 204, adminActor},
		"post /teams/{slug}/scim/keys": {func(f *fixture) response {
			return f.admin.do("POST", f.e.teamPath("/scim/keys"), map[string]any{"name": "okta", "expires_in": "720h"})
		}, 201, adminActor},
		"delete /teams/{slug}/scim/keys/{id}": {func(f *fixture) response {
			id := f.script.do("POST", f.e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).Body["id"].(string)
			f.markAudit()
			return f.admin.do("DELETE", f.e.teamPath("/scim/keys/"+id), nil)
		}, 204, adminActor},
		"post /teams/{slug}/scim/keys/{id}/rotate": {func(f *fixture) response {
			id := f.script.do("POST", f.e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).Body["id"].(string)
			f.markAudit()
			return f.admin.do("POST", f.e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{"grace": "1h"})
		}, 201, adminActor},
		"put /teams/{slug}/schema": {func(f *fixture) response {
			return f.admin.do("PUT", f.e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "costCode"}}})
		}, 200, adminActor},
		"patch /teams/{slug}/policies": {func(f *fixture) response {
			return f.script.do("PATCH", f.e.teamPath("/policies"), map[string]any{"seat_limit": 10, "group_delete_deactivates": true})
		}, 200, func(*fixture) string { return "token:script" }},
		"put /teams/{slug}/groups/{id}/roles": {func(f *fixture) response {
			g := f.e.addGroup("Engineering")
			f.markAudit()
			return f.admin.do("PUT", f.e.teamPath("/groups/"+g+"/roles"), map[string]any{"roles": []any{"Billing"}})
		}, 200, adminActor},
		"post /teams/{slug}/sso/connections": {func(f *fixture) response {
			return f.admin.do("POST", f.e.teamPath("/sso/connections"), map[string]any{"type": "saml", "name": "Okta",
				"idp_metadata": string(testIdPMetadata(f.e.t)), "preset": "okta"})
		}, 201, adminActor},
		"patch /teams/{slug}/sso/connections/{id}": {func(f *fixture) response {
			id := f.e.ssoConnection()
			f.markAudit()
			return f.script.do("PATCH", f.e.teamPath("/sso/connections/"+id), map[string]any{"enabled": false})
		}, 200, func(*fixture) string { return "token:script" }},
		"delete /teams/{slug}/sso/connections/{id}": {func(f *fixture) response {
			id := f.e.ssoConnection()
			f.markAudit()
			return f.admin.do("DELETE", f.e.teamPath("/sso/connections/"+id), nil)
		}, 204, adminActor},
		"patch /teams/{slug}/sso/policy": {func(f *fixture) response {
			return f.admin.do("PATCH", f.e.teamPath("/sso/policy"), map[string]any{"jit": true, "domains": []any{"acme.example"}})
		}, 200, adminActor},
		"post /teams/{slug}/webhooks": {func(f *fixture) response {
			return f.admin.do("POST", f.e.teamPath("/webhooks"), map[string]any{"url": "https://hooks.example.com/roster"})
		}, 201, adminActor},
		"patch /teams/{slug}/webhooks/{id}": {func(f *fixture) response {
			id := f.webhook()
			return f.script.do("PATCH", f.e.teamPath("/webhooks/"+id), map[string]any{"enabled": false, "description": "paused"})
		}, 200, func(*fixture) string { return "token:script" }},
		"delete /teams/{slug}/webhooks/{id}": {func(f *fixture) response {
			id := f.webhook()
			return f.admin.do("DELETE", f.e.teamPath("/webhooks/"+id), nil)
		}, 204, adminActor},
		"post /teams/{slug}/webhooks/{id}/rotate-secret": {func(f *fixture) response {
			id := f.webhook()
			return f.admin.do("POST", f.e.teamPath("/webhooks/"+id+"/rotate-secret"), map[string]any{"grace": "1h"})
		}, 200, adminActor},
		"post /teams/{slug}/webhooks/{id}/replay": {func(f *fixture) response {
			id := f.webhook()
			return f.admin.do("POST", f.e.teamPath("/webhooks/"+id+"/replay"), map[string]any{"since_seq": 1})
		}, 202, adminActor},
		"patch /teams/{slug}/deprovisioning": {func(f *fixture) response {
			return f.script.do("PATCH", f.e.teamPath("/deprovisioning"), map[string]any{"percent": 30, "window_seconds": 1800})
		}, 200, func(*fixture) string { return "token:script" }},
		"post /teams/{slug}/deprovisioning/confirm": {func(f *fixture) response {
			// The held member is gone by then: the confirmation applies
			// nothing, so its own event is the only one.
			victim := f.e.addMember("held@acme.example", []string{"Developer"}, store.SourceSCIM, true)
			f.e.pauseGuard(victim)
			f.admin.do("DELETE", f.e.teamPath("/members/"+victim.ID), nil).must(f.e.t, 204)
			f.markAudit()
			r := f.admin.do("POST", f.e.teamPath("/deprovisioning/confirm"), nil)
			if skipped, _ := r.Body["skipped"].([]any); len(skipped) != 1 {
				f.e.t.Fatalf("confirm %s", r.Raw)
			}
			return r
		}, 200, adminActor},
		"post /teams/{slug}/deprovisioning/reject": {func(f *fixture) response {
			f.e.pauseGuard(f.e.addMember("held@acme.example", []string{"Developer"}, store.SourceSCIM, true))
			f.markAudit()
			return f.admin.do("POST", f.e.teamPath("/deprovisioning/reject"), nil)
		}, 200, adminActor},
		"put /teams/{slug}/scim": {func(f *fixture) response {
			return f.admin.do("PUT", f.e.teamPath("/scim"), map[string]any{"enabled": true})
		}, 200, adminActor},
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "../adminapi/openapi.json")), &doc); err != nil {
		t.Fatal(err)
	}
	var mutating []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m != "get" && m != "parameters" {
				mutating = append(mutating, m+" "+p)
			}
		}
	}
	sort.Strings(mutating)
	for _, key := range mutating {
		c, ok := cases[key]
		if !ok {
			t.Errorf("mutating endpoint %s has no audit case", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			e := newEnv(t)
			devU := e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
			f := &fixture{e: e, admin: e.login(e.Admin, e.AdminPassword), script: e.token(e.Admin, e.AdminPassword, "script"),
				dev: e.login("dev@acme.example", testPassword), devU: devU}
			f.markAudit()
			c.do(f).must(t, c.want)
			var fresh []store.AuditEvent
			for _, ev := range e.auditEvents() {
				if !f.seen[ev.ID] {
					fresh = append(fresh, ev)
				}
			}
			if len(fresh) != 1 {
				t.Fatalf("%d audit events, want 1: %+v", len(fresh), fresh)
			}
			ev := fresh[0]
			if want := c.actor(f); ev.Actor != want {
				t.Fatalf("actor %q, want %q (%+v)", ev.Actor, want, ev)
			}
			if ev.RequestID == "" || ev.IP != "127.0.0.1" || ev.Action == "" || strings.Contains(ev.Detail, testPassword) {
				t.Fatalf("event %+v", ev)
			}
		})
	}
}

// markAudit remembers the events so far; only later ones are counted.
func (f *fixture) markAudit() {
	f.seen = map[string]bool{}
	for _, ev := range f.e.auditEvents() {
		f.seen[ev.ID] = true
	}
}
