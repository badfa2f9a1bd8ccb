package service

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// The rules of who signs in through a team's IdP, and as whom, at the
// service: the protocol checks are the SSO edge's (internal/ssoapi and
// internal/ssoproto, with their own attack tests); here the edge's
// verified claims are handed in directly.

type ssoFixture struct {
	t    *testing.T
	ctx  context.Context
	st   store.Store
	svc  *Service
	now  time.Time
	team store.Team
	conn SSOConnection
}

var ssoCLI = Actor{Kind: "cli", Name: "test"}

// newUserRecord is domain.NewUser: a member's stored record.
func newUserRecord(team store.Team, res scim.Resource, source, role string, now time.Time) (store.User, error) {
	return domain.NewUser(team, res, source, role, now)
}

func newSSOFixture(t *testing.T) *ssoFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &ssoFixture{t: t, ctx: ctx, st: st, svc: New(st, nil), now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	f.svc.Now = func() time.Time { return f.now }
	if f.team, err = f.svc.CreateTeam(ctx, "Acme", "admin@acme.example", ssoCLI); err != nil {
		t.Fatal(err)
	}
	f.conn = f.samlConn(f.team.Slug)
	return f
}

// testCert is a self-signed certificate, as an IdP's metadata holds.
func testCert(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (f *ssoFixture) samlConn(slug string) SSOConnection {
	f.t.Helper()
	c, err := f.svc.CreateSAMLConnection(f.ctx, slug, SAMLInput{SPBaseURL: "https://roster.example",
		IdP: SAMLIdP{EntityID: "https://idp.example/" + slug, SSOURL: "https://idp.example/sso", Certs: [][]byte{testCert(f.t)}}}, ssoCLI)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// passwordAccount makes an account with a password the person chose.
func (f *ssoFixture) passwordAccount(email string) store.Account {
	f.t.Helper()
	old := PasswordParams
	PasswordParams = Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	defer func() { PasswordParams = old }()
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		f.t.Fatal(err)
	}
	a := store.Account{ID: NewID(), Email: email, PasswordHash: hash, Created: f.now, Updated: f.now}
	if err := f.st.Tx(f.ctx, func(tx store.Tx) error { return tx.CreateAccount(f.ctx, a) }); err != nil {
		f.t.Fatal(err)
	}
	return a
}

// member adds a member straight through the store, active or not,
// linked to accountID ("" for none).
func (f *ssoFixture) member(team store.Team, email string, active bool, roles string, accountID string) store.User {
	f.t.Helper()
	u, err := newUserRecord(team, scim.Resource{"userName": email, "active": active,
		"emails": []any{map[string]any{"value": email, "type": "work", "primary": true}}}, store.SourceSCIM, roles, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	u.AccountID = accountID
	if err := f.st.Tx(f.ctx, func(tx store.Tx) error { return tx.CreateUser(f.ctx, u) }); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// signIn is an answer the edge verified, arriving at conn (state: the
// token of a sign-in Roster started, or "" for IdP-initiated).
func (f *ssoFixture) signIn(conn SSOConnection, state, subject, email string) (SSOResult, error) {
	f.t.Helper()
	f.now = f.now.Add(time.Millisecond) // traces in order
	a, err := f.svc.ReceiveAnswer(f.ctx, conn.ID, state, SSOMeta{IP: "192.0.2.9"})
	if err != nil {
		return SSOResult{}, err
	}
	return f.svc.CompleteSignIn(f.ctx, a, SSOClaims{Subject: subject, Email: email, Detail: map[string]any{"issuer": "test"}}, time.Hour)
}

// refused checks err is a refused sign-in with code, whose trace says so.
func (f *ssoFixture) refused(err error, code string) *SSOFailure {
	f.t.Helper()
	fl, ok := AsSSOFailure(err)
	if !ok {
		f.t.Fatalf("got %v, want a refused sign-in %s", err, code)
	}
	if fl.Code != code {
		f.t.Fatalf("refused with %s (%v), want %s", fl.Code, fl.Err, code)
	}
	var tr store.SSOTrace
	terr := store.ErrNotFound
	teams, _ := f.st.ListTeams(f.ctx)
	for _, tm := range teams {
		if x, err := f.st.SSOTrace(f.ctx, tm.ID, fl.TraceID); err == nil {
			tr, terr = x, nil
		}
	}
	if fl.TraceID != "" && (terr != nil || tr.Error != code || tr.Outcome != store.SSOFailure) {
		f.t.Fatalf("trace %s of the refusal: %+v, %v", fl.TraceID, tr, terr)
	}
	return fl
}

func TestSSOWhoGetsIn(t *testing.T) {
	f := newSSOFixture(t)
	ana := f.member(f.team, "ana@acme.example", true, RoleDeveloper, "")
	f.member(f.team, "bo@acme.example", false, RoleDeveloper, "")
	f.member(f.team, "dup@acme.example", true, RoleDeveloper, "")
	dup2, _ := newUserRecord(f.team, scim.Resource{"userName": "other-dup", "active": true,
		"emails": []any{map[string]any{"value": "dup@acme.example"}}}, store.SourceSCIM, RoleDeveloper, f.now)
	if err := f.st.Tx(f.ctx, func(tx store.Tx) error { return tx.CreateUser(f.ctx, dup2) }); err != nil {
		t.Fatal(err)
	}
	åsa := f.member(f.team, "Åsa@acme.example", true, RoleDeveloper, "")

	for _, c := range []struct{ email, code string }{
		{"carol@acme.example", SSOUnknownMember},
		{"bo@acme.example", SSOMemberDeactivated},
		{"dup@acme.example", SSOAmbiguousMember},
		{"", SSOMissingEmail},
		{"not an email", SSOMissingEmail},
	} {
		_, err := f.signIn(f.conn, "", "sub-"+c.email, c.email)
		fl := f.refused(err, c.code)
		if fl.TraceID == "" {
			t.Errorf("%s: the refusal has no trace reference", c.email)
		}
		if _, err := f.st.SSOIdentity(f.ctx, f.conn.ID, "sub-"+c.email); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: a refused sign-in left an identity: %v", c.email, err)
		}
	}
	if _, err := f.signIn(f.conn, "", "", "ana@acme.example"); err != nil {
		f.refused(err, SSOMissingSubject)
	} else {
		t.Fatal("a sign-in without a subject was accepted")
	}

	// Ana, matched case-insensitively (Unicode-folded), signs in.
	res, err := f.signIn(f.conn, "", "00u-ana", "ANA@Acme.Example")
	if err != nil {
		t.Fatal(err)
	}
	if res.Member.ID != ana.ID || !res.Linked || res.Created || res.Session.Token == "" || res.TraceID == "" {
		t.Fatalf("ana's sign-in: %+v", res)
	}
	if _, err := f.st.AccountByEmail(f.ctx, "ana@acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the SSO account is found by email (%v): SSO accounts have no login name", err)
	}
	acc, sess, err := f.svc.AuthenticateSession(f.ctx, res.Session.Token)
	if err != nil || acc.ID != res.Account.ID || acc.Email != "ANA@Acme.Example" {
		t.Fatalf("the SSO session: %+v, %v", acc, err)
	}
	tc, err := f.svc.TeamCaller(f.ctx, Caller{Account: acc, SessionHash: sess.TokenHash}, f.team.Slug)
	if err != nil || tc.Member.ID != ana.ID {
		t.Fatalf("the SSO session reaches the team as %+v, %v", tc.Member, err)
	}
	again, err := f.signIn(f.conn, "", "00u-ana", "ana@acme.example")
	if err != nil || again.Account.ID != res.Account.ID || again.Linked {
		t.Fatalf("second sign-in: %+v, %v; want the same account, no new link", again, err)
	}
	if a, _ := f.st.Account(f.ctx, res.Account.ID); a.Email != "ana@acme.example" {
		t.Errorf("the SSO account shows %q, want the email asserted last", a.Email)
	}
	if res, err := f.signIn(f.conn, "", "00u-asa", "åSA@ACME.EXAMPLE"); err != nil || res.Member.ID != åsa.ID {
		t.Errorf("Åsa, asserted in another case: %+v, %v", res.Member, err)
	}
	// A new subject for Ana (her IdP user was recreated): her account,
	// which only this team's IdPs reach, is adopted.
	if res2, err := f.signIn(f.conn, "", "00u-ana-2", "ana@acme.example"); err != nil || res2.Account.ID != res.Account.ID {
		t.Errorf("a new subject for ana: %+v, %v; want her account", res2.Account, err)
	}
	// A member who signs in with a password is not adopted.
	bea := f.passwordAccount("bea@acme.example")
	f.member(f.team, "bea@acme.example", true, RoleDeveloper, bea.ID)
	_, err = f.signIn(f.conn, "", "00u-bea", "bea@acme.example")
	f.refused(err, SSOMemberLinked)

	// Traces: newest first, each with its outcome.
	trs, err := f.svc.SSOTraces(f.ctx, f.team.Slug, 0)
	if err != nil || len(trs) < 9 || trs[0].Error != SSOMemberLinked || trs[1].Outcome != store.SSOSuccess {
		t.Fatalf("traces: %d, %v; first %+v", len(trs), err, trs[0])
	}

	// Domains.
	if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{Domains: &[]string{"b.example", "@Acme.Example."}}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	f.member(f.team, "dan@c.example", true, RoleDeveloper, "")
	_, err = f.signIn(f.conn, "", "00u-dan", "dan@c.example")
	f.refused(err, SSODomainNotAllowed)
	if _, err := f.signIn(f.conn, "", "00u-ana", "ana@acme.example"); err != nil {
		t.Errorf("ana, in an allowed domain: %v", err)
	}
	for _, bad := range []string{"not a domain", "a..b", "-a.example", "éa.example", "localhost"} {
		if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{Domains: &[]string{bad}}, ssoCLI); err == nil {
			t.Errorf("domain %q accepted", bad)
		}
	}

	// A disabled connection refuses every sign-in: started, answered, or
	// IdP-initiated.
	off := false
	if _, err := f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, f.conn.ID, SSOConnectionPatch{Enabled: &off}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BeginSignIn(f.ctx, f.conn.ID, "", SSOMeta{}); err == nil {
		t.Error("a sign-in started at a disabled connection")
	} else {
		f.refused(err, SSOConnectionDisabled)
	}
	_, err = f.signIn(f.conn, "", "00u-ana", "ana@acme.example")
	f.refused(err, SSOConnectionDisabled)
	// Disabled between the answer's arrival and its completion.
	on := true
	f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, f.conn.ID, SSOConnectionPatch{Enabled: &on}, ssoCLI)
	a, err := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, "", SSOMeta{})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, f.conn.ID, SSOConnectionPatch{Enabled: &off}, ssoCLI)
	_, err = f.svc.CompleteSignIn(f.ctx, a, SSOClaims{Subject: "00u-ana", Email: "ana@acme.example"}, time.Hour)
	f.refused(err, SSOConnectionDisabled)
}

