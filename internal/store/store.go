// Package store defines Roster's storage contract: the records it keeps and
// the interfaces every backend implements. Every record belongs to a team
// and every method that touches team data takes the team id first, so one
// team can never reach another's rows.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
)

// Sentinel errors every backend returns, so callers never see driver errors.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict is a uniqueness violation detected by the database itself.
	ErrConflict = errors.New("already exists")
	// ErrStale is an update whose expected version is no longer current:
	// another writer got there first.
	ErrStale = errors.New("version changed concurrently")
)

// UnsupportedFilterError is returned by list methods for a filter the
// backend can't compile to a query. It is the client's error, not ours.
type UnsupportedFilterError struct{ Reason string }

func (e *UnsupportedFilterError) Error() string { return e.Reason }

// InvalidSortError is returned for a sortBy the backend can't order by.
type InvalidSortError struct{ Reason string }

func (e *InvalidSortError) Error() string { return e.Reason }

// Team is a tenant.
type Team struct {
	ID          string
	Slug        string
	Name        string
	AdminEmail  string
	SCIMEnabled bool
	DefaultRole string
	Created     time.Time
	// UserExtension is the JSON list of the team's custom User attributes
	// (scim.CustomAttribute); "" when it has none.
	UserExtension string
	// SeatLimit caps the active members that use a seat; 0 means no cap.
	SeatLimit int
	// GroupDeleteDeactivates chooses Postman's behaviour: deleting a group
	// deactivates the members who were in no other group.
	GroupDeleteDeactivates bool
}

// Key statuses.
const (
	KeyActive  = "ACTIVE"
	KeyRevoked = "REVOKED"
	KeyExpired = "EXPIRED"
)

// SCIMKey is a team-owned SCIM API key. Only the hash of the secret is kept.
type SCIMKey struct {
	TeamID     string
	ID         string
	Name       string
	Prefix     string // the first characters of the token, for recognising it
	Hash       []byte // SHA-256 of the whole token
	CreatedBy  string
	Created    time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	LastUsedIP string
	// Privileged keys (made by a Super Admin or the operator's CLI) may
	// change who is a Super Admin; others are refused such changes.
	Privileged bool
}

// Member sources and statuses.
const (
	SourceSCIM   = "scim"
	SourceManual = "manual"
	SourceInvite = "invite"
)

// User is a team member as a SCIM User. Attrs holds the canonical SCIM
// attributes as JSON; the columns beside it are the ones queries index.
type User struct {
	TeamID      string
	ID          string
	UserName    string
	ExternalID  string
	DisplayName string
	Active      bool
	Emails      []Email // every emails[] element, for lookups
	Source      string
	Role        string
	// AccountID is the account that is this person in this team, or ""
	// when none is linked. Only an event of the team links one (its
	// creation, one of its invites accepted, a sign-in through its own
	// IdP): never an email or any attribute the IdP or a user sets.
	// UpdateUser never changes it; LinkAccount does.
	AccountID string
	Attrs     []byte
	Created   time.Time
	Modified  time.Time
	Version   int64
}

// Email is one emails[] element, kept in its own rows so that emails.value
// and emails[type eq "work"].value lookups use an index.
type Email struct {
	Value   string
	Type    string
	Primary bool
}

// Group is a team's group. Its members live in their own rows, so adding
// one member never rewrites the others.
type Group struct {
	TeamID      string
	ID          string
	DisplayName string
	ExternalID  string
	Attrs       []byte
	Created     time.Time
	Modified    time.Time
	Version     int64
}

// MemberRef is one group member with the name to display for it.
type MemberRef struct {
	UserID  string
	Display string
}

// GroupRef is one group of a user.
type GroupRef struct {
	GroupID string
	Display string
}

// Invite is a pending invitation to join a team.
type Invite struct {
	TeamID string
	ID     string
	Email  string
	Role   string
	Status string // pending, accepted, claimed, revoked
	// MemberID is the member accepting the invite links to: the one SCIM
	// created when it claimed the invite, or the unlinked member the
	// invite was made for; "" when accepting creates the member.
	MemberID string
	Created  time.Time
	ClosedAt *time.Time
}

// AuditEvent records one change: who did what to which resource, and when.
type AuditEvent struct {
	TeamID     string
	ID         string
	At         time.Time
	Actor      string // e.g. "scim-key:Okta (key id)", "cli"
	Action     string // e.g. "user.create"
	TargetType string
	TargetID   string
	Detail     string // a short JSON summary, never secrets
	RequestID  string
	IP         string
}

// Query is a list request: which resources, in which order, which slice.
type Query struct {
	// Filter selects resources; nil selects all.
	Filter filter.Expr
	// Type resolves attributes that have no column of their own (custom
	// extensions included). Nil means the built-in User or Group type.
	Type *scim.ResourceType
	// SortBy is an attribute path (RFC 7644 §3.4.2.3); "" keeps the
	// default order, by creation then id, which never changes between pages.
	SortBy     string
	Descending bool
	Page
}

// Page asks for a slice of a list: Offset rows skipped, at most Limit rows
// (Limit 0 returns only the total).
type Page struct {
	Offset int
	Limit  int
}

