package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	httpsrv "github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/ssotest"
	"github.com/rosterhq/roster/internal/store"
)

// Single sign-on end to end (docs/sso.md): the real server on loopback,
// real IdPs in process (crewjam/saml's IdP side, an OIDC provider on
// go-jose), a browser's requests made as a browser makes them (the ACS
// POST cross-site, without the session cookie), on both backends.

var ssoCLI = service.Actor{Kind: "cli", Name: "test"}

// ssoServer is a server whose SSO may reach IdPs on loopback (the
// operator's --sso-allow-private-networks), with a team provisioned over
// SCIM.
type ssoEnv struct {
	t    *testing.T
	s    *server
	scim *client
	team store.Team
}

func newSSOEnv(t *testing.T, name string) *ssoEnv {
	t.Helper()
	s := startServerWith(t, httpsrv.Config{SSOAllowPrivateNetworks: true})
	c, team := s.newTeam(name)
	return &ssoEnv{t: t, s: s, scim: c, team: team}
}

// provision creates an active member over SCIM, as the IdP does.
func (e *ssoEnv) provision(email string) string {
	e.t.Helper()
	r := e.scim.do("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": email, "active": true, "emails": []any{map[string]any{"value": email, "type": "work", "primary": true}}}).must(e.t, 201)
	return str(r.Body, "id")
}

// samlConnection connects the team to idp (as the operator would) and
// registers Roster's SP metadata, fetched over HTTP, at the IdP.
func (e *ssoEnv) samlConnection(idp *ssotest.SAMLIdP) service.SSOConnection {
	e.t.Helper()
	md, err := ssoproto.ParseMetadata(idp.Metadata())
	if err != nil {
		e.t.Fatal(err)
	}
	conn, err := e.s.Svc.CreateSAMLConnection(context.Background(), e.team.Slug, service.SAMLInput{SPBaseURL: e.s.URL, IdP: md, Preset: "okta"}, ssoCLI)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.Get(conn.SPMetadataURL())
	if err != nil {
		e.t.Fatal(err)
	}
	spmd := ssotest.ReadAll(e.t, resp)
	if resp.StatusCode != 200 {
		e.t.Fatalf("SP metadata: %d %s", resp.StatusCode, spmd)
	}
	idp.AddSP(spmd)
	return conn
}

// browser is a person's browser: a cookie jar, redirects followed by
// hand.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.hc.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, ssotest.ReadAll(b.t, resp)
}

// me is GET /api/v1/me with the browser's cookies.
func (b *browser) me(base string) (int, map[string]any) {
	b.t.Helper()
	resp, body := b.get(base + "/api/v1/me")
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

// samlSignIn runs an SP-initiated sign-in: Roster's login URL, the IdP's
// page, the form posted cross-site to the ACS. It returns the ACS's answer.
func (b *browser) samlSignIn(idp *ssotest.SAMLIdP, conn service.SSOConnection) (*http.Response, []byte, ssotest.Form) {
	b.t.Helper()
	resp, body := b.get(conn.LoginURL())
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("login URL: %d %s", resp.StatusCode, body)
	}
	to := resp.Header.Get("Location")
	u, _ := url.Parse(to)
	if !strings.HasPrefix(to, idp.URL+"/sso?") || u.Query().Get("SAMLRequest") == "" || u.Query().Get("RelayState") == "" {
		b.t.Fatalf("login URL sent the browser to %s", to)
	}
	resp, page := b.get(to)
	if resp.StatusCode != 200 {
		b.t.Fatalf("the IdP: %d %s", resp.StatusCode, page)
	}
	form := ssotest.ReadForm(b.t, page)
	if form.Action != conn.ACSURL() {
		b.t.Fatalf("the IdP posts to %s, want the ACS %s", form.Action, conn.ACSURL())
	}
	resp = ssotest.PostForm(b.t, b.hc, idp.URL, form)
	return resp, ssotest.ReadAll(b.t, resp), form
}