// TestSSONeverAttachesByEmail is the takeover the identity model exists to
// stop, in its SSO form: team A's admin prepares an account under a
// victim's email (by inviting it to team A and accepting the invite
// themself) before the victim's first SSO sign-in to team B. The sign-in
// makes a new account for the victim; the prepared one gains nothing of B.
func TestSSONeverAttachesByEmail(t *testing.T) {
	f := newSSOFixture(t)
	teamA, err := f.svc.CreateTeam(f.ctx, "Initech", "admin@initech.example", ssoCLI)
	if err != nil {
		t.Fatal(err)
	}
	// The squatter's account, named carol@acme.example, a member of A only.
	squat, err := f.passwordAccount("carol@acme.example"), error(nil)
	f.member(teamA, "carol@acme.example", true, RoleDeveloper, squat.ID)
	carolB := f.member(f.team, "carol@acme.example", true, RoleDeveloper, "")

	res, err := f.signIn(f.conn, "", "00u-carol", "carol@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if res.Account.ID == squat.ID {
		t.Fatal("the SSO sign-in attached team B's member to the account found by email")
	}
	if u, _ := f.st.User(f.ctx, f.team.ID, carolB.ID); u.AccountID != res.Account.ID {
		t.Errorf("team B's carol is linked to %q, want the new SSO account %q", u.AccountID, res.Account.ID)
	}
	teams, _ := f.svc.AccountTeams(f.ctx, squat)
	if len(teams) != 1 || teams[0].Team.ID != teamA.ID {
		t.Errorf("the squatter's account reaches %d teams, want team A only", len(teams))
	}
	if _, err := f.svc.TeamCaller(f.ctx, Caller{Account: squat}, f.team.Slug); err == nil {
		t.Error("the squatter's account reaches team B")
	}
	// Nor does the squatter's own IdP, at team A, reach the victim's
	// account: team A's connection knows nothing of team B's member.
	connA := f.samlConn(teamA.Slug)
	resA, err := f.signIn(connA, "", "00u-carol", "carol@acme.example")
	if err != nil {
		f.refused(err, SSOMemberLinked) // A's member is the squatter's
	} else if resA.Account.ID == res.Account.ID {
		t.Error("team A's IdP signed in as the victim's SSO account")
	}
}

