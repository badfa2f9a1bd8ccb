package sso

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ConnectionView is the one shape of a connection for the admin API and
// the CLI. The OIDC client secret is never in it.
type ConnectionView struct {
	ID                string `json:"id"`
	Type              string `json:"type"`
	Name              string `json:"name"`
	Enabled           bool   `json:"enabled"`
	Default           bool   `json:"default"`
	AllowIDPInitiated bool   `json:"allow_idp_initiated"`
	LoginURL          string `json:"login_url"`
	// SAML: Roster's side, to give the IdP.
	SPEntityID    string `json:"sp_entity_id,omitempty"`
	ACSURL        string `json:"acs_url,omitempty"`
	SPMetadataURL string `json:"sp_metadata_url,omitempty"`
	// SAML: the IdP's side, from its metadata.
	IdP *IdPView `json:"idp,omitempty"`
	// OIDC.
	RedirectURI string   `json:"redirect_uri,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`
	ClientID    string   `json:"client_id,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	TrustEmail  bool     `json:"trust_email,omitempty"`

	Preset    string  `json:"preset,omitempty"`
	Mapping   Mapping `json:"mapping"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

// IdPView is what Roster pinned of a SAML IdP.
type IdPView struct {
	EntityID     string     `json:"entity_id"`
	SSOURL       string     `json:"sso_url"`
	MetadataURL  string     `json:"metadata_url,omitempty"`
	Certificates []CertView `json:"certificates"`
}

// CertView describes a pinned certificate.
type CertView struct {
	Subject  string `json:"subject"`
	NotAfter string `json:"not_after"`
	SHA256   string `json:"sha256"`
}

func viewTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// View is the connection's ConnectionView.
func View(c Connection) ConnectionView {
	v := ConnectionView{ID: c.ID, Type: c.Type, Name: c.Name, Enabled: c.Enabled, Default: c.IsDefault, AllowIDPInitiated: c.AllowIDPInitiated,
		LoginURL: c.LoginURL(), Mapping: c.Mapping(), CreatedAt: viewTime(c.Created), UpdatedAt: viewTime(c.Updated)}
	if c.SAML != nil {
		v.SPEntityID, v.ACSURL, v.SPMetadataURL, v.Preset = c.SPEntityID(), c.ACSURL(), c.SPMetadataURL(), c.SAML.Preset
		idp := &IdPView{EntityID: c.SAML.IdPEntityID, SSOURL: c.SAML.IdPSSOURL, MetadataURL: c.SAML.MetadataURL, Certificates: []CertView{}}
		for _, s := range c.SAML.IdPCerts {
			der, _ := base64.StdEncoding.DecodeString(s)
			sum := sha256.Sum256(der)
			cv := CertView{SHA256: hex.EncodeToString(sum[:])}
			if cert, err := x509.ParseCertificate(der); err == nil {
				cv.Subject, cv.NotAfter = cert.Subject.String(), viewTime(cert.NotAfter)
			}
			idp.Certificates = append(idp.Certificates, cv)
		}
		v.IdP = idp
	}
	if c.OIDC != nil {
		v.RedirectURI, v.Issuer, v.ClientID, v.Scopes, v.TrustEmail = c.RedirectURI(), c.OIDC.Issuer, c.OIDC.ClientID, c.OIDC.Scopes, c.OIDC.TrustEmail
	}
	return v
}

// TraceView is the one shape of a sign-in trace for the admin API and the
// CLI.
type TraceView struct {
	ID           string         `json:"id"`
	At           string         `json:"at"`
	ConnectionID string         `json:"connection_id"`
	Protocol     string         `json:"protocol"`
	Outcome      string         `json:"outcome"`
	Error        string         `json:"error"`
	Meaning      string         `json:"meaning,omitempty"`
	Message      string         `json:"message"`
	Email        string         `json:"email"`
	Subject      string         `json:"subject"`
	IP           string         `json:"ip"`
	RequestID    string         `json:"request_id"`
	Detail       map[string]any `json:"detail"`
}

// TraceViewOf is a trace's TraceView.
func TraceViewOf(t store.SSOTrace) TraceView {
	v := TraceView{ID: t.ID, At: t.At.UTC().Format(time.RFC3339Nano), ConnectionID: t.ConnectionID, Protocol: t.Protocol, Outcome: t.Outcome,
		Error: t.Error, Meaning: Codes[t.Error], Message: t.Message, Email: t.Email, Subject: t.Subject, IP: t.IP, RequestID: t.RequestID,
		Detail: map[string]any{}}
	if t.Detail != "" {
		_ = json.Unmarshal([]byte(t.Detail), &v.Detail)
	}
	return v
}
