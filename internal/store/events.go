package store

import (
	"context"
	"time"
)

// Event is one change of a team, as the event stream carries it
// (docs/events.md). The store numbers a team's events: Seq is assigned
// when the transaction that appended the event commits, in commit order,
// with no gaps, so a reader that has seen Seq N has seen every event of
// the team up to N.
type Event struct {
	TeamID     string
	TeamSlug   string
	Seq        int64 // 0 until committed
	ID         string
	Type       string // e.g. "member.created"
	OccurredAt time.Time
	Actor      []byte // JSON object
	Data       []byte // JSON object
}

// EventPosition is where a team's stream stands: the last number handed
// out, and the last one pruned (events up to it are gone; 0: none).
type EventPosition struct {
	LastSeq       int64
	PrunedThrough int64
}

// WebhookEndpoint is a team's webhook, with its delivery state.
type WebhookEndpoint struct {
	TeamID      string
	ID          string
	URL         string
	Description string
	// Types are the event type patterns it receives ("member.*",
	// "group.deleted"); none: every type.
	Types []string
	// Secret signs deliveries; OldSecret (until OldSecretUntil) signs them
	// too, after a rotation, so the receiver can switch over.
	Secret         string
	OldSecret      string
	OldSecretUntil *time.Time
	Enabled        bool
	DisabledReason string
	DisabledAt     *time.Time
	Created        time.Time
	CreatedBy      string
	WebhookProgress
	LeaseOwner string
	LeaseUntil *time.Time
}

// WebhookProgress is an endpoint's place in its team's stream.
type WebhookProgress struct {
	// AckedSeq is the last event delivered (or given up on) in order.
	AckedSeq int64
	// Attempts made at the next item (a queued replay, or the event after
	// AckedSeq), and when the next one is due.
	Attempts    int
	NextAttempt time.Time
	// FailingSince is when the current run of failures began (nil: the
	// last attempt succeeded).
	FailingSince *time.Time
}

// Delivery outcomes.
const (
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"  // to be retried
	DeliveryGaveUp    = "gave_up" // the last attempt failed: the endpoint moves on
)

// WebhookDelivery is one attempt to deliver one event to one endpoint.
type WebhookDelivery struct {
	TeamID     string
	EndpointID string
	ID         string
	EventID    string
	Seq        int64
	Attempt    int
	At         time.Time
	Status     int // HTTP status; 0 when there was none (a network error)
	Latency    time.Duration
	Outcome    string
	Error      string
	Response   string // the start of the answer's body
	Replay     bool
}

// DeprovisionGuard is a team's guard against mass deprovisioning: more
// than Percent of the members, and at least MinCount of them, deactivated
// or deleted by the IdP within Window pauses further deprovisioning
// (PausedAt set) until an admin confirms or rejects the held changes.
type DeprovisionGuard struct {
	TeamID       string
	Enabled      bool
	Percent      int
	MinCount     int
	Window       time.Duration
	PausedAt     *time.Time
	PausedReason string
	Updated      time.Time
}

// DefaultDeprovisionGuard is the guard of a team that never set one.
func DefaultDeprovisionGuard(teamID string) DeprovisionGuard {
	return DeprovisionGuard{TeamID: teamID, Enabled: true, Percent: 20, MinCount: 10, Window: 10 * time.Minute}
}

// Held deprovisioning operations.
const (
	HoldDeactivate = "deactivate"
	HoldDelete     = "delete"
)

// DeprovisionHold is a deprovisioning the guard held back.
type DeprovisionHold struct {
	TeamID string
	UserID string
	Op     string // HoldDeactivate or HoldDelete
	At     time.Time
	Actor  string
	KeyID  string
}

// EventReader holds the reads of the event stream, the webhooks and the
// deprovisioning guard.
type EventReader interface {
	// ListEvents returns the team's committed events with Seq > after,
	// oldest first, at most limit.
	ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]Event, error)
	// EventPosition is where the team's stream stands (zero: no events).
	EventPosition(ctx context.Context, teamID string) (EventPosition, error)

	WebhookEndpoint(ctx context.Context, teamID, id string) (WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, teamID string) ([]WebhookEndpoint, error)
	// DueWebhookEndpoints lists, in any team, the enabled endpoints with
	// an item to deliver (a queued replay, or events after AckedSeq) whose
	// next attempt is due at now and whose lease is free or owner's,
	// soonest first, at most limit.
	DueWebhookEndpoints(ctx context.Context, owner string, now time.Time, limit int) ([]WebhookEndpoint, error)
	// NextWebhookReplay is the lowest seq queued for one more delivery to
	// the endpoint (ErrNotFound: none).
	NextWebhookReplay(ctx context.Context, endpointID string) (int64, error)
	// ListWebhookDeliveries returns an endpoint's latest attempts, newest
	// first, at most limit.
	ListWebhookDeliveries(ctx context.Context, teamID, endpointID string, limit int) ([]WebhookDelivery, error)

	// DeprovisionGuard is the team's guard (DefaultDeprovisionGuard when
	// it never set one).
	DeprovisionGuard(ctx context.Context, teamID string) (DeprovisionGuard, error)
	// CountDeprovisionMarks counts the team's deprovisionings at or after
	// since.
	CountDeprovisionMarks(ctx context.Context, teamID string, since time.Time) (int, error)
	ListDeprovisionHolds(ctx context.Context, teamID string) ([]DeprovisionHold, error)
}

