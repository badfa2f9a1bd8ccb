package provisioning

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

// GroupView is a group as SCIM shows it. Members is nil unless asked for,
// so a request that excludes members never loads them.
type GroupView struct {
	Group   store.Group
	Attrs   scim.Resource
	Members []store.MemberRef
}

func groupView(g store.Group) (GroupView, error) {
	var attrs scim.Resource
	if err := domain.DecodeAttrs(g.Attrs, &attrs); err != nil {
		return GroupView{}, err
	}
	return GroupView{Group: g, Attrs: attrs}, nil
}

// fillGroup copies the indexed columns out of the attributes. Members are
// never part of the stored attributes: they live in membership rows.
func fillGroup(g *store.Group, res scim.Resource) error {
	delete(res, "members")
	g.DisplayName = strings.TrimSpace(res.String("displayName"))
	if g.DisplayName == "" {
		return domain.SCIMError(domain.KindInvalid, scim.InvalidValue, "displayName is required")
	}
	g.ExternalID = res.String("externalId")
	b, err := json.Marshal(res)
	g.Attrs = b
	return err
}

// memberIDs extracts the ids of a members value: a list of {"value": id}
// objects, or bare ids.
func memberIDs(v any) ([]string, error) {
	nv, err := scim.NormValue(scim.GroupSchema.Attr("members"), v)
	if err != nil {
		return nil, err
	}
	list, _ := nv.([]any)
	ids := make([]string, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, domain.SCIMError(domain.KindInvalid, scim.InvalidValue, "every member needs a \"value\" with the member's id")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkMembers refuses ids that are not users of the team, naming them, so
// an admin can see in the IdP which member Roster doesn't know.
func checkMembers(ctx context.Context, tx Tx, teamID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := tx.ExistingUsers(ctx, teamID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !found[id] {
			return domain.SCIMError(domain.KindInvalid, scim.InvalidValue, "member %q is not a user of this team", id)
		}
	}
	return nil
}

func conflictGroup(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return domain.SCIMError(domain.KindConflict, scim.Uniqueness, "a group with displayName %q already exists in this team", name)
	}
	return err
}

// CreateGroup creates a group, with its members if the body lists any
// (Okta sends them on POST).
func (s *Service) CreateGroup(ctx context.Context, p domain.Principal, a domain.Actor, body map[string]any) (GroupView, error) {
	res, err := scim.Normalize(scim.GroupType, body)
	if err != nil {
		return GroupView{}, err
	}
	ids, err := memberIDs(res["members"])
	if err != nil {
		return GroupView{}, err
	}
	now := s.env.Now()
	g := store.Group{TeamID: p.Team.ID, ID: domain.NewID(), Created: now, Modified: now, Version: 1}
	if err := fillGroup(&g, res); err != nil {
		return GroupView{}, err
	}
	err = s.st.Tx(ctx, func(tx Tx) error {
		if err := checkMembers(ctx, tx, p.Team.ID, ids); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return conflictGroup(err, g.DisplayName)
		}
		added, err := tx.AddMembersChanged(ctx, p.Team.ID, g.ID, ids)
		if err != nil {
			return err
		}
		if err := s.env.Audit(ctx, tx, p.Team.ID, a, "group.create", "group", g.ID, map[string]any{"displayName": g.DisplayName, "members": len(ids)}); err != nil {
			return err
		}
		if err := s.env.Emit(ctx, tx, p.Team, a, domain.EventGroupCreated, domain.GroupData(g, []string{})); err != nil {
			return err
		}
		return s.env.EmitMembership(ctx, tx, p.Team, a, domain.EventGroupMemberAdded, g, added)
	})
	if err != nil {
		return GroupView{}, domain.ErrorFor(err, "group", g.ID)
	}
	return s.GetGroup(ctx, p, g.ID, true)
}

