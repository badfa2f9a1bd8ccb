package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// ListOptions is a SCIM list request after parsing.
type ListOptions struct {
	Filter     filter.Expr
	StartIndex int // 1-based
	Count      int
	SortBy     string
	Descending bool
	// WithRelated loads a User's groups or a Group's members.
	WithRelated bool
}

func (o ListOptions) query() store.Query {
	return store.Query{Filter: o.Filter, SortBy: o.SortBy, Descending: o.Descending,
		Page: store.Page{Offset: o.StartIndex - 1, Limit: o.Count}}
}

func userSummary(u store.User) map[string]any {
	return map[string]any{"userName": u.UserName, "externalId": u.ExternalID, "active": u.Active}
}

// CreateUser provisions a member. The new member is active with the team's
// default role. A pending invite for the same email is claimed instead of
// causing an error: the member is created and the invite closed.
func (s *Service) CreateUser(ctx context.Context, p domain.Principal, a domain.Actor, body map[string]any) (domain.UserView, error) {
	res, err := scim.Normalize(s.UserType(p.Team), body)
	if err != nil {
		return domain.UserView{}, err
	}
	u, err := domain.NewUser(p.Team, res, store.SourceSCIM, p.Team.DefaultRole, s.env.Now())
	if err != nil {
		return domain.UserView{}, err
	}
	err = s.st.Tx(ctx, func(tx Tx) error {
		claimed, err := s.claimInvite(ctx, tx, p.Team.ID, &u)
		if err != nil {
			return err
		}
		if err := domain.CheckSeat(ctx, tx, p.Team, u); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return domain.SCIMError(domain.KindConflict, scim.Uniqueness, "a user with userName %q already exists in this team", u.UserName)
			}
			return err
		}
		detail := userSummary(u)
		if claimed != "" {
			detail["claimedInvite"] = claimed
		}
		if err := s.env.Audit(ctx, tx, p.Team.ID, a, "user.create", "user", u.ID, detail); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, p.Team, a, domain.EventMemberCreated, domain.MemberData(u))
	})
	if err != nil {
		return domain.UserView{}, domain.ErrorFor(err, "user", u.ID)
	}
	return domain.ViewOfUser(u)
}

// claimInvite marks a pending invite addressed to the user's userName or
// one of its emails as claimed by this member, and gives the member the
// invite's role. Accepting the invite later links the accepting account
// to this member; SCIM itself never links anyone.
func (s *Service) claimInvite(ctx context.Context, tx Tx, teamID string, u *store.User) (string, error) {
	// Invites are found by the folded email: an address that folds like
	// one already tried (Okta's userName is usually the work email) is
	// not looked up twice.
	candidates := []string{u.UserName}
	for _, e := range u.Emails {
		if !slices.ContainsFunc(candidates, func(c string) bool { return strings.ToLower(c) == strings.ToLower(e.Value) }) {
			candidates = append(candidates, e.Value)
		}
	}
	for _, email := range candidates {
		inv, err := tx.PendingInvite(ctx, teamID, email)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := tx.CloseInvite(ctx, teamID, inv.ID, "claimed", s.env.Now()); err != nil {
			return "", err
		}
		// The invite now lets its holder in as this member: accepting it
		// links their account here (and nowhere else).
		if err := tx.SetInviteMember(ctx, teamID, inv.ID, u.ID); err != nil {
			return "", err
		}
		u.Role = inv.Role
		u.Source = store.SourceInvite
		return inv.ID, nil
	}
	return "", nil
}

// GetUser reads one user of the principal's team.
func (s *Service) GetUser(ctx context.Context, p domain.Principal, id string, withGroups bool) (domain.UserView, error) {
	u, err := s.st.User(ctx, p.Team.ID, id)
	if err != nil {
		return domain.UserView{}, domain.ErrorFor(err, "user", id)
	}
	v, err := domain.ViewOfUser(u)
	if err != nil {
		return domain.UserView{}, domain.ErrorFor(err, "user", id)
	}
	if withGroups {
		if v.Groups, err = s.st.GroupsOfUser(ctx, p.Team.ID, id); err != nil {
			return domain.UserView{}, domain.ErrorFor(err, "user", id)
		}
	}
	return v, nil
}

