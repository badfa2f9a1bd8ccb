package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Prefixes of the admin API's secrets, so people and secret scanners can
// recognise them.
const (
	APITokenPrefix    = "rpt_" // personal API token
	InviteTokenPrefix = "rit_" // invite link token
)

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

// InviteTTL is how long an invite link works after it is sent.
const InviteTTL = 7 * 24 * time.Hour

// randomSecret returns prefix + 256 random bits, URL-safe.
func randomSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// AccountActor is the audit actor of a signed-in person: "account:<email>".
func AccountActor(acc store.Account, requestID, ip string) Actor {
	return Actor{Kind: "account", ID: acc.ID, Name: acc.Email, RequestID: requestID, IP: ip}
}

// TokenActor is the audit actor of a personal API token: "token:<name>".
func TokenActor(t store.APIToken, requestID, ip string) Actor {
	return Actor{Kind: "token", ID: t.ID, Name: t.Name, RequestID: requestID, IP: ip}
}

// Caller is who calls the admin API: an account, and on team routes its
// membership of that team with its effective roles.
type Caller struct {
	Account store.Account
	Actor   Actor
	// SessionHash is the session the call came with (nil for tokens).
	SessionHash []byte

	Team   store.Team
	Member store.User
	Roles  []string
}

// Can reports whether the caller's roles allow act in the caller's team.
func (c Caller) Can(act Action) bool { return Allowed(c.Roles, act) }

// HasRole reports whether the caller holds role in the team.
func (c Caller) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Membership is one team a person belongs to.
type Membership struct {
	Team   store.Team
	Member store.User
	Roles  []string
}

func parseEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", BadRequest(field, "%q is not a valid email address", email)
	}
	return addr.Address, nil
}

// AccountTeams lists the teams where the account is linked to an active
// member, by slug. The link is the only way in: a member whose userName or
// emails carry the account's email, but that no event of its team linked,
// is not the account's.
func (s *Service) AccountTeams(ctx context.Context, acc store.Account) ([]Membership, error) {
	users, err := s.st.MembershipsOfAccount(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, u := range users {
		if !u.Active {
			continue
		}
		team, err := s.st.Team(ctx, u.TeamID)
		if err != nil {
			return nil, err
		}
		roles, err := s.EffectiveRoles(ctx, s.st, u)
		if err != nil {
			return nil, err
		}
		out = append(out, Membership{Team: team, Member: u, Roles: roles})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Team.Slug < out[j].Team.Slug })
	return out, nil
}

// TeamCaller completes c with its membership of the team with slug: the
// member linked to the caller's account. A team that doesn't exist and one
// the caller isn't in get the same 404, so the API reveals no other team;
// a deactivated member gets a 403.
func (s *Service) TeamCaller(ctx context.Context, c Caller, slug string) (Caller, error) {
	notFound := NotFound("you are not a member of a team %q", slug)
	team, err := s.st.TeamBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return c, notFound
	}
	if err != nil {
		return c, err
	}
	u, err := s.st.MemberOfAccount(ctx, team.ID, c.Account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return c, notFound
	}
	if err != nil {
		return c, err
	}
	if !u.Active {
		return c, Forbidden("your membership is deactivated in team %s; a team admin (or your identity provider, when SCIM provisioning is on) can reactivate it", team.Slug)
	}
	roles, err := s.EffectiveRoles(ctx, s.st, u)
	if err != nil {
		return c, err
	}
	c.Team, c.Member, c.Roles = team, u, roles
	c.Actor.superAdminOf = ""
	if slices.Contains(roles, RoleSuperAdmin) {
		c.Actor.superAdminOf = team.ID
	}
	return c, nil
}

// Session is a new sign-in: the cookie token (shown once) and its record.
type Session struct {
	Token   string
	Session store.Session
}

// LoginResult is what a successful sign-in returns.
type LoginResult struct {
	Account store.Account
	Session Session
	Teams   []Membership
}