// signedIn checks an ACS or callback answer is a success: 303 with the
// roster_session cookie, after which /api/v1/me answers with email.
func (b *browser) signedIn(base string, resp *http.Response, body []byte, email string) {
	b.t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in answered %d, want 303: %s", resp.StatusCode, body)
	}
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == httpsrv.SessionCookie && ck.Value != "" && ck.HttpOnly {
			found = true
		}
	}
	if !found {
		b.t.Fatalf("no roster_session cookie: %v", resp.Header["Set-Cookie"])
	}
	st, me := b.me(base)
	if acc, _ := me["account"].(map[string]any); st != 200 || acc["email"] != email {
		b.t.Fatalf("/api/v1/me after the sign-in: %d %v; want 200 and %s", st, me, email)
	}
}

// refused checks an answer is a 4xx page with a trace reference of the
// team, and returns the trace.
func (e *ssoEnv) refused(resp *http.Response, body []byte, status int, code string) store.SSOTrace {
	e.t.Helper()
	if resp.StatusCode != status {
		e.t.Fatalf("answered %d, want %d: %s", resp.StatusCode, status, body)
	}
	s := string(body)
	i := strings.Index(s, `<code id="trace-ref">`)
	if i < 0 {
		e.t.Fatalf("the page gives no trace reference:\n%s", s)
	}
	ref := s[i+len(`<code id="trace-ref">`):]
	ref = ref[:strings.Index(ref, "<")]
	tr, err := e.s.Svc.SSOTrace(context.Background(), e.team.Slug, ref)
	if err != nil {
		e.t.Fatalf("trace %s: %v", ref, err)
	}
	if tr.Outcome != store.SSOFailure || tr.Error != code {
		e.t.Fatalf("trace %s: %s %s (%s), want failure %s", ref, tr.Outcome, tr.Error, tr.Message, code)
	}
	return tr
}

