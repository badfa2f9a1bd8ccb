package sso

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// MaxTraces is the most traces one list returns.
const MaxTraces = 1000

// trace makes a trace record of an attempt through c.
func (s *Service) trace(c Connection, m Meta, outcome string, v Verdict) store.SSOTrace {
	detail := ""
	if len(v.Detail) > 0 {
		if b, err := json.Marshal(v.Detail); err == nil && len(b) <= 8<<10 {
			detail = string(b)
		}
	}
	return store.SSOTrace{TeamID: c.TeamID, ID: domain.NewID(), At: s.env.Now(), ConnectionID: c.ID, Protocol: c.Type,
		Outcome: outcome, Error: v.Code, Message: truncate(v.Message, 1000), Email: truncate(v.Email, 320), Subject: truncate(v.Subject, 1024),
		Detail: detail, IP: m.IP, RequestID: m.RequestID}
}

// appendTrace writes a trace and prunes the team's traces beyond the
// retention (age and count), in tx.
func (s *Service) appendTrace(ctx context.Context, tx Tx, t store.SSOTrace) error {
	if err := tx.AppendSSOTrace(ctx, t); err != nil {
		return err
	}
	days := s.TraceDays
	if days <= 0 {
		days = 30
	}
	_, err := tx.PruneSSOTraces(ctx, t.TeamID, t.At.Add(-time.Duration(days)*24*time.Hour), s.TraceRows)
	return err
}

// SSOTraces lists a team's latest sign-in traces, newest first (limit 1 to
// MaxTraces; 0 means 50).
func (s *Service) SSOTraces(ctx context.Context, slug string, limit int) ([]store.SSOTrace, error) {
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxTraces:
		return nil, domain.BadRequest("limit", "limit must be between 1 and %d", MaxTraces)
	}
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return nil, domain.TeamError(err, slug)
	}
	return s.st.ListSSOTraces(ctx, team.ID, limit)
}

// SSOTrace reads one trace of a team (the reference a refused person is
// given).
func (s *Service) SSOTrace(ctx context.Context, slug, id string) (store.SSOTrace, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return store.SSOTrace{}, domain.TeamError(err, slug)
	}
	t, err := s.st.SSOTrace(ctx, team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, domain.NotFound("team %s has no sign-in trace %q", team.Slug, id)
	}
	return t, err
}