// Login checks an email and password and opens a session. A wrong email
// and a wrong password get the same answer (ErrBadCredentials) after the
// same work. Brute-force limits are the HTTP layer's.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string, ttl time.Duration, requestID string) (LoginResult, error) {
	if len(password) > 4*MaxPasswordLen {
		return LoginResult{}, ErrBadCredentials
	}
	acc, err := s.st.AccountByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) || (err == nil && acc.PasswordHash == "") {
		burnPasswordCheck(password)
		return LoginResult{}, ErrBadCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	if !VerifyPassword(acc.PasswordHash, password) {
		return LoginResult{}, ErrBadCredentials
	}
	var sess Session
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteExpiredSessions(ctx, s.Now()); err != nil {
			return err
		}
		var err error
		if sess, err = s.newSession(ctx, tx, acc, ip, userAgent, ttl); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", AccountActor(acc, requestID, ip), "account.login", "account", acc.ID, map[string]any{"userAgent": truncate(userAgent, 200)})
	})
	if err != nil {
		return LoginResult{}, err
	}
	teams, err := s.AccountTeams(ctx, acc)
	return LoginResult{Account: acc, Session: sess, Teams: teams}, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Service) newSession(ctx context.Context, tx store.Tx, acc store.Account, ip, userAgent string, ttl time.Duration) (Session, error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	token := randomSecret("")
	now := s.Now()
	rec := store.Session{TokenHash: HashToken(token), AccountID: acc.ID, CSRFToken: randomSecret(""), Created: now,
		Expires: now.Add(ttl), IP: ip, UserAgent: truncate(userAgent, 500)}
	return Session{Token: token, Session: rec}, tx.CreateSession(ctx, rec)
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, c Caller) error {
	if c.SessionHash == nil {
		return BadRequest("", "sign-out ends a browser session; this request carries an API token (revoke it with DELETE /api/v1/me/tokens/{id})")
	}
	return s.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteSession(ctx, c.SessionHash); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return Unauthorized("the session has ended; sign in again")
			}
			return err
		}
		return s.audit(ctx, tx, "", c.Actor, "account.logout", "account", c.Account.ID, nil)
	})
}

// AuthenticateSession finds the account of a session cookie token.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (store.Account, store.Session, error) {
	sess, err := s.st.SessionByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, sess, Unauthorized("the session has ended or is unknown; sign in again")
	}
	if err != nil {
		return store.Account{}, sess, err
	}
	if !sess.Expires.After(s.Now()) {
		return store.Account{}, sess, Unauthorized("the session has expired; sign in again")
	}
	acc, err := s.st.Account(ctx, sess.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return acc, sess, Unauthorized("the session's account no longer exists")
	}
	return acc, sess, err
}

// AuthenticateAPIToken finds the account of a personal API token and
// records its use (at most once a minute per token, off the error path).
func (s *Service) AuthenticateAPIToken(ctx context.Context, token, ip string) (store.Account, store.APIToken, error) {
	t, err := s.st.APITokenByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, t, Unauthorized("unknown API token")
	}
	if err != nil {
		return store.Account{}, t, err
	}
	if t.RevokedAt != nil {
		return store.Account{}, t, Unauthorized("this API token was revoked")
	}
	acc, err := s.st.Account(ctx, t.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return acc, t, Unauthorized("the token's account no longer exists")
	}
	if err != nil {
		return acc, t, err
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute || t.LastUsedIP != ip {
		if err := s.st.Tx(ctx, func(tx store.Tx) error { return tx.TouchAPIToken(ctx, t.ID, now, ip) }); err != nil {
			s.Log.WarnContext(ctx, "record API token use", "err", err)
		}
	}
	return acc, t, nil
}

// NewAPIToken is a freshly created personal API token; Token is shown once.
type NewAPIToken struct {
	Token  store.APIToken
	Secret string
}

// CreateAPIToken gives the caller's account a personal API token.
func (s *Service) CreateAPIToken(ctx context.Context, c Caller, name string) (NewAPIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return NewAPIToken{}, BadRequest("name", "a token needs a name of 1 to 100 characters")
	}
	secret := randomSecret(APITokenPrefix)
	t := store.APIToken{ID: NewID(), AccountID: c.Account.ID, Name: name, Prefix: secret[:len(APITokenPrefix)+6],
		Hash: HashToken(secret), Created: s.Now()}
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", c.Actor, "api_token.create", "api_token", t.ID, map[string]any{"name": name, "prefix": t.Prefix})
	})
	return NewAPIToken{Token: t, Secret: secret}, err
}

