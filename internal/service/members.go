package service

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// MemberView is a member as the admin API shows it.
type MemberView struct {
	User  store.User
	Attrs scim.Resource
	// Roles are the member's own roles; EffectiveRoles add those their
	// groups grant.
	Roles          []string
	EffectiveRoles []string
	Groups         []store.GroupRef
}

func (s *Service) memberView(ctx context.Context, r store.Reader, u store.User, withGroups bool) (MemberView, error) {
	v, err := userView(u)
	if err != nil {
		return MemberView{}, err
	}
	mv := MemberView{User: u, Attrs: v.Attrs, Roles: SplitRoles(u.Role)}
	if mv.EffectiveRoles, err = s.EffectiveRoles(ctx, r, u); err != nil {
		return MemberView{}, err
	}
	if withGroups {
		if mv.Groups, err = r.GroupsOfUser(ctx, u.TeamID, u.ID); err != nil {
			return MemberView{}, err
		}
	}
	return mv, nil
}

// ListMembers lists and searches the caller's team's members.
func (s *Service) ListMembers(ctx context.Context, c Caller, q store.MemberQuery) ([]MemberView, int, error) {
	users, total, err := s.st.ListMembers(ctx, c.Team.ID, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]MemberView, 0, len(users))
	for _, u := range users {
		mv, err := s.memberView(ctx, s.st, u, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, mv)
	}
	return out, total, nil
}

func memberNotFound(c Caller, id string) error {
	return NotFound("team %s has no member %q", c.Team.Slug, id)
}

// GetMember reads one member of the caller's team, with its groups.
func (s *Service) GetMember(ctx context.Context, c Caller, id string) (MemberView, error) {
	u, err := s.st.User(ctx, c.Team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return MemberView{}, memberNotFound(c, id)
	}
	if err != nil {
		return MemberView{}, err
	}
	return s.memberView(ctx, s.st, u, true)
}

// ProfileFields are the profile attributes the app may edit (when the
// member isn't managed by the team's IdP).
var ProfileFields = []string{"displayName", "name", "nickName", "title", "preferredLanguage", "locale", "timezone"}

// nameSubFields are the string sub-attributes of name.
var nameSubFields = []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}

// identityFields are attributes that are never edited through a member
// PATCH: the email is the account's (PATCH /api/v1/me), the rest belong
// to SCIM or to Roster.
var identityFields = []string{"userName", "emails", "externalId", "active", "id", "password"}

// MemberPatch is a member change: the "roles" and profile attributes in
// the request body, as sent.
type MemberPatch map[string]any

