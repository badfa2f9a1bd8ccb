package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/store"
)

// UserView is a user as SCIM shows it: the stored record, its attributes
// and, when asked for, the groups it belongs to.
type UserView struct {
	User   store.User
	Attrs  scim.Resource
	Groups []store.GroupRef
}

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

// newUser builds a store record from canonical attributes. The password is
// dropped here: Roster accepts it (Okta sends one) and never keeps it.
func (s *Service) newUser(team store.Team, res scim.Resource, source, role string) (store.User, error) {
	now := s.Now()
	u := store.User{TeamID: team.ID, ID: NewID(), Source: source, Role: role, Created: now, Modified: now, Version: 1}
	if err := fillUser(&u, res); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// fillUser copies the indexed columns out of the attributes.
func fillUser(u *store.User, res scim.Resource) error {
	delete(res, "password")
	u.UserName = res.String("userName")
	if u.UserName == "" {
		return scimErr(KindInvalid, scim.InvalidValue, "userName is required")
	}
	u.ExternalID = res.String("externalId")
	u.DisplayName = res.String("displayName")
	active, ok := res.Bool("active")
	if !ok {
		active = true // a user the IdP creates without saying otherwise is active
		res["active"] = true
	}
	u.Active = active
	u.Emails = emailsOf(res)
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	u.Attrs = b
	return nil
}

func emailsOf(res scim.Resource) []store.Email {
	list, _ := res["emails"].([]any)
	var out []store.Email
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if v == "" {
			continue
		}
		typ, _ := m["type"].(string)
		primary, _ := m["primary"].(bool)
		out = append(out, store.Email{Value: v, Type: typ, Primary: primary})
	}
	return out
}

func userView(u store.User) (UserView, error) {
	var attrs scim.Resource
	if err := decodeAttrs(u.Attrs, &attrs); err != nil {
		return UserView{}, err
	}
	attrs["active"] = u.Active
	return UserView{User: u, Attrs: attrs}, nil
}

func decodeAttrs(b []byte, v *scim.Resource) error {
	m, err := scim.DecodeObject(b)
	if err != nil {
		return fmt.Errorf("stored attributes are corrupt: %w", err)
	}
	*v = m
	return nil
}

func userSummary(u store.User) map[string]any {
	return map[string]any{"userName": u.UserName, "externalId": u.ExternalID, "active": u.Active}
}

// CreateUser provisions a member. The new member is active with the team's
// default role. A pending invite for the same email is claimed instead of
// causing an error: the member is created and the invite closed.
func (s *Service) CreateUser(ctx context.Context, p Principal, a Actor, body map[string]any) (UserView, error) {
	res, err := scim.Normalize(s.UserType(p.Team), body)
	if err != nil {
		return UserView{}, err
	}
	u, err := s.newUser(p.Team, res, store.SourceSCIM, p.Team.DefaultRole)
	if err != nil {
		return UserView{}, err
	}
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		claimed, err := s.claimInvite(ctx, tx, p.Team.ID, &u)
		if err != nil {
			return err
		}
		if err := checkSeat(ctx, tx, p.Team, u); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return scimErr(KindConflict, scim.Uniqueness, "a user with userName %q already exists in this team", u.UserName)
			}
			return err
		}
		detail := userSummary(u)
		if claimed != "" {
			detail["claimedInvite"] = claimed
		}
		return s.audit(ctx, tx, p.Team.ID, a, "user.create", "user", u.ID, detail)
	})
	if err != nil {
		return UserView{}, domainError(err, "user", u.ID)
	}
	return userView(u)
}

