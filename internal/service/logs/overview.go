package logs

import (
	"context"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// ActivityDays is how far back the overview's chart of the IdP's
// requests reaches.
const ActivityDays = 7

// Overview sums a team up for its home page: its members and groups, and,
// for those who may see them, SCIM's state and the IdP's traffic. Every
// figure comes from a bounded query: counts over indexes, the keys of one
// team, one row per hour of the chart (store.ProvisioningActivity) and the
// newest log entry, never a walk of the provisioning log.
type Overview struct {
	Team store.Team
	// ActiveMembers and DeactivatedMembers count the team's members;
	// SeatsUsed counts the active ones whose roles take a seat, against
	// Team.SeatLimit (0: no limit).
	ActiveMembers, DeactivatedMembers, SeatsUsed int
	Groups                                       int
	// SCIM is nil unless the caller may manage SCIM (scim.manage).
	SCIM *SCIMState
	// Activity is nil unless the caller may read the logs (audit.read).
	Activity *Activity
}

// SCIMState is SCIM provisioning's switch and keys.
type SCIMState struct {
	Enabled bool
	// ActiveKeys counts the keys that work now (not revoked or expired).
	ActiveKeys int
	// KeyInUse is the working key the IdP used last; nil when none of
	// them was ever used.
	KeyInUse *store.SCIMKey
}

// Activity is the IdP's traffic as the provisioning log records it.
type Activity struct {
	// Hours holds every hour of the last ActivityDays days, oldest first,
	// the current hour last (hours without traffic hold zeros).
	Hours []store.HourlyActivity
	// Requests and Errors are the totals over Hours.
	Requests, Errors int
	// Errors24h counts the errors of the last 24 hours of Hours (from
	// Since24h, the start of the hour 23 hours before the current one).
	Errors24h int
	Since24h  time.Time
	// Last is the newest request in the log, nil when there is none.
	Last *store.ProvisioningEntry
}

// Connected reports whether the IdP has reached the team: some request
// made with one of its keys is in the log.
func (a *Activity) Connected() bool { return a != nil && a.Last != nil }

// Overview sums up the caller's team (c from TeamCaller); what it holds
// beyond members and groups follows the caller's permissions.
func (s *Service) Overview(ctx context.Context, c domain.Caller) (Overview, error) {
	team := c.Team
	o := Overview{Team: team}
	active, deactivated := true, false
	var err error
	if _, o.ActiveMembers, err = s.st.ListMembers(ctx, team.ID, store.MemberQuery{Active: &active}); err != nil {
		return o, err
	}
	if _, o.DeactivatedMembers, err = s.st.ListMembers(ctx, team.ID, store.MemberQuery{Active: &deactivated}); err != nil {
		return o, err
	}
	if o.SeatsUsed, err = s.st.SeatsUsed(ctx, team.ID, domain.SeatRoles); err != nil {
		return o, err
	}
	if _, o.Groups, err = s.st.ListGroups(ctx, team.ID, store.Query{}); err != nil {
		return o, err
	}
	now := s.env.Now()
	if c.Can(domain.ActSCIMManage) {
		if o.SCIM, err = s.scimState(ctx, team, now); err != nil {
			return o, err
		}
	}
	if c.Can(domain.ActAuditRead) {
		if o.Activity, err = s.activity(ctx, team.ID, now); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s *Service) scimState(ctx context.Context, team store.Team, now time.Time) (*SCIMState, error) {
	keys, err := s.st.ListKeys(ctx, team.ID)
	if err != nil {
		return nil, err
	}
	st := &SCIMState{Enabled: team.SCIMEnabled}
	for i, k := range keys {
		if domain.KeyStatus(k, now) != store.KeyActive {
			continue
		}
		st.ActiveKeys++
		if k.LastUsedAt != nil && (st.KeyInUse == nil || k.LastUsedAt.After(*st.KeyInUse.LastUsedAt)) {
			st.KeyInUse = &keys[i]
		}
	}
	return st, nil
}

// activity reads one row per hour of the window and the newest entry.
func (s *Service) activity(ctx context.Context, teamID string, now time.Time) (*Activity, error) {
	cur := now.UTC().Truncate(time.Hour)
	first := cur.Add(-(ActivityDays*24 - 1) * time.Hour)
	rows, err := s.st.ProvisioningActivity(ctx, teamID, first, cur.Add(time.Hour))
	if err != nil {
		return nil, err
	}
	a := &Activity{Hours: make([]store.HourlyActivity, ActivityDays*24), Since24h: cur.Add(-23 * time.Hour)}
	for i := range a.Hours {
		a.Hours[i].Hour = first.Add(time.Duration(i) * time.Hour)
	}
	for _, r := range rows {
		i := int(r.Hour.Sub(first) / time.Hour)
		if i < 0 || i >= len(a.Hours) {
			continue
		}
		a.Hours[i].Requests, a.Hours[i].Errors = r.Requests, r.Errors
		a.Requests += r.Requests
		a.Errors += r.Errors
		if !r.Hour.Before(a.Since24h) {
			a.Errors24h += r.Errors
		}
	}
	last, err := s.st.QueryProvisioningLog(ctx, teamID, store.ProvisioningQuery{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(last) == 1 {
		a.Last = &last[0]
	}
	return a, nil
}
