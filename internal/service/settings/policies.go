package settings

import (
	"context"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// MaxSeatLimit is the largest seat limit a team can set: far beyond any
// team, and within every backend's integer column.
const MaxSeatLimit = 100_000_000

// SetTeamPolicies changes a team's seat limit and group-deletion rule;
// nil leaves a setting as it is.
func (s *Service) SetTeamPolicies(ctx context.Context, slug string, seatLimit *int, groupDeleteDeactivates *bool, a domain.Actor) (store.Team, error) {
	var team store.Team
	err := s.st.Tx(ctx, func(tx Tx) error {
		var err error
		if team, err = tx.TeamBySlug(ctx, slug); err != nil {
			return domain.TeamError(err, slug)
		}
		before := map[string]any{"seatLimit": team.SeatLimit, "groupDeleteDeactivates": team.GroupDeleteDeactivates}
		if seatLimit != nil {
			if *seatLimit < 0 {
				return domain.BadRequest("seat_limit", "the seat limit can't be negative (0 means no limit)")
			}
			if *seatLimit > MaxSeatLimit {
				return domain.BadRequest("seat_limit", "the seat limit can be at most %d (0 means no limit)", MaxSeatLimit)
			}
			team.SeatLimit = *seatLimit
		}
		if groupDeleteDeactivates != nil {
			team.GroupDeleteDeactivates = *groupDeleteDeactivates
		}
		if err := tx.SetTeamPolicies(ctx, team.ID, team.SeatLimit, team.GroupDeleteDeactivates); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, team.ID, a, "team.policy", "team", team.ID, map[string]any{
			"before": before, "after": map[string]any{"seatLimit": team.SeatLimit, "groupDeleteDeactivates": team.GroupDeleteDeactivates}})
	})
	return team, err
}

// SeatsUsed counts the team's active members that take a seat.
func (s *Service) SeatsUsed(ctx context.Context, teamID string) (int, error) {
	return s.st.SeatsUsed(ctx, teamID, domain.SeatRoles)
}
