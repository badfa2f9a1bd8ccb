package main

// The fixed script: every CLI command and subcommand, then the HTTP
// surface (SCIM as Okta and Entra send it, the admin API, the console,
// health, OpenAPI, static files), successes and refusals alike. The
// server runs twice: the first phase makes every change, the second
// (after a restart, which flushes the provisioning log) reads the logs.
// The last CLI steps read everything the HTTP phases wrote, and move the
// store with export and import.
//
// Each step records what the binary answered; values needed later (ids,
// keys, tokens, CSRF tokens) are captured from those answers. Nothing in
// here may depend on time or chance: the same binary must record the
// same thing every run.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const (
	userURN   = "urn:ietf:params:scim:schemas:core:2.0:User"
	entURN    = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	groupURN  = "urn:ietf:params:scim:schemas:core:2.0:Group"
	msGrpURN  = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	patchURN  = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	bulkURN   = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	customURN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
	scimCT    = "application/scim+json"

	oktaUA  = "Okta SCIM Client 1.0.0"
	entraUA = "Microsoft.Identity.Provisioning"

	// Passwords the script chooses (the generated ones are normalised).
	acmePass    = "acme-admin-Passw0rd!"
	devPass     = "developer-Passw0rd!"
	globexPass  = "globex-new-Passw0rd!"
	consolePass = "console-join-Passw0rd!"

	// Fixed ids that exist nowhere.
	ghostID = "00000000-0000-4000-8000-000000000000"
	// Constant times far from any run (kept as they are by the normaliser).
	longAgo = "2001-02-03T04:05:06Z"
	farOff  = "2999-01-01T00:00:00Z"
)

// js is compact JSON of v (map keys sorted: the same bytes every run).
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type obj = map[string]any
type arr = []any

func patchBody(ops ...obj) string {
	l := arr{}
	for _, o := range ops {
		l = append(l, o)
	}
	return js(obj{"schemas": arr{patchURN}, "Operations": l})
}

func pop(op, path string, value any) obj {
	o := obj{"op": op}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return o
}

func oktaUser(userName, given, family string) obj {
	return obj{
		"schemas": arr{userURN}, "userName": userName, "externalId": "00u" + strings.Split(userName, "@")[0],
		"name":        obj{"givenName": given, "familyName": family},
		"emails":      arr{obj{"primary": true, "value": userName, "type": "work"}},
		"displayName": given + " " + family, "locale": "en-US", "active": true, "password": "1mz050nq",
		"groups": arr{},
	}
}

func entraUser(userName, externalID string) obj {
	return obj{
		"schemas":    arr{userURN, entURN},
		"externalId": externalID, "userName": userName, "active": true,
		"emails": arr{obj{"primary": true, "type": "work", "value": userName}},
		"meta":   obj{"resourceType": "User"},
		"name":   obj{"formatted": "Bob Builder", "familyName": "Builder", "givenName": "Bob"},
		"roles":  arr{},
		entURN:   obj{"department": "Construction", "employeeNumber": "42"},
	}
}

// ---------------------------------------------------------------- requests

// scimReq is a SCIM request with the key captured as keyVar ("" sends
// none), as Okta sends it.
func (r *runner) scimReq(keyVar, method, path, body string) req {
	q := req{method: method, path: "/scim/v2" + path, body: body}
	if keyVar != "" {
		q = q.with("Authorization", "Bearer "+r.v(keyVar))
	}
	q = q.with("Accept", scimCT)
	if body != "" {
		q = q.with("Content-Type", scimCT)
	}
	return q.with("User-Agent", oktaUA)
}

func (r *runner) scim(name, keyVar, method, path, body string) response {
	return r.do("scim/"+name, r.scimReq(keyVar, method, path, body))
}

// entra sends a request as Microsoft Entra ID does.
func (r *runner) entra(name, keyVar, method, path, body string) response {
	q := req{method: method, path: "/scim/v2" + path, body: body}
	q = q.with("Authorization", "Bearer "+r.v(keyVar))
	if body != "" {
		q = q.with("Content-Type", "application/scim+json; charset=utf-8")
	}
	return r.do("scim/entra/"+name, q.with("User-Agent", entraUA))
}

// apiReq is an admin API request by who: "" nobody, "s:NAME" the session
// captured as NAME (with its CSRF token on writes), "s-nocsrf:NAME" the
// same without it, "t:NAME" a personal API token.
func (r *runner) apiReq(who, method, path, body string) req {
	q := req{method: method, path: "/api/v1" + path, body: body}
	kind, name, _ := strings.Cut(who, ":")
	switch kind {
	case "s", "s-nocsrf":
		q = q.with("Cookie", "roster_session="+r.v("session."+name))
		if kind == "s" && method != "GET" && method != "HEAD" {
			q = q.with("X-CSRF-Token", r.v("csrf."+name))
		}
	case "t":
		q = q.with("Authorization", "Bearer "+r.v("token."+name))
	}
	if body != "" {
		q = q.with("Content-Type", "application/json")
	}
	return q
}

func (r *runner) api(name, who, method, path, body string) response {
	return r.do("api/"+name, r.apiReq(who, method, path, body))
}

// login signs in over the admin API and captures the session as as.
func (r *runner) login(name, as, email, password string) response {
	res := r.api(name, "", "POST", "/auth/login", js(obj{"email": email, "password": password}))
	if res.Status == 200 {
		r.set("session."+as, res.cookie("roster_session"))
		r.set("csrf."+as, res.json("csrf_token"))
	}
	return res
}

// page is a console request by who ("" signed out, "s:NAME" a session);
// a form is posted with the session's CSRF token when csrf is set.
func (r *runner) page(name, who, method, path string, form url.Values, csrf bool) response {
	q := req{method: method, path: path}
	if _, n, ok := strings.Cut(who, ":"); ok {
		q = q.with("Cookie", "roster_session="+r.v("session."+n))
		if csrf {
			if form == nil {
				form = url.Values{}
			}
			form.Set("csrf_token", r.v("csrf."+n))
		}
	}
	if form != nil {
		q.body = form.Encode()
		q = q.with("Content-Type", "application/x-www-form-urlencoded")
	}
	q = q.with("User-Agent", "Mozilla/5.0 (apicompare)")
	if method == "POST" {
		q = q.with("Origin", "http://"+r.addr).with("Referer", "http://"+r.addr+path)
	}
	return r.do("console/"+name, q)
}

// ---------------------------------------------------------------- CLI, before the server

