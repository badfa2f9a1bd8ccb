package domain

// The Super Admin rules, on every path (admin API, console, CLI, SCIM,
// Bulk, group → role bindings), checked inside the write's transaction:
//
//   - a team always keeps at least one active Super Admin (a member who
//     holds the role, as their own or through a group's binding);
//   - only a Super Admin grants, takes or removes Super Admin. On the admin
//     API the caller must be one; on SCIM the key must be privileged, that
//     is made by a Super Admin (or the operator's CLI), since a plain Admin
//     can make a key and must not reach through it what they can't do
//     themselves.
//
// Only changes that could affect a Super Admin pay for these checks: the
// target's effective roles, or the group's bindings, are read first.

import (
	"context"
	"fmt"
	"slices"

	"github.com/rosterhq/roster/internal/store"
)

// SuperAdminCounter is the store method that counts a team's active
// holders of a role.
type SuperAdminCounter interface {
	CountActiveWithRole(ctx context.Context, teamID, role string, limit int) (int, error)
}

// GroupRoleReader is the store method that reads the roles a group grants.
type GroupRoleReader interface {
	GroupRoles(ctx context.Context, teamID, groupID string) ([]string, error)
}

// ruleError is a refusal by the Super Admin rules: a conflict whose
// message names the rule (on SCIM, a 409 with that detail).
func ruleError(_ bool, format string, args ...any) error {
	return Conflict("", format, args...)
}

// AfterSuperAdminChange refuses (and so rolls back) a change that left the
// team without an active Super Admin. Call it inside the write's
// transaction, after the change, whenever a Super Admin may have lost the
// role or been deactivated or removed.
func AfterSuperAdminChange(ctx context.Context, tx SuperAdminCounter, team store.Team, scimPath bool, what string) error {
	n, err := tx.CountActiveWithRole(ctx, team.ID, RoleSuperAdmin, 1)
	if err != nil {
		return err
	}
	if n < 1 {
		return ruleError(scimPath, "can't %s: team %s must keep at least one active Super Admin; make another member Super Admin first", what, team.Slug)
	}
	return nil
}

// IsSuperAdmin reports whether a member holds Super Admin, as their own
// role or through a group.
func IsSuperAdmin(ctx context.Context, r RoleReader, u store.User) (bool, error) {
	if HasRole(u.Role, RoleSuperAdmin) {
		return true, nil
	}
	roles, err := r.RolesFromGroups(ctx, u.TeamID, u.ID)
	return slices.Contains(roles, RoleSuperAdmin), err
}

// keyMayChangeSuperAdmins is the SCIM side of "only a Super Admin grants,
// takes or removes Super Admin".
func keyMayChangeSuperAdmins(p Principal, team store.Team, what string) error {
	if p.Key.Privileged {
		return nil
	}
	return ruleError(true, "can't %s: only a Super Admin grants, takes or removes the Super Admin role, and SCIM key %q was made by someone who isn't a Super Admin of team %s; a Super Admin can make a key that may (Settings → Authentication, or roster scim-key create)", what, p.Key.Name, team.Slug)
}

// GuardSCIMMember applies the rules to a SCIM change of one member's
// presence: a delete, or a change of active. It returns whether the
// member is a Super Admin, in which case the caller must run
// AfterSuperAdminChange once the change is written (on a deactivation or
// delete).
func GuardSCIMMember(ctx context.Context, tx RoleReader, p Principal, u store.User, what string) (bool, error) {
	sa, err := IsSuperAdmin(ctx, tx, u)
	if err != nil || !sa {
		return false, err
	}
	return true, keyMayChangeSuperAdmins(p, p.Team, fmt.Sprintf("%s %s, a Super Admin", what, u.UserName))
}

// GuardGroupMembers applies the rules to a SCIM change of a group's
// members (or its deletion): when the group grants Super Admin, only a
// privileged key may do it, and the caller must run AfterSuperAdminChange
// once the change is written (grantsSA is then true).
func GuardGroupMembers(ctx context.Context, tx GroupRoleReader, p Principal, g store.Group, what string) (grantsSA bool, err error) {
	roles, err := tx.GroupRoles(ctx, p.Team.ID, g.ID)
	if err != nil || !slices.Contains(roles, RoleSuperAdmin) {
		return false, err
	}
	return true, keyMayChangeSuperAdmins(p, p.Team, fmt.Sprintf("%s group %s, which grants Super Admin", what, g.DisplayName))
}
