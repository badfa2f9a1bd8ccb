package store

import (
	"context"
	"time"
)

// Account is a person's global sign-in identity, one per email (a login
// name Roster never verifies). It belongs to no team: a person's
// memberships are the users rows linked to it (User.AccountID), never the
// rows whose userName or emails happen to match its email.
type Account struct {
	ID    string
	Email string
	// PasswordHash is a PHC-style argon2id string ("$argon2id$v=19$m=…,t=…,p=…$salt$hash");
	// "" when the account has no password yet.
	PasswordHash string
	// MustChangePassword is set when someone other than the person chose
	// the password (team creation's one-time password, an operator's
	// reset): until they choose their own, the service refuses everything
	// but a password change and signing out.
	MustChangePassword bool
	Created            time.Time
	Updated            time.Time
}

// Session is a signed-in browser. Only the SHA-256 of the cookie token is
// kept.
type Session struct {
	TokenHash []byte
	AccountID string
	CSRFToken string
	Created   time.Time
	Expires   time.Time
	IP        string
	UserAgent string
}

// APIToken is a personal API token ("rpt_…") of an account. Only its
// SHA-256 is kept.
type APIToken struct {
	ID         string
	AccountID  string
	Name       string
	Prefix     string
	Hash       []byte
	Created    time.Time
	LastUsedAt *time.Time
	LastUsedIP string
	RevokedAt  *time.Time
}

// InviteDetail is an invite with what the admin API shows and needs beside
// the foundation's record: when it was last sent, when its link expires and
// who sent it. The link token itself is kept only as a hash.
type InviteDetail struct {
	Invite
	SentAt    *time.Time
	ExpiresAt *time.Time
	InvitedBy string
}

// MemberQuery selects a team's members for the admin API. Empty fields
// don't filter.
type MemberQuery struct {
	Text    string // substring of userName or displayName, case-insensitive
	Active  *bool
	Source  string
	Role    string // one role of the comma-separated list
	GroupID string
	Page
}

// AccountReader holds the reads of accounts, sessions, tokens and the
// admin API's member and invite queries.
type AccountReader interface {
	Account(ctx context.Context, id string) (Account, error)
	AccountByEmail(ctx context.Context, email string) (Account, error)
	SessionByHash(ctx context.Context, hash []byte) (Session, error)
	APITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	ListAPITokens(ctx context.Context, accountID string) ([]APIToken, error)
	// MembershipsOfAccount lists the members linked to the account, one
	// per team at most, in team order.
	MembershipsOfAccount(ctx context.Context, accountID string) ([]User, error)
	// MemberOfAccount is the member of a team linked to the account.
	MemberOfAccount(ctx context.Context, teamID, accountID string) (User, error)
	// MembersByEmail lists the members of one team whose userName or one
	// of whose emails is email (case-insensitively): for an admin of that
	// team deciding what an invite is for, never for linking.
	MembersByEmail(ctx context.Context, teamID, email string) ([]User, error)
	// ListMembers returns one page of a team's members, in creation
	// order, and the total number of matches.
	ListMembers(ctx context.Context, teamID string, q MemberQuery) ([]User, int, error)
	InviteDetail(ctx context.Context, teamID, id string) (InviteDetail, error)
	// InviteByTokenHash finds an invite of any team by its link token.
	InviteByTokenHash(ctx context.Context, hash []byte) (InviteDetail, error)
	ListPendingInvites(ctx context.Context, teamID string) ([]InviteDetail, error)
}

// AccountTx holds the writes of accounts, sessions and tokens.
type AccountTx interface {
	CreateAccount(ctx context.Context, a Account) error
	// SetAccountPassword sets the password hash and whether the person
	// must choose a new password before doing anything else.
	SetAccountPassword(ctx context.Context, id, hash string, mustChange bool, at time.Time) error
	SetAccountEmail(ctx context.Context, id, email string, at time.Time) error

	CreateSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteAccountSessions ends every session of an account except the
	// one whose hash is keep (nil: all of them).
	DeleteAccountSessions(ctx context.Context, accountID string, keep []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	CreateAPIToken(ctx context.Context, t APIToken) error
	RevokeAPIToken(ctx context.Context, accountID, id string, at time.Time) error
	TouchAPIToken(ctx context.Context, id string, at time.Time, ip string) error

	// SetInviteLink stores an invite's link token hash, when it was sent,
	// when it expires and who sent it.
	SetInviteLink(ctx context.Context, teamID, id string, hash []byte, sent, expires time.Time, by string) error
}
