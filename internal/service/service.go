// Package service owns Roster's rules: what provisioning means for a team's
// members, how keys authenticate, and what gets audited. It speaks the SCIM
// model (package scim) and the storage contract (package store), and knows
// nothing of HTTP.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/store"
)

// Roles a member can hold. Provisioned members get the team's default role.
const (
	RoleSuperAdmin = "Super Admin"
	RoleAdmin      = "Admin"
	RoleBilling    = "Billing"
	RoleDeveloper  = "Developer"
)

// Service is the domain layer over one store.
type Service struct {
	st  store.Store // private: every caller goes through the methods
	Log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time

	touchMu sync.Mutex
	touched map[string]time.Time // key id → last recorded use
}

// New builds a Service.
func New(s store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: s, Log: log, Now: time.Now, touched: map[string]time.Time{}}
}

// Actor says who makes a change, for the audit trail.
type Actor struct {
	Kind      string // "scim-key", "cli" or "system"
	ID        string
	Name      string
	RequestID string
	IP        string

	// superAdminOf is the team in which this actor holds Super Admin, set
	// only by TeamCaller: it decides whether a SCIM key the actor makes
	// may change who is a Super Admin.
	superAdminOf string
}

// superAdminIn reports whether the actor may grant, take or remove Super
// Admin in a team: the operator's CLI always, a person only as a Super
// Admin of that team.
func (a Actor) superAdminIn(teamID string) bool {
	return a.Kind == "cli" || (teamID != "" && a.superAdminOf == teamID)
}

func (a Actor) String() string {
	if a.Name == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.Name
}

// NewID returns a random UUID (version 4). Random ids give no hot spot to
// a distributed database and reveal nothing about other teams.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// audit appends one event inside the caller's transaction, so the change
// and its record land together.
func (s *Service) audit(ctx context.Context, tx store.Tx, teamID string, a Actor, action, targetType, targetID string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return tx.AppendAudit(ctx, store.AuditEvent{
		TeamID: teamID, ID: NewID(), At: s.Now(), Actor: a.String(), Action: action,
		TargetType: targetType, TargetID: targetID, Detail: string(b), RequestID: a.RequestID, IP: a.IP,
	})
}

// StartProvisioningLog starts the provisioning log's writer on the service's
// store (the SCIM edge feeds it; Close stops it).
func (s *Service) StartProvisioningLog(log *slog.Logger, cfg provlog.Config) *provlog.Logger {
	return provlog.New(s.st, log, cfg)
}
