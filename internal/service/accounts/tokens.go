package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// AuthenticateAPIToken finds the account of a personal API token and
// records its use (at most once a minute per token, off the error path).
func (s *Service) AuthenticateAPIToken(ctx context.Context, token, ip string) (store.Account, store.APIToken, error) {
	if err := domain.BearerMistake(token); err != nil {
		s.env.AuthFailures.Note(ctx, s.env.Log(), "personal API token", ip, "\"Bearer\" twice in the Authorization header", s.env.Now())
		return store.Account{}, store.APIToken{}, err
	}
	t, err := s.st.APITokenByHash(ctx, domain.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		s.env.AuthFailures.Note(ctx, s.env.Log(), "personal API token", ip, "no token matches", s.env.Now())
		return store.Account{}, t, domain.Unauthorized("unknown API token")
	}
	if err != nil {
		return store.Account{}, t, err
	}
	if t.RevokedAt != nil {
		return store.Account{}, t, domain.Unauthorized("this API token was revoked")
	}
	acc, err := s.st.Account(ctx, t.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return acc, t, domain.Unauthorized("the token's account no longer exists")
	}
	if err != nil {
		return acc, t, err
	}
	now := s.env.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute || t.LastUsedIP != ip {
		if err := s.st.Tx(ctx, func(tx Tx) error { return tx.TouchAPIToken(ctx, t.ID, now, ip) }); err != nil {
			s.env.Log().WarnContext(ctx, "record API token use", "err", err)
		}
	}
	return acc, t, nil
}

// NewAPIToken is a freshly created personal API token; Token is shown once.
type NewAPIToken struct {
	Token  store.APIToken
	Secret string
}

// CreateAPIToken gives the caller's account a personal API token.
func (s *Service) CreateAPIToken(ctx context.Context, c domain.Caller, name string) (NewAPIToken, error) {
	if err := domain.RequireOwnPassword(c); err != nil {
		return NewAPIToken{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return NewAPIToken{}, domain.BadRequest("name", "a token needs a name of 1 to 100 characters")
	}
	secret := domain.RandomSecret(APITokenPrefix)
	t := store.APIToken{ID: domain.NewID(), AccountID: c.Account.ID, Name: name, Prefix: secret[:len(APITokenPrefix)+6],
		Hash: domain.HashToken(secret), Created: s.env.Now()}
	err := s.st.Tx(ctx, func(tx Tx) error {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		return s.env.Audit(ctx, tx, "", c.Actor, "api_token.create", "api_token", t.ID, map[string]any{"name": name, "prefix": t.Prefix})
	})
	return NewAPIToken{Token: t, Secret: secret}, err
}

// APITokens lists the caller's tokens, revoked ones included.
func (s *Service) APITokens(ctx context.Context, c domain.Caller) ([]store.APIToken, error) {
	if err := domain.RequireOwnPassword(c); err != nil {
		return nil, err
	}
	return s.st.ListAPITokens(ctx, c.Account.ID)
}

// RevokeAPIToken revokes one of the caller's tokens at once.
func (s *Service) RevokeAPIToken(ctx context.Context, c domain.Caller, id string) error {
	if err := domain.RequireOwnPassword(c); err != nil {
		return err
	}
	return s.st.Tx(ctx, func(tx Tx) error {
		if err := tx.RevokeAPIToken(ctx, c.Account.ID, id, s.env.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return domain.NotFound("you have no active API token %q", id)
			}
			return err
		}
		return s.env.Audit(ctx, tx, "", c.Actor, "api_token.revoke", "api_token", id, nil)
	})
}
