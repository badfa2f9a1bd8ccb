package service

// The names callers have always used, kept here as aliases and
// re-exports of the packages that now own them: an edge imports package
// service alone, and a type here is the very type of its feature
// (service.Caller is domain.Caller). Each is documented where it lives.

import (
	"io"
	"time"

	"github.com/rosterhq/roster/internal/service/accounts"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/service/logs"
	"github.com/rosterhq/roster/internal/service/members"
	"github.com/rosterhq/roster/internal/service/provisioning"
	"github.com/rosterhq/roster/internal/service/settings"
	"github.com/rosterhq/roster/internal/store"
)

// Package domain: errors.
type (
	// Error is domain.Error: the one error type the service returns.
	Error = domain.Error
	// Kind is domain.Kind: what went wrong.
	Kind = domain.Kind
)

// The kinds of refusal and failure (domain.Kind).
const (
	KindInternal           = domain.KindInternal
	KindInvalid            = domain.KindInvalid
	KindUnauthenticated    = domain.KindUnauthenticated
	KindForbidden          = domain.KindForbidden
	KindNotFound           = domain.KindNotFound
	KindConflict           = domain.KindConflict
	KindGone               = domain.KindGone
	KindPreconditionFailed = domain.KindPreconditionFailed
	KindTooLarge           = domain.KindTooLarge
	KindRateLimited        = domain.KindRateLimited
	KindUnavailable        = domain.KindUnavailable
)

// ErrTeamNotFound is domain.ErrTeamNotFound: an unknown team slug.
var ErrTeamNotFound = domain.ErrTeamNotFound

// ErrPasswordChangeRequired is domain.ErrPasswordChangeRequired: an
// account whose password someone else chose may only change it or sign out.
var ErrPasswordChangeRequired = domain.ErrPasswordChangeRequired

// IsPasswordChangeRequired reports whether err is that refusal
// (domain.IsPasswordChangeRequired).
func IsPasswordChangeRequired(err error) bool { return domain.IsPasswordChangeRequired(err) }

// BearerMistake recognises "Bearer Bearer …" (domain.BearerMistake).
func BearerMistake(token string) error { return domain.BearerMistake(token) }

// AsError reports whether err is (or wraps) a domain error (domain.AsError).
func AsError(err error) (*Error, bool) { return domain.AsError(err) }

// Errorf builds a domain error (domain.Errorf).
func Errorf(kind Kind, field, format string, args ...any) *Error {
	return domain.Errorf(kind, field, format, args...)
}

// BadRequest is a malformed value, naming the field at fault (domain.BadRequest).
func BadRequest(field, format string, args ...any) *Error {
	return domain.BadRequest(field, format, args...)
}

// Forbidden says why and who can act (domain.Forbidden).
func Forbidden(format string, args ...any) *Error { return domain.Forbidden(format, args...) }

// NotFound is something the caller's team doesn't have (domain.NotFound).
func NotFound(format string, args ...any) *Error { return domain.NotFound(format, args...) }

// Conflict clashes with the current state (domain.Conflict).
func Conflict(field, format string, args ...any) *Error {
	return domain.Conflict(field, format, args...)
}

// Unauthorized is missing or bad credentials (domain.Unauthorized).
func Unauthorized(format string, args ...any) *Error { return domain.Unauthorized(format, args...) }

// Gone is an invite link that was used, revoked or expired (domain.Gone).
func Gone(format string, args ...any) *Error { return domain.Gone(format, args...) }

// RateLimited asks the client to wait (domain.RateLimited).
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	return domain.RateLimited(wait, format, args...)
}

// FromSCIM turns a SCIM core error into a domain error (domain.FromSCIM).
func FromSCIM(err error) error { return domain.FromSCIM(err) }

// Package domain: who acts.
type (
	// Actor is domain.Actor: who makes a change, for the audit trail.
	Actor = domain.Actor
	// Caller is domain.Caller: who calls the admin API.
	Caller = domain.Caller
	// Principal is domain.Principal: an authenticated SCIM caller.
	Principal = domain.Principal
)

