package adminapi

// Admin API of a team's single sign-on (docs/sso.md):
//
//	GET    /api/v1/teams/{slug}/sso/connections          list
//	POST   /api/v1/teams/{slug}/sso/connections          create (SAML: metadata XML or URL; OIDC: issuer, client)
//	GET    /api/v1/teams/{slug}/sso/connections/{id}
//	PATCH  /api/v1/teams/{slug}/sso/connections/{id}     name, enabled, default, IdP-initiated, new metadata, mapping, secret
//	DELETE /api/v1/teams/{slug}/sso/connections/{id}
//	GET    /api/v1/teams/{slug}/sso/policy
//	PATCH  /api/v1/teams/{slug}/sso/policy               require_sso, jit, domains
//	GET    /api/v1/teams/{slug}/sso/traces               ?limit; newest first
//	GET    /api/v1/teams/{slug}/sso/traces/{id}
//
// Settings take scim.manage (and the service lets only Super Admins
// change them); traces take audit.read.

import (
	"net/http"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/store"
)

// SetSSO gives the admin API what creating SSO connections needs:
// Roster's origin, the IdP fetcher (metadata URLs) and OIDC discovery.
// Without it, those routes answer 503.
func (s *API) SetSSO(tools *ssoproto.Tools) { s.sso = tools }

func (s *API) apiSSORoutes() []apiRoute {
	const t = "/teams/{slug}/sso"
	return []apiRoute{
		{Method: "GET", Path: t + "/connections", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiListSSO},
		{Method: "POST", Path: t + "/connections", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiCreateSSO},
		{Method: "GET", Path: t + "/connections/{id}", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiGetSSO},
		{Method: "PATCH", Path: t + "/connections/{id}", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiPatchSSO},
		{Method: "DELETE", Path: t + "/connections/{id}", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiDeleteSSO},
		{Method: "GET", Path: t + "/policy", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiGetSSOPolicy},
		{Method: "PATCH", Path: t + "/policy", Auth: apiTeam, Action: service.ActSCIMManage, Handle: s.apiPatchSSOPolicy},
		{Method: "GET", Path: t + "/traces", Auth: apiTeam, Action: service.ActAuditRead, Handle: s.apiSSOTraces},
		{Method: "GET", Path: t + "/traces/{id}", Auth: apiTeam, Action: service.ActAuditRead, Handle: s.apiSSOTrace},
	}
}

func (s *API) ssoTools() (*ssoproto.Tools, error) {
	if s.sso == nil {
		return nil, service.Errorf(service.KindUnavailable, "", "single sign-on is not set up on this server")
	}
	return s.sso, nil
}

func (s *API) apiListSSO(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	conns, err := s.svc.ListSSOConnections(r.Context(), c.Team.Slug)
	if err != nil {
		return err
	}
	out := make([]service.SSOConnectionView, 0, len(conns))
	for _, x := range conns {
		out = append(out, service.SSOView(x))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"connections": out})
	return nil
}

// ssoConnectionBody is a connection's settings as the API takes them.
type ssoConnectionBody struct {
	Type              string              `json:"type"`
	Name              *string             `json:"name"`
	Enabled           *bool               `json:"enabled"`
	Default           *bool               `json:"default"`
	AllowIDPInitiated *bool               `json:"allow_idp_initiated"`
	IdPMetadata       string              `json:"idp_metadata"`
	IdPMetadataURL    string              `json:"idp_metadata_url"`
	Preset            *string             `json:"preset"`
	Mapping           *service.SSOMapping `json:"mapping"`
	Issuer            string              `json:"issuer"`
	ClientID          string              `json:"client_id"`
	ClientSecret      *string             `json:"client_secret"`
	Scopes            []string            `json:"scopes"`
	TrustEmail        *bool               `json:"trust_email"`
	SPBaseURL         string              `json:"sp_base_url"`
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *API) apiCreateSSO(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	tools, err := s.ssoTools()
	if err != nil {
		return err
	}
	var b ssoConnectionBody
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	base := b.SPBaseURL
	if base == "" {
		base = tools.Origin(r)
	}
	ctx := r.Context()
	var conn service.SSOConnection
	switch b.Type {
	case store.SSOSAML:
		if b.Issuer != "" || b.ClientID != "" || b.ClientSecret != nil {
			return service.BadRequest("type", "issuer, client_id and client_secret are settings of OpenID Connect connections")
		}
		idp, err := tools.LoadMetadata(ctx, []byte(b.IdPMetadata), b.IdPMetadataURL)
		if err != nil {
			return err
		}
		conn, err = s.svc.CreateSAMLConnection(ctx, c.Team.Slug, service.SAMLInput{Name: deref(b.Name), SPBaseURL: base, IdP: idp,
			Preset: deref(b.Preset), Mapping: deref(b.Mapping)}, c.Actor)
		if err != nil {
			return err
		}
	case store.SSOOIDC:
		if b.IdPMetadata != "" || b.IdPMetadataURL != "" || b.Preset != nil {
			return service.BadRequest("type", "idp_metadata, idp_metadata_url and preset are settings of SAML connections")
		}
		if err := tools.OIDC.Discover(ctx, b.Issuer); err != nil {
			return err
		}
		conn, err = s.svc.CreateOIDCConnection(ctx, c.Team.Slug, service.OIDCInput{Name: deref(b.Name), SPBaseURL: base, Issuer: b.Issuer,
			ClientID: b.ClientID, ClientSecret: deref(b.ClientSecret), Scopes: b.Scopes, TrustEmail: deref(b.TrustEmail), Mapping: deref(b.Mapping)}, c.Actor)
		if err != nil {
			return err
		}
	default:
		return service.BadRequest("type", `type must be "saml" or "oidc"`)
	}
	// Settings a new connection has off until asked.
	if b.Enabled != nil || b.Default != nil || b.AllowIDPInitiated != nil {
		if conn, err = s.svc.UpdateSSOConnection(ctx, c.Team.Slug, conn.ID, service.SSOConnectionPatch{Enabled: b.Enabled, Default: b.Default,
			AllowIDPInitiated: b.AllowIDPInitiated}, c.Actor); err != nil {
			return err
		}
	}
	writeAPIJSON(w, http.StatusCreated, service.SSOView(conn))
	return nil
}

