package members

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// parseRoles reads a role list from a request value.
func parseRoles(field string, val any) ([]string, error) {
	list, ok := val.([]any)
	if !ok {
		return nil, domain.BadRequest(field, "roles must be a list of role names (%s)", strings.Join(domain.AllRoles, ", "))
	}
	var roles []string
	for _, r := range list {
		str, ok := r.(string)
		if !ok || !domain.ValidRole(str) {
			return nil, domain.BadRequest(field, "unknown role %v: use %s", r, strings.Join(domain.AllRoles, ", "))
		}
		roles = append(roles, str)
	}
	if len(roles) == 0 {
		return nil, domain.BadRequest(field, "a member holds at least one role")
	}
	return domain.SplitRoles(domain.JoinRoles(roles)), nil
}

// checkRoleChange applies the rules on changing a member's roles:
// members.manage; only a Super Admin grants or revokes Super Admin or
// touches a Super Admin's roles; the team keeps an active Super Admin.
func (s *Service) checkRoleChange(ctx context.Context, tx Tx, c domain.Caller, team store.Team, u store.User, val any) ([]string, error) {
	if !c.Can(domain.ActMembersManage) {
		return nil, domain.Forbidden("only a Super Admin or an Admin of team %s can change members' roles", team.Slug)
	}
	roles, err := parseRoles("roles", val)
	if err != nil {
		return nil, err
	}
	wasSA, isSA := domain.HasRole(u.Role, domain.RoleSuperAdmin), slices.Contains(roles, domain.RoleSuperAdmin)
	callerSA := c.HasRole(domain.RoleSuperAdmin)
	effectiveSA, err := domain.IsSuperAdmin(ctx, tx, u)
	if err != nil {
		return nil, err
	}
	switch {
	case !wasSA && isSA && !callerSA:
		return nil, domain.Forbidden("only a Super Admin can grant the Super Admin role; ask a Super Admin of team %s", team.Slug)
	case effectiveSA && !callerSA:
		return nil, domain.Forbidden("%s is a Super Admin: only a Super Admin can change a Super Admin's roles; ask a Super Admin of team %s", u.UserName, team.Slug)
	}
	return roles, nil
}

// BindGroupRoles sets the roles a group grants, for an admin caller
// (members.manage, checked by the caller's router). Like a member's own
// roles, only a Super Admin grants or withdraws Super Admin; the check
// runs in the write's transaction, against the roles it replaces.
func (s *Service) BindGroupRoles(ctx context.Context, c domain.Caller, groupID string, roles []string) ([]string, error) {
	roles = domain.SplitRoles(domain.JoinRoles(roles)) // setGroupRoles refuses unknown ones
	err := s.setGroupRoles(ctx, c.Team.Slug, groupID, roles, c.Actor, func(before []string) error {
		if slices.Contains(roles, domain.RoleSuperAdmin) != slices.Contains(before, domain.RoleSuperAdmin) && !c.HasRole(domain.RoleSuperAdmin) {
			return domain.Forbidden("only a Super Admin can grant or withdraw the Super Admin role through a group")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return roles, nil
}

// SetGroupRoles binds a group to team roles: its members hold them while
// they are in the group.
func (s *Service) SetGroupRoles(ctx context.Context, slug, groupID string, roles []string, a domain.Actor) error {
	return s.setGroupRoles(ctx, slug, groupID, roles, a, nil)
}

// setGroupRoles binds the roles in one transaction; allow, when given,
// sees the roles bound before and may refuse the change.
func (s *Service) setGroupRoles(ctx context.Context, slug, groupID string, roles []string, a domain.Actor, allow func(before []string) error) error {
	for _, r := range roles {
		if !domain.ValidRole(r) {
			return domain.BadRequest("roles", "unknown role %q: use %q, %q, %q or %q", r, domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleBilling, domain.RoleDeveloper)
		}
	}
	return s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return domain.TeamError(err, slug)
		}
		g, err := tx.Group(ctx, team.ID, groupID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return domain.NotFound("team %s has no group %q", slug, groupID)
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
		if slices.Contains(before, domain.RoleSuperAdmin) && !slices.Contains(roles, domain.RoleSuperAdmin) {
			if err := domain.AfterSuperAdminChange(ctx, tx, team, false, "withdraw Super Admin from group "+groupID); err != nil {
				return err
			}
		}
		if err := s.env.Audit(ctx, tx, team.ID, a, "group.roles", "group", groupID, map[string]any{"before": before, "after": roles}); err != nil {
			return err
		}
		after := slices.Clone(roles)
		slices.Sort(after)
		if slices.Equal(before, after) {
			return nil
		}
		data := domain.GroupData(g, after)
		if data["roles"] == nil || len(after) == 0 {
			data["roles"] = []string{}
		}
		data["changed_fields"] = []string{"roles"}
		data["previous_roles"] = append([]string{}, before...)
		return s.env.Emit(ctx, tx, team, a, domain.EventGroupUpdated, data)
	})
}
