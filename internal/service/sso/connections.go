package sso

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Mapping names the attributes (SAML) or claims (OIDC) that carry a
// person's email and names. An empty field takes the default.
type Mapping struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// SAMLConfig is a SAML connection's settings, as stored.
type SAMLConfig struct {
	IdPEntityID string `json:"idp_entity_id"`
	// IdPSSOURL is the IdP's SingleSignOnService with the HTTP-Redirect
	// binding.
	IdPSSOURL string `json:"idp_sso_url"`
	// IdPCerts are the IdP's signing certificates (base64 DER) pinned from
	// its metadata: one, or two during a rotation. Nothing signed with any
	// other key is accepted.
	IdPCerts    []string `json:"idp_certs"`
	MetadataURL string   `json:"metadata_url,omitempty"`
	Preset      string   `json:"preset,omitempty"`
	Mapping     Mapping  `json:"mapping"`
}

// OIDCConfig is an OpenID Connect connection's settings, as stored. The
// client secret is kept as given: the store is the trust boundary.
type OIDCConfig struct {
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes,omitempty"`
	// TrustEmail takes the email even when the IdP doesn't say
	// email_verified: true (an IdP that verifies every email it holds).
	TrustEmail bool    `json:"trust_email,omitempty"`
	Mapping    Mapping `json:"mapping"`
}

// Connection is a connection with its settings read and Roster's URLs
// for it.
type Connection struct {
	store.SSOConnection
	SAML *SAMLConfig
	OIDC *OIDCConfig
}

func (c Connection) url(path string) string { return c.SPBaseURL + path }

// LoginURL starts a sign-in through the connection (302 to the IdP).
func (c Connection) LoginURL() string { return c.url(PathLogin + c.ID) }

// SPEntityID is Roster's SAML entity id for this connection (also the
// URL of its SP metadata): the audience its assertions must name.
func (c Connection) SPEntityID() string { return c.SPMetadataURL() }

// SPMetadataURL serves Roster's SP metadata for this connection.
func (c Connection) SPMetadataURL() string { return c.url(PathSAML + c.ID + MetaSuffix) }

// ACSURL is where the IdP posts its SAML responses for this connection:
// their Destination and Recipient.
func (c Connection) ACSURL() string { return c.url(PathSAML + c.ID + ACSSuffix) }

// RedirectURI is the OIDC redirect URI of this connection.
func (c Connection) RedirectURI() string { return c.url(PathOIDC + c.ID + OIDCCallback) }

// Mapping is the connection's attribute mapping with defaults filled in.
func (c Connection) Mapping() Mapping {
	if c.OIDC != nil {
		m := c.OIDC.Mapping
		m.Email = cmpOr(m.Email, "email")
		m.FirstName = cmpOr(m.FirstName, "given_name")
		m.LastName = cmpOr(m.LastName, "family_name")
		return m
	}
	if c.SAML == nil {
		return Mapping{}
	}
	p := Presets[c.SAML.Preset]
	m := c.SAML.Mapping
	m.Email = cmpOr(m.Email, p.Mapping.Email)
	m.FirstName = cmpOr(m.FirstName, p.Mapping.FirstName)
	m.LastName = cmpOr(m.LastName, p.Mapping.LastName)
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// connectionOf reads a stored connection's settings.
func connectionOf(c store.SSOConnection) (Connection, error) {
	out := Connection{SSOConnection: c}
	switch c.Type {
	case store.SSOSAML:
		out.SAML = &SAMLConfig{}
		if err := json.Unmarshal(c.Config, out.SAML); err != nil {
			return out, err
		}
	case store.SSOOIDC:
		out.OIDC = &OIDCConfig{}
		if err := json.Unmarshal(c.Config, out.OIDC); err != nil {
			return out, err
		}
	default:
		return out, errors.New("unknown connection type " + c.Type)
	}
	return out, nil
}

func (c *Connection) store() (store.SSOConnection, error) {
	var v any = c.SAML
	if c.OIDC != nil {
		v = c.OIDC
	}
	b, err := json.Marshal(v)
	c.Config = b
	return c.SSOConnection, err
}

// SAMLIdP is what Roster keeps of an IdP's SAML metadata (parsed by the
// edge, internal/ssoproto): its entity id, its HTTP-Redirect sign-on URL
// and its signing certificates (DER).
type SAMLIdP struct {
	EntityID string
	SSOURL   string
	Certs    [][]byte
	// MetadataURL is where the metadata was fetched from, if it was.
	MetadataURL string
}

// SAMLInput creates a SAML connection.
type SAMLInput struct {
	Name      string
	SPBaseURL string
	IdP       SAMLIdP
	Preset    string
	Mapping   Mapping
}

// OIDCInput creates an OpenID Connect connection.
type OIDCInput struct {
	Name         string
	SPBaseURL    string
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	TrustEmail   bool
	Mapping      Mapping
}

// ConnectionPatch changes a connection; nil fields stay.
type ConnectionPatch struct {
	Name              *string
	Enabled           *bool
	Default           *bool
	AllowIDPInitiated *bool
	// IdP replaces a SAML connection's IdP metadata (a certificate
	// rotation: the new metadata may list the old and the new one).
	IdP          *SAMLIdP
	Preset       *string
	Mapping      *Mapping
	ClientSecret *string
	TrustEmail   *bool
}

// Limits of a connection's settings.
const (
	maxName      = 100
	maxValue     = 2048
	maxCerts     = 2
	maxDomains   = 50
	maxScopes    = 20
	maxMapping   = 256
	maxPerTeam   = 50
	maxSecretLen = 4096
)

// requireSuperAdmin is the rule on every SSO setting: a connection decides
// who every member is, Super Admins included, so only a Super Admin (or
// the operator's CLI) changes them.
func requireSuperAdmin(a domain.Actor, team store.Team) error {
	if !domain.SuperAdminIn(a, team.ID) {
		return domain.Forbidden("only a Super Admin of team %s manages its single sign-on: a connection decides who every member is, Super Admins included", team.Slug)
	}
	return nil
}

func checkName(name, def string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = def
	}
	if utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) {
		return "", domain.BadRequest("name", "name must be valid text of at most %d characters", maxName)
	}
	return name, nil
}

