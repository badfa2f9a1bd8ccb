package sso

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Meta is who is signing in, as the edge sees them.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
}

// Failure is a refused sign-in: the domain error the edge renders, the
// typed code and the trace that records it (the reference the person is
// given). A failure before the team is known has no trace.
type Failure struct {
	Code    string
	TraceID string
	Err     *domain.Error
}

func (f *Failure) Error() string { return f.Code + ": " + f.Err.Error() }

func (f *Failure) Unwrap() error { return f.Err }

// AsFailure reports whether err is a refused sign-in.
func AsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}

// Verdict is the edge's account of what the IdP's answer failed: a code
// (one of Codes), a message for the team's admins, and the redacted
// protocol fields the trace keeps.
type Verdict struct {
	Code    string
	Message string
	Email   string
	Subject string
	Detail  map[string]any
}

// refusal is a sign-in refused by a rule of this package, inside the
// transaction: it becomes a Failure with its trace once the transaction
// has rolled back.
type refusal struct {
	v    Verdict
	kind domain.Kind
}

func (r *refusal) Error() string { return r.v.Code + ": " + r.v.Message }

func refuse(kind domain.Kind, code, format string, args ...any) *refusal {
	return &refusal{v: Verdict{Code: code, Message: fmt.Sprintf(format, args...)}, kind: kind}
}

// Start is a sign-in Roster starts: the state token the IdP hands back
// (SAML RelayState, OIDC state) and what goes in the request to the IdP.
type Start struct {
	Connection Connection
	State      string
	RequestID  string // SAML AuthnRequest ID
	Nonce      string // OIDC
	Verifier   string // OIDC PKCE code verifier (its S256 challenge goes to the IdP)
}

// BeginSignIn starts a sign-in through a connection: the state is stored
// (shared by every replica) until the IdP answers or StateTTL passes.
// linkAccount, when set, is a signed-in account asking to be linked to
// this connection (and its member of the connection's team).
func (s *Service) BeginSignIn(ctx context.Context, connectionID, linkAccount string, m Meta) (Start, error) {
	c, err := s.SSOConnectionByID(ctx, connectionID)
	if err != nil {
		return Start{}, err
	}
	if !c.Enabled {
		return Start{}, s.fail(ctx, c, m, Verdict{Code: CodeConnectionDisabled, Message: "sign-in started at a disabled connection"}, domain.KindForbidden)
	}
	st := Start{Connection: c, State: domain.RandomSecret("")}
	if c.SAML != nil {
		// An xs:ID starts with a letter or an underscore.
		st.RequestID = "id-" + strings.ReplaceAll(domain.NewID(), "-", "")
	} else {
		st.Nonce, st.Verifier = domain.RandomSecret(""), domain.RandomSecret("")+domain.RandomSecret("")
	}
	now := s.env.Now()
	rec := store.SSOLoginState{Hash: domain.HashToken(st.State), TeamID: c.TeamID, ConnectionID: c.ID, RequestID: st.RequestID,
		Nonce: st.Nonce, Verifier: st.Verifier, LinkAccount: linkAccount, Created: now, Expires: now.Add(s.StateTTL)}
	err = s.st.Tx(ctx, func(tx Tx) error {
		if err := tx.DeleteExpiredSSOLoginStates(ctx, now); err != nil {
			return err
		}
		return tx.CreateSSOLoginState(ctx, rec)
	})
	return st, err
}

// Answer is an IdP's answer arriving at a connection, before the edge
// checks its protocol: the connection, and the sign-in Roster started that
// it answers (nil when there is none: IdP-initiated, or a state that is
// unknown, expired or already used).
type Answer struct {
	Connection Connection
	State      *store.SSOLoginState
	Meta       Meta
}