// AccountActor is the audit actor of a signed-in person (domain.AccountActor).
func AccountActor(acc store.Account, requestID, ip string) Actor {
	return domain.AccountActor(acc, requestID, ip)
}

// TokenActor is the audit actor of a personal API token (domain.TokenActor).
func TokenActor(t store.APIToken, requestID, ip string) Actor {
	return domain.TokenActor(t, requestID, ip)
}

// Package domain: roles and the permission matrix.
type (
	// Action is domain.Action: something a member may do in a team.
	Action = domain.Action
	// Permission is domain.Permission: one row of the matrix.
	Permission = domain.Permission
)

// Roles a member can hold (domain).
const (
	RoleSuperAdmin = domain.RoleSuperAdmin
	RoleAdmin      = domain.RoleAdmin
	RoleBilling    = domain.RoleBilling
	RoleDeveloper  = domain.RoleDeveloper
)

// The actions of the permission matrix (domain).
const (
	ActTeamView      = domain.ActTeamView
	ActMembersRead   = domain.ActMembersRead
	ActMembersManage = domain.ActMembersManage
	ActInvitesManage = domain.ActInvitesManage
	ActSCIMManage    = domain.ActSCIMManage
	ActAuditRead     = domain.ActAuditRead
)

var (
	// Permissions is the whole matrix (domain.Permissions).
	Permissions = domain.Permissions
	// AllRoles lists the team roles, most powerful first (domain.AllRoles).
	AllRoles = domain.AllRoles
	// SeatRoles are the roles that take a paid seat (domain.SeatRoles).
	SeatRoles = domain.SeatRoles
)

// Allowed reports whether a member holding roles may perform act (domain.Allowed).
func Allowed(roles []string, act Action) bool { return domain.Allowed(roles, act) }

// RequirePermission refuses a caller whose roles don't allow act in the
// team, saying which roles do (domain.RequirePermission).
func RequirePermission(c Caller, act Action) error { return domain.RequirePermission(c, act) }

// JoinRoles is the stored form of a role list (domain.JoinRoles).
func JoinRoles(roles []string) string { return domain.JoinRoles(roles) }

// SplitRoles reads the stored role list of a member (domain.SplitRoles).
func SplitRoles(s string) []string { return domain.SplitRoles(s) }

// HasRole reports whether the stored role list holds role (domain.HasRole).
func HasRole(stored, role string) bool { return domain.HasRole(stored, role) }

// Package domain: ids, tokens, versions, records.

// TokenPrefix marks Roster SCIM keys (domain.TokenPrefix).
const TokenPrefix = domain.TokenPrefix

// NewID returns a random UUID, version 4 (domain.NewID).
func NewID() string { return domain.NewID() }

// NewToken makes a SCIM key and its hash (domain.NewToken).
func NewToken() (token string, hash []byte) { return domain.NewToken() }

// HashToken is the stored form of a token (domain.HashToken).
func HashToken(token string) []byte { return domain.HashToken(token) }

// KeyStatus derives a key's status at time now (domain.KeyStatus).
func KeyStatus(k store.SCIMKey, now time.Time) string { return domain.KeyStatus(k, now) }

// ETag is a resource version as SCIM shows it (domain.ETag).
func ETag(version int64) string { return domain.ETag(version) }

// ETagMatches reports whether an If-Match / If-None-Match header value
// names the version (domain.ETagMatches).
func ETagMatches(header string, version int64) bool { return domain.ETagMatches(header, version) }

// UserView is domain.UserView: a user as SCIM shows it.
type UserView = domain.UserView

// Package provisioning.
type (
	// GroupView is provisioning.GroupView: a group as SCIM shows it.
	GroupView = provisioning.GroupView
	// ListOptions is provisioning.ListOptions: a SCIM list request.
	ListOptions = provisioning.ListOptions
)

