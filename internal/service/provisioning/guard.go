package provisioning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// The guard against mass deprovisioning (docs/events.md): when, within
// the team's window, the IdP deactivates or deletes more than the team's
// share of its members (default: more than 20%, and at least 10 people,
// in 10 minutes), Roster stops applying deprovisionings: each one from
// then on is held, not applied, and answered 429 with Retry-After and a
// SCIM error saying why; the team gets a team.deprovisioning_paused
// event, and an admin confirms (the held changes are applied) or rejects
// them (they are dropped). Either way counting starts afresh. The guard
// is per team and can be switched off.
//
// What counts: a SCIM deactivation (active true → false, by PATCH, PUT
// or Bulk) and a SCIM delete of an active member. Deleting a member who
// is already deactivated is not counted (they lost access when they were
// deactivated), nor are the deactivations the team's group-deletion
// policy makes. The guard's row is locked in the write's transaction,
// so a team's deprovisionings are counted one at a time on every replica.

// guardStore is what the guard reads and writes inside a transaction.
type guardStore interface {
	domain.EventWriter
	domain.AuditWriter
	LockDeprovisionGuard(ctx context.Context, teamID string, now time.Time) (store.DeprovisionGuard, error)
	SetDeprovisionGuard(ctx context.Context, g store.DeprovisionGuard) error
	CountDeprovisionMarks(ctx context.Context, teamID string, since time.Time) (int, error)
	AddDeprovisionMark(ctx context.Context, teamID, userID string, at, prune time.Time) error
	ClearDeprovisionMarks(ctx context.Context, teamID string) error
	HoldDeprovision(ctx context.Context, h store.DeprovisionHold) error
	ListMembers(ctx context.Context, teamID string, q store.MemberQuery) ([]store.User, int, error)
}

// errHeld is returned inside a transaction that held a deprovisioning:
// the transaction still commits (the hold, the pause), and the caller
// answers heldError after it.
var errHeld = errors.New("deprovisioning held by the guard")

// heldError is the SCIM answer to a held deprovisioning: 429 with
// Retry-After, and a detail that says why and who can act.
func heldError(team store.Team, g store.DeprovisionGuard) error {
	e := domain.Errorf(domain.KindRateLimited, "", "Roster has paused deprovisioning for team %s: %s. This change is held, not applied, until a team admin "+
		"confirms or rejects the held changes (console: Settings → Deprovisioning; API: POST /api/v1/teams/%s/deprovisioning/confirm or /reject). "+
		"If your IdP is removing people by mistake, fix its assignments first", team.Slug, g.PausedReason, team.Slug)
	e.RetryAfter = max(g.Window, time.Minute)
	return e
}

// guardDeprovision runs in the transaction of a SCIM deactivation or
// deletion of u (op store.HoldDeactivate or store.HoldDelete), before it
// is applied. nil lets it through (counted); errHeld means it was held
// (and the guard may have paused just now): the caller writes nothing of
// the change, commits, and answers heldError.
func (s *Service) guardDeprovision(ctx context.Context, tx guardStore, p domain.Principal, a domain.Actor, u store.User, op string) (store.DeprovisionGuard, error) {
	now := s.env.Now()
	g, err := tx.LockDeprovisionGuard(ctx, p.Team.ID, now)
	if err != nil || !g.Enabled {
		return g, err
	}
	hold := func() (store.DeprovisionGuard, error) {
		if err := tx.HoldDeprovision(ctx, store.DeprovisionHold{TeamID: p.Team.ID, UserID: u.ID, Op: op, At: now, Actor: a.String(), KeyID: p.Key.ID}); err != nil {
			return g, err
		}
		if err := s.env.Audit(ctx, tx, p.Team.ID, a, "user.deprovision_held", "user", u.ID, map[string]any{"userName": u.UserName, "operation": op}); err != nil {
			return g, err
		}
		return g, errHeld
	}
	if g.PausedAt != nil {
		return hold()
	}
	since := now.Add(-g.Window)
	n, err := tx.CountDeprovisionMarks(ctx, p.Team.ID, since)
	if err != nil {
		return g, err
	}
	n++ // this one
	if n >= g.MinCount {
		_, active, err := tx.ListMembers(ctx, p.Team.ID, store.MemberQuery{Active: ptr(true)})
		if err != nil {
			return g, err
		}
		// The members the team had when the window began: those active
		// now and those deprovisioned since (this one is still active).
		base := active + n - 1
		if n*100 > g.Percent*base {
			g.PausedAt = &now
			g.PausedReason = fmt.Sprintf("%d of its %d members would be deactivated or deleted through SCIM within %s (the guard allows up to %d%%, and pauses from %d people on)",
				n, base, windowText(g.Window), g.Percent, g.MinCount)
			g.Updated = now
			if err := tx.SetDeprovisionGuard(ctx, g); err != nil {
				return g, err
			}
			if err := s.env.Audit(ctx, tx, p.Team.ID, a, "team.deprovisioning_paused", "team", p.Team.ID, map[string]any{"reason": g.PausedReason}); err != nil {
				return g, err
			}
			if err := s.env.Emit(ctx, tx, p.Team, a, domain.EventDeprovisionPaused, guardData(g, n, base)); err != nil {
				return g, err
			}
			return hold()
		}
	}
	return g, tx.AddDeprovisionMark(ctx, p.Team.ID, u.ID, now, since)
}

