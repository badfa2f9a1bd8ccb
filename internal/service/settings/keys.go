package settings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// NewKey is a freshly created key; Token is shown once and never stored.
type NewKey struct {
	Key   store.SCIMKey
	Token string
}

// CreateKey creates a SCIM key owned by the team (not by whoever made it).
func (s *Service) CreateKey(ctx context.Context, teamSlug, name string, expiresAt *time.Time, a domain.Actor) (NewKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return NewKey{}, domain.BadRequest("name", "a key needs a name, such as the IdP it is for (okta)")
	}
	var out NewKey
	err := s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, CanonicalSlug(teamSlug))
		if err != nil {
			return domain.TeamError(err, teamSlug)
		}
		// The logs name keys: two active keys of one team may not share
		// a name (letter case aside). A rotation's new key keeps its
		// old key's name while both work; that is the one exception.
		// The team's row is held while the names are checked, so two
		// creations at once (on any replica) take turns.
		if err := tx.LockTeam(ctx, team.ID); err != nil {
			return err
		}
		keys, err := tx.ListKeys(ctx, team.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if strings.EqualFold(k.Name, name) && domain.KeyStatus(k, s.env.Now()) == store.KeyActive {
				return domain.Conflict("name", "team %s already has an active key named %q (%s…); choose another name, or rotate or revoke that key", team.Slug, k.Name, k.Prefix)
			}
		}
		token, hash := domain.NewToken()
		k := store.SCIMKey{
			TeamID: team.ID, ID: domain.NewID(), Name: name, Prefix: token[:len(domain.TokenPrefix)+6], Hash: hash,
			CreatedBy: a.String(), Created: s.env.Now(), ExpiresAt: expiresAt,
			Privileged: domain.SuperAdminIn(a, team.ID),
		}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		out = NewKey{Key: k, Token: token}
		if err := s.env.Audit(ctx, tx, team.ID, a, "scim_key.create", "scim_key", k.ID, map[string]any{"name": name, "prefix": k.Prefix, "privileged": k.Privileged}); err != nil {
			return err
		}
		return s.env.Emit(ctx, tx, team, a, domain.EventKeyCreated, ViewOfKey(k, s.env.Now())) // never the token
	})
	return out, err
}

// RevokeKey revokes a key at once.
func (s *Service) RevokeKey(ctx context.Context, teamSlug, keyID string, a domain.Actor) error {
	return s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, CanonicalSlug(teamSlug))
		if err != nil {
			return domain.TeamError(err, teamSlug)
		}
		now := s.env.Now()
		if err := tx.RevokeKey(ctx, team.ID, keyID, now); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return domain.NotFound("team %s has no key %q", teamSlug, keyID)
			}
			return err
		}
		if err := s.env.Audit(ctx, tx, team.ID, a, "scim_key.revoke", "scim_key", keyID, nil); err != nil {
			return err
		}
		keys, err := tx.ListKeys(ctx, team.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.ID == keyID {
				return s.env.Emit(ctx, tx, team, a, domain.EventKeyRevoked, ViewOfKey(k, now))
			}
		}
		return nil
	})
}

// ListKeys lists a team's keys.
func (s *Service) ListKeys(ctx context.Context, teamSlug string) ([]store.SCIMKey, error) {
	team, err := s.st.TeamBySlug(ctx, CanonicalSlug(teamSlug))
	if err != nil {
		return nil, domain.TeamError(err, teamSlug)
	}
	return s.st.ListKeys(ctx, team.ID)
}

// KeyView is a SCIM key as the admin API and the CLI (`roster scim-key …
// --json`) show it. The secret appears only in the answer that makes the
// key (Token); the hash never. Fields are in name order, as the JSON is.
type KeyView struct {
	CreatedAt  string  `json:"created_at"`
	CreatedBy  string  `json:"created_by"`
	ExpiresAt  *string `json:"expires_at"`
	ID         string  `json:"id"`
	LastUsedAt *string `json:"last_used_at"`
	LastUsedIP string  `json:"last_used_ip"`
	Name       string  `json:"name"`
	// OldKeyStopsAt and Replaces: a rotation's answer only.
	OldKeyStopsAt string `json:"old_key_stops_at,omitempty"`
	Prefix        string `json:"prefix"`
	// Privileged: made by a Super Admin (or the CLI), so it may change who
	// is a Super Admin (docs/permissions.md).
	Privileged bool    `json:"privileged"`
	Replaces   string  `json:"replaces,omitempty"`
	RevokedAt  *string `json:"revoked_at"`
	Status     string  `json:"status"`
	// Team: the CLI's answers name the team they were asked about.
	Team  string `json:"team,omitempty"`
	Token string `json:"token,omitempty"`
}

// ViewTime is how views write a time: RFC 3339, UTC, to the second.
func ViewTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func viewTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ViewTime(*t)
	return &s
}

// ViewOfKey is k as of now (its status depends on the time).
func ViewOfKey(k store.SCIMKey, now time.Time) KeyView {
	return KeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Status: domain.KeyStatus(k, now), CreatedBy: k.CreatedBy,
		CreatedAt: ViewTime(k.Created), ExpiresAt: viewTimePtr(k.ExpiresAt), RevokedAt: viewTimePtr(k.RevokedAt),
		LastUsedAt: viewTimePtr(k.LastUsedAt), LastUsedIP: k.LastUsedIP, Privileged: k.Privileged}
}

// ViewOfNewKey is a key just made, with its secret: the only time it is shown.
func ViewOfNewKey(nk NewKey, now time.Time) KeyView {
	v := ViewOfKey(nk.Key, now)
	v.Token = nk.Token
	return v
}

