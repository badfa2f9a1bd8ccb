// Package members is what a team's admins (and each member, for
// themselves) do to the team's members and groups through the admin API
// and the console: list, search and read members, change their roles and
// profiles, remove them, leave a team (members.go); who may change whose
// roles, and the roles a group grants (roles.go); the groups as the admin
// screens show them (groups.go). The Super Admin rules it applies are
// package domain's.
package members

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Reader is what members read outside a transaction.
type Reader interface {
	memberReader
	User(ctx context.Context, teamID, id string) (store.User, error)
	ListMembers(ctx context.Context, teamID string, q store.MemberQuery) ([]store.User, int, error)
	Group(ctx context.Context, teamID, id string) (store.Group, error)
	ListGroups(ctx context.Context, teamID string, q store.Query) ([]store.Group, int, error)
	MemberCount(ctx context.Context, teamID, groupID string) (int, error)
	GroupRoles(ctx context.Context, teamID, groupID string) ([]string, error)
}

// memberReader is what a MemberView is read with, in a transaction or not.
type memberReader interface {
	domain.RoleReader
	GroupsOfUser(ctx context.Context, teamID, userID string) ([]store.GroupRef, error)
}

// Tx is what members read and write inside a transaction.
type Tx interface {
	memberReader
	domain.AuditWriter
	domain.EventWriter
	domain.SuperAdminCounter
	domain.GroupRoleReader

	Team(ctx context.Context, id string) (store.Team, error)
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	User(ctx context.Context, teamID, id string) (store.User, error)
	UpdateUser(ctx context.Context, u store.User) error
	DeleteUser(ctx context.Context, teamID, id string) error
	Group(ctx context.Context, teamID, id string) (store.Group, error)
	SetGroupRoles(ctx context.Context, teamID, groupID string, roles []string) error
}

// Store is the storage members need.
type Store interface {
	Reader
	// Tx runs fn in one write transaction (store.Store's Tx).
	Tx(ctx context.Context, fn func(Tx) error) error
}

// StoreOf narrows the whole store to what members use.
func StoreOf(s store.Store) Store { return domain.Narrowed[Tx]{Store: s} }

// Service is the admin side of a team's members and groups, over one store.
type Service struct {
	st  Store
	env domain.Env
}

// New builds the members service.
func New(st Store, env domain.Env) *Service { return &Service{st: st, env: env} }

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