// Store is the whole storage contract. Reads run outside transactions;
// every write runs inside Tx so a request's changes land together or not
// at all.
type Store interface {
	Reader
	// Tx runs fn in one write transaction. If fn returns an error the
	// transaction is rolled back and the error returned.
	Tx(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Reader holds the read methods, available both outside and inside Tx.
type Reader interface {
	AccountReader // accounts.go
	LogReader     // logs.go
	SSOReader     // sso.go
	EventReader   // events.go

	TeamBySlug(ctx context.Context, slug string) (Team, error)
	Team(ctx context.Context, id string) (Team, error)
	ListTeams(ctx context.Context) ([]Team, error)
	// KeyByHash finds a key by the hash of its token, in any team.
	KeyByHash(ctx context.Context, hash []byte) (SCIMKey, error)
	// KeyWithTeam finds a key by hash together with its team (one query,
	// for authentication); ErrNotFound when no key has that hash.
	KeyWithTeam(ctx context.Context, hash []byte) (SCIMKey, Team, error)
	ListKeys(ctx context.Context, teamID string) ([]SCIMKey, error)

	User(ctx context.Context, teamID, id string) (User, error)
	// ListUsers returns one page of the team's users matching the query,
	// plus the total number of matches. Every order ends with creation
	// time and id, so pages never overlap.
	ListUsers(ctx context.Context, teamID string, q Query) ([]User, int, error)
	GroupsOfUser(ctx context.Context, teamID, userID string) ([]GroupRef, error)
	// GroupsOfUsers is GroupsOfUser for many users in one go; users in no
	// group are absent from the map.
	GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]GroupRef, error)

	Group(ctx context.Context, teamID, id string) (Group, error)
	ListGroups(ctx context.Context, teamID string, q Query) ([]Group, int, error)
	Members(ctx context.Context, teamID, groupID string) ([]MemberRef, error)
	MemberCount(ctx context.Context, teamID, groupID string) (int, error)
	// MemberCountUpTo is MemberCount, but counts no further than limit.
	MemberCountUpTo(ctx context.Context, teamID, groupID string, limit int) (int, error)
	// SeatsUsed counts the active members whose roles take a seat.
	SeatsUsed(ctx context.Context, teamID string, seatRoles []string) (int, error)
	GroupRoles(ctx context.Context, teamID, groupID string) ([]string, error)
	// RolesFromGroups lists the roles a user holds through its groups.
	RolesFromGroups(ctx context.Context, teamID, userID string) ([]string, error)
	// SoleMembers lists the members of a group who are in no other group.
	SoleMembers(ctx context.Context, teamID, groupID string) ([]string, error)
	// ExistingUsers returns which of ids are users of the team.
	ExistingUsers(ctx context.Context, teamID string, ids []string) (map[string]bool, error)

	PendingInvite(ctx context.Context, teamID, email string) (Invite, error)
	// CountActiveWithRole counts, up to limit, the team's active members
	// who hold role, as their own or through a group's role binding.
	CountActiveWithRole(ctx context.Context, teamID, role string, limit int) (int, error)
	ListAudit(ctx context.Context, teamID string, limit int) ([]AuditEvent, error)
}

// Tx holds the write methods. Implementations enforce uniqueness in the
// database and report it as ErrConflict.
type Tx interface {
	Reader
	AccountTx // accounts.go
	LogTx     // logs.go
	SSOTx     // sso.go
	EventTx   // events.go

	CreateTeam(ctx context.Context, t Team) error
	// LockTeam holds the team's row until the transaction ends, so writes
	// that check a team-wide rule before they insert (two active SCIM keys
	// may not share a name) take turns on every replica. ErrNotFound when
	// there is no such team.
	LockTeam(ctx context.Context, teamID string) error
	SetSCIMEnabled(ctx context.Context, teamID string, on bool) error
	SetUserExtension(ctx context.Context, teamID, ext string) error
	SetTeamPolicies(ctx context.Context, teamID string, seatLimit int, groupDeleteDeactivates bool) error
	SetGroupRoles(ctx context.Context, teamID, groupID string, roles []string) error
	CreateKey(ctx context.Context, k SCIMKey) error
	// RevokeKey makes a key stop working at time at (now, or the end of a
	// rotation's grace period). A revocation is never postponed.
	RevokeKey(ctx context.Context, teamID, id string, at time.Time) error
	TouchKey(ctx context.Context, teamID, id string, at time.Time, ip string) error

	CreateUser(ctx context.Context, u User) error
	// UpdateUser writes u if the stored version is still u.Version-1, so a
	// concurrent writer's update is never lost; otherwise ErrStale.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes the user and every group membership it has.
	DeleteUser(ctx context.Context, teamID, id string) error

	CreateGroup(ctx context.Context, g Group) error
	UpdateGroup(ctx context.Context, g Group) error
	DeleteGroup(ctx context.Context, teamID, id string) error
	// AddMembers adds users to a group; ones already in it are skipped.
	AddMembers(ctx context.Context, teamID, groupID string, userIDs []string) error
	RemoveMembers(ctx context.Context, teamID, groupID string, userIDs []string) error
	RemoveAllMembers(ctx context.Context, teamID, groupID string) error

	CreateInvite(ctx context.Context, inv Invite) error
	// CloseInvite closes an open (pending or claimed) invite.
	CloseInvite(ctx context.Context, teamID, id, status string, at time.Time) error
	// SetInviteMember records the member an invite is for.
	SetInviteMember(ctx context.Context, teamID, id, memberID string) error
	// LinkAccount links a member to an account. ErrConflict when the
	// member is linked to another account or the account already has
	// another member in the team; linking again to the same account is a
	// no-op.
	LinkAccount(ctx context.Context, teamID, userID, accountID string) error

	AppendAudit(ctx context.Context, e AuditEvent) error
}
