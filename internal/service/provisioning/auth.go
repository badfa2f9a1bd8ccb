package provisioning

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Authenticate checks a bearer token. A missing, unknown, revoked or
// expired key is a 401 whose detail says which, and reveals nothing about
// any team; a key whose team has SCIM switched off is a 403 that says so,
// which is what an admin sees behind a failed "Test API Credentials".
// With a refusal of a known key the Principal still names the key and its
// team, for the provisioning log only; it grants nothing.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (domain.Principal, error) {
	unauthorized := func(detail string) error {
		return &domain.Error{Kind: domain.KindUnauthenticated, Message: detail}
	}
	if token == "" {
		return domain.Principal{}, unauthorized("missing credentials: send the team's SCIM API key as \"Authorization: Bearer <key>\"")
	}
	if err := domain.BearerMistake(token); err != nil {
		// The key inside may be a team's: then that team's provisioning
		// log shows the refusal (and what to fix in the IdP); otherwise
		// only the server log can.
		_, inner, _ := strings.Cut(strings.TrimSpace(token), " ")
		if k, team, kerr := s.st.KeyWithTeam(ctx, domain.HashToken(strings.TrimSpace(inner))); kerr == nil {
			return domain.Principal{Team: team, Key: k}, err
		}
		s.env.AuthFailures.Note(ctx, s.env.Log(), "SCIM API key", ip, "\"Bearer\" twice in the Authorization header", s.env.Now())
		return domain.Principal{}, err
	}
	hash := domain.HashToken(token)
	// The key and its team in one query: this runs on every SCIM request.
	// Nothing is cached, so a revocation or a SCIM switch-off made by any
	// process (the CLI included) applies to the very next request.
	k, team, err := s.st.KeyWithTeam(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		// No team's log can show it: the server log does, by address.
		s.env.AuthFailures.Note(ctx, s.env.Log(), "SCIM API key", ip, "no key matches the bearer token", s.env.Now())
		return domain.Principal{}, unauthorized("invalid SCIM API key: no active key matches the bearer token")
	}
	if err != nil {
		return domain.Principal{}, domain.ErrorFor(err, "key", "")
	}
	// The lookup already matched on the hash; comparing again in constant
	// time keeps the check itself free of timing signal.
	if subtle.ConstantTimeCompare(hash, k.Hash) != 1 {
		return domain.Principal{}, unauthorized("invalid SCIM API key: no active key matches the bearer token")
	}
	// A key that is known but refused (revoked, expired, SCIM off) still
	// names its team: the caller may record the refusal in that team's
	// provisioning log, so its admin sees why the IdP is turned away.
	refused := domain.Principal{Team: team, Key: k}
	now := s.env.Now()
	switch domain.KeyStatus(k, now) {
	case store.KeyRevoked:
		return refused, unauthorized(fmt.Sprintf("SCIM API key %q (%s…) was revoked; create a new key in Roster and paste it into the IdP", k.Name, k.Prefix))
	case store.KeyExpired:
		return refused, unauthorized(fmt.Sprintf("SCIM API key %q (%s…) expired; create a new key in Roster and paste it into the IdP", k.Name, k.Prefix))
	}
	if !team.SCIMEnabled {
		return refused, &domain.Error{Kind: domain.KindForbidden,
			Message: fmt.Sprintf("SCIM provisioning is disabled for team %q; a team admin can enable it (roster scim enable --team %s)", team.Name, team.Slug)}
	}
	s.touchKey(ctx, k, now, ip)
	return domain.Principal{Team: team, Key: k}, nil
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
	err := s.st.Tx(ctx, func(tx Tx) error { return tx.TouchKey(ctx, k.TeamID, k.ID, now, ip) })
	if err != nil {
		s.env.Log().WarnContext(ctx, "record key use", "key_id", k.ID, "err", err)
	}
}

// KeyTeamID names the team of a SCIM key token, whatever its state, for
// the console's "Test connection" to say that a pasted key is another
// team's; ok is false for a token that is no key.
func (s *Service) KeyTeamID(ctx context.Context, token string) (teamID string, ok bool) {
	k, err := s.st.KeyByHash(ctx, domain.HashToken(token))
	return k.TeamID, err == nil
}
