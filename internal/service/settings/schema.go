package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service/domain"
)

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
func (s *Service) AddCustomAttribute(ctx context.Context, slug string, c scim.CustomAttribute, a domain.Actor) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.changeCustom(ctx, slug, a, "schema.attribute.add", attrDetail(c.Name), func(list []scim.CustomAttribute) ([]scim.CustomAttribute, error) {
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
func (s *Service) RemoveCustomAttribute(ctx context.Context, slug, name string, a domain.Actor) error {
	return s.changeCustom(ctx, slug, a, "schema.attribute.remove", attrDetail(name), func(list []scim.CustomAttribute) ([]scim.CustomAttribute, error) {
		for i, e := range list {
			if strings.EqualFold(e.Name, name) {
				return append(list[:i:i], list[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("team %s has no custom attribute %q", slug, name)
	})
}

func attrDetail(name string) func() map[string]any {
	return func() map[string]any { return map[string]any{"attribute": name} }
}

// changeCustom rewrites a team's declarations in one transaction with one
// audit event, whose detail is read after change ran.
func (s *Service) changeCustom(ctx context.Context, slug string, a domain.Actor, action string, detail func() map[string]any, change func([]scim.CustomAttribute) ([]scim.CustomAttribute, error)) error {
	return s.st.Tx(ctx, func(tx Tx) error {
		team, err := tx.TeamBySlug(ctx, slug)
		if err != nil {
			return domain.TeamError(err, slug)
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
		return s.env.Audit(ctx, tx, team.ID, a, action, "team", team.ID, detail())
	})
}

// SchemaPlan is what ApplyCustomAttributes changed (or, on error, would
// have): attribute names added, updated (description only), removed.
type SchemaPlan struct {
	Added, Updated, Removed, Unchanged []string
}

// Fields is the plan as JSON fields (lists never null), as the CLI and
// the admin API print it.
func (p SchemaPlan) Fields() map[string]any {
	list := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	return map[string]any{"added": list(p.Added), "updated": list(p.Updated), "removed": list(p.Removed), "unchanged": list(p.Unchanged)}
}

// ApplyCustomAttributes makes a team's declared User attributes those of
// want, a declarative list (the `roster schema list --json` format), in
// one transaction. Attributes missing from want are kept unless prune.
// A declaration can't change an existing attribute's type, multiValued or
// caseExact: values already stored were written under the old one, so
// that is refused (remove the attribute and add it anew, knowingly).
func (s *Service) ApplyCustomAttributes(ctx context.Context, slug string, want []scim.CustomAttribute, prune bool, a domain.Actor) (SchemaPlan, error) {
	seen := map[string]bool{}
	for i := range want {
		if want[i].Type == "" {
			want[i].Type = "string" // as `schema add-attribute` defaults
		}
		c := want[i]
		if err := c.Validate(); err != nil {
			return SchemaPlan{}, domain.BadRequest("attributes", "%v", err)
		}
		k := strings.ToLower(c.Name)
		if seen[k] {
			return SchemaPlan{}, domain.BadRequest("attributes", "attribute %q is declared twice", c.Name)
		}
		seen[k] = true
	}
	var plan SchemaPlan
	detail := func() map[string]any {
		return map[string]any{"added": plan.Added, "updated": plan.Updated, "removed": plan.Removed}
	}
	err := s.changeCustom(ctx, slug, a, "schema.apply", detail, func(list []scim.CustomAttribute) ([]scim.CustomAttribute, error) {
		plan = SchemaPlan{}
		have := map[string]scim.CustomAttribute{}
		for _, e := range list {
			have[strings.ToLower(e.Name)] = e
		}
		var out []scim.CustomAttribute
		for _, e := range list {
			k := strings.ToLower(e.Name)
			if !seen[k] {
				if prune {
					plan.Removed = append(plan.Removed, e.Name)
				} else {
					out = append(out, e)
					plan.Unchanged = append(plan.Unchanged, e.Name)
				}
			}
		}
		for _, c := range want {
			old, ok := have[strings.ToLower(c.Name)]
			switch {
			case !ok:
				plan.Added = append(plan.Added, c.Name)
			case old.Type != c.Type || old.MultiValued != c.MultiValued || old.CaseExact != c.CaseExact || old.Name != c.Name:
				return nil, domain.Conflict("attributes", "attribute %q is declared as %s; the file says %s: changing a declared attribute is refused because stored values were written under it (remove it, then add it again)",
					old.Name, describeAttr(old), describeAttr(c))
			case old.Description != c.Description:
				plan.Updated = append(plan.Updated, c.Name)
			default:
				plan.Unchanged = append(plan.Unchanged, c.Name)
			}
			out = append(out, c)
		}
		return out, nil
	})
	return plan, err
}

func describeAttr(c scim.CustomAttribute) string {
	d := fmt.Sprintf("%q %s", c.Name, c.Type)
	if c.MultiValued {
		d += ", multi-valued"
	}
	if c.CaseExact {
		d += ", case-exact"
	}
	return d
}
