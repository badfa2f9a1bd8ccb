package domain

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Env is what every feature reads at each use: the clock and the logger.
// Package service gives each feature an Env whose functions read its own
// fields (Service.Now, Service.Log), so a test that sets Service.Now
// drives every feature at once.
type Env struct {
	Now func() time.Time
	Log func() *slog.Logger
	// AuthFailures logs credentials no key or token matches, rate-limited
	// per client address (nil: not logged).
	AuthFailures *AuthFailures
}

// AuditWriter is the one store method the audit trail needs.
type AuditWriter interface {
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Audit appends one event inside the caller's transaction, so the change
// and its record land together.
func (e Env) Audit(ctx context.Context, tx AuditWriter, teamID string, a Actor, action, targetType, targetID string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return tx.AppendAudit(ctx, store.AuditEvent{
		TeamID: teamID, ID: NewID(), At: e.Now(), Actor: a.String(), Action: action,
		TargetType: targetType, TargetID: targetID, Detail: string(b), RequestID: a.RequestID, IP: a.IP,
	})
}
