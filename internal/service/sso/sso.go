// Package sso decides who signs in through a team's own identity provider
// (SAML 2.0 or OpenID Connect), and as whom (docs/sso.md):
//
//   - connections.go: a team's connections, their settings and Roster's
//     URLs for each, and the team's sign-in policy (require SSO, just-in-
//     time members, allowed email domains). Only a Super Admin changes
//     them: a connection decides who every member is.
//   - signin.go: a sign-in from start to end: the state Roster keeps for
//     the sign-ins it starts, the assertion replay store, and the rules of
//     who gets in: the asserted email matched against the active members
//     of the connection's team only, the account found by (connection,
//     IdP subject) and never by email, the member linked to it, a session.
//   - sessions.go: what an SSO session is worth later: it ends when the
//     member it was opened for is deactivated or removed, and a team that
//     requires SSO lets in only sessions its own IdP opened (its Super
//     Admins' passwords stay, as break-glass).
//   - traces.go: every attempt, success or failure, with a typed error
//     code, per team, bounded by age and count.
//
// The protocols themselves (XML signatures, ID tokens) are checked at the
// edge (internal/ssoproto with crewjam/saml and go-oidc), which hands this
// package only what it verified.
package sso

import (
	"context"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what sso reads outside a transaction.
type Reader interface {
	SSOConnection(ctx context.Context, id string) (store.SSOConnection, error)
	ListSSOConnections(ctx context.Context, teamID string) ([]store.SSOConnection, error)
	SSOPolicy(ctx context.Context, teamID string) (store.SSOPolicy, error)
	SSOTeamsByDomain(ctx context.Context, domain string) ([]string, error)
	SSOSession(ctx context.Context, tokenHash []byte) (store.SSOSession, error)
	ListSSOTraces(ctx context.Context, teamID string, limit int) ([]store.SSOTrace, error)
	SSOTrace(ctx context.Context, teamID, id string) (store.SSOTrace, error)
	Team(ctx context.Context, id string) (store.Team, error)
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	User(ctx context.Context, teamID, id string) (store.User, error)
	MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error)
	// QueryAudit finds a member's deactivations since a session opened.
	QueryAudit(ctx context.Context, teamID string, q store.AuditQuery) ([]store.AuditEvent, error)
}

