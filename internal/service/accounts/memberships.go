package accounts

import (
	"context"
	"errors"
	"sort"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Membership is one team a person belongs to.
type Membership struct {
	Team   store.Team
	Member store.User
	Roles  []string
}

// AccountTeams lists the teams where the account is linked to an active
// member, by slug. The link is the only way in: a member whose userName or
// emails carry the account's email, but that no event of its team linked,
// is not the account's. An account that must change its password gets
// ErrPasswordChangeRequired instead.
func (s *Service) AccountTeams(ctx context.Context, acc store.Account) ([]Membership, error) {
	if err := domain.RequireOwnPassword(domain.Caller{Account: acc}); err != nil {
		return nil, err
	}
	return s.accountTeams(ctx, acc)
}

// accountTeams is AccountTeams for a sign-in, which shows them whatever
// the password's state.
func (s *Service) accountTeams(ctx context.Context, acc store.Account) ([]Membership, error) {
	users, err := s.st.MembershipsOfAccount(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, u := range users {
		if !u.Active {
			continue
		}
		team, err := s.st.Team(ctx, u.TeamID)
		if err != nil {
			return nil, err
		}
		roles, err := domain.EffectiveRoles(ctx, s.st, u)
		if err != nil {
			return nil, err
		}
		out = append(out, Membership{Team: team, Member: u, Roles: roles})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Team.Slug < out[j].Team.Slug })
	return out, nil
}

// TeamCaller completes c with its membership of the team with slug: the
// member linked to the caller's account. A team that doesn't exist and one
// the caller isn't in get the same 404, so the API reveals no other team;
// a deactivated member gets a 403.
func (s *Service) TeamCaller(ctx context.Context, c domain.Caller, slug string) (domain.Caller, error) {
	// Every team route comes through here: a password someone else chose
	// opens none of them.
	if err := domain.RequireOwnPassword(c); err != nil {
		return c, err
	}
	notFound := domain.NotFound("you are not a member of a team %q", slug)
	team, err := s.st.TeamBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return c, notFound
	}
	if err != nil {
		return c, err
	}
	u, err := s.st.MemberOfAccount(ctx, team.ID, c.Account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return c, notFound
	}
	if err != nil {
		return c, err
	}
	if !u.Active {
		return c, domain.Forbidden("your membership is deactivated in team %s; a team admin (or your identity provider, when SCIM provisioning is on) can reactivate it", team.Slug)
	}
	roles, err := domain.EffectiveRoles(ctx, s.st, u)
	if err != nil {
		return c, err
	}
	return domain.CallerInTeam(c, team, u, roles), nil
}
