package domain

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// The event stream (docs/events.md): every change to a team's members,
// groups, memberships, roles, keys and SSO connections is appended as an
// event inside the transaction that makes it, by the same use case that
// writes its audit event, so the change and its event commit together or
// not at all. The store numbers them per team in commit order.
//
// A feature emits with Env.Emit (one event) or Env.EmitMembership (a
// group's member changes, in bounded batches); data is the resource as
// the admin API renders it (MemberData, GroupData, or the feature's own
// view, such as a key's), with the extra keys docs/events.md lists.

// EventWriter is the one store method the event stream needs.
type EventWriter interface {
	AppendEvents(ctx context.Context, evs ...store.Event) error
}

// Event types.
const (
	EventMemberCreated       = "member.created"
	EventMemberUpdated       = "member.updated"
	EventMemberDeactivated   = "member.deactivated"
	EventMemberReactivated   = "member.reactivated"
	EventMemberDeleted       = "member.deleted"
	EventMemberRolesChanged  = "member.roles_changed"
	EventGroupCreated        = "group.created"
	EventGroupUpdated        = "group.updated"
	EventGroupDeleted        = "group.deleted"
	EventGroupMemberAdded    = "group.member_added"
	EventGroupMemberRemoved  = "group.member_removed"
	EventKeyCreated          = "scim_key.created"
	EventKeyRevoked          = "scim_key.revoked"
	EventKeyRotated          = "scim_key.rotated"
	EventSSOConnectionCreate = "sso_connection.created"
	EventSSOConnectionUpdate = "sso_connection.updated"
	EventSSOConnectionDelete = "sso_connection.deleted"
	EventSSOPolicyUpdated    = "sso_policy.updated"
	EventDeprovisionPaused   = "team.deprovisioning_paused"
	EventDeprovisionResumed  = "team.deprovisioning_resumed"
)

// EventTypes lists every type the stream carries, for subscriptions.
var EventTypes = []string{
	EventMemberCreated, EventMemberUpdated, EventMemberDeactivated, EventMemberReactivated, EventMemberDeleted, EventMemberRolesChanged,
	EventGroupCreated, EventGroupUpdated, EventGroupDeleted, EventGroupMemberAdded, EventGroupMemberRemoved,
	EventKeyCreated, EventKeyRevoked, EventKeyRotated,
	EventSSOConnectionCreate, EventSSOConnectionUpdate, EventSSOConnectionDelete, EventSSOPolicyUpdated,
	EventDeprovisionPaused, EventDeprovisionResumed,
}

// MembershipBatch is the most members one group.member_added or
// group.member_removed event names: a PATCH adding 10,000 members emits
// 100 events of 100, never one giant row.
const MembershipBatch = 100

// ActorData is an actor as events show it.
func ActorData(a Actor) map[string]any {
	out := map[string]any{"type": a.Kind}
	if a.ID != "" {
		out["id"] = a.ID
	}
	if a.Name != "" {
		out["name"] = a.Name
	}
	if a.RequestID != "" {
		out["request_id"] = a.RequestID
	}
	return out
}

// Emit appends one event of team inside the caller's transaction.
func (e Env) Emit(ctx context.Context, tx EventWriter, team store.Team, a Actor, typ string, data any) error {
	ev, err := e.event(team, a, typ, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

func (e Env) event(team store.Team, a Actor, typ string, data any) (store.Event, error) {
	actor, err := json.Marshal(ActorData(a))
	if err != nil {
		return store.Event{}, err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{TeamID: team.ID, TeamSlug: team.Slug, ID: NewID(), Type: typ, OccurredAt: e.Now(), Actor: actor, Data: b}, nil
}

// EmitMembership appends the events of members added to (typ
// EventGroupMemberAdded) or removed from (EventGroupMemberRemoved) a
// group: one per MembershipBatch members, each naming the group.
func (e Env) EmitMembership(ctx context.Context, tx EventWriter, team store.Team, a Actor, typ string, g store.Group, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	var evs []store.Event
	for start := 0; start < len(userIDs); start += MembershipBatch {
		part := userIDs[start:min(start+MembershipBatch, len(userIDs))]
		ev, err := e.event(team, a, typ, map[string]any{"group": GroupRef(g), "member_ids": part})
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	return tx.AppendEvents(ctx, evs...)
}

func eventTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// MemberData is a member as the admin API renders it (GET
// /teams/{slug}/members/{id}, without its groups and group-granted
// roles, which change by events of their own), plus whether an account
// is linked to it; attributes are its SCIM attributes as stored.
func MemberData(u store.User) map[string]any {
	emails := make([]string, 0, len(u.Emails))
	for _, e := range u.Emails {
		emails = append(emails, e.Value)
	}
	status := "deactivated"
	if u.Active {
		status = "active"
	}
	var attrs any = map[string]any{}
	if len(u.Attrs) > 0 && json.Valid(u.Attrs) {
		attrs = json.RawMessage(u.Attrs)
	}
	return map[string]any{
		"id": u.ID, "userName": u.UserName, "displayName": u.DisplayName, "emails": emails,
		"active": u.Active, "status": status, "source": u.Source, "roles": SplitRoles(u.Role),
		"account_linked": u.AccountID != "",
		"created_at":     eventTime(u.Created), "updated_at": eventTime(u.Modified),
		"attributes": attrs,
	}
}

// MemberChange is MemberData with the names of the fields that changed.
func MemberChange(u store.User, changed []string) map[string]any {
	d := MemberData(u)
	if changed == nil {
		changed = []string{}
	}
	d["changed_fields"] = changed
	return d
}

// GroupRef names a group in a membership event.
func GroupRef(g store.Group) map[string]any {
	return map[string]any{"id": g.ID, "displayName": g.DisplayName}
}

// GroupData is a group as the admin API renders it (GET
// /teams/{slug}/groups/{id}, without member_count: a group's members
// arrive as group.member_added and group.member_removed events), with its
// role bindings when roles is not nil.
func GroupData(g store.Group, roles []string) map[string]any {
	out := map[string]any{"id": g.ID, "displayName": g.DisplayName, "externalId": g.ExternalID,
		"created_at": eventTime(g.Created), "updated_at": eventTime(g.Modified)}
	if roles != nil {
		out["roles"] = roles
	}
	return out
}
