package domain

import (
	"slices"

	"github.com/rosterhq/roster/internal/store"
)

// Actor says who makes a change, for the audit trail.
type Actor struct {
	Kind      string // "scim-key", "cli" or "system"
	ID        string
	Name      string
	RequestID string
	IP        string

	// superAdminOf is the team in which this actor holds Super Admin, set
	// only by CallerInTeam: it decides whether a SCIM key the actor makes
	// may change who is a Super Admin.
	superAdminOf string
}

// SuperAdminIn reports whether the actor may grant, take or remove Super
// Admin in a team: the operator's CLI always, a person only as a Super
// Admin of that team (as CallerInTeam found them).
func SuperAdminIn(a Actor, teamID string) bool {
	return a.Kind == "cli" || (teamID != "" && a.superAdminOf == teamID)
}

func (a Actor) String() string {
	if a.Name == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.Name
}

// AccountActor is the audit actor of a signed-in person: "account:<email>".
func AccountActor(acc store.Account, requestID, ip string) Actor {
	return Actor{Kind: "account", ID: acc.ID, Name: acc.Email, RequestID: requestID, IP: ip}
}

// TokenActor is the audit actor of a personal API token: "token:<name>".
func TokenActor(t store.APIToken, requestID, ip string) Actor {
	return Actor{Kind: "token", ID: t.ID, Name: t.Name, RequestID: requestID, IP: ip}
}

// Caller is who calls the admin API: an account, and on team routes its
// membership of that team with its effective roles.
type Caller struct {
	Account store.Account
	Actor   Actor
	// SessionHash is the session the call came with (nil for tokens).
	SessionHash []byte

	Team   store.Team
	Member store.User
	Roles  []string
}

// Can reports whether the caller's roles allow act in the caller's team.
func (c Caller) Can(act Action) bool { return Allowed(c.Roles, act) }

// HasRole reports whether the caller holds role in the team.
func (c Caller) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// CallerInTeam completes c with its membership of team: the member linked
// to its account and that member's effective roles. The actor's Super
// Admin mark (SuperAdminIn) is set from those roles, and only here.
func CallerInTeam(c Caller, team store.Team, member store.User, roles []string) Caller {
	c.Team, c.Member, c.Roles = team, member, roles
	c.Actor.superAdminOf = ""
	if slices.Contains(roles, RoleSuperAdmin) {
		c.Actor.superAdminOf = team.ID
	}
	return c
}

// Principal is an authenticated SCIM caller.
type Principal struct {
	Team store.Team
	Key  store.SCIMKey
}
