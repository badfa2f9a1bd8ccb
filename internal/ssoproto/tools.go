package ssoproto

import (
	"context"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/service"
)

// Tools is what every place that sets up or serves SSO shares (the SSO
// edge, the admin API, the console, the CLI): Roster's public origin, the
// fetcher that reaches IdPs, and the OIDC relying party.
type Tools struct {
	// PublicURL is Roster's external origin (roster serve --public-url);
	// empty derives it from each request.
	PublicURL string
	Fetcher   Fetcher
	OIDC      *OIDC
}

// NewTools builds the tools; allowPrivate is the operator's
// --sso-allow-private-networks.
func NewTools(publicURL string, allowPrivate bool) *Tools {
	f := Fetcher{AllowPrivate: allowPrivate}
	return &Tools{PublicURL: strings.TrimSuffix(publicURL, "/"), Fetcher: f, OIDC: &OIDC{Fetcher: f}}
}

// Origin is Roster's origin as the client reached it (or the configured
// public URL): the base of a new connection's URLs.
func (t *Tools) Origin(r *http.Request) string {
	if t.PublicURL != "" {
		return t.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// LoadMetadata reads IdP metadata given as XML, or fetched from an https
// URL (one of the two); it returns what the service keeps of it.
func (t *Tools) LoadMetadata(ctx context.Context, xml []byte, metadataURL string) (service.SAMLIdP, error) {
	metadataURL = strings.TrimSpace(metadataURL)
	switch {
	case len(xml) > 0 && metadataURL != "":
		return service.SAMLIdP{}, service.BadRequest("idp_metadata", "give the IdP metadata as XML or as a URL, not both")
	case len(xml) == 0 && metadataURL == "":
		return service.SAMLIdP{}, service.BadRequest("idp_metadata", "the IdP metadata is required: its XML, or its https URL")
	case metadataURL != "":
		var err error
		if xml, err = t.Fetcher.Metadata(ctx, metadataURL); err != nil {
			return service.SAMLIdP{}, err
		}
	}
	idp, err := ParseMetadata(xml)
	idp.MetadataURL = metadataURL
	return idp, err
}
