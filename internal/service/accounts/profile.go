package accounts

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// scimOwnedTeam returns a team with SCIM provisioning on where the
// account is a member: that team's identity provider owns the person's
// email and password. ok is false when there is none.
func (s *Service) scimOwnedTeam(ctx context.Context, r Tx, accountID string) (store.Team, bool, error) {
	users, err := r.MembershipsOfAccount(ctx, accountID)
	if err != nil {
		return store.Team{}, false, err
	}
	for _, u := range users {
		team, err := r.Team(ctx, u.TeamID)
		if err != nil {
			return store.Team{}, false, err
		}
		if team.SCIMEnabled {
			return team, true, nil
		}
	}
	return store.Team{}, false, nil
}

// ChangePassword changes the caller's password, after checking the
// current one, and ends the account's other sessions; the password is
// the person's own from then on (MustChangePassword is cleared). Refused
// while a team of the person has SCIM provisioning on, unless the
// account must change its password (a one-time password or an
// operator's reset can't be a dead end).
func (s *Service) ChangePassword(ctx context.Context, c domain.Caller, current, next string) error {
	if err := checkNewPassword("new_password", next); err != nil {
		return err
	}
	if next == current {
		return domain.BadRequest("new_password", "choose a password other than the current one")
	}
	// The password work (check the current one, then hash the new one)
	// happens before the write transaction, which then requires the hash
	// it checked to be still in place.
	cur, err := s.st.Account(ctx, c.Account.ID)
	if err != nil {
		return err
	}
	if cur.PasswordHash != "" && !VerifyPassword(cur.PasswordHash, current) {
		return &domain.Error{Kind: domain.KindForbidden, Field: "current_password", Message: "the current password is wrong"}
	}
	hash, err := s.hashPassword(next)
	if err != nil {
		return err
	}
	return s.st.Tx(ctx, func(tx Tx) error {
		acc, err := tx.Account(ctx, c.Account.ID)
		if err != nil {
			return err
		}
		if !acc.MustChangePassword {
			if team, ok, err := s.scimOwnedTeam(ctx, tx, c.Account.ID); err != nil {
				return err
			} else if ok {
				return domain.Forbidden("SCIM provisioning is on for team %s: your identity provider manages your password; ask your IdP administrator", team.Slug)
			}
		}
		if acc.PasswordHash != cur.PasswordHash {
			return domain.Conflict("current_password", "your password was changed meanwhile; sign in again")
		}
		if err := tx.SetAccountPassword(ctx, acc.ID, hash, false, s.env.Now()); err != nil {
			return err
		}
		if err := tx.DeleteAccountSessions(ctx, acc.ID, c.SessionHash); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, "", c.Actor, "account.password_change", "account", acc.ID, map[string]any{"otherSessionsEnded": true, "requiredChange": acc.MustChangePassword})
	})
}

// ChangeEmail changes the caller's account email (its login name) and,
// in every team it is linked to, the member's userName and emails that
// carried the old one. It links and unlinks nothing: the account keeps
// exactly its linked memberships, and a member elsewhere that carries the
// new email stays someone else's. Refused while a team of the person has
// SCIM provisioning on: the IdP owns the email there.
func (s *Service) ChangeEmail(ctx context.Context, c domain.Caller, email string) (store.Account, error) {
	if err := domain.RequireOwnPassword(c); err != nil {
		return store.Account{}, err
	}
	next, err := parseEmail("email", email)
	if err != nil {
		return store.Account{}, err
	}
	var acc store.Account
	err = s.st.Tx(ctx, func(tx Tx) error {
		if team, ok, err := s.scimOwnedTeam(ctx, tx, c.Account.ID); err != nil {
			return err
		} else if ok {
			return domain.Forbidden("SCIM provisioning is on for team %s: your identity provider manages your email; ask your IdP administrator", team.Slug)
		}
		var err error
		if acc, err = tx.Account(ctx, c.Account.ID); err != nil {
			return err
		}
		old := acc.Email
		if old == next {
			return domain.BadRequest("email", "that is already your email")
		}
		if other, err := tx.AccountByEmail(ctx, next); err == nil && other.ID != acc.ID {
			return domain.Conflict("email", "another account uses %s", next)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		users, err := tx.MembershipsOfAccount(ctx, acc.ID)
		if err != nil {
			return err
		}
		var slugs []string
		for _, u := range users {
			team, err := tx.Team(ctx, u.TeamID)
			if err != nil {
				return err
			}
			if err := s.renameMember(ctx, tx, team, c.Actor, u, old, next); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return domain.Conflict("email", "team %s already has a member %s", team.Slug, next)
				}
				return err
			}
			slugs = append(slugs, team.Slug)
		}
		if err := tx.SetAccountEmail(ctx, acc.ID, next, s.env.Now()); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return domain.Conflict("email", "another account uses %s", next)
			}
			return err
		}
		acc.Email = next
		return s.env.Audit(ctx, tx, "", c.Actor, "account.email_change", "account", acc.ID, map[string]any{"before": old, "after": next, "teams": slugs})
	})
	return acc, err
}

// renameMember replaces the old email in a member's userName and emails
// (with the team's member.updated event).
func (s *Service) renameMember(ctx context.Context, tx Tx, team store.Team, a domain.Actor, u store.User, old, next string) error {
	u, err := tx.User(ctx, u.TeamID, u.ID)
	if err != nil {
		return err
	}
	v, err := domain.ViewOfUser(u)
	if err != nil {
		return err
	}
	var changed []string
	if strings.EqualFold(u.UserName, old) {
		v.Attrs["userName"] = next
		changed = append(changed, "userName")
	}
	if list, ok := v.Attrs["emails"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if val, _ := m["value"].(string); strings.EqualFold(val, old) {
					m["value"] = next
					if !slices.Contains(changed, "emails") {
						changed = append(changed, "emails")
					}
				}
			}
		}
	}
	if err := domain.FillUser(&u, v.Attrs); err != nil {
		return err
	}
	u.Version++
	u.Modified = s.env.Now()
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	if len(changed) == 0 {
		return nil
	}
	slices.Sort(changed)
	return s.env.Emit(ctx, tx, team, a, domain.EventMemberUpdated, domain.MemberChange(u, changed))
}
