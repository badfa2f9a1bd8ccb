package provisioning

import (
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
		s.env.Log().Error("team custom attributes unreadable; serving the standard schema", "team_id", team.ID, "err", err)
		return scim.UserType
	}
	rt := scim.UserTypeWith(custom)
	userTypes.Store(team.UserExtension, rt)
	return rt
}