// Package accounts.
type (
	// Membership is accounts.Membership: one team a person belongs to.
	Membership = accounts.Membership
	// Session is accounts.Session: a new sign-in.
	Session = accounts.Session
	// LoginResult is accounts.LoginResult: what a sign-in returns.
	LoginResult = accounts.LoginResult
	// NewAPIToken is accounts.NewAPIToken: a personal API token, shown once.
	NewAPIToken = accounts.NewAPIToken
	// NewInvite is accounts.NewInvite: an invite with its link token.
	NewInvite = accounts.NewInvite
	// AcceptResult is accounts.AcceptResult: an accepted invite.
	AcceptResult = accounts.AcceptResult
	// Argon2Params is accounts.Argon2Params: argon2id's cost parameters.
	Argon2Params = accounts.Argon2Params
	// PasswordWorkStats is accounts.PasswordWorkStats: the argon2id
	// semaphore's counters.
	PasswordWorkStats = accounts.PasswordWorkStats
)

// Secrets, lifetimes and password bounds (accounts).
const (
	APITokenPrefix    = accounts.APITokenPrefix
	InviteTokenPrefix = accounts.InviteTokenPrefix
	DefaultSessionTTL = accounts.DefaultSessionTTL
	InviteTTL         = accounts.InviteTTL
	MinPasswordLen    = accounts.MinPasswordLen
	MaxPasswordLen    = accounts.MaxPasswordLen
)

// ErrBadCredentials is the answer to a wrong email or password
// (accounts.ErrBadCredentials).
var ErrBadCredentials = accounts.ErrBadCredentials

// PasswordParams is what new password hashes use: RFC 9106's second
// recommended option (64 MiB, 3 passes, 4 lanes). Tests lower it once,
// before use; every Service reads it at each hash.
var PasswordParams = accounts.DefaultPasswordParams()

// HashPassword returns the PHC-style argon2id encoding of password, with
// PasswordParams (accounts.HashPassword).
func HashPassword(password string) (string, error) {
	return accounts.HashPassword(PasswordParams, password)
}

// VerifyPassword checks password against an encoded hash in constant time
// (accounts.VerifyPassword).
func VerifyPassword(encoded, password string) bool { return accounts.VerifyPassword(encoded, password) }

// RandomPassword returns a one-time password (accounts.RandomPassword).
func RandomPassword() string { return accounts.RandomPassword() }

// PasswordConcurrency is how many argon2id computations may run at once
// (accounts.PasswordConcurrency).
func PasswordConcurrency() int { return accounts.PasswordConcurrency() }

// SetPasswordConcurrency changes that bound (accounts.SetPasswordConcurrency).
func SetPasswordConcurrency(n int) { accounts.SetPasswordConcurrency(n) }

// PasswordWork reports the argon2id semaphore's counters (accounts.PasswordWork).
func PasswordWork() PasswordWorkStats { return accounts.PasswordWork() }

// ResetPasswordWorkPeak restarts MaxInFlight from what runs now
// (accounts.ResetPasswordWorkPeak).
func ResetPasswordWorkPeak() { accounts.ResetPasswordWorkPeak() }

// Package members.
type (
	// MemberView is members.MemberView: a member as the admin API shows it.
	MemberView = members.MemberView
	// MemberPatch is members.MemberPatch: a member change.
	MemberPatch = members.MemberPatch
	// GroupSummary is members.GroupSummary: a group as the admin screens show it.
	GroupSummary = members.GroupSummary
)

// ProfileFields are the profile attributes the app may edit
// (members.ProfileFields).
var ProfileFields = members.ProfileFields

// Package settings.
type (
	// NewKey is settings.NewKey: a freshly created SCIM key.
	NewKey = settings.NewKey
	// KeyView is settings.KeyView: a SCIM key as the admin API and the CLI show it.
	KeyView = settings.KeyView
	// SchemaPlan is settings.SchemaPlan: what a schema apply changed.
	SchemaPlan = settings.SchemaPlan
)

// Bounds of a team's settings (settings).
const (
	// MaxKeyGrace bounds a rotation's grace period.
	MaxKeyGrace = settings.MaxKeyGrace
	// MaxSeatLimit is the largest seat limit a team can set.
	MaxSeatLimit = settings.MaxSeatLimit
)

// Slugify turns a team name into a URL-safe slug (settings.Slugify).
func Slugify(name string) string { return settings.Slugify(name) }

// ParseGrace reads a rotation's grace period (settings.ParseGrace).
func ParseGrace(text string) (time.Duration, error) { return settings.ParseGrace(text) }