// UpdateMember changes a member's roles and/or profile in one transaction
// with one audit event. Roles need members.manage and the Super Admin
// rules; the profile is the member's own or an admin's to edit, unless the
// team's IdP manages it (SCIM on and the member came from SCIM).
func (s *Service) UpdateMember(ctx context.Context, c Caller, id string, patch MemberPatch) (MemberView, error) {
	if len(patch) == 0 {
		return MemberView{}, BadRequest("", "nothing to change: send roles and/or profile attributes (%s)", strings.Join(ProfileFields, ", "))
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var mv MemberView
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		team, u, err := s.teamMember(ctx, tx, c, id)
		if err != nil {
			return err
		}
		self := u.ID == c.Member.ID
		before := map[string]any{"roles": SplitRoles(u.Role), "displayName": u.DisplayName}
		v, err := userView(u)
		if err != nil {
			return err
		}
		attrs := v.Attrs
		profileChanged := false
		for _, k := range keys {
			val := patch[k]
			switch {
			case k == "roles":
				roles, err := s.checkRoleChange(ctx, tx, c, team, u, val)
				if err != nil {
					return err
				}
				u.Role = JoinRoles(roles)
			case slices.Contains(ProfileFields, k) || slices.Contains(identityFields, k):
				if team.SCIMEnabled && u.Source == store.SourceSCIM {
					who := "this member's"
					if self {
						who = "your"
					}
					return Forbidden("SCIM provisioning is on for team %s: your identity provider manages %s profile (%s is read-only here); ask your IdP administrator. Team admins can still change roles", team.Slug, who, k)
				}
				if slices.Contains(identityFields, k) {
					if k == "userName" || k == "emails" {
						return BadRequest(k, "%s can't be edited on a member: a person changes their email with PATCH /api/v1/me", k)
					}
					return BadRequest(k, "%s can't be edited through the admin API", k)
				}
				if !self && !c.Can(ActMembersManage) {
					return Forbidden("only the member themself or a team admin (Super Admin or Admin) can edit a member's profile")
				}
				if err := setProfile(attrs, k, val); err != nil {
					return err
				}
				profileChanged = true
			default:
				return BadRequest(k, "unknown attribute %q: a member PATCH takes roles and profile attributes (%s)", k, strings.Join(ProfileFields, ", "))
			}
		}
		if profileChanged {
			if err := fillUser(&u, attrs); err != nil {
				return err
			}
		}
		u.Version++
		u.Modified = s.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if slices.Contains(before["roles"].([]string), RoleSuperAdmin) && !HasRole(u.Role, RoleSuperAdmin) {
			if err := s.afterSuperAdminChange(ctx, tx, team, false, "remove the Super Admin role from "+u.UserName); err != nil {
				return err
			}
		}
		if mv, err = s.memberView(ctx, tx, u, true); err != nil {
			return err
		}
		return s.audit(ctx, tx, team.ID, c.Actor, "member.update", "user", u.ID, map[string]any{
			"userName": u.UserName, "fields": keys, "before": before,
			"after": map[string]any{"roles": SplitRoles(u.Role), "displayName": u.DisplayName}})
	})
	return mv, adminError(err)
}

func setProfile(attrs scim.Resource, k string, val any) error {
	if val == nil {
		delete(attrs, k)
		return nil
	}
	if k != "name" {
		str, ok := val.(string)
		if !ok {
			return BadRequest(k, "%s must be a string", k)
		}
		if len(str) > 512 {
			return BadRequest(k, "%s can have at most 512 characters", k)
		}
		attrs[k] = str
		return nil
	}
	m, ok := val.(map[string]any)
	if !ok {
		return BadRequest("name", "name must be an object with %s", strings.Join(nameSubFields, ", "))
	}
	name, _ := attrs["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	for sk, sv := range m {
		if !slices.Contains(nameSubFields, sk) {
			return BadRequest("name."+sk, "unknown name attribute %q: use %s", sk, strings.Join(nameSubFields, ", "))
		}
		if sv == nil {
			delete(name, sk)
			continue
		}
		str, ok := sv.(string)
		if !ok || len(str) > 512 {
			return BadRequest("name."+sk, "name.%s must be a string of at most 512 characters", sk)
		}
		name[sk] = str
	}
	attrs["name"] = name
	return nil
}

// parseRoles reads a role list from a request value.
func parseRoles(field string, val any) ([]string, error) {
	list, ok := val.([]any)
	if !ok {
		return nil, BadRequest(field, "roles must be a list of role names (%s)", strings.Join(AllRoles, ", "))
	}
	var roles []string
	for _, r := range list {
		str, ok := r.(string)
		if !ok || !validRole(str) {
			return nil, BadRequest(field, "unknown role %v: use %s", r, strings.Join(AllRoles, ", "))
		}
		roles = append(roles, str)
	}
	if len(roles) == 0 {
		return nil, BadRequest(field, "a member holds at least one role")
	}
	return SplitRoles(JoinRoles(roles)), nil
}