// ReceiveAnswer is the first step of every IdP answer: the connection
// must exist and be enabled (a disabled one refuses every sign-in,
// IdP-initiated ones included), and the state token, if any, is taken:
// each works once, for its own connection, before it expires.
func (s *Service) ReceiveAnswer(ctx context.Context, connectionID, stateToken string, m Meta) (Answer, error) {
	c, err := s.SSOConnectionByID(ctx, connectionID)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Connection: c, Meta: m}
	if !c.Enabled {
		return a, s.fail(ctx, c, m, Verdict{Code: CodeConnectionDisabled, Message: "an answer from the IdP arrived at a disabled connection"}, domain.KindForbidden)
	}
	if stateToken == "" || len(stateToken) > 512 {
		return a, nil
	}
	var st store.SSOLoginState
	err = s.st.Tx(ctx, func(tx Tx) error {
		var err error
		st, err = tx.TakeSSOLoginState(ctx, domain.HashToken(stateToken))
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a, nil
	case err != nil:
		return a, err
	case st.ConnectionID != c.ID || !st.Expires.After(s.env.Now()):
		return a, nil
	}
	a.State = &st
	return a, nil
}

// UseAssertionID records an assertion id of the answer's connection in the
// replay store until expires; replayed is true when it was already there.
func (s *Service) UseAssertionID(ctx context.Context, a Answer, assertionID string, expires time.Time) (replayed bool, err error) {
	if assertionID == "" || len(assertionID) > 512 {
		return false, domain.BadRequest("", "an assertion id must be 1 to 512 bytes")
	}
	now := s.env.Now()
	if !expires.After(now) {
		expires = now.Add(time.Minute)
	}
	err = s.st.Tx(ctx, func(tx Tx) error { return tx.UseSSOAssertion(ctx, a.Connection.ID, assertionID, expires, now) })
	if errors.Is(err, store.ErrConflict) {
		return true, nil
	}
	return false, err
}

// FailSignIn records an answer the edge refused (its protocol check
// failed) and returns the Failure to render.
func (s *Service) FailSignIn(ctx context.Context, a Answer, v Verdict) error {
	kind := domain.KindInvalid
	if v.Code == CodeConnectionDisabled || v.Code == CodeUnsolicited {
		kind = domain.KindForbidden
	}
	if v.Code == CodeIdPUnreachable || v.Code == CodeInternal {
		kind = domain.KindUnavailable
	}
	return s.fail(ctx, a.Connection, a.Meta, v, kind)
}

// publicMessages are what the person signing in reads; the trace keeps
// the detail for the team's admins.
var publicMessages = map[domain.Kind]string{
	domain.KindInvalid:     "Your identity provider's answer could not be accepted.",
	domain.KindForbidden:   "Your identity provider signed you in, but Roster can't let you into this team.",
	domain.KindConflict:    "Your identity provider signed you in, but Roster can't let you into this team.",
	domain.KindUnavailable: "Roster could not complete the sign-in with your identity provider.",
}

// fail writes the trace of a refused sign-in (in a transaction of its
// own) and returns its Failure.
func (s *Service) fail(ctx context.Context, c Connection, m Meta, v Verdict, kind domain.Kind) error {
	if _, ok := Codes[v.Code]; !ok {
		v.Code = CodeInternal
	}
	msg := publicMessages[kind]
	if msg == "" {
		msg = publicMessages[domain.KindInvalid]
	}
	f := &Failure{Code: v.Code, Err: &domain.Error{Kind: kind, Message: fmt.Sprintf("%s (%s: %s)", msg, v.Code, Codes[v.Code])}}
	tr := s.trace(c, m, store.SSOFailure, v)
	err := s.st.Tx(ctx, func(tx Tx) error { return s.appendTrace(ctx, tx, tr) })
	if err != nil {
		s.env.Log().ErrorContext(ctx, "sso: writing a sign-in trace failed", "team", c.TeamID, "connection", c.ID, "err", err.Error())
	} else {
		f.TraceID = tr.ID
	}
	return f
}

// Claims is what the edge verified of an IdP's answer.
type Claims struct {
	// Subject is the IdP's identifier of the person: the SAML NameID (or
	// the OIDC sub claim), stable for this connection.
	Subject string
	// Email is the asserted email: NameID in emailAddress format or the
	// mapped attribute (SAML), the mapped claim (OIDC).
	Email string
	// EmailVerified is OIDC's email_verified (nil when absent; SAML IdPs
	// assert emails they hold).
	EmailVerified *bool
	FirstName     string
	LastName      string
	// Detail holds the redacted protocol fields the trace keeps.
	Detail map[string]any
}

// Session is a session an SSO sign-in opened: the cookie token (shown
// once) and its record.
type Session struct {
	Token   string
	Session store.Session
}

