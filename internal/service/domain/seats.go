package domain

import (
	"context"

	"github.com/rosterhq/roster/internal/store"
)

// SeatRoles are the roles that take a paid seat (Postman's rule: Admin-
// and Billing-only members are support users and take none).
var SeatRoles = []string{RoleDeveloper, RoleSuperAdmin}

func takesSeat(roles string) bool {
	for _, r := range SplitRoles(roles) {
		for _, s := range SeatRoles {
			if r == s {
				return true
			}
		}
	}
	return false
}

// SeatCounter is the store method that counts a team's seats in use.
type SeatCounter interface {
	SeatsUsed(ctx context.Context, teamID string, seatRoles []string) (int, error)
}

// CheckSeat refuses to activate one more seat-taking member beyond the
// team's limit. The answer is 403 with a detail that names the licence
// problem, so an admin reading the IdP's error knows what to do; the
// count runs inside the write transaction.
func CheckSeat(ctx context.Context, tx SeatCounter, team store.Team, u store.User) error {
	if team.SeatLimit <= 0 || !u.Active || !takesSeat(u.Role) {
		return nil
	}
	used, err := tx.SeatsUsed(ctx, team.ID, SeatRoles)
	if err != nil {
		return err
	}
	if used >= team.SeatLimit {
		return Errorf(KindForbidden, "", "seat limit reached: team %q uses all %d of its seats, so %q can't be made active; a team admin can raise the limit (roster team policy --seat-limit) or deactivate members", team.Name, team.SeatLimit, u.UserName)
	}
	return nil
}
