package domain

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// Roles a member can hold. Provisioned members get the team's default role.
const (
	RoleSuperAdmin = "Super Admin"
	RoleAdmin      = "Admin"
	RoleBilling    = "Billing"
	RoleDeveloper  = "Developer"
)

// Action is something a member may do in a team through the admin API.
type Action string

// The actions of the permission matrix. Adding one: add its row to
// Permissions below, its line to docs/permissions.md, and a probe request
// to the matrix test (internal/adminapitest), which fails until you do.
const (
	// ActTeamView: see the team, its settings summary and your own roles.
	ActTeamView Action = "team.view"
	// ActMembersRead: list, search and view members.
	ActMembersRead Action = "members.read"
	// ActMembersManage: change members' roles, edit others' profiles,
	// remove members.
	ActMembersManage Action = "members.manage"
	// ActInvitesManage: create, list, resend and revoke invites.
	ActInvitesManage Action = "invites.manage"
	// ActSCIMManage: read and switch the team's SCIM provisioning setting,
	// manage its SCIM keys and its provisioning policies.
	ActSCIMManage Action = "scim.manage"
	// ActAuditRead: read and export the audit log and the provisioning log.
	ActAuditRead Action = "audit.read"
	// ActEventsRead: read the team's event stream (docs/events.md).
	ActEventsRead Action = "events.read"
	// ActWebhooksManage: add, change, disable and delete the team's
	// webhooks, see their delivery log and replay events to them.
	ActWebhooksManage Action = "webhooks.manage"
)

// Permission is one row of the matrix: an action and the roles that may
// perform it. A member may act when any of their roles (their own or those
// their groups grant) is listed.
type Permission struct {
	Action      Action
	Description string
	Roles       []string
}

var (
	everyone = []string{RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper}
	admins   = []string{RoleSuperAdmin, RoleAdmin}
)

// Permissions is the whole matrix, written once. docs/permissions.md shows
// it as a table; a test checks each role against each action over HTTP.
//
// Rules finer than a role × action cell live beside the action they refine
// (package members, and superadmin.go here): only a Super Admin grants or revokes Super Admin or edits
// a Super Admin's roles, only a Super Admin removes a Super Admin or
// invites (or re-sends an invite to) one, a team always keeps one active
// Super Admin, and every member may edit their own profile and leave
// (unless SCIM provisioning is on).
var Permissions = []Permission{
	{ActTeamView, "see the team and your own roles", everyone},
	{ActMembersRead, "list, search and view members", everyone},
	{ActMembersManage, "change roles, edit other members' profiles, remove members", admins},
	{ActInvitesManage, "create, list, resend and revoke invites", admins},
	{ActSCIMManage, "see and switch SCIM provisioning, manage SCIM keys and policies", admins},
	{ActAuditRead, "read and export the audit and provisioning logs", admins},
	{ActEventsRead, "read the team's event stream", admins},
	{ActWebhooksManage, "manage webhooks, see their deliveries, replay events", admins},
}

// AllRoles lists the team roles, most powerful first.
var AllRoles = []string{RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper}

// Allowed reports whether a member holding roles may perform act.
func Allowed(roles []string, act Action) bool {
	for _, p := range Permissions {
		if p.Action != act {
			continue
		}
		for _, r := range roles {
			if slices.Contains(p.Roles, r) {
				return true
			}
		}
		return false
	}
	return false // an action missing from the matrix is allowed to no one
}

// JoinRoles is the stored form of a role list: sorted, without duplicates,
// comma-separated ("Admin,Developer"). A single role stays as it was.
func JoinRoles(roles []string) string {
	set := map[string]bool{}
	var out []string
	for _, r := range roles {
		if r = strings.TrimSpace(r); r != "" && !set[r] {
			set[r] = true
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// HasRole reports whether the stored role list holds role.
func HasRole(stored, role string) bool { return slices.Contains(SplitRoles(stored), role) }

// RequirePermission refuses a caller whose roles don't allow act in the
// team, saying which roles do.
func RequirePermission(c Caller, act Action) error {
	if act == "" || c.Can(act) {
		return nil
	}
	var who []string
	for _, p := range Permissions {
		if p.Action == act {
			who = p.Roles
		}
	}
	return Forbidden("you need one of the roles %s in team %s to %s (%s); your roles: %s",
		strings.Join(who, ", "), c.Team.Slug, act, describe(act), strings.Join(c.Roles, ", "))
}

func describe(act Action) string {
	for _, p := range Permissions {
		if p.Action == act {
			return p.Description
		}
	}
	return string(act)
}

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

// ValidRole reports whether r is one of the team roles.
func ValidRole(r string) bool {
	switch r {
	case RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper:
		return true
	}
	return false
}

// RoleReader is the store method that reads the roles groups grant.
type RoleReader interface {
	RolesFromGroups(ctx context.Context, teamID, userID string) ([]string, error)
}

// EffectiveRoles are a member's own roles plus those its groups grant,
// sorted and without duplicates.
func EffectiveRoles(ctx context.Context, r RoleReader, u store.User) ([]string, error) {
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
