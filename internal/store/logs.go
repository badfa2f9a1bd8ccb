package store

import (
	"context"
	"time"
)

// ProvisioningEntry is one SCIM request as the provisioning log keeps it:
// what the IdP sent (with secrets redacted), what Roster answered and why.
type ProvisioningEntry struct {
	TeamID    string
	ID        string
	At        time.Time // when the request arrived
	Method    string
	Path      string // URL path, e.g. /scim/v2/Users/123
	Query     string // raw query string, parameters named like secrets redacted
	Status    int
	Latency   time.Duration
	UserAgent string
	KeyID     string
	KeyName   string
	RequestID string
	IP        string
	// ResourceType and ResourceID come from the path (/Users/{id} gives
	// "Users" and the id), so an admin finds every request about one user.
	ResourceType string
	ResourceID   string
	// ErrorDetail is the SCIM error's detail when Status >= 400; ErrorBody
	// the error response as sent. Successful responses are not kept.
	ErrorDetail string
	ErrorBody   string
	// RequestBody is the body with secrets redacted, at most 64 KiB;
	// BodyTruncated says it was cut; BodyBytes is how much was read.
	RequestBody   string
	BodyTruncated bool
	BodyBytes     int64
}

// LogCursor is a position in a newest-first log: the next page holds the
// entries strictly older than (At, ID).
type LogCursor struct {
	At time.Time
	ID string
}

// ProvisioningQuery selects provisioning log entries, newest first. Zero
// fields don't filter.
type ProvisioningQuery struct {
	Since, Until time.Time // At >= Since, At < Until
	MinStatus    int       // e.g. 400: errors only
	MaxStatus    int
	Method       string // exact, case-insensitive
	PathContains string // substring of the path, case-exact
	ResourceID   string // the id in the path (/Users/{id}, /Groups/{id})
	After        *LogCursor
	Limit        int
}

// AuditQuery selects audit events, newest first. Zero fields don't filter.
type AuditQuery struct {
	Since, Until time.Time // At >= Since, At < Until
	Actor        string    // exact
	ActionPrefix string    // "user." matches user.create, user.update, …
	TargetType   string
	TargetID     string
	After        *LogCursor
	Offset       int // applied after the cursor, for offset paging
	Limit        int
}

// HourlyActivity is one hour of a team's SCIM traffic: the requests that
// reached the provisioning log in the hour starting at Hour (UTC), and how
// many of them were answered with a status of 400 or more.
type HourlyActivity struct {
	Hour     time.Time
	Requests int
	Errors   int
}

// LogReader holds the reads of the audit and provisioning logs.
type LogReader interface {
	QueryAudit(ctx context.Context, teamID string, q AuditQuery) ([]AuditEvent, error)
	QueryProvisioningLog(ctx context.Context, teamID string, q ProvisioningQuery) ([]ProvisioningEntry, error)
	ProvisioningLogEntry(ctx context.Context, teamID, id string) (ProvisioningEntry, error)
	// ProvisioningActivity returns the team's hours with traffic from the
	// hour holding since up to (not including) the hour holding until,
	// oldest first; hours without requests are absent. It reads one row
	// per hour (a rollup kept by AppendProvisioningLog), never the log,
	// and at most MaxActivityHours hours: an earlier since is moved up.
	ProvisioningActivity(ctx context.Context, teamID string, since, until time.Time) ([]HourlyActivity, error)
}

// MaxActivityHours bounds one ProvisioningActivity read (about 5 weeks).
const MaxActivityHours = 24 * 35

// LogTx holds the writes of the provisioning log.
type LogTx interface {
	// AppendProvisioningLog inserts a batch of entries (any teams), and
	// counts each entry it inserts (not one already there) in its hour of
	// ProvisioningActivity.
	AppendProvisioningLog(ctx context.Context, entries []ProvisioningEntry) error
	// PruneProvisioningLog deletes at most limit of the team's entries
	// that are older than before or beyond the newest keep entries (keep
	// <= 0: no row cap), oldest first, and reports how many it deleted;
	// the hourly counts of hours that ended before before go too (the row
	// cap leaves them: they are a few numbers per hour).
	PruneProvisioningLog(ctx context.Context, teamID string, before time.Time, keep, limit int) (int, error)
}
