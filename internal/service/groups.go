package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
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
	if err := decodeAttrs(g.Attrs, &attrs); err != nil {
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
		return scimErr(KindInvalid, scim.InvalidValue, "displayName is required")
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
			return nil, scimErr(KindInvalid, scim.InvalidValue, "every member needs a \"value\" with the member's id")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkMembers refuses ids that are not users of the team, naming them, so
// an admin can see in the IdP which member Roster doesn't know.
func checkMembers(ctx context.Context, tx store.Tx, teamID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := tx.ExistingUsers(ctx, teamID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !found[id] {
			return scimErr(KindInvalid, scim.InvalidValue, "member %q is not a user of this team", id)
		}
	}
	return nil
}

func conflictGroup(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return scimErr(KindConflict, scim.Uniqueness, "a group with displayName %q already exists in this team", name)
	}
	return err
}

// CreateGroup creates a group, with its members if the body lists any
// (Okta sends them on POST).
func (s *Service) CreateGroup(ctx context.Context, p Principal, a Actor, body map[string]any) (GroupView, error) {
	res, err := scim.Normalize(scim.GroupType, body)
	if err != nil {
		return GroupView{}, err
	}
	ids, err := memberIDs(res["members"])
	if err != nil {
		return GroupView{}, err
	}
	now := s.Now()
	g := store.Group{TeamID: p.Team.ID, ID: NewID(), Created: now, Modified: now, Version: 1}
	if err := fillGroup(&g, res); err != nil {
		return GroupView{}, err
	}
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		if err := checkMembers(ctx, tx, p.Team.ID, ids); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return conflictGroup(err, g.DisplayName)
		}
		if err := tx.AddMembers(ctx, p.Team.ID, g.ID, ids); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Team.ID, a, "group.create", "group", g.ID, map[string]any{"displayName": g.DisplayName, "members": len(ids)})
	})
	if err != nil {
		return GroupView{}, domainError(err, "group", g.ID)
	}
	return s.GetGroup(ctx, p, g.ID, true)
}

// GetGroup reads one group, with its members when withMembers is set.
func (s *Service) GetGroup(ctx context.Context, p Principal, id string, withMembers bool) (GroupView, error) {
	g, err := s.st.Group(ctx, p.Team.ID, id)
	if err != nil {
		return GroupView{}, domainError(err, "group", id)
	}
	v, err := groupView(g)
	if err != nil {
		return GroupView{}, domainError(err, "group", id)
	}
	if withMembers {
		if v.Members, err = s.st.Members(ctx, p.Team.ID, id); err != nil {
			return GroupView{}, domainError(err, "group", id)
		}
		if v.Members == nil {
			v.Members = []store.MemberRef{}
		}
	}
	return v, nil
}

// MemberCount counts a group's members.
func (s *Service) MemberCount(ctx context.Context, p Principal, id string) (int, error) {
	n, err := s.st.MemberCount(ctx, p.Team.ID, id)
	return n, domainError(err, "group", id)
}

// MemberCountUpTo counts a group's members, but no further than limit.
func (s *Service) MemberCountUpTo(ctx context.Context, p Principal, id string, limit int) (int, error) {
	n, err := s.st.MemberCountUpTo(ctx, p.Team.ID, id, limit)
	return n, domainError(err, "group", id)
}

// Members lists a group's members ([] for none).
func (s *Service) Members(ctx context.Context, p Principal, id string) ([]store.MemberRef, error) {
	m, err := s.st.Members(ctx, p.Team.ID, id)
	if m == nil {
		m = []store.MemberRef{}
	}
	return m, domainError(err, "group", id)
}