// claimInvite marks a pending invite addressed to the user's userName or
// one of its emails as claimed by this member, and gives the member the
// invite's role. Accepting the invite later links the accepting account
// to this member; SCIM itself never links anyone.
func (s *Service) claimInvite(ctx context.Context, tx store.Tx, teamID string, u *store.User) (string, error) {
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
		if err := tx.CloseInvite(ctx, teamID, inv.ID, "claimed", s.Now()); err != nil {
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
func (s *Service) GetUser(ctx context.Context, p Principal, id string, withGroups bool) (UserView, error) {
	u, err := s.st.User(ctx, p.Team.ID, id)
	if err != nil {
		return UserView{}, domainError(err, "user", id)
	}
	v, err := userView(u)
	if err != nil {
		return UserView{}, domainError(err, "user", id)
	}
	if withGroups {
		if v.Groups, err = s.st.GroupsOfUser(ctx, p.Team.ID, id); err != nil {
			return UserView{}, domainError(err, "user", id)
		}
	}
	return v, nil
}

// ListUsers lists one page of the team's users.
func (s *Service) ListUsers(ctx context.Context, p Principal, o ListOptions) ([]UserView, int, error) {
	q := o.query()
	q.Type = s.UserType(p.Team)
	users, total, err := s.st.ListUsers(ctx, p.Team.ID, q)
	if err != nil {
		return nil, 0, domainError(err, "user", "")
	}
	var groups map[string][]store.GroupRef
	if o.WithRelated && len(users) > 0 {
		// One query for the page's groups, not one per user.
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if groups, err = s.st.GroupsOfUsers(ctx, p.Team.ID, ids); err != nil {
			return nil, 0, domainError(err, "user", "")
		}
	}
	out := make([]UserView, 0, len(users))
	for _, u := range users {
		v, err := userView(u)
		if err != nil {
			return nil, 0, domainError(err, "user", u.ID)
		}
		v.Groups = groups[u.ID]
		out = append(out, v)
	}
	return out, total, nil
}

// GroupsOfUser lists the groups of one user of the principal's team.
func (s *Service) GroupsOfUser(ctx context.Context, p Principal, id string) ([]store.GroupRef, error) {
	g, err := s.st.GroupsOfUser(ctx, p.Team.ID, id)
	return g, domainError(err, "user", id)
}

// ReplaceUser is PUT: the body replaces every attribute the client may
// write. `active` is kept as sent; a PUT that leaves it out keeps the
// current state rather than suspending the member (idp-conformance OKTA-07).
func (s *Service) ReplaceUser(ctx context.Context, p Principal, a Actor, id, ifMatch string, body map[string]any) (UserView, error) {
	res, err := scim.Normalize(s.UserType(p.Team), body)
	if err != nil {
		return UserView{}, err
	}
	return s.updateUser(ctx, p, a, id, ifMatch, func(u store.User, cur scim.Resource) (scim.Resource, error) {
		if _, ok := res["active"]; !ok {
			res["active"] = u.Active
		}
		return res, nil
	})
}

// PatchUser applies a PatchOp atomically.
func (s *Service) PatchUser(ctx context.Context, p Principal, a Actor, id, ifMatch string, ops []scim.PatchOperation) (UserView, error) {
	return s.updateUser(ctx, p, a, id, ifMatch, func(u store.User, cur scim.Resource) (scim.Resource, error) {
		return scim.Patcher{Type: s.UserType(p.Team), ID: id}.Apply(cur, ops)
	})
}

func (s *Service) updateUser(ctx context.Context, p Principal, a Actor, id, ifMatch string, change func(store.User, scim.Resource) (scim.Resource, error)) (UserView, error) {
	var out store.User
	err := retryStale(ifMatch, "user", func() error {
		return s.st.Tx(ctx, func(tx store.Tx) error {
			u, err := tx.User(ctx, p.Team.ID, id)
			if err != nil {
				return err
			}
			if err := checkIfMatch(ifMatch, "user", u.Version); err != nil {
				return err
			}
			cur, err := userView(u)
			if err != nil {
				return err
			}
			next, err := change(u, cur.Attrs)
			if err != nil {
				return err
			}
			before := u
			if err := fillUser(&u, next); err != nil {
				return err
			}
			u.Version++
			u.Modified = s.Now()
			if !before.Active && u.Active {
				if err := checkSeat(ctx, tx, p.Team, u); err != nil {
					return err
				}
			}
			superAdmin := false
			if before.Active != u.Active {
				verb := "deactivate"
				if u.Active {
					verb = "reactivate"
				}
				if superAdmin, err = s.guardSCIMMember(ctx, tx, p, before, verb); err != nil {
					return err
				}
			}
			if err := tx.UpdateUser(ctx, u); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return scimErr(KindConflict, scim.Uniqueness, "a user with userName %q already exists in this team", u.UserName)
				}
				return err
			}
			if superAdmin && !u.Active {
				if err := s.afterSuperAdminChange(ctx, tx, p.Team, true, "deactivate "+before.UserName); err != nil {
					return err
				}
			}
			out = u
			action := "user.update"
			switch {
			case before.Active && !u.Active:
				action = "user.deactivate"
			case !before.Active && u.Active:
				action = "user.reactivate"
			}
			return s.audit(ctx, tx, p.Team.ID, a, action, "user", u.ID, map[string]any{
				"before": userSummary(before), "after": userSummary(u), "changed": changedKeys(cur.Attrs, next),
			})
		})
	})
	if err != nil {
		return UserView{}, domainError(err, "user", id)
	}
	return userView(out)
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
func (s *Service) DeleteUser(ctx context.Context, p Principal, a Actor, id, ifMatch string) error {
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, p.Team.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, "user", u.Version); err != nil {
			return err
		}
		superAdmin, err := s.guardSCIMMember(ctx, tx, p, u, "delete")
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, p.Team.ID, id); err != nil {
			return err
		}
		if superAdmin && u.Active {
			if err := s.afterSuperAdminChange(ctx, tx, p.Team, true, "delete "+u.UserName); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, p.Team.ID, a, "user.delete", "user", id, userSummary(u))
	})
	return domainError(err, "user", id)
}