// EventTx holds the writes of the event stream, the webhooks and the
// deprovisioning guard.
type EventTx interface {
	// AppendEvents adds events to the transaction. The store numbers them
	// (each team's in the order appended) when the transaction's function
	// has returned, just before it commits, and writes them with it: a
	// transaction that rolls back leaves neither its change nor its
	// events, and takes no number.
	AppendEvents(ctx context.Context, evs ...Event) error
	// PruneEvents deletes at most limit of the team's oldest events that
	// occurred before before (stopping at the first younger one, so what
	// is left is always a suffix of the stream), records the last seq
	// deleted in EventPosition.PrunedThrough, and reports how many went.
	PruneEvents(ctx context.Context, teamID string, before time.Time, limit int) (int, error)

	// AddMembersChanged, RemoveMembersChanged and RemoveAllMembersChanged
	// are AddMembers, RemoveMembers and RemoveAllMembers reporting the
	// users they actually added or removed (sorted), for the membership
	// events: a member already in the group, or not in it, is no change.
	AddMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error)
	RemoveMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error)
	RemoveAllMembersChanged(ctx context.Context, teamID, groupID string) ([]string, error)

	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// UpdateWebhookSettings writes an endpoint's URL, description, types,
	// secrets and enabled state (not its progress or lease).
	UpdateWebhookSettings(ctx context.Context, e WebhookEndpoint) error
	// SetWebhookProgress moves an endpoint on, if its AckedSeq is still
	// from (another writer, a replay say, moved it otherwise: false, and
	// nothing is written).
	SetWebhookProgress(ctx context.Context, teamID, id string, from int64, p WebhookProgress) (bool, error)
	// DisableWebhook switches an endpoint off with a reason.
	DisableWebhook(ctx context.Context, teamID, id, reason string, at time.Time) error
	// DeleteWebhookEndpoint removes an endpoint, its log and its replays.
	DeleteWebhookEndpoint(ctx context.Context, teamID, id string) error
	// LeaseWebhookEndpoint makes owner the endpoint's deliverer until
	// until, when its lease is free, expired at now, or owner's already;
	// false when another holds it.
	LeaseWebhookEndpoint(ctx context.Context, id, owner string, now, until time.Time) (bool, error)
	// ReleaseWebhookLease gives the lease up, if owner holds it.
	ReleaseWebhookLease(ctx context.Context, id, owner string) error
	// QueueWebhookReplay queues events for one more delivery.
	QueueWebhookReplay(ctx context.Context, teamID, endpointID string, seqs []int64, at time.Time) error
	// DoneWebhookReplay drops a queued replay (delivered or given up).
	DoneWebhookReplay(ctx context.Context, endpointID string, seq int64) error
	AppendWebhookDelivery(ctx context.Context, d WebhookDelivery) error
	// PruneWebhookDeliveries keeps an endpoint's newest keep attempts and
	// deletes the others, reporting how many went.
	PruneWebhookDeliveries(ctx context.Context, endpointID string, keep int) (int, error)

	SetDeprovisionGuard(ctx context.Context, g DeprovisionGuard) error
	// LockDeprovisionGuard reads the team's guard, creating its row with
	// the defaults when it has none, and holds it (a row lock on
	// PostgreSQL) until the transaction ends: the team's deprovisionings
	// are counted one at a time.
	LockDeprovisionGuard(ctx context.Context, teamID string, now time.Time) (DeprovisionGuard, error)
	// AddDeprovisionMark records one deprovisioning, and drops the team's
	// marks older than prune.
	AddDeprovisionMark(ctx context.Context, teamID, userID string, at, prune time.Time) error
	// ClearDeprovisionMarks drops all the team's marks (a new window).
	ClearDeprovisionMarks(ctx context.Context, teamID string) error
	// HoldDeprovision records a held deprovisioning (one per member: a
	// delete replaces a deactivation).
	HoldDeprovision(ctx context.Context, h DeprovisionHold) error
	// TakeDeprovisionHolds removes and returns the team's held changes.
	TakeDeprovisionHolds(ctx context.Context, teamID string) ([]DeprovisionHold, error)
}

// EventNotifier is implemented by stores that say, after a commit, which
// teams got new events in this process (the long poll and the webhook
// worker wake on it; other processes are polled).
type EventNotifier interface {
	OnEvents(fn func(teamIDs []string))
}