// ParseDuration reads a duration with Go's units or days, 90d or 1d12h
// (settings.ParseDuration).
func ParseDuration(text string) (time.Duration, error) { return settings.ParseDuration(text) }

// ViewTime is how views write a time (settings.ViewTime).
func ViewTime(t time.Time) string { return settings.ViewTime(t) }

// ViewOfKey is k as of now (settings.ViewOfKey).
func ViewOfKey(k store.SCIMKey, now time.Time) KeyView { return settings.ViewOfKey(k, now) }

// ViewOfNewKey is a key just made, with its secret (settings.ViewOfNewKey).
func ViewOfNewKey(nk NewKey, now time.Time) KeyView { return settings.ViewOfNewKey(nk, now) }

// Package logs.
type (
	// AuditPage is logs.AuditPage: one page of audit events.
	AuditPage = logs.AuditPage
	// ProvisioningPage is logs.ProvisioningPage: one page of the provisioning log.
	ProvisioningPage = logs.ProvisioningPage
	// AuditCSV is logs.AuditCSV: audit events as CSV.
	AuditCSV = logs.AuditCSV
	// Overview is logs.Overview: a team summed up for its home page.
	Overview = logs.Overview
	// SCIMState is logs.SCIMState: SCIM's switch and keys, in an Overview.
	SCIMState = logs.SCIMState
	// Activity is logs.Activity: the IdP's traffic per hour, in an Overview.
	Activity = logs.Activity
	// AuditView is logs.AuditView: an audit event as people read it.
	AuditView = logs.AuditView
	// Change is logs.Change: one field before and after an event.
	Change = logs.Change
	// Field is logs.Field: one named value of an event's detail.
	Field = logs.Field
	// ProvisioningView is logs.ProvisioningView: a provisioning log entry
	// as people read it, with what to fix in the IdP.
	ProvisioningView = logs.ProvisioningView
)

// MaxLogPage caps one page of either log (logs.MaxLogPage).
const MaxLogPage = logs.MaxLogPage

// ActivityDays is how far back the overview's chart reaches (logs.ActivityDays).
const ActivityDays = logs.ActivityDays

// ProvisioningHint says what to change in the IdP after a failed request
// (logs.Hint).
func ProvisioningHint(e store.ProvisioningEntry) string { return logs.Hint(e) }

// AuditCSVHeader is the CSV export's header row (logs.AuditCSVHeader).
var AuditCSVHeader = logs.AuditCSVHeader

// EncodeCursor makes an opaque page token of a log position (logs.EncodeCursor).
func EncodeCursor(c store.LogCursor) string { return logs.EncodeCursor(c) }

// DecodeCursor reads a page token made by EncodeCursor (logs.DecodeCursor).
func DecodeCursor(s string) (*store.LogCursor, error) { return logs.DecodeCursor(s) }

// ParseStatusFilter reads a provisioning log status filter (logs.ParseStatusFilter).
func ParseStatusFilter(s string) (lo, hi int, err error) { return logs.ParseStatusFilter(s) }

// AuditRecord is the exported shape of an audit event (logs.AuditRecord).
func AuditRecord(e store.AuditEvent) map[string]any { return logs.AuditRecord(e) }

// ProvisioningRecord is the exported shape of a provisioning log entry
// (logs.ProvisioningRecord).
func ProvisioningRecord(e store.ProvisioningEntry, full bool) map[string]any {
	return logs.ProvisioningRecord(e, full)
}

// NewAuditCSV writes the CSV header row (logs.NewAuditCSV).
func NewAuditCSV(w io.Writer) (*AuditCSV, error) { return logs.NewAuditCSV(w) }

// WriteAuditCSV writes a header row and the events (logs.WriteAuditCSV).
func WriteAuditCSV(w io.Writer, events []store.AuditEvent) error {
	return logs.WriteAuditCSV(w, events)
}

// WriteAuditJSONL writes one JSON object per line (logs.WriteAuditJSONL).
func WriteAuditJSONL(w io.Writer, events []store.AuditEvent) error {
	return logs.WriteAuditJSONL(w, events)
}
