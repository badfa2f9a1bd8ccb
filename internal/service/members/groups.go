package members

import (
	"context"
	"errors"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// GroupSummary is a group as the admin API and console show it: the
// group, its member count and the team roles it grants.
type GroupSummary struct {
	Group   store.Group
	Members int
	Roles   []string
}

// GroupSummaries lists a team's groups, paged in SQL, optionally those
// whose displayName contains text (case-insensitively).
func (s *Service) GroupSummaries(ctx context.Context, teamID, text string, limit, offset int) ([]GroupSummary, int, error) {
	q := store.Query{Page: store.Page{Limit: limit, Offset: offset}}
	if text = strings.TrimSpace(text); text != "" {
		// The text is quoted into a filter literal, never into SQL: the
		// filter compiler parameterises it.
		f, err := filter.Parse(`displayName co "`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text)+`"`, filter.Limits{})
		if err != nil {
			return nil, 0, domain.BadRequest("q", "can't search for %q", text)
		}
		q.Filter = f
	}
	gs, total, err := s.st.ListGroups(ctx, teamID, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]GroupSummary, 0, len(gs))
	for _, g := range gs {
		sum, err := s.summarise(ctx, g)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, sum)
	}
	return out, total, nil
}

// GroupSummaryByID is one group of the team, or a 404.
func (s *Service) GroupSummaryByID(ctx context.Context, team store.Team, id string) (GroupSummary, error) {
	g, err := s.st.Group(ctx, team.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return GroupSummary{}, domain.NotFound("team %s has no group %q", team.Slug, id)
	}
	if err != nil {
		return GroupSummary{}, err
	}
	return s.summarise(ctx, g)
}

func (s *Service) summarise(ctx context.Context, g store.Group) (GroupSummary, error) {
	n, err := s.st.MemberCount(ctx, g.TeamID, g.ID)
	if err != nil {
		return GroupSummary{}, err
	}
	roles, err := s.st.GroupRoles(ctx, g.TeamID, g.ID)
	if err != nil {
		return GroupSummary{}, err
	}
	return GroupSummary{Group: g, Members: n, Roles: roles}, nil
}

// GroupChoices lists up to limit of a team's groups, in creation order,
// for pickers (the console's member filter).
func (s *Service) GroupChoices(ctx context.Context, teamID string, limit int) ([]store.Group, error) {
	gs, _, err := s.st.ListGroups(ctx, teamID, store.Query{Page: store.Page{Limit: limit}})
	return gs, err
}
