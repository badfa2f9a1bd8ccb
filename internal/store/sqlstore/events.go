package sqlstore

// The event stream's storage (docs/events.md): the outbox, its per-team
// numbering, the webhooks' endpoints, replays and delivery log, and the
// guard against mass deprovisioning.
//
// Numbering. A transaction's events are kept in memory (txStore.events)
// until its function has returned; then, still inside the transaction,
// flushEvents takes the next numbers of each team from its row of
// event_counters (one UPDATE … RETURNING, an upsert for a team's first
// events) and inserts the rows; on PostgreSQL, up to 16 events of a team
// are numbered and inserted by one statement (numberAndInsertEvents). The counter row stays locked until the
// transaction ends, so:
//
//   - numbers follow commit order: a second writer of the same team waits
//     on the row until the first has committed (or rolled back), then
//     reads the number it left;
//   - there are no gaps: a transaction that rolls back rolls its increment
//     back with it, and no other writer has read it meanwhile;
//   - a reader that sees seq N sees every event up to N: N's writer took
//     the row after N-1's writer had committed.
//
// On SQLite every write transaction is exclusive anyway. On PostgreSQL
// the row lock serialises one team's writers, on every replica, for the
// time between the counter's update and the commit: the last statements
// of the transaction, never its reads, its checks or the client's work
// (the cost is measured in docs/performance.md). Taking the lock last also
// means it is never held while another lock is awaited, so it adds no
// deadlock. Teams are flushed in id order, for a transaction that wrote
// events of several.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ---- the outbox ----

// AppendEvents keeps the events until the transaction's function returns
// (flushEvents).
func (t *txStore) AppendEvents(ctx context.Context, evs ...store.Event) error {
	for _, e := range evs {
		if e.TeamID == "" || e.ID == "" || e.Type == "" {
			return fmt.Errorf("append event: team, id and type are required (%q, %q, %q)", e.TeamID, e.ID, e.Type)
		}
		if len(e.Actor) == 0 {
			e.Actor = []byte("{}")
		}
		if len(e.Data) == 0 {
			e.Data = []byte("{}")
		}
		e.Seq = 0
		t.events = append(t.events, e)
	}
	return nil
}

// flushEvents numbers and writes the transaction's events; it returns the
// teams that got some, for the notification after the commit.
func (t *txStore) flushEvents(ctx context.Context) ([]string, error) {
	if len(t.events) == 0 {
		return nil, nil
	}
	evs := t.events
	t.events = nil
	byTeam := map[string][]int{}
	var teams []string
	for i, e := range evs {
		if _, ok := byTeam[e.TeamID]; !ok {
			teams = append(teams, e.TeamID)
		}
		byTeam[e.TeamID] = append(byTeam[e.TeamID], i)
	}
	slices.Sort(teams)
	for _, team := range teams {
		idx := byTeam[team]
		if t.d.WritableCTE && len(idx) <= maxOneStatementEvents {
			rows := make([]store.Event, len(idx))
			for i, j := range idx {
				rows[i] = evs[j]
			}
			if err := t.numberAndInsertEvents(ctx, team, rows); err != nil {
				return nil, err
			}
			continue
		}
		var last int64
		err := t.row(ctx, `INSERT INTO event_counters (team_id, last_seq) VALUES (?, ?)
			ON CONFLICT (team_id) DO UPDATE SET last_seq = event_counters.last_seq + excluded.last_seq RETURNING last_seq`,
			team, len(idx)).Scan(&last)
		if err != nil {
			return nil, fmt.Errorf("number events: %w", err)
		}
		first := last - int64(len(idx)) + 1
		rows := make([]store.Event, len(idx))
		for i, j := range idx {
			evs[j].Seq = first + int64(i)
			rows[i] = evs[j]
		}
		if err := t.insertEvents(ctx, rows); err != nil {
			return nil, err
		}
	}
	return teams, nil
}

// maxOneStatementEvents bounds the events of one team that a transaction
// numbers and writes in one statement (numberAndInsertEvents); more take
// the two-statement way. Each count is its own query text: 16 at most.
const maxOneStatementEvents = 16

