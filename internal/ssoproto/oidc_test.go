package ssoproto

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssotest"
	"github.com/rosterhq/roster/internal/store"
)

type oidcFixture struct {
	t    *testing.T
	op   *ssotest.OIDCProvider
	rp   *OIDC
	conn service.SSOConnection
}

func newOIDCFixture(t *testing.T) *oidcFixture {
	t.Helper()
	f := &oidcFixture{t: t, op: ssotest.NewOIDCProvider(t), rp: &OIDC{Fetcher: Fetcher{AllowPrivate: true}}}
	f.conn = service.SSOConnection{SSOConnection: store.SSOConnection{ID: "oc", Type: store.SSOOIDC, Enabled: true, SPBaseURL: "https://roster.example"},
		OIDC: &service.OIDCConfig{Issuer: f.op.Issuer, ClientID: "roster", ClientSecret: "s3cret"}}
	f.op.AddClient("roster", "s3cret", f.conn.RedirectURI())
	yes := true
	f.op.SignInAs(&ssotest.OIDCUser{Subject: "sub-1", Email: "kim@acme.example", EmailVerified: yes, GivenName: "Kim", FamilyName: "Ito"})
	return f
}

// authorize runs the browser's part: to the authorization endpoint and
// back, returning the callback's query.
func (f *oidcFixture) authorize(state, nonce, verifier string) url.Values {
	f.t.Helper()
	u, v := f.rp.AuthURL(context.Background(), f.conn, state, nonce, verifier)
	if v != nil {
		f.t.Fatalf("AuthURL: %s %s", v.Code, v.Message)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), f.conn.RedirectURI()) {
		f.t.Fatalf("the provider sent the browser to %q", resp.Header.Get("Location"))
	}
	return back.Query()
}

func TestOIDCSignIn(t *testing.T) {
	f := newOIDCFixture(t)
	q := f.authorize("st", "nonce-1", "verifier-verifier-verifier-verifier-verifier")
	if q.Get("state") != "st" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	cl, v := f.rp.Exchange(context.Background(), f.conn, q.Get("code"), "verifier-verifier-verifier-verifier-verifier", "nonce-1")
	if v != nil {
		t.Fatalf("refused: %s %s", v.Code, v.Message)
	}
	if cl.Subject != "sub-1" || cl.Email != "kim@acme.example" || cl.EmailVerified == nil || !*cl.EmailVerified || cl.FirstName != "Kim" || cl.LastName != "Ito" {
		t.Fatalf("claims %+v", cl)
	}
	// A code works once.
	if _, v := f.rp.Exchange(context.Background(), f.conn, q.Get("code"), "verifier-verifier-verifier-verifier-verifier", "nonce-1"); v == nil || v.Code != service.SSOTokenExchange {
		t.Fatalf("a code used twice: %+v", v)
	}
}

func TestOIDCRefusesForgedTokens(t *testing.T) {
	const verifier = "verifier-verifier-verifier-verifier-verifier"
	cases := []struct {
		name  string
		setup func(f *oidcFixture)
		// nonce and verifier the callback is redeemed with
		nonce, verifier string
		code            string
	}{
		{name: "bad nonce", nonce: "someone-else's", code: service.SSOBadNonce},
		{name: "nonce replaced by the IdP", setup: func(f *oidcFixture) { f.op.Tamper = func(c map[string]any) { c["nonce"] = "x" } }, code: service.SSOBadNonce},
		{name: "wrong PKCE verifier", verifier: "another-verifier-another-verifier-another", code: service.SSOTokenExchange},
		{name: "wrong client secret", setup: func(f *oidcFixture) { f.conn.OIDC.ClientSecret = "wrong" }, code: service.SSOTokenExchange},
		{name: "wrong audience", setup: func(f *oidcFixture) { f.op.Tamper = func(c map[string]any) { c["aud"] = "another-client" } }, code: service.SSOBadIDToken},
		{name: "wrong issuer", setup: func(f *oidcFixture) { f.op.Tamper = func(c map[string]any) { c["iss"] = "https://evil.example" } }, code: service.SSOBadIDToken},
		{name: "expired", setup: func(f *oidcFixture) { f.op.Now = func() time.Time { return time.Now().Add(-time.Hour) } }, code: service.SSOExpired},
		{name: "signed with a key the JWKS doesn't publish", setup: func(f *oidcFixture) { f.op.SignWith = f.op.AnotherKey() }, code: service.SSOBadIDToken},
		{name: "no sub", setup: func(f *oidcFixture) {
			f.op.Tamper = func(c map[string]any) { c["sub"] = "" }
		}, code: service.SSOMissingSubject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newOIDCFixture(t)
			if c.setup != nil {
				c.setup(f)
			}
			q := f.authorize("st", "nonce-1", verifier)
			nonce, ver := "nonce-1", verifier
			if c.nonce != "" {
				nonce = c.nonce
			}
			if c.verifier != "" {
				ver = c.verifier
			}
			cl, v := f.rp.Exchange(context.Background(), f.conn, q.Get("code"), ver, nonce)
			if v == nil {
				t.Fatalf("accepted, as %+v", cl)
			}
			if v.Code != c.code {
				t.Fatalf("refused with %s (%s), want %s", v.Code, v.Message, c.code)
			}
		})
	}
}

