// Package accounts is the people who sign in and what they do as
// themselves: sign-in and sessions (signin.go), personal API tokens
// (tokens.go), their own password and email (profile.go), the teams an
// account belongs to and as whom it calls a team's routes (memberships.go),
// invites, from creation to acceptance, the one event that links an account
// to a member (invites.go), the operator's account commands and a new
// team's first admin (operator.go), and how passwords are hashed and
// checked, under a process-wide bound (passwords.go).
package accounts

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what accounts read outside a transaction.
type Reader interface {
	domain.RoleReader

	Account(ctx context.Context, id string) (store.Account, error)
	AccountByEmail(ctx context.Context, email string) (store.Account, error)
	SessionByHash(ctx context.Context, hash []byte) (store.Session, error)
	APITokenByHash(ctx context.Context, hash []byte) (store.APIToken, error)
	ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error)
	MembershipsOfAccount(ctx context.Context, accountID string) ([]store.User, error)
	MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error)
	InviteByTokenHash(ctx context.Context, hash []byte) (store.InviteDetail, error)
	ListPendingInvites(ctx context.Context, teamID string) ([]store.InviteDetail, error)
	Team(ctx context.Context, id string) (store.Team, error)
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
}

// Tx is what accounts read and write inside a transaction.
type Tx interface {
	domain.AuditWriter
	domain.EventWriter
	domain.SeatCounter
	domain.AccountCreator

	Account(ctx context.Context, id string) (store.Account, error)
	SetAccountPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error
	SetAccountEmail(ctx context.Context, id, email string, at time.Time) error
	CreateSession(ctx context.Context, s store.Session) error
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteAccountSessions(ctx context.Context, accountID string, keep []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
	CreateAPIToken(ctx context.Context, t store.APIToken) error
	RevokeAPIToken(ctx context.Context, accountID, id string, at time.Time) error
	TouchAPIToken(ctx context.Context, id string, at time.Time, ip string) error

	Team(ctx context.Context, id string) (store.Team, error)
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	MembershipsOfAccount(ctx context.Context, accountID string) ([]store.User, error)
	MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error)
	MembersByEmail(ctx context.Context, teamID, email string) ([]store.User, error)
	User(ctx context.Context, teamID, id string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) error
	UpdateUser(ctx context.Context, u store.User) error
	LinkAccount(ctx context.Context, teamID, userID, accountID string) error

	PendingInvite(ctx context.Context, teamID, email string) (store.Invite, error)
	InviteDetail(ctx context.Context, teamID, id string) (store.InviteDetail, error)
	InviteByTokenHash(ctx context.Context, hash []byte) (store.InviteDetail, error)
	CreateInvite(ctx context.Context, inv store.Invite) error
	SetInviteLink(ctx context.Context, teamID, id string, hash []byte, sent, expires time.Time, by string) error
	SetInviteMember(ctx context.Context, teamID, id, memberID string) error
	CloseInvite(ctx context.Context, teamID, id, status string, at time.Time) error
}

// Store is the storage accounts need.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what accounts use.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Service is accounts over one store.
type Service struct {
	st     Store
	env    domain.Env
	params func() Argon2Params
}

// New builds the accounts service; params gives, at each use, the
// argon2id parameters of new password hashes (nil: DefaultPasswordParams).
func New(st Store, env domain.Env, params func() Argon2Params) *Service {
	if params == nil {
		params = DefaultPasswordParams
	}
	return &Service{st: st, env: env, params: params}
}

// hashPassword hashes a new password with the current parameters.
func (s *Service) hashPassword(password string) (string, error) {
	return HashPassword(s.params(), password)
}

// ErrBadCredentials is the answer to a wrong email or password. It never
// says which of the two was wrong.
var ErrBadCredentials = domain.Unauthorized("wrong email or password")

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

func parseEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", domain.BadRequest(field, "%q is not a valid email address", email)
	}
	return addr.Address, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
