package store

import (
	"context"
	"time"
)

// SSO connection types.
const (
	SSOSAML = "saml"
	SSOOIDC = "oidc"
)

// SourceSSO marks a member created just in time by an SSO sign-in.
const SourceSSO = "sso"

// SSOConnection is one of a team's identity provider connections. Its id
// is in every URL the IdP knows (the SAML ACS and metadata, the OIDC
// redirect URI), so an answer meant for one connection is never taken by
// another. Config holds the protocol's settings as JSON; package
// service/sso decides their shape.
type SSOConnection struct {
	TeamID            string
	ID                string
	Type              string // SSOSAML or SSOOIDC
	Name              string
	Enabled           bool
	IsDefault         bool
	AllowIDPInitiated bool
	// SPBaseURL is the public origin Roster's URLs for this connection
	// were made with (the IdP was configured with them).
	SPBaseURL string
	Config    []byte
	Created   time.Time
	Updated   time.Time
}

// SSOPolicy is a team's sign-in rules. A team that never set one has the
// zero policy (ErrNotFound from SSOPolicy).
type SSOPolicy struct {
	TeamID     string
	RequireSSO bool
	JIT        bool
	// Domains are the email domains the team allows, lower case, sorted;
	// none allows any.
	Domains []string
	Updated time.Time
}

// SSOIdentity is the account a person is through one connection: the
// IdP's subject under that connection.
type SSOIdentity struct {
	ConnectionID string
	Subject      string
	TeamID       string
	AccountID    string
	Created      time.Time
	LastLogin    time.Time
}

// SSOLoginState is a sign-in Roster started, kept until the IdP's answer
// comes back (found by the hash of the RelayState or OIDC state token).
type SSOLoginState struct {
	Hash         []byte
	TeamID       string
	ConnectionID string
	RequestID    string // SAML AuthnRequest ID
	Nonce        string // OIDC nonce
	Verifier     string // OIDC PKCE code verifier
	// LinkAccount, when set, is the signed-in account that asked to link
	// this connection to itself.
	LinkAccount string
	Created     time.Time
	Expires     time.Time
}

// SSOSession marks a session an SSO sign-in opened: the member of the
// team the IdP vouched for.
type SSOSession struct {
	TokenHash    []byte
	TeamID       string
	UserID       string
	ConnectionID string
	AccountID    string
	Expires      time.Time
}

// SSO trace outcomes.
const (
	SSOSuccess = "success"
	SSOFailure = "failure"
)

// SSOTrace is one sign-in attempt through a team's connection.
type SSOTrace struct {
	TeamID       string
	ID           string
	At           time.Time
	ConnectionID string
	Protocol     string
	Outcome      string // SSOSuccess or SSOFailure
	Error        string // a typed code (service/sso), "" on success
	Message      string
	Email        string
	Subject      string
	Detail       string // JSON of redacted protocol fields
	IP           string
	RequestID    string
}

// SSOReader holds the SSO reads.
type SSOReader interface {
	// SSOConnection finds a connection of any team by its id.
	SSOConnection(ctx context.Context, id string) (SSOConnection, error)
	// ListSSOConnections lists a team's connections in creation order.
	ListSSOConnections(ctx context.Context, teamID string) ([]SSOConnection, error)
	SSOPolicy(ctx context.Context, teamID string) (SSOPolicy, error)
	// SSOTeamsByDomain lists the teams that allow an email domain.
	SSOTeamsByDomain(ctx context.Context, domain string) ([]string, error)
	SSOIdentity(ctx context.Context, connectionID, subject string) (SSOIdentity, error)
	SSOSession(ctx context.Context, tokenHash []byte) (SSOSession, error)
	// ListSSOTraces returns a team's latest traces, newest first, at most
	// limit.
	ListSSOTraces(ctx context.Context, teamID string, limit int) ([]SSOTrace, error)
	SSOTrace(ctx context.Context, teamID, id string) (SSOTrace, error)
}

// SSOTx holds the SSO writes.
type SSOTx interface {
	CreateSSOConnection(ctx context.Context, c SSOConnection) error
	// UpdateSSOConnection rewrites a connection's settings (not its team,
	// type or creation time).
	UpdateSSOConnection(ctx context.Context, c SSOConnection) error
	// DeleteSSOConnection removes a connection with its identities and
	// pending sign-ins.
	DeleteSSOConnection(ctx context.Context, teamID, id string) error
	// SetSSOPolicy writes a team's policy and its domain list.
	SetSSOPolicy(ctx context.Context, p SSOPolicy) error

	CreateSSOIdentity(ctx context.Context, i SSOIdentity) error
	TouchSSOIdentity(ctx context.Context, connectionID, subject string, at time.Time) error

	CreateSSOLoginState(ctx context.Context, s SSOLoginState) error
	// TakeSSOLoginState removes and returns a pending sign-in (once:
	// ErrNotFound the second time). Expired ones are returned too: the
	// caller checks Expires.
	TakeSSOLoginState(ctx context.Context, hash []byte) (SSOLoginState, error)
	DeleteExpiredSSOLoginStates(ctx context.Context, now time.Time) error

	// UseSSOAssertion records an assertion id of a connection until
	// expires; ErrConflict when it is already recorded (a replay).
	// Records expired at now are dropped first.
	UseSSOAssertion(ctx context.Context, connectionID, assertionID string, expires, now time.Time) error

	// CreateSSOAccount creates an account with no login name: its email is
	// shown, never looked up (AccountByEmail doesn't find it).
	CreateSSOAccount(ctx context.Context, a Account) error
	// SetSSOAccountEmail updates the shown email of an account
	// CreateSSOAccount made (ErrNotFound for any other account).
	SetSSOAccountEmail(ctx context.Context, id, email string, at time.Time) error

	CreateSSOSession(ctx context.Context, s SSOSession) error
	// EndSSOSessions ends (deletes) the sessions an SSO sign-in opened for
	// one member, and returns how many.
	EndSSOSessions(ctx context.Context, teamID, userID string) (int, error)
	DeleteExpiredSSOSessions(ctx context.Context, now time.Time) error

	AppendSSOTrace(ctx context.Context, t SSOTrace) error
	// PruneSSOTraces deletes a team's traces older than before and beyond
	// the keep newest; it returns how many went.
	PruneSSOTraces(ctx context.Context, teamID string, before time.Time, keep int) (int, error)
}