// Result is a successful sign-in.
type Result struct {
	Team    store.Team
	Member  store.User
	Account store.Account
	Session Session
	TraceID string
	// Linked says this sign-in linked the member to the account (the
	// first through this connection, or an explicit link).
	Linked bool
	// Created says a just-in-time member was created.
	Created bool
}

// CompleteSignIn applies the rules of who gets in to what the edge
// verified, in one transaction: the email is matched (case-folded)
// against the active members of the connection's team only; the account
// is the one known by (connection, subject), created on the first
// sign-in and never found by email; the member is linked to it; a session
// opens. Every outcome is traced.
func (s *Service) CompleteSignIn(ctx context.Context, a Answer, cl Claims, ttl time.Duration) (Result, error) {
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	var res Result
	var ref *refusal
	err := s.st.Tx(ctx, func(tx Tx) error {
		var err error
		res, err = s.signIn(ctx, tx, a, cl, ttl)
		return err
	})
	v := Verdict{Email: cl.Email, Subject: cl.Subject, Detail: cl.Detail}
	if errors.As(err, &ref) {
		v.Code, v.Message = ref.v.Code, ref.v.Message
		return Result{}, s.fail(ctx, a.Connection, a.Meta, v, ref.kind)
	}
	if err != nil {
		v.Code, v.Message = CodeInternal, "the sign-in could not be stored"
		s.env.Log().ErrorContext(ctx, "sso: sign-in failed", "team", a.Connection.TeamID, "connection", a.Connection.ID, "err", err.Error())
		if f, ok := s.fail(ctx, a.Connection, a.Meta, v, domain.KindUnavailable).(*Failure); ok {
			f.Err.Cause = err
			return Result{}, f
		}
		return Result{}, err
	}
	return res, nil
}

