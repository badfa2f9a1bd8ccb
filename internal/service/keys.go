package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// TokenPrefix marks Roster SCIM keys, so secret scanners and people can
// recognise one.
const TokenPrefix = "rsk_"

// NewToken makes a key: 256 random bits behind the prefix. Only its
// SHA-256 is stored; a slow KDF adds nothing for a secret this strong.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// KeyStatus derives a key's status at time now.
func KeyStatus(k store.SCIMKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil && !k.RevokedAt.After(now):
		return store.KeyRevoked
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return store.KeyExpired
	}
	return store.KeyActive
}

// NewKey is a freshly created key; Token is shown once and never stored.
type NewKey struct {
	Key   store.SCIMKey
	Token string
}

// CreateKey creates a SCIM key owned by the team (not by whoever made it).
func (s *Service) CreateKey(ctx context.Context, teamSlug, name string, expiresAt *time.Time, a Actor) (NewKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return NewKey{}, BadRequest("name", "a key needs a name, such as the IdP it is for (okta)")
	}
	var out NewKey
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, teamSlug)
		if err != nil {
			return teamError(err, teamSlug)
		}
		token, hash := NewToken()
		k := store.SCIMKey{
			TeamID: team.ID, ID: NewID(), Name: name, Prefix: token[:len(TokenPrefix)+6], Hash: hash,
			CreatedBy: a.String(), Created: s.Now(), ExpiresAt: expiresAt,
			Privileged: a.superAdminIn(team.ID),
		}
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		out = NewKey{Key: k, Token: token}
		return s.audit(ctx, tx, team.ID, a, "scim_key.create", "scim_key", k.ID, map[string]any{"name": name, "prefix": k.Prefix, "privileged": k.Privileged})
	})
	return out, err
}

// RevokeKey revokes a key at once.
func (s *Service) RevokeKey(ctx context.Context, teamSlug, keyID string, a Actor) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, teamSlug)
		if err != nil {
			return teamError(err, teamSlug)
		}
		if err := tx.RevokeKey(ctx, team.ID, keyID, s.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return NotFound("team %s has no key %q", teamSlug, keyID)
			}
			return err
		}
		return s.audit(ctx, tx, team.ID, a, "scim_key.revoke", "scim_key", keyID, nil)
	})
}

// ListKeys lists a team's keys.
func (s *Service) ListKeys(ctx context.Context, teamSlug string) ([]store.SCIMKey, error) {
	team, err := s.st.TeamBySlug(ctx, teamSlug)
	if err != nil {
		return nil, teamError(err, teamSlug)
	}
	return s.st.ListKeys(ctx, team.ID)
}

// Principal is an authenticated SCIM caller.
type Principal struct {
	Team store.Team
	Key  store.SCIMKey
}

// Authenticate checks a bearer token. A missing, unknown, revoked or
// expired key is a 401 whose detail says which, and reveals nothing about
// any team; a key whose team has SCIM switched off is a 403 that says so,
// which is what an admin sees behind a failed "Test API Credentials".
// With a refusal of a known key the Principal still names the key and its
// team, for the provisioning log only; it grants nothing.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (Principal, error) {
	unauthorized := func(detail string) error {
		return &Error{Kind: KindUnauthenticated, Message: detail}
	}
	if token == "" {
		return Principal{}, unauthorized("missing credentials: send the team's SCIM API key as \"Authorization: Bearer <key>\"")
	}
	hash := HashToken(token)
	// The key and its team in one query: this runs on every SCIM request.
	// Nothing is cached, so a revocation or a SCIM switch-off made by any
	// process (the CLI included) applies to the very next request.
	k, team, err := s.st.KeyWithTeam(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, unauthorized("invalid SCIM API key: no active key matches the bearer token")
	}
	if err != nil {
		return Principal{}, domainError(err, "key", "")
	}
	// The lookup already matched on the hash; comparing again in constant
	// time keeps the check itself free of timing signal.
	if subtle.ConstantTimeCompare(hash, k.Hash) != 1 {
		return Principal{}, unauthorized("invalid SCIM API key: no active key matches the bearer token")
	}
	// A key that is known but refused (revoked, expired, SCIM off) still
	// names its team: the caller may record the refusal in that team's
	// provisioning log, so its admin sees why the IdP is turned away.
	refused := Principal{Team: team, Key: k}
	now := s.Now()
	switch KeyStatus(k, now) {
	case store.KeyRevoked:
		return refused, unauthorized(fmt.Sprintf("SCIM API key %q (%s…) was revoked; create a new key in Roster and paste it into the IdP", k.Name, k.Prefix))
	case store.KeyExpired:
		return refused, unauthorized(fmt.Sprintf("SCIM API key %q (%s…) expired; create a new key in Roster and paste it into the IdP", k.Name, k.Prefix))
	}
	if !team.SCIMEnabled {
		return refused, &Error{Kind: KindForbidden,
			Message: fmt.Sprintf("SCIM provisioning is disabled for team %q; a team admin can enable it (roster scim enable --team %s)", team.Name, team.Slug)}
	}
	s.touchKey(ctx, k, now, ip)
	return Principal{Team: team, Key: k}, nil
}

// touchKey records a key's last use at most once a minute, so an import of
// a hundred thousand users doesn't turn every read into a write.
func (s *Service) touchKey(ctx context.Context, k store.SCIMKey, now time.Time, ip string) {
	s.touchMu.Lock()
	last, ok := s.touched[k.ID]
	if ok && now.Sub(last) < time.Minute && (k.LastUsedIP == ip) {
		s.touchMu.Unlock()
		return
	}
	s.touched[k.ID] = now
	s.touchMu.Unlock()
	err := s.st.Tx(ctx, func(tx store.Tx) error { return tx.TouchKey(ctx, k.TeamID, k.ID, now, ip) })
	if err != nil {
		s.Log.WarnContext(ctx, "record key use", "key_id", k.ID, "err", err)
	}
}

// KeyTeamID names the team of a SCIM key token, whatever its state, for
// the console's "Test connection" to say that a pasted key is another
// team's; ok is false for a token that is no key.
func (s *Service) KeyTeamID(ctx context.Context, token string) (teamID string, ok bool) {
	k, err := s.st.KeyByHash(ctx, HashToken(token))
	return k.TeamID, err == nil
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
	return KeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Status: KeyStatus(k, now), CreatedBy: k.CreatedBy,
		CreatedAt: ViewTime(k.Created), ExpiresAt: viewTimePtr(k.ExpiresAt), RevokedAt: viewTimePtr(k.RevokedAt),
		LastUsedAt: viewTimePtr(k.LastUsedAt), LastUsedIP: k.LastUsedIP, Privileged: k.Privileged}
}

// ViewOfNewKey is a key just made, with its secret: the only time it is shown.
func ViewOfNewKey(nk NewKey, now time.Time) KeyView {
	v := ViewOfKey(nk.Key, now)
	v.Token = nk.Token
	return v
}