// APITokens lists the caller's tokens, revoked ones included.
func (s *Service) APITokens(ctx context.Context, c Caller) ([]store.APIToken, error) {
	return s.st.ListAPITokens(ctx, c.Account.ID)
}

// RevokeAPIToken revokes one of the caller's tokens at once.
func (s *Service) RevokeAPIToken(ctx context.Context, c Caller, id string) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.RevokeAPIToken(ctx, c.Account.ID, id, s.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return NotFound("you have no active API token %q", id)
			}
			return err
		}
		return s.audit(ctx, tx, "", c.Actor, "api_token.revoke", "api_token", id, nil)
	})
}

// scimOwnedTeam returns a team with SCIM provisioning on where the
// account is a member: that team's identity provider owns the person's
// email and password. ok is false when there is none.
func (s *Service) scimOwnedTeam(ctx context.Context, r store.Reader, accountID string) (store.Team, bool, error) {
	users, err := r.MembershipsOfAccount(ctx, accountID)
	if err != nil {
		return store.Team{}, false, err
	}
	for _, u := range users {
		team, err := r.Team(ctx, u.TeamID)
		if err != nil {
			return store.Team{}, false, err
		}
		if team.SCIMEnabled {
			return team, true, nil
		}
	}
	return store.Team{}, false, nil
}

// ChangePassword changes the caller's password, after checking the
// current one, and ends the account's other sessions. Refused while a team
// of the person has SCIM provisioning on.
func (s *Service) ChangePassword(ctx context.Context, c Caller, current, next string) error {
	if err := checkNewPassword("new_password", next); err != nil {
		return err
	}
	// The password work (check the current one, then hash the new one)
	// happens before the write transaction, which then requires the hash
	// it checked to be still in place.
	cur, err := s.st.Account(ctx, c.Account.ID)
	if err != nil {
		return err
	}
	if cur.PasswordHash != "" && !VerifyPassword(cur.PasswordHash, current) {
		return &Error{Kind: KindForbidden, Field: "current_password", Message: "the current password is wrong"}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.st.Tx(ctx, func(tx store.Tx) error {
		if team, ok, err := s.scimOwnedTeam(ctx, tx, c.Account.ID); err != nil {
			return err
		} else if ok {
			return Forbidden("SCIM provisioning is on for team %s: your identity provider manages your password; ask your IdP administrator", team.Slug)
		}
		acc, err := tx.Account(ctx, c.Account.ID)
		if err != nil {
			return err
		}
		if acc.PasswordHash != cur.PasswordHash {
			return Conflict("current_password", "your password was changed meanwhile; sign in again")
		}
		if err := tx.SetAccountPassword(ctx, acc.ID, hash, s.Now()); err != nil {
			return err
		}
		if err := tx.DeleteAccountSessions(ctx, acc.ID, c.SessionHash); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", c.Actor, "account.password_change", "account", acc.ID, map[string]any{"otherSessionsEnded": true})
	})
}

// ChangeEmail changes the caller's account email (its login name) and,
// in every team it is linked to, the member's userName and emails that
// carried the old one. It links and unlinks nothing: the account keeps
// exactly its linked memberships, and a member elsewhere that carries the
// new email stays someone else's. Refused while a team of the person has
// SCIM provisioning on: the IdP owns the email there.
func (s *Service) ChangeEmail(ctx context.Context, c Caller, email string) (store.Account, error) {
	next, err := parseEmail("email", email)
	if err != nil {
		return store.Account{}, err
	}
	var acc store.Account
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		if team, ok, err := s.scimOwnedTeam(ctx, tx, c.Account.ID); err != nil {
			return err
		} else if ok {
			return Forbidden("SCIM provisioning is on for team %s: your identity provider manages your email; ask your IdP administrator", team.Slug)
		}
		var err error
		if acc, err = tx.Account(ctx, c.Account.ID); err != nil {
			return err
		}
		old := acc.Email
		if old == next {
			return BadRequest("email", "that is already your email")
		}
		if other, err := tx.AccountByEmail(ctx, next); err == nil && other.ID != acc.ID {
			return Conflict("email", "another account uses %s", next)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		users, err := tx.MembershipsOfAccount(ctx, acc.ID)
		if err != nil {
			return err
		}
		var slugs []string
		for _, u := range users {
			team, err := tx.Team(ctx, u.TeamID)
			if err != nil {
				return err
			}
			if err := s.renameMember(ctx, tx, u, old, next); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return Conflict("email", "team %s already has a member %s", team.Slug, next)
				}
				return err
			}
			slugs = append(slugs, team.Slug)
		}
		if err := tx.SetAccountEmail(ctx, acc.ID, next, s.Now()); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return Conflict("email", "another account uses %s", next)
			}
			return err
		}
		acc.Email = next
		return s.audit(ctx, tx, "", c.Actor, "account.email_change", "account", acc.ID, map[string]any{"before": old, "after": next, "teams": slugs})
	})
	return acc, err
}