// numberAndInsertEvents takes the team's next numbers and writes its
// events in one statement (Dialect.WritableCTE): the counter row is
// locked by the statement and held to the commit, as in flushEvents, but
// with one round trip fewer in between.
func (t *txStore) numberAndInsertEvents(ctx context.Context, team string, rows []store.Event) error {
	n := len(rows)
	args := make([]any, 0, 3+8*n)
	args = append(args, team, n, n)
	for i, e := range rows {
		args = append(args, i+1, e.TeamID, e.ID, e.TeamSlug, e.Type, formatTime(e.OccurredAt), string(e.Actor), string(e.Data))
	}
	res, err := t.exec(ctx, `WITH c AS (INSERT INTO event_counters (team_id, last_seq) VALUES (?, ?)
		ON CONFLICT (team_id) DO UPDATE SET last_seq = event_counters.last_seq + excluded.last_seq RETURNING last_seq)
		INSERT INTO events (`+eventCols+`)
		SELECT v.team_id, c.last_seq - ?::bigint + v.ord, v.id, v.team_slug, v.type, v.occurred_at, v.actor, v.data
		FROM c, (VALUES (?::bigint, ?, ?, ?, ?, ?, ?, ?)`+strings.Repeat(", (?::bigint, ?, ?, ?, ?, ?, ?, ?)", n-1)+
		`) AS v (ord, team_id, id, team_slug, type, occurred_at, actor, data)`, args...)
	if err != nil {
		return fmt.Errorf("number and write events: %w", err)
	}
	if got, err := res.RowsAffected(); err == nil && got != int64(n) {
		return fmt.Errorf("number and write events: %d rows written, want %d", got, n)
	}
	return nil
}

