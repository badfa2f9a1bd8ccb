package adminapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

func TestInvites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(e.Admin, e.AdminPassword)
	inv := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "new@acme.example", "role": "Billing"}).must(t, 201)
	id, token := inv.Body["id"].(string), inv.Body["token"].(string)
	if !strings.HasPrefix(token, "rit_") || inv.Body["status"] != "pending" || inv.Body["expires_at"] == nil || inv.Body["invited_by"] != "account:"+e.Admin {
		t.Fatalf("%s", inv.Raw)
	}

	t.Run("bad input", func(t *testing.T) {
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "nope"}).apiError(t, 400, "email")
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "x@acme.example", "role": "Owner"}).apiError(t, 400, "role")
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "NEW@acme.example"}).apiError(t, 409, "email")
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": e.Admin}).apiError(t, 409, "email")
	})
	t.Run("only a Super Admin invites a Super Admin", func(t *testing.T) {
		e.addMember("admin@acme.example", []string{"Admin"}, store.SourceManual, true)
		plain := e.login("admin@acme.example", testPassword)
		plain.do("POST", e.teamPath("/invites"), map[string]any{"email": "boss@acme.example", "role": "Super Admin"}).apiError(t, 403, "")
		admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "boss@acme.example", "role": "Super Admin"}).must(t, 201)
	})
	t.Run("list pending", func(t *testing.T) {
		r := admin.do("GET", e.teamPath("/invites"), nil).must(t, 200)
		if n := len(r.Body["invites"].([]any)); n != 2 || strings.Contains(string(r.Raw), token) {
			t.Fatalf("%s", r.Raw)
		}
	})
	t.Run("resend replaces the link", func(t *testing.T) {
		r := admin.do("POST", e.teamPath("/invites/"+id+"/resend"), nil).must(t, 200)
		fresh := r.Body["token"].(string)
		if fresh == token {
			t.Fatal("same token")
		}
		e.anon().do("POST", "/invites/accept", map[string]any{"token": token, "password": testPassword}).apiError(t, 404, "")
		token = fresh
	})
	t.Run("accept creates the account and the member and signs in", func(t *testing.T) {
		c := e.anon()
		c.do("POST", "/invites/accept", map[string]any{"token": token, "password": "short"}).apiError(t, 400, "password")
		r := c.do("POST", "/invites/accept", map[string]any{"token": token, "password": testPassword}).must(t, 200)
		if r.Body["account_created"] != true || r.Body["team"].(map[string]any)["slug"] != e.Team.Slug {
			t.Fatalf("%s", r.Raw)
		}
		m, err := e.member(r.Body["member_id"].(string))
		if err != nil || m.Source != store.SourceInvite || m.Role != "Billing" || !m.Active {
			t.Fatalf("%+v %v", m, err)
		}
		c.csrf = r.Body["csrf_token"].(string)
		c.do("GET", e.teamPath(""), nil).must(t, 200)
		e.login("new@acme.example", testPassword)
		e.anon().do("POST", "/invites/accept", map[string]any{"token": token, "password": testPassword}).apiError(t, 410, "")
	})
	t.Run("revoke", func(t *testing.T) {
		r := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "later@acme.example"}).must(t, 201)
		admin.do("DELETE", e.teamPath("/invites/"+r.Body["id"].(string)), nil).must(t, 204)
		admin.do("DELETE", e.teamPath("/invites/"+r.Body["id"].(string)), nil).apiError(t, 409, "")
		admin.do("POST", e.teamPath("/invites/"+r.Body["id"].(string)+"/resend"), nil).apiError(t, 409, "")
		admin.do("DELETE", e.teamPath("/invites/nope"), nil).apiError(t, 404, "")
		e.anon().do("POST", "/invites/accept", map[string]any{"token": r.Body["token"], "password": testPassword}).apiError(t, 410, "")
	})
	t.Run("an existing account accepts with its own password", func(t *testing.T) {
		// an account that belongs to another team only
		if _, err := e.Svc.SetAccountPassword(context.Background(), "elsewhere@acme.example", testPassword, service.Actor{Kind: "cli"}); err != nil {
			t.Fatal(err)
		}
		r := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "elsewhere@acme.example", "role": "Developer"}).must(t, 201)
		tok := r.Body["token"].(string)
		e.anon().do("POST", "/invites/accept", map[string]any{"token": tok, "password": "some other password"}).apiError(t, 401, "")
		r = e.anon().do("POST", "/invites/accept", map[string]any{"token": tok, "password": testPassword}).must(t, 200)
		if r.Body["account_created"] != false {
			t.Fatalf("%s", r.Raw)
		}
	})
	t.Run("a SCIM create claims a pending invite", func(t *testing.T) {
		r := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": "okta.user@acme.example", "role": "Admin"}).must(t, 201)
		admin.do("PUT", e.teamPath("/scim"), map[string]any{"enabled": true}).must(t, 200)
		k, err := e.Svc.CreateKey(context.Background(), e.Team.Slug, "okta", nil, service.Actor{Kind: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "okta.user@acme.example", "active": true})
		req, _ := http.NewRequest("POST", e.URL+"/scim/v2/Users", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+k.Token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("SCIM create: %d", resp.StatusCode)
		}
		m := admin.do("GET", e.teamPath("/members?q=okta.user"), nil).must(t, 200).Body["members"].([]any)[0].(map[string]any)
		if m["source"] != "invite" || m["roles"].([]any)[0] != "Admin" {
			t.Fatalf("%v", m)
		}
		// The invite is claimed, for that member: it stays listed until
		// the person accepts it, which links their account to the member.
		list := admin.do("GET", e.teamPath("/invites"), nil).must(t, 200)
		var claimed map[string]any
		for _, x := range list.Body["invites"].([]any) {
			if x.(map[string]any)["id"] == r.Body["id"] {
				claimed = x.(map[string]any)
			}
		}
		if claimed == nil || claimed["status"] != "claimed" || claimed["member_id"] != m["id"] {
			t.Fatalf("claimed invite %v in %s", claimed, list.Raw)
		}
	})
}