// TestSSOLinks: a member who signs in with a password is refused until
// they link the connection from their signed-in account (an explicit
// link); then SSO signs in as that account. An IdP subject already
// linked can't be linked to another account; a second connection of the
// same team (an IdP migration) adopts the account the first one made.
func TestSSOLinks(t *testing.T) {
	f := newSSOFixture(t)
	pw := f.passwordAccount("erin@acme.example")
	erin := f.member(f.team, "erin@acme.example", true, RoleDeveloper, pw.ID)
	_, err := f.signIn(f.conn, "", "00u-erin", "erin@acme.example")
	f.refused(err, SSOMemberLinked)

	st, err := f.svc.BeginSignIn(f.ctx, f.conn.ID, pw.ID, SSOMeta{})
	if err != nil || st.RequestID == "" || st.State == "" {
		t.Fatalf("BeginSignIn: %+v, %v", st, err)
	}
	res, err := f.signIn(f.conn, st.State, "00u-erin", "erin@acme.example")
	if err != nil || res.Account.ID != pw.ID || res.Member.ID != erin.ID {
		t.Fatalf("the explicit link: %+v, %v", res, err)
	}
	if res, err := f.signIn(f.conn, "", "00u-erin", "erin@acme.example"); err != nil || res.Account.ID != pw.ID {
		t.Fatalf("a sign-in after the link: %+v, %v; want the password account", res, err)
	}
	// The same subject can't then be linked to yet another account.
	other := f.passwordAccount("frank@acme.example")
	st2, _ := f.svc.BeginSignIn(f.ctx, f.conn.ID, other.ID, SSOMeta{})
	_, err = f.signIn(f.conn, st2.State, "00u-erin", "erin@acme.example")
	f.refused(err, SSOIdentityLinked)

	// IdP migration: gina signed in through the first connection; the
	// second connection's first sign-in reaches the same account.
	f.member(f.team, "gina@acme.example", true, RoleDeveloper, "")
	first, err := f.signIn(f.conn, "", "00u-gina", "gina@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	conn2 := f.samlConn(f.team.Slug)
	second, err := f.signIn(conn2, "", "gina-at-entra", "gina@acme.example")
	if err != nil || second.Account.ID != first.Account.ID {
		t.Fatalf("the second connection: %+v, %v; want the first one's account", second.Account, err)
	}
}

func TestSSOState(t *testing.T) {
	f := newSSOFixture(t)
	st, err := f.svc.BeginSignIn(f.ctx, f.conn.ID, "", SSOMeta{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, st.State, SSOMeta{})
	if err != nil || a.State == nil || a.State.RequestID != st.RequestID {
		t.Fatalf("the state of a started sign-in: %+v, %v", a.State, err)
	}
	if a, _ := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, st.State, SSOMeta{}); a.State != nil {
		t.Error("a state was taken twice")
	}
	conn2 := f.samlConn(f.team.Slug)
	st2, _ := f.svc.BeginSignIn(f.ctx, conn2.ID, "", SSOMeta{})
	if a, _ := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, st2.State, SSOMeta{}); a.State != nil {
		t.Error("another connection's state was accepted")
	}
	st3, _ := f.svc.BeginSignIn(f.ctx, f.conn.ID, "", SSOMeta{})
	f.now = f.now.Add(11 * time.Minute)
	if a, _ := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, st3.State, SSOMeta{}); a.State != nil {
		t.Error("an expired state was accepted")
	}
	// The replay store.
	if replayed, err := f.svc.UseAssertionID(f.ctx, a, "_a1", f.now.Add(5*time.Minute)); replayed || err != nil {
		t.Fatalf("first use: %v, %v", replayed, err)
	}
	if replayed, err := f.svc.UseAssertionID(f.ctx, a, "_a1", f.now.Add(5*time.Minute)); !replayed || err != nil {
		t.Fatalf("second use: %v, %v; want a replay", replayed, err)
	}
}

