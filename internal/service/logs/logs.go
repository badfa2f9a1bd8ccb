// Package logs reads a team's two logs, for the CLI, the admin API and
// the console:
// the audit trail (every change, written by the features in the change's
// own transaction) and the provisioning log (every SCIM request, written
// by package provlog): queries, pages and their cursors, status filters,
// and the exported shapes (JSON, JSON lines, CSV). Every function takes an
// already-resolved team id (or a slug, for the CLI), so one team never
// reads another's logs. It also makes them readable (readable.go: names
// for ids, changes as before and after, what to fix in the IdP for a
// failed request, hints.go) and sums a team up for its overview
// (overview.go: members, groups, SCIM and the IdP's traffic per hour).
package logs

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
)

// Store is what the log queries read.
type Store interface {
	TeamBySlug(ctx context.Context, slug string) (store.Team, error)
	ListAudit(ctx context.Context, teamID string, limit int) ([]store.AuditEvent, error)
	QueryAudit(ctx context.Context, teamID string, q store.AuditQuery) ([]store.AuditEvent, error)
	QueryProvisioningLog(ctx context.Context, teamID string, q store.ProvisioningQuery) ([]store.ProvisioningEntry, error)
	ProvisioningLogEntry(ctx context.Context, teamID, id string) (store.ProvisioningEntry, error)
	ProvisioningActivity(ctx context.Context, teamID string, since, until time.Time) ([]store.HourlyActivity, error)

	// The overview's counts (overview.go) and the names readable logs
	// show for ids (readable.go).
	ListMembers(ctx context.Context, teamID string, q store.MemberQuery) ([]store.User, int, error)
	ListGroups(ctx context.Context, teamID string, q store.Query) ([]store.Group, int, error)
	SeatsUsed(ctx context.Context, teamID string, seatRoles []string) (int, error)
	ListKeys(ctx context.Context, teamID string) ([]store.SCIMKey, error)
	Team(ctx context.Context, id string) (store.Team, error)
	User(ctx context.Context, teamID, id string) (store.User, error)
	Group(ctx context.Context, teamID, id string) (store.Group, error)
	InviteDetail(ctx context.Context, teamID, id string) (store.InviteDetail, error)
	Account(ctx context.Context, id string) (store.Account, error)
}

// Service is the log queries over one store. It only reads: store.Store
// is a Store as it is.
type Service struct {
	st  Store
	env domain.Env
}

// New builds the logs service; env gives the clock of the overview's
// windows (nil Now: time.Now).
func New(st Store, env domain.Env) *Service {
	if env.Now == nil {
		env.Now = time.Now
	}
	return &Service{st: st, env: env}
}

// MaxLogPage caps one page of either log.
const MaxLogPage = 1000

// EncodeCursor makes an opaque page token of a log position.
func EncodeCursor(c store.LogCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.At.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

// DecodeCursor reads a page token made by EncodeCursor; "" is the first page.
func DecodeCursor(s string) (*store.LogCursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		at, id, ok := strings.Cut(string(b), "|")
		if t, terr := time.Parse(time.RFC3339Nano, at); ok && terr == nil && id != "" {
			c := &store.LogCursor{At: t, ID: id}
			// Only EncodeCursor's own spelling: another one (an offset, or
			// a time past year 9999 in UTC) would page from somewhere else.
			if EncodeCursor(*c) == s {
				return c, nil
			}
		}
	}
	return nil, domain.BadRequest("cursor", "cursor is not a page token this server gave out")
}

func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, MaxLogPage)
}

// AuditPage is one page of audit events, newest first. Next is the
// cursor of the following page, "" on the last one.
type AuditPage struct {
	Events []store.AuditEvent
	Next   string
}

// QueryAudit lists a team's audit events matching q, newest first.
func (s *Service) QueryAudit(ctx context.Context, teamID string, q store.AuditQuery) (AuditPage, error) {
	q.Limit = pageLimit(q.Limit)
	want := q.Limit
	q.Limit++ // one more tells whether there is a next page
	events, err := s.st.QueryAudit(ctx, teamID, q)
	if err != nil {
		return AuditPage{}, err
	}
	var p AuditPage
	p.Events, p.Next = cutPage(events, want, func(e store.AuditEvent) store.LogCursor { return store.LogCursor{At: e.At, ID: e.ID} })
	return p, nil
}

// cutPage keeps the first want rows of a query that asked for want+1 and,
// when there were more, returns the cursor after the last row kept.
func cutPage[T any](rows []T, want int, pos func(T) store.LogCursor) ([]T, string) {
	if len(rows) <= want {
		return rows, ""
	}
	rows = rows[:want]
	return rows, EncodeCursor(pos(rows[want-1]))
}

// AuditRecord is the exported shape of an audit event: what `roster audit
// --json` prints (a contract: "at", "actor", "action", "target"), the
// JSON lines export and the admin API use.
func AuditRecord(e store.AuditEvent) map[string]any {
	var detail any
	if e.Detail != "" {
		_ = json.Unmarshal([]byte(e.Detail), &detail)
	}
	return map[string]any{"id": e.ID, "at": e.At.UTC().Format(time.RFC3339Nano), "actor": e.Actor, "action": e.Action,
		"target": e.TargetType + ":" + e.TargetID, "target_type": e.TargetType, "target_id": e.TargetID,
		"detail": detail, "request_id": e.RequestID, "ip": e.IP}
}

// AuditCSVHeader is the CSV export's header row.
var AuditCSVHeader = []string{"id", "at", "actor", "action", "target", "target_type", "target_id", "detail", "request_id", "ip"}