// MaxKeyGrace bounds a rotation's grace period: long enough for any
// IdP change window, short enough that a leaked old key dies.
const MaxKeyGrace = 30 * 24 * time.Hour

func graceError(given string) error {
	return domain.BadRequest("grace", "grace must be a duration from 0s to 720h (30 days), such as 24h, not %q", given)
}

// ParseGrace reads a rotation's grace period as people write it ("24h",
// "2d"; "" is 0), within 0 and MaxKeyGrace.
func ParseGrace(text string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	grace, err := ParseDuration(text)
	if err != nil || grace < 0 || grace > MaxKeyGrace {
		return 0, graceError(text)
	}
	return grace, nil
}

// RotateKey replaces a key: a new key is created with the same name, and
// the old one keeps working for the grace period, then stops (Postman's
// "keep the previous key active while you switch").
func (s *Service) RotateKey(ctx context.Context, slug, keyID string, grace time.Duration, a domain.Actor) (NewKey, error) {
	if grace < 0 {
		return NewKey{}, domain.BadRequest("grace", "the grace period can't be negative")
	}
	if grace > MaxKeyGrace {
		return NewKey{}, graceError(grace.String())
	}
	var out NewKey
	err := s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, CanonicalSlug(slug))
		if err != nil {
			return domain.TeamError(err, slug)
		}
		// Two rotations of one key at once must not both see it active
		// and make two successors: they take turns on the team's row.
		if err := tx.LockTeam(ctx, team.ID); err != nil {
			return err
		}
		keys, err := tx.ListKeys(ctx, team.ID)
		if err != nil {
			return err
		}
		var old *store.SCIMKey
		for i := range keys {
			if keys[i].ID == keyID {
				old = &keys[i]
			}
		}
		if old == nil {
			return domain.NotFound("team %s has no key %q", slug, keyID)
		}
		now := s.env.Now()
		if st := domain.KeyStatus(*old, now); st != store.KeyActive {
			return domain.Conflict("id", "key %q is %s; only an active key can be rotated (create a new one instead)", keyID, st)
		}
		if old.RevokedAt != nil {
			// Already rotated, working out its grace period: a second
			// rotation would leave two successors of one name.
			return domain.Conflict("id", "key %q was already rotated and stops working at %s; rotate the key that replaced it instead",
				keyID, old.RevokedAt.UTC().Format(time.RFC3339))
		}
		token, hash := domain.NewToken()
		// The new key may change Super Admins only if the old one could
		// and whoever rotates is a Super Admin: rotation must not let a
		// plain Admin see the secret of a privileged key.
		k := store.SCIMKey{TeamID: team.ID, ID: domain.NewID(), Name: old.Name, Prefix: token[:len(domain.TokenPrefix)+6], Hash: hash,
			CreatedBy: a.String(), Created: now, ExpiresAt: old.ExpiresAt, Privileged: old.Privileged && domain.SuperAdminIn(a, team.ID)}
		if old.ExpiresAt != nil {
			// Keep the old key's lifetime policy: the new key lives as long.
			exp := now.Add(old.ExpiresAt.Sub(old.Created))
			k.ExpiresAt = &exp
		}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		if err := tx.RevokeKey(ctx, team.ID, old.ID, now.Add(grace)); err != nil {
			return err
		}
		out = NewKey{Key: k, Token: token}
		if err := s.env.Audit(ctx, tx, team.ID, a, "scim_key.rotate", "scim_key", old.ID, map[string]any{
			"name": old.Name, "newKey": k.ID, "oldKeyStopsAt": now.Add(grace).UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		// The new key, as the rotation answers it (never its token).
		v := ViewOfKey(k, now)
		v.Replaces, v.OldKeyStopsAt = old.ID, ViewTime(now.Add(grace))
		return s.env.Emit(ctx, tx, team, a, domain.EventKeyRotated, v)
	})
	return out, err
}

// Day is the unit ParseDuration adds to Go's: 24 hours.
const Day = 24 * time.Hour

// ParseDuration reads a duration as people write it: Go's units
// (time.ParseDuration: 36h, 90m, 1h30m, 1.5h) and days, for what people
// think of in days: 90d, 1d12h, 1.5d. Days, when given, come first; a
// day is 24 hours. Where it goes wrong, the error says what is expected.
func ParseDuration(text string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("%q is not a duration: expected a number and a unit (d, h, m or s), such as 90d, 36h, 1d12h or 30m", text)
	}
	days, rest, ok := strings.Cut(text, "d")
	if !ok {
		d, err := time.ParseDuration(text)
		if err != nil {
			return bad()
		}
		return d, nil
	}
	n, ok := decimalDays(days)
	if !ok {
		return bad()
	}
	if rest == "" {
		return n, nil
	}
	if rest[0] < '0' || rest[0] > '9' {
		return bad() // no sign after the days, nor a second "d"
	}
	d, err := time.ParseDuration(rest)
	if err != nil || n+d < n {
		return bad()
	}
	return n + d, nil
}

// decimalDays reads "90" or "1.5" (digits, at most one point) as days.
func decimalDays(s string) (time.Duration, bool) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" && frac == "" || strings.ContainsFunc(whole+frac, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	if hasPoint && frac == "" {
		return 0, false
	}
	const maxDays = math.MaxInt64 / int64(Day)
	w := int64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > maxDays {
			return 0, false
		}
	}
	d := time.Duration(w) * Day
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, false
		}
		part := time.Duration(f * float64(Day))
		if d+part < d {
			return 0, false
		}
		d += part
	}
	return d, true
}
