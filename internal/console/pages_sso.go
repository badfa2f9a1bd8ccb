package console

// Team settings → Single sign-on: the team's SAML and OpenID Connect
// connections (create from metadata XML or URL, or an OIDC issuer; the
// values to give the IdP with copy buttons and the SP metadata download;
// test sign-in; enable, disable, default, IdP-initiated, delete), the
// sign-in policy (require SSO, just-in-time members, allowed domains),
// setup guides filled with the team's values, the sign-in traces (Logs),
// and the page where a member links SSO to the account they are signed in
// with.

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/store"
)

// SetSSO gives the console what setting up SSO needs (the origin, the
// IdP fetcher, OIDC discovery); server wires it.
func (c *Console) SetSSO(tools *ssoproto.Tools) { c.sso = tools }

func (c *Console) ssoRoutes() map[string]http.Handler {
	const t = "/teams/{slug}"
	return map[string]http.Handler{
		"GET " + t + "/settings/sso":                   c.team(service.ActSCIMManage, c.ssoPage),
		"POST " + t + "/settings/sso/connections":      c.team(service.ActSCIMManage, c.ssoCreate),
		"POST " + t + "/settings/sso/connections/{id}": c.team(service.ActSCIMManage, c.ssoUpdate),
		"POST " + t + "/settings/sso/policy":           c.team(service.ActSCIMManage, c.ssoPolicy),
		"GET " + t + "/settings/sso/guides/{idp}":      c.team(service.ActSCIMManage, c.ssoGuide),
		"GET " + t + "/logs/sso":                       c.team(service.ActAuditRead, c.ssoTraces),
		"GET " + t + "/logs/sso/{id}":                  c.team(service.ActAuditRead, c.ssoTrace),
		"GET /sso-link/{slug}":                         c.account(c.ssoLinkPage),
	}
}

// ssoGuides are the IdPs with an SSO setup guide (their presets).
var ssoGuides = []guide{{"okta", "Okta"}, {"entra", "Microsoft Entra ID"}, {"onelogin", "OneLogin"}, {"jumpcloud", "JumpCloud"}, {"google", "Google Workspace"}}

type ssoData struct {
	Connections []service.SSOConnectionView
	Policy      store.SSOPolicy
	Domains     string
	Guides      []guide
	Presets     []option
	// The create form, kept on a refusal.
	Form map[string]string
}

func (c *Console) ssoData(r *http.Request, p *page) (*ssoData, error) {
	d := &ssoData{Guides: ssoGuides, Form: map[string]string{}}
	conns, err := c.svc.ListSSOConnections(r.Context(), p.Team.Slug)
	if err != nil {
		return nil, err
	}
	for _, x := range conns {
		d.Connections = append(d.Connections, service.SSOView(x))
	}
	if d.Policy, err = c.svc.SSOPolicy(r.Context(), p.Team.Slug); err != nil {
		return nil, err
	}
	d.Domains = strings.Join(d.Policy.Domains, ", ")
	d.Presets = append(d.Presets, option{"", "Other SAML 2.0 IdP"})
	for _, g := range ssoGuides {
		d.Presets = append(d.Presets, option{g.ID, g.Name})
	}
	return d, nil
}

func (c *Console) ssoPage(w http.ResponseWriter, r *http.Request, p *page) error {
	return c.showSSO(w, r, p, nil)
}

func (c *Console) showSSO(w http.ResponseWriter, r *http.Request, p *page, edit func(*ssoData)) error {
	d, err := c.ssoData(r, p)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(d)
	}
	p.Title, p.Nav, p.Data = "Single sign-on", "sso", d
	p.notice()
	if p.Flash == "" {
		p.Flash = ssoNotices[r.URL.Query().Get("done")]
	}
	return c.render(w, "sso", p)
}

var ssoNotices = map[string]string{
	"sso-created":  "The connection was added. Give your IdP the values below, then test a sign-in.",
	"sso-updated":  "The connection was saved.",
	"sso-deleted":  "The connection was deleted; the accounts its sign-ins made stay.",
	"sso-policy":   "The sign-in policy was saved.",
	"sso-disabled": "The connection is disabled: it refuses every sign-in.",
}

