package accounts

import (
	"context"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// SetAccountPassword is the operator's reset (roster account set-password):
// it creates the account if there is none, sets the password and ends
// every session of the account. The operator chose that password, so the
// person must choose their own at their next sign-in (the account is
// flagged MustChangePassword: everything but a password change and
// signing out is refused until then).
func (s *Service) SetAccountPassword(ctx context.Context, email, password string, a domain.Actor) (store.Account, error) {
	addr, err := parseEmail("email", email)
	if err != nil {
		return store.Account{}, err
	}
	if err := checkNewPassword("password", password); err != nil {
		return store.Account{}, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return store.Account{}, err
	}
	var acc store.Account
	err = s.st.Tx(ctx, func(tx Tx) error {
		var created bool
		var err error
		if acc, created, err = domain.EnsureAccount(ctx, tx, addr, hash, s.env.Now()); err != nil {
			return err
		}
		if err := tx.SetAccountPassword(ctx, acc.ID, hash, true, s.env.Now()); err != nil {
			return err
		}
		acc.PasswordHash, acc.MustChangePassword = hash, true
		if !created {
			if err := tx.DeleteAccountSessions(ctx, acc.ID, nil); err != nil {
				return err
			}
		}
		return s.env.Audit(ctx, tx, "", a, "account.password_set", "account", acc.ID, map[string]any{"email": acc.Email, "created": created})
	})
	return acc, err
}

// SetupAdminAccount gives a new team's first admin a way in: when the
// account that team creation linked has no password yet, it sets a random
// one-time password and returns it (to be printed once); the account
// must change it at its first sign-in. An account that already had a
// password keeps it, and "" is returned.
func (s *Service) SetupAdminAccount(ctx context.Context, team store.Team, a domain.Actor) (string, error) {
	acc, err := s.st.AccountByEmail(ctx, team.AdminEmail)
	if err != nil || acc.PasswordHash != "" {
		return "", err
	}
	pw := RandomPassword()
	hash, err := s.hashPassword(pw)
	if err != nil {
		return "", err
	}
	set := false
	err = s.st.Tx(ctx, func(tx Tx) error {
		cur, err := tx.Account(ctx, acc.ID)
		if err != nil || cur.PasswordHash != "" {
			return err // set meanwhile: keep it
		}
		// A password someone else will read: the admin chooses their own
		// at first sign-in.
		if err := tx.SetAccountPassword(ctx, acc.ID, hash, true, s.env.Now()); err != nil {
			return err
		}
		set = true
		return s.env.Audit(ctx, tx, team.ID, a, "account.create", "account", acc.ID, map[string]any{"email": acc.Email, "oneTimePassword": true})
	})
	if err != nil || !set {
		return "", err
	}
	return pw, nil
}
