package adminapitest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/ssotest"
)

// The admin API of single sign-on: connections, policy and traces, with
// their refusals. (Sign-ins themselves are internal/e2e's.)

var (
	ssoMetaOnce sync.Once
	ssoMeta     []byte
)

// ssoIdPMetadata is a test IdP's metadata XML (one IdP for the process:
// making RSA keys is slow).
func (f *authzFixture) ssoIdPMetadata() string { return string(testIdPMetadata(f.e.t)) }

func testIdPMetadata(t *testing.T) []byte {
	ssoMetaOnce.Do(func() { ssoMeta = ssotest.NewSAMLIdP(t).Metadata() })
	return ssoMeta
}

// ssoConnection makes a SAML connection of team A (as the operator) and
// returns its id.
func (f *authzFixture) ssoConnection() string { return f.e.ssoConnection() }

func (e *env) ssoConnection() string {
	e.t.Helper()
	idp, err := ssoproto.ParseMetadata(testIdPMetadata(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.Svc.CreateSAMLConnection(context.Background(), e.Team.Slug, service.SAMLInput{SPBaseURL: e.URL, IdP: idp},
		service.Actor{Kind: "cli", Name: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// ssoTrace records a refused sign-in of team A and returns its trace id.
func (f *authzFixture) ssoTrace() string {
	ctx := context.Background()
	a, err := f.e.Svc.ReceiveAnswer(ctx, f.ssoConnection(), "", service.SSOMeta{IP: "192.0.2.1"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	fl, ok := service.AsSSOFailure(f.e.Svc.FailSignIn(ctx, a, service.SSOVerdict{Code: service.SSOBadSignature, Message: "forged for the table"}))
	if !ok || fl.TraceID == "" {
		f.e.t.Fatalf("no trace: %+v", fl)
	}
	return fl.TraceID
}

func TestSSOConnectionsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.token(e.Admin, e.AdminPassword, "sso")
	meta := string(testIdPMetadata(t))

	r := c.do("POST", e.teamPath("/sso/connections"), map[string]any{"type": "saml", "name": "Okta", "idp_metadata": meta, "preset": "okta",
		"mapping": map[string]any{"email": "mail"}}).must(t, 201)
	id, _ := r.Body["id"].(string)
	for field, want := range map[string]string{"type": "saml", "name": "Okta", "login_url": e.URL + "/sso/login/" + id,
		"acs_url": e.URL + "/sso/saml/" + id + "/acs", "sp_entity_id": e.URL + "/sso/saml/" + id + "/metadata", "sp_metadata_url": e.URL + "/sso/saml/" + id + "/metadata"} {
		if r.Body[field] != want {
			t.Errorf("%s = %v, want %q", field, r.Body[field], want)
		}
	}
	if r.Body["enabled"] != true || r.Body["default"] != true || r.Body["allow_idp_initiated"] != false {
		t.Errorf("a new connection: %s", r.Raw)
	}
	if m, _ := r.Body["mapping"].(map[string]any); m["email"] != "mail" || m["first_name"] != "firstName" {
		t.Errorf("mapping (own email, the preset's names): %v", r.Body["mapping"])
	}
	c.do("GET", e.teamPath("/sso/connections/"+id), nil).must(t, 200)
	if l := c.do("GET", e.teamPath("/sso/connections"), nil).must(t, 200); len(l.Body["connections"].([]any)) != 1 {
		t.Errorf("list: %s", l.Raw)
	}
	p := c.do("PATCH", e.teamPath("/sso/connections/"+id), map[string]any{"enabled": false, "allow_idp_initiated": true, "name": "Okta prod"}).must(t, 200)
	if p.Body["enabled"] != false || p.Body["allow_idp_initiated"] != true || p.Body["name"] != "Okta prod" {
		t.Errorf("patched: %s", p.Raw)
	}
	// The SP metadata is served at the URL the API gave.
	resp, err := http.Get(e.URL + "/sso/saml/" + id + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Errorf("SP metadata: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Refusals change nothing.
	for name, body := range map[string]map[string]any{
		"no type":             {"idp_metadata": meta},
		"unknown type":        {"type": "ldap"},
		"no metadata":         {"type": "saml"},
		"not metadata":        {"type": "saml", "idp_metadata": "<x/>"},
		"both xml and url":    {"type": "saml", "idp_metadata": meta, "idp_metadata_url": "https://idp.example/md"},
		"http metadata url":   {"type": "saml", "idp_metadata_url": "http://idp.example/md"},
		"unknown preset":      {"type": "saml", "idp_metadata": meta, "preset": "ping"},
		"oidc fields on saml": {"type": "saml", "idp_metadata": meta, "issuer": "https://idp.example"},
		"unknown field":       {"type": "saml", "idp_metadata": meta, "certificate": "x"},
		"bad base url":        {"type": "saml", "idp_metadata": meta, "sp_base_url": "ftp://x"},
		"oidc without client": {"type": "oidc", "issuer": "https://127.0.0.1:1"},
	} {
		r := c.do("POST", e.teamPath("/sso/connections"), body)
		if r.Status != 400 {
			t.Errorf("%s: %d %s, want 400", name, r.Status, r.Raw)
		}
	}
	if l := c.do("GET", e.teamPath("/sso/connections"), nil).must(t, 200); len(l.Body["connections"].([]any)) != 1 {
		t.Errorf("a refused create left a connection: %s", l.Raw)
	}
	c.do("PATCH", e.teamPath("/sso/connections/"+id), map[string]any{"type": "oidc"}).must(t, 400)
	c.do("PATCH", e.teamPath("/sso/connections/"+id), map[string]any{"client_secret": "x"}).must(t, 400)
	c.do("GET", e.teamPath("/sso/connections/nope"), nil).must(t, 404)

	// Policy.
	pol := c.do("PATCH", e.teamPath("/sso/policy"), map[string]any{"jit": true, "domains": []any{"Acme.example", "b.example"}}).must(t, 200)
	if pol.Body["jit"] != true || len(pol.Body["domains"].([]any)) != 2 || pol.Body["require_sso"] != false {
		t.Errorf("policy: %s", pol.Raw)
	}
	// Require SSO needs an enabled connection (this one is disabled).
	c.do("PATCH", e.teamPath("/sso/policy"), map[string]any{"require_sso": true}).must(t, 409)
	c.do("PATCH", e.teamPath("/sso/policy"), map[string]any{"domains": []any{"not a domain"}}).must(t, 400)
	if g := c.do("GET", e.teamPath("/sso/policy"), nil).must(t, 200); g.Body["require_sso"] != false || g.Body["jit"] != true {
		t.Errorf("policy after refusals: %s", g.Raw)
	}

	// Traces.
	tr := c.do("GET", e.teamPath("/sso/traces"), nil).must(t, 200)
	if l, _ := tr.Body["traces"].([]any); len(l) != 0 {
		t.Errorf("traces before any sign-in: %s", tr.Raw)
	}
	c.do("GET", e.teamPath("/sso/traces?limit=0"), nil).must(t, 400)
	c.do("GET", e.teamPath("/sso/traces/nope"), nil).must(t, 404)

	c.do("DELETE", e.teamPath("/sso/connections/"+id), nil).must(t, 204)
	c.do("DELETE", e.teamPath("/sso/connections/"+id), nil).must(t, 404)
}

// TestSSOMetadataURLRefusesPrivateNetworks: a team admin can't make the
// server fetch from its own network (SSRF), unless the operator allows
// private networks.
func TestSSOMetadataURLRefusesPrivateNetworks(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++; w.Write(testIdPMetadata(t)) }))
	defer srv.Close()
	e := newEnv(t)
	c := e.token(e.Admin, e.AdminPassword, "sso")
	for _, u := range []string{srv.URL + "/md", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/md", "https://169.254.169.254/latest/meta-data"} {
		r := c.do("POST", e.teamPath("/sso/connections"), map[string]any{"type": "saml", "idp_metadata_url": u})
		if r.Status != 400 || !strings.Contains(string(r.Raw), "not public") {
			t.Errorf("%s: %d %s, want a 400 saying the address is not public", u, r.Status, r.Raw)
		}
	}
	r := c.do("POST", e.teamPath("/sso/connections"), map[string]any{"type": "oidc", "issuer": srv.URL, "client_id": "x", "client_secret": "y"})
	if r.Status != 400 || !strings.Contains(string(r.Raw), "not public") {
		t.Errorf("an OIDC issuer on loopback: %d %s", r.Status, r.Raw)
	}
	if hits != 0 {
		t.Errorf("the private server was reached %d times", hits)
	}
}
