package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// ErrTeamNotFound is returned for an unknown team slug.
var ErrTeamNotFound = errors.New("team not found")

func teamError(err error, slug string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: KindNotFound, Message: fmt.Sprintf("%v: no team with slug %q", ErrTeamNotFound, slug), Cause: ErrTeamNotFound}
	}
	return err
}

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
func (s *Service) CreateTeam(ctx context.Context, name, adminEmail string, a Actor) (store.Team, error) {
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
		team = store.Team{ID: NewID(), Slug: slug, Name: name, AdminEmail: addr.Address, DefaultRole: RoleDeveloper, Created: s.Now()}
		err = s.st.Tx(ctx, func(tx store.Tx) error {
			if err := tx.CreateTeam(ctx, team); err != nil {
				return err
			}
			admin, err := s.newUser(team, scim.Resource{
				"userName": addr.Address,
				"active":   true,
				"emails":   []any{map[string]any{"value": addr.Address, "type": "work", "primary": true}},
			}, store.SourceManual, RoleSuperAdmin)
			if err != nil {
				return err
			}
			// Creating the team is the first event that links an account
			// to a member: the operator names the first admin's email, and
			// that account (created, without a password, if there is none:
			// SetupAdminAccount gives it one) becomes this member.
			acc, created, err := s.ensureAccount(ctx, tx, addr.Address, "")
			if err != nil {
				return err
			}
			admin.AccountID = acc.ID
			if err := tx.CreateUser(ctx, admin); err != nil {
				return err
			}
			return s.audit(ctx, tx, team.ID, a, "team.create", "team", team.ID, map[string]any{"name": name, "slug": slug, "admin": addr.Address,
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
	return t, teamError(err, slug)
}

// Teams lists every team.
func (s *Service) Teams(ctx context.Context) ([]store.Team, error) {
	return s.st.ListTeams(ctx)
}

// SetSCIM switches SCIM provisioning on or off for a team. It takes effect
// on the next request: nothing caches it.
func (s *Service) SetSCIM(ctx context.Context, slug string, on bool, a Actor) (store.Team, error) {
	var team store.Team
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		team, err = tx.TeamBySlug(ctx, slug)
		if err != nil {
			return teamError(err, slug)
		}
		if err := tx.SetSCIMEnabled(ctx, team.ID, on); err != nil {
			return err
		}
		team.SCIMEnabled = on
		action := "scim.disable"
		if on {
			action = "scim.enable"
		}
		return s.audit(ctx, tx, team.ID, a, action, "team", team.ID, nil)
	})
	return team, err
}

// CreateInvite invites an email address to a team with a role.
func (s *Service) CreateInvite(ctx context.Context, slug, email, role string, a Actor) (store.Invite, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil {
		return store.Invite{}, fmt.Errorf("invite email %q is not a valid address", email)
	}
	if role == "" {
		role = RoleDeveloper
	}
	if !validRole(role) {
		return store.Invite{}, fmt.Errorf("unknown role %q: use %q, %q, %q or %q", role, RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper)
	}
	var inv store.Invite
	err = s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return teamError(err, slug)
		}
		inv = store.Invite{TeamID: team.ID, ID: NewID(), Email: addr.Address, Role: role, Status: "pending", Created: s.Now()}
		if err := tx.CreateInvite(ctx, inv); err != nil {
			return err
		}
		return s.audit(ctx, tx, team.ID, a, "invite.create", "invite", inv.ID, map[string]any{"email": inv.Email, "role": role})
	})
	return inv, err
}

func validRole(r string) bool {
	switch r {
	case RoleSuperAdmin, RoleAdmin, RoleBilling, RoleDeveloper:
		return true
	}
	return false
}

// Audit lists a team's latest audit events, newest first.
func (s *Service) Audit(ctx context.Context, slug string, limit int) ([]store.AuditEvent, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return nil, teamError(err, slug)
	}
	return s.st.ListAudit(ctx, team.ID, limit)
}