// insertEvents writes rows in statements of 64, 32, …, 1 rows (the binary
// digits of the count), so the statement cache sees seven query texts.
func (t *txStore) insertEvents(ctx context.Context, rows []store.Event) error {
	for len(rows) > 0 {
		n := 64
		for n > len(rows) {
			n /= 2
		}
		part := rows[:n]
		rows = rows[n:]
		args := make([]any, 0, 8*n)
		for _, e := range part {
			args = append(args, e.TeamID, e.Seq, e.ID, e.TeamSlug, e.Type, formatTime(e.OccurredAt), string(e.Actor), string(e.Data))
		}
		if _, err := t.exec(ctx, `INSERT INTO events (team_id, seq, id, team_slug, type, occurred_at, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+
			strings.Repeat(", (?, ?, ?, ?, ?, ?, ?, ?)", n-1), args...); err != nil {
			return fmt.Errorf("write events: %w", err)
		}
	}
	return nil
}

const eventCols = `team_id, seq, id, team_slug, type, occurred_at, actor, data`

func scanEvent(row interface{ Scan(...any) error }) (store.Event, error) {
	var e store.Event
	var at, actor, data string
	err := row.Scan(&e.TeamID, &e.Seq, &e.ID, &e.TeamSlug, &e.Type, &at, &actor, &data)
	e.OccurredAt = parseTime(at)
	e.Actor, e.Data = []byte(actor), []byte(data)
	return e, notFound(err)
}

func (r reader) ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := r.query(ctx, `SELECT `+eventCols+` FROM events WHERE team_id = ? AND seq > ? ORDER BY seq LIMIT ?`, teamID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (r reader) EventPosition(ctx context.Context, teamID string) (store.EventPosition, error) {
	var p store.EventPosition
	err := r.row(ctx, `SELECT last_seq, pruned_through FROM event_counters WHERE team_id = ?`, teamID).Scan(&p.LastSeq, &p.PrunedThrough)
	if errors.Is(err, sql.ErrNoRows) {
		return store.EventPosition{}, nil
	}
	return p, err
}

func (t *txStore) PruneEvents(ctx context.Context, teamID string, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	// The oldest events, in order: the prefix of them older than before
	// goes (an event is never pruned while an older one stays).
	rows, err := t.query(ctx, `SELECT seq, occurred_at FROM events WHERE team_id = ? ORDER BY seq LIMIT ?`, teamID, limit)
	if err != nil {
		return 0, err
	}
	cut := before.UTC()
	var through int64
	n := 0
	for rows.Next() {
		var seq int64
		var at string
		if err := rows.Scan(&seq, &at); err != nil {
			rows.Close()
			return 0, err
		}
		if !parseTime(at).Before(cut) {
			break
		}
		through = seq
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := t.exec(ctx, `DELETE FROM events WHERE team_id = ? AND seq <= ?`, teamID, through); err != nil {
		return 0, err
	}
	if _, err := t.exec(ctx, `UPDATE event_counters SET pruned_through = ? WHERE team_id = ? AND pruned_through < ?`, through, teamID, through); err != nil {
		return 0, err
	}
	return n, nil
}

// ---- membership writes that say what they changed ----

// AddMembersChanged is AddMembers, reporting the users it added (not the
// ones already in the group), in id order.
func (t *txStore) AddMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error) {
	// Rows are inserted in id order, so two transactions adding
	// overlapping members wait for each other instead of deadlocking.
	userIDs = slices.Clone(userIDs)
	slices.Sort(userIDs)
	userIDs = slices.Compact(userIDs)
	var added []string
	// Up to 256 rows a statement. The rows are padded to a power of two by
	// repeating the last one (ON CONFLICT DO NOTHING skips the repeats), so
	// the statement cache sees a handful of query texts.
	const chunk = 256
	for start := 0; start < len(userIDs); start += chunk {
		part := userIDs[start:min(start+chunk, len(userIDs))]
		n := 1
		for n < len(part) {
			n *= 2
		}
		args := make([]any, 0, 3*n)
		for i := range n {
			args = append(args, teamID, groupID, part[min(i, len(part)-1)])
		}
		got, err := t.strings(ctx, `INSERT INTO group_members (team_id, group_id, user_id) VALUES (?, ?, ?)`+strings.Repeat(", (?, ?, ?)", n-1)+
			` ON CONFLICT DO NOTHING RETURNING user_id`, args...)
		if err != nil {
			return nil, err
		}
		added = append(added, got...)
	}
	slices.Sort(added)
	return added, nil
}

// RemoveMembersChanged is RemoveMembers, reporting the users it removed.
func (t *txStore) RemoveMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error) {
	userIDs = slices.Clone(userIDs)
	slices.Sort(userIDs)
	var removed []string
	for _, id := range slices.Compact(userIDs) {
		got, err := t.strings(ctx, `DELETE FROM group_members WHERE team_id = ? AND group_id = ? AND user_id = ? RETURNING user_id`, teamID, groupID, id)
		if err != nil {
			return nil, err
		}
		removed = append(removed, got...)
	}
	return removed, nil
}

// RemoveAllMembersChanged is RemoveAllMembers, reporting who was removed.
func (t *txStore) RemoveAllMembersChanged(ctx context.Context, teamID, groupID string) ([]string, error) {
	removed, err := t.strings(ctx, `DELETE FROM group_members WHERE team_id = ? AND group_id = ? RETURNING user_id`, teamID, groupID)
	slices.Sort(removed)
	return removed, err
}

// ---- webhooks ----

const webhookCols = `team_id, id, url, description, types, secret, old_secret, old_secret_until, enabled, disabled_reason, disabled_at,
	created, created_by, acked_seq, attempts, next_attempt, failing_since, lease_owner, lease_until`

func scanWebhook(row interface{ Scan(...any) error }) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var types, created, next string
	var oldUntil, disabledAt, failing, lease sql.NullString
	err := row.Scan(&e.TeamID, &e.ID, &e.URL, &e.Description, &types, &e.Secret, &e.OldSecret, &oldUntil, &e.Enabled, &e.DisabledReason, &disabledAt,
		&created, &e.CreatedBy, &e.AckedSeq, &e.Attempts, &next, &failing, &e.LeaseOwner, &lease)
	if types != "" {
		e.Types = strings.Split(types, ",")
	}
	e.Created, e.NextAttempt = parseTime(created), parseTime(next)
	e.OldSecretUntil, e.DisabledAt, e.FailingSince, e.LeaseUntil = parseTimePtr(oldUntil), parseTimePtr(disabledAt), parseTimePtr(failing), parseTimePtr(lease)
	return e, notFound(err)
}

func (r reader) webhooks(ctx context.Context, q string, args ...any) ([]store.WebhookEndpoint, error) {
	rows, err := r.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.WebhookEndpoint
	for rows.Next() {
		e, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (r reader) WebhookEndpoint(ctx context.Context, teamID, id string) (store.WebhookEndpoint, error) {
	return scanWebhook(r.row(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE team_id = ? AND id = ?`+r.lock, teamID, id))
}

