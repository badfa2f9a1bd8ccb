package ssoproto

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/internal/service"
)

// OIDC is the OpenID Connect relying party of every OIDC connection. It
// keeps each issuer's discovered configuration (and its key set, which
// go-oidc refreshes when a token names a key it doesn't know: key
// rotation) for a while, so a sign-in costs one token exchange.
type OIDC struct {
	Fetcher Fetcher
	// Now is the clock ID tokens are judged by.
	Now func() time.Time

	mu        sync.Mutex
	providers map[string]cachedProvider
}

type cachedProvider struct {
	p       *oidc.Provider
	fetched time.Time
}

// providerTTL is how long a discovered configuration is reused.
const providerTTL = 10 * time.Minute

func (o *OIDC) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// provider discovers (or reuses) the issuer's configuration. go-oidc
// checks the document names the same issuer.
func (o *OIDC) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	o.mu.Lock()
	c, ok := o.providers[issuer]
	o.mu.Unlock()
	if ok && time.Since(c.fetched) < providerTTL {
		return c.p, nil
	}
	// The provider's key set fetches with the context it was made with:
	// the fetcher's client, and no deadline of this request.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), o.Fetcher.Client())
	dctx, cancel := context.WithTimeout(pctx, o.Fetcher.timeout())
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		return nil, err
	}
	// NewProvider keeps dctx for its key set; remake it with pctx.
	var meta struct {
		JWKS string   `json:"jwks_uri"`
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, err
	}
	cfg := &oidc.ProviderConfig{IssuerURL: issuer, AuthURL: p.Endpoint().AuthURL, TokenURL: p.Endpoint().TokenURL,
		JWKSURL: meta.JWKS, Algorithms: meta.Algs, UserInfoURL: p.UserInfoEndpoint()}
	p = cfg.NewProvider(pctx)
	o.mu.Lock()
	if o.providers == nil {
		o.providers = map[string]cachedProvider{}
	}
	o.providers[issuer] = cachedProvider{p: p, fetched: time.Now()}
	o.mu.Unlock()
	return p, nil
}

// Discover checks an issuer answers OpenID Connect discovery (when a
// connection is made). Its error is the service's 400 naming the issuer.
func (o *OIDC) Discover(ctx context.Context, issuer string) error {
	if _, err := o.provider(ctx, strings.TrimSuffix(issuer, "/")); err != nil {
		return service.BadRequest("issuer", "OpenID Connect discovery of %s failed: %v", issuer, fetchError(err))
	}
	return nil
}

func fetchError(err error) error {
	if errors.Is(err, ErrPrivateAddress) {
		return errors.New("it leads to an address that is not public (Roster refuses private networks unless the operator allows them with roster serve --sso-allow-private-networks)")
	}
	return err
}

func config(c service.SSOConnection, p *oidc.Provider) oauth2.Config {
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	for _, s := range c.OIDC.Scopes {
		dup := false
		for _, x := range scopes {
			dup = dup || x == s
		}
		if !dup {
			scopes = append(scopes, s)
		}
	}
	return oauth2.Config{ClientID: c.OIDC.ClientID, ClientSecret: c.OIDC.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.RedirectURI(), Scopes: scopes}
}

// AuthURL is where the browser goes to start a sign-in: the IdP's
// authorization endpoint with the state, the nonce and the PKCE S256
// challenge of verifier (authorization code flow).
func (o *OIDC) AuthURL(ctx context.Context, c service.SSOConnection, state, nonce, verifier string) (string, *service.SSOVerdict) {
	p, err := o.provider(ctx, c.OIDC.Issuer)
	if err != nil {
		return "", &service.SSOVerdict{Code: service.SSOIdPUnreachable, Message: fmt.Sprintf("discovery of %s failed: %v", c.OIDC.Issuer, fetchError(err))}
	}
	cfg := config(c, p)
	return cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange redeems an authorization code (with the PKCE verifier) at the
// IdP's token endpoint and verifies the ID token it returns: signature by
// the issuer's keys (JWKS, refreshed on an unknown key id), issuer,
// audience (this connection's client id), expiry, and the nonce of this
// sign-in. It returns what the token says.
func (o *OIDC) Exchange(ctx context.Context, c service.SSOConnection, code, verifier, nonce string) (service.SSOClaims, *service.SSOVerdict) {
	detail := map[string]any{"issuer": c.OIDC.Issuer, "client_id": c.OIDC.ClientID}
	fail := func(code, format string, args ...any) (service.SSOClaims, *service.SSOVerdict) {
		return service.SSOClaims{}, &service.SSOVerdict{Code: code, Message: fmt.Sprintf(format, args...), Detail: detail}
	}
	p, err := o.provider(ctx, c.OIDC.Issuer)
	if err != nil {
		return fail(service.SSOIdPUnreachable, "discovery of %s failed: %v", c.OIDC.Issuer, fetchError(err))
	}
	cfg := config(c, p)
	xctx := oidc.ClientContext(ctx, o.Fetcher.Client())
	xctx, cancel := context.WithTimeout(xctx, o.Fetcher.timeout())
	defer cancel()
	tok, err := cfg.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			detail["token_error"] = re.ErrorCode
			return fail(service.SSOTokenExchange, "the IdP refused the authorization code: %s %s", re.ErrorCode, truncate(re.ErrorDescription, 200))
		}
		return fail(service.SSOIdPUnreachable, "the token endpoint could not be reached: %v", fetchError(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail(service.SSOBadIDToken, "the token answer holds no id_token")
	}
	v := p.Verifier(&oidc.Config{ClientID: c.OIDC.ClientID, Now: o.now})
	idt, err := v.Verify(xctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return fail(service.SSOExpired, "the ID token expired at %s", exp.Expiry.UTC().Format(time.RFC3339))
		}
		return fail(service.SSOBadIDToken, "%v", fetchError(err))
	}
	detail["iss"], detail["aud"] = idt.Issuer, idt.Audience
	if idt.Nonce != nonce || nonce == "" {
		return fail(service.SSOBadNonce, "the ID token's nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return fail(service.SSOBadIDToken, "the ID token's claims can't be read: %v", err)
	}
	m := c.Mapping()
	cl := service.SSOClaims{Subject: idt.Subject, Email: claimString(claims, m.Email), FirstName: claimString(claims, m.FirstName),
		LastName: claimString(claims, m.LastName), Detail: detail}
	switch ev := claims["email_verified"].(type) {
	case bool:
		cl.EmailVerified = &ev
	case string:
		b := strings.EqualFold(ev, "true")
		cl.EmailVerified = &b
	}
	if cl.EmailVerified != nil {
		detail["email_verified"] = *cl.EmailVerified
	}
	if strings.TrimSpace(cl.Subject) == "" {
		return fail(service.SSOMissingSubject, "the ID token has no sub")
	}
	return cl, nil
}

func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