func (s *Service) memberView(ctx context.Context, r memberReader, u store.User, withGroups bool) (MemberView, error) {
	v, err := domain.ViewOfUser(u)
	if err != nil {
		return MemberView{}, err
	}
	mv := MemberView{User: u, Attrs: v.Attrs, Roles: domain.SplitRoles(u.Role)}
	if mv.EffectiveRoles, err = domain.EffectiveRoles(ctx, r, u); err != nil {
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
func (s *Service) ListMembers(ctx context.Context, c domain.Caller, q store.MemberQuery) ([]MemberView, int, error) {
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

func memberNotFound(c domain.Caller, id string) error {
	return domain.NotFound("team %s has no member %q", c.Team.Slug, id)
}

// GetMember reads one member of the caller's team, with its groups.
func (s *Service) GetMember(ctx context.Context, c domain.Caller, id string) (MemberView, error) {
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
func (s *Service) UpdateMember(ctx context.Context, c domain.Caller, id string, patch MemberPatch) (MemberView, error) {
	if len(patch) == 0 {
		return MemberView{}, domain.BadRequest("", "nothing to change: send roles and/or profile attributes (%s)", strings.Join(ProfileFields, ", "))
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var mv MemberView
	err := s.st.Tx(ctx, func(tx Tx) error {
		team, u, err := s.teamMember(ctx, tx, c, id)
		if err != nil {
			return err
		}
		self := u.ID == c.Member.ID
		before := map[string]any{"roles": domain.SplitRoles(u.Role), "displayName": u.DisplayName}
		v, err := domain.ViewOfUser(u)
		if err != nil {
			return err
		}
		attrs := v.Attrs
		profileChanged := false
		beforeAttrs := scim.Resource{}
		for k, val := range attrs {
			beforeAttrs[k] = val
		}
		beforeRole := u.Role
		for _, k := range keys {
			val := patch[k]
			switch {
			case k == "roles":
				roles, err := s.checkRoleChange(ctx, tx, c, team, u, val)
				if err != nil {
					return err
				}
				u.Role = domain.JoinRoles(roles)
			case slices.Contains(ProfileFields, k) || slices.Contains(identityFields, k):
				if team.SCIMEnabled && u.Source == store.SourceSCIM {
					who := "this member's"
					if self {
						who = "your"
					}
					return domain.Forbidden("SCIM provisioning is on for team %s: your identity provider manages %s profile (%s is read-only here); ask your IdP administrator. Team admins can still change roles", team.Slug, who, k)
				}
				if slices.Contains(identityFields, k) {
					if k == "userName" || k == "emails" {
						return domain.BadRequest(k, "%s can't be edited on a member: a person changes their email with PATCH /api/v1/me", k)
					}
					return domain.BadRequest(k, "%s can't be edited through the admin API", k)
				}
				if !self && !c.Can(domain.ActMembersManage) {
					return domain.Forbidden("only the member themself or a team admin (Super Admin or Admin) can edit a member's profile")
				}
				if err := setProfile(attrs, k, val); err != nil {
					return err
				}
				profileChanged = true
			default:
				return domain.BadRequest(k, "unknown attribute %q: a member PATCH takes roles and profile attributes (%s)", k, strings.Join(ProfileFields, ", "))
			}
		}
		if profileChanged {
			if err := domain.FillUser(&u, attrs); err != nil {
				return err
			}
		}
		u.Version++
		u.Modified = s.env.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if slices.Contains(before["roles"].([]string), domain.RoleSuperAdmin) && !domain.HasRole(u.Role, domain.RoleSuperAdmin) {
			if err := domain.AfterSuperAdminChange(ctx, tx, team, false, "remove the Super Admin role from "+u.UserName); err != nil {
				return err
			}
		}
		if mv, err = s.memberView(ctx, tx, u, true); err != nil {
			return err
		}
		if err := s.env.Audit(ctx, tx, team.ID, c.Actor, "member.update", "user", u.ID, map[string]any{
			"userName": u.UserName, "fields": keys, "before": before,
			"after": map[string]any{"roles": domain.SplitRoles(u.Role), "displayName": u.DisplayName}}); err != nil {
			return err
		}
		if u.Role != beforeRole {
			data := domain.MemberChange(u, []string{"roles"})
			data["previous_roles"] = domain.SplitRoles(beforeRole)
			if err := s.env.Emit(ctx, tx, team, c.Actor, domain.EventMemberRolesChanged, data); err != nil {
				return err
			}
		}
		if profileChanged {
			if changed := changedFields(beforeAttrs, attrs); len(changed) > 0 {
				return s.env.Emit(ctx, tx, team, c.Actor, domain.EventMemberUpdated, domain.MemberChange(u, changed))
			}
		}
		return nil
	})
	return mv, domain.FromSCIM(err)
}

// changedFields names the top-level attributes that differ.
func changedFields(before, after scim.Resource) []string {
	var out []string
	for k, v := range after {
		bv, _ := json.Marshal(before[k])
		av, _ := json.Marshal(v)
		if string(bv) != string(av) {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func setProfile(attrs scim.Resource, k string, val any) error {
	if val == nil {
		delete(attrs, k)
		return nil
	}
	if k != "name" {
		str, ok := val.(string)
		if !ok {
			return domain.BadRequest(k, "%s must be a string", k)
		}
		if len(str) > 512 {
			return domain.BadRequest(k, "%s can have at most 512 characters", k)
		}
		attrs[k] = str
		return nil
	}
	m, ok := val.(map[string]any)
	if !ok {
		return domain.BadRequest("name", "name must be an object with %s", strings.Join(nameSubFields, ", "))
	}
	name, _ := attrs["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	for sk, sv := range m {
		if !slices.Contains(nameSubFields, sk) {
			return domain.BadRequest("name."+sk, "unknown name attribute %q: use %s", sk, strings.Join(nameSubFields, ", "))
		}
		if sv == nil {
			delete(name, sk)
			continue
		}
		str, ok := sv.(string)
		if !ok || len(str) > 512 {
			return domain.BadRequest("name."+sk, "name.%s must be a string of at most 512 characters", sk)
		}
		name[sk] = str
	}
	attrs["name"] = name
	return nil
}

// teamMember reads, inside tx, the caller's team as it is now and one of
// its members (404 for an id the team doesn't have).
func (s *Service) teamMember(ctx context.Context, tx Tx, c domain.Caller, id string) (store.Team, store.User, error) {
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
func (s *Service) RemoveMember(ctx context.Context, c domain.Caller, id string) error {
	return domain.FromSCIM(s.st.Tx(ctx, func(tx Tx) error {
		team, u, err := s.teamMember(ctx, tx, c, id)
		if err != nil {
			return err
		}
		sa, err := domain.IsSuperAdmin(ctx, tx, u)
		if err != nil {
			return err
		}
		if sa && !c.HasRole(domain.RoleSuperAdmin) {
			return domain.Forbidden("%s is a Super Admin: only a Super Admin can remove a Super Admin; ask a Super Admin of team %s", u.UserName, team.Slug)
		}
		if err := tx.DeleteUser(ctx, team.ID, id); err != nil {
			return err
		}
		if sa && u.Active {
			if err := domain.AfterSuperAdminChange(ctx, tx, team, false, "remove "+u.UserName); err != nil {
				return err
			}
		}
		if err := s.env.Audit(ctx, tx, team.ID, c.Actor, "member.remove", "user", id, map[string]any{"userName": u.UserName, "roles": domain.SplitRoles(u.Role), "source": u.Source}); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, c.Actor, domain.EventMemberDeleted, domain.MemberData(u))
	}))
}

// LeaveTeam removes the caller from their team. Refused while SCIM
// provisioning is on (the IdP owns the roster) and for the last Super Admin.
func (s *Service) LeaveTeam(ctx context.Context, c domain.Caller) error {
	return domain.FromSCIM(s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.Team(ctx, c.Team.ID)
		if err != nil {
			return err
		}
		if team.SCIMEnabled {
			return domain.Forbidden("SCIM provisioning is on for team %s: members can't leave the team themselves; ask your IdP administrator to unassign you, or a team admin to remove you", team.Slug)
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
			if err := domain.AfterSuperAdminChange(ctx, tx, team, false, "leave"); err != nil {
				return err
			}
		}
		if err := s.env.Audit(ctx, tx, team.ID, c.Actor, "member.leave", "user", u.ID, map[string]any{"userName": u.UserName}); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, c.Actor, domain.EventMemberDeleted, domain.MemberData(u))
	}))
}