// ListUsers lists one page of the team's users.
func (s *Service) ListUsers(ctx context.Context, p domain.Principal, o ListOptions) ([]domain.UserView, int, error) {
	q := o.query()
	q.Type = s.UserType(p.Team)
	users, total, err := s.st.ListUsers(ctx, p.Team.ID, q)
	if err != nil {
		return nil, 0, domain.ErrorFor(err, "user", "")
	}
	var groups map[string][]store.GroupRef
	if o.WithRelated && len(users) > 0 {
		// One query for the page's groups, not one per user.
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if groups, err = s.st.GroupsOfUsers(ctx, p.Team.ID, ids); err != nil {
			return nil, 0, domain.ErrorFor(err, "user", "")
		}
	}
	out := make([]domain.UserView, 0, len(users))
	for _, u := range users {
		v, err := domain.ViewOfUser(u)
		if err != nil {
			return nil, 0, domain.ErrorFor(err, "user", u.ID)
		}
		v.Groups = groups[u.ID]
		out = append(out, v)
	}
	return out, total, nil
}

// GroupsOfUser lists the groups of one user of the principal's team.
func (s *Service) GroupsOfUser(ctx context.Context, p domain.Principal, id string) ([]store.GroupRef, error) {
	g, err := s.st.GroupsOfUser(ctx, p.Team.ID, id)
	return g, domain.ErrorFor(err, "user", id)
}

// ReplaceUser is PUT: the body replaces every attribute the client may
// write. `active` is kept as sent; a PUT that leaves it out keeps the
// current state rather than suspending the member (idp-conformance OKTA-07).
func (s *Service) ReplaceUser(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, body map[string]any) (domain.UserView, error) {
	res, err := scim.Normalize(s.UserType(p.Team), body)
	if err != nil {
		return domain.UserView{}, err
	}
	return s.updateUser(ctx, p, a, id, ifMatch, func(u store.User, cur scim.Resource) (scim.Resource, error) {
		if _, ok := res["active"]; !ok {
			res["active"] = u.Active
		}
		return res, nil
	})
}

// PatchUser applies a PatchOp atomically.
//
// `active` changes only by a value: an operation that removes it
// (`remove active`, or a replace with null or "") keeps the current state,
// as a PUT that leaves it out does. Otherwise a removed `active` would
// fall back to the default a create gets (true), and a deprovisioned
// member would come back by a remove. No other attribute of a User has a
// default a remove could bring back: roles and emails' primary are the
// IdP's data only (a member's Roster roles don't come from them).
func (s *Service) PatchUser(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, ops []scim.PatchOperation) (domain.UserView, error) {
	return s.updateUser(ctx, p, a, id, ifMatch, func(u store.User, cur scim.Resource) (scim.Resource, error) {
		next, err := scim.Patcher{Type: s.UserType(p.Team), ID: id}.Apply(cur, ops)
		if err != nil {
			return nil, err
		}
		if _, ok := next["active"]; !ok {
			next["active"] = u.Active
		}
		return next, nil
	})
}