func ptr[T any](v T) *T { return &v }

func windowText(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func guardData(g store.DeprovisionGuard, n, base int) map[string]any {
	return map[string]any{"reason": g.PausedReason, "deprovisioned": n, "members": base, "percent": g.Percent,
		"min_count": g.MinCount, "window_seconds": int(g.Window / time.Second), "paused_at": g.PausedAt.UTC().Format(time.RFC3339)}
}

// GuardView is a team's guard as the admin API and the console show it.
type GuardView struct {
	Enabled       bool       `json:"enabled"`
	Percent       int        `json:"percent"`
	MinCount      int        `json:"min_count"`
	WindowSeconds int        `json:"window_seconds"`
	Paused        bool       `json:"paused"`
	PausedAt      *string    `json:"paused_at"`
	PausedReason  string     `json:"paused_reason,omitempty"`
	Held          []HoldView `json:"held"`
}

// HoldView is one held deprovisioning.
type HoldView struct {
	MemberID  string `json:"member_id"`
	UserName  string `json:"userName"`
	Operation string `json:"operation"`
	At        string `json:"at"`
	By        string `json:"by"`
}

// DeprovisionGuard shows the caller's team's guard and what it holds
// (scim.manage).
func (s *Service) DeprovisionGuard(ctx context.Context, c domain.Caller) (GuardView, error) {
	if err := domain.RequirePermission(c, domain.ActSCIMManage); err != nil {
		return GuardView{}, err
	}
	g, err := s.st.DeprovisionGuard(ctx, c.Team.ID)
	if err != nil {
		return GuardView{}, err
	}
	holds, err := s.st.ListDeprovisionHolds(ctx, c.Team.ID)
	if err != nil {
		return GuardView{}, err
	}
	v := viewOfGuard(g)
	for _, h := range holds {
		hv := HoldView{MemberID: h.UserID, Operation: h.Op, At: h.At.UTC().Format(time.RFC3339), By: h.Actor}
		if u, err := s.st.User(ctx, c.Team.ID, h.UserID); err == nil {
			hv.UserName = u.UserName
		}
		v.Held = append(v.Held, hv)
	}
	return v, nil
}

func viewOfGuard(g store.DeprovisionGuard) GuardView {
	v := GuardView{Enabled: g.Enabled, Percent: g.Percent, MinCount: g.MinCount, WindowSeconds: int(g.Window / time.Second),
		Paused: g.PausedAt != nil, PausedReason: g.PausedReason, Held: []HoldView{}}
	if g.PausedAt != nil {
		t := g.PausedAt.UTC().Format(time.RFC3339)
		v.PausedAt = &t
	}
	return v
}

// GuardPatch changes a team's guard; nil fields stay.
type GuardPatch struct {
	Enabled  *bool
	Percent  *int
	MinCount *int
	Window   *time.Duration
}

// Bounds of the guard's settings.
const (
	MinGuardWindow = time.Minute
	MaxGuardWindow = 7 * 24 * time.Hour
	MaxGuardMin    = 1_000_000
)

// SetDeprovisionGuard changes the caller's team's guard (scim.manage).
// Switching it off while it is paused doesn't apply the held changes:
// confirm or reject them first.
func (s *Service) SetDeprovisionGuard(ctx context.Context, c domain.Caller, p GuardPatch) (GuardView, error) {
	if err := domain.RequirePermission(c, domain.ActSCIMManage); err != nil {
		return GuardView{}, err
	}
	if p.Enabled == nil && p.Percent == nil && p.MinCount == nil && p.Window == nil {
		return GuardView{}, domain.BadRequest("", "nothing to change: send enabled, percent, min_count and/or window_seconds")
	}
	if p.Percent != nil && (*p.Percent < 1 || *p.Percent > 100) {
		return GuardView{}, domain.BadRequest("percent", "percent must be from 1 to 100, not %d", *p.Percent)
	}
	if p.MinCount != nil && (*p.MinCount < 1 || *p.MinCount > MaxGuardMin) {
		return GuardView{}, domain.BadRequest("min_count", "min_count must be from 1 to %d, not %d", MaxGuardMin, *p.MinCount)
	}
	if p.Window != nil && (*p.Window < MinGuardWindow || *p.Window > MaxGuardWindow) {
		return GuardView{}, domain.BadRequest("window_seconds", "window_seconds must be from 60 to %d (a minute to 7 days)", int(MaxGuardWindow/time.Second))
	}
	var out store.DeprovisionGuard
	err := s.st.Tx(ctx, func(tx Tx) error {
		now := s.env.Now()
		g, err := tx.LockDeprovisionGuard(ctx, c.Team.ID, now)
		if err != nil {
			return err
		}
		if p.Enabled != nil {
			if !*p.Enabled && g.PausedAt != nil {
				return domain.Conflict("enabled", "the guard holds changes for team %s: confirm or reject them before switching it off", c.Team.Slug)
			}
			g.Enabled = *p.Enabled
		}
		if p.Percent != nil {
			g.Percent = *p.Percent
		}
		if p.MinCount != nil {
			g.MinCount = *p.MinCount
		}
		if p.Window != nil {
			g.Window = *p.Window
		}
		g.Updated = now
		if err := tx.SetDeprovisionGuard(ctx, g); err != nil {
			return err
		}
		out = g
		return s.env.Audit(ctx, tx, c.Team.ID, c.Actor, "team.deprovisioning_guard", "team", c.Team.ID, map[string]any{
			"enabled": g.Enabled, "percent": g.Percent, "minCount": g.MinCount, "windowSeconds": int(g.Window / time.Second)})
	})
	if err != nil {
		return GuardView{}, err
	}
	return viewOfGuard(out), nil
}

// GuardDecision is what confirming or rejecting did.
type GuardDecision struct {
	Decision string     `json:"decision"` // confirmed or rejected
	Applied  []HoldView `json:"applied"`
	Skipped  []HoldView `json:"skipped"` // with why, in Operation
	Dropped  []HoldView `json:"dropped"`
}

// ConfirmDeprovisioning applies the changes the guard holds for the
// caller's team, then resumes deprovisioning with a fresh window
// (scim.manage). A held change that no longer applies (the member is gone,
// or already deactivated) is skipped; one that would break the Super Admin
// rules (a Super Admin removed by someone who isn't one, the team's last
// Super Admin) is skipped and named.
func (s *Service) ConfirmDeprovisioning(ctx context.Context, c domain.Caller) (GuardDecision, error) {
	return s.decide(ctx, c, true)
}

// RejectDeprovisioning drops the changes the guard holds, and resumes
// deprovisioning with a fresh window (scim.manage). The IdP may send them
// again: fix its assignments first.
func (s *Service) RejectDeprovisioning(ctx context.Context, c domain.Caller) (GuardDecision, error) {
	return s.decide(ctx, c, false)
}

func (s *Service) decide(ctx context.Context, c domain.Caller, confirm bool) (GuardDecision, error) {
	if err := domain.RequirePermission(c, domain.ActSCIMManage); err != nil {
		return GuardDecision{}, err
	}
	var out GuardDecision
	err := s.st.Tx(ctx, func(tx Tx) error {
		out = GuardDecision{Decision: "rejected", Applied: []HoldView{}, Skipped: []HoldView{}, Dropped: []HoldView{}}
		now := s.env.Now()
		g, err := tx.LockDeprovisionGuard(ctx, c.Team.ID, now)
		if err != nil {
			return err
		}
		team, err := tx.Team(ctx, c.Team.ID)
		if err != nil {
			return err
		}
		holds, err := tx.TakeDeprovisionHolds(ctx, team.ID)
		if err != nil {
			return err
		}
		if g.PausedAt == nil && len(holds) == 0 {
			return domain.Conflict("", "deprovisioning is not paused for team %s: there is nothing to confirm or reject", team.Slug)
		}
		for _, h := range holds {
			hv := HoldView{MemberID: h.UserID, Operation: h.Op, At: h.At.UTC().Format(time.RFC3339), By: h.Actor}
			if !confirm {
				out.Dropped = append(out.Dropped, hv)
				continue
			}
			why, err := s.applyHold(ctx, tx, c, team, h, &hv)
			if err != nil {
				return err
			}
			if why != "" {
				hv.Operation = h.Op + ": skipped, " + why
				out.Skipped = append(out.Skipped, hv)
				continue
			}
			out.Applied = append(out.Applied, hv)
		}
		if confirm {
			out.Decision = "confirmed"
		}
		g.PausedAt, g.PausedReason, g.Updated = nil, "", now
		if err := tx.SetDeprovisionGuard(ctx, g); err != nil {
			return err
		}
		if err := tx.ClearDeprovisionMarks(ctx, team.ID); err != nil {
			return err
		}
		if err := s.env.Audit(ctx, tx, team.ID, c.Actor, "team.deprovisioning_"+out.Decision, "team", team.ID, map[string]any{
			"applied": len(out.Applied), "skipped": len(out.Skipped), "dropped": len(out.Dropped)}); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, c.Actor, domain.EventDeprovisionResumed, map[string]any{"decision": out.Decision,
			"applied": len(out.Applied), "skipped": len(out.Skipped), "dropped": len(out.Dropped)})
	})
	return out, err
}

