package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// OIDCUser is who the provider signs in.
type OIDCUser struct {
	Subject       string
	Email         string
	EmailVerified any // true, false, "true", or nil (absent)
	GivenName     string
	FamilyName    string
}

// OIDCProvider is an OpenID Connect provider on a loopback port (its
// issuer is its http://127.0.0.1:PORT URL): discovery, JWKS, the
// authorization endpoint (which signs in whoever SignInAs names, without
// a form) and the token endpoint (authorization code with PKCE S256,
// client secret by Basic or form). The knobs forge what an attacker or a
// broken IdP would send.
type OIDCProvider struct {
	t      testing.TB
	Issuer string
	srv    *httptest.Server

	mu      sync.Mutex
	clients map[string]oidcClient
	user    *OIDCUser
	codes   map[string]grant
	keys    []signingKey // the first signs; all are published
	// Tamper edits the claims of the next ID tokens.
	Tamper func(claims map[string]any)
	// SignWith signs ID tokens with a key the JWKS doesn't publish.
	SignWith *rsa.PrivateKey
	// Now is the provider's clock.
	Now func() time.Time
}

type oidcClient struct{ secret, redirect string }

type grant struct {
	client, redirect, nonce, challenge string
	user                               OIDCUser
	used                               bool
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

// NewOIDCProvider starts a provider.
func NewOIDCProvider(t testing.TB) *OIDCProvider {
	t.Helper()
	p := &OIDCProvider{t: t, clients: map[string]oidcClient{}, codes: map[string]grant{}, Now: time.Now}
	p.keys = []signingKey{{id: "k1", key: newRSA(t)}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.Issuer = p.srv.URL
	return p
}

func newRSA(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// AddClient registers a client (Roster's connection) and its redirect URI.
func (p *OIDCProvider) AddClient(id, secret, redirect string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = oidcClient{secret: secret, redirect: redirect}
}

// SignInAs makes u the person the provider signs in (nil: nobody; the
// authorization endpoint answers with error=access_denied).
func (p *OIDCProvider) SignInAs(u *OIDCUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// RotateKey makes a new signing key with id kid; the old ones stay
// published when keepOld.
func (p *OIDCProvider) RotateKey(kid string, keepOld bool) {
	k := signingKey{id: kid, key: newRSA(p.t)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if keepOld {
		p.keys = append([]signingKey{k}, p.keys...)
	} else {
		p.keys = []signingKey{k}
	}
}

// AnotherKey is an RSA key the provider doesn't publish (for SignWith).
func (p *OIDCProvider) AnotherKey() *rsa.PrivateKey { return newRSA(p.t) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *OIDCProvider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.Issuer + "/authorize", "token_endpoint": p.Issuer + "/token",
		"jwks_uri": p.Issuer + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *OIDCProvider) jwks(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.id, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	writeJSON(w, 200, set)
}

func (p *OIDCProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	c, ok := p.clients[q.Get("client_id")]
	user := p.user
	p.mu.Unlock()
	if !ok || q.Get("redirect_uri") != c.redirect {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(c.redirect)
	v := url.Values{"state": {q.Get("state")}}
	switch {
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		v.Set("error", "invalid_request")
	case user == nil:
		v.Set("error", "access_denied")
	default:
		code := base64.RawURLEncoding.EncodeToString(randomBytes(24))
		p.mu.Lock()
		p.codes[code] = grant{client: q.Get("client_id"), redirect: c.redirect, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), user: *user}
		p.mu.Unlock()
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *OIDCProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, known := p.clients[id]
	if !known || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	g, found := p.codes[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !found || g.used || g.client != id || g.redirect != r.PostForm.Get("redirect_uri"):
		writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "PKCE verification failed"})
		return
	}
	g.used = true
	p.codes[r.PostForm.Get("code")] = g
	now := p.Now()
	claims := map[string]any{"iss": p.Issuer, "aud": id, "sub": g.user.Subject, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "email": g.user.Email, "given_name": g.user.GivenName, "family_name": g.user.FamilyName}
	if g.user.EmailVerified != nil {
		claims["email_verified"] = g.user.EmailVerified
	}
	if p.Tamper != nil {
		p.Tamper(claims)
	}
	key := p.keys[0]
	if p.SignWith != nil {
		key = signingKey{id: key.id, key: p.SignWith}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.key, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.t.Error(err)
		return
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		p.t.Error(err)
		return
	}
	idToken, _ := jws.CompactSerialize()
	writeJSON(w, 200, map[string]any{"access_token": "at-" + fmt.Sprint(now.UnixNano()), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}