// renameMember replaces the old email in a member's userName and emails.
func (s *Service) renameMember(ctx context.Context, tx store.Tx, u store.User, old, next string) error {
	u, err := tx.User(ctx, u.TeamID, u.ID)
	if err != nil {
		return err
	}
	v, err := userView(u)
	if err != nil {
		return err
	}
	if strings.EqualFold(u.UserName, old) {
		v.Attrs["userName"] = next
	}
	if list, ok := v.Attrs["emails"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if val, _ := m["value"].(string); strings.EqualFold(val, old) {
					m["value"] = next
				}
			}
		}
	}
	if err := fillUser(&u, v.Attrs); err != nil {
		return err
	}
	u.Version++
	u.Modified = s.Now()
	return tx.UpdateUser(ctx, u)
}

// SetAccountPassword is the operator's reset (roster account set-password):
// it creates the account if there is none, sets the password and ends
// every session of the account.
func (s *Service) SetAccountPassword(ctx context.Context, email, password string, a Actor) (store.Account, error) {
	addr, err := parseEmail("email", email)
	if err != nil {
		return store.Account{}, err
	}
	if err := checkNewPassword("password", password); err != nil {
		return store.Account{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return store.Account{}, err
	}
	var acc store.Account
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		var created bool
		var err error
		if acc, created, err = s.ensureAccount(ctx, tx, addr, hash); err != nil {
			return err
		}
		if !created {
			if err := tx.SetAccountPassword(ctx, acc.ID, hash, s.Now()); err != nil {
				return err
			}
			if err := tx.DeleteAccountSessions(ctx, acc.ID, nil); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "", a, "account.password_set", "account", acc.ID, map[string]any{"email": acc.Email, "created": created})
	})
	return acc, err
}

func (s *Service) ensureAccount(ctx context.Context, tx store.Tx, email, hash string) (store.Account, bool, error) {
	acc, err := tx.AccountByEmail(ctx, email)
	if err == nil {
		return acc, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return acc, false, err
	}
	now := s.Now()
	acc = store.Account{ID: NewID(), Email: email, PasswordHash: hash, Created: now, Updated: now}
	return acc, true, tx.CreateAccount(ctx, acc)
}

// SetupAdminAccount gives a new team's first admin a way in: when the
// account that team creation linked has no password yet, it sets a random
// one-time password and returns it (to be printed once). An account that
// already had a password keeps it, and "" is returned.
func (s *Service) SetupAdminAccount(ctx context.Context, team store.Team, a Actor) (string, error) {
	acc, err := s.st.AccountByEmail(ctx, team.AdminEmail)
	if err != nil || acc.PasswordHash != "" {
		return "", err
	}
	pw := RandomPassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return "", err
	}
	set := false
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		cur, err := tx.Account(ctx, acc.ID)
		if err != nil || cur.PasswordHash != "" {
			return err // set meanwhile: keep it
		}
		if err := tx.SetAccountPassword(ctx, acc.ID, hash, s.Now()); err != nil {
			return err
		}
		set = true
		return s.audit(ctx, tx, team.ID, a, "account.create", "account", acc.ID, map[string]any{"email": acc.Email, "oneTimePassword": true})
	})
	if err != nil || !set {
		return "", err
	}
	return pw, nil
}

// adminError is the last step of the admin-side methods: the SCIM core's
// refusals become domain errors; anything else unknown stays as it is, an
// internal error for the edge, its cause only logged.
func adminError(err error) error { return FromSCIM(err) }