// checkBaseURL checks the public origin a connection's URLs are made of:
// an absolute http(s) URL with no path, query or fragment.
func checkBaseURL(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", domain.BadRequest("sp_base_url", "Roster's public URL must be an absolute http(s) origin such as https://roster.example.com, got %q", s)
	}
	return s, nil
}

// LoopbackHost reports whether a URL's host is a loopback name or address.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// checkIdPURL checks a URL of the IdP that people or Roster go to: https,
// or plain http on a loopback host (development and tests).
func checkIdPURL(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || len(s) > maxValue || u.User != nil || u.Fragment != "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && LoopbackHost(u.Hostname()))) {
		return "", domain.BadRequest(field, "%s must be an https URL (plain http only on a loopback host, for development), got %q", field, s)
	}
	return s, nil
}

// checkCerts checks the pinned signing certificates: one or two (during a
// rotation), each a parsable X.509 certificate with an RSA key of at least
// 2048 bits or an ECDSA key.
func checkCerts(certs [][]byte) ([]string, error) {
	if len(certs) == 0 {
		return nil, domain.BadRequest("idp_metadata", "the IdP metadata has no signing certificate: Roster accepts only signed responses")
	}
	if len(certs) > maxCerts {
		return nil, domain.BadRequest("idp_metadata", "the IdP metadata lists %d signing certificates; Roster pins at most %d (the current one and, during a rotation, the next)", len(certs), maxCerts)
	}
	var out []string
	for i, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, domain.BadRequest("idp_metadata", "signing certificate %d of the IdP metadata can't be read: %v", i+1, err)
		}
		switch k := c.PublicKey.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < 2048 {
				return nil, domain.BadRequest("idp_metadata", "signing certificate %d has a %d-bit RSA key; Roster wants at least 2048 bits", i+1, k.N.BitLen())
			}
		case *ecdsa.PublicKey:
		default:
			return nil, domain.BadRequest("idp_metadata", "signing certificate %d has a %T key; Roster accepts RSA and ECDSA", i+1, c.PublicKey)
		}
		s := base64.StdEncoding.EncodeToString(der)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func checkSAMLIdP(idp SAMLIdP) (SAMLConfig, error) {
	var cfg SAMLConfig
	cfg.IdPEntityID = strings.TrimSpace(idp.EntityID)
	if cfg.IdPEntityID == "" || len(cfg.IdPEntityID) > maxValue || !utf8.ValidString(cfg.IdPEntityID) {
		return cfg, domain.BadRequest("idp_metadata", "the IdP metadata has no entityID (or an unreadable one)")
	}
	var err error
	if cfg.IdPSSOURL, err = checkIdPURL("idp_sso_url", idp.SSOURL); err != nil {
		return cfg, err
	}
	if cfg.IdPCerts, err = checkCerts(idp.Certs); err != nil {
		return cfg, err
	}
	if idp.MetadataURL != "" {
		if cfg.MetadataURL, err = checkIdPURL("idp_metadata_url", idp.MetadataURL); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func checkMapping(m Mapping) (Mapping, error) {
	for _, f := range []struct{ name, v string }{{"mapping.email", m.Email}, {"mapping.first_name", m.FirstName}, {"mapping.last_name", m.LastName}} {
		if len(f.v) > maxMapping || !utf8.ValidString(f.v) {
			return m, domain.BadRequest(f.name, "%s must be valid text of at most %d bytes", f.name, maxMapping)
		}
	}
	m.Email, m.FirstName, m.LastName = strings.TrimSpace(m.Email), strings.TrimSpace(m.FirstName), strings.TrimSpace(m.LastName)
	return m, nil
}

func checkPreset(p string) (string, error) {
	p = strings.ToLower(strings.TrimSpace(p))
	if _, ok := Presets[p]; !ok {
		return "", domain.BadRequest("preset", "unknown preset %q: use one of %s", p, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// teamForWrite reads the team of slug inside tx and applies the Super
// Admin rule.
func teamForWrite(ctx context.Context, tx Tx, slug string, a domain.Actor) (store.Team, error) {
	team, err := tx.TeamBySlug(ctx, slug)
	if err != nil {
		return team, domain.TeamError(err, slug)
	}
	return team, requireSuperAdmin(a, team)
}

// CreateSAMLConnection adds a SAML connection to a team, enabled; the
// team's first connection is its default.
func (s *Service) CreateSAMLConnection(ctx context.Context, slug string, in SAMLInput, a domain.Actor) (Connection, error) {
	cfg, err := checkSAMLIdP(in.IdP)
	if err != nil {
		return Connection{}, err
	}
	if cfg.Preset, err = checkPreset(in.Preset); err != nil {
		return Connection{}, err
	}
	if cfg.Mapping, err = checkMapping(in.Mapping); err != nil {
		return Connection{}, err
	}
	name, err := checkName(in.Name, cmpOr(Presets[cfg.Preset].Label, "SAML"))
	if err != nil {
		return Connection{}, err
	}
	c := Connection{SAML: &cfg}
	c.Type, c.Name = store.SSOSAML, name
	return s.createConnection(ctx, slug, in.SPBaseURL, c, a)
}

// CreateOIDCConnection adds an OpenID Connect connection to a team.
func (s *Service) CreateOIDCConnection(ctx context.Context, slug string, in OIDCInput, a domain.Actor) (Connection, error) {
	var cfg OIDCConfig
	var err error
	if cfg.Issuer, err = checkIdPURL("issuer", strings.TrimSuffix(strings.TrimSpace(in.Issuer), "/")); err != nil {
		return Connection{}, err
	}
	cfg.ClientID = strings.TrimSpace(in.ClientID)
	if cfg.ClientID == "" || len(cfg.ClientID) > maxValue || !utf8.ValidString(cfg.ClientID) {
		return Connection{}, domain.BadRequest("client_id", "client_id is required (the IdP's id of Roster's app), at most %d bytes", maxValue)
	}
	if cfg.ClientSecret, err = checkSecret(in.ClientSecret); err != nil {
		return Connection{}, err
	}
	if len(in.Scopes) > maxScopes {
		return Connection{}, domain.BadRequest("scopes", "at most %d scopes", maxScopes)
	}
	for _, sc := range in.Scopes {
		sc = strings.TrimSpace(sc)
		if sc == "" || len(sc) > maxMapping || strings.ContainsAny(sc, " \t\r\n\"\\") || !utf8.ValidString(sc) {
			return Connection{}, domain.BadRequest("scopes", "scope %q is not a valid OAuth scope", sc)
		}
		if !slices.Contains(cfg.Scopes, sc) {
			cfg.Scopes = append(cfg.Scopes, sc)
		}
	}
	cfg.TrustEmail = in.TrustEmail
	if cfg.Mapping, err = checkMapping(in.Mapping); err != nil {
		return Connection{}, err
	}
	name, err := checkName(in.Name, "OpenID Connect")
	if err != nil {
		return Connection{}, err
	}
	c := Connection{OIDC: &cfg}
	c.Type, c.Name = store.SSOOIDC, name
	return s.createConnection(ctx, slug, in.SPBaseURL, c, a)
}

func checkSecret(sec string) (string, error) {
	sec = strings.TrimSpace(sec)
	if sec == "" || len(sec) > maxSecretLen || !utf8.ValidString(sec) {
		return "", domain.BadRequest("client_secret", "client_secret is required (the secret the IdP gave Roster's app), at most %d bytes", maxSecretLen)
	}
	return sec, nil
}

func (s *Service) createConnection(ctx context.Context, slug, baseURL string, c Connection, a domain.Actor) (Connection, error) {
	base, err := checkBaseURL(baseURL)
	if err != nil {
		return Connection{}, err
	}
	err = s.st.Tx(ctx, func(tx Tx) error {
		team, err := teamForWrite(ctx, tx, slug, a)
		if err != nil {
			return err
		}
		existing, err := tx.ListSSOConnections(ctx, team.ID)
		if err != nil {
			return err
		}
		if len(existing) >= maxPerTeam {
			return domain.Conflict("", "team %s already has %d SSO connections, the most it may have", team.Slug, maxPerTeam)
		}
		now := s.env.Now()
		c.TeamID, c.ID, c.Enabled, c.IsDefault, c.SPBaseURL, c.Created, c.Updated = team.ID, domain.NewID(), true, len(existing) == 0, base, now, now
		rec, err := c.store()
		if err != nil {
			return err
		}
		if err := tx.CreateSSOConnection(ctx, rec); err != nil {
			return err
		}
		if err := s.env.Audit(ctx, tx, team.ID, a, "sso.connection.create", "sso_connection", c.ID, auditOf(c)); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, a, domain.EventSSOConnectionCreate, View(c)) // events.md; never the client secret
	})
	return c, err
}

// auditOf is what the audit trail keeps of a connection: never the
// client secret.
func auditOf(c Connection) map[string]any {
	d := map[string]any{"type": c.Type, "name": c.Name, "enabled": c.Enabled, "default": c.IsDefault, "allowIdpInitiated": c.AllowIDPInitiated}
	if c.SAML != nil {
		d["idpEntityId"], d["idpSsoUrl"], d["certificates"] = c.SAML.IdPEntityID, c.SAML.IdPSSOURL, len(c.SAML.IdPCerts)
	}
	if c.OIDC != nil {
		d["issuer"], d["clientId"], d["trustEmail"] = c.OIDC.Issuer, c.OIDC.ClientID, c.OIDC.TrustEmail
	}
	return d
}

// teamConnection reads a connection of the team inside tx (404 for one of
// another team: its existence is not revealed).
func teamConnection(ctx context.Context, tx interface {
	SSOConnection(ctx context.Context, id string) (store.SSOConnection, error)
}, team store.Team, id string) (Connection, error) {
	rec, err := tx.SSOConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.TeamID != team.ID) {
		return Connection{}, domain.NotFound("team %s has no SSO connection %q", team.Slug, id)
	}
	if err != nil {
		return Connection{}, err
	}
	return connectionOf(rec)
}

// UpdateSSOConnection changes a connection's settings.
func (s *Service) UpdateSSOConnection(ctx context.Context, slug, id string, p ConnectionPatch, a domain.Actor) (Connection, error) {
	var out Connection
	err := s.st.Tx(ctx, func(tx Tx) error {
		team, err := teamForWrite(ctx, tx, slug, a)
		if err != nil {
			return err
		}
		c, err := teamConnection(ctx, tx, team, id)
		if err != nil {
			return err
		}
		if err := applyPatch(&c, p); err != nil {
			return err
		}
		if err := s.keepRequiredSSO(ctx, tx, team, c.ID, c.Enabled); err != nil {
			return err
		}
		if p.Default != nil && *p.Default {
			if err := clearDefault(ctx, tx, team, c.ID); err != nil {
				return err
			}
		}
		c.Updated = s.env.Now()
		rec, err := c.store()
		if err != nil {
			return err
		}
		if err := tx.UpdateSSOConnection(ctx, rec); err != nil {
			return err
		}
		out = c
		if err := s.env.Audit(ctx, tx, team.ID, a, "sso.connection.update", "sso_connection", c.ID, auditOf(c)); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, a, domain.EventSSOConnectionUpdate, View(c)) // events.md; never the client secret
	})
	return out, err
}

func applyPatch(c *Connection, p ConnectionPatch) error {
	var err error
	if p.Name != nil {
		if c.Name, err = checkName(*p.Name, c.Name); err != nil {
			return err
		}
	}
	if p.Enabled != nil {
		c.Enabled = *p.Enabled
	}
	if p.Default != nil {
		if !*p.Default && c.IsDefault {
			return domain.BadRequest("default", "a team's default connection changes when another one is made default")
		}
		c.IsDefault = *p.Default
	}
	if p.AllowIDPInitiated != nil {
		if *p.AllowIDPInitiated && c.SAML == nil {
			return domain.BadRequest("allow_idp_initiated", "IdP-initiated sign-in is a SAML feature; connection %s is OpenID Connect", c.ID)
		}
		c.AllowIDPInitiated = *p.AllowIDPInitiated
	}
	samlOnly := func(field string) error {
		return domain.BadRequest(field, "%s is a setting of SAML connections; connection %s is OpenID Connect", field, c.ID)
	}
	oidcOnly := func(field string) error {
		return domain.BadRequest(field, "%s is a setting of OpenID Connect connections; connection %s is SAML", field, c.ID)
	}
	if p.IdP != nil {
		if c.SAML == nil {
			return samlOnly("idp_metadata")
		}
		cfg, err := checkSAMLIdP(*p.IdP)
		if err != nil {
			return err
		}
		cfg.Preset, cfg.Mapping = c.SAML.Preset, c.SAML.Mapping
		*c.SAML = cfg
	}
	if p.Preset != nil {
		if c.SAML == nil {
			return samlOnly("preset")
		}
		if c.SAML.Preset, err = checkPreset(*p.Preset); err != nil {
			return err
		}
	}
	if p.Mapping != nil {
		m, err := checkMapping(*p.Mapping)
		if err != nil {
			return err
		}
		if c.SAML != nil {
			c.SAML.Mapping = m
		} else {
			c.OIDC.Mapping = m
		}
	}
	if p.ClientSecret != nil {
		if c.OIDC == nil {
			return oidcOnly("client_secret")
		}
		if c.OIDC.ClientSecret, err = checkSecret(*p.ClientSecret); err != nil {
			return err
		}
	}
	if p.TrustEmail != nil {
		if c.OIDC == nil {
			return oidcOnly("trust_email")
		}
		c.OIDC.TrustEmail = *p.TrustEmail
	}
	return nil
}

// clearDefault makes every other connection of the team not the default.
func clearDefault(ctx context.Context, tx Tx, team store.Team, keep string) error {
	all, err := tx.ListSSOConnections(ctx, team.ID)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != keep && o.IsDefault {
			o.IsDefault = false
			if err := tx.UpdateSSOConnection(ctx, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// keepRequiredSSO refuses to leave a team that requires SSO without an
// enabled connection (its members could no longer sign in at all).
// changed is the connection being changed, to be enabled or not (or
// deleted: enabled false).
func (s *Service) keepRequiredSSO(ctx context.Context, tx Tx, team store.Team, changed string, enabled bool) error {
	pol, err := tx.SSOPolicy(ctx, team.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pol.RequireSSO) || enabled {
		return nil
	}
	if err != nil {
		return err
	}
	all, err := tx.ListSSOConnections(ctx, team.ID)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != changed && o.Enabled {
			return nil
		}
	}
	return domain.Conflict("", "team %s requires SSO and this is its last enabled connection: turn require-SSO off first (roster sso policy --require-sso=false), or enable another connection", team.Slug)
}

// DeleteSSOConnection removes a connection with the identities made
// through it; the accounts stay (a person's next sign-in through another
// connection makes a new identity).
func (s *Service) DeleteSSOConnection(ctx context.Context, slug, id string, a domain.Actor) error {
	return s.st.Tx(ctx, func(tx Tx) error {
		team, err := teamForWrite(ctx, tx, slug, a)
		if err != nil {
			return err
		}
		c, err := teamConnection(ctx, tx, team, id)
		if err != nil {
			return err
		}
		if err := s.keepRequiredSSO(ctx, tx, team, c.ID, false); err != nil {
			return err
		}
		if err := tx.DeleteSSOConnection(ctx, team.ID, c.ID); err != nil {
			return err
		}
		if c.IsDefault {
			rest, err := tx.ListSSOConnections(ctx, team.ID)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				rest[0].IsDefault = true
				if err := tx.UpdateSSOConnection(ctx, rest[0]); err != nil {
					return err
				}
			}
		}
		if err := s.env.Audit(ctx, tx, team.ID, a, "sso.connection.delete", "sso_connection", c.ID, auditOf(c)); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, a, domain.EventSSOConnectionDelete, View(c)) // events.md; never the client secret
	})
}

// ListSSOConnections lists a team's connections, in creation order.
func (s *Service) ListSSOConnections(ctx context.Context, slug string) ([]Connection, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return nil, domain.TeamError(err, slug)
	}
	recs, err := s.st.ListSSOConnections(ctx, team.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Connection, 0, len(recs))
	for _, r := range recs {
		c, err := connectionOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// GetSSOConnection reads one connection of a team.
func (s *Service) GetSSOConnection(ctx context.Context, slug, id string) (Connection, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return Connection{}, domain.TeamError(err, slug)
	}
	return teamConnection(ctx, s.st, team, id)
}

// SSOConnectionByID reads a connection of any team by its id, as the SSO
// edge does for the URLs it serves (SP metadata, sign-in).
func (s *Service) SSOConnectionByID(ctx context.Context, id string) (Connection, error) {
	rec, err := s.st.SSOConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Connection{}, domain.NotFound("no SSO connection %q", id)
	}
	if err != nil {
		return Connection{}, err
	}
	return connectionOf(rec)
}

// PolicyPatch changes a team's sign-in policy; nil fields stay.
type PolicyPatch struct {
	RequireSSO *bool
	JIT        *bool
	Domains    *[]string
}

// SSOPolicy reads a team's sign-in policy (the defaults when it never set
// one).
func (s *Service) SSOPolicy(ctx context.Context, slug string) (store.SSOPolicy, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return store.SSOPolicy{}, domain.TeamError(err, slug)
	}
	p, err := s.st.SSOPolicy(ctx, team.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.SSOPolicy{TeamID: team.ID}, nil
	}
	return p, err
}