func TestSSOJustInTime(t *testing.T) {
	f := newSSOFixture(t)
	_, err := f.signIn(f.conn, "", "00u-hal", "hal@acme.example")
	f.refused(err, SSOUnknownMember)
	on := true
	if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{JIT: &on}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	a, _ := f.svc.ReceiveAnswer(f.ctx, f.conn.ID, "", SSOMeta{})
	res, err := f.svc.CompleteSignIn(f.ctx, a, SSOClaims{Subject: "00u-hal", Email: "hal@acme.example", FirstName: "Hal", LastName: "Jordan"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Member.Source != store.SourceSSO || res.Member.Role != RoleDeveloper || !res.Member.Active {
		t.Fatalf("the JIT member: %+v", res.Member)
	}
	var attrs map[string]any
	json.Unmarshal(res.Member.Attrs, &attrs)
	if attrs["displayName"] != "Hal Jordan" {
		t.Errorf("the JIT member's attributes: %v", attrs)
	}
	evs, _ := f.st.QueryAudit(f.ctx, f.team.ID, store.AuditQuery{ActionPrefix: "user.create", TargetType: "user", TargetID: res.Member.ID})
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Actor, "sso:") {
		t.Errorf("audit of the JIT member: %+v", evs)
	}
	// The seat limit holds.
	limit := 2 // the team's first admin (unlinked) and Hal
	if _, err := f.svc.SetTeamPolicies(f.ctx, f.team.Slug, &limit, nil, ssoCLI); err != nil {
		t.Fatal(err)
	}
	_, err = f.signIn(f.conn, "", "00u-ivy", "ivy@acme.example")
	f.refused(err, SSOSeatLimit)
	if users, _ := f.st.MembersByEmail(f.ctx, f.team.ID, "ivy@acme.example"); len(users) != 0 {
		t.Error("a refused JIT sign-in left a member")
	}
}

func TestSSOEmailVerified(t *testing.T) {
	f := newSSOFixture(t)
	f.member(f.team, "kim@acme.example", true, RoleDeveloper, "")
	oc, err := f.svc.CreateOIDCConnection(f.ctx, f.team.Slug, OIDCInput{SPBaseURL: "https://roster.example", Issuer: "https://idp.example",
		ClientID: "roster", ClientSecret: "s3cret"}, ssoCLI)
	if err != nil {
		t.Fatal(err)
	}
	no, yes := false, true
	for _, c := range []struct {
		verified *bool
		ok       bool
	}{{nil, false}, {&no, false}, {&yes, true}} {
		a, _ := f.svc.ReceiveAnswer(f.ctx, oc.ID, "", SSOMeta{})
		_, err := f.svc.CompleteSignIn(f.ctx, a, SSOClaims{Subject: "kim", Email: "kim@acme.example", EmailVerified: c.verified}, time.Hour)
		if c.ok && err != nil {
			t.Errorf("email_verified %v: %v", c.verified, err)
		}
		if !c.ok {
			f.refused(err, SSOEmailNotVerified)
		}
	}
	if _, err := f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, oc.ID, SSOConnectionPatch{TrustEmail: &yes}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	a, _ := f.svc.ReceiveAnswer(f.ctx, oc.ID, "", SSOMeta{})
	if _, err := f.svc.CompleteSignIn(f.ctx, a, SSOClaims{Subject: "kim", Email: "kim@acme.example", EmailVerified: &no}, time.Hour); err != nil {
		t.Errorf("a connection that trusts the IdP's emails: %v", err)
	}
}

// TestSSOSessionEndsOnDeactivation: deactivating a member (over SCIM)
// ends the sessions their IdP opened, at their next request, even when
// the member was reactivated in between; a password session of the same
// account loses the team (the member is deactivated) but not its other
// teams.
func TestSSOSessionEndsOnDeactivation(t *testing.T) {
	f := newSSOFixture(t)
	lee := f.member(f.team, "lee@acme.example", true, RoleDeveloper, "")
	if _, err := f.svc.SetSCIM(f.ctx, f.team.Slug, true, ssoCLI); err != nil {
		t.Fatal(err)
	}
	k, err := f.svc.CreateKey(f.ctx, f.team.Slug, "okta", nil, ssoCLI)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(f.ctx, k.Token, "")
	if err != nil {
		t.Fatal(err)
	}
	setActive := func(on bool) {
		t.Helper()
		ops := []scim.PatchOperation{{Op: "replace", Value: map[string]any{"active": on}}}
		if _, err := f.svc.PatchUser(f.ctx, p, Actor{Kind: "scim-key", Name: "okta"}, lee.ID, "", ops); err != nil {
			t.Fatal(err)
		}
	}
	s1, err := f.signIn(f.conn, "", "00u-lee", "lee@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := f.signIn(f.conn, "", "00u-lee", "lee@acme.example")
	f.now = f.now.Add(time.Second)
	setActive(false)
	if _, _, err := f.svc.AuthenticateSession(f.ctx, s1.Session.Token); err == nil {
		t.Fatal("an SSO session outlived its member's deactivation")
	}
	if _, err := f.st.SessionByHash(f.ctx, s2.Session.Session.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the member's other SSO session: %v, want it ended too", err)
	}
	// Deactivated then reactivated before the session's next use.
	f.now = f.now.Add(time.Second)
	setActive(true)
	s3, err := f.signIn(f.conn, "", "00u-lee", "lee@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	setActive(false)
	setActive(true)
	if _, _, err := f.svc.AuthenticateSession(f.ctx, s3.Session.Token); err == nil {
		t.Fatal("an SSO session survived a deactivation followed by a reactivation")
	}
	evs, _ := f.st.QueryAudit(f.ctx, f.team.ID, store.AuditQuery{ActionPrefix: "sso.session.end"})
	if len(evs) != 2 {
		t.Errorf("%d sso.session.end audit events, want 2", len(evs))
	}
}

// TestSSORequireSSO: a team that requires SSO lets in its members only
// with a session its own IdP opened; its Super Admins keep their
// passwords (break-glass).
func TestSSORequireSSO(t *testing.T) {
	f := newSSOFixture(t)
	pw := f.passwordAccount("max@acme.example")
	max := f.member(f.team, "max@acme.example", true, RoleDeveloper, pw.ID)
	boss := f.passwordAccount("boss@acme.example")
	f.member(f.team, "boss@acme.example", true, RoleSuperAdmin, boss.ID)
	nat := f.member(f.team, "nat@acme.example", true, RoleDeveloper, "")
	login := func(email string) Caller {
		t.Helper()
		res, err := f.svc.Login(f.ctx, email, "correct horse battery staple", "", "", time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		return Caller{Account: res.Account, SessionHash: res.Session.Session.TokenHash}
	}
	maxPW, bossPW := login("max@acme.example"), login("boss@acme.example")
	if _, err := f.svc.TeamCaller(f.ctx, maxPW, f.team.Slug); err != nil {
		t.Fatalf("before require-SSO: %v", err)
	}
	on := true
	if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{RequireSSO: &on}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.TeamCaller(f.ctx, maxPW, f.team.Slug); err == nil {
		t.Error("a password session reached a team that requires SSO")
	} else if e, _ := AsError(err); e.Kind != KindForbidden || !strings.Contains(e.Message, "requires single sign-on") {
		t.Errorf("the refusal: %v", err)
	}
	if _, err := f.svc.TeamCaller(f.ctx, Caller{Account: pw}, f.team.Slug); err == nil {
		t.Error("a personal API token reached a team that requires SSO")
	}
	if _, err := f.svc.TeamCaller(f.ctx, bossPW, f.team.Slug); err != nil {
		t.Errorf("a Super Admin's password (break-glass): %v", err)
	}
	res, err := f.signIn(f.conn, "", "00u-nat", "nat@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if tc, err := f.svc.TeamCaller(f.ctx, Caller{Account: res.Account, SessionHash: res.Session.Session.TokenHash}, f.team.Slug); err != nil || tc.Member.ID != nat.ID {
		t.Errorf("an SSO session: %v", err)
	}
	_ = max
	// The last enabled connection can't go while SSO is required.
	off := false
	if _, err := f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, f.conn.ID, SSOConnectionPatch{Enabled: &off}, ssoCLI); err == nil {
		t.Error("the last enabled connection was disabled while SSO is required")
	}
	if err := f.svc.DeleteSSOConnection(f.ctx, f.team.Slug, f.conn.ID, ssoCLI); err == nil {
		t.Error("the last enabled connection was deleted while SSO is required")
	}
	// A team without connections can't require SSO.
	other, _ := f.svc.CreateTeam(f.ctx, "Empty", "admin@empty.example", ssoCLI)
	if _, err := f.svc.SetSSOPolicy(f.ctx, other.Slug, SSOPolicyPatch{RequireSSO: &on}, ssoCLI); err == nil {
		t.Error("require-SSO without a connection")
	}
}

// TestSSOSettingsRules: only a Super Admin (or the CLI) changes SSO
// settings, and bad settings are refused whole.
func TestSSOSettingsRules(t *testing.T) {
	f := newSSOFixture(t)
	admin := Actor{Kind: "account", Name: "admin@acme.example"} // an Admin: no Super Admin mark
	if _, err := f.svc.CreateSAMLConnection(f.ctx, f.team.Slug, SAMLInput{SPBaseURL: "https://roster.example",
		IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso", Certs: [][]byte{testCert(t)}}}, admin); err == nil {
		t.Error("a plain Admin created an SSO connection")
	}
	on := true
	if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{JIT: &on}, admin); err == nil {
		t.Error("a plain Admin changed the SSO policy")
	}
	cert := testCert(t)
	for name, in := range map[string]SAMLInput{
		"no cert":        {SPBaseURL: "https://r.example", IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso"}},
		"three certs":    {SPBaseURL: "https://r.example", IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso", Certs: [][]byte{testCert(t), testCert(t), testCert(t)}}},
		"bad cert":       {SPBaseURL: "https://r.example", IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso", Certs: [][]byte{[]byte("nope")}}},
		"http sso url":   {SPBaseURL: "https://r.example", IdP: SAMLIdP{EntityID: "x", SSOURL: "http://idp.example/sso", Certs: [][]byte{cert}}},
		"no entity":      {SPBaseURL: "https://r.example", IdP: SAMLIdP{SSOURL: "https://idp.example/sso", Certs: [][]byte{cert}}},
		"bad base":       {SPBaseURL: "https://r.example/path", IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso", Certs: [][]byte{cert}}},
		"unknown preset": {SPBaseURL: "https://r.example", Preset: "ping", IdP: SAMLIdP{EntityID: "x", SSOURL: "https://idp.example/sso", Certs: [][]byte{cert}}},
	} {
		if _, err := f.svc.CreateSAMLConnection(f.ctx, f.team.Slug, in, ssoCLI); err == nil {
			t.Errorf("%s: accepted", name)
		} else if e, ok := AsError(err); !ok || e.Kind != KindInvalid {
			t.Errorf("%s: %v, want a 400", name, err)
		}
	}
	conns, _ := f.svc.ListSSOConnections(f.ctx, f.team.Slug)
	if len(conns) != 1 || !conns[0].IsDefault {
		t.Fatalf("connections after refusals: %d", len(conns))
	}
	// A loopback http IdP (development) is fine; a second connection is
	// not the default until made so.
	dev, err := f.svc.CreateSAMLConnection(f.ctx, f.team.Slug, SAMLInput{SPBaseURL: "http://127.0.0.1:8080", Preset: "okta",
		IdP: SAMLIdP{EntityID: "x", SSOURL: "http://127.0.0.1:9999/sso", Certs: [][]byte{cert}}}, ssoCLI)
	if err != nil || dev.IsDefault || dev.Name != "Okta" || dev.ACSURL() != "http://127.0.0.1:8080/sso/saml/"+dev.ID+"/acs" {
		t.Fatalf("a loopback connection: %+v, %v", dev, err)
	}
	if _, err := f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, dev.ID, SSOConnectionPatch{Default: &on}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	conns, _ = f.svc.ListSSOConnections(f.ctx, f.team.Slug)
	for _, c := range conns {
		if c.IsDefault != (c.ID == dev.ID) {
			t.Errorf("after making the second default: %s default=%v", c.Name, c.IsDefault)
		}
	}
	// Another team's connection is not found through this team.
	other, _ := f.svc.CreateTeam(f.ctx, "Globex", "admin@globex.example", ssoCLI)
	if _, err := f.svc.GetSSOConnection(f.ctx, other.Slug, f.conn.ID); err == nil {
		t.Error("acme's connection was found through globex")
	}
	if err := f.svc.DeleteSSOConnection(f.ctx, other.Slug, f.conn.ID, ssoCLI); err == nil {
		t.Error("acme's connection was deleted through globex")
	}
	// OIDC-only and SAML-only settings.
	if _, err := f.svc.UpdateSSOConnection(f.ctx, f.team.Slug, f.conn.ID, SSOConnectionPatch{TrustEmail: &on}, ssoCLI); err == nil {
		t.Error("trust_email set on a SAML connection")
	}
}

// TestSSOChooseSignIn: the sign-in page finds a team by its slug or by the
// one team that allows the email's domain, and reveals nothing else.
func TestSSOChooseSignIn(t *testing.T) {
	f := newSSOFixture(t)
	if _, err := f.svc.SetSSOPolicy(f.ctx, f.team.Slug, SSOPolicyPatch{Domains: &[]string{"acme.example", "shared.example"}}, ssoCLI); err != nil {
		t.Fatal(err)
	}
	other, _ := f.svc.CreateTeam(f.ctx, "Globex", "admin@globex.example", ssoCLI)
	f.samlConn(other.Slug)
	f.svc.SetSSOPolicy(f.ctx, other.Slug, SSOPolicyPatch{Domains: &[]string{"shared.example"}}, ssoCLI)
	if c, err := f.svc.ChooseSignIn(f.ctx, "ana@ACME.example", ""); err != nil || c.Connection.ID != f.conn.ID {
		t.Errorf("by domain: %+v, %v", c.Connection.ID, err)
	}
	if _, err := f.svc.ChooseSignIn(f.ctx, "ana@shared.example", ""); err == nil {
		t.Error("a domain two teams allow chose one")
	}
	if c, err := f.svc.ChooseSignIn(f.ctx, "ana@shared.example", "GLOBEX"); err != nil || c.Team.ID != other.ID {
		t.Errorf("by slug: %+v, %v", c.Team.Slug, err)
	}
	noSSO, _ := f.svc.CreateTeam(f.ctx, "Plain", "admin@plain.example", ssoCLI)
	_, e1 := f.svc.ChooseSignIn(f.ctx, "", noSSO.Slug)
	_, e2 := f.svc.ChooseSignIn(f.ctx, "", "no-such-team")
	if e1 == nil || e2 == nil || e1.Error() != strings.Replace(e2.Error(), "no-such-team", noSSO.Slug, 1) {
		t.Errorf("a team without SSO and no team answer alike: %v / %v", e1, e2)
	}
}