// Tx is what sso reads and writes inside a transaction.
type Tx interface {
	domain.AuditWriter
	domain.EventWriter
	domain.SeatCounter
	domain.RoleReader
	store.SSOTx

	SSOConnection(ctx context.Context, id string) (store.SSOConnection, error)
	ListSSOConnections(ctx context.Context, teamID string) ([]store.SSOConnection, error)
	SSOPolicy(ctx context.Context, teamID string) (store.SSOPolicy, error)
	SSOIdentity(ctx context.Context, connectionID, subject string) (store.SSOIdentity, error)
	Team(ctx context.Context, id string) (store.Team, error)
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	Account(ctx context.Context, id string) (store.Account, error)
	User(ctx context.Context, teamID, id string) (store.User, error)
	MemberOfAccount(ctx context.Context, teamID, accountID string) (store.User, error)
	MembershipsOfAccount(ctx context.Context, accountID string) ([]store.User, error)
	MembersByEmail(ctx context.Context, teamID, email string) ([]store.User, error)
	CreateUser(ctx context.Context, u store.User) error
	LinkAccount(ctx context.Context, teamID, userID, accountID string) error
	CreateSession(ctx context.Context, s store.Session) error
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// Store is the storage sso needs.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what sso uses.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Service is sso over one store.
type Service struct {
	st  Store
	env domain.Env

	// TraceDays and TraceRows bound each team's sign-in traces: older
	// ones, and any beyond the newest TraceRows, are pruned as new ones
	// are written. Defaults 30 and 10,000.
	TraceDays int
	TraceRows int
	// StateTTL is how long a sign-in Roster started waits for the IdP's
	// answer. Default 10 minutes.
	StateTTL time.Duration
}

// New builds the sso service.
func New(st Store, env domain.Env) *Service {
	return &Service{st: st, env: env, TraceDays: 30, TraceRows: 10000, StateTTL: 10 * time.Minute}
}

// Where Roster serves each connection, below its SPBaseURL: the paths the
// SSO edge (internal/ssoapi) mounts and the URLs an IdP is given.
const (
	PathLogin    = "/sso/login/"     // + id: starts a sign-in (302 to the IdP)
	PathSAML     = "/sso/saml/"      // + id + "/acs" | "/metadata"
	PathOIDC     = "/sso/oidc/"      // + id + "/callback"
	PathSignIn   = "/sso"            // the sign-in page: an email, sent to its team's IdP
	PathLinkSSO  = "/sso/link/"      // + id: a signed-in account links itself (POST)
	ACSSuffix    = "/acs"            // of PathSAML + id
	MetaSuffix   = "/metadata"       // of PathSAML + id
	OIDCCallback = "/callback"       // of PathOIDC + id
	TeamCookie   = "roster_sso_team" // the sign-in page remembers a person's team
)

// The typed error codes of sign-in traces (docs/sso.md lists each with
// what to change).
const (
	CodeConnectionDisabled = "connection_disabled"
	CodeMalformed          = "malformed_response"
	CodeMultipleAssertions = "multiple_assertions"
	CodeUnsigned           = "unsigned"
	CodeBadSignature       = "bad_signature"
	CodeUntrustedCert      = "untrusted_certificate"
	CodeWeakSignature      = "weak_signature"
	CodeWrongIssuer        = "wrong_issuer"
	CodeWrongAudience      = "wrong_audience"
	CodeWrongDestination   = "wrong_destination"
	CodeUnknownRequest     = "unknown_request"
	CodeUnsolicited        = "unsolicited_response"
	CodeExpired            = "expired"
	CodeNotYetValid        = "not_yet_valid"
	CodeReplay             = "replay"
	CodeIdPError           = "idp_error"
	CodeUnsupported        = "unsupported"
	CodeMissingSubject     = "missing_subject"
	CodeMissingEmail       = "missing_email"
	CodeEmailNotVerified   = "email_not_verified"
	CodeDomainNotAllowed   = "domain_not_allowed"
	CodeUnknownMember      = "unknown_member"
	CodeMemberDeactivated  = "member_deactivated"
	CodeAmbiguousMember    = "ambiguous_member"
	CodeMemberLinked       = "member_linked_elsewhere"
	CodeIdentityLinked     = "identity_linked_elsewhere"
	CodeMemberMismatch     = "member_mismatch"
	CodeSeatLimit          = "seat_limit"
	CodeBadState           = "bad_state"
	CodeBadNonce           = "bad_nonce"
	CodeTokenExchange      = "token_exchange_failed"
	CodeBadIDToken         = "bad_id_token"
	CodeIdPUnreachable     = "idp_unreachable"
	CodeInternal           = "internal"
)

// Codes lists every trace error code, with the one-line meaning the
// console and docs/sso.md show.
var Codes = map[string]string{
	CodeConnectionDisabled: "the connection is disabled: it refuses every sign-in, IdP-initiated ones included",
	CodeMalformed:          "the IdP's answer could not be read (bad base64 or XML, a DTD, XML comments or processing instructions)",
	CodeMultipleAssertions: "the SAML response holds more than one assertion; exactly one is accepted",
	CodeUnsigned:           "neither the SAML response nor its assertion is signed",
	CodeBadSignature:       "a signature is invalid (altered content, signature wrapping, another IdP's key)",
	CodeUntrustedCert:      "signed with a certificate that is not pinned for this connection (update the IdP metadata after a rotation)",
	CodeWeakSignature:      "signed with SHA-1, which is refused",
	CodeWrongIssuer:        "the issuer is not this connection's IdP",
	CodeWrongAudience:      "the assertion's audience is not this connection's SP entity id",
	CodeWrongDestination:   "the Destination or Recipient is not this connection's ACS URL (an answer meant for another connection)",
	CodeUnknownRequest:     "InResponseTo names no sign-in Roster started for this connection (or it expired, or was used)",
	CodeUnsolicited:        "an IdP-initiated sign-in, which this connection does not allow",
	CodeExpired:            "the response or assertion has expired (check the clocks)",
	CodeNotYetValid:        "the assertion is not valid yet (check the clocks)",
	CodeReplay:             "this assertion was already used",
	CodeIdPError:           "the IdP answered with an error",
	CodeUnsupported:        "the IdP sent something Roster does not accept (unknown conditions, an encrypted assertion)",
	CodeMissingSubject:     "the answer names no subject (NameID or sub)",
	CodeMissingEmail:       "the answer carries no email (NameID in emailAddress format or the mapped attribute)",
	CodeEmailNotVerified:   "the IdP does not say the email is verified (email_verified is not true)",
	CodeDomainNotAllowed:   "the email's domain is not in the team's allowed domains",
	CodeUnknownMember:      "no active member of the team has this email (and just-in-time members are off)",
	CodeMemberDeactivated:  "the member with this email is deactivated",
	CodeAmbiguousMember:    "more than one active member of the team has this email",
	CodeMemberLinked:       "this member signs in with another account; link SSO from that account",
	CodeIdentityLinked:     "this IdP subject already belongs to another account",
	CodeMemberMismatch:     "this IdP subject's account is another member of the team",
	CodeSeatLimit:          "a just-in-time member would exceed the team's seat limit",
	CodeBadState:           "the state names no sign-in Roster started (or it expired, or was used)",
	CodeBadNonce:           "the ID token's nonce is not the one of this sign-in",
	CodeTokenExchange:      "the IdP refused the authorization code (wrong client secret, redirect URI or PKCE verifier)",
	CodeBadIDToken:         "the ID token is invalid (signature, issuer, audience or expiry)",
	CodeIdPUnreachable:     "the IdP could not be reached (discovery or token endpoint)",
	CodeInternal:           "an error on Roster's side; see the server log",
}
