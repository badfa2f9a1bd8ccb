// Package provisioning is what an identity provider does to a team over
// SCIM: which key is calling (auth.go), the team's User resource type
// (usertype.go), users (users.go: a create claims a pending invite for the
// same email) and groups (groups.go; a PATCH of a group's members is
// planned in memberpatch.go and written as row inserts and deletes).
// The rules it applies on the way (seats, Super Admins, If-Match) are
// package domain's.
package provisioning

import (
	"context"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what provisioning reads outside a transaction.
type Reader interface {
	KeyWithTeam(ctx context.Context, hash []byte) (store.SCIMKey, store.Team, error)
	KeyByHash(ctx context.Context, hash []byte) (store.SCIMKey, error)

	User(ctx context.Context, teamID, id string) (store.User, error)
	ListUsers(ctx context.Context, teamID string, q store.Query) ([]store.User, int, error)
	GroupsOfUser(ctx context.Context, teamID, userID string) ([]store.GroupRef, error)
	GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]store.GroupRef, error)

	Group(ctx context.Context, teamID, id string) (store.Group, error)
	ListGroups(ctx context.Context, teamID string, q store.Query) ([]store.Group, int, error)
	Members(ctx context.Context, teamID, groupID string) ([]store.MemberRef, error)
	MemberCount(ctx context.Context, teamID, groupID string) (int, error)
	MemberCountUpTo(ctx context.Context, teamID, groupID string, limit int) (int, error)

	// The deprovisioning guard (guard.go).
	DeprovisionGuard(ctx context.Context, teamID string) (store.DeprovisionGuard, error)
	ListDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error)
}

// Tx is what provisioning reads and writes inside a transaction.
type Tx interface {
	domain.AuditWriter
	domain.EventWriter
	guardStore // guard.go
	Team(ctx context.Context, id string) (store.Team, error)
	TakeDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error)
	domain.SeatCounter
	domain.RoleReader
	domain.GroupRoleReader
	domain.SuperAdminCounter

	TouchKey(ctx context.Context, teamID, id string, at time.Time, ip string) error

	User(ctx context.Context, teamID, id string) (store.User, error)
	ExistingUsers(ctx context.Context, teamID string, ids []string) (map[string]bool, error)
	CreateUser(ctx context.Context, u store.User) error
	UpdateUser(ctx context.Context, u store.User) error
	DeleteUser(ctx context.Context, teamID, id string) error

	Group(ctx context.Context, teamID, id string) (store.Group, error)
	Members(ctx context.Context, teamID, groupID string) ([]store.MemberRef, error)
	SoleMembers(ctx context.Context, teamID, groupID string) ([]string, error)
	CreateGroup(ctx context.Context, g store.Group) error
	UpdateGroup(ctx context.Context, g store.Group) error
	DeleteGroup(ctx context.Context, teamID, id string) error
	AddMembers(ctx context.Context, teamID, groupID string, userIDs []string) error
	RemoveMembers(ctx context.Context, teamID, groupID string, userIDs []string) error
	RemoveAllMembers(ctx context.Context, teamID, groupID string) error
	// The membership writes that report what they changed (events).
	AddMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error)
	RemoveMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error)
	RemoveAllMembersChanged(ctx context.Context, teamID, groupID string) ([]string, error)

	PendingInvite(ctx context.Context, teamID, email string) (store.Invite, error)
	CloseInvite(ctx context.Context, teamID, id, status string, at time.Time) error
	SetInviteMember(ctx context.Context, teamID, id, memberID string) error
}

// Store is the storage provisioning needs.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what provisioning uses.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Service is provisioning over one store.
type Service struct {
	st  Store
	env domain.Env

	touchMu sync.Mutex
	touched map[string]time.Time // key id → last recorded use
}

// New builds the provisioning service.
func New(st Store, env domain.Env) *Service {
	return &Service{st: st, env: env, touched: map[string]time.Time{}}
}