func (s *Service) signIn(ctx context.Context, tx Tx, a Answer, cl Claims, ttl time.Duration) (Result, error) {
	now := s.env.Now()
	var res Result
	// The connection again, inside the transaction: disabled or deleted
	// since the answer arrived refuses as well.
	rec, err := tx.SSOConnection(ctx, a.Connection.ID)
	if errors.Is(err, store.ErrNotFound) {
		return res, refuse(domain.KindForbidden, CodeConnectionDisabled, "the connection was deleted during the sign-in")
	}
	if err != nil {
		return res, err
	}
	if !rec.Enabled {
		return res, refuse(domain.KindForbidden, CodeConnectionDisabled, "the connection is disabled")
	}
	conn, err := connectionOf(rec)
	if err != nil {
		return res, err
	}
	team, err := tx.Team(ctx, conn.TeamID)
	if err != nil {
		return res, err
	}
	res.Team = team
	pol, err := tx.SSOPolicy(ctx, team.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}

	subject := strings.TrimSpace(cl.Subject)
	if subject == "" || len(subject) > 1024 || !utf8.ValidString(subject) {
		return res, refuse(domain.KindInvalid, CodeMissingSubject, "the answer names no usable subject")
	}
	email, err := checkEmail(cl.Email)
	if err != nil {
		return res, err
	}
	if conn.OIDC != nil && !conn.OIDC.TrustEmail && (cl.EmailVerified == nil || !*cl.EmailVerified) {
		return res, refuse(domain.KindForbidden, CodeEmailNotVerified, "email_verified is not true for %s, and the connection doesn't trust the IdP's emails", email)
	}
	if len(pol.Domains) > 0 {
		d := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
		allowed := false
		for _, x := range pol.Domains {
			allowed = allowed || x == d
		}
		if !allowed {
			return res, refuse(domain.KindForbidden, CodeDomainNotAllowed, "%s is not one of the team's allowed domains (%s)", d, strings.Join(pol.Domains, ", "))
		}
	}

	// Who: the active member of this team with that email.
	member, created, err := s.memberFor(ctx, tx, conn, team, pol, email, cl, now)
	if err != nil {
		return res, err
	}
	res.Created = created

	// As whom: the account of (connection, subject), or an explicit link.
	link := ""
	if a.State != nil {
		link = a.State.LinkAccount
	}
	ident, err := tx.SSOIdentity(ctx, conn.ID, subject)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	accountID := ident.AccountID
	switch {
	case known && link != "" && accountID != link:
		return res, refuse(domain.KindConflict, CodeIdentityLinked, "this IdP subject already signs in as another account; it can't be linked to the signed-in one")
	case !known && link != "":
		accountID = link
	case !known:
		accountID, err = s.adoptAccount(ctx, tx, team, member)
		if err != nil {
			return res, err
		}
	}
	if member.AccountID != "" && member.AccountID != accountID {
		return res, refuse(domain.KindConflict, CodeMemberLinked, "member %s already signs in with another account (a password, or another IdP): sign in with it and link this connection from the SSO sign-in page", member.UserName)
	}
	if accountID != "" {
		if other, err := tx.MemberOfAccount(ctx, team.ID, accountID); err == nil && other.ID != member.ID {
			return res, refuse(domain.KindConflict, CodeMemberMismatch, "this IdP subject's account is member %s of the team, not %s (the one with this email)", other.UserName, member.UserName)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}

	// The account: new (no login name, never found by email), or known.
	var acc store.Account
	if accountID == "" {
		acc = store.Account{ID: domain.NewID(), Email: email, Created: now, Updated: now}
		if err := tx.CreateSSOAccount(ctx, acc); err != nil {
			return res, err
		}
	} else {
		if acc, err = tx.Account(ctx, accountID); err != nil {
			return res, err
		}
		// An account SSO made shows the email its IdP asserts last.
		if acc.Email != email {
			if err := tx.SetSSOAccountEmail(ctx, acc.ID, email, now); err == nil {
				acc.Email = email
			} else if !errors.Is(err, store.ErrNotFound) {
				return res, err
			}
		}
	}
	res.Account = acc
	if !known {
		if err := tx.CreateSSOIdentity(ctx, store.SSOIdentity{ConnectionID: conn.ID, Subject: subject, TeamID: team.ID, AccountID: acc.ID, Created: now, LastLogin: now}); err != nil {
			return res, err
		}
	} else if err := tx.TouchSSOIdentity(ctx, conn.ID, subject, now); err != nil {
		return res, err
	}
	if member.AccountID == "" {
		if err := tx.LinkAccount(ctx, team.ID, member.ID, acc.ID); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return res, refuse(domain.KindConflict, CodeMemberLinked, "member %s was linked to another account meanwhile", member.UserName)
			}
			return res, err
		}
		member.AccountID = acc.ID
		res.Linked = true
		// The member's event (docs/events.md): made just in time, or
		// linked to the account it signs in with.
		ev, data := domain.EventMemberUpdated, domain.MemberChange(member, []string{"account_linked"})
		actor := domain.AccountActor(acc, a.Meta.RequestID, a.Meta.IP)
		if created {
			ev, data, actor = domain.EventMemberCreated, domain.MemberData(member), domain.Actor{Kind: "sso", ID: conn.ID, Name: conn.Name}
		}
		if err := s.env.Emit(ctx, tx, team, actor, ev, data); err != nil {
			return res, err
		}
	}
	res.Member = member

	// The session, marked as this connection's.
	if err := tx.DeleteExpiredSessions(ctx, now); err != nil {
		return res, err
	}
	if err := tx.DeleteExpiredSSOSessions(ctx, now); err != nil {
		return res, err
	}
	token := domain.RandomSecret("")
	sess := store.Session{TokenHash: domain.HashToken(token), AccountID: acc.ID, CSRFToken: domain.RandomSecret(""), Created: now,
		Expires: now.Add(ttl), IP: a.Meta.IP, UserAgent: truncate(a.Meta.UserAgent, 500)}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return res, err
	}
	if err := tx.CreateSSOSession(ctx, store.SSOSession{TokenHash: sess.TokenHash, TeamID: team.ID, UserID: member.ID, ConnectionID: conn.ID,
		AccountID: acc.ID, Expires: sess.Expires}); err != nil {
		return res, err
	}
	res.Session = Session{Token: token, Session: sess}

	actor := domain.AccountActor(acc, a.Meta.RequestID, a.Meta.IP)
	action := "sso.login"
	if link != "" && !known {
		action = "sso.link"
	}
	if err := s.env.Audit(ctx, tx, team.ID, actor, action, "user", member.ID, map[string]any{
		"connection": conn.ID, "connectionName": conn.Name, "account": acc.ID, "linked": res.Linked, "jit": created, "idpInitiated": a.State == nil,
	}); err != nil {
		return res, err
	}
	tr := s.trace(conn, a.Meta, store.SSOSuccess, Verdict{Email: email, Subject: subject, Detail: cl.Detail})
	res.TraceID = tr.ID
	return res, s.appendTrace(ctx, tx, tr)
}