func (r reader) ListWebhookEndpoints(ctx context.Context, teamID string) ([]store.WebhookEndpoint, error) {
	return r.webhooks(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE team_id = ? ORDER BY created, id`, teamID)
}

func (r reader) DueWebhookEndpoints(ctx context.Context, owner string, now time.Time, limit int) ([]store.WebhookEndpoint, error) {
	ts := formatTime(now)
	return r.webhooks(ctx, `SELECT `+prefixCols("e", strings.Join(strings.Fields(webhookCols), " "))+` FROM webhook_endpoints e
		WHERE e.enabled = 1 AND e.next_attempt <= ? AND (e.lease_owner = '' OR e.lease_owner = ? OR e.lease_until IS NULL OR e.lease_until < ?)
		AND (e.acked_seq < coalesce((SELECT c.last_seq FROM event_counters c WHERE c.team_id = e.team_id), 0)
			OR EXISTS (SELECT 1 FROM webhook_replays r WHERE r.endpoint_id = e.id))
		ORDER BY e.next_attempt, e.id LIMIT ?`, ts, owner, ts, limit)
}

func (r reader) NextWebhookReplay(ctx context.Context, endpointID string) (int64, error) {
	var seq int64
	err := r.row(ctx, `SELECT seq FROM webhook_replays WHERE endpoint_id = ? ORDER BY seq LIMIT 1`, endpointID).Scan(&seq)
	return seq, notFound(err)
}

func (r reader) ListWebhookDeliveries(ctx context.Context, teamID, endpointID string, limit int) ([]store.WebhookDelivery, error) {
	rows, err := r.query(ctx, `SELECT team_id, endpoint_id, id, event_id, seq, attempt, at, status, latency_ms, outcome, error, response, replay
		FROM webhook_deliveries WHERE team_id = ? AND endpoint_id = ? ORDER BY at DESC, id DESC LIMIT ?`, teamID, endpointID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.WebhookDelivery
	for rows.Next() {
		var d store.WebhookDelivery
		var at string
		var ms int64
		if err := rows.Scan(&d.TeamID, &d.EndpointID, &d.ID, &d.EventID, &d.Seq, &d.Attempt, &at, &d.Status, &ms, &d.Outcome, &d.Error, &d.Response, &d.Replay); err != nil {
			return nil, err
		}
		d.At, d.Latency = parseTime(at), time.Duration(ms)*time.Millisecond
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *txStore) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_endpoints (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TeamID, e.ID, e.URL, e.Description, strings.Join(e.Types, ","), e.Secret, e.OldSecret, formatTimePtr(e.OldSecretUntil), boolInt(e.Enabled),
		e.DisabledReason, formatTimePtr(e.DisabledAt), formatTime(e.Created), e.CreatedBy, e.AckedSeq, e.Attempts, formatTime(e.NextAttempt),
		formatTimePtr(e.FailingSince), e.LeaseOwner, formatTimePtr(e.LeaseUntil))
	return err
}

func (t *txStore) UpdateWebhookSettings(ctx context.Context, e store.WebhookEndpoint) error {
	return mustAffect(t.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, types = ?, secret = ?, old_secret = ?, old_secret_until = ?,
		enabled = ?, disabled_reason = ?, disabled_at = ? WHERE team_id = ? AND id = ?`,
		e.URL, e.Description, strings.Join(e.Types, ","), e.Secret, e.OldSecret, formatTimePtr(e.OldSecretUntil),
		boolInt(e.Enabled), e.DisabledReason, formatTimePtr(e.DisabledAt), e.TeamID, e.ID))
}

