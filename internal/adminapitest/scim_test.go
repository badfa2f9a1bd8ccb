package adminapitest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// TestSCIMKeysAPI walks a key's whole life through the admin API and
// checks each step against the SCIM endpoint an IdP calls.
func TestSCIMKeysAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setSCIM(true)
	admin := e.login(e.Admin, e.AdminPassword)

	created := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta", "expires_in": "2160h"}).must(t, 201)
	token, _ := created.Body["token"].(string)
	id, _ := created.Body["id"].(string)
	if token == "" || id == "" || created.Body["status"] != "ACTIVE" || created.Body["expires_at"] == nil ||
		!strings.HasPrefix(token, created.Body["prefix"].(string)) || created.Body["created_by"] == "" {
		t.Fatalf("created %s", created.Raw)
	}
	if st, body := e.scim("GET", "/Users?startIndex=1&count=1", token, ""); st != 200 {
		t.Fatalf("new key on SCIM: %d %s", st, body)
	}

	list := admin.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200)
	if strings.Contains(string(list.Raw), token) {
		t.Fatal("the key list shows the secret")
	}
	keys := list.Body["keys"].([]any)
	k := keys[0].(map[string]any)
	if len(keys) != 1 || k["id"] != id || k["last_used_at"] == nil || k["last_used_ip"] != "127.0.0.1" {
		t.Fatalf("list %s", list.Raw)
	}

	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"name": strings.Repeat("k", 101)}, "name"},
			{map[string]any{"name": "x", "expires_in": "soon"}, "expires_in"},
			{map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"},
		} {
			admin.do("POST", e.teamPath("/scim/keys"), c.body).apiError(t, 400, c.field)
		}
		admin.do("POST", e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{"grace": "forever"}).apiError(t, 400, "grace")
		admin.do("POST", e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{"grace": "721h"}).apiError(t, 400, "grace")
		admin.do("POST", e.teamPath("/scim/keys/nope/rotate"), map[string]any{"grace": "1h"}).apiError(t, 404, "")
		admin.do("DELETE", e.teamPath("/scim/keys/nope"), nil).apiError(t, 404, "")
		if n := len(admin.do("GET", e.teamPath("/scim/keys"), nil).must(t, 200).Body["keys"].([]any)); n != 1 {
			t.Fatalf("%d keys after refused requests", n)
		}
	})

	t.Run("a developer can't see or make keys", func(t *testing.T) {
		e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
		dev := e.login("dev@acme.example", testPassword)
		dev.do("GET", e.teamPath("/scim/keys"), nil).apiError(t, 403, "")
		dev.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "mine"}).apiError(t, 403, "")
	})

	t.Run("another team's admin gets 404", func(t *testing.T) {
		_, pass := testserver.NewTeamWithAdmin(t, e.Svc, "Globex", "boss@globex.example")
		c := e.login("boss@globex.example", pass)
		c.do("GET", e.teamPath("/scim/keys"), nil).apiError(t, 404, "")
		c.do("DELETE", e.teamPath("/scim/keys/"+id), nil).apiError(t, 404, "")
	})

	// Rotation: the new key works now, the old one until the grace ends.
	rot := admin.do("POST", e.teamPath("/scim/keys/"+id+"/rotate"), map[string]any{"grace": "1h"}).must(t, 201)
	newToken, _ := rot.Body["token"].(string)
	newID, _ := rot.Body["id"].(string)
	if newToken == "" || newToken == token || rot.Body["replaces"] != id || rot.Body["old_key_stops_at"] == nil {
		t.Fatalf("rotate %s", rot.Raw)
	}
	for _, tok := range []string{token, newToken} {
		if st, body := e.scim("GET", "/Users?count=1", tok, ""); st != 200 {
			t.Fatalf("during grace: %d %s", st, body)
		}
	}
	// Revocation takes effect at once on the running server.
	admin.do("DELETE", e.teamPath("/scim/keys/"+newID), nil).must(t, 204)
	st, body := e.scim("GET", "/Users?count=1", newToken, "")
	if st != 401 || !strings.Contains(body, "revoked") {
		t.Fatalf("revoked key: %d %s", st, body)
	}
	admin.do("POST", e.teamPath("/scim/keys/"+newID+"/rotate"), map[string]any{}).apiError(t, 409, "id")
}

// TestKeysOutliveTheirCreator: a key belongs to the team, so removing the
// admin who made it doesn't break provisioning (it breaks Postman's).
func TestKeysOutliveTheirCreator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setSCIM(true)
	leaver := e.addMember("leaver@acme.example", []string{"Admin"}, store.SourceManual, true)
	key := e.login("leaver@acme.example", testPassword).do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201)
	e.login(e.Admin, e.AdminPassword).do("DELETE", e.teamPath("/members/"+leaver.ID), nil).must(t, 204)
	if st, body := e.scim("GET", "/Users?count=1", key.Body["token"].(string), ""); st != 200 {
		t.Fatalf("the key of a removed admin: %d %s", st, body)
	}
	list := e.login(e.Admin, e.AdminPassword).do("GET", e.teamPath("/scim/keys"), nil).must(t, 200).Body["keys"].([]any)
	if k := list[0].(map[string]any); k["status"] != "ACTIVE" || !strings.Contains(k["created_by"].(string), "leaver@acme.example") {
		t.Fatalf("keys after the creator left: %v", list)
	}
}

func TestPoliciesAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setSCIM(true)
	admin := e.login(e.Admin, e.AdminPassword)
	p := admin.do("GET", e.teamPath("/policies"), nil).must(t, 200)
	if p.Body["seat_limit"] != float64(0) || p.Body["seats_used"] != float64(1) || p.Body["group_delete_deactivates"] != false {
		t.Fatalf("defaults %s", p.Raw)
	}
	admin.do("PATCH", e.teamPath("/policies"), map[string]any{"seat_limit": -1, "group_delete_deactivates": true}).apiError(t, 400, "seat_limit")
	admin.do("PATCH", e.teamPath("/policies"), map[string]any{}).apiError(t, 400, "")
	if p := admin.do("GET", e.teamPath("/policies"), nil).must(t, 200); p.Body["group_delete_deactivates"] != false {
		t.Fatalf("a refused PATCH changed the policy: %s", p.Raw)
	}
	p = admin.do("PATCH", e.teamPath("/policies"), map[string]any{"seat_limit": 1}).must(t, 200)
	if p.Body["seat_limit"] != float64(1) {
		t.Fatalf("patched %s", p.Raw)
	}
	// The owner takes the only seat: the IdP's next create is refused
	// with a detail that names the licence problem.
	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201).Body["token"].(string)
	st, body := e.scim("POST", "/Users", key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new@acme.example","active":true}`)
	if st != 403 || !strings.Contains(body, "seat limit reached") {
		t.Fatalf("create beyond the limit: %d %s", st, body)
	}
}

func TestGroupsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.addMember("dev@acme.example", []string{"Developer"}, store.SourceSCIM, true)
	gid := e.addGroup("Engineering", dev.ID)
	e.addGroup("Sales")
	admin := e.login(e.Admin, e.AdminPassword)

	l := admin.do("GET", e.teamPath("/groups?q=eng"), nil).must(t, 200)
	gs := l.Body["groups"].([]any)
	if l.Body["total"] != float64(1) || len(gs) != 1 || gs[0].(map[string]any)["member_count"] != float64(1) {
		t.Fatalf("search %s", l.Raw)
	}
	if l := admin.do("GET", e.teamPath("/groups?per_page=1&page=2"), nil).must(t, 200); l.Body["total"] != float64(2) || len(l.Body["groups"].([]any)) != 1 {
		t.Fatalf("paging %s", l.Raw)
	}
	admin.do("GET", e.teamPath("/groups?per_page=0"), nil).apiError(t, 400, "per_page")
	admin.do("GET", e.teamPath("/groups/nope"), nil).apiError(t, 404, "")

	g := admin.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{"Billing", "Billing"}}).must(t, 200)
	if roles := g.Body["roles"].([]any); len(roles) != 1 || roles[0] != "Billing" {
		t.Fatalf("roles %s", g.Raw)
	}
	m := admin.do("GET", e.teamPath("/members/"+dev.ID), nil).must(t, 200)
	if eff := m.Body["effective_roles"].([]any); !slices.Contains(eff, any("Billing")) {
		t.Fatalf("member's effective roles %s", m.Raw)
	}
	admin.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{"Owner"}}).apiError(t, 400, "roles")
	admin.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{}).apiError(t, 400, "roles")

	// A plain Admin can't bind Super Admin through a group.
	e.addMember("admin2@acme.example", []string{"Admin"}, store.SourceManual, true)
	a2 := e.login("admin2@acme.example", testPassword)
	msg := a2.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{"Super Admin"}}).apiError(t, 403, "")
	if !strings.Contains(msg, "only a Super Admin") {
		t.Fatalf("message %q", msg)
	}
	roles, _ := e.St.GroupRoles(context.Background(), e.Team.ID, gid)
	if strings.Join(roles, ",") != "Billing" {
		t.Fatalf("roles after a refused bind: %v", roles)
	}
	// Developers read groups but can't bind roles.
	d := e.login("dev@acme.example", testPassword)
	d.do("GET", e.teamPath("/groups"), nil).must(t, 200)
	d.do("PUT", e.teamPath("/groups/"+gid+"/roles"), map[string]any{"roles": []any{}}).apiError(t, 403, "")
}