// checkEmail reads the asserted email.
func checkEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", refuse(domain.KindInvalid, CodeMissingEmail, "the answer carries no email (NameID in emailAddress format, or the mapped attribute)")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 320 {
		return "", refuse(domain.KindInvalid, CodeMissingEmail, "the asserted email %q is not an email address", truncate(e, 100))
	}
	return e, nil
}

// memberFor finds the active member of the team with the email, or makes
// one just in time when the team allows it.
func (s *Service) memberFor(ctx context.Context, tx Tx, conn Connection, team store.Team, pol store.SSOPolicy, email string, cl Claims, now time.Time) (store.User, bool, error) {
	all, err := tx.MembersByEmail(ctx, team.ID, email)
	if err != nil {
		return store.User{}, false, err
	}
	var active []store.User
	deactivated := false
	for _, u := range all {
		if u.Active {
			active = append(active, u)
		} else {
			deactivated = true
		}
	}
	switch {
	case len(active) == 1:
		return active[0], false, nil
	case len(active) > 1:
		return store.User{}, false, refuse(domain.KindConflict, CodeAmbiguousMember, "%d active members of the team have the email %s; a team admin must give it to one", len(active), email)
	case deactivated:
		return store.User{}, false, refuse(domain.KindForbidden, CodeMemberDeactivated, "the member with the email %s is deactivated", email)
	case !pol.JIT:
		return store.User{}, false, refuse(domain.KindForbidden, CodeUnknownMember, "no active member of team %s has the email %s, and just-in-time members are off (SCIM-only)", team.Slug, email)
	}
	res := scim.Resource{
		"userName": email,
		"active":   true,
		"emails":   []any{map[string]any{"value": email, "type": "work", "primary": true}},
	}
	first, last := truncate(strings.TrimSpace(cl.FirstName), 200), truncate(strings.TrimSpace(cl.LastName), 200)
	if first != "" || last != "" {
		name := map[string]any{}
		if first != "" {
			name["givenName"] = first
		}
		if last != "" {
			name["familyName"] = last
		}
		res["name"] = name
		res["displayName"] = strings.TrimSpace(first + " " + last)
	}
	role := team.DefaultRole
	if role == "" || role == domain.RoleSuperAdmin {
		role = domain.RoleDeveloper
	}
	u, err := domain.NewUser(team, res, store.SourceSSO, role, now)
	if err != nil {
		return u, false, err
	}
	if err := domain.CheckSeat(ctx, tx, team, u); err != nil {
		return u, false, refuse(domain.KindForbidden, CodeSeatLimit, "%s", errMessage(err))
	}
	if err := tx.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return u, false, refuse(domain.KindConflict, CodeAmbiguousMember, "a member %s was created meanwhile", email)
		}
		return u, false, err
	}
	actor := domain.Actor{Kind: "sso", ID: conn.ID, Name: conn.Name}
	if err := s.env.Audit(ctx, tx, team.ID, actor, "user.create", "user", u.ID, map[string]any{"userName": email, "source": store.SourceSSO, "role": role}); err != nil {
		return u, false, err
	}

	return u, true, nil
}

// adoptAccount is the account a first sign-in through a connection uses
// when the member is already linked: the account another connection of
// this same team made for them, when that account has no password and is
// a member of this team only (moving a team from one IdP to another).
// Otherwise "" (a new account), and a member linked to anything else is
// refused by the caller.
func (s *Service) adoptAccount(ctx context.Context, tx Tx, team store.Team, member store.User) (string, error) {
	if member.AccountID == "" {
		return "", nil
	}
	acc, err := tx.Account(ctx, member.AccountID)
	if err != nil {
		return "", err
	}
	if acc.PasswordHash != "" {
		return "", nil
	}
	teams, err := tx.MembershipsOfAccount(ctx, acc.ID)
	if err != nil {
		return "", err
	}
	for _, u := range teams {
		if u.TeamID != team.ID {
			return "", nil
		}
	}
	return acc.ID, nil
}

func errMessage(err error) string {
	if e, ok := domain.AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
