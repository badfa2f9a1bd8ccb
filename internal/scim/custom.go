package scim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// CustomUserURN is the schema of a team's own User attributes. Each team
// declares its attribute list; the URN is the same for every team, and
// /Schemas shows each team its own list.
const CustomUserURN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"

// CustomAttribute is what a team declares for one extra User attribute.
type CustomAttribute struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	MultiValued bool   `json:"multiValued"`
	CaseExact   bool   `json:"caseExact"`
	Description string `json:"description,omitempty"`
}

var customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// Validate checks a declaration, naming the problem.
func (c CustomAttribute) Validate() error {
	if !customName.MatchString(c.Name) {
		return fmt.Errorf("attribute name %q must start with a letter and hold only letters, digits, - and _ (at most 64)", c.Name)
	}
	switch c.Type {
	case TypeString, TypeBoolean, TypeInteger, TypeDecimal, TypeDateTime, TypeReference:
	default:
		return fmt.Errorf("attribute type %q is not one of string, boolean, integer, decimal, dateTime, reference", c.Type)
	}
	return nil
}

// ParseCustomAttributes reads a team's stored declarations ("" is none).
func ParseCustomAttributes(s string) ([]CustomAttribute, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []CustomAttribute
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("custom attributes are corrupt: %w", err)
	}
	return out, nil
}

// UserTypeWith returns the User resource type extended with a team's
// custom attributes, or UserType itself when there are none.
func UserTypeWith(custom []CustomAttribute) *ResourceType {
	if len(custom) == 0 {
		return UserType
	}
	s := &Schema{ID: CustomUserURN, Name: "RosterUser", Description: "Attributes this team added to its Users"}
	for _, c := range custom {
		a := str(c.Name, c.Description, typed(c.Type))
		a.MultiValued, a.CaseExact = c.MultiValued, c.CaseExact
		if c.Type == TypeReference {
			// Any URI: the team knows what it points at (RFC 7643 §7
			// wants a reference to say, and strict clients read it).
			a.ReferenceTypes = []string{"external", "uri"}
		}
		s.Attributes = append(s.Attributes, a)
	}
	rt := *UserType
	rt.Extensions = append(append([]*Schema(nil), UserType.Extensions...), s)
	return &rt
}

// DropUndeclared removes from r the custom attributes rt doesn't declare
// (any more): a team that withdraws an attribute stops serving it, though
// the stored values stay until the resource is next written.
func DropUndeclared(rt *ResourceType, r Resource) Resource {
	m, ok := r[CustomUserURN].(map[string]any)
	if !ok {
		return r
	}
	ext := rt.Extension(CustomUserURN)
	out := make(Resource, len(r))
	for k, v := range r {
		out[k] = v
	}
	if ext == nil {
		delete(out, CustomUserURN)
		return out
	}
	kept := map[string]any{}
	for k, v := range m {
		if ext.Attr(k) != nil {
			kept[k] = v
		}
	}
	setOrDelete(out, CustomUserURN, emptyToNil(kept))
	return out
}