func (c *Console) tools() (*ssoproto.Tools, error) {
	if c.sso == nil {
		return nil, service.Errorf(service.KindUnavailable, "", "single sign-on is not set up on this server")
	}
	return c.sso, nil
}

func (c *Console) ssoCreate(w http.ResponseWriter, r *http.Request, p *page) error {
	tools, err := c.tools()
	if err != nil {
		return err
	}
	ctx := r.Context()
	form := map[string]string{}
	for _, k := range []string{"type", "name", "preset", "idp_metadata", "idp_metadata_url", "issuer", "client_id"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	switch form["type"] {
	case store.SSOOIDC:
		if err = tools.OIDC.Discover(ctx, form["issuer"]); err == nil {
			_, err = c.svc.CreateOIDCConnection(ctx, p.Team.Slug, service.OIDCInput{Name: form["name"], SPBaseURL: tools.Origin(r),
				Issuer: form["issuer"], ClientID: form["client_id"], ClientSecret: r.PostFormValue("client_secret"),
				TrustEmail: r.PostFormValue("trust_email") == "true"}, p.Caller.Actor)
		}
	default:
		var idp service.SAMLIdP
		if idp, err = tools.LoadMetadata(ctx, []byte(form["idp_metadata"]), form["idp_metadata_url"]); err == nil {
			_, err = c.svc.CreateSAMLConnection(ctx, p.Team.Slug, service.SAMLInput{Name: form["name"], SPBaseURL: tools.Origin(r),
				IdP: idp, Preset: form["preset"]}, p.Caller.Actor)
		}
	}
	if err != nil {
		formError(p, err)
		return c.showSSO(w, r, p, func(d *ssoData) { d.Form = form })
	}
	return redirect(w, r, p.T()+"/settings/sso", "sso-created")
}

// ssoUpdate applies one action to a connection: enable, disable, make
// default, IdP-initiated on or off, new metadata, delete.
func (c *Console) ssoUpdate(w http.ResponseWriter, r *http.Request, p *page) error {
	ctx, id := r.Context(), r.PathValue("id")
	yes, no := true, false
	var patch service.SSOConnectionPatch
	done := "sso-updated"
	var err error
	switch r.PostFormValue("action") {
	case "enable":
		patch.Enabled = &yes
	case "disable":
		patch.Enabled, done = &no, "sso-disabled"
	case "default":
		patch.Default = &yes
	case "idp-initiated-on":
		patch.AllowIDPInitiated = &yes
	case "idp-initiated-off":
		patch.AllowIDPInitiated = &no
	case "metadata":
		tools, terr := c.tools()
		if terr != nil {
			return terr
		}
		var idp service.SAMLIdP
		if idp, err = tools.LoadMetadata(ctx, []byte(strings.TrimSpace(r.PostFormValue("idp_metadata"))), r.PostFormValue("idp_metadata_url")); err == nil {
			patch.IdP = &idp
		}
	case "delete":
		if err = c.svc.DeleteSSOConnection(ctx, p.Team.Slug, id, p.Caller.Actor); err == nil {
			return redirect(w, r, p.T()+"/settings/sso", "sso-deleted")
		}
	default:
		err = service.BadRequest("action", "unknown action %q", r.PostFormValue("action"))
	}
	if err == nil {
		_, err = c.svc.UpdateSSOConnection(ctx, p.Team.Slug, id, patch, p.Caller.Actor)
	}
	if err != nil {
		formError(p, err)
		return c.showSSO(w, r, p, nil)
	}
	return redirect(w, r, p.T()+"/settings/sso", done)
}

func (c *Console) ssoPolicy(w http.ResponseWriter, r *http.Request, p *page) error {
	require, jit := r.PostFormValue("require_sso") == "true", r.PostFormValue("jit") == "true"
	domains := strings.FieldsFunc(r.PostFormValue("domains"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if domains == nil {
		domains = []string{}
	}
	if _, err := c.svc.SetSSOPolicy(r.Context(), p.Team.Slug, service.SSOPolicyPatch{RequireSSO: &require, JIT: &jit, Domains: &domains}, p.Caller.Actor); err != nil {
		formError(p, err)
		return c.showSSO(w, r, p, func(d *ssoData) { d.Domains = r.PostFormValue("domains") })
	}
	return redirect(w, r, p.T()+"/settings/sso", "sso-policy")
}

type ssoGuideData struct {
	Guide  guide
	Guides []guide
	// Conn is the team's SAML connection made with this IdP's preset (or
	// its first SAML one), whose values the guide shows.
	Conn    *service.SSOConnectionView
	Mapping service.SSOMapping
	HTTPS   bool
}

func (c *Console) ssoGuide(w http.ResponseWriter, r *http.Request, p *page) error {
	d := &ssoGuideData{Guides: ssoGuides}
	for _, g := range ssoGuides {
		if g.ID == r.PathValue("idp") {
			d.Guide = g
		}
	}
	if d.Guide.ID == "" {
		return service.NotFound("there is no SSO setup guide for that identity provider: Okta, Microsoft Entra ID, OneLogin, JumpCloud and Google Workspace have one")
	}
	d.Mapping = service.SSOPresets[d.Guide.ID].Mapping
	conns, err := c.svc.ListSSOConnections(r.Context(), p.Team.Slug)
	if err != nil {
		return err
	}
	for _, x := range conns {
		if x.SAML == nil {
			continue
		}
		v := service.SSOView(x)
		if d.Conn == nil || (x.SAML.Preset == d.Guide.ID && d.Conn.Preset != d.Guide.ID) {
			d.Conn = &v
		}
	}
	if d.Conn != nil {
		d.HTTPS = strings.HasPrefix(d.Conn.ACSURL, "https://")
	}
	p.Title, p.Nav, p.Data = d.Guide.Name+" single sign-on guide", "sso", d
	return c.render(w, "ssoguide", p)
}

type ssoTracesData struct {
	Traces []service.SSOTraceView
	Names  map[string]string // connection id → name
}

func (c *Console) ssoTraces(w http.ResponseWriter, r *http.Request, p *page) error {
	traces, err := c.svc.SSOTraces(r.Context(), p.Team.Slug, 200)
	if err != nil {
		return err
	}
	d := &ssoTracesData{Names: map[string]string{}}
	for _, t := range traces {
		d.Traces = append(d.Traces, service.SSOTraceViewOf(t))
	}
	if conns, err := c.svc.ListSSOConnections(r.Context(), p.Team.Slug); err == nil {
		for _, x := range conns {
			d.Names[x.ID] = x.Name
		}
	}
	p.Title, p.Nav, p.Data = "Sign-in traces", "ssotraces", d
	return c.render(w, "ssotraces", p)
}

func (c *Console) ssoTrace(w http.ResponseWriter, r *http.Request, p *page) error {
	t, err := c.svc.SSOTrace(r.Context(), p.Team.Slug, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := service.SSOTraceViewOf(t)
	p.Title, p.Nav, p.Data = "Sign-in trace", "ssotraces", &v
	return c.render(w, "ssotrace", p)
}

type ssoLinkData struct {
	Team        store.Team
	Connections []service.SSOConnectionView
}

// ssoLinkPage lists a team's enabled connections, each with a button that
// links it to the signed-in account (an explicit link: a POST to the SSO
// edge with the CSRF token). It is an account page, not a team page: a
// member who signs in with a password reaches it even when the team
// requires SSO, since linking is how they move to it.
func (c *Console) ssoLinkPage(w http.ResponseWriter, r *http.Request, p *page) error {
	team, conns, err := c.svc.LinkableConnections(r.Context(), p.Account, r.PathValue("slug"))
	if err != nil {
		return err
	}
	d := &ssoLinkData{Team: team}
	for _, x := range conns {
		d.Connections = append(d.Connections, service.SSOView(x))
	}
	p.Title, p.Data = "Link single sign-on", d
	return c.render(w, "ssolink", p)
}