func (t *txStore) SetWebhookProgress(ctx context.Context, teamID, id string, from int64, p store.WebhookProgress) (bool, error) {
	res, err := t.exec(ctx, `UPDATE webhook_endpoints SET acked_seq = ?, attempts = ?, next_attempt = ?, failing_since = ?
		WHERE team_id = ? AND id = ? AND acked_seq = ?`,
		p.AckedSeq, p.Attempts, formatTime(p.NextAttempt), formatTimePtr(p.FailingSince), teamID, id, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (t *txStore) DisableWebhook(ctx context.Context, teamID, id, reason string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ? WHERE team_id = ? AND id = ?`,
		reason, formatTime(at), teamID, id))
}

func (t *txStore) DeleteWebhookEndpoint(ctx context.Context, teamID, id string) error {
	if err := mustAffect(t.exec(ctx, `DELETE FROM webhook_endpoints WHERE team_id = ? AND id = ?`, teamID, id)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM webhook_replays WHERE team_id = ? AND endpoint_id = ?`, teamID, id); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM webhook_deliveries WHERE team_id = ? AND endpoint_id = ?`, teamID, id)
	return err
}

func (t *txStore) LeaseWebhookEndpoint(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	if owner == "" {
		return false, errors.New("lease: no owner")
	}
	res, err := t.exec(ctx, `UPDATE webhook_endpoints SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND (lease_owner = '' OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)`,
		owner, formatTime(until), id, owner, formatTime(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (t *txStore) ReleaseWebhookLease(ctx context.Context, id, owner string) error {
	_, err := t.exec(ctx, `UPDATE webhook_endpoints SET lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`, id, owner)
	return err
}

func (t *txStore) QueueWebhookReplay(ctx context.Context, teamID, endpointID string, seqs []int64, at time.Time) error {
	for _, seq := range seqs {
		if _, err := t.exec(ctx, `INSERT INTO webhook_replays (endpoint_id, seq, team_id, requested) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			endpointID, seq, teamID, formatTime(at)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txStore) DoneWebhookReplay(ctx context.Context, endpointID string, seq int64) error {
	_, err := t.exec(ctx, `DELETE FROM webhook_replays WHERE endpoint_id = ? AND seq = ?`, endpointID, seq)
	return err
}

func (t *txStore) AppendWebhookDelivery(ctx context.Context, d store.WebhookDelivery) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (team_id, endpoint_id, id, event_id, seq, attempt, at, status, latency_ms, outcome, error, response, replay)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.TeamID, d.EndpointID, d.ID, d.EventID, d.Seq, d.Attempt, formatTime(d.At), d.Status, d.Latency.Milliseconds(), d.Outcome, d.Error, d.Response, boolInt(d.Replay))
	return err
}