// ListGroups lists one page of the team's groups.
func (s *Service) ListGroups(ctx context.Context, p Principal, o ListOptions) ([]GroupView, int, error) {
	groups, total, err := s.st.ListGroups(ctx, p.Team.ID, o.query())
	if err != nil {
		return nil, 0, domainError(err, "group", "")
	}
	out := make([]GroupView, 0, len(groups))
	for _, g := range groups {
		v, err := groupView(g)
		if err != nil {
			return nil, 0, domainError(err, "group", g.ID)
		}
		if o.WithRelated {
			if v.Members, err = s.st.Members(ctx, p.Team.ID, g.ID); err != nil {
				return nil, 0, domainError(err, "group", g.ID)
			}
		}
		out = append(out, v)
	}
	return out, total, nil
}

// ReplaceGroup is PUT: the name and attributes are replaced, and so is the
// membership, wholesale (Okta's AIW apps push groups this way).
func (s *Service) ReplaceGroup(ctx context.Context, p Principal, a Actor, id, ifMatch string, body map[string]any) (GroupView, error) {
	res, err := scim.Normalize(scim.GroupType, body)
	if err != nil {
		return GroupView{}, err
	}
	ids, err := memberIDs(res["members"])
	if err != nil {
		return GroupView{}, err
	}
	_, err = s.updateGroup(ctx, p, a, id, ifMatch, func(tx store.Tx, g *store.Group, cur scim.Resource) (scim.Resource, error) {
		grantsSA, err := s.guardGroupMembers(ctx, tx, p, *g, "replace the members of")
		if err != nil {
			return nil, err
		}
		if err := checkMembers(ctx, tx, p.Team.ID, ids); err != nil {
			return nil, err
		}
		if err := tx.RemoveAllMembers(ctx, p.Team.ID, id); err != nil {
			return nil, err
		}
		if err := tx.AddMembers(ctx, p.Team.ID, id, ids); err != nil {
			return nil, err
		}
		if grantsSA {
			if err := s.afterSuperAdminChange(ctx, tx, p.Team, true, "replace the members of group "+g.DisplayName); err != nil {
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
func (s *Service) PatchGroup(ctx context.Context, p Principal, a Actor, id, ifMatch string, ops []scim.PatchOperation, withMembers bool) (GroupView, error) {
	plan, err := planMemberOps(ops)
	if err != nil {
		return GroupView{}, err
	}
	g, err := s.updateGroup(ctx, p, a, id, ifMatch, func(tx store.Tx, g *store.Group, cur scim.Resource) (scim.Resource, error) {
		grantsSA := false
		if len(plan.actions) > 0 {
			var err error
			if grantsSA, err = s.guardGroupMembers(ctx, tx, p, *g, "change the members of"); err != nil {
				return nil, err
			}
		}
		if err := s.applyMemberPlan(ctx, tx, p.Team.ID, id, plan); err != nil {
			return nil, err
		}
		if grantsSA {
			if err := s.afterSuperAdminChange(ctx, tx, p.Team, true, "change the members of group "+g.DisplayName); err != nil {
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
		return GroupView{}, domainError(err, "group", id)
	}
	if withMembers {
		if v.Members, err = s.Members(ctx, p, id); err != nil {
			return GroupView{}, err
		}
	}
	return v, nil
}

// Kinds of membership action a PATCH asks for.
const (
	memberAdd       = iota // add ids (any op but remove/replace on "members")
	memberReplace          // the whole list becomes ids
	memberRemoveAll        // remove every member
	memberRemoveIDs        // remove ids
	memberRemoveBy         // remove the members matching filter
)

type memberAction struct {
	kind   int
	ids    []string
	filter filter.Expr
	// where names the operation in errors met while applying it.
	where string
}

// memberPlan is a PATCH split, before any write, into its membership
// actions (in order) and the operations left for the generic engine.
type memberPlan struct {
	actions []memberAction
	rest    []scim.PatchOperation
}

func opWhere(i int, op scim.PatchOperation) string {
	n := op.Index
	if n == 0 {
		n = i + 1
	}
	return "operation " + itoa(n) + " (" + op.Op + " " + op.Path + ")"
}

// opError names the PATCH operation in a refusal of it.
func opError(where string, err error) error {
	if e, ok := AsError(FromSCIM(err)); ok && e.Kind != KindInternal {
		c := *e
		c.Message = where + ": " + e.Message
		return &c
	}
	return err
}

// planMemberOps parses the operations on members: paths, values, ids
// (normalised and deduplicated by the SCIM core), all without a database.
func planMemberOps(ops []scim.PatchOperation) (memberPlan, error) {
	var plan memberPlan
	for i, op := range ops {
		where := opWhere(i, op)
		if err := plan.add(op, where); err != nil {
			return memberPlan{}, opError(where, err)
		}
	}
	return plan, nil
}

func (plan *memberPlan) members(op, where string, v any) error {
	switch op {
	case "remove":
		plan.actions = append(plan.actions, memberAction{kind: memberRemoveAll, where: where})
		return nil
	}
	ids, err := memberIDs(v)
	if err != nil {
		return err
	}
	kind := memberAdd
	if op == "replace" {
		kind = memberReplace
	}
	plan.actions = append(plan.actions, memberAction{kind: kind, ids: ids, where: where})
	return nil
}

func (plan *memberPlan) add(op scim.PatchOperation, where string) error {
	if op.Path == "" {
		// A path-less value may carry members beside other attributes
		// (Okta's {"id","displayName","members":[]} variant).
		obj, ok := op.Value.(map[string]any)
		if !ok {
			plan.rest = append(plan.rest, op)
			return nil
		}
		others := map[string]any{}
		for k, v := range obj {
			if strings.EqualFold(k, "members") {
				if err := plan.members(op.Op, where, v); err != nil {
					return err
				}
				continue
			}
			others[k] = v
		}
		if len(others) > 0 {
			plan.rest = append(plan.rest, scim.PatchOperation{Op: op.Op, Value: others, Index: op.Index})
		}
		return nil
	}
	path, err := filter.ParsePath(op.Path, filter.Limits{})
	if err != nil || !strings.EqualFold(path.Attr.Name, "members") || (path.Attr.URN != "" && !strings.EqualFold(path.Attr.URN, scim.GroupURN)) {
		plan.rest = append(plan.rest, op) // not about members; the engine reports bad paths
		return nil
	}
	sub := path.Attr.Sub
	if path.Filter != nil {
		sub = path.Sub
	}
	if sub != "" && !strings.EqualFold(sub, "value") {
		return nil // members[...].display and the like are read-only text: nothing to store
	}
	if path.Filter == nil {
		if op.Op == "remove" && op.Value != nil {
			// Entra's remove with a value array removes only those ids (Q5).
			ids, err := memberIDs(op.Value)
			if err != nil {
				return err
			}
			plan.actions = append(plan.actions, memberAction{kind: memberRemoveIDs, ids: ids, where: where})
			return nil
		}
		return plan.members(op.Op, where, op.Value)
	}
	if op.Op != "remove" {
		return scimErr(KindInvalid, scim.InvalidPath, "members can only be added with path \"members\"; a value filter is only for remove")
	}
	if ids, ok := valueEqIDs(path.Filter); ok {
		plan.actions = append(plan.actions, memberAction{kind: memberRemoveIDs, ids: ids, where: where})
		return nil
	}
	plan.actions = append(plan.actions, memberAction{kind: memberRemoveBy, filter: path.Filter, where: where})
	return nil
}

// applyMemberPlan performs the membership actions, in order, inside tx.
func (s *Service) applyMemberPlan(ctx context.Context, tx store.Tx, teamID, groupID string, plan memberPlan) error {
	for _, act := range plan.actions {
		if err := s.applyMemberAction(ctx, tx, teamID, groupID, act); err != nil {
			return opError(act.where, err)
		}
	}
	return nil
}

func (s *Service) applyMemberAction(ctx context.Context, tx store.Tx, teamID, groupID string, act memberAction) error {
	switch act.kind {
	case memberRemoveAll:
		return tx.RemoveAllMembers(ctx, teamID, groupID)
	case memberRemoveIDs:
		return tx.RemoveMembers(ctx, teamID, groupID, act.ids)
	case memberRemoveBy:
		ids, err := s.matchingMembers(ctx, tx, teamID, groupID, act.filter)
		if err != nil {
			return err
		}
		return tx.RemoveMembers(ctx, teamID, groupID, ids)
	}
	if err := checkMembers(ctx, tx, teamID, act.ids); err != nil {
		return err
	}
	if act.kind == memberReplace {
		if err := tx.RemoveAllMembers(ctx, teamID, groupID); err != nil {
			return err
		}
	}
	return tx.AddMembers(ctx, teamID, groupID, act.ids)
}

// matchingMembers resolves members[filter] for a filter other than the
// usual `value eq "id"` (and or-chains of it), which planMemberOps turns
// into ids without a read: the filter is evaluated against the members.
func (s *Service) matchingMembers(ctx context.Context, tx store.Tx, teamID, groupID string, f filter.Expr) ([]string, error) {
	members, err := tx.Members(ctx, teamID, groupID)
	if err != nil {
		return nil, err
	}
	attr := scim.GroupSchema.Attr("members")
	var ids []string
	for _, m := range members {
		ok, err := scim.MatchElement(attr, f, map[string]any{"value": m.UserID, "display": m.Display, "type": "User"})
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, m.UserID)
		}
	}
	return ids, nil
}

func valueEqIDs(f filter.Expr) ([]string, bool) {
	switch t := f.(type) {
	case filter.Compare:
		if t.Op == filter.Eq && strings.EqualFold(t.Path.Name, "value") && t.Path.Sub == "" && t.Value.Kind == filter.String {
			return []string{t.Value.Str}, true
		}
	case filter.Or:
		l, ok1 := valueEqIDs(t.Left)
		r, ok2 := valueEqIDs(t.Right)
		return append(l, r...), ok1 && ok2
	}
	return nil, false
}

func (s *Service) updateGroup(ctx context.Context, p Principal, a Actor, id, ifMatch string, change func(store.Tx, *store.Group, scim.Resource) (scim.Resource, error)) (store.Group, error) {
	var out store.Group
	err := retryStale(ifMatch, "group", func() error {
		return s.st.Tx(ctx, func(tx store.Tx) error {
			g, err := tx.Group(ctx, p.Team.ID, id)
			if err != nil {
				return err
			}
			if err := checkIfMatch(ifMatch, "group", g.Version); err != nil {
				return err
			}
			cur, err := groupView(g)
			if err != nil {
				return err
			}
			before := g.DisplayName
			next, err := change(tx, &g, cur.Attrs)
			if err != nil {
				return err
			}
			if err := fillGroup(&g, next); err != nil {
				return err
			}
			g.Version++
			g.Modified = s.Now()
			if err := tx.UpdateGroup(ctx, g); err != nil {
				return conflictGroup(err, g.DisplayName)
			}
			out = g
			return s.audit(ctx, tx, p.Team.ID, a, "group.update", "group", id, map[string]any{"before": before, "displayName": g.DisplayName})
		})
	})
	return out, domainError(err, "group", id)
}

// DeleteGroup deletes a group and its memberships. Its members stay
// members of the team.
func (s *Service) DeleteGroup(ctx context.Context, p Principal, a Actor, id, ifMatch string) error {
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		g, err := tx.Group(ctx, p.Team.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, "group", g.Version); err != nil {
			return err
		}
		grantsSA, err := s.guardGroupMembers(ctx, tx, p, g, "delete")
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
			if err := s.afterSuperAdminChange(ctx, tx, p.Team, true, "delete group "+g.DisplayName); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, p.Team.ID, a, "group.delete", "group", id, map[string]any{"displayName": g.DisplayName})
	})
	return domainError(err, "group", id)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
