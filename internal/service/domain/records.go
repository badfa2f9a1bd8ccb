package domain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// UserView is a user as SCIM shows it: the stored record, its attributes
// and, when asked for, the groups it belongs to.
type UserView struct {
	User   store.User
	Attrs  scim.Resource
	Groups []store.GroupRef
}

// NewUser builds a store record from canonical attributes. The password is
// dropped here: Roster accepts it (Okta sends one) and never keeps it.
func NewUser(team store.Team, res scim.Resource, source, role string, now time.Time) (store.User, error) {
	u := store.User{TeamID: team.ID, ID: NewID(), Source: source, Role: role, Created: now, Modified: now, Version: 1}
	if err := FillUser(&u, res); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// FillUser copies the indexed columns out of the attributes.
func FillUser(u *store.User, res scim.Resource) error {
	delete(res, "password")
	u.UserName = res.String("userName")
	if u.UserName == "" {
		return SCIMError(KindInvalid, scim.InvalidValue, "userName is required")
	}
	u.ExternalID = res.String("externalId")
	u.DisplayName = res.String("displayName")
	active, ok := res.Bool("active")
	if !ok {
		active = true // a user the IdP creates without saying otherwise is active
		res["active"] = true
	}
	u.Active = active
	u.Emails = emailsOf(res)
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	u.Attrs = b
	return nil
}

func emailsOf(res scim.Resource) []store.Email {
	list, _ := res["emails"].([]any)
	var out []store.Email
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if v == "" {
			continue
		}
		typ, _ := m["type"].(string)
		primary, _ := m["primary"].(bool)
		out = append(out, store.Email{Value: v, Type: typ, Primary: primary})
	}
	return out
}

// ViewOfUser reads a stored user's attributes back.
func ViewOfUser(u store.User) (UserView, error) {
	var attrs scim.Resource
	if err := DecodeAttrs(u.Attrs, &attrs); err != nil {
		return UserView{}, err
	}
	attrs["active"] = u.Active
	return UserView{User: u, Attrs: attrs}, nil
}

// DecodeAttrs reads stored attributes (of a user or a group).
func DecodeAttrs(b []byte, v *scim.Resource) error {
	m, err := scim.DecodeObject(b)
	if err != nil {
		return fmt.Errorf("stored attributes are corrupt: %w", err)
	}
	*v = m
	return nil
}

// AccountCreator is what EnsureAccount needs of the store.
type AccountCreator interface {
	AccountByEmail(ctx context.Context, email string) (store.Account, error)
	CreateAccount(ctx context.Context, a store.Account) error
}

// EnsureAccount returns the account of email, creating it with the
// password hash (possibly "") if there is none; created says which.
func EnsureAccount(ctx context.Context, tx AccountCreator, email, hash string, now time.Time) (acc store.Account, created bool, err error) {
	acc, err = tx.AccountByEmail(ctx, email)
	if err == nil {
		return acc, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return acc, false, err
	}
	acc = store.Account{ID: NewID(), Email: email, PasswordHash: hash, Created: now, Updated: now}
	return acc, true, tx.CreateAccount(ctx, acc)
}
