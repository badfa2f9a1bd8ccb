package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// userTypes caches each distinct custom-attribute declaration's resource
// type, so a request costs no parsing. Declarations are small and few.
var userTypes sync.Map // string → *scim.ResourceType

// UserType is the User resource type of a team: the standard schemas plus
// the team's own attributes, if it declared any.
func (s *Service) UserType(team store.Team) *scim.ResourceType {
	if team.UserExtension == "" {
		return scim.UserType
	}
	if rt, ok := userTypes.Load(team.UserExtension); ok {
		return rt.(*scim.ResourceType)
	}
	custom, err := scim.ParseCustomAttributes(team.UserExtension)
	if err != nil {
		s.Log.Error("team custom attributes unreadable; serving the standard schema", "team_id", team.ID, "err", err)
		return scim.UserType
	}
	rt := scim.UserTypeWith(custom)
	userTypes.Store(team.UserExtension, rt)
	return rt
}

// CustomAttributes lists a team's declared User attributes.
func (s *Service) CustomAttributes(ctx context.Context, slug string) ([]scim.CustomAttribute, error) {
	team, err := s.Team(ctx, slug)
	if err != nil {
		return nil, err
	}
	return scim.ParseCustomAttributes(team.UserExtension)
}

// AddCustomAttribute declares a new User attribute for a team. Existing
// users simply don't have it yet; IdPs can set, filter and patch it at once.
func (s *Service) AddCustomAttribute(ctx context.Context, slug string, c scim.CustomAttribute, a Actor) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.changeCustom(ctx, slug, a, "schema.attribute.add", c.Name, func(list []scim.CustomAttribute) ([]scim.CustomAttribute, error) {
		for _, e := range list {
			if strings.EqualFold(e.Name, c.Name) {
				return nil, fmt.Errorf("team %s already has a custom attribute %q", slug, e.Name)
			}
		}
		return append(list, c), nil
	})
}

// RemoveCustomAttribute withdraws a declaration. Stored values stay in the
// users' records but are no longer served, filtered or patched.
func (s *Service) RemoveCustomAttribute(ctx context.Context, slug, name string, a Actor) error {
	return s.changeCustom(ctx, slug, a, "schema.attribute.remove", name, func(list []scim.CustomAttribute) ([]scim.CustomAttribute, error) {
		for i, e := range list {
			if strings.EqualFold(e.Name, name) {
				return append(list[:i:i], list[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("team %s has no custom attribute %q", slug, name)
	})
}

func (s *Service) changeCustom(ctx context.Context, slug string, a Actor, action, name string, change func([]scim.CustomAttribute) ([]scim.CustomAttribute, error)) error {
	return s.Store.Tx(ctx, func(tx store.Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return teamError(err, slug)
		}
		list, err := scim.ParseCustomAttributes(team.UserExtension)
		if err != nil {
			return err
		}
		if list, err = change(list); err != nil {
			return err
		}
		ext := ""
		if len(list) > 0 {
			b, err := json.Marshal(list)
			if err != nil {
				return err
			}
			ext = string(b)
		}
		if err := tx.SetUserExtension(ctx, team.ID, ext); err != nil {
			return err
		}
		return s.audit(ctx, tx, team.ID, a, action, "team", team.ID, map[string]any{"attribute": name})
	})
}
