package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssotest"
	"github.com/rosterhq/roster/internal/store"
)

// TestSSOPages: the Single sign-on page makes, switches and deletes
// connections and saves the policy (Super Admins only: an Admin's form is
// refused and changes nothing); the guides show the team's values; the
// traces need audit.read; the link page is for members of the team only.
func TestSSOPages(t *testing.T) {
	e := newEnv(t)
	idp := ssotest.NewSAMLIdP(t)
	super := e.signIn(e.admin, e.adminP)

	r := super.get("/teams/acme/settings/sso")
	want(t, r, 200, "Single sign-on", "Add a SAML connection", "Sign-in policy")
	checkHeaders(t, r)
	// A refusal keeps the form and says why.
	r = super.post("/teams/acme/settings/sso/connections", url.Values{"type": {"saml"}, "name": {"Okta"}, "idp_metadata": {"<not metadata/>"}})
	want(t, r, 400, "the IdP metadata is not", "value=\"Okta\"")
	r = super.post("/teams/acme/settings/sso/connections", url.Values{"type": {"saml"}, "name": {"Okta"}, "preset": {"okta"}, "idp_metadata": {string(idp.Metadata())}})
	want(t, r, http.StatusSeeOther)
	conns, _ := e.svc.ListSSOConnections(context.Background(), "acme")
	if len(conns) != 1 || conns[0].SAML.Preset != "okta" {
		t.Fatalf("connections: %+v", conns)
	}
	id := conns[0].ID
	r = super.get("/teams/acme/settings/sso?done=sso-created")
	want(t, r, 200, "The connection was added", conns[0].ACSURL(), conns[0].SPEntityID(), "Test sign-in", idp.EntityID())
	wantNot(t, r, "s3cret")

	// Switches.
	want(t, super.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"idp-initiated-on"}}), http.StatusSeeOther)
	want(t, super.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"disable"}}), http.StatusSeeOther)
	c, _ := e.svc.GetSSOConnection(context.Background(), "acme", id)
	if c.Enabled || !c.AllowIDPInitiated {
		t.Fatalf("after the switches: enabled %v, IdP-initiated %v", c.Enabled, c.AllowIDPInitiated)
	}
	want(t, super.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"nonsense"}}), 400, "unknown action")
	// Require SSO with no enabled connection is refused.
	want(t, super.post("/teams/acme/settings/sso/policy", url.Values{"require_sso": {"true"}}), 409, "no enabled SSO connection")
	want(t, super.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"enable"}}), http.StatusSeeOther)
	want(t, super.post("/teams/acme/settings/sso/policy", url.Values{"jit": {"true"}, "domains": {"acme.example, b.example"}}), http.StatusSeeOther)
	if p, _ := e.svc.SSOPolicy(context.Background(), "acme"); !p.JIT || p.RequireSSO || len(p.Domains) != 2 {
		t.Fatalf("policy: %+v", p)
	}

	// An Admin sees the page but can't change SSO.
	e.addMember("admin2@acme.example", []string{service.RoleAdmin}, store.SourceManual)
	admin := e.signIn("admin2@acme.example", pw)
	want(t, admin.get("/teams/acme/settings/sso"), 200, conns[0].ACSURL())
	want(t, admin.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"delete"}}), 403, "only a Super Admin")
	want(t, admin.post("/teams/acme/settings/sso/policy", url.Values{"require_sso": {"true"}}), 403, "only a Super Admin")
	if cs, _ := e.svc.ListSSOConnections(context.Background(), "acme"); len(cs) != 1 {
		t.Fatal("an Admin's refused delete deleted")
	}
	// A Developer sees neither the settings nor the traces.
	e.addMember("dev@acme.example", []string{service.RoleDeveloper}, store.SourceManual)
	dev := e.signIn("dev@acme.example", pw)
	want(t, dev.get("/teams/acme/settings/sso"), 403)
	want(t, dev.get("/teams/acme/logs/sso"), 403)

	// Guides carry the team's values.
	for _, g := range []string{"okta", "entra", "onelogin", "jumpcloud", "google"} {
		want(t, super.get("/teams/acme/settings/sso/guides/"+g), 200, conns[0].ACSURL(), conns[0].SPEntityID())
	}
	want(t, super.get("/teams/acme/settings/sso/guides/ping"), 404)
	want(t, super.get("/teams/acme/settings/sso/guides/entra"), 200, service.SSOPresets["entra"].Mapping.Email)

	// Traces: a refused sign-in's reference opens its trace.
	a, _ := e.svc.ReceiveAnswer(context.Background(), id, "", service.SSOMeta{IP: "192.0.2.4"})
	fl, _ := service.AsSSOFailure(e.svc.FailSignIn(context.Background(), a, service.SSOVerdict{Code: service.SSOWrongAudience, Message: "audience was https://other.example",
		Detail: map[string]any{"audience": "https://other.example"}}))
	want(t, super.get("/teams/acme/logs/sso"), 200, fl.TraceID[:8], "wrong_audience")
	want(t, super.get("/teams/acme/logs/sso/"+fl.TraceID), 200, "wrong_audience", "audience was https://other.example", "https://other.example", "192.0.2.4")
	want(t, super.get("/teams/acme/logs/sso/nope"), 404)

	// The link page: for the team's members, with the CSRF token; the
	// SSO edge refuses a link without it.
	r = dev.get("/sso-link/acme")
	want(t, r, 200, "Link Okta", `action="/sso/link/`+id+`"`)
	want(t, e.browser().get("/sso-link/acme"), http.StatusSeeOther) // to the sign-in page
	other, _ := e.svc.CreateTeam(context.Background(), "Globex", "admin@globex.example", service.Actor{Kind: "cli"})
	want(t, dev.get("/sso-link/"+other.Slug), 404)
	r = dev.do("POST", "/sso/link/"+id, url.Values{"csrf_token": {"wrong"}})
	want(t, r, 403, "CSRF")
	r = dev.post("/sso/link/"+id, nil)
	want(t, r, 200, "Continue to your identity provider")
	if !strings.Contains(r.body, idp.URL+"/sso?SAMLRequest=") {
		t.Errorf("the link page doesn't go on to the IdP:\n%s", r.body)
	}

	// Delete.
	want(t, super.post("/teams/acme/settings/sso/connections/"+id, url.Values{"action": {"delete"}}), http.StatusSeeOther)
	if cs, _ := e.svc.ListSSOConnections(context.Background(), "acme"); len(cs) != 0 {
		t.Fatal("not deleted")
	}
}