func (t *txStore) PruneWebhookDeliveries(ctx context.Context, endpointID string, keep int) (int, error) {
	if keep < 0 {
		keep = 0
	}
	var cutAt, cutID string
	err := t.row(ctx, `SELECT at, id FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?`, endpointID, keep).Scan(&cutAt, &cutID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	res, err := t.exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND (at < ? OR (at = ? AND id <= ?))`, endpointID, cutAt, cutAt, cutID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- the deprovisioning guard ----

func scanGuard(row interface{ Scan(...any) error }, teamID string) (store.DeprovisionGuard, error) {
	g := store.DeprovisionGuard{TeamID: teamID}
	var secs int64
	var paused sql.NullString
	var updated string
	err := row.Scan(&g.Enabled, &g.Percent, &g.MinCount, &secs, &paused, &g.PausedReason, &updated)
	g.Window = time.Duration(secs) * time.Second
	g.PausedAt, g.Updated = parseTimePtr(paused), parseTime(updated)
	return g, err
}

const guardCols = `enabled, percent, min_count, window_seconds, paused_at, paused_reason, updated`

func (r reader) DeprovisionGuard(ctx context.Context, teamID string) (store.DeprovisionGuard, error) {
	g, err := scanGuard(r.row(ctx, `SELECT `+guardCols+` FROM deprovision_guards WHERE team_id = ?`, teamID), teamID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DefaultDeprovisionGuard(teamID), nil
	}
	return g, err
}

func (r reader) CountDeprovisionMarks(ctx context.Context, teamID string, since time.Time) (int, error) {
	return r.count(ctx, `SELECT count(*) FROM deprovision_marks WHERE team_id = ? AND at >= ?`, []any{teamID, formatTime(since)})
}

func (r reader) ListDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error) {
	rows, err := r.query(ctx, `SELECT team_id, user_id, op, at, actor, key_id FROM deprovision_holds WHERE team_id = ? ORDER BY at, user_id`, teamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.DeprovisionHold
	for rows.Next() {
		var h store.DeprovisionHold
		var at string
		if err := rows.Scan(&h.TeamID, &h.UserID, &h.Op, &at, &h.Actor, &h.KeyID); err != nil {
			return nil, err
		}
		h.At = parseTime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (t *txStore) SetDeprovisionGuard(ctx context.Context, g store.DeprovisionGuard) error {
	_, err := t.exec(ctx, `INSERT INTO deprovision_guards (team_id, `+guardCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (team_id) DO UPDATE SET enabled = excluded.enabled, percent = excluded.percent, min_count = excluded.min_count,
		window_seconds = excluded.window_seconds, paused_at = excluded.paused_at, paused_reason = excluded.paused_reason, updated = excluded.updated`,
		g.TeamID, boolInt(g.Enabled), g.Percent, g.MinCount, int64(g.Window/time.Second), formatTimePtr(g.PausedAt), g.PausedReason, formatTime(g.Updated))
	return err
}

func (t *txStore) LockDeprovisionGuard(ctx context.Context, teamID string, now time.Time) (store.DeprovisionGuard, error) {
	d := store.DefaultDeprovisionGuard(teamID)
	if _, err := t.exec(ctx, `INSERT INTO deprovision_guards (team_id, `+guardCols+`) VALUES (?, ?, ?, ?, ?, NULL, '', ?) ON CONFLICT (team_id) DO NOTHING`,
		teamID, boolInt(d.Enabled), d.Percent, d.MinCount, int64(d.Window/time.Second), formatTime(now)); err != nil {
		return store.DeprovisionGuard{}, err
	}
	return scanGuard(t.row(ctx, `SELECT `+guardCols+` FROM deprovision_guards WHERE team_id = ?`+t.lock, teamID), teamID)
}

func (t *txStore) AddDeprovisionMark(ctx context.Context, teamID, userID string, at, prune time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM deprovision_marks WHERE team_id = ? AND at < ?`, teamID, formatTime(prune)); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO deprovision_marks (team_id, at, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, teamID, formatTime(at), userID)
	return err
}

func (t *txStore) ClearDeprovisionMarks(ctx context.Context, teamID string) error {
	_, err := t.exec(ctx, `DELETE FROM deprovision_marks WHERE team_id = ?`, teamID)
	return err
}

func (t *txStore) HoldDeprovision(ctx context.Context, h store.DeprovisionHold) error {
	if h.Op != store.HoldDeactivate && h.Op != store.HoldDelete {
		return fmt.Errorf("hold: unknown operation %q", h.Op)
	}
	// One hold per member; a delete outranks a deactivation.
	_, err := t.exec(ctx, `INSERT INTO deprovision_holds (team_id, user_id, op, at, actor, key_id) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (team_id, user_id) DO UPDATE SET op = CASE WHEN deprovision_holds.op = 'delete' THEN 'delete' ELSE excluded.op END`,
		h.TeamID, h.UserID, h.Op, formatTime(h.At), h.Actor, h.KeyID)
	return err
}

func (t *txStore) TakeDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error) {
	holds, err := t.ListDeprovisionHolds(ctx, teamID)
	if err != nil {
		return nil, err
	}
	_, err = t.exec(ctx, `DELETE FROM deprovision_holds WHERE team_id = ?`, teamID)
	return holds, err
}

// ---- notification ----

// OnEvents makes fn hear, after each commit that wrote events, which
// teams got them (in this process).
func (s *Store) OnEvents(fn func(teamIDs []string)) {
	s.eventMu.Lock()
	defer s.eventMu.Unlock()
	s.eventListeners = append(s.eventListeners, fn)
}

func (s *Store) notifyEvents(teams []string) {
	if len(teams) == 0 {
		return
	}
	s.eventMu.Lock()
	fns := s.eventListeners
	s.eventMu.Unlock()
	for _, fn := range fns {
		fn(teams)
	}
}