// applyHold applies one held change as the confirming admin; it says why
// when it doesn't apply.
func (s *Service) applyHold(ctx context.Context, tx Tx, c domain.Caller, team store.Team, h store.DeprovisionHold, hv *HoldView) (string, error) {
	u, err := tx.User(ctx, team.ID, h.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return "the member is gone", nil
	}
	if err != nil {
		return "", err
	}
	hv.UserName = u.UserName
	if h.Op == store.HoldDeactivate && !u.Active {
		return "already deactivated", nil
	}
	sa, err := domain.IsSuperAdmin(ctx, tx, u)
	if err != nil {
		return "", err
	}
	if sa && !c.HasRole(domain.RoleSuperAdmin) {
		return "a Super Admin: only a Super Admin may confirm this", nil
	}
	a, wasActive := c.Actor, u.Active
	if h.Op == store.HoldDelete {
		if err := tx.DeleteUser(ctx, team.ID, u.ID); err != nil {
			return "", err
		}
	} else {
		v, err := domain.ViewOfUser(u)
		if err != nil {
			return "", err
		}
		v.Attrs["active"] = false
		if err := domain.FillUser(&u, v.Attrs); err != nil {
			return "", err
		}
		u.Version++
		u.Modified = s.env.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return "", err
		}
	}
	if sa && wasActive {
		// The whole confirmation is refused if the team would lose its
		// last active Super Admin.
		if err := domain.AfterSuperAdminChange(ctx, tx, team, false, h.Op+" "+u.UserName); err != nil {
			return "", err
		}
	}
	detail := map[string]any{"userName": u.UserName, "heldFrom": h.Actor, "confirmedHold": true}
	if h.Op == store.HoldDelete {
		if err := s.env.Audit(ctx, tx, team.ID, a, "user.delete", "user", u.ID, detail); err != nil {
			return "", err
		}
		data := domain.MemberData(u)
		data["held_from"] = h.Actor
		return "", s.env.Emit(ctx, tx, team, a, domain.EventMemberDeleted, data)
	}
	if err := s.env.Audit(ctx, tx, team.ID, a, "user.deactivate", "user", u.ID, detail); err != nil {
		return "", err
	}
	data := domain.MemberChange(u, []string{"active"})
	data["held_from"] = h.Actor
	return "", s.env.Emit(ctx, tx, team, a, domain.EventMemberDeactivated, data)
}