// checkDomain reads one allowed email domain: a DNS name, lower case.
func checkDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	d = strings.TrimPrefix(d, "@")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return "", domain.BadRequest("domains", "%q is not an email domain such as acme.example", d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", domain.BadRequest("domains", "%q is not an email domain such as acme.example", d)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", domain.BadRequest("domains", "%q is not an email domain such as acme.example (write internationalised domains in their xn-- form)", d)
			}
		}
	}
	return d, nil
}

// SetSSOPolicy changes a team's sign-in policy.
func (s *Service) SetSSOPolicy(ctx context.Context, slug string, p PolicyPatch, a domain.Actor) (store.SSOPolicy, error) {
	var domains []string
	if p.Domains != nil {
		if len(*p.Domains) > maxDomains {
			return store.SSOPolicy{}, domain.BadRequest("domains", "at most %d domains", maxDomains)
		}
		for _, d := range *p.Domains {
			if strings.TrimSpace(d) == "" {
				continue
			}
			d, err := checkDomain(d)
			if err != nil {
				return store.SSOPolicy{}, err
			}
			if !slices.Contains(domains, d) {
				domains = append(domains, d)
			}
		}
		slices.Sort(domains)
	}
	var out store.SSOPolicy
	err := s.st.Tx(ctx, func(tx Tx) error {
		team, err := teamForWrite(ctx, tx, slug, a)
		if err != nil {
			return err
		}
		pol, err := tx.SSOPolicy(ctx, team.ID)
		if errors.Is(err, store.ErrNotFound) {
			pol, err = store.SSOPolicy{TeamID: team.ID}, nil
		}
		if err != nil {
			return err
		}
		if p.RequireSSO != nil {
			pol.RequireSSO = *p.RequireSSO
		}
		if p.JIT != nil {
			pol.JIT = *p.JIT
		}
		if p.Domains != nil {
			pol.Domains = domains
		}
		if pol.RequireSSO {
			conns, err := tx.ListSSOConnections(ctx, team.ID)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(conns, func(c store.SSOConnection) bool { return c.Enabled }) {
				return domain.Conflict("require_sso", "team %s has no enabled SSO connection: add one before requiring SSO, or its members could not sign in", team.Slug)
			}
		}
		pol.Updated = s.env.Now()
		if err := tx.SetSSOPolicy(ctx, pol); err != nil {
			return err
		}
		out = pol
		if err := s.env.Audit(ctx, tx, team.ID, a, "sso.policy", "team", team.ID,
			map[string]any{"requireSso": pol.RequireSSO, "jit": pol.JIT, "domains": pol.Domains}); err != nil {
			return err
		}
		domains := pol.Domains
		if domains == nil {
			domains = []string{}
		}
		return s.env.Emit(ctx, tx, team, a, domain.EventSSOPolicyUpdated, map[string]any{"require_sso": pol.RequireSSO, "jit": pol.JIT, "domains": domains})
	})
	return out, err
}