func TestSSOSAMLEndToEnd(t *testing.T) {
	e := newSSOEnv(t, "Acme")
	idp := ssotest.NewSAMLIdP(t)
	conn := e.samlConnection(idp)
	anaID := e.provision("ana@acme.example")
	idp.SignInAs(&ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example", FirstName: "Ana", LastName: "Lima"})

	// SP-initiated.
	ana := newBrowser(t)
	resp, body, form := ana.samlSignIn(idp, conn)
	ana.signedIn(e.s.URL, resp, body, "ana@acme.example")
	if loc := resp.Header.Get("Location"); loc != "/teams/"+e.team.Slug+"/" {
		t.Errorf("after the sign-in the browser goes to %q", loc)
	}
	traces, _ := e.s.Svc.SSOTraces(context.Background(), e.team.Slug, 10)
	if len(traces) != 1 || traces[0].Outcome != store.SSOSuccess || traces[0].Email != "ana@acme.example" {
		t.Fatalf("traces after the sign-in: %+v", traces)
	}

	// The same response again: its sign-in state was taken once.
	resp = ssotest.PostForm(t, newBrowser(t).hc, idp.URL, form)
	e.refused(resp, ssotest.ReadAll(t, resp), http.StatusBadRequest, service.SSOUnknownRequest)

	// IdP-initiated: refused until the connection allows it.
	idpStart := func() ssotest.Form {
		resp, page := ana.get(idp.URL + "/start?sp=" + url.QueryEscape(conn.SPEntityID()))
		if resp.StatusCode != 200 {
			t.Fatalf("IdP-initiated start: %d %s", resp.StatusCode, page)
		}
		return ssotest.ReadForm(t, page)
	}
	bo := newBrowser(t)
	resp = ssotest.PostForm(t, bo.hc, idp.URL, idpStart())
	e.refused(resp, ssotest.ReadAll(t, resp), http.StatusForbidden, service.SSOUnsolicited)
	on := true
	if _, err := e.s.Svc.UpdateSSOConnection(context.Background(), e.team.Slug, conn.ID, service.SSOConnectionPatch{AllowIDPInitiated: &on}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	unsolicited := idpStart()
	resp = ssotest.PostForm(t, bo.hc, idp.URL, unsolicited)
	bo.signedIn(e.s.URL, resp, ssotest.ReadAll(t, resp), "ana@acme.example")
	// The same IdP-initiated response again: the replay store refuses it
	// (on every replica: it is in the database).
	resp = ssotest.PostForm(t, newBrowser(t).hc, idp.URL, unsolicited)
	e.refused(resp, ssotest.ReadAll(t, resp), http.StatusBadRequest, service.SSOReplay)

	// A disabled connection refuses every sign-in, IdP-initiated included.
	off := false
	if _, err := e.s.Svc.UpdateSSOConnection(context.Background(), e.team.Slug, conn.ID, service.SSOConnectionPatch{Enabled: &off}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	resp = ssotest.PostForm(t, newBrowser(t).hc, idp.URL, idpStart())
	e.refused(resp, ssotest.ReadAll(t, resp), http.StatusForbidden, service.SSOConnectionDisabled)
	resp, body = newBrowser(t).get(conn.LoginURL())
	e.refused(resp, body, http.StatusForbidden, service.SSOConnectionDisabled)
	if _, err := e.s.Svc.UpdateSSOConnection(context.Background(), e.team.Slug, conn.ID, service.SSOConnectionPatch{Enabled: &on}, ssoCLI); err != nil {
		t.Fatal(err)
	}

	// Nobody else gets in: an unknown email, SCIM-only.
	idp.SignInAs(&ssotest.User{NameID: "mallory@acme.example", Email: "mallory@acme.example"})
	resp, body, _ = newBrowser(t).samlSignIn(idp, conn)
	e.refused(resp, body, http.StatusForbidden, service.SSOUnknownMember)

	// Deactivation over SCIM ends Ana's SSO sessions at once.
	e.scim.do("PATCH", "/Users/"+anaID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}).must(t, 200)
	for name, b := range map[string]*browser{"SP-initiated session": ana, "IdP-initiated session": bo} {
		if st, _ := b.me(e.s.URL); st != http.StatusUnauthorized {
			t.Errorf("%s after the member's deactivation: /api/v1/me %d, want 401", name, st)
		}
	}
	idp.SignInAs(&ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example"})
	resp, body, _ = newBrowser(t).samlSignIn(idp, conn)
	e.refused(resp, body, http.StatusForbidden, service.SSOMemberDeactivated)
}

// TestSSOResponseForAnotherTeam: a response an IdP made for team A's
// connection, posted to team B's ACS, is refused, even when both teams
// trust the same IdP.
func TestSSOResponseForAnotherTeam(t *testing.T) {
	a := newSSOEnv(t, "Acme")
	idp := ssotest.NewSAMLIdP(t)
	connA := a.samlConnection(idp)
	a.provision("ana@acme.example")
	other, teamB := a.s.newTeam("Globex")
	b := &ssoEnv{t: t, s: a.s, scim: other, team: teamB}
	connB := b.samlConnection(idp)
	b.provision("ana@acme.example")
	idp.SignInAs(&ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example"})

	br := newBrowser(t)
	resp, _ := br.get(connA.LoginURL())
	resp, page := br.get(resp.Header.Get("Location"))
	form := ssotest.ReadForm(t, page)
	form.Action = connB.ACSURL()
	resp = ssotest.PostForm(t, br.hc, idp.URL, form)
	b.refused(resp, ssotest.ReadAll(t, resp), http.StatusBadRequest, service.SSOWrongDestination)
	if st, _ := br.me(a.s.URL); st != http.StatusUnauthorized {
		t.Errorf("after the refusal the browser is signed in (%d)", st)
	}
}

func TestSSOOIDCEndToEnd(t *testing.T) {
	e := newSSOEnv(t, "Acme")
	op := ssotest.NewOIDCProvider(t)
	conn, err := e.s.Svc.CreateOIDCConnection(context.Background(), e.team.Slug, service.OIDCInput{SPBaseURL: e.s.URL, Issuer: op.Issuer,
		ClientID: "roster", ClientSecret: "s3cret"}, ssoCLI)
	if err != nil {
		t.Fatal(err)
	}
	op.AddClient("roster", "s3cret", conn.RedirectURI())
	e.provision("kim@acme.example")
	op.SignInAs(&ssotest.OIDCUser{Subject: "00u-kim", Email: "kim@acme.example", EmailVerified: true})

	// flow runs login URL → authorization endpoint → callback.
	flow := func(b *browser) (*http.Response, []byte) {
		t.Helper()
		resp, body := b.get(conn.LoginURL())
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), op.Issuer+"/authorize?") {
			t.Fatalf("login URL: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		u, _ := url.Parse(resp.Header.Get("Location"))
		if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" || q.Get("redirect_uri") != conn.RedirectURI() {
			t.Fatalf("authorization request %v", q)
		}
		resp, body = b.get(u.String())
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorization endpoint: %d %s", resp.StatusCode, body)
		}
		return b.get(resp.Header.Get("Location"))
	}
	kim := newBrowser(t)
	resp, body := flow(kim)
	kim.signedIn(e.s.URL, resp, body, "kim@acme.example")

	// A callback with a state Roster never issued.
	resp, body = newBrowser(t).get(conn.RedirectURI() + "?code=x&state=forged")
	e.refused(resp, body, http.StatusBadRequest, service.SSOBadState)
	// An ID token whose nonce is not this sign-in's.
	op.Tamper = func(c map[string]any) { c["nonce"] = "another sign-in's" }
	resp, body = flow(newBrowser(t))
	e.refused(resp, body, http.StatusBadRequest, service.SSOBadNonce)
	op.Tamper = nil
	// email_verified false.
	op.SignInAs(&ssotest.OIDCUser{Subject: "00u-kim", Email: "kim@acme.example", EmailVerified: false})
	resp, body = flow(newBrowser(t))
	e.refused(resp, body, http.StatusForbidden, service.SSOEmailNotVerified)
	// The IdP refuses (access_denied).
	op.SignInAs(nil)
	resp, body = flow(newBrowser(t))
	e.refused(resp, body, http.StatusBadRequest, service.SSOIdPError)
}

// TestSSOTakeoverByPreparedAccount is the attack the identity model
// stops, through the real server: team A's admin prepares an account
// under a victim's email (an invite of team A, accepted by the admin)
// before the victim's first SSO sign-in to team B. The victim's sign-in
// makes a new account; the prepared one never reaches team B.
func TestSSOTakeoverByPreparedAccount(t *testing.T) {
	b := newSSOEnv(t, "Bravo")
	idp := ssotest.NewSAMLIdP(t)
	conn := b.samlConnection(idp)
	b.provision("carol@bravo.example")

	// Team A, whose admin invites carol@bravo.example and accepts it.
	ctx := context.Background()
	teamA, err := b.s.Svc.CreateTeam(ctx, "Alpha", "admin@alpha.example", ssoCLI)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := b.s.Svc.InviteMember(ctx, mustCaller(t, b.s, teamA), "carol@bravo.example", service.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	const squatPW = "the squatter's own password"
	acc, err := b.s.Svc.AcceptInvite(ctx, inv.Token, squatPW, "198.51.100.7", "attacker", time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}

	idp.SignInAs(&ssotest.User{NameID: "carol@bravo.example", Email: "carol@bravo.example"})
	carol := newBrowser(t)
	resp, body, _ := carol.samlSignIn(idp, conn)
	carol.signedIn(b.s.URL, resp, body, "carol@bravo.example")
	_, me := carol.me(b.s.URL)
	if got, _ := me["account"].(map[string]any); got["id"] == acc.Account.ID || got["id"] == nil {
		t.Fatal("the SSO sign-in is the squatter's account")
	}
	// The squatter, signed in with the prepared account, sees team A only.
	sq := newBrowser(t)
	login, _ := json.Marshal(map[string]string{"email": "carol@bravo.example", "password": squatPW})
	req, _ := http.NewRequest("POST", b.s.URL+"/api/v1/auth/login", strings.NewReader(string(login)))
	req.Header.Set("Content-Type", "application/json")
	lr, err := sq.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, lr.Body)
	lr.Body.Close()
	resp, body = sq.get(b.s.URL + "/api/v1/teams/" + b.team.Slug)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the squatter reaches team B: %d %s", resp.StatusCode, body)
	}
}

// mustCaller is the CLI operator acting in team (as roster invite create).
func mustCaller(t *testing.T, s *server, team store.Team) service.Caller {
	t.Helper()
	return service.Caller{Actor: ssoCLI, Team: team, Roles: []string{service.RoleSuperAdmin}}
}