func scriptCLISetup(r *runner) {
	d := []string{"--data-dir", r.data}
	with := func(args ...string) []string { return append(args, d...) }

	// Usage and parse errors.
	r.cli("no-args")
	r.cli("help", "help")
	r.cli("help-flag", "--help")
	r.cli("unknown-command", "frobnicate")
	r.cli("team-no-subcommand", "team")
	r.cli("team-bogus-subcommand", "team", "explode")
	r.cli("team-create/missing-flags", with("team", "create")...)
	r.cli("team-create/missing-email", with("team", "create", "--name", "Acme")...)
	r.cli("team-create/bad-flag", with("team", "create", "--bogus", "--name", "Acme")...)
	r.cli("team-list/unexpected-argument", with("team", "list", "extra")...)
	r.cli("team-list/empty", with("team", "list")...)

	// Teams.
	res := r.cli("team-create/acme", with("team", "create", "--name", "Acme", "--admin-email", "admin@acme.example")...)
	r.set("pass.acme-otp", between(res.Stdout, "(shown once; change it after signing in):\n  ", "\n"))
	res = r.cli("team-create/globex-json", with("team", "create", "--name", "Globex", "--admin-email", "admin@globex.example", "--json")...)
	r.set("pass.globex-otp", jsonField(res.Stdout, "admin_password"))
	r.set("team.globex", jsonField(res.Stdout, "id"))
	r.cli("team-create/acme-again", with("team", "create", "--name", "Acme", "--admin-email", "admin@acme.example")...)
	r.cli("team-create/initech-existing-account-json", with("team", "create", "--name", "Initech", "--admin-email", "admin@globex.example", "--json")...)
	r.cli("team-create/bad-email", with("team", "create", "--name", "Bad", "--admin-email", "not-an-email")...)
	r.cli("team-create/blank-name", with("team", "create", "--name", "   ", "--admin-email", "x@example.com")...)
	r.cliWith("team-list/env-data-dir", cliOpt{env: []string{"ROSTER_DATA_DIR=" + r.data}}, "team", "list")
	r.cli("team-list/json", with("team", "list", "--json")...)

	// SCIM switch.
	r.cli("scim-enable/acme", with("scim", "enable", "--team", "acme")...)
	r.cli("scim-enable/acme-again-json", with("scim", "enable", "--team", "acme", "--json")...)
	r.cli("scim-enable/acme-2", with("scim", "enable", "--team", "acme-2")...)
	r.cli("scim-enable/unknown-team", with("scim", "enable", "--team", "nosuch")...)
	r.cli("scim-enable/missing-team", with("scim", "enable")...)
	r.cli("scim-disable/globex-json", with("scim", "disable", "--team", "globex", "--json")...)
	r.cli("scim-bogus-subcommand", with("scim", "toggle", "--team", "acme")...)

	// SCIM keys.
	res = r.cli("scim-key-create/okta", with("scim-key", "create", "--team", "acme", "--name", "okta")...)
	r.set("key.okta", between(res.Stdout, "once:\n\n  ", "\n"))
	res = r.cli("scim-key-create/entra-json-expiring", with("scim-key", "create", "--team", "acme", "--name", "entra", "--expires-in", "2160h", "--json")...)
	r.set("key.entra", jsonField(res.Stdout, "token"))
	r.set("keyid.entra", jsonField(res.Stdout, "id"))
	r.cli("scim-key-create/negative-expiry", with("scim-key", "create", "--team", "acme", "--name", "x", "--expires-in", "-1h")...)
	r.cli("scim-key-create/bad-expiry", with("scim-key", "create", "--team", "acme", "--name", "x", "--expires-in", "soon")...)
	r.cli("scim-key-create/unknown-team", with("scim-key", "create", "--team", "nosuch", "--name", "x")...)
	r.cli("scim-key-create/missing-name", with("scim-key", "create", "--team", "acme")...)
	r.cli("scim-key-create/long-name", with("scim-key", "create", "--team", "acme", "--name", strings.Repeat("k", 101))...)
	res = r.cli("scim-key-create/temp-json", with("scim-key", "create", "--team", "acme", "--name", "temp", "--json")...)
	r.set("key.temp", jsonField(res.Stdout, "token"))
	r.set("keyid.temp", jsonField(res.Stdout, "id"))
	r.cli("scim-key-revoke/temp", with("scim-key", "revoke", "--team", "acme", "--id", r.v("keyid.temp"))...)
	r.cli("scim-key-revoke/again", with("scim-key", "revoke", "--team", "acme", "--id", r.v("keyid.temp"))...)
	r.cli("scim-key-revoke/unknown", with("scim-key", "revoke", "--team", "acme", "--id", ghostID)...)
	r.cli("scim-key-revoke/missing-id", with("scim-key", "revoke", "--team", "acme")...)
	res = r.cli("scim-key-create/rotate-me-json", with("scim-key", "create", "--team", "acme", "--name", "rotate-me", "--json")...)
	r.set("key.rotate-old", jsonField(res.Stdout, "token"))
	r.set("keyid.rotate-old", jsonField(res.Stdout, "id"))
	res = r.cli("scim-key-rotate/grace-json", with("scim-key", "rotate", "--team", "acme", "--id", r.v("keyid.rotate-old"), "--grace", "24h", "--json")...)
	r.set("key.rotated", jsonField(res.Stdout, "token"))
	r.set("keyid.rotated", jsonField(res.Stdout, "id"))
	res = r.cli("scim-key-rotate/no-grace", with("scim-key", "rotate", "--team", "acme", "--id", r.v("keyid.rotated"))...)
	r.set("key.rotated2", between(res.Stdout, "only this once:\n\n  ", "\n"))
	r.cli("scim-key-rotate/bad-grace", with("scim-key", "rotate", "--team", "acme", "--id", r.v("keyid.entra"), "--grace", "forever")...)
	r.cli("scim-key-rotate/revoked", with("scim-key", "rotate", "--team", "acme", "--id", r.v("keyid.temp"))...)
	r.cli("scim-key-rotate/unknown", with("scim-key", "rotate", "--team", "acme", "--id", ghostID)...)
	res = r.cli("scim-key-create/acme-2-json", with("scim-key", "create", "--team", "acme-2", "--name", "okta", "--json")...)
	r.set("key.acme2", jsonField(res.Stdout, "token"))
	res = r.cli("scim-key-create/globex-json", with("scim-key", "create", "--team", "globex", "--name", "okta", "--json")...)
	r.set("key.globex", jsonField(res.Stdout, "token"))
	r.cli("scim-key-list/text", with("scim-key", "list", "--team", "acme")...)
	r.cli("scim-key-list/json", with("scim-key", "list", "--team", "acme", "--json")...)
	r.cli("scim-key-list/unknown-team", with("scim-key", "list", "--team", "nosuch")...)

	// Invites.
	r.cli("invite-create/dev", with("invite", "create", "--team", "acme", "--email", "dev@acme.example")...)
	res = r.cli("invite-create/billing-json", with("invite", "create", "--team", "acme", "--email", "billing@acme.example", "--role", "Billing", "--json")...)
	r.set("invite.billing", jsonField(res.Stdout, "id"))
	res = r.cli("invite-create/admin2-json", with("invite", "create", "--team", "acme", "--email", "admin2@acme.example", "--role", "Admin", "--json")...)
	r.set("invite.admin2", jsonField(res.Stdout, "id"))
	r.cli("invite-create/bad-role", with("invite", "create", "--team", "acme", "--email", "w@acme.example", "--role", "Wizard")...)
	r.cli("invite-create/bad-email", with("invite", "create", "--team", "acme", "--email", "not-an-email")...)
	r.cli("invite-create/duplicate", with("invite", "create", "--team", "acme", "--email", "dev@acme.example")...)
	r.cli("invite-create/existing-member", with("invite", "create", "--team", "acme", "--email", "admin@acme.example")...)
	r.cli("invite-create/unknown-team", with("invite", "create", "--team", "nosuch", "--email", "a@b.example")...)
	r.cli("invite-list/text", with("invite", "list", "--team", "acme")...)
	r.cli("invite-list/json", with("invite", "list", "--team", "acme", "--json")...)
	r.cli("invite-revoke/admin2", with("invite", "revoke", "--team", "acme", "--id", r.v("invite.admin2"))...)
	r.cli("invite-revoke/again", with("invite", "revoke", "--team", "acme", "--id", r.v("invite.admin2"))...)
	r.cli("invite-revoke/unknown", with("invite", "revoke", "--team", "acme", "--id", ghostID)...)
	r.cli("invite-revoke/missing-id", with("invite", "revoke", "--team", "acme")...)

	// Members.
	r.cli("members-list/text", with("members", "list", "--team", "acme")...)
	r.cli("members-list/json", with("members", "list", "--team", "acme", "--json")...)
	r.cli("members-list/unknown-team", with("members", "list", "--team", "nosuch")...)

	// Accounts.
	r.cliWith("account-set-password/acme-admin", cliOpt{stdin: acmePass + "\n"}, with("account", "set-password", "--email", "admin@acme.example")...)
	r.cliWith("account-set-password/no-stdin", cliOpt{}, with("account", "set-password", "--email", "admin@acme.example")...)
	r.cliWith("account-set-password/too-short", cliOpt{stdin: "short\n"}, with("account", "set-password", "--email", "admin@acme.example")...)
	r.cliWith("account-set-password/new-account", cliOpt{stdin: "operator-Passw0rd!\r\n"}, with("account", "set-password", "--email", "Operator@Example.com")...)
	r.cliWith("account-set-password/bad-email", cliOpt{stdin: "operator-Passw0rd!\n"}, with("account", "set-password", "--email", "nope")...)
	r.cliWith("account-set-password/missing-email", cliOpt{stdin: "operator-Passw0rd!\n"}, with("account", "set-password")...)

	// Custom schema.
	r.cli("schema-add/costCode", with("schema", "add-attribute", "--team", "acme", "--name", "costCode")...)
	r.cli("schema-add/level-integer", with("schema", "add-attribute", "--team", "acme", "--name", "level", "--type", "integer")...)
	r.cli("schema-add/badges-multi", with("schema", "add-attribute", "--team", "acme", "--name", "badges", "--multi-valued", "--case-exact", "--description", "Badges earned")...)
	r.cli("schema-add/remote-boolean", with("schema", "add-attribute", "--team", "acme", "--name", "remote", "--type", "boolean")...)
	r.cli("schema-add/bad-type", with("schema", "add-attribute", "--team", "acme", "--name", "colour", "--type", "color")...)
	r.cli("schema-add/duplicate", with("schema", "add-attribute", "--team", "acme", "--name", "costCode")...)
	r.cli("schema-add/bad-name", with("schema", "add-attribute", "--team", "acme", "--name", "9 bad")...)
	r.cli("schema-add/core-clash", with("schema", "add-attribute", "--team", "acme", "--name", "userName")...)
	r.cli("schema-add/missing-name", with("schema", "add-attribute", "--team", "acme")...)
	r.cli("schema-list/text", with("schema", "list", "--team", "acme")...)
	r.cli("schema-list/json", with("schema", "list", "--team", "acme", "--json")...)
	r.cli("schema-list/empty-json", with("schema", "list", "--team", "globex", "--json")...)
	files := map[string]string{
		"schema-add.json": js(arr{
			obj{"name": "costCode", "type": "string", "description": "Cost centre code"},
			obj{"name": "level", "type": "integer"},
			obj{"name": "badges", "type": "string", "multiValued": true, "caseExact": true, "description": "Badges earned"},
			obj{"name": "remote", "type": "boolean"},
			obj{"name": "region", "type": "string"},
			obj{"name": "startDate", "type": "dateTime"},
		}),
		"schema-prune.json": js(arr{
			obj{"name": "costCode", "type": "string", "description": "Cost centre code"},
			obj{"name": "level", "type": "integer"},
			obj{"name": "badges", "type": "string", "multiValued": true, "caseExact": true, "description": "Badges earned"},
			obj{"name": "remote", "type": "boolean"},
			obj{"name": "region", "type": "string"},
		}),
		"schema-type-change.json":   js(arr{obj{"name": "level", "type": "string"}}),
		"schema-bad.json":           `[{"name": "x", "type": "string"`,
		"schema-unknown-field.json": js(arr{obj{"name": "x", "type": "string", "colour": "red"}}),
		"schema-object.json":        js(obj{"name": "x"}),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(body), 0o644); err != nil {
			r.warnf("write %s: %v", name, err)
		}
	}
	file := func(n string) string { return filepath.Join(r.dir, n) }
	r.cli("schema-apply/add-json", with("schema", "apply", "--team", "acme", "--file", file("schema-add.json"), "--json")...)
	r.cli("schema-apply/unchanged", with("schema", "apply", "--team", "acme", "--file", file("schema-add.json"))...)
	r.cli("schema-apply/prune", with("schema", "apply", "--team", "acme", "--file", file("schema-prune.json"), "--prune")...)
	r.cli("schema-apply/type-change", with("schema", "apply", "--team", "acme", "--file", file("schema-type-change.json"))...)
	r.cli("schema-apply/bad-json", with("schema", "apply", "--team", "acme", "--file", file("schema-bad.json"))...)
	r.cli("schema-apply/unknown-field", with("schema", "apply", "--team", "acme", "--file", file("schema-unknown-field.json"))...)
	r.cli("schema-apply/not-an-array", with("schema", "apply", "--team", "acme", "--file", file("schema-object.json"))...)
	r.cli("schema-apply/missing-file", with("schema", "apply", "--team", "acme", "--file", file("nope.json"))...)
	r.cli("schema-apply/missing-file-flag", with("schema", "apply", "--team", "acme")...)
	r.cliWith("schema-apply/stdin", cliOpt{stdin: js(arr{obj{"name": "shoeSize", "type": "decimal"}})}, with("schema", "apply", "--team", "acme-2", "--file", "-", "--json")...)
	r.cli("schema-add/region-for-removal", with("schema", "add-attribute", "--team", "acme", "--name", "tmpAttr")...)
	r.cli("schema-remove/tmpAttr", with("schema", "remove-attribute", "--team", "acme", "--name", "tmpAttr")...)
	r.cli("schema-remove/unknown", with("schema", "remove-attribute", "--team", "acme", "--name", "nope")...)
	r.cli("schema-remove/missing-name", with("schema", "remove-attribute", "--team", "acme")...)
	r.cli("schema-list/after", with("schema", "list", "--team", "acme")...)

	// Team policies.
	r.cli("team-policy/show", with("team", "policy", "--team", "acme")...)
	r.cli("team-policy/set-json", with("team", "policy", "--team", "acme", "--seat-limit", "50", "--group-delete-deactivates=false", "--json")...)
	r.cli("team-policy/bool-flag", with("team", "policy", "--team", "acme-2", "--group-delete-deactivates")...)
	r.cli("team-policy/bad-seat-limit", with("team", "policy", "--team", "acme", "--seat-limit", "lots")...)
	r.cli("team-policy/bad-bool", with("team", "policy", "--team", "acme", "--group-delete-deactivates=maybe")...)
	r.cli("team-policy/unknown-team", with("team", "policy", "--team", "nosuch")...)
	r.cli("team-policy/seat-limit-too-low", with("team", "policy", "--team", "globex", "--seat-limit", "0")...)

	// serve and bench refusing their flags (they run for real below, or
	// not at all: a benchmark's numbers are not comparable).
	r.cli("serve/bad-flag", with("serve", "--bogus")...)
	r.cli("serve/bad-trusted-proxies", with("serve", "--trusted-proxies", "10.0.0.0/33")...)
	r.cli("serve/bad-addr", with("serve", "--addr", "127.0.0.1:notaport")...)
	r.cli("serve/extra-argument", with("serve", "now")...)
	r.cli("bench/bad-flag", "bench", "--bogus")
	r.cli("bench/base-without-token", "bench", "--base", "http://127.0.0.1:1/scim/v2", "--baseline=false")

	// Store maintenance that works on the embedded store.
	r.cli("migrate", with("migrate")...)
	r.cli("migrate/extra-argument", with("migrate", "now")...)
	r.cli("import/not-empty", with("import", "--in", file("schema-add.json"))...)
}

