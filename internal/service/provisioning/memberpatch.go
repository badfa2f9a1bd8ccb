package provisioning

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/service/domain"
)

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
	if e, ok := domain.AsError(domain.FromSCIM(err)); ok && e.Kind != domain.KindInternal {
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
		return domain.SCIMError(domain.KindInvalid, scim.InvalidPath, "members can only be added with path \"members\"; a value filter is only for remove")
	}
	if ids, ok := valueEqIDs(path.Filter); ok {
		plan.actions = append(plan.actions, memberAction{kind: memberRemoveIDs, ids: ids, where: where})
		return nil
	}
	plan.actions = append(plan.actions, memberAction{kind: memberRemoveBy, filter: path.Filter, where: where})
	return nil
}

// applyMemberPlan performs the membership actions, in order, inside tx,
// noting in d what they changed.
func (s *Service) applyMemberPlan(ctx context.Context, tx Tx, teamID, groupID string, plan memberPlan, d memberDelta) error {
	for _, act := range plan.actions {
		if err := s.applyMemberAction(ctx, tx, teamID, groupID, act, d); err != nil {
			return opError(act.where, err)
		}
	}
	return nil
}

func (s *Service) applyMemberAction(ctx context.Context, tx Tx, teamID, groupID string, act memberAction, d memberDelta) error {
	remove := func(ids []string, err error) error {
		d.removed(ids)
		return err
	}
	switch act.kind {
	case memberRemoveAll:
		return remove(tx.RemoveAllMembersChanged(ctx, teamID, groupID))
	case memberRemoveIDs:
		return remove(tx.RemoveMembersChanged(ctx, teamID, groupID, act.ids))
	case memberRemoveBy:
		ids, err := s.matchingMembers(ctx, tx, teamID, groupID, act.filter)
		if err != nil {
			return err
		}
		return remove(tx.RemoveMembersChanged(ctx, teamID, groupID, ids))
	}
	if err := checkMembers(ctx, tx, teamID, act.ids); err != nil {
		return err
	}
	if act.kind == memberReplace {
		if err := remove(tx.RemoveAllMembersChanged(ctx, teamID, groupID)); err != nil {
			return err
		}
	}
	added, err := tx.AddMembersChanged(ctx, teamID, groupID, act.ids)
	d.added(added)
	return err
}

// matchingMembers resolves members[filter] for a filter other than the
// usual `value eq "id"` (and or-chains of it), which planMemberOps turns
// into ids without a read: the filter is evaluated against the members.
func (s *Service) matchingMembers(ctx context.Context, tx Tx, teamID, groupID string, f filter.Expr) ([]string, error) {
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

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
