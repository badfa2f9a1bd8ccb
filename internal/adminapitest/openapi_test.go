package adminapitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/testserver"
)

// loadJSON decodes a JSON document into the generic shapes the validator
// reads.
func loadJSON(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// metaSchema is the official OpenAPI 3.0 JSON Schema (testdata/README.md).
func metaSchema(t *testing.T) any {
	t.Helper()
	raw, err := os.ReadFile("testdata/openapi-3.0-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return loadJSON(t, raw)
}

// checkOpenAPI lists what makes doc an invalid OpenAPI 3.0 document for
// client generators: the official schema's findings, operations without
// an operationId or sharing one, and $refs that point nowhere.
func checkOpenAPI(meta, doc any) []string {
	v := &validator{root: meta}
	problems := v.validate(meta, doc)
	d, _ := doc.(map[string]any)
	paths, _ := d["paths"].(map[string]any)
	seen := map[string]string{}
	for _, p := range sortedKeys(paths) {
		ops, _ := paths[p].(map[string]any)
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			op, ok := ops[m].(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(m) + " " + p
			id, _ := op["operationId"].(string)
			switch {
			case id == "":
				problems = append(problems, where+": no operationId")
			case seen[id] != "":
				problems = append(problems, fmt.Sprintf("%s: operationId %q is %s's too", where, id, seen[id]))
			default:
				seen[id] = where
			}
		}
	}
	refs := &validator{root: doc}
	var walk func(x any, at string)
	walk = func(x any, at string) {
		switch t := x.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok {
				if _, err := refs.resolve(ref); err != nil {
					problems = append(problems, at+": "+err.Error())
				}
			}
			for k, e := range t {
				walk(e, at+"/"+pointerEscape(k))
			}
		case []any:
			for i, e := range t {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
	return problems
}

// TestOpenAPIDocumentIsValid: the document the server serves is valid
// OpenAPI 3.0 (the official JSON Schema; no 3.1 type lists), every
// operation has an operationId of its own, and every $ref resolves. The
// same checks catch each defect when it is planted in a copy.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	raw := e.anon().do("GET", "/openapi.json", nil).must(t, 200).Raw
	meta := metaSchema(t)
	if problems := checkOpenAPI(meta, loadJSON(t, raw)); len(problems) > 0 {
		t.Fatalf("openapi.json is not valid OpenAPI 3.0:\n%s", strings.Join(problems, "\n"))
	}

	// Each defect, planted in a fresh copy, is reported.
	plant := func(name string, edit func(d map[string]any), want string) {
		t.Run(name, func(t *testing.T) {
			d := loadJSON(t, raw).(map[string]any)
			edit(d)
			problems := checkOpenAPI(meta, d)
			if !strings.Contains(strings.Join(problems, "\n"), want) {
				t.Fatalf("planted %s: problems %q, want one with %q", name, problems, want)
			}
		})
	}
	op := func(d map[string]any, path, method string) map[string]any {
		return d["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	}
	schemas := func(d map[string]any) map[string]any {
		return d["components"].(map[string]any)["schemas"].(map[string]any)
	}
	plant("a 3.1 type list", func(d map[string]any) {
		p := schemas(d)["Account"].(map[string]any)["properties"].(map[string]any)
		p["email"] = map[string]any{"type": []any{"string", "null"}}
	}, "/components/schemas/Account/properties/email/type")
	plant("an operation without operationId", func(d map[string]any) {
		delete(op(d, "/teams/{slug}/members", "get"), "operationId")
	}, "GET /teams/{slug}/members: no operationId")
	plant("a shared operationId", func(d map[string]any) {
		op(d, "/teams/{slug}/members", "get")["operationId"] = "getMe"
	}, `operationId "getMe"`)
	plant("a dangling $ref", func(d map[string]any) {
		schemas(d)["Team"] = map[string]any{"$ref": "#/components/schemas/Nope"}
	}, `no "Nope"`)
	plant("a 3.1 version", func(d map[string]any) { d["openapi"] = "3.1.0" }, "/openapi")
	plant("a response without description", func(d map[string]any) {
		r := op(d, "/me", "get")["responses"].(map[string]any)
		r["200"] = map[string]any{"content": map[string]any{}}
	}, "/paths/~1me/get/responses/200")
}

// TestSchemaValidator pins the validator's reading of each keyword, so
// the two tests above can't pass by checking nothing.
func TestSchemaValidator(t *testing.T) {
	root := loadJSON(t, []byte(`{"definitions": {"Name": {"type": "string", "minLength": 2}},
		"components": {"schemas": {
			"Base": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
			"Key": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {"token": {"type": "string"}}}]}}}}`))
	cases := []struct {
		name    string
		openAPI bool
		strict  bool
		schema  string
		inst    string
		want    string // "" passes; else a substring of a finding
	}{
		{"type", false, false, `{"type": "integer"}`, `1.5`, "want type integer"},
		{"type integer", false, false, `{"type": "integer"}`, `3`, ""},
		{"draft-04 type list", false, false, `{"type": ["string", "null"]}`, `null`, ""},
		{"no type lists in OpenAPI", true, false, `{"type": ["string", "null"]}`, `"x"`, "want type"},
		{"nullable", true, false, `{"type": "string", "nullable": true}`, `null`, ""},
		{"not nullable", true, false, `{"type": "string"}`, `null`, "is null"},
		{"required", false, false, `{"type": "object", "required": ["a"]}`, `{}`, `lacks required "a"`},
		{"additionalProperties false", false, false, `{"properties": {"a": {}}, "additionalProperties": false}`, `{"b": 1}`, "/b: is not allowed"},
		{"additionalProperties schema", false, false, `{"additionalProperties": {"type": "string"}}`, `{"b": 1}`, "/b: is a number"},
		{"patternProperties", false, false, `{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}`, `{"x-a": 2}`, "/x-a: is a number"},
		{"enum", false, false, `{"enum": ["a", "b"]}`, `"c"`, "is not one of"},
		{"oneOf: none", false, false, `{"oneOf": [{"type": "string"}, {"type": "integer"}]}`, `true`, "matches 0 of oneOf"},
		{"oneOf: two", false, false, `{"oneOf": [{"type": "number"}, {"type": "integer"}]}`, `2`, "matches 2 of oneOf"},
		{"anyOf", false, false, `{"anyOf": [{"type": "number"}, {"type": "integer"}]}`, `2`, ""},
		{"not", false, false, `{"not": {"type": "string"}}`, `"s"`, "must not"},
		{"$ref into definitions", false, false, `{"$ref": "#/definitions/Name"}`, `"a"`, "shorter than 2"},
		{"dangling $ref", false, false, `{"$ref": "#/definitions/Nope"}`, `"a"`, `no "Nope"`},
		{"pattern", false, false, `{"pattern": "^3\\.0\\.\\d$"}`, `"3.1.0"`, "does not match"},
		{"format date-time", true, false, `{"type": "string", "format": "date-time"}`, `"yesterday"`, "not a valid date-time"},
		{"format uri-reference", false, false, `{"format": "uri-reference"}`, `"#/a b"`, ""},
		{"minimum", false, false, `{"minimum": 0}`, `-1`, "below the minimum"},
		{"uniqueItems", false, false, `{"uniqueItems": true}`, `[1, 1]`, "must be unique"},
		{"items", false, false, `{"items": {"type": "string"}}`, `["a", 2]`, "/1: is a number"},
		{"unknown keyword", false, false, `{"const": 1}`, `1`, `doesn't implement`},
		{"strict: undocumented property", true, true, `{"type": "object", "properties": {"a": {}}}`, `{"a": 1, "b": 2}`, "/b: is in the answer but not documented"},
		{"strict: nested", true, true, `{"type": "object", "properties": {"a": {"type": "object", "properties": {}}}}`, `{"a": {"z": 1}}`, "/a/z: is in the answer but not documented"},
		{"strict: allOf documents the union", true, true, `{"$ref": "#/components/schemas/Key"}`, `{"id": "1", "token": "t"}`, ""},
		{"strict: allOf still checks each branch", true, true, `{"$ref": "#/components/schemas/Key"}`, `{"token": "t"}`, `lacks required "id"`},
		{"strict: allOf union has limits", true, true, `{"$ref": "#/components/schemas/Key"}`, `{"id": "1", "x": 1}`, "/x: is in the answer but not documented"},
		{"not strict: extra properties pass", true, false, `{"type": "object", "properties": {"a": {}}}`, `{"b": 2}`, ""},
		{"strict: a free-form object", true, true, `{"type": "object"}`, `{"b": 2}`, ""},
		{"strict: no properties at all", true, true, `{"type": "object", "properties": {}}`, `{"b": 2}`, "/b: is in the answer but not documented"},
	}
	for _, c := range cases {
		v := &validator{root: root, openAPI: c.openAPI, strict: c.strict}
		got := v.validate(loadJSON(t, []byte(c.schema)), loadJSON(t, []byte(c.inst)))
		all := strings.Join(got, "\n")
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s: unexpected findings %q", c.name, got)
		case c.want != "" && !strings.Contains(all, c.want):
			t.Errorf("%s: findings %q, want one with %q", c.name, got, c.want)
		}
	}
}

// apiDoc is the OpenAPI document the running server serves, for checking
// its answers.
type apiDoc struct {
	doc   map[string]any
	paths []string
}

func serverDoc(t *testing.T, e *env) *apiDoc {
	t.Helper()
	d := loadJSON(t, e.anon().do("GET", "/openapi.json", nil).must(t, 200).Raw).(map[string]any)
	ad := &apiDoc{doc: d}
	for p := range d["paths"].(map[string]any) {
		ad.paths = append(ad.paths, p)
	}
	return ad
}

// route finds the documented path template a concrete path matches.
func (ad *apiDoc) route(path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for _, p := range ad.paths {
		ps := strings.Split(p, "/")
		if len(ps) != len(segs) {
			continue
		}
		ok := true
		for i := range ps {
			if ps[i] != segs[i] && !(strings.HasPrefix(ps[i], "{") && strings.HasSuffix(ps[i], "}")) {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return ""
}

// check validates one answer against the response the document declares
// for its operation and status, strictly: a status the operation doesn't
// document, a body the response doesn't describe, or a field its schema
// doesn't name is a finding.
func (ad *apiDoc) check(method, path string, r response) []string {
	where := fmt.Sprintf("%s %s → %d", method, path, r.Status)
	tmpl := ad.route(path)
	if tmpl == "" {
		return []string{where + ": no documented path matches"}
	}
	op, _ := ad.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return []string{where + ": " + method + " is not documented on " + tmpl}
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(r.Status)]
	if !ok {
		if resp, ok = responses["default"]; !ok {
			return []string{where + ": status not documented for " + method + " " + tmpl}
		}
	}
	v := &validator{root: ad.doc, openAPI: true, strict: true}
	rs, err := v.deref(resp)
	if err != nil {
		return []string{where + ": " + err.Error()}
	}
	content, _ := rs["content"].(map[string]any)
	if len(r.Raw) == 0 {
		if content != nil {
			return []string{where + ": documented with a body, answered none"}
		}
		return nil
	}
	mt, _ := content["application/json"].(map[string]any)
	if mt == nil {
		return []string{where + ": answered a JSON body the document doesn't describe"}
	}
	schema, ok := mt["schema"]
	if !ok {
		return []string{where + ": the JSON response has no schema"}
	}
	var inst any
	if err := json.Unmarshal(r.Raw, &inst); err != nil {
		return []string{where + ": " + err.Error()}
	}
	var out []string
	for _, f := range v.validate(schema, inst) {
		out = append(out, where+": "+f)
	}
	return out
}

// TestResponsesMatchOpenAPI sends a sample of real requests (at least one
// success of every operation the document had before SSO, the overview
// for an admin and a Developer, and the common refusals) and checks each
// answer against the documented response schema, strictly.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sm := newSampler(t, e)
	call := sm.call
	ctx := context.Background()
	admin := e.login(e.Admin, e.AdminPassword)
	tp := e.teamPath

	// An email change, while SCIM is off (its IdP owns it after).
	renamer := e.addMember(uniq("renamer"), []string{service.RoleDeveloper}, store.SourceManual, true)
	call(e.login(renamer.UserName, testPassword), "PATCH", "/me", map[string]any{"email": uniq("renamed")}, 200)

	// Traffic for the overview and the logs: SCIM on, a key, a member
	// created and a refused create.
	call(admin, "PUT", tp("/scim"), map[string]any{"enabled": true}, 200)
	key := call(admin, "POST", tp("/scim/keys"), map[string]any{"name": "okta", "expires_in": "90d"}, 201)
	tok, _ := key.Body["token"].(string)
	if st, body := e.scim("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example","active":true}`); st != 201 {
		t.Fatalf("SCIM create: %d %s", st, body)
	}
	if st, _ := e.scim("POST", "/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"No userName"}`); st != 400 {
		t.Fatalf("SCIM bad create: %d", st)
	}
	if err := e.Srv.ProvisioningLog().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	dev := e.addMember(uniq("dev"), []string{service.RoleDeveloper}, store.SourceManual, true)
	grp := e.addGroup("Engineering", dev.ID)

	call(e.anon(), "GET", "/openapi.json", nil, 200)
	call(e.anon(), "POST", "/auth/login", map[string]any{"email": e.Admin, "password": "wrong password"}, 401)
	call(e.anon(), "POST", "/auth/login", map[string]any{"email": e.Admin}, 400)
	call(e.anon(), "GET", "/me", nil, 401)
	call(admin, "GET", "/me", nil, 200)
	call(admin, "GET", "/teams", nil, 200)
	call(admin, "GET", tp(""), nil, 200)
	ov := call(admin, "GET", tp("/overview"), nil, 200)
	if ov.Body["scim"] == nil || ov.Body["activity"] == nil {
		t.Fatalf("an admin's overview lacks SCIM or activity: %.300s", ov.Raw)
	}
	call(admin, "GET", tp("/members"), nil, 200)
	call(admin, "GET", tp("/members/"+dev.ID), nil, 200)
	call(admin, "GET", tp("/members/nope"), nil, 404)
	call(admin, "PATCH", tp("/members/"+dev.ID), map[string]any{"roles": []any{"Developer", "Billing"}}, 200)
	call(admin, "GET", tp("/invites"), nil, 200)
	inv := call(admin, "POST", tp("/invites"), map[string]any{"email": uniq("invitee"), "role": "Developer"}, 201)
	inv = call(admin, "POST", tp("/invites/"+inv.Body["id"].(string)+"/resend"), nil, 200)
	call(admin, "GET", tp("/scim"), nil, 200)
	keys := call(admin, "GET", tp("/scim/keys"), nil, 200)
	if list, _ := keys.Body["keys"].([]any); len(list) == 0 {
		t.Fatalf("no keys: %s", keys.Raw)
	}
	call(admin, "POST", tp("/scim/keys/"+key.Body["id"].(string)+"/rotate"), map[string]any{"grace": "1h"}, 201)
	call(admin, "GET", tp("/policies"), nil, 200)
	call(admin, "PATCH", tp("/policies"), map[string]any{"seat_limit": 50, "group_delete_deactivates": true}, 200)
	call(admin, "GET", tp("/groups"), nil, 200)
	call(admin, "GET", tp("/groups/"+grp), nil, 200)
	call(admin, "PUT", tp("/groups/"+grp+"/roles"), map[string]any{"roles": []any{"Billing"}}, 200)
	call(admin, "GET", tp("/audit"), nil, 200)
	pl := call(admin, "GET", tp("/provisioning-log"), nil, 200)
	entries, _ := pl.Body["entries"].([]any)
	if len(entries) == 0 {
		t.Fatalf("no provisioning log: %s", pl.Raw)
	}
	for _, en := range entries {
		call(admin, "GET", tp("/provisioning-log/"+en.(map[string]any)["id"].(string)), nil, 200)
	}
	call(admin, "GET", tp("/schema"), nil, 200)
	call(admin, "PUT", tp("/schema"), map[string]any{"attributes": []any{map[string]any{"name": "costCode", "description": "finance"}}}, 200)
	call(admin, "GET", "/me/tokens", nil, 200)
	nt := call(admin, "POST", "/me/tokens", map[string]any{"name": "ci"}, 201)
	call(admin, "DELETE", "/me/tokens/"+nt.Body["id"].(string), nil, 204)

	// A Developer: the overview without SCIM and logs, a refusal.
	devC := e.login(dev.UserName, testPassword)
	ov = call(devC, "GET", tp("/overview"), nil, 200)
	if ov.Body["scim"] != nil || ov.Body["activity"] != nil {
		t.Fatalf("a Developer's overview shows SCIM or activity: %.300s", ov.Raw)
	}
	call(devC, "GET", tp("/scim"), nil, 403)
	call(devC, "PATCH", "/me", map[string]any{"email": uniq("renamed")}, 403)
	call(admin, "PUT", tp("/scim"), map[string]any{"enabled": false}, 200)
	call(devC, "POST", tp("/leave"), nil, 204)

	// An account that must change its password: 403 everywhere else.
	_, once := testserver.NewTeamWithOneTimeAdmin(t, e.Svc, "Initech", "boss@initech.example")
	fresh := e.login("boss@initech.example", once)
	call(fresh, "GET", "/teams/initech", nil, 403)
	call(fresh, "GET", "/me", nil, 403)
	call(fresh, "POST", "/me/password", map[string]any{"current_password": once, "new_password": "a password of my own"}, 204)

	// Invites end to end, then the rest of the refusals.
	invTok, _ := inv.Body["token"].(string)
	call(e.anon(), "POST", "/invites/accept", map[string]any{"token": invTok, "password": testPassword}, 200)
	call(admin, "DELETE", tp("/invites/"+call(admin, "POST", tp("/invites"), map[string]any{"email": uniq("gone")}, 201).Body["id"].(string)), nil, 204)
	call(admin, "DELETE", tp("/scim/keys/"+key.Body["id"].(string)), nil, 204)
	call(admin, "DELETE", tp("/members/"+e.addMember(uniq("leaver"), []string{"Developer"}, store.SourceManual, true).ID), nil, 204)
	call(admin, "POST", "/auth/logout", nil, 204)

	// Every operation the document had when this test was written was
	// answered at least once.
	sm.done([]string{"GET /openapi.json", "POST /auth/login", "POST /auth/logout", "POST /invites/accept", "GET /me", "PATCH /me",
		"POST /me/password", "GET /me/tokens", "POST /me/tokens", "DELETE /me/tokens/{id}", "GET /teams", "GET /teams/{slug}",
		"GET /teams/{slug}/overview", "GET /teams/{slug}/members", "GET /teams/{slug}/members/{id}", "PATCH /teams/{slug}/members/{id}",
		"DELETE /teams/{slug}/members/{id}", "POST /teams/{slug}/leave", "GET /teams/{slug}/invites", "POST /teams/{slug}/invites",
		"POST /teams/{slug}/invites/{id}/resend", "DELETE /teams/{slug}/invites/{id}", "GET /teams/{slug}/scim", "PUT /teams/{slug}/scim",
		"GET /teams/{slug}/scim/keys", "POST /teams/{slug}/scim/keys", "DELETE /teams/{slug}/scim/keys/{id}", "POST /teams/{slug}/scim/keys/{id}/rotate",
		"GET /teams/{slug}/policies", "PATCH /teams/{slug}/policies", "GET /teams/{slug}/groups", "GET /teams/{slug}/groups/{id}",
		"PUT /teams/{slug}/groups/{id}/roles", "GET /teams/{slug}/audit", "GET /teams/{slug}/provisioning-log",
		"GET /teams/{slug}/provisioning-log/{id}", "GET /teams/{slug}/schema", "PUT /teams/{slug}/schema"})
}

// TestEventRoutesMatchOpenAPI checks the answers of the event stream's,
// the webhooks' and the deprovisioning guard's routes against their
// documented schemas, strictly: every operation at least once, with its
// lists filled (an event of each kind the sample makes, a delivery, a held
// change), and the refusals they document.
func TestEventRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sm := newSampler(t, e)
	call := sm.call
	ctx := context.Background()
	admin := e.login(e.Admin, e.AdminPassword)
	tp := e.teamPath

	// Events of several kinds, then the stream.
	call(admin, "POST", tp("/scim/keys"), map[string]any{"name": "okta"}, 201)
	dev := e.addMember(uniq("dev"), []string{service.RoleDeveloper}, store.SourceManual, true)
	call(admin, "PATCH", tp("/members/"+dev.ID), map[string]any{"roles": []any{"Billing"}}, 200)
	e.addGroup("Engineering", dev.ID)
	page := call(admin, "GET", tp("/events?limit=1000"), nil, 200)
	if n := len(page.Body["data"].([]any)); n < 4 {
		t.Fatalf("%d events", n)
	}
	call(admin, "GET", tp("/events?limit=1&after=1&wait=1ms"), nil, 200)
	call(admin, "GET", tp("/events?after=x"), nil, 400)
	call(e.anon(), "GET", tp("/events"), nil, 401)
	call(e.login(dev.UserName, testPassword), "GET", tp("/events"), nil, 403)

	// Webhooks, with a delivery in the log.
	wh := call(admin, "POST", tp("/webhooks"), map[string]any{"url": "https://hooks.example.com/a", "types": []any{"member.*"}, "description": "app"}, 201)
	id := wh.Body["id"].(string)
	call(admin, "POST", tp("/webhooks"), map[string]any{"url": "http://10.0.0.1/"}, 400)
	call(admin, "GET", tp("/webhooks"), nil, 200)
	call(admin, "GET", tp("/webhooks/"+id), nil, 200)
	call(admin, "GET", tp("/webhooks/nope"), nil, 404)
	call(admin, "PATCH", tp("/webhooks/"+id), map[string]any{"enabled": false}, 200)
	call(admin, "PATCH", tp("/webhooks/"+id), map[string]any{"enabled": true, "types": []any{"*"}}, 200)
	call(admin, "POST", tp("/webhooks/"+id+"/rotate-secret"), map[string]any{"grace": "1h"}, 200)
	if err := e.St.Tx(ctx, func(tx store.Tx) error {
		return tx.AppendWebhookDelivery(ctx, store.WebhookDelivery{TeamID: e.Team.ID, EndpointID: id, ID: service.NewID(), EventID: service.NewID(),
			Seq: 1, Attempt: 1, At: time.Now(), Status: 503, Latency: 12 * time.Millisecond, Outcome: store.DeliveryFailed, Error: "503 Service Unavailable", Response: "busy"})
	}); err != nil {
		t.Fatal(err)
	}
	dl := call(admin, "GET", tp("/webhooks/"+id+"/deliveries"), nil, 200)
	if n := len(dl.Body["deliveries"].([]any)); n == 0 {
		t.Fatalf("no deliveries: %s", dl.Raw)
	}
	call(admin, "POST", tp("/webhooks/"+id+"/replay"), map[string]any{"seq": 1}, 202)
	call(admin, "POST", tp("/webhooks/"+id+"/replay"), map[string]any{"since_seq": 1}, 202)
	call(admin, "POST", tp("/webhooks/"+id+"/replay"), map[string]any{}, 400)
	call(admin, "DELETE", tp("/webhooks/"+id), nil, 204)

	// The guard: settings, paused with a held change, confirm and reject.
	call(admin, "GET", tp("/deprovisioning"), nil, 200)
	call(admin, "PATCH", tp("/deprovisioning"), map[string]any{"percent": 25}, 200)
	call(admin, "PATCH", tp("/deprovisioning"), map[string]any{"percent": 0}, 400)
	call(admin, "POST", tp("/deprovisioning/confirm"), nil, 409)
	e.pauseGuard(e.addMember(uniq("held"), []string{service.RoleDeveloper}, store.SourceSCIM, true))
	g := call(admin, "GET", tp("/deprovisioning"), nil, 200)
	if len(g.Body["held"].([]any)) != 1 || g.Body["paused_reason"] == "" {
		t.Fatalf("paused guard %s", g.Raw)
	}
	call(admin, "PATCH", tp("/deprovisioning"), map[string]any{"enabled": false}, 409)
	call(admin, "POST", tp("/deprovisioning/reject"), nil, 200)
	e.pauseGuard(e.addMember(uniq("held"), []string{service.RoleDeveloper}, store.SourceSCIM, true))
	call(admin, "POST", tp("/deprovisioning/confirm"), nil, 200)

	sm.done([]string{"GET /teams/{slug}/events", "GET /teams/{slug}/webhooks", "POST /teams/{slug}/webhooks",
		"GET /teams/{slug}/webhooks/{id}", "PATCH /teams/{slug}/webhooks/{id}", "DELETE /teams/{slug}/webhooks/{id}",
		"POST /teams/{slug}/webhooks/{id}/rotate-secret", "GET /teams/{slug}/webhooks/{id}/deliveries", "POST /teams/{slug}/webhooks/{id}/replay",
		"GET /teams/{slug}/deprovisioning", "PATCH /teams/{slug}/deprovisioning", "POST /teams/{slug}/deprovisioning/confirm",
		"POST /teams/{slug}/deprovisioning/reject"})
}

// sampler sends the sample requests of the response-schema tests: each
// answer must have the status wanted and match its documented schema.
type sampler struct {
	t        *testing.T
	ad       *apiDoc
	findings []string
	covered  map[string]bool
}

func newSampler(t *testing.T, e *env) *sampler {
	return &sampler{t: t, ad: serverDoc(t, e), covered: map[string]bool{}}
}

func (s *sampler) call(c *client, method, path string, body any, want int) response {
	s.t.Helper()
	r := c.do(method, path, body)
	if r.Status != want {
		s.t.Fatalf("%s %s: %d, want %d: %.300s", method, path, r.Status, want, r.Raw)
	}
	s.findings = append(s.findings, s.ad.check(method, path, r)...)
	s.covered[method+" "+s.ad.route(path)] = true
	return r
}

// done reports the schema findings, and each operation of ops that no
// sample answered.
func (s *sampler) done(ops []string) {
	s.t.Helper()
	for _, f := range s.findings {
		s.t.Error(f)
	}
	for _, want := range ops {
		if !s.covered[want] {
			s.t.Errorf("the sample answers no %s", want)
		}
	}
}