// ---------------------------------------------------------------- HTTP, phase 1: every change

func scriptHTTPChanges(r *runner) {
	// Health, documents, static files, unknown paths.
	r.do("health", req{method: "GET", path: "/healthz"})
	r.do("health-post", req{method: "POST", path: "/healthz"})
	r.do("openapi", req{method: "GET", path: "/api/v1/openapi.json"})
	for _, f := range []string{"console.css", "console.js", "htmx.min.js", "htmx.LICENSE.txt"} {
		r.do("static/"+f, req{method: "GET", path: "/static/" + f})
	}
	r.do("static/head-css", req{method: "HEAD", path: "/static/console.css"})
	r.do("static/dir", req{method: "GET", path: "/static/"})
	r.do("static/missing", req{method: "GET", path: "/static/nope.css"})
	r.do("static/dotdot", req{method: "GET", path: "/static/../go.mod"})
	r.do("unknown-path", req{method: "GET", path: "/nope"})
	r.do("favicon", req{method: "GET", path: "/favicon.ico"})

	scriptSCIM(r)
	scriptAPI(r)
	scriptConsole(r)
}

func scriptSCIM(r *runner) {
	// Discovery needs no key.
	r.scim("discovery/spc", "", "GET", "/ServiceProviderConfig", "")
	r.scim("discovery/resource-types", "", "GET", "/ResourceTypes", "")
	r.scim("discovery/resource-type-user", "", "GET", "/ResourceTypes/User", "")
	r.scim("discovery/resource-type-group", "", "GET", "/ResourceTypes/Group", "")
	r.scim("discovery/resource-type-unknown", "", "GET", "/ResourceTypes/Device", "")
	r.scim("discovery/schemas", "", "GET", "/Schemas", "")
	r.scim("discovery/schemas-with-key", "key.okta", "GET", "/Schemas", "")
	r.scim("discovery/schema-user", "", "GET", "/Schemas/"+userURN, "")
	r.scim("discovery/schema-custom-with-key", "key.okta", "GET", "/Schemas/"+customURN, "")
	r.scim("discovery/schema-unknown", "", "GET", "/Schemas/urn:nope", "")
	r.scim("discovery/spc-post", "", "POST", "/ServiceProviderConfig", "{}")

	// Credentials.
	r.scim("auth/no-key", "", "GET", "/Users", "")
	r.do("scim/auth/unknown-key", req{method: "GET", path: "/scim/v2/Users"}.with("Authorization", "Bearer rsk_notarealkey"))
	r.do("scim/auth/basic", req{method: "GET", path: "/scim/v2/Users"}.with("Authorization", "Basic YWRtaW46YWRtaW4="))
	r.do("scim/auth/bare-key", req{method: "GET", path: "/scim/v2/Users?startIndex=1&count=2"}.with("Authorization", r.v("key.okta")))
	r.do("scim/auth/lowercase-bearer", req{method: "GET", path: "/scim/v2/Users?count=1"}.with("Authorization", "bearer "+r.v("key.okta")))
	r.scim("auth/revoked-key", "key.temp", "GET", "/Users", "")
	r.scim("auth/scim-off", "key.globex", "GET", "/Users", "")
	r.scim("auth/rotated-in-grace", "key.rotate-old", "GET", "/Users?count=1", "")
	r.scim("auth/rotated-no-grace", "key.rotated", "GET", "/Users?count=1", "")
	r.do("scim/auth/api-token-on-scim", req{method: "GET", path: "/scim/v2/Users"}.with("Authorization", "Bearer rpt_notarealtoken"))
	r.scim("okta/test-credentials", "key.okta", "GET", "/Users?startIndex=1&count=2", "")
	r.scim("okta/test-groups", "key.okta", "GET", "/Groups?count=100&startIndex=1", "")

	// Users, as Okta.
	r.scim("okta/exists-check", "key.okta", "GET", "/Users?filter=userName%20eq%20%22alice%40acme.example%22&startIndex=1&count=100", "")
	res := r.scim("okta/create-alice", "key.okta", "POST", "/Users", js(oktaUser("alice@acme.example", "Alice", "Anders")))
	r.set("alice", res.json("id"))
	r.set("alice.etag", res.Header.Get("ETag"))
	r.scim("okta/create-duplicate", "key.okta", "POST", "/Users", js(oktaUser("alice@acme.example", "Alice", "Anders")))
	r.scim("okta/create-duplicate-case", "key.okta", "POST", "/Users", js(oktaUser("ALICE@acme.example", "Alice", "Anders")))
	r.scim("okta/get-alice", "key.okta", "GET", "/Users/"+r.v("alice"), "")
	r.scim("okta/exists-check-found", "key.okta", "GET", "/Users?filter=userName%20eq%20%22ALICE%40acme.example%22&startIndex=1&count=100", "")
	res = r.scim("okta/create-dev-claims-invite", "key.okta", "POST", "/Users", js(oktaUser("dev@acme.example", "Dana", "Developer")))
	r.set("dana", res.json("id"))
	for i, u := range []string{"erin", "frank", "grace", "heidi"} {
		body := oktaUser(u+"@acme.example", strings.ToUpper(u[:1])+u[1:], fmt.Sprintf("Zed%d", 4-i))
		res = r.scim("okta/create-"+u, "key.okta", "POST", "/Users", js(body))
		r.set(u, res.json("id"))
	}
	custom := oktaUser("carol@acme.example", "Carol", "Custom")
	custom["schemas"] = arr{userURN, customURN}
	custom[customURN] = obj{"costCode": "CC-1", "level": 5, "badges": arr{"gold", "Silver"}, "remote": true, "region": "EU"}
	res = r.scim("okta/create-carol-custom", "key.okta", "POST", "/Users", js(custom))
	r.set("carol", res.json("id"))
	badCustom := oktaUser("carl@acme.example", "Carl", "Custom")
	badCustom[customURN] = obj{"level": "five"}
	r.scim("okta/create-custom-bad-type", "key.okta", "POST", "/Users", js(badCustom))
	r.scim("okta/create-custom-unknown", "key.okta", "POST", "/Users", js(obj{"schemas": arr{userURN}, "userName": "u1@acme.example", customURN: obj{"shoe": 1}}))

	// Users, as Entra.
	r.entra("test-connection", "key.entra", "GET", "/Users?filter=userName+eq+%22"+ghostID+"%22", "")
	r.entra("test-connection-groups", "key.entra", "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22"+ghostID+"%22", "")
	res = r.entra("create-bob", "key.entra", "POST", "/Users", js(entraUser("bob@acme.example", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")))
	r.set("bob", res.json("id"))
	r.entra("filter-externalId", "key.entra", "GET", "/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22", "")
	r.entra("filter-externalId-upper", "key.entra", "GET", "/Users?filter=externalId+eq+%220A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF%22", "")
	r.entra("filter-email-work", "key.entra", "GET", "/Users?filter="+url.QueryEscape(`emails[type eq "work"].value eq "bob@acme.example"`), "")
	r.entra("patch-replace-capital", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(
		pop("Replace", "displayName", "Bob B."), pop("Replace", "name.givenName", "Robert"),
		pop("Replace", `emails[type eq "work"].value`, "bob@acme.example")))
	r.entra("patch-add-manager-bare", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("Add", entURN+":manager", r.v("alice"))))
	r.entra("patch-disable-string-false", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("Replace", "active", "False")))
	r.entra("get-bob", "key.entra", "GET", "/Users/"+r.v("bob"), "")
	r.entra("patch-enable-pathless", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("replace", "", obj{"active": true, "title": "Builder", entURN + ":department": "Build"})))
	r.entra("patch-remove-manager", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("Remove", entURN+":manager", nil)))
	r.entra("patch-add-email-filter-path", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("Add", `emails[type eq "home"].value`, "bob@home.example")))
	r.entra("patch-remove-email-value-array", "key.entra", "PATCH", "/Users/"+r.v("bob"), patchBody(pop("Remove", "emails", arr{obj{"value": "bob@home.example"}})))

	// Reading: filters, sorting, paging, projections.
	list := func(name, query string) { r.scim("list/"+name, "key.okta", "GET", "/Users?"+query, "") }
	list("all", "")
	r.scim("list/trailing-slash-path", "key.okta", "GET", "/Users/", "")
	list("sort-username-desc", "sortBy=userName&sortOrder=descending")
	list("sort-familyname", "sortBy=name.familyName")
	list("sort-custom", "sortBy="+url.QueryEscape(customURN+":level"))
	list("sort-unknown", "sortBy=shoeSize")
	list("page-2", "startIndex=2&count=2")
	list("page-beyond", "startIndex=100&count=2")
	list("count-0", "count=0")
	list("count-negative", "count=-5")
	list("count-huge", "count=5000&sortBy=userName")
	list("startindex-0", "startIndex=0&count=1&sortBy=userName")
	list("startindex-junk", "startIndex=abc")
	list("attributes", "attributes=userName,emails&sortBy=userName")
	list("excluded-attributes", "excludedAttributes=emails,name,meta&sortBy=userName")
	list("attributes-unknown", "attributes=shoeSize&count=1")
	list("filter-co", "filter="+url.QueryEscape(`userName co "a"`)+"&sortBy=userName")
	list("filter-sw-and-active", "filter="+url.QueryEscape(`userName sw "e" and active eq true`))
	list("filter-or-not", "filter="+url.QueryEscape(`(userName eq "alice@acme.example" or userName eq "bob@acme.example") and not (active eq false)`)+"&sortBy=userName")
	list("filter-pr", "filter="+url.QueryEscape(`title pr`))
	list("filter-gt-meta", "filter="+url.QueryEscape(`meta.created gt "`+longAgo+`"`)+"&count=2&sortBy=userName")
	list("filter-custom", "filter="+url.QueryEscape(customURN+`:costCode eq "cc-1"`))
	list("filter-custom-multi", "filter="+url.QueryEscape(customURN+`:badges eq "silver"`))
	list("filter-enterprise", "filter="+url.QueryEscape(entURN+`:department eq "Build"`))
	list("filter-id", "filter="+url.QueryEscape(`id eq "`+r.v("alice")+`"`))
	list("filter-bad-syntax", "filter="+url.QueryEscape(`userName eq`))
	list("filter-unknown-attr", "filter="+url.QueryEscape(`shoeSize eq "42"`))
	list("filter-bad-operator", "filter="+url.QueryEscape(`userName like "a"`))
	list("filter-too-long", "filter="+url.QueryEscape(`userName eq "`+strings.Repeat("a", 9000)+`"`))
	list("param-case", "filter="+url.QueryEscape(`userName eq "alice@acme.example"`)+"&startindex=1&COUNT=5")
	r.scim("list/nul", "key.okta", "GET", "/Users?filter=%00", "")
	r.scim("search/post", "key.okta", "POST", "/Users/.search", js(obj{"schemas": arr{searchURN}, "filter": `userName sw "a"`, "sortBy": "userName", "startIndex": 1, "count": 10, "attributes": arr{"userName", "active"}}))
	r.scim("search/bad-filter", "key.okta", "POST", "/Users/.search", js(obj{"schemas": arr{searchURN}, "filter": `userName eq`}))
	r.scim("search/no-schema", "key.okta", "POST", "/Users/.search", js(obj{"filter": `userName pr`}))
	r.scim("get/attributes", "key.okta", "GET", "/Users/"+r.v("alice")+"?attributes=userName", "")
	r.scim("get/excluded", "key.okta", "GET", "/Users/"+r.v("alice")+"?excludedAttributes=emails,groups", "")
	r.scim("get/unknown", "key.okta", "GET", "/Users/"+ghostID, "")
	r.scim("get/not-a-uuid", "key.okta", "GET", "/Users/010101001010101011001010101011", "")
	r.scim("get/other-team", "key.acme2", "GET", "/Users/"+r.v("alice"), "")
	r.scim("list/other-team", "key.acme2", "GET", "/Users", "")

	// ETags.
	r.do("scim/etag/if-none-match", r.scimReq("key.okta", "GET", "/Users/"+r.v("alice"), "").with("If-None-Match", r.v("alice.etag")))
	r.do("scim/etag/if-none-match-other", r.scimReq("key.okta", "GET", "/Users/"+r.v("alice"), "").with("If-None-Match", `W/"999"`))
	full := oktaUser("alice@acme.example", "Alice", "Anders-Changed")
	res = r.do("scim/etag/put-if-match", r.scimReq("key.okta", "PUT", "/Users/"+r.v("alice"), js(full)).with("If-Match", r.v("alice.etag")))
	r.set("alice.etag2", res.Header.Get("ETag"))
	r.do("scim/etag/put-stale-412", r.scimReq("key.okta", "PUT", "/Users/"+r.v("alice"), js(full)).with("If-Match", r.v("alice.etag")))
	r.do("scim/etag/patch-stale-412", r.scimReq("key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", "title", "CEO"))).with("If-Match", `W/"1"`))
	r.do("scim/etag/patch-star", r.scimReq("key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", "title", "CEO"))).with("If-Match", "*"))
	r.do("scim/etag/malformed", r.scimReq("key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", "title", "CTO"))).with("If-Match", `""5""`))
	r.do("scim/etag/delete-stale", r.scimReq("key.okta", "DELETE", "/Users/"+r.v("heidi"), "").with("If-Match", `W/"7"`))

	// Okta's writes.
	full = oktaUser("alice@acme.example", "Alice", "Anders")
	full["id"], full["meta"], full["groups"] = "ignored", obj{"created": longAgo}, arr{}
	r.scim("okta/put-full", "key.okta", "PUT", "/Users/"+r.v("alice"), js(full))
	r.scim("okta/deactivate", "key.okta", "PATCH", "/Users/"+r.v("erin"), patchBody(pop("replace", "", obj{"active": false})))
	r.scim("okta/filter-deactivated", "key.okta", "GET", "/Users?filter="+url.QueryEscape(`userName eq "erin@acme.example"`), "")
	r.scim("okta/reactivate", "key.okta", "PATCH", "/Users/"+r.v("erin"), patchBody(pop("replace", "", obj{"active": true})))
	r.scim("okta/password-sync", "key.okta", "PATCH", "/Users/"+r.v("erin"), patchBody(pop("replace", "password", "n3w-Secret!")))
	r.scim("okta/put-active-false", "key.okta", "PUT", "/Users/"+r.v("frank"), js(func() obj { u := oktaUser("frank@acme.example", "Frank", "Zed3"); u["active"] = false; return u }()))
	r.scim("okta/rename-username", "key.okta", "PATCH", "/Users/"+r.v("grace"), patchBody(pop("replace", "userName", "grace.h@acme.example")))
	r.scim("okta/rename-to-taken", "key.okta", "PATCH", "/Users/"+r.v("grace"), patchBody(pop("replace", "userName", "alice@acme.example")))
	r.scim("okta/patch-custom", "key.okta", "PATCH", "/Users/"+r.v("carol"), patchBody(
		pop("replace", customURN+":level", 7), pop("add", customURN+":badges", arr{"bronze"}), pop("remove", customURN+":remote", nil)))

	// Refusals on writes.
	r.scim("bad/json", "key.okta", "POST", "/Users", `{"schemas": [`)
	r.scim("bad/not-object", "key.okta", "POST", "/Users", `[1, 2]`)
	r.scim("bad/missing-username", "key.okta", "POST", "/Users", js(obj{"schemas": arr{userURN}, "name": obj{"givenName": "X"}}))
	r.scim("bad/unknown-attribute", "key.okta", "POST", "/Users", js(obj{"schemas": arr{userURN}, "userName": "u2@acme.example", "shoeSize": 42}))
	r.scim("bad/wrong-type", "key.okta", "POST", "/Users", js(obj{"schemas": arr{userURN}, "userName": "u3@acme.example", "active": "maybe"}))
	r.scim("bad/invalid-utf8", "key.okta", "POST", "/Users", "{\"schemas\":[\""+userURN+"\"],\"userName\":\"u4@acme.example\",\"displayName\":\"bad \xff byte\"}")
	r.scim("bad/lone-surrogate", "key.okta", "POST", "/Users", `{"schemas":["`+userURN+`"],"userName":"u5@acme.example","emails":[{"value":"a@b.example"},{"value":"\uD800@x"}]}`)
	r.scim("bad/empty-body", "key.okta", "POST", "/Users", "")
	r.do("scim/bad/content-type", r.scimReq("key.okta", "POST", "/Users", "").with("Content-Type", "text/plain"))
	r.do("scim/bad/too-large", func() req {
		q := r.scimReq("key.okta", "POST", "/Users", `{"userName":"`+strings.Repeat("x", 1<<20)+`"}`)
		q.bodyNote = "a 1 MiB userName: over the body limit"
		return q
	}())
	r.scim("bad/patch-unknown-op", "key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("jump", "active", true)))
	r.scim("bad/patch-unknown-path", "key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", "shoeSize", 42)))
	r.scim("bad/patch-no-operations", "key.okta", "PATCH", "/Users/"+r.v("alice"), js(obj{"schemas": arr{patchURN}}))
	r.scim("bad/patch-readonly-id", "key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", "id", ghostID)))
	r.scim("bad/patch-bad-filter-path", "key.okta", "PATCH", "/Users/"+r.v("alice"), patchBody(pop("replace", `emails[type eq].value`, "x")))
	r.scim("bad/patch-unknown-user", "key.okta", "PATCH", "/Users/"+ghostID, patchBody(pop("replace", "active", false)))
	r.scim("bad/put-unknown-user", "key.okta", "PUT", "/Users/"+ghostID, js(oktaUser("ghost@acme.example", "G", "H")))

	// Routing.
	r.scim("route/put-collection", "key.okta", "PUT", "/Users", "{}")
	r.scim("route/delete-spc", "key.okta", "DELETE", "/ServiceProviderConfig", "")
	r.scim("route/unknown-resource", "key.okta", "GET", "/Devices", "")
	r.scim("route/me", "key.okta", "GET", "/Me", "")
	r.scim("route/root", "key.okta", "GET", "", "")
	r.scim("route/bulk-get", "key.okta", "GET", "/Bulk", "")

	// Groups, as Okta.
	res = r.scim("groups/okta-create", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}, "displayName": "Engineering",
		"members": arr{obj{"value": r.v("alice"), "display": "alice@acme.example"}}}))
	r.set("eng", res.json("id"))
	r.set("eng.etag", res.Header.Get("ETag"))
	r.scim("groups/create-duplicate", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}, "displayName": "Engineering"}))
	r.scim("groups/create-unknown-member", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}, "displayName": "Ghosts", "members": arr{obj{"value": ghostID}}}))
	r.scim("groups/create-no-name", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}}))
	r.scim("groups/get", "key.okta", "GET", "/Groups/"+r.v("eng"), "")
	r.scim("groups/okta-rename-pathless", "key.okta", "PATCH", "/Groups/"+r.v("eng"), patchBody(pop("replace", "", obj{"id": r.v("eng"), "displayName": "Engineering Team"})))
	r.scim("groups/okta-add-members", "key.okta", "PATCH", "/Groups/"+r.v("eng"), patchBody(pop("add", "members", arr{obj{"value": r.v("bob")}, obj{"value": r.v("carol")}, obj{"value": r.v("dana")}})))
	r.scim("groups/okta-remove-member-filter", "key.okta", "PATCH", "/Groups/"+r.v("eng"), patchBody(pop("remove", `members[value eq "`+r.v("carol")+`"]`, nil)))
	r.do("scim/groups/patch-stale-412", r.scimReq("key.okta", "PATCH", "/Groups/"+r.v("eng"), patchBody(pop("replace", "displayName", "X"))).with("If-Match", r.v("eng.etag")))
	r.scim("groups/get-members-attr", "key.okta", "GET", "/Groups/"+r.v("eng")+"?attributes=members", "")
	r.scim("groups/get-excluded-members", "key.okta", "GET", "/Groups/"+r.v("eng")+"?excludedAttributes=members", "")
	r.scim("groups/list", "key.okta", "GET", "/Groups", "")
	r.scim("groups/filter-displayname", "key.okta", "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Engineering Team"`), "")
	r.scim("groups/filter-member", "key.okta", "GET", "/Groups?filter="+url.QueryEscape(`members.value eq "`+r.v("bob")+`"`)+"&excludedAttributes=members", "")
	r.scim("users/filter-groups", "key.okta", "GET", "/Users?filter="+url.QueryEscape(`groups.value eq "`+r.v("eng")+`"`)+"&attributes=userName&sortBy=userName", "")
	r.scim("users/get-with-groups", "key.okta", "GET", "/Users/"+r.v("bob"), "")

	// Groups, as Entra.
	res = r.entra("groups/create", "key.entra", "POST", "/Groups", js(obj{"schemas": arr{groupURN, msGrpURN}, "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
		"displayName": "Sales", "meta": obj{"resourceType": "Group"}}))
	r.set("sales", res.json("id"))
	r.entra("groups/add-members", "key.entra", "PATCH", "/Groups/"+r.v("sales"), patchBody(pop("Add", "members", arr{obj{"value": r.v("erin")}, obj{"value": r.v("frank")}, obj{"value": r.v("grace")}})))
	r.entra("groups/remove-members-array", "key.entra", "PATCH", "/Groups/"+r.v("sales"), patchBody(pop("Remove", "members", arr{obj{"value": r.v("grace")}})))
	r.entra("groups/replace-displayname", "key.entra", "PATCH", "/Groups/"+r.v("sales"), patchBody(pop("Replace", "displayName", "Sales EMEA")))
	r.entra("groups/filter-excluded", "key.entra", "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales+EMEA%22", "")
	res = r.scim("groups/create-ops", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}, "displayName": "Ops", "members": arr{obj{"value": r.v("heidi")}}}))
	r.set("ops", res.json("id"))
	r.scim("groups/put-replace-members", "key.okta", "PUT", "/Groups/"+r.v("ops"), js(obj{"schemas": arr{groupURN}, "displayName": "Operations", "members": arr{obj{"value": r.v("heidi")}, obj{"value": r.v("frank")}}}))
	r.scim("groups/put-empty-members", "key.okta", "PUT", "/Groups/"+r.v("ops"), js(obj{"schemas": arr{groupURN}, "displayName": "Operations", "members": arr{}}))
	res = r.scim("groups/create-temp", "key.okta", "POST", "/Groups", js(obj{"schemas": arr{groupURN}, "displayName": "Temp"}))
	r.set("tempgroup", res.json("id"))
	r.scim("groups/delete", "key.okta", "DELETE", "/Groups/"+r.v("tempgroup"), "")
	r.scim("groups/delete-again", "key.okta", "DELETE", "/Groups/"+r.v("tempgroup"), "")
	r.scim("groups/get-other-team", "key.acme2", "GET", "/Groups/"+r.v("eng"), "")

	// Bulk.
	r.scim("bulk/create-and-reference", "key.okta", "POST", "/Bulk", js(obj{"schemas": arr{bulkURN}, "failOnErrors": 5, "Operations": arr{
		obj{"method": "POST", "path": "/Users", "bulkId": "u1", "data": obj{"schemas": arr{userURN}, "userName": "ivan@acme.example", "active": true}},
		obj{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": obj{"schemas": arr{groupURN}, "displayName": "Bulk Group", "members": arr{obj{"type": "User", "value": "bulkId:u1"}}}},
		obj{"method": "PATCH", "path": "/Users/" + r.v("heidi"), "data": js2(patchBody(pop("replace", "displayName", "Heidi H.")))},
		obj{"method": "POST", "path": "/Users", "bulkId": "dup", "data": obj{"schemas": arr{userURN}, "userName": "alice@acme.example"}},
		obj{"method": "DELETE", "path": "/Users/" + ghostID},
	}}))
	r.scim("bulk/cycle", "key.okta", "POST", "/Bulk", js(obj{"schemas": arr{bulkURN}, "Operations": arr{
		obj{"method": "POST", "path": "/Groups", "bulkId": "a", "data": obj{"schemas": arr{groupURN}, "displayName": "A", "members": arr{obj{"value": "bulkId:b"}}}},
		obj{"method": "POST", "path": "/Groups", "bulkId": "b", "data": obj{"schemas": arr{groupURN}, "displayName": "B", "members": arr{obj{"value": "bulkId:a"}}}},
	}}))
	r.scim("bulk/bad-json", "key.okta", "POST", "/Bulk", `{"Operations": [`)
	r.scim("bulk/bad-method", "key.okta", "POST", "/Bulk", js(obj{"schemas": arr{bulkURN}, "Operations": arr{obj{"method": "GET", "path": "/Users"}}}))
	r.scim("bulk/empty", "key.okta", "POST", "/Bulk", js(obj{"schemas": arr{bulkURN}, "Operations": arr{}}))

	// Deleting users.
	r.scim("users/delete-heidi", "key.okta", "DELETE", "/Users/"+r.v("heidi"), "")
	r.scim("users/get-deleted", "key.okta", "GET", "/Users/"+r.v("heidi"), "")
	r.scim("users/delete-again", "key.okta", "DELETE", "/Users/"+r.v("heidi"), "")
	r.scim("users/delete-other-team", "key.acme2", "DELETE", "/Users/"+r.v("alice"), "")
	r.scim("list/final", "key.okta", "GET", "/Users?sortBy=userName&attributes=userName,active,groups", "")
}

// js2 decodes JSON text back into a value, to nest a built body.
func js2(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func scriptAPI(r *runner) {
	// Signing in.
	r.do("api/login/wrong-content-type", req{method: "POST", path: "/api/v1/auth/login", body: js(obj{"email": "admin@acme.example", "password": acmePass})}.with("Content-Type", "text/plain"))
	r.do("api/login/form-encoded", req{method: "POST", path: "/api/v1/auth/login", body: "email=a&password=b"}.with("Content-Type", "application/x-www-form-urlencoded"))
	r.api("login/bad-json", "", "POST", "/auth/login", `{"email":`)
	r.api("login/unknown-field", "", "POST", "/auth/login", js(obj{"email": "admin@acme.example", "password": "x", "remember": true}))
	r.api("login/missing-password", "", "POST", "/auth/login", js(obj{"email": "admin@acme.example"}))
	r.api("login/missing-email", "", "POST", "/auth/login", js(obj{"password": "x"}))
	r.api("login/wrong-type", "", "POST", "/auth/login", js(obj{"email": 5, "password": "x"}))
	r.api("login/wrong-password", "", "POST", "/auth/login", js(obj{"email": "admin@acme.example", "password": "wrong-password-1"}))
	r.api("login/otp-replaced", "", "POST", "/auth/login", js(obj{"email": "admin@acme.example", "password": r.v("pass.acme-otp")}))
	r.login("login/admin", "admin", "admin@acme.example", acmePass)
	r.login("login/globex-otp", "globex", "admin@globex.example", r.v("pass.globex-otp"))
	r.api("login/get", "", "GET", "/auth/login", "")

	// Who am I.
	r.api("me/no-auth", "", "GET", "/me", "")
	r.api("me/session", "s:admin", "GET", "/me", "")
	r.do("api/me/scim-key", req{method: "GET", path: "/api/v1/me"}.with("Authorization", "Bearer "+r.v("key.okta")))
	r.do("api/me/bad-cookie", req{method: "GET", path: "/api/v1/me"}.with("Cookie", "roster_session=forged-session-value"))
	r.do("api/me/unknown-token", req{method: "GET", path: "/api/v1/me"}.with("Authorization", "Bearer rpt_forged"))
	r.api("me/delete-405", "s:admin", "DELETE", "/me", "")
	r.api("unknown-endpoint", "s:admin", "GET", "/nope", "")

	// Personal API tokens.
	r.api("tokens/create-no-csrf", "s-nocsrf:admin", "POST", "/me/tokens", js(obj{"name": "ci"}))
	r.do("api/tokens/create-wrong-csrf", r.apiReq("s-nocsrf:admin", "POST", "/me/tokens", js(obj{"name": "ci"})).with("X-CSRF-Token", "wrong"))
	res := r.api("tokens/create", "s:admin", "POST", "/me/tokens", js(obj{"name": "ci"}))
	r.set("token.admin", res.json("token"))
	res = r.api("tokens/create-second", "s:admin", "POST", "/me/tokens", js(obj{"name": "throwaway"}))
	r.set("token.throwaway", res.json("token"))
	r.set("tokenid.throwaway", res.json("id"))
	r.api("tokens/create-blank-name", "s:admin", "POST", "/me/tokens", js(obj{"name": ""}))
	r.api("tokens/list-with-token", "t:admin", "GET", "/me/tokens", "")
	r.api("tokens/revoke", "t:admin", "DELETE", "/me/tokens/"+r.v("tokenid.throwaway"), "")
	r.api("tokens/use-revoked", "t:throwaway", "GET", "/me", "")
	r.api("tokens/revoke-unknown", "t:admin", "DELETE", "/me/tokens/"+ghostID, "")
	r.api("tokens/list-after", "s:admin", "GET", "/me/tokens", "")

	// Teams.
	r.api("teams/list", "t:admin", "GET", "/teams", "")
	res = r.api("teams/get", "t:admin", "GET", "/teams/acme", "")
	r.set("admin.member", res.json("you", "member_id"))
	r.api("teams/unknown", "t:admin", "GET", "/teams/nosuch", "")
	r.api("teams/not-a-member", "t:admin", "GET", "/teams/globex", "")
	r.api("teams/no-auth", "", "GET", "/teams/acme/members", "")

	// Members.
	r.api("members/list", "t:admin", "GET", "/teams/acme/members", "")
	r.api("members/search", "t:admin", "GET", "/teams/acme/members?q=ali", "")
	r.api("members/deactivated", "t:admin", "GET", "/teams/acme/members?status=deactivated", "")
	r.api("members/source-scim", "t:admin", "GET", "/teams/acme/members?source=scim&per_page=3&page=2", "")
	r.api("members/role", "t:admin", "GET", "/teams/acme/members?role=Super+Admin", "")
	r.api("members/group", "t:admin", "GET", "/teams/acme/members?group="+r.v("eng"), "")
	r.api("members/bad-role", "t:admin", "GET", "/teams/acme/members?role=Wizard", "")
	r.api("members/bad-status", "t:admin", "GET", "/teams/acme/members?status=gone", "")
	r.api("members/bad-source", "t:admin", "GET", "/teams/acme/members?source=ldap", "")
	r.api("members/bad-page", "t:admin", "GET", "/teams/acme/members?page=0", "")
	r.api("members/bad-per-page", "t:admin", "GET", "/teams/acme/members?per_page=501", "")
	r.api("members/get", "t:admin", "GET", "/teams/acme/members/"+r.v("bob"), "")
	r.api("members/get-unknown", "t:admin", "GET", "/teams/acme/members/"+ghostID, "")
	r.api("members/patch-roles", "t:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"roles": arr{"Admin", "Developer"}}))
	r.api("members/patch-scim-profile", "t:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"displayName": "Not Allowed"}))
	r.api("members/patch-bad-role", "t:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"roles": arr{"Wizard"}}))
	r.api("members/patch-no-roles", "t:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"roles": arr{}}))
	r.api("members/patch-empty", "t:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), "{}")
	r.api("members/patch-no-csrf", "s-nocsrf:admin", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"roles": arr{"Admin"}}))
	r.api("members/demote-last-super-admin", "t:admin", "PATCH", "/teams/acme/members/"+r.v("admin.member"), js(obj{"roles": arr{"Admin"}}))
	r.api("members/remove", "t:admin", "DELETE", "/teams/acme/members/"+r.v("frank"), "")
	r.api("members/remove-again", "t:admin", "DELETE", "/teams/acme/members/"+r.v("frank"), "")
	r.api("members/leave-scim-on", "t:admin", "POST", "/teams/acme/leave", "")

	// Invites.
	r.api("invites/list", "t:admin", "GET", "/teams/acme/invites", "")
	res = r.api("invites/create", "t:admin", "POST", "/teams/acme/invites", js(obj{"email": "newbie@acme.example", "role": "Developer"}))
	r.set("invite.newbie", res.json("id"))
	r.set("invitetoken.newbie", res.json("token"))
	res = r.api("invites/create-billing", "s:admin", "POST", "/teams/acme/invites", js(obj{"email": "payer@acme.example", "role": "Billing"}))
	r.set("invite.payer", res.json("id"))
	r.set("invitetoken.payer", res.json("token"))
	r.api("invites/create-bad-role", "t:admin", "POST", "/teams/acme/invites", js(obj{"email": "x@acme.example", "role": "Wizard"}))
	r.api("invites/create-bad-email", "t:admin", "POST", "/teams/acme/invites", js(obj{"email": "nope"}))
	r.api("invites/create-duplicate", "t:admin", "POST", "/teams/acme/invites", js(obj{"email": "newbie@acme.example"}))
	res = r.api("invites/resend", "t:admin", "POST", "/teams/acme/invites/"+r.v("invite.payer")+"/resend", "")
	r.set("invitetoken.payer2", res.json("token"))
	r.api("invites/resend-unknown", "t:admin", "POST", "/teams/acme/invites/"+ghostID+"/resend", "")
	r.api("invites/accept-old-token", "", "POST", "/invites/accept", js(obj{"token": r.v("invitetoken.payer"), "password": "payer-Passw0rd!"}))
	r.api("invites/revoke-billing-cli", "t:admin", "DELETE", "/teams/acme/invites/"+r.v("invite.billing"), "")
	r.api("invites/revoke-unknown", "t:admin", "DELETE", "/teams/acme/invites/"+ghostID, "")
	r.api("invites/accept-unknown", "", "POST", "/invites/accept", js(obj{"token": "rit_forged", "password": devPass}))
	r.api("invites/accept-short-password", "", "POST", "/invites/accept", js(obj{"token": r.v("invitetoken.newbie"), "password": "short"}))
	res = r.api("invites/accept", "", "POST", "/invites/accept", js(obj{"token": r.v("invitetoken.newbie"), "password": devPass}))
	if res.Status == 200 {
		r.set("session.dev", res.cookie("roster_session"))
		r.set("csrf.dev", res.json("csrf_token"))
		r.set("dev.member", res.json("member_id"))
	}
	r.api("invites/accept-again", "", "POST", "/invites/accept", js(obj{"token": r.v("invitetoken.newbie"), "password": devPass}))
	r.api("invites/list-after", "s:admin", "GET", "/teams/acme/invites", "")

	// A Developer's view.
	r.api("developer/me", "s:dev", "GET", "/me", "")
	r.api("developer/team", "s:dev", "GET", "/teams/acme", "")
	r.api("developer/members", "s:dev", "GET", "/teams/acme/members?per_page=2", "")
	r.api("developer/invites-403", "s:dev", "GET", "/teams/acme/invites", "")
	r.api("developer/keys-403", "s:dev", "GET", "/teams/acme/scim/keys", "")
	r.api("developer/audit-403", "s:dev", "GET", "/teams/acme/audit", "")
	r.api("developer/patch-other-403", "s:dev", "PATCH", "/teams/acme/members/"+r.v("alice"), js(obj{"roles": arr{"Admin"}}))
	r.api("developer/patch-self-name", "s:dev", "PATCH", "/teams/acme/members/"+r.v("dev.member"), js(obj{"displayName": "New Dev"}))
	r.api("developer/email-scim-on", "s:dev", "PATCH", "/me", js(obj{"email": "dev2@acme.example"}))
	r.api("developer/password-scim-on", "s:dev", "POST", "/me/password", js(obj{"current_password": devPass, "new_password": "developer-Passw0rd-2"}))
	r.api("developer/leave-scim-on", "s:dev", "POST", "/teams/acme/leave", "")

	// SCIM switch and keys.
	r.api("scim/get", "t:admin", "GET", "/teams/acme/scim", "")
	r.api("scim/put", "t:admin", "PUT", "/teams/acme/scim", js(obj{"enabled": true}))
	r.api("scim/put-missing", "t:admin", "PUT", "/teams/acme/scim", "{}")
	r.api("scim/put-wrong-type", "t:admin", "PUT", "/teams/acme/scim", js(obj{"enabled": "yes"}))
	// A session write from another site, CSRF token included (a refusal
	// either way, so nothing changes whichever check answers).
	r.do("api/cross-origin-write", r.apiReq("s:admin", "PUT", "/teams/acme/scim", "{}").
		with("Origin", "https://evil.example").with("Sec-Fetch-Site", "cross-site"))
	r.api("keys/list", "t:admin", "GET", "/teams/acme/scim/keys", "")
	res = r.api("keys/create-expiring", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": "api-key", "expires_in": "720h"}))
	r.set("keyid.api", res.json("id"))
	r.set("key.api", res.json("token"))
	r.api("keys/create-expires-at", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": "fixed-expiry", "expires_at": farOff}))
	r.api("keys/create-past-expiry", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": "late", "expires_at": longAgo}))
	r.api("keys/create-both-expiries", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": "both", "expires_at": farOff, "expires_in": "1h"}))
	r.api("keys/create-bad-duration", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": "bad", "expires_in": "soon"}))
	r.api("keys/create-no-name", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{}))
	r.api("keys/create-long-name", "t:admin", "POST", "/teams/acme/scim/keys", js(obj{"name": strings.Repeat("n", 101)}))
	r.scim("keys/use-api-key", "key.api", "GET", "/Users?count=1", "")
	res = r.api("keys/rotate", "s:admin", "POST", "/teams/acme/scim/keys/"+r.v("keyid.api")+"/rotate", js(obj{"grace": "1h"}))
	r.set("keyid.api2", res.json("id"))
	r.api("keys/rotate-bad-grace", "t:admin", "POST", "/teams/acme/scim/keys/"+r.v("keyid.api2")+"/rotate", js(obj{"grace": "800h"}))
	r.api("keys/rotate-unknown", "t:admin", "POST", "/teams/acme/scim/keys/"+ghostID+"/rotate", js(obj{}))
	r.api("keys/revoke", "t:admin", "DELETE", "/teams/acme/scim/keys/"+r.v("keyid.api2"), "")
	r.api("keys/revoke-unknown", "t:admin", "DELETE", "/teams/acme/scim/keys/"+ghostID, "")
	r.api("keys/list-after", "t:admin", "GET", "/teams/acme/scim/keys", "")

	// Policies.
	r.api("policies/get", "t:admin", "GET", "/teams/acme/policies", "")
	r.api("policies/patch", "t:admin", "PATCH", "/teams/acme/policies", js(obj{"seat_limit": 100, "group_delete_deactivates": true}))
	r.api("policies/patch-empty", "t:admin", "PATCH", "/teams/acme/policies", "{}")
	r.api("policies/patch-wrong-type", "t:admin", "PATCH", "/teams/acme/policies", js(obj{"seat_limit": "many"}))
	r.api("policies/patch-negative", "t:admin", "PATCH", "/teams/acme/policies", js(obj{"seat_limit": -1}))
	r.api("policies/patch-below-used", "t:admin", "PATCH", "/teams/acme/policies", js(obj{"seat_limit": 1}))
	r.api("policies/patch-back", "t:admin", "PATCH", "/teams/acme/policies", js(obj{"seat_limit": 0, "group_delete_deactivates": false}))

	// Groups and role bindings.
	r.api("groups/list", "t:admin", "GET", "/teams/acme/groups", "")
	r.api("groups/search", "t:admin", "GET", "/teams/acme/groups?q=eng", "")
	r.api("groups/get", "t:admin", "GET", "/teams/acme/groups/"+r.v("eng"), "")
	r.api("groups/get-unknown", "t:admin", "GET", "/teams/acme/groups/"+ghostID, "")
	r.api("groups/bind-roles", "t:admin", "PUT", "/teams/acme/groups/"+r.v("sales")+"/roles", js(obj{"roles": arr{"Billing"}}))
	r.api("groups/bind-bad-role", "t:admin", "PUT", "/teams/acme/groups/"+r.v("sales")+"/roles", js(obj{"roles": arr{"Wizard"}}))
	r.api("groups/bind-missing", "t:admin", "PUT", "/teams/acme/groups/"+r.v("sales")+"/roles", "{}")
	r.api("groups/bind-developer-403", "s:dev", "PUT", "/teams/acme/groups/"+r.v("sales")+"/roles", js(obj{"roles": arr{"Admin"}}))
	r.api("members/effective-roles", "t:admin", "GET", "/teams/acme/members/"+r.v("erin"), "")

	// Custom schema.
	r.api("schema/get", "t:admin", "GET", "/teams/acme/schema", "")
	r.api("schema/put", "t:admin", "PUT", "/teams/acme/schema", js(obj{"attributes": arr{
		obj{"name": "costCode", "type": "string", "description": "Cost centre"},
		obj{"name": "level", "type": "integer"},
		obj{"name": "badges", "type": "string", "multiValued": true, "caseExact": true, "description": "Badges earned"},
		obj{"name": "remote", "type": "boolean"},
		obj{"name": "region", "type": "string"},
		obj{"name": "nickname", "type": "string"},
	}}))
	r.api("schema/put-type-change", "t:admin", "PUT", "/teams/acme/schema", js(obj{"attributes": arr{obj{"name": "level", "type": "string"}}}))
	r.api("schema/put-missing", "t:admin", "PUT", "/teams/acme/schema", "{}")
	r.api("schema/put-bad-type", "t:admin", "PUT", "/teams/acme/schema", js(obj{"attributes": arr{obj{"name": "x", "type": "colour"}}}))
	r.api("schema/put-prune", "t:admin", "PUT", "/teams/acme/schema", js(obj{"prune": true, "attributes": arr{
		obj{"name": "costCode", "type": "string", "description": "Cost centre"},
		obj{"name": "level", "type": "integer"},
		obj{"name": "badges", "type": "string", "multiValued": true, "caseExact": true, "description": "Badges earned"},
		obj{"name": "remote", "type": "boolean"},
		obj{"name": "region", "type": "string"},
	}}))

	// Audit (the provisioning log is read after the restart).
	res = r.api("audit/page", "t:admin", "GET", "/teams/acme/audit?limit=3", "")
	r.set("audit.next", res.json("next_cursor"))
	r.api("audit/next-page", "t:admin", "GET", "/teams/acme/audit?limit=3&cursor="+url.QueryEscape(r.v("audit.next")), "")
	r.api("audit/filter-action", "t:admin", "GET", "/teams/acme/audit?action=scim_key.&limit=50", "")
	r.api("audit/filter-actor", "t:admin", "GET", "/teams/acme/audit?actor=cli:operator&limit=5", "")
	r.api("audit/filter-target", "t:admin", "GET", "/teams/acme/audit?target=user:"+r.v("alice"), "")
	r.api("audit/filter-range", "t:admin", "GET", "/teams/acme/audit?since="+longAgo+"&until="+farOff+"&limit=2&offset=1", "")
	r.api("audit/jsonl", "t:admin", "GET", "/teams/acme/audit?format=jsonl&action=member.", "")
	r.api("audit/csv", "t:admin", "GET", "/teams/acme/audit?format=csv&action=invite.", "")
	r.api("audit/bad-format", "t:admin", "GET", "/teams/acme/audit?format=xml", "")
	r.api("audit/bad-since", "t:admin", "GET", "/teams/acme/audit?since=yesterday", "")
	r.api("audit/bad-limit", "t:admin", "GET", "/teams/acme/audit?limit=0", "")
	r.api("audit/bad-cursor", "t:admin", "GET", "/teams/acme/audit?cursor=not-a-cursor", "")
	r.api("audit/year-10000", "t:admin", "GET", "/teams/acme/audit?until=10000-01-01T00:00:00Z", "")

	// Accounts of a team without SCIM.
	r.api("globex/me", "s:globex", "GET", "/me", "")
	r.api("globex/password-wrong-current", "s:globex", "POST", "/me/password", js(obj{"current_password": "wrong-password-1", "new_password": globexPass}))
	r.api("globex/password-too-short", "s:globex", "POST", "/me/password", js(obj{"current_password": r.v("pass.globex-otp"), "new_password": "short"}))
	r.api("globex/password", "s:globex", "POST", "/me/password", js(obj{"current_password": r.v("pass.globex-otp"), "new_password": globexPass}))
	r.api("globex/email-taken", "s:globex", "PATCH", "/me", js(obj{"email": "admin@acme.example"}))
	r.api("globex/email-bad", "s:globex", "PATCH", "/me", js(obj{"email": "nope"}))
	r.api("globex/email-missing", "s:globex", "PATCH", "/me", "{}")
	r.api("globex/email", "s:globex", "PATCH", "/me", js(obj{"email": "boss@globex.example"}))
	r.api("globex/leave-last-super-admin", "s:globex", "POST", "/teams/globex/leave", "")
	r.api("globex/other-team-member", "s:globex", "GET", "/teams/acme/members/"+r.v("alice"), "")

	// Limits.
	r.do("api/too-large", func() req {
		q := r.apiReq("t:admin", "POST", "/teams/acme/invites", `{"email":"`+strings.Repeat("x", 1<<20)+`"}`)
		q.bodyNote = "a 1 MiB email: over the body limit"
		return q
	}())
	r.api("invalid-utf8", "t:admin", "POST", "/teams/acme/invites", "{\"email\":\"bad\xff@acme.example\"}")

	// Signing out.
	res = r.login("login/admin-second", "admin2", "admin@acme.example", acmePass)
	r.api("logout/no-csrf", "s-nocsrf:admin2", "POST", "/auth/logout", "")
	r.api("logout", "s:admin2", "POST", "/auth/logout", "")
	r.api("logout/session-gone", "s:admin2", "GET", "/me", "")
	r.api("logout/with-token", "t:admin", "POST", "/auth/logout", "")

	// The sign-in limit: five free failures per account and address, then
	// a wait (cheap to reach: an unknown account, nobody else's limit).
	for i := 1; i <= 6; i++ {
		r.api(fmt.Sprintf("login/limit-%d", i), "", "POST", "/auth/login", js(obj{"email": "nobody@nowhere.example", "password": "guess-number-" + fmt.Sprint(i)}))
	}
}

func scriptConsole(r *runner) {
	// Signed out.
	r.page("signed-out/home", "", "GET", "/", nil, false)
	r.page("signed-out/teams", "", "GET", "/teams", nil, false)
	r.page("signed-out/members", "", "GET", "/teams/acme/members?q=a", nil, false)
	r.page("signed-out/post", "", "POST", "/teams/acme/settings/scim", url.Values{"enabled": {"false"}}, false)
	r.page("signin", "", "GET", "/signin", nil, false)
	r.page("signin/next", "", "GET", "/signin?next=%2Fteams%2Facme%2Fmembers", nil, false)
	r.page("signin/signed-out-notice", "", "GET", "/signin?done=signed-out", nil, false)
	r.page("signin/wrong-password", "", "POST", "/signin", url.Values{"email": {"admin@acme.example"}, "password": {"wrong-password-2"}, "next": {"/teams"}}, false)
	r.page("signin/blank", "", "POST", "/signin", url.Values{}, false)
	res := r.page("signin/ok", "", "POST", "/signin", url.Values{"email": {"admin@acme.example"}, "password": {acmePass}, "next": {"https://evil.example/"}}, false)
	r.set("session.console", res.cookie("roster_session"))
	r.page("signin/already", "s:console", "GET", "/signin?next=/teams", nil, false)
	r.page("invite/page", "", "GET", "/invite?token=rit_forged", nil, false)

	// Signed in as the Super Admin.
	r.page("home", "s:console", "GET", "/", nil, false)
	r.page("teams", "s:console", "GET", "/teams", nil, false)
	r.page("team-home", "s:console", "GET", "/teams/acme/", nil, false)
	res = r.page("auth", "s:console", "GET", "/teams/acme/settings/authentication", nil, false)
	r.set("csrf.console", res.match(`name="csrf_token" value="([^"]+)"`))
	r.page("auth/scim-no-csrf", "s:console", "POST", "/teams/acme/settings/scim", url.Values{"enabled": {"false"}}, false)
	r.do("console/auth/scim-wrong-csrf", req{method: "POST", path: "/teams/acme/settings/scim", body: "enabled=false&csrf_token=wrong"}.
		with("Cookie", "roster_session="+r.v("session.console")).with("Content-Type", "application/x-www-form-urlencoded"))
	r.page("auth/scim-on", "s:console", "POST", "/teams/acme/settings/scim", url.Values{"enabled": {"true"}}, true)
	r.page("auth/after-scim-on", "s:console", "GET", "/teams/acme/settings/authentication?done=scim-on", nil, false)
	res = r.page("auth/key-create", "s:console", "POST", "/teams/acme/settings/keys", url.Values{"name": {"console"}, "expires_in": {"2160h"}}, true)
	r.set("key.console", res.match(`(rsk_[A-Za-z0-9_-]{43})`))
	r.page("auth/key-create-no-name", "s:console", "POST", "/teams/acme/settings/keys", url.Values{"name": {""}, "expires_in": {""}}, true)
	r.page("auth/key-create-bad-expiry", "s:console", "POST", "/teams/acme/settings/keys", url.Values{"name": {"x"}, "expires_in": {"soon"}}, true)
	r.do("console/auth/cross-origin-post", req{method: "POST", path: "/teams/acme/settings/keys",
		body: url.Values{"name": {""}, "csrf_token": {r.v("csrf.console")}}.Encode()}.
		with("Cookie", "roster_session="+r.v("session.console")).with("Content-Type", "application/x-www-form-urlencoded").
		with("Origin", "https://evil.example").with("Sec-Fetch-Site", "cross-site"))
	r.page("auth/test-connection", "s:console", "POST", "/teams/acme/settings/test-connection", url.Values{"key": {"Bearer " + r.v("key.okta")}}, true)
	r.page("auth/test-connection-empty", "s:console", "POST", "/teams/acme/settings/test-connection", url.Values{"key": {""}}, true)
	r.page("auth/test-connection-bad", "s:console", "POST", "/teams/acme/settings/test-connection", url.Values{"key": {"rsk_notarealkey"}}, true)
	r.page("auth/test-connection-other-team", "s:console", "POST", "/teams/acme/settings/test-connection", url.Values{"key": {r.v("key.acme2")}}, true)
	r.page("auth/key-rotate", "s:console", "POST", "/teams/acme/settings/keys/"+r.v("keyid.entra")+"/rotate", url.Values{"grace": {"1h"}}, true)
	r.page("auth/key-rotate-bad-grace", "s:console", "POST", "/teams/acme/settings/keys/"+r.v("keyid.entra")+"/rotate", url.Values{"grace": {"forever"}}, true)
	r.page("auth/key-revoke", "s:console", "POST", "/teams/acme/settings/keys/"+r.v("keyid.rotate-old")+"/revoke", nil, true)
	r.page("auth/key-revoke-unknown", "s:console", "POST", "/teams/acme/settings/keys/"+ghostID+"/revoke", nil, true)
	r.page("auth/after-revoke", "s:console", "GET", "/teams/acme/settings/authentication?done=key-revoked", nil, false)
	for _, g := range []string{"okta", "entra", "onelogin", "jumpcloud", "nope"} {
		r.page("guides/"+g, "s:console", "GET", "/teams/acme/settings/guides/"+g, nil, false)
	}
	r.page("guides/index", "s:console", "GET", "/teams/acme/settings/guides", nil, false)
	r.page("members", "s:console", "GET", "/teams/acme/members", nil, false)
	r.page("members/search", "s:console", "GET", "/teams/acme/members?q=bob&status=active&source=scim", nil, false)
	r.page("members/page-2", "s:console", "GET", "/teams/acme/members?per_page=2&page=2", nil, false)
	r.page("members/bad-filter", "s:console", "GET", "/teams/acme/members?status=gone", nil, false)
	r.page("member", "s:console", "GET", "/teams/acme/members/"+r.v("bob"), nil, false)
	r.page("member/unknown", "s:console", "GET", "/teams/acme/members/"+ghostID, nil, false)
	r.page("member/remove", "s:console", "POST", "/teams/acme/members/"+r.v("grace")+"/remove", nil, true)
	r.page("member/remove-no-csrf", "s:console", "POST", "/teams/acme/members/"+r.v("erin")+"/remove", nil, false)
	r.page("invites", "s:console", "GET", "/teams/acme/invites", nil, false)
	res = r.page("invites/create", "s:console", "POST", "/teams/acme/invites", url.Values{"email": {"joiner@acme.example"}, "role": {"Developer"}}, true)
	r.set("invitetoken.joiner", res.match(`(rit_[A-Za-z0-9_-]{43})`))
	r.page("invites/create-bad", "s:console", "POST", "/teams/acme/invites", url.Values{"email": {"nope"}, "role": {"Developer"}}, true)
	r.page("invites/resend", "s:console", "POST", "/teams/acme/invites/"+r.v("invite.payer")+"/resend", nil, true)
	r.page("invites/revoke", "s:console", "POST", "/teams/acme/invites/"+r.v("invite.payer")+"/revoke", nil, true)
	r.page("invites/revoke-unknown", "s:console", "POST", "/teams/acme/invites/"+ghostID+"/revoke", nil, true)
	r.page("groups", "s:console", "GET", "/teams/acme/groups", nil, false)
	r.page("group", "s:console", "GET", "/teams/acme/groups/"+r.v("eng"), nil, false)
	r.page("group/unknown", "s:console", "GET", "/teams/acme/groups/"+ghostID, nil, false)
	r.page("group/roles", "s:console", "POST", "/teams/acme/groups/"+r.v("eng")+"/roles", url.Values{"role": {"Admin", "Billing"}}, true)
	r.page("group/roles-bad", "s:console", "POST", "/teams/acme/groups/"+r.v("eng")+"/roles", url.Values{"role": {"Wizard"}}, true)
	r.page("team-unknown", "s:console", "GET", "/teams/nosuch/members", nil, false)
	r.page("team-not-member", "s:console", "GET", "/teams/globex/members", nil, false)

	// Accepting an invite in the console.
	r.page("invite/page-token", "", "GET", "/invite?token="+r.v("invitetoken.joiner"), nil, false)
	r.page("invite/accept-no-token", "", "POST", "/invite", url.Values{"password": {consolePass}}, false)
	r.page("invite/accept-mismatch", "", "POST", "/invite", url.Values{"token": {r.v("invitetoken.joiner")}, "password": {consolePass}, "confirm": {"other-Passw0rd!"}}, false)
	res = r.page("invite/accept", "", "POST", "/invite", url.Values{"token": {r.v("invitetoken.joiner")}, "password": {consolePass}, "confirm": {consolePass}}, false)
	r.set("session.joiner", res.cookie("roster_session"))
	r.page("joiner/team-home", "s:joiner", "GET", "/teams/acme/?done=joined", nil, false)
	r.page("joiner/members", "s:joiner", "GET", "/teams/acme/members", nil, false)
	r.page("joiner/auth-403", "s:joiner", "GET", "/teams/acme/settings/authentication", nil, false)
	r.page("joiner/invites-403", "s:joiner", "GET", "/teams/acme/invites", nil, false)
	r.page("joiner/audit-403", "s:joiner", "GET", "/teams/acme/logs/audit", nil, false)

	// Signing out.
	r.page("signout-no-csrf", "s:console", "POST", "/signout", nil, false)
}

// ---------------------------------------------------------------- HTTP, phase 2: the logs

func scriptHTTPLogs(r *runner) {
	r.do("health-after-restart", req{method: "GET", path: "/healthz"})
	r.api("me-after-restart", "t:admin", "GET", "/me", "")
	res := r.api("provlog/list", "t:admin", "GET", "/teams/acme/provisioning-log?limit=5", "")
	r.set("prov.next", res.json("next_cursor"))
	r.set("prov.first", res.json("entries", "0", "id"))
	r.api("provlog/next-page", "t:admin", "GET", "/teams/acme/provisioning-log?limit=5&cursor="+url.QueryEscape(r.v("prov.next")), "")
	res = r.api("provlog/errors", "t:admin", "GET", "/teams/acme/provisioning-log?errors=true&limit=1000", "")
	r.set("prov.error", res.json("entries", "0", "id"))
	r.api("provlog/status-4xx", "t:admin", "GET", "/teams/acme/provisioning-log?status=4xx&method=PATCH", "")
	r.api("provlog/status-409", "t:admin", "GET", "/teams/acme/provisioning-log?status=409", "")
	r.api("provlog/success-and-errors", "t:admin", "GET", "/teams/acme/provisioning-log?status=2xx&errors=true", "")
	r.api("provlog/path", "t:admin", "GET", "/teams/acme/provisioning-log?path=/Groups&limit=1000", "")
	r.api("provlog/resource", "t:admin", "GET", "/teams/acme/provisioning-log?resource_id="+r.v("bob"), "")
	r.api("provlog/range", "t:admin", "GET", "/teams/acme/provisioning-log?since="+longAgo+"&until="+farOff+"&limit=2", "")
	r.api("provlog/all", "t:admin", "GET", "/teams/acme/provisioning-log?limit=1000", "")
	r.api("provlog/bad-status", "t:admin", "GET", "/teams/acme/provisioning-log?status=teapot", "")
	r.api("provlog/bad-limit", "t:admin", "GET", "/teams/acme/provisioning-log?limit=5000", "")
	r.api("provlog/entry", "t:admin", "GET", "/teams/acme/provisioning-log/"+r.v("prov.first"), "")
	r.api("provlog/entry-error", "t:admin", "GET", "/teams/acme/provisioning-log/"+r.v("prov.error"), "")
	r.api("provlog/entry-unknown", "t:admin", "GET", "/teams/acme/provisioning-log/"+ghostID, "")
	r.api("provlog/developer-403", "s:dev", "GET", "/teams/acme/provisioning-log", "")
	r.api("provlog/other-team", "t:admin", "GET", "/teams/acme-2/provisioning-log", "")
	r.api("audit/after-restart", "t:admin", "GET", "/teams/acme/audit?limit=1000", "")

	r.page("logs/audit", "s:console", "GET", "/teams/acme/logs/audit", nil, false)
	r.page("logs/audit-filtered", "s:console", "GET", "/teams/acme/logs/audit?action=scim_key.&actor=cli:operator", nil, false)
	r.page("logs/audit-export-csv", "s:console", "GET", "/teams/acme/logs/audit/export?format=csv", nil, false)
	r.page("logs/audit-export-jsonl", "s:console", "GET", "/teams/acme/logs/audit/export?format=jsonl&action=user.", nil, false)
	r.page("logs/audit-export-bad", "s:console", "GET", "/teams/acme/logs/audit/export?format=xml", nil, false)
	r.page("logs/provisioning", "s:console", "GET", "/teams/acme/logs/provisioning", nil, false)
	r.page("logs/provisioning-errors", "s:console", "GET", "/teams/acme/logs/provisioning?status=error", nil, false)
	r.page("logs/provisioning-entry", "s:console", "GET", "/teams/acme/logs/provisioning/"+r.v("prov.first"), nil, false)
	r.page("logs/provisioning-entry-error", "s:console", "GET", "/teams/acme/logs/provisioning/"+r.v("prov.error"), nil, false)
	r.page("logs/provisioning-entry-unknown", "s:console", "GET", "/teams/acme/logs/provisioning/"+ghostID, nil, false)
	r.page("member-with-history", "s:console", "GET", "/teams/acme/members/"+r.v("alice"), nil, false)
	r.page("signout", "s:console", "POST", "/signout", nil, true)
	r.page("after-signout", "s:console", "GET", "/teams/acme/members", nil, false)
}

// ---------------------------------------------------------------- CLI, after the server

func scriptCLIFinal(r *runner) {
	d := []string{"--data-dir", r.data}
	with := func(args ...string) []string { return append(args, d...) }

	r.cli("group-set-roles", with("group", "set-roles", "--team", "acme", "--group", r.v("ops"), "--roles", "Billing,Admin")...)
	r.cli("group-set-roles/clear", with("group", "set-roles", "--team", "acme", "--group", r.v("sales"), "--roles", "")...)
	r.cli("group-set-roles/bad-role", with("group", "set-roles", "--team", "acme", "--group", r.v("ops"), "--roles", "Wizard")...)
	r.cli("group-set-roles/unknown-group", with("group", "set-roles", "--team", "acme", "--group", ghostID, "--roles", "Admin")...)
	r.cli("group-set-roles/missing-group", with("group", "set-roles", "--team", "acme")...)

	r.cli("members-list/final-text", with("members", "list", "--team", "acme")...)
	r.cli("members-list/final-json", with("members", "list", "--team", "acme", "--json")...)
	r.cli("invite-list/final", with("invite", "list", "--team", "acme", "--json")...)
	r.cli("scim-key-list/final-text", with("scim-key", "list", "--team", "acme")...)
	r.cli("scim-key-list/final-json", with("scim-key", "list", "--team", "acme", "--json")...)
	r.cli("schema-list/final", with("schema", "list", "--team", "acme", "--json")...)
	r.cli("team-list/final", with("team", "list")...)
	r.cli("team-policy/final", with("team", "policy", "--team", "acme", "--json")...)

	r.cli("audit/text", with("audit", "--team", "acme")...)
	r.cli("audit/json-limit", with("audit", "--team", "acme", "--json", "--limit", "5")...)
	r.cli("audit/format-json", with("audit", "--team", "acme", "--format", "json", "--action", "scim_key.")...)
	r.cli("audit/jsonl", with("audit", "--team", "acme", "--format", "jsonl")...)
	r.cli("audit/jsonl-limit", with("audit", "--team", "acme", "--format", "jsonl", "--limit", "3")...)
	r.cli("audit/csv", with("audit", "--team", "acme", "--format", "csv")...)
	r.cli("audit/csv-limit", with("audit", "--team", "acme", "--format", "csv", "--limit", "2")...)
	r.cli("audit/actor", with("audit", "--team", "acme", "--actor", "account:admin@acme.example", "--limit", "1000")...)
	r.cli("audit/target", with("audit", "--team", "acme", "--target", "user:"+r.v("alice"))...)
	r.cli("audit/target-type", with("audit", "--team", "acme", "--target", "scim_key", "--json")...)
	r.cli("audit/range", with("audit", "--team", "acme", "--since", longAgo, "--until", farOff, "--limit", "3")...)
	r.cli("audit/bad-since", with("audit", "--team", "acme", "--since", "yesterday")...)
	r.cli("audit/bad-format", with("audit", "--team", "acme", "--format", "xml")...)
	r.cli("audit/negative-limit", with("audit", "--team", "acme", "--limit", "-1")...)
	r.cli("audit/unknown-team", with("audit", "--team", "nosuch")...)
	r.cli("audit/globex", with("audit", "--team", "globex", "--json")...)

	r.cli("provisioning-log/text", with("provisioning-log", "--team", "acme", "--limit", "1000")...)
	r.cli("provisioning-log/json", with("provisioning-log", "--team", "acme", "--json", "--limit", "3")...)
	r.cli("provisioning-log/errors", with("provisioning-log", "--team", "acme", "--errors", "--limit", "1000")...)
	r.cli("provisioning-log/status", with("provisioning-log", "--team", "acme", "--status", "4xx", "--method", "POST")...)
	r.cli("provisioning-log/path", with("provisioning-log", "--team", "acme", "--path", "/Bulk", "--json")...)
	r.cli("provisioning-log/resource", with("provisioning-log", "--team", "acme", "--resource", r.v("eng"))...)
	r.cli("provisioning-log/range", with("provisioning-log", "--team", "acme", "--since", longAgo, "--until", farOff, "--limit", "2")...)
	r.cli("provisioning-log/bad-limit", with("provisioning-log", "--team", "acme", "--limit", "0")...)
	r.cli("provisioning-log/bad-status", with("provisioning-log", "--team", "acme", "--status", "teapot")...)
	r.cli("provisioning-log/bad-until", with("provisioning-log", "--team", "acme", "--until", "tomorrow")...)
	r.cli("provisioning-log/other-team", with("provisioning-log", "--team", "acme-2", "--json")...)

	// Moving the store: export, then import into a fresh data dir.
	dump := filepath.Join(r.dir, "dump.jsonl")
	r.cliWith("export/stdout", cliOpt{sortLines: true}, with("export")...)
	r.cli("export/file", with("export", "--out", dump)...)
	r.cli("export/file-exists", with("export", "--out", dump)...)
	fresh := filepath.Join(r.dir, "imported")
	r.cli("import/file", "import", "--data-dir", fresh, "--in", dump)
	r.cli("import/again", "import", "--data-dir", fresh, "--in", dump)
	r.cli("import/missing-file", "import", "--data-dir", filepath.Join(r.dir, "imported2"), "--in", filepath.Join(r.dir, "nope.jsonl"))
	r.cliWith("import/bad-dump", cliOpt{stdin: "{\"table\":\"nope\",\"row\":{}}\n"}, "import", "--data-dir", filepath.Join(r.dir, "imported3"))
	r.cli("import/team-list", "team", "list", "--data-dir", fresh, "--json")
	r.cli("import/members-list", "members", "list", "--data-dir", fresh, "--team", "acme")
	r.cli("import/audit", "audit", "--data-dir", fresh, "--team", "acme", "--limit", "3")

	r.cli("scim-disable/acme", with("scim", "disable", "--team", "acme")...)
	r.cli("team-list/after-disable", with("team", "list")...)
}

// between is the text after start up to end ("" when start is absent).
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(v)
}

// jsonField reads a top-level string field of a JSON object printed by
// the CLI.
func jsonField(s, name string) string {
	return response{Body: []byte(s)}.json(name)
}
