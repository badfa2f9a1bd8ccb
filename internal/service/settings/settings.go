// Package settings is a team's configuration, as the operator's CLI and a
// team's admins change it: teams and their SCIM switch (teams.go), SCIM
// keys: create, list, revoke, rotate, and how the admin API and the CLI
// show one (keys.go), the seat limit and the group-deletion rule
// (policies.go), and the team's custom User attributes (schema.go).
package settings

import (
	"context"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what settings read outside a transaction.
type Reader interface {
	domain.SeatCounter

	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	ListTeams(ctx context.Context) ([]store.Team, error)
	ListKeys(ctx context.Context, teamID string) ([]store.SCIMKey, error)
}

// Tx is what settings read and write inside a transaction.
type Tx interface {
	domain.AuditWriter
	domain.EventWriter
	domain.AccountCreator

	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	LockTeam(ctx context.Context, teamID string) error
	CreateTeam(ctx context.Context, t store.Team) error
	CreateUser(ctx context.Context, u store.User) error
	SetSCIMEnabled(ctx context.Context, teamID string, on bool) error
	SetUserExtension(ctx context.Context, teamID, ext string) error
	SetTeamPolicies(ctx context.Context, teamID string, seatLimit int, groupDeleteDeactivates bool) error

	ListKeys(ctx context.Context, teamID string) ([]store.SCIMKey, error)
	CreateKey(ctx context.Context, k store.SCIMKey) error
	RevokeKey(ctx context.Context, teamID, id string, at time.Time) error
}

// Store is the storage settings need.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what settings use.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Service is team settings over one store.
type Service struct {
	st  Store
	env domain.Env
}

// New builds the settings service.
func New(st Store, env domain.Env) *Service { return &Service{st: st, env: env} }
