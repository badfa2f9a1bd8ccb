package settings

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

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
	return s.CreateTeamWithAdmin(ctx, name, adminEmail, "", a)
}

// MaxPersonName bounds a full name given to Roster directly (roster team
// create --admin-name).
const MaxPersonName = 200

// CreateTeamWithAdmin is CreateTeam with the first admin's full name
// ("Ada Lovelace"; "" reads a name off the email): the member gets a
// SCIM name (givenName, familyName, formatted), as a member an IdP
// provisions has (domain.PersonName).
func (s *Service) CreateTeamWithAdmin(ctx context.Context, name, adminEmail, adminName string, a domain.Actor) (store.Team, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.Team{}, errors.New("a team needs a name")
	}
	addr, err := mail.ParseAddress(adminEmail)
	if err != nil || addr.Address != strings.TrimSpace(adminEmail) {
		return store.Team{}, fmt.Errorf("admin email %q is not a valid address", adminEmail)
	}
	if err := checkPersonName("admin_name", adminName); err != nil {
		return store.Team{}, err
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
			res := scim.Resource{
				"userName": addr.Address,
				"active":   true,
				"emails":   []any{map[string]any{"value": addr.Address, "type": "work", "primary": true}},
			}
			if n := domain.PersonName(adminName, addr.Address); n != nil {
				res["name"] = n
			}
			admin, err := domain.NewUser(team, res, store.SourceManual, domain.RoleSuperAdmin, s.env.Now())
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
			if err := s.env.Audit(ctx, tx, team.ID, a, "team.create", "team", team.ID, map[string]any{"name": name, "slug": slug, "admin": addr.Address,
				"member": admin.ID, "account": acc.ID, "accountCreated": created}); err != nil {
				return err
			}
			return s.env.Emit(ctx, tx, team, a, domain.EventMemberCreated, domain.MemberData(admin))
		})
		if errors.Is(err, store.ErrConflict) && i < 100 {
			continue // slug taken: try the next suffix
		}
		return team, err
	}
}

// checkPersonName refuses a full name that isn't one line of text.
func checkPersonName(field, name string) error {
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return domain.BadRequest(field, "a name must be one line of UTF-8 text")
	}
	if n := utf8.RuneCountInString(name); n > MaxPersonName {
		return domain.BadRequest(field, "a name must be at most %d characters, not %d", MaxPersonName, n)
	}
	return nil
}

// CanonicalSlug is slug as teams store it: slugs are lower-case
// (Slugify), so a lookup folds the letter case people type ("Acme" finds
// acme). Only ASCII letters fold: no other character is in a slug, and
// Unicode's folding (the Kelvin sign is a "k") must not make aliases.
func CanonicalSlug(slug string) string {
	b := []byte(strings.TrimSpace(slug))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// Team returns a team by slug, in any letter case.
func (s *Service) Team(ctx context.Context, slug string) (store.Team, error) {
	t, err := s.st.TeamBySlug(ctx, CanonicalSlug(slug))
	return t, domain.TeamError(err, slug)
}

// OperatorTeam is Team for the operator's CLI, who sees every team: an
// unknown slug's error suggests the closest one (`no team "acmee"; did
// you mean "acme"?`). Never call it where the caller may not know of
// every team (the admin API, the console): the suggestion names a team.
func (s *Service) OperatorTeam(ctx context.Context, slug string) (store.Team, error) {
	t, err := s.st.TeamBySlug(ctx, CanonicalSlug(slug))
	if !errors.Is(err, store.ErrNotFound) {
		return t, err
	}
	teams, lerr := s.st.ListTeams(ctx)
	if lerr != nil {
		return t, lerr
	}
	slugs := make([]string, len(teams))
	for i, t := range teams {
		slugs[i] = t.Slug
	}
	if near := ClosestSlug(CanonicalSlug(slug), slugs); near != "" {
		return t, &domain.Error{Kind: domain.KindNotFound, Field: "team",
			Message: fmt.Sprintf("no team %q; did you mean %q?", slug, near), Cause: domain.ErrTeamNotFound}
	}
	return t, domain.TeamError(err, slug)
}

// ClosestSlug is the slug of slugs nearest to slug by edit distance
// (Levenshtein, by byte: slugs are ASCII), when it is near enough to be
// a typo: one edit for slugs up to 5 characters, two beyond. Ties go to
// the first in slugs. "" when none is.
func ClosestSlug(slug string, slugs []string) string {
	limit := 1
	if len(slug) > 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range slugs {
		if d := editDistance(slug, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or any value of at
// least bound once it is sure to reach bound.
func editDistance(a, b string, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
		team, err = tx.TeamBySlug(ctx, CanonicalSlug(slug))
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
	t, err := s.st.TeamBySlug(ctx, CanonicalSlug(slug))
	if err != nil {
		return "", domain.TeamError(err, slug)
	}
	return t.ID, nil
}
