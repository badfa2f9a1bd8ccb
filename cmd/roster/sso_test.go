package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/ssotest"
)

// TestSSOCommands runs `roster sso …` against a running server, as an
// operator's scripts do: the forms and JSON fields of issue 14 are a
// contract. The connection the CLI makes signs a person in through the
// running server at once.
func TestSSOCommands(t *testing.T) {
	dir := t.TempDir()
	addr, _ := startServe(t, "", nil, "--data-dir", dir, "--sso-allow-private-networks")
	origin := "http://" + addr
	team := jsonObject(t, roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "admin@acme.example", "--json"))
	slug := team["slug"].(string)
	key := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", slug, "--name", "okta", "--json"))
	roster(t, "scim", "enable", "--data-dir", dir, "--team", slug)

	idp := ssotest.NewSAMLIdP(t)
	mdFile := filepath.Join(t.TempDir(), "idp.xml")
	if err := os.WriteFile(mdFile, idp.Metadata(), 0o600); err != nil {
		t.Fatal(err)
	}
	saml := jsonObject(t, roster(t, "sso", "saml", "create", "--data-dir", dir, "--team", slug, "--idp-metadata-file", mdFile,
		"--name", "Okta", "--public-url", origin, "--json"))
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got := keys(saml); !slices.Equal(got, []string{"acs_url", "id", "login_url", "sp_entity_id", "sp_metadata_url", "type"}) || saml["type"] != "saml" {
		t.Fatalf("sso saml create --json: %v", saml)
	}
	id := saml["id"].(string)
	if saml["acs_url"] != origin+"/sso/saml/"+id+"/acs" || saml["login_url"] != origin+"/sso/login/"+id {
		t.Fatalf("sso saml create URLs: %v", saml)
	}

	// The running server serves the connection at once.
	resp, err := http.Get(saml["sp_metadata_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	spmd, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	idp.AddSP(spmd)
	req, _ := http.NewRequest("POST", origin+"/scim/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana@acme.example","emails":[{"value":"ana@acme.example","primary":true}]}`))
	req.Header.Set("Authorization", "Bearer "+key["token"].(string))
	req.Header.Set("Content-Type", "application/scim+json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("SCIM create: %v %v", resp, err)
	}
	idp.SignInAs(&ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example"})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn := func() int {
		t.Helper()
		resp, err := hc.Get(saml["login_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			return resp.StatusCode
		}
		resp, err = hc.Get(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		form := ssotest.ReadForm(t, ssotest.ReadAll(t, resp))
		resp = ssotest.PostForm(t, hc, idp.URL, form)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := signIn(); st != http.StatusSeeOther {
		t.Fatalf("sign-in through the CLI's connection: %d", st)
	}
	me, err := hc.Get(origin + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(me.Body).Decode(&body)
	me.Body.Close()
	if acc, _ := body["account"].(map[string]any); me.StatusCode != 200 || acc["email"] != "ana@acme.example" {
		t.Fatalf("/api/v1/me: %d %v", me.StatusCode, body)
	}

	// Disabled, the connection refuses at once; enabled again, it works.
	roster(t, "sso", "disable", "--data-dir", dir, "--team", slug, "--id", id)
	if st := signIn(); st != http.StatusForbidden {
		t.Fatalf("sign-in at a disabled connection: %d", st)
	}
	roster(t, "sso", "enable", "--data-dir", dir, "--team", slug, "--id", id)
	if st := signIn(); st != http.StatusSeeOther {
		t.Fatalf("sign-in after enable: %d", st)
	}

	// OIDC, the secret from a file.
	op := ssotest.NewOIDCProvider(t)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	oidc := jsonObject(t, roster(t, "sso", "oidc", "create", "--data-dir", dir, "--team", slug, "--issuer", op.Issuer, "--client-id", "roster",
		"--client-secret-file", secret, "--public-url", origin, "--sso-allow-private-networks", "--json"))
	if got := keys(oidc); !slices.Equal(got, []string{"id", "login_url", "redirect_uri", "type"}) || oidc["type"] != "oidc" ||
		oidc["redirect_uri"] != origin+"/sso/oidc/"+oidc["id"].(string)+"/callback" {
		t.Fatalf("sso oidc create --json: %v", oidc)
	}
	if r := rosterRun(t, runOpt{}, "sso", "oidc", "create", "--data-dir", dir, "--team", slug, "--issuer", op.Issuer, "--client-id", "roster",
		"--client-secret-file", secret, "--public-url", origin); r.code != 1 || !strings.Contains(r.stderr, "not public") {
		t.Errorf("an issuer on loopback without --sso-allow-private-networks: %+v", r)
	}

	var list []map[string]any
	if err := json.Unmarshal(roster(t, "sso", "list", "--data-dir", dir, "--team", slug, "--json"), &list); err != nil || len(list) != 2 {
		t.Fatalf("sso list --json: %v %v", list, err)
	}
	if list[0]["id"] != id || list[0]["default"] != true || strings.Contains(string(roster(t, "sso", "list", "--data-dir", dir, "--team", slug, "--json")), "s3cret") {
		t.Errorf("sso list: %v", list)
	}

	pol := jsonObject(t, roster(t, "sso", "policy", "--data-dir", dir, "--team", slug, "--require-sso=true", "--jit=false",
		"--domains", "acme.example,b.example", "--allow-idp-initiated="+id, "--json"))
	if pol["require_sso"] != true || pol["jit"] != false || len(pol["domains"].([]any)) != 2 {
		t.Errorf("sso policy: %v", pol)
	}
	if out := string(roster(t, "sso", "policy", "--data-dir", dir, "--team", slug)); !strings.Contains(out, "require SSO true") {
		t.Errorf("sso policy (show): %s", out)
	}
	list = nil
	json.Unmarshal(roster(t, "sso", "list", "--data-dir", dir, "--team", slug, "--json"), &list)
	if list[0]["allow_idp_initiated"] != true {
		t.Errorf("--allow-idp-initiated: %v", list[0])
	}

	var traces []map[string]any
	if err := json.Unmarshal(roster(t, "sso", "traces", "--data-dir", dir, "--team", slug, "--limit", "2", "--json"), &traces); err != nil || len(traces) != 2 {
		t.Fatalf("sso traces: %v %v", traces, err)
	}
	for _, k := range []string{"at", "connection_id", "outcome", "error", "email"} {
		if _, ok := traces[0][k]; !ok {
			t.Errorf("a trace lacks %q: %v", k, traces[0])
		}
	}
	if traces[0]["outcome"] != "success" || traces[1]["outcome"] != "failure" || traces[1]["error"] != "connection_disabled" || traces[0]["email"] != "ana@acme.example" {
		t.Errorf("traces, newest first: %v", traces)
	}

	// Refusals.
	for _, args := range [][]string{
		{"sso", "saml", "create", "--data-dir", dir, "--team", slug},
		{"sso", "saml", "create", "--data-dir", dir, "--team", slug, "--idp-metadata-file", mdFile, "--idp-metadata-url", "https://idp.example/md"},
		{"sso", "saml", "create", "--data-dir", dir, "--idp-metadata-file", mdFile},
		{"sso", "saml", "create", "--data-dir", dir, "--team", slug, "--idp-metadata-file", secret},
		{"sso", "disable", "--data-dir", dir, "--team", slug, "--id", "nope"},
		{"sso", "policy", "--data-dir", dir, "--team", slug, "--jit=maybe"},
		{"sso", "traces", "--data-dir", dir, "--team", slug, "--limit", "5000"},
	} {
		if r := rosterRun(t, runOpt{}, args...); r.code != 1 || r.stderr == "" {
			t.Errorf("roster %s: %+v, want exit 1 with a message", strings.Join(args, " "), r)
		}
	}
	if r := rosterRun(t, runOpt{}, "sso", "saml", "--data-dir", dir); r.code != 2 || !strings.Contains(r.stderr, "missing subcommand") {
		t.Errorf("sso saml without create: %+v", r)
	}
	// The last enabled connection can't go while SSO is required.
	roster(t, "sso", "disable", "--data-dir", dir, "--team", slug, "--id", oidc["id"].(string))
	if r := rosterRun(t, runOpt{}, "sso", "delete", "--data-dir", dir, "--team", slug, "--id", id); r.code != 1 || !strings.Contains(r.stderr, "requires SSO") {
		t.Errorf("deleting the last enabled connection of a team that requires SSO: %+v", r)
	}
	roster(t, "sso", "policy", "--data-dir", dir, "--team", slug, "--require-sso=false")
	roster(t, "sso", "delete", "--data-dir", dir, "--team", slug, "--id", id)
	if st := signIn(); st != http.StatusNotFound {
		t.Errorf("a deleted connection's login URL: %d", st)
	}
}