// GetGroup reads one group, with its members when withMembers is set.
func (s *Service) GetGroup(ctx context.Context, p domain.Principal, id string, withMembers bool) (GroupView, error) {
	g, err := s.st.Group(ctx, p.Team.ID, id)
	if err != nil {
		return GroupView{}, domain.ErrorFor(err, "group", id)
	}
	v, err := groupView(g)
	if err != nil {
		return GroupView{}, domain.ErrorFor(err, "group", id)
	}
	if withMembers {
		if v.Members, err = s.st.Members(ctx, p.Team.ID, id); err != nil {
			return GroupView{}, domain.ErrorFor(err, "group", id)
		}
		if v.Members == nil {
			v.Members = []store.MemberRef{}
		}
	}
	return v, nil
}

// MemberCount counts a group's members.
func (s *Service) MemberCount(ctx context.Context, p domain.Principal, id string) (int, error) {
	n, err := s.st.MemberCount(ctx, p.Team.ID, id)
	return n, domain.ErrorFor(err, "group", id)
}

// MemberCountUpTo counts a group's members, but no further than limit.
func (s *Service) MemberCountUpTo(ctx context.Context, p domain.Principal, id string, limit int) (int, error) {
	n, err := s.st.MemberCountUpTo(ctx, p.Team.ID, id, limit)
	return n, domain.ErrorFor(err, "group", id)
}

// Members lists a group's members ([] for none).
func (s *Service) Members(ctx context.Context, p domain.Principal, id string) ([]store.MemberRef, error) {
	m, err := s.st.Members(ctx, p.Team.ID, id)
	if m == nil {
		m = []store.MemberRef{}
	}
	return m, domain.ErrorFor(err, "group", id)
}

// ListGroups lists one page of the team's groups.
func (s *Service) ListGroups(ctx context.Context, p domain.Principal, o ListOptions) ([]GroupView, int, error) {
	groups, total, err := s.st.ListGroups(ctx, p.Team.ID, o.query())
	if err != nil {
		return nil, 0, domain.ErrorFor(err, "group", "")
	}
	out := make([]GroupView, 0, len(groups))
	for _, g := range groups {
		v, err := groupView(g)
		if err != nil {
			return nil, 0, domain.ErrorFor(err, "group", g.ID)
		}
		if o.WithRelated {
			if v.Members, err = s.st.Members(ctx, p.Team.ID, g.ID); err != nil {
				return nil, 0, domain.ErrorFor(err, "group", g.ID)
			}
		}
		out = append(out, v)
	}
	return out, total, nil
}

// ReplaceGroup is PUT: the name and attributes are replaced, and so is the
// membership, wholesale (Okta's AIW apps push groups this way).
func (s *Service) ReplaceGroup(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, body map[string]any) (GroupView, error) {
	res, err := scim.Normalize(scim.GroupType, body)
	if err != nil {
		return GroupView{}, err
	}
	ids, err := memberIDs(res["members"])
	if err != nil {
		return GroupView{}, err
	}
	_, err = s.updateGroup(ctx, p, a, id, ifMatch, func(tx Tx, g *store.Group, cur scim.Resource, d memberDelta) (scim.Resource, error) {
		grantsSA, err := domain.GuardGroupMembers(ctx, tx, p, *g, "replace the members of")
		if err != nil {
			return nil, err
		}
		if err := checkMembers(ctx, tx, p.Team.ID, ids); err != nil {
			return nil, err
		}
		removed, err := tx.RemoveAllMembersChanged(ctx, p.Team.ID, id)
		if err != nil {
			return nil, err
		}
		d.removed(removed)
		added, err := tx.AddMembersChanged(ctx, p.Team.ID, id, ids)
		if err != nil {
			return nil, err
		}
		d.added(added)
		if grantsSA {
			if err := domain.AfterSuperAdminChange(ctx, tx, p.Team, true, "replace the members of group "+g.DisplayName); err != nil {
				return nil, err
			}
		}
		return res, nil
	})
	if err != nil {
		return GroupView{}, err
	}
	return s.GetGroup(ctx, p, id, true)
}