func (s *API) apiGetSSO(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	conn, err := s.svc.GetSSOConnection(r.Context(), c.Team.Slug, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, service.SSOView(conn))
	return nil
}

func (s *API) apiPatchSSO(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b ssoConnectionBody
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	switch {
	case b.Type != "":
		return service.BadRequest("type", "a connection's type can't change; make a new connection")
	case b.Issuer != "" || b.ClientID != "":
		return service.BadRequest("issuer", "an OpenID Connect connection's issuer and client_id can't change; make a new connection")
	case b.SPBaseURL != "" || b.Scopes != nil:
		return service.BadRequest("sp_base_url", "sp_base_url and scopes are set when a connection is made")
	}
	p := service.SSOConnectionPatch{Name: b.Name, Enabled: b.Enabled, Default: b.Default, AllowIDPInitiated: b.AllowIDPInitiated,
		Preset: b.Preset, Mapping: b.Mapping, ClientSecret: b.ClientSecret, TrustEmail: b.TrustEmail}
	if b.IdPMetadata != "" || b.IdPMetadataURL != "" {
		tools, err := s.ssoTools()
		if err != nil {
			return err
		}
		idp, err := tools.LoadMetadata(r.Context(), []byte(b.IdPMetadata), b.IdPMetadataURL)
		if err != nil {
			return err
		}
		p.IdP = &idp
	}
	conn, err := s.svc.UpdateSSOConnection(r.Context(), c.Team.Slug, r.PathValue("id"), p, c.Actor)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, service.SSOView(conn))
	return nil
}

func (s *API) apiDeleteSSO(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	if err := s.svc.DeleteSSOConnection(r.Context(), c.Team.Slug, r.PathValue("id"), c.Actor); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ssoPolicyJSON is a team's sign-in policy as the API shows it.
func ssoPolicyJSON(p store.SSOPolicy) map[string]any {
	domains := p.Domains
	if domains == nil {
		domains = []string{}
	}
	return map[string]any{"require_sso": p.RequireSSO, "jit": p.JIT, "domains": domains}
}

func (s *API) apiGetSSOPolicy(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	p, err := s.svc.SSOPolicy(r.Context(), c.Team.Slug)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, ssoPolicyJSON(p))
	return nil
}

func (s *API) apiPatchSSOPolicy(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	var b struct {
		RequireSSO *bool     `json:"require_sso"`
		JIT        *bool     `json:"jit"`
		Domains    *[]string `json:"domains"`
	}
	if err := decodeAPIBody(r, &b); err != nil {
		return err
	}
	p, err := s.svc.SetSSOPolicy(r.Context(), c.Team.Slug, service.SSOPolicyPatch{RequireSSO: b.RequireSSO, JIT: b.JIT, Domains: b.Domains}, c.Actor)
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, ssoPolicyJSON(p))
	return nil
}

func (s *API) apiSSOTraces(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	limit := 50
	if r.URL.Query().Get("limit") != "" {
		var err error
		if limit, err = queryInt(r, "limit", 1, 1000); err != nil {
			return err
		}
	}
	traces, err := s.svc.SSOTraces(r.Context(), c.Team.Slug, limit)
	if err != nil {
		return err
	}
	out := make([]service.SSOTraceView, 0, len(traces))
	for _, t := range traces {
		out = append(out, service.SSOTraceViewOf(t))
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"traces": out})
	return nil
}

func (s *API) apiSSOTrace(w http.ResponseWriter, r *http.Request, c *service.Caller) error {
	t, err := s.svc.SSOTrace(r.Context(), c.Team.Slug, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeAPIJSON(w, http.StatusOK, service.SSOTraceViewOf(t))
	return nil
}