// WriteAuditJSONL writes one JSON object per line (AuditRecord).
func WriteAuditJSONL(w io.Writer, events []store.AuditEvent) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(AuditRecord(e)); err != nil {
			return err
		}
	}
	return nil
}

// AuditCSV writes audit events as CSV (RFC 4180: CRLF line ends, fields
// with commas, quotes or line breaks quoted, quotes doubled).
type AuditCSV struct{ w *csv.Writer }

// NewAuditCSV writes the header row.
func NewAuditCSV(w io.Writer) (*AuditCSV, error) {
	c := &AuditCSV{w: csv.NewWriter(w)}
	c.w.UseCRLF = true
	return c, c.w.Write(AuditCSVHeader)
}

// Write adds rows.
func (c *AuditCSV) Write(events []store.AuditEvent) error {
	for _, e := range events {
		if err := c.w.Write([]string{e.ID, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.TargetType + ":" + e.TargetID,
			e.TargetType, e.TargetID, e.Detail, e.RequestID, e.IP}); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// WriteAuditCSV writes a header row and the events.
func WriteAuditCSV(w io.Writer, events []store.AuditEvent) error {
	c, err := NewAuditCSV(w)
	if err != nil {
		return err
	}
	return c.Write(events)
}

// ExportAudit writes every event matching q (its Limit ignored), newest
// first, as "jsonl" or "csv", a page at a time so memory stays flat.
func (s *Service) ExportAudit(ctx context.Context, teamID string, q store.AuditQuery, format string, w io.Writer) error {
	var c *AuditCSV
	switch format {
	case "jsonl":
	case "csv":
		var err error
		if c, err = NewAuditCSV(w); err != nil {
			return err
		}
	default:
		return domain.BadRequest("format", "format must be jsonl or csv, not %q", format)
	}
	q.Limit, q.Offset = MaxLogPage, 0
	for {
		p, err := s.QueryAudit(ctx, teamID, q)
		if err != nil {
			return err
		}
		if c != nil {
			err = c.Write(p.Events)
		} else {
			err = WriteAuditJSONL(w, p.Events)
		}
		if err != nil || p.Next == "" {
			return err
		}
		q.After, _ = DecodeCursor(p.Next)
	}
}

// ProvisioningPage is one page of the provisioning log, newest first.
type ProvisioningPage struct {
	Entries []store.ProvisioningEntry
	Next    string
}

// ProvisioningLog lists a team's provisioning log entries matching q,
// newest first. Entries reach the store within the writer's flush
// interval (half a second by default) of their request.
func (s *Service) ProvisioningLog(ctx context.Context, teamID string, q store.ProvisioningQuery) (ProvisioningPage, error) {
	q.Limit = pageLimit(q.Limit)
	want := q.Limit
	q.Limit++
	entries, err := s.st.QueryProvisioningLog(ctx, teamID, q)
	if err != nil {
		return ProvisioningPage{}, err
	}
	var p ProvisioningPage
	p.Entries, p.Next = cutPage(entries, want, func(e store.ProvisioningEntry) store.LogCursor { return store.LogCursor{At: e.At, ID: e.ID} })
	return p, nil
}

// ProvisioningEntry returns one entry of the team's provisioning log.
func (s *Service) ProvisioningEntry(ctx context.Context, teamID, id string) (store.ProvisioningEntry, error) {
	e, err := s.st.ProvisioningLogEntry(ctx, teamID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, domain.NotFound("no provisioning log entry %q in this team", id)
	}
	return e, err
}

// ProvisioningRecord is the exported shape of a provisioning log entry;
// full adds the request body and the error response body.
func ProvisioningRecord(e store.ProvisioningEntry, full bool) map[string]any {
	out := map[string]any{
		"id": e.ID, "at": e.At.UTC().Format(time.RFC3339Nano), "method": e.Method, "path": e.Path, "query": e.Query,
		"status": e.Status, "latency_ms": float64(e.Latency.Microseconds()) / 1000, "user_agent": e.UserAgent,
		"key_id": e.KeyID, "key_name": e.KeyName, "request_id": e.RequestID, "ip": e.IP,
		"resource_type": e.ResourceType, "resource_id": e.ResourceID, "error_detail": e.ErrorDetail,
		"body_bytes": e.BodyBytes, "body_truncated": e.BodyTruncated,
	}
	if full {
		out["request_body"] = rawOrString(e.RequestBody)
		out["error_body"] = rawOrString(e.ErrorBody)
	}
	return out
}

// rawOrString embeds a body that is JSON as JSON, anything else (a cut
// or malformed body) as a string.
func rawOrString(s string) any {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return s
}

// ParseStatusFilter reads a status filter: "" (any), "error" or "errors"
// (>= 400), a class "2xx"…"5xx", or one code. hi 0 means no upper bound.
func ParseStatusFilter(s string) (lo, hi int, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return 0, 0, nil
	case s == "error" || s == "errors":
		return 400, 0, nil
	case len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5':
		c := int(s[0]-'0') * 100
		return c, c + 99, nil
	}
	n, cerr := strconv.Atoi(s)
	if cerr != nil || n < 100 || n > 599 {
		return 0, 0, domain.BadRequest("status", "status must be a code (409), a class (4xx) or \"error\", got %q", s)
	}
	return n, n, nil
}

// Audit lists a team's latest audit events, newest first.
func (s *Service) Audit(ctx context.Context, slug string, limit int) ([]store.AuditEvent, error) {
	team, err := s.st.TeamBySlug(ctx, slug)
	if err != nil {
		return nil, domain.TeamError(err, slug)
	}
	return s.st.ListAudit(ctx, team.ID, limit)
}