// PatchGroup applies a PatchOp. Membership operations become row inserts
// and deletes, so their cost doesn't grow with the group; every other
// operation goes through the generic PATCH engine. The request is parsed,
// validated and deduplicated before the write transaction starts, so the
// writer is held only for the rows it writes. All of it commits in one
// transaction or not at all.
func (s *Service) PatchGroup(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, ops []scim.PatchOperation, withMembers bool) (GroupView, error) {
	plan, err := planMemberOps(ops)
	if err != nil {
		return GroupView{}, err
	}
	g, err := s.updateGroup(ctx, p, a, id, ifMatch, func(tx Tx, g *store.Group, cur scim.Resource, d memberDelta) (scim.Resource, error) {
		grantsSA := false
		if len(plan.actions) > 0 {
			var err error
			if grantsSA, err = domain.GuardGroupMembers(ctx, tx, p, *g, "change the members of"); err != nil {
				return nil, err
			}
		}
		if err := s.applyMemberPlan(ctx, tx, p.Team.ID, id, plan, d); err != nil {
			return nil, err
		}
		if grantsSA {
			if err := domain.AfterSuperAdminChange(ctx, tx, p.Team, true, "change the members of group "+g.DisplayName); err != nil {
				return nil, err
			}
		}
		if len(plan.rest) == 0 {
			return cur, nil
		}
		cur["members"] = nil // never part of the stored attributes
		delete(cur, "members")
		return scim.Patcher{Type: scim.GroupType, ID: id}.Apply(cur, plan.rest)
	})
	if err != nil {
		return GroupView{}, err
	}
	// The answer is the group as this transaction wrote it; only the
	// members, when asked for, are read again.
	v, err := groupView(g)
	if err != nil {
		return GroupView{}, domain.ErrorFor(err, "group", id)
	}
	if withMembers {
		if v.Members, err = s.Members(ctx, p, id); err != nil {
			return GroupView{}, err
		}
	}
	return v, nil
}

func (s *Service) updateGroup(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, change func(Tx, *store.Group, scim.Resource, memberDelta) (scim.Resource, error)) (store.Group, error) {
	var out store.Group
	err := domain.RetryStale(ifMatch, "group", func() error {
		return s.st.Tx(ctx, func(tx Tx) error {
			g, err := tx.Group(ctx, p.Team.ID, id)
			if err != nil {
				return err
			}
			if err := domain.CheckIfMatch(ifMatch, "group", g.Version); err != nil {
				return err
			}
			cur, err := groupView(g)
			if err != nil {
				return err
			}
			before, beforeAttrs := g.DisplayName, string(g.Attrs)
			delta := memberDelta{}
			next, err := change(tx, &g, cur.Attrs, delta)
			if err != nil {
				return err
			}
			if err := fillGroup(&g, next); err != nil {
				return err
			}
			g.Version++
			g.Modified = s.env.Now()
			if err := tx.UpdateGroup(ctx, g); err != nil {
				return conflictGroup(err, g.DisplayName)
			}
			out = g
			if err := s.env.Audit(ctx, tx, p.Team.ID, a, "group.update", "group", id, map[string]any{"before": before, "displayName": g.DisplayName}); err != nil {
				return err
			}
			return s.emitGroupChange(ctx, tx, p.Team, a, g, beforeAttrs, delta)
		})
	})
	return out, domain.ErrorFor(err, "group", id)
}

// emitGroupChange appends a group write's events: group.updated when its
// attributes changed (with their names), then its members removed and
// added, net of each other, in batches.
func (s *Service) emitGroupChange(ctx context.Context, tx Tx, team store.Team, a domain.Actor, g store.Group, beforeAttrs string, d memberDelta) error {
	if beforeAttrs != string(g.Attrs) {
		var b, n scim.Resource
		_ = json.Unmarshal([]byte(beforeAttrs), &b)
		_ = json.Unmarshal(g.Attrs, &n)
		roles, err := tx.GroupRoles(ctx, team.ID, g.ID)
		if err != nil {
			return err
		}
		if roles == nil {
			roles = []string{}
		}
		data := domain.GroupData(g, roles)
		data["changed_fields"] = changedKeys(b, n)
		if err := s.env.Emit(ctx, tx, team, a, domain.EventGroupUpdated, data); err != nil {
			return err
		}
	}
	added, removed := d.lists()
	if err := s.env.EmitMembership(ctx, tx, team, a, domain.EventGroupMemberRemoved, g, removed); err != nil {
		return err
	}
	return s.env.EmitMembership(ctx, tx, team, a, domain.EventGroupMemberAdded, g, added)
}