// checkRoleChange applies the rules on changing a member's roles:
// members.manage; only a Super Admin grants or revokes Super Admin or
// touches a Super Admin's roles; the team keeps an active Super Admin.
func (s *Service) checkRoleChange(ctx context.Context, tx store.Tx, c Caller, team store.Team, u store.User, val any) ([]string, error) {
	if !c.Can(ActMembersManage) {
		return nil, Forbidden("only a Super Admin or an Admin of team %s can change members' roles", team.Slug)
	}
	roles, err := parseRoles("roles", val)
	if err != nil {
		return nil, err
	}
	wasSA, isSA := HasRole(u.Role, RoleSuperAdmin), slices.Contains(roles, RoleSuperAdmin)
	callerSA := c.HasRole(RoleSuperAdmin)
	effectiveSA, err := s.isSuperAdmin(ctx, tx, u)
	if err != nil {
		return nil, err
	}
	switch {
	case !wasSA && isSA && !callerSA:
		return nil, Forbidden("only a Super Admin can grant the Super Admin role; ask a Super Admin of team %s", team.Slug)
	case effectiveSA && !callerSA:
		return nil, Forbidden("%s is a Super Admin: only a Super Admin can change a Super Admin's roles; ask a Super Admin of team %s", u.UserName, team.Slug)
	}
	return roles, nil
}

// teamMember reads, inside tx, the caller's team as it is now and one of
// its members (404 for an id the team doesn't have).
func (s *Service) teamMember(ctx context.Context, tx store.Tx, c Caller, id string) (store.Team, store.User, error) {
	team, err := tx.Team(ctx, c.Team.ID)
	if err != nil {
		return team, store.User{}, err
	}
	u, err := tx.User(ctx, team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return team, u, memberNotFound(c, id)
	}
	return team, u, err
}

// RemoveMember removes a member from the caller's team (members.manage).
// Only a Super Admin removes a Super Admin. Allowed with SCIM on: only
// admins remove members then, and the IdP may provision them again.
func (s *Service) RemoveMember(ctx context.Context, c Caller, id string) error {
	return adminError(s.st.Tx(ctx, func(tx store.Tx) error {
		team, u, err := s.teamMember(ctx, tx, c, id)
		if err != nil {
			return err
		}
		sa, err := s.isSuperAdmin(ctx, tx, u)
		if err != nil {
			return err
		}
		if sa && !c.HasRole(RoleSuperAdmin) {
			return Forbidden("%s is a Super Admin: only a Super Admin can remove a Super Admin; ask a Super Admin of team %s", u.UserName, team.Slug)
		}
		if err := tx.DeleteUser(ctx, team.ID, id); err != nil {
			return err
		}
		if sa && u.Active {
			if err := s.afterSuperAdminChange(ctx, tx, team, false, "remove "+u.UserName); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, team.ID, c.Actor, "member.remove", "user", id, map[string]any{"userName": u.UserName, "roles": SplitRoles(u.Role), "source": u.Source})
	}))
}

// LeaveTeam removes the caller from their team. Refused while SCIM
// provisioning is on (the IdP owns the roster) and for the last Super Admin.
func (s *Service) LeaveTeam(ctx context.Context, c Caller) error {
	return adminError(s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.Team(ctx, c.Team.ID)
		if err != nil {
			return err
		}
		if team.SCIMEnabled {
			return Forbidden("SCIM provisioning is on for team %s: members can't leave the team themselves; ask your IdP administrator to unassign you, or a team admin to remove you", team.Slug)
		}
		u, err := tx.User(ctx, team.ID, c.Member.ID)
		if errors.Is(err, store.ErrNotFound) {
			return memberNotFound(c, c.Member.ID)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, team.ID, u.ID); err != nil {
			return err
		}
		if u.Active {
			if err := s.afterSuperAdminChange(ctx, tx, team, false, "leave"); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, team.ID, c.Actor, "member.leave", "user", u.ID, map[string]any{"userName": u.UserName})
	}))
}

// SetTeamSCIM switches SCIM provisioning for the caller's team.
func (s *Service) SetTeamSCIM(ctx context.Context, c Caller, on bool) (store.Team, error) {
	return s.SetSCIM(ctx, c.Team.Slug, on, c.Actor)
}
