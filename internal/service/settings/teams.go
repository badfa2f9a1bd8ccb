package settings

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Slugify turns a team name into a URL-safe slug.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "team"
	}
	if len(s) > 48 {
		s = strings.TrimSuffix(s[:48], "-")
	}
	return s
}

// CreateTeam creates a team and its first admin, who is a member of the
// team with the Super Admin role, linked to the account of adminEmail. The slug comes from the name, with a
// numeric suffix if it is taken.
func (s *Service) CreateTeam(ctx context.Context, name, adminEmail string, a domain.Actor) (store.Team, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.Team{}, errors.New("a team needs a name")
	}
	addr, err := mail.ParseAddress(adminEmail)
	if err != nil || addr.Address != strings.TrimSpace(adminEmail) {
		return store.Team{}, fmt.Errorf("admin email %q is not a valid address", adminEmail)
	}
	base := Slugify(name)
	var team store.Team
	for i := 1; ; i++ {
		slug := base
		if i > 1 {
			slug = fmt.Sprintf("%s-%d", base, i)
		}
		team = store.Team{ID: domain.NewID(), Slug: slug, Name: name, AdminEmail: addr.Address, DefaultRole: domain.RoleDeveloper, Created: s.env.Now()}
		err = s.st.Tx(ctx, func(tx Tx) error {
			if err := tx.CreateTeam(ctx, team); err != nil {
				return err
			}
			admin, err := domain.NewUser(team, scim.Resource{
				"userName": addr.Address,
				"active":   true,
				"emails":   []any{map[string]any{"value": addr.Address, "type": "work", "primary": true}},
			}, store.SourceManual, domain.RoleSuperAdmin, s.env.Now())
			if err != nil {
				return err
			}
			// Creating the team is the first event that links an account
			// to a member: the operator names the first admin's email, and
			// that account (created, without a password, if there is none:
			// SetupAdminAccount gives it one) becomes this member.
			acc, created, err := domain.EnsureAccount(ctx, tx, addr.Address, "", s.env.Now())
			if err != nil {
				return err
			}
			admin.AccountID = acc.ID
			if err := tx.CreateUser(ctx, admin); err != nil {
				return err
			}
			return s.env.Audit(ctx, tx, team.ID, a, "team.create", "team", team.ID, map[string]any{"name": name, "slug": slug, "admin": addr.Address,
				"member": admin.ID, "account": acc.ID, "accountCreated": created})
		})
		if errors.Is(err, store.ErrConflict) && i < 100 {
			continue // slug taken: try the next suffix
		}
		return team, err
	}
}

// Team returns a team by slug.
func (s *Service) Team(ctx context.Context, slug string) (store.Team, error) {
	t, err := s.st.TeamBySlug(ctx, slug)
	return t, domain.TeamError(err, slug)
}

// Teams lists every team.
func (s *Service) Teams(ctx context.Context) ([]store.Team, error) {
	return s.st.ListTeams(ctx)
}

// SetSCIM switches SCIM provisioning on or off for a team. It takes effect
// on the next request: nothing caches it.
func (s *Service) SetSCIM(ctx context.Context, slug string, on bool, a domain.Actor) (store.Team, error) {
	var team store.Team
	err := s.st.Tx(ctx, func(tx Tx) error {
		var err error
		team, err = tx.TeamBySlug(ctx, slug)
		if err != nil {
			return domain.TeamError(err, slug)
		}
		if err := tx.SetSCIMEnabled(ctx, team.ID, on); err != nil {
			return err
		}
		team.SCIMEnabled = on
		action := "scim.disable"
		if on {
			action = "scim.enable"
		}
		return s.env.Audit(ctx, tx, team.ID, a, action, "team", team.ID, nil)
	})
	return team, err
}

// SetTeamSCIM switches SCIM provisioning for the caller's team.
func (s *Service) SetTeamSCIM(ctx context.Context, c domain.Caller, on bool) (store.Team, error) {
	return s.SetSCIM(ctx, c.Team.Slug, on, c.Actor)
}

// TeamID resolves a team slug (for the CLI).
func (s *Service) TeamID(ctx context.Context, slug string) (string, error) {
	t, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return "", domain.TeamError(err, slug)
	}
	return t.ID, nil
}