// memberDelta is a write's net effect on a group's members: +1 added,
// -1 removed; a member removed then added again (a PUT, a replace) is no
// change.
type memberDelta map[string]int

func (d memberDelta) added(ids []string) {
	for _, id := range ids {
		if d[id] == -1 {
			delete(d, id)
		} else {
			d[id] = 1
		}
	}
}

func (d memberDelta) removed(ids []string) {
	for _, id := range ids {
		if d[id] == 1 {
			delete(d, id)
		} else {
			d[id] = -1
		}
	}
}

// lists gives the ids added and removed, sorted.
func (d memberDelta) lists() (added, removed []string) {
	for id, v := range d {
		if v > 0 {
			added = append(added, id)
		} else {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// DeleteGroup deletes a group and its memberships. Its members stay
// members of the team.
func (s *Service) DeleteGroup(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string) error {
	err := s.st.Tx(ctx, func(tx Tx) error {
		g, err := tx.Group(ctx, p.Team.ID, id)
		if err != nil {
			return err
		}
		if err := domain.CheckIfMatch(ifMatch, "group", g.Version); err != nil {
			return err
		}
		grantsSA, err := domain.GuardGroupMembers(ctx, tx, p, g, "delete")
		if err != nil {
			return err
		}
		if p.Team.GroupDeleteDeactivates {
			touchedSA, err := s.deactivateSoleMembers(ctx, tx, p, id, a)
			if err != nil {
				return err
			}
			grantsSA = grantsSA || touchedSA
		}
		if err := tx.DeleteGroup(ctx, p.Team.ID, id); err != nil {
			return err
		}
		if grantsSA {
			if err := domain.AfterSuperAdminChange(ctx, tx, p.Team, true, "delete group "+g.DisplayName); err != nil {
				return err
			}
		}
		if err := s.env.Audit(ctx, tx, p.Team.ID, a, "group.delete", "group", id, map[string]any{"displayName": g.DisplayName}); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, p.Team, a, domain.EventGroupDeleted, domain.GroupData(g, nil))
	})
	return domain.ErrorFor(err, "group", id)
}

// deactivateSoleMembers applies Postman's rule on group deletion when the
// team chose it: members whose only group this was are deactivated. It
// reports whether one of them was a Super Admin (the Super Admin rules
// then apply: the key must be privileged, checked here, and the team must
// keep one, checked by the caller once the group is gone).
func (s *Service) deactivateSoleMembers(ctx context.Context, tx Tx, p domain.Principal, groupID string, a domain.Actor) (bool, error) {
	team := p.Team
	ids, err := tx.SoleMembers(ctx, team.ID, groupID)
	if err != nil {
		return false, err
	}
	now := s.env.Now()
	touchedSA := false
	for _, id := range ids {
		u, err := tx.User(ctx, team.ID, id)
		if err != nil {
			return false, err
		}
		if !u.Active {
			continue
		}
		sa, err := domain.GuardSCIMMember(ctx, tx, p, u, "deactivate")
		if err != nil {
			return false, err
		}
		touchedSA = touchedSA || sa
		v, err := domain.ViewOfUser(u)
		if err != nil {
			return false, err
		}
		v.Attrs["active"] = false
		if err := domain.FillUser(&u, v.Attrs); err != nil {
			return false, err
		}
		u.Version++
		u.Modified = now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return false, err
		}
		if err := s.env.Audit(ctx, tx, team.ID, a, "user.deactivate", "user", id, map[string]any{
			"userName": u.UserName, "reason": "their only group was deleted (team policy)", "group": groupID}); err != nil {
			return false, err
		}
		data := domain.MemberChange(u, []string{"active"})
		data["reason"] = "their only group was deleted (team policy)"
		if err := s.env.Emit(ctx, tx, team, a, domain.EventMemberDeactivated, data); err != nil {
			return false, err
		}
	}
	return touchedSA, nil
}