// TestOIDCKeyRotation: the provider signs with a new key; the relying
// party, which cached the old key set, fetches the new one.
func TestOIDCKeyRotation(t *testing.T) {
	f := newOIDCFixture(t)
	const verifier = "verifier-verifier-verifier-verifier-verifier"
	signIn := func() *service.SSOVerdict {
		q := f.authorize("st", "n", verifier)
		_, v := f.rp.Exchange(context.Background(), f.conn, q.Get("code"), verifier, "n")
		return v
	}
	if v := signIn(); v != nil {
		t.Fatalf("before the rotation: %+v", v)
	}
	f.op.RotateKey("k2", false)
	if v := signIn(); v != nil {
		t.Fatalf("after the rotation: %s %s", v.Code, v.Message)
	}
}

func TestOIDCEmailVerifiedForms(t *testing.T) {
	for _, c := range []struct {
		claim any
		want  *bool
	}{{true, ptr(true)}, {false, ptr(false)}, {"true", ptr(true)}, {"false", ptr(false)}, {nil, nil}} {
		f := newOIDCFixture(t)
		f.op.SignInAs(&ssotest.OIDCUser{Subject: "s", Email: "kim@acme.example", EmailVerified: c.claim})
		q := f.authorize("st", "n", "verifier-verifier-verifier-verifier-verifier")
		cl, v := f.rp.Exchange(context.Background(), f.conn, q.Get("code"), "verifier-verifier-verifier-verifier-verifier", "n")
		if v != nil {
			t.Fatalf("%v: %+v", c.claim, v)
		}
		if (cl.EmailVerified == nil) != (c.want == nil) || (c.want != nil && *cl.EmailVerified != *c.want) {
			t.Errorf("email_verified %v read as %v", c.claim, cl.EmailVerified)
		}
	}
}

func ptr(b bool) *bool { return &b }

// TestOIDCPrivateIssuer: discovery of an issuer on a private address is
// refused unless the operator allows private networks.
func TestOIDCPrivateIssuer(t *testing.T) {
	op := ssotest.NewOIDCProvider(t)
	strict := &OIDC{}
	err := strict.Discover(context.Background(), op.Issuer)
	if err == nil || !strings.Contains(err.Error(), "not public") {
		t.Fatalf("a loopback issuer without the operator's flag: %v", err)
	}
	if err := (&OIDC{Fetcher: Fetcher{AllowPrivate: true}}).Discover(context.Background(), op.Issuer); err != nil {
		t.Fatalf("with the flag: %v", err)
	}
	conn := service.SSOConnection{SSOConnection: store.SSOConnection{ID: "x", SPBaseURL: "https://r.example"}, OIDC: &service.OIDCConfig{Issuer: op.Issuer, ClientID: "c"}}
	if _, v := strict.AuthURL(context.Background(), conn, "s", "n", "v"); v == nil || v.Code != service.SSOIdPUnreachable {
		t.Fatalf("AuthURL with a private issuer: %+v", v)
	}
}