// TestLogsAPI: an admin finds a failed IdP request in the provisioning
// log, with the redacted body and the exact error, and exports the audit
// log as CSV and JSON lines.
func TestLogsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setSCIM(true)
	admin := e.login(e.Admin, e.AdminPassword)
	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201).Body["token"].(string)
	st, _ := e.scim("POST", "/Users", key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"No Name","password":"hunter2-secret"}`)
	if st != 400 {
		t.Fatalf("bad create: %d", st)
	}
	if err := e.Srv.ProvisioningLog().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := admin.do("GET", e.teamPath("/provisioning-log?errors=true"), nil).must(t, 200)
	entries := l.Body["entries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("failed requests %s", l.Raw)
	}
	ent := entries[0].(map[string]any)
	if ent["status"] != float64(400) || ent["method"] != "POST" || !strings.Contains(ent["error_detail"].(string), "userName") {
		t.Fatalf("entry %v", ent)
	}
	one := admin.do("GET", e.teamPath("/provisioning-log/"+ent["id"].(string)), nil).must(t, 200)
	if strings.Contains(string(one.Raw), "hunter2-secret") || one.Body["request_body"] == nil {
		t.Fatalf("entry detail %s", one.Raw)
	}
	admin.do("GET", e.teamPath("/provisioning-log?status=teapot"), nil).apiError(t, 400, "status")
	admin.do("GET", e.teamPath("/provisioning-log?status=2xx&errors=true"), nil).apiError(t, 400, "status")
	if l := admin.do("GET", e.teamPath("/provisioning-log?status=4xx&errors=true"), nil).must(t, 200); len(l.Body["entries"].([]any)) != 1 {
		t.Fatalf("4xx errors: %s", l.Raw)
	}
	admin.do("GET", e.teamPath("/audit?since=yesterday"), nil).apiError(t, 400, "since")

	a := admin.do("GET", e.teamPath("/audit?action=scim_key."), nil).must(t, 200)
	evs := a.Body["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["action"] != "scim_key.create" || evs[0].(map[string]any)["actor"] != "account:"+e.Admin {
		t.Fatalf("audit %s", a.Raw)
	}
	for format, want := range map[string]string{"csv": "id,at,actor,action,target", "jsonl": `"action":"scim_key.create"`} {
		req, _ := http.NewRequest("GET", e.API+e.teamPath("/audit?format="+format), nil)
		req.Header.Set("Authorization", "Bearer "+e.token(e.Admin, e.AdminPassword, "export-"+format).bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(raw), want) || !strings.Contains(resp.Header.Get("Content-Disposition"), "audit."+format) {
			t.Fatalf("export %s: %d %q", format, resp.StatusCode, raw)
		}
	}
	e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
	dev := e.login("dev@acme.example", testPassword)
	dev.do("GET", e.teamPath("/audit"), nil).apiError(t, 403, "")
	dev.do("GET", e.teamPath("/provisioning-log"), nil).apiError(t, 403, "")
}

// TestSchemaAPI declares custom attributes through the API and checks an
// IdP sees them in /Schemas and can set them.
func TestSchemaAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setSCIM(true)
	admin := e.login(e.Admin, e.AdminPassword)
	if r := admin.do("GET", e.teamPath("/schema"), nil).must(t, 200); len(r.Body["attributes"].([]any)) != 0 {
		t.Fatalf("fresh team %s", r.Raw)
	}
	r := admin.do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{
		map[string]any{"name": "costCode", "description": "finance"}, map[string]any{"name": "level", "type": "integer"}}}).must(t, 200)
	if fmt.Sprint(r.Body["added"]) != "[costCode level]" || len(r.Body["attributes"].([]any)) != 2 {
		t.Fatalf("apply %s", r.Raw)
	}
	admin.do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "level", "type": "string"}}}).apiError(t, 409, "attributes")
	admin.do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "9x"}}}).apiError(t, 400, "attributes")
	admin.do("PUT", e.teamPath("/schema"), map[string]any{}).apiError(t, 400, "attributes")

	key := admin.do("POST", e.teamPath("/scim/keys"), map[string]any{"name": "okta"}).must(t, 201).Body["token"].(string)
	if st, body := e.scim("GET", "/Schemas", key, ""); st != 200 || !strings.Contains(body, "costCode") || !strings.Contains(body, "finance") {
		t.Fatalf("/Schemas: %d %s", st, body)
	}
	st, body := e.scim("POST", "/Users", key, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:roster:2.0:User"],
		"userName":"cc@acme.example","urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"level":3}}`)
	if st != 201 || !strings.Contains(body, `"level":3`) {
		t.Fatalf("create with a custom attribute: %d %s", st, body)
	}
	r = admin.do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "level", "type": "integer"}}, "prune": true}).must(t, 200)
	if fmt.Sprint(r.Body["removed"]) != "[costCode]" {
		t.Fatalf("prune %s", r.Raw)
	}
	e.addMember("dev@acme.example", []string{"Developer"}, store.SourceManual, true)
	e.login("dev@acme.example", testPassword).do("PUT", e.teamPath("/schema"), map[string]any{"attributes": []any{}}).apiError(t, 403, "")
}
