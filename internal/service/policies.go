package service

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// MaxSeatLimit is the largest seat limit a team can set: far beyond any
// team, and within every backend's integer column.
const MaxSeatLimit = 100_000_000

// SeatRoles are the roles that take a paid seat (Postman's rule: Admin-
// and Billing-only members are support users and take none).
var SeatRoles = []string{RoleDeveloper, RoleSuperAdmin}

// SplitRoles reads the comma-separated role list of a member.
func SplitRoles(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func takesSeat(roles string) bool {
	for _, r := range SplitRoles(roles) {
		for _, s := range SeatRoles {
			if r == s {
				return true
			}
		}
	}
	return false
}

// checkSeat refuses to activate one more seat-taking member beyond the
// team's limit. The answer is 403 with a detail that names the licence
// problem, so an admin reading the IdP's error knows what to do; the
// count runs inside the write transaction.
func checkSeat(ctx context.Context, tx store.Tx, team store.Team, u store.User) error {
	if team.SeatLimit <= 0 || !u.Active || !takesSeat(u.Role) {
		return nil
	}
	used, err := tx.SeatsUsed(ctx, team.ID, SeatRoles)
	if err != nil {
		return err
	}
	if used >= team.SeatLimit {
		return Errorf(KindForbidden, "", "seat limit reached: team %q uses all %d of its seats, so %q can't be made active; a team admin can raise the limit (roster team policy --seat-limit) or deactivate members", team.Name, team.SeatLimit, u.UserName)
	}
	return nil
}

// SetTeamPolicies changes a team's seat limit and group-deletion rule;
// nil leaves a setting as it is.
func (s *Service) SetTeamPolicies(ctx context.Context, slug string, seatLimit *int, groupDeleteDeactivates *bool, a Actor) (store.Team, error) {
	var team store.Team
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		if team, err = tx.TeamBySlug(ctx, slug); err != nil {
			return teamError(err, slug)
		}
		before := map[string]any{"seatLimit": team.SeatLimit, "groupDeleteDeactivates": team.GroupDeleteDeactivates}
		if seatLimit != nil {
			if *seatLimit < 0 {
				return BadRequest("seat_limit", "the seat limit can't be negative (0 means no limit)")
			}
			if *seatLimit > MaxSeatLimit {
				return BadRequest("seat_limit", "the seat limit can be at most %d (0 means no limit)", MaxSeatLimit)
			}
			team.SeatLimit = *seatLimit
		}
		if groupDeleteDeactivates != nil {
			team.GroupDeleteDeactivates = *groupDeleteDeactivates
		}
		if err := tx.SetTeamPolicies(ctx, team.ID, team.SeatLimit, team.GroupDeleteDeactivates); err != nil {
			return err
		}
		return s.audit(ctx, tx, team.ID, a, "team.policy", "team", team.ID, map[string]any{
			"before": before, "after": map[string]any{"seatLimit": team.SeatLimit, "groupDeleteDeactivates": team.GroupDeleteDeactivates}})
	})
	return team, err
}

// SetGroupRoles binds a group to team roles: its members hold them while
// they are in the group.
func (s *Service) SetGroupRoles(ctx context.Context, slug, groupID string, roles []string, a Actor) error {
	return s.setGroupRoles(ctx, slug, groupID, roles, a, nil)
}

// setGroupRoles binds the roles in one transaction; allow, when given,
// sees the roles bound before and may refuse the change.
func (s *Service) setGroupRoles(ctx context.Context, slug, groupID string, roles []string, a Actor, allow func(before []string) error) error {
	for _, r := range roles {
		if !validRole(r) {
			return BadRequest("roles", "unknown role %q: use %q, %q, %q or %q", r, RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper)
		}
	}
	return s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return teamError(err, slug)
		}
		if _, err := tx.Group(ctx, team.ID, groupID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return NotFound("team %s has no group %q", slug, groupID)
			}
			return err
		}
		before, err := tx.GroupRoles(ctx, team.ID, groupID)
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(before); err != nil {
				return err
			}
		}
		if err := tx.SetGroupRoles(ctx, team.ID, groupID, roles); err != nil {
			return err
		}
		if slices.Contains(before, RoleSuperAdmin) && !slices.Contains(roles, RoleSuperAdmin) {
			if err := s.afterSuperAdminChange(ctx, tx, team, false, "withdraw Super Admin from group "+groupID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, team.ID, a, "group.roles", "group", groupID, map[string]any{"before": before, "after": roles})
	})
}

// EffectiveRoles are a member's own roles plus those its groups grant,
// sorted and without duplicates.
func (s *Service) EffectiveRoles(ctx context.Context, r store.Reader, u store.User) ([]string, error) {
	fromGroups, err := r.RolesFromGroups(ctx, u.TeamID, u.ID)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, role := range append(SplitRoles(u.Role), fromGroups...) {
		set[role] = true
	}
	out := make([]string, 0, len(set))
	for role := range set {
		out = append(out, role)
	}
	sort.Strings(out)
	return out, nil
}