func (s *Service) updateUser(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string, change func(store.User, scim.Resource) (scim.Resource, error)) (domain.UserView, error) {
	var out store.User
	var guard store.DeprovisionGuard
	held := false
	err := domain.RetryStale(ifMatch, "user", func() error {
		return s.st.Tx(ctx, func(tx Tx) error {
			held = false
			u, err := tx.User(ctx, p.Team.ID, id)
			if err != nil {
				return err
			}
			if err := domain.CheckIfMatch(ifMatch, "user", u.Version); err != nil {
				return err
			}
			cur, err := domain.ViewOfUser(u)
			if err != nil {
				return err
			}
			next, err := change(u, cur.Attrs)
			if err != nil {
				return err
			}
			before := u
			if err := domain.FillUser(&u, next); err != nil {
				return err
			}
			u.Version++
			u.Modified = s.env.Now()
			if !before.Active && u.Active {
				if err := domain.CheckSeat(ctx, tx, p.Team, u); err != nil {
					return err
				}
			}
			superAdmin := false
			if before.Active != u.Active {
				verb := "deactivate"
				if u.Active {
					verb = "reactivate"
				}
				if superAdmin, err = domain.GuardSCIMMember(ctx, tx, p, before, verb); err != nil {
					return err
				}
			}
			if before.Active && !u.Active {
				// The mass-deprovisioning guard (guard.go): a held
				// deactivation commits its hold, not the change.
				if guard, err = s.guardDeprovision(ctx, tx, p, a, before, store.HoldDeactivate); errors.Is(err, errHeld) {
					held = true
					return nil
				} else if err != nil {
					return err
				}
			}
			if err := tx.UpdateUser(ctx, u); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return domain.SCIMError(domain.KindConflict, scim.Uniqueness, "a user with userName %q already exists in this team", u.UserName)
				}
				return err
			}
			if superAdmin && !u.Active {
				if err := domain.AfterSuperAdminChange(ctx, tx, p.Team, true, "deactivate "+before.UserName); err != nil {
					return err
				}
			}
			out = u
			changed := changedKeys(cur.Attrs, next)
			action, event := "user.update", domain.EventMemberUpdated
			switch {
			case before.Active && !u.Active:
				action, event = "user.deactivate", domain.EventMemberDeactivated
			case !before.Active && u.Active:
				action, event = "user.reactivate", domain.EventMemberReactivated
			}
			if err := s.env.Audit(ctx, tx, p.Team.ID, a, action, "user", u.ID, map[string]any{
				"before": userSummary(before), "after": userSummary(u), "changed": changed,
			}); err != nil {
				return err
			}
			if len(changed) == 0 {
				return nil // the same attributes again: nothing changed that an event could say
			}
			return s.env.Emit(ctx, tx, p.Team, a, event, domain.MemberChange(u, changed))
		})
	})
	if err != nil {
		return domain.UserView{}, domain.ErrorFor(err, "user", id)
	}
	if held {
		return domain.UserView{}, heldError(p.Team, guard)
	}
	return domain.ViewOfUser(out)
}

// changedKeys names the top-level attributes that differ, for the audit
// trail (values are left out: they may be personal data).
func changedKeys(before, after scim.Resource) []string {
	var out []string
	seen := map[string]bool{}
	for k, v := range after {
		seen[k] = true
		bv, _ := json.Marshal(before[k])
		av, _ := json.Marshal(v)
		if string(bv) != string(av) {
			out = append(out, k)
		}
	}
	for k := range before {
		if !seen[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// DeleteUser removes the member and every group membership it has.
func (s *Service) DeleteUser(ctx context.Context, p domain.Principal, a domain.Actor, id, ifMatch string) error {
	var guard store.DeprovisionGuard
	held := false
	err := s.st.Tx(ctx, func(tx Tx) error {
		held = false
		u, err := tx.User(ctx, p.Team.ID, id)
		if err != nil {
			return err
		}
		if err := domain.CheckIfMatch(ifMatch, "user", u.Version); err != nil {
			return err
		}
		superAdmin, err := domain.GuardSCIMMember(ctx, tx, p, u, "delete")
		if err != nil {
			return err
		}
		if u.Active { // deleting a deactivated member is not counted (guard.go)
			if guard, err = s.guardDeprovision(ctx, tx, p, a, u, store.HoldDelete); errors.Is(err, errHeld) {
				held = true
				return nil
			} else if err != nil {
				return err
			}
		}
		if err := tx.DeleteUser(ctx, p.Team.ID, id); err != nil {
			return err
		}
		if superAdmin && u.Active {
			if err := domain.AfterSuperAdminChange(ctx, tx, p.Team, true, "delete "+u.UserName); err != nil {
				return err
			}
		}
		if err := s.env.Audit(ctx, tx, p.Team.ID, a, "user.delete", "user", id, userSummary(u)); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, p.Team, a, domain.EventMemberDeleted, domain.MemberData(u))
	})
	if err == nil && held {
		return heldError(p.Team, guard)
	}
	return domain.ErrorFor(err, "user", id)
}
