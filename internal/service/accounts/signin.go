package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

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
		burnPasswordCheck(s.params(), password)
		return LoginResult{}, ErrBadCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	if !VerifyPassword(acc.PasswordHash, password) {
		return LoginResult{}, ErrBadCredentials
	}
	var sess Session
	err = s.st.Tx(ctx, func(tx Tx) error {
		if err := tx.DeleteExpiredSessions(ctx, s.env.Now()); err != nil {
			return err
		}
		var err error
		if sess, err = s.newSession(ctx, tx, acc, ip, userAgent, ttl); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, "", domain.AccountActor(acc, requestID, ip), "account.login", "account", acc.ID, map[string]any{"userAgent": truncate(userAgent, 200)})
	})
	if err != nil {
		return LoginResult{}, err
	}
	teams, err := s.accountTeams(ctx, acc)
	return LoginResult{Account: acc, Session: sess, Teams: teams}, err
}

func (s *Service) newSession(ctx context.Context, tx Tx, acc store.Account, ip, userAgent string, ttl time.Duration) (Session, error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	token := domain.RandomSecret("")
	now := s.env.Now()
	rec := store.Session{TokenHash: domain.HashToken(token), AccountID: acc.ID, CSRFToken: domain.RandomSecret(""), Created: now,
		Expires: now.Add(ttl), IP: ip, UserAgent: truncate(userAgent, 500)}
	return Session{Token: token, Session: rec}, tx.CreateSession(ctx, rec)
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, c domain.Caller) error {
	if c.SessionHash == nil {
		return domain.BadRequest("", "sign-out ends a browser session; this request carries an API token (revoke it with DELETE /api/v1/me/tokens/{id})")
	}
	return s.st.Tx(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, c.SessionHash); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return domain.Unauthorized("the session has ended; sign in again")
			}
			return err
		}
		return s.env.Audit(ctx, tx, "", c.Actor, "account.logout", "account", c.Account.ID, nil)
	})
}

// AuthenticateSession finds the account of a session cookie token.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (store.Account, store.Session, error) {
	sess, err := s.st.SessionByHash(ctx, domain.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, sess, domain.Unauthorized("the session has ended or is unknown; sign in again")
	}
	if err != nil {
		return store.Account{}, sess, err
	}
	if !sess.Expires.After(s.env.Now()) {
		return store.Account{}, sess, domain.Unauthorized("the session has expired; sign in again")
	}
	acc, err := s.st.Account(ctx, sess.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return acc, sess, domain.Unauthorized("the session's account no longer exists")
	}
	return acc, sess, err
}