// deactivateSoleMembers applies Postman's rule on group deletion when the
// team chose it: members whose only group this was are deactivated. It
// reports whether one of them was a Super Admin (the Super Admin rules
// then apply: the key must be privileged, checked here, and the team must
// keep one, checked by the caller once the group is gone).
func (s *Service) deactivateSoleMembers(ctx context.Context, tx store.Tx, p Principal, groupID string, a Actor) (bool, error) {
	team := p.Team
	ids, err := tx.SoleMembers(ctx, team.ID, groupID)
	if err != nil {
		return false, err
	}
	now := s.Now()
	touchedSA := false
	for _, id := range ids {
		u, err := tx.User(ctx, team.ID, id)
		if err != nil {
			return false, err
		}
		if !u.Active {
			continue
		}
		sa, err := s.guardSCIMMember(ctx, tx, p, u, "deactivate")
		if err != nil {
			return false, err
		}
		touchedSA = touchedSA || sa
		v, err := userView(u)
		if err != nil {
			return false, err
		}
		v.Attrs["active"] = false
		if err := fillUser(&u, v.Attrs); err != nil {
			return false, err
		}
		u.Version++
		u.Modified = now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return false, err
		}
		if err := s.audit(ctx, tx, team.ID, a, "user.deactivate", "user", id, map[string]any{
			"userName": u.UserName, "reason": "their only group was deleted (team policy)", "group": groupID}); err != nil {
			return false, err
		}
	}
	return touchedSA, nil
}

// MaxKeyGrace bounds a rotation's grace period: long enough for any
// IdP change window, short enough that a leaked old key dies.
const MaxKeyGrace = 30 * 24 * time.Hour

func graceError(given string) error {
	return BadRequest("grace", "grace must be a duration from 0s to 720h (30 days), such as 24h, not %q", given)
}

// ParseGrace reads a rotation's grace period as people write it ("24h";
// "" is 0), within 0 and MaxKeyGrace.
func ParseGrace(text string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	grace, err := time.ParseDuration(text)
	if err != nil || grace < 0 || grace > MaxKeyGrace {
		return 0, graceError(text)
	}
	return grace, nil
}

// RotateKey replaces a key: a new key is created with the same name, and
// the old one keeps working for the grace period, then stops (Postman's
// "keep the previous key active while you switch").
func (s *Service) RotateKey(ctx context.Context, slug, keyID string, grace time.Duration, a Actor) (NewKey, error) {
	if grace < 0 {
		return NewKey{}, BadRequest("grace", "the grace period can't be negative")
	}
	if grace > MaxKeyGrace {
		return NewKey{}, graceError(grace.String())
	}
	var out NewKey
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return teamError(err, slug)
		}
		keys, err := tx.ListKeys(ctx, team.ID)
		if err != nil {
			return err
		}
		var old *store.SCIMKey
		for i := range keys {
			if keys[i].ID == keyID {
				old = &keys[i]
			}
		}
		if old == nil {
			return NotFound("team %s has no key %q", slug, keyID)
		}
		now := s.Now()
		if st := KeyStatus(*old, now); st != store.KeyActive {
			return Conflict("id", "key %q is %s; only an active key can be rotated (create a new one instead)", keyID, st)
		}
		token, hash := NewToken()
		// The new key may change Super Admins only if the old one could
		// and whoever rotates is a Super Admin: rotation must not let a
		// plain Admin see the secret of a privileged key.
		k := store.SCIMKey{TeamID: team.ID, ID: NewID(), Name: old.Name, Prefix: token[:len(TokenPrefix)+6], Hash: hash,
			CreatedBy: a.String(), Created: now, ExpiresAt: old.ExpiresAt, Privileged: old.Privileged && a.superAdminIn(team.ID)}
		if old.ExpiresAt != nil {
			// Keep the old key's lifetime policy: the new key lives as long.
			exp := now.Add(old.ExpiresAt.Sub(old.Created))
			k.ExpiresAt = &exp
		}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		if err := tx.RevokeKey(ctx, team.ID, old.ID, now.Add(grace)); err != nil {
			return err
		}
		out = NewKey{Key: k, Token: token}
		return s.audit(ctx, tx, team.ID, a, "scim_key.rotate", "scim_key", old.ID, map[string]any{
			"name": old.Name, "newKey": k.ID, "oldKeyStopsAt": now.Add(grace).UTC().Format(time.RFC3339)})
	})
	return out, err
}

// SeatsUsed counts the team's active members that take a seat.
func (s *Service) SeatsUsed(ctx context.Context, teamID string) (int, error) {
	return s.st.SeatsUsed(ctx, teamID, SeatRoles)
}
