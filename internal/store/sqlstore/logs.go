package sqlstore

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ---- audit queries ----

const auditCols = `team_id, id, at, actor, action, target_type, target_id, detail, request_id, ip`

func scanAudit(row interface{ Scan(...any) error }) (store.AuditEvent, error) {
	var e store.AuditEvent
	var at string
	err := row.Scan(&e.TeamID, &e.ID, &at, &e.Actor, &e.Action, &e.TargetType, &e.TargetID, &e.Detail, &e.RequestID, &e.IP)
	e.At = parseTime(at)
	return e, err
}

// timeRange adds At >= since and At < until and the newest-first cursor.
func timeRange(where *strings.Builder, args *[]any, since, until time.Time, after *store.LogCursor) {
	if !since.IsZero() {
		where.WriteString(` AND at >= ?`)
		*args = append(*args, formatTime(since))
	}
	if !until.IsZero() {
		where.WriteString(` AND at < ?`)
		*args = append(*args, formatTime(until))
	}
	if after != nil {
		at := formatTime(after.At)
		where.WriteString(` AND (at < ? OR (at = ? AND id < ?))`)
		*args = append(*args, at, at, after.ID)
	}
}

// escapeLike escapes LIKE wildcards; patterns use ESCAPE '!'.
func escapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

func (r reader) QueryAudit(ctx context.Context, teamID string, q store.AuditQuery) ([]store.AuditEvent, error) {
	var where strings.Builder
	args := []any{teamID}
	timeRange(&where, &args, q.Since, q.Until, q.After)
	if q.Actor != "" {
		where.WriteString(` AND actor = ?`)
		args = append(args, q.Actor)
	}
	if q.ActionPrefix != "" {
		// substr rather than LIKE: LIKE is case-insensitive on SQLite and
		// case-exact on PostgreSQL.
		where.WriteString(` AND substr(action, 1, ?) = ?`)
		args = append(args, len(q.ActionPrefix), q.ActionPrefix)
	}
	if q.TargetType != "" {
		where.WriteString(` AND target_type = ?`)
		args = append(args, q.TargetType)
	}
	if q.TargetID != "" {
		where.WriteString(` AND target_id = ?`)
		args = append(args, q.TargetID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit, max(q.Offset, 0))
	rows, err := r.query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE team_id = ?`+where.String()+
		` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- provisioning log ----

const provCols = `team_id, id, at, method, path, query, status, latency_us, user_agent, key_id, key_name, request_id, ip,
	resource_type, resource_id, error_detail, error_body, request_body, body_truncated, body_bytes`

func scanProv(row interface{ Scan(...any) error }) (store.ProvisioningEntry, error) {
	var e store.ProvisioningEntry
	var at string
	var latency int64
	err := row.Scan(&e.TeamID, &e.ID, &at, &e.Method, &e.Path, &e.Query, &e.Status, &latency, &e.UserAgent, &e.KeyID, &e.KeyName,
		&e.RequestID, &e.IP, &e.ResourceType, &e.ResourceID, &e.ErrorDetail, &e.ErrorBody, &e.RequestBody, &e.BodyTruncated, &e.BodyBytes)
	e.At = parseTime(at)
	e.Latency = time.Duration(latency) * time.Microsecond
	return e, notFound(err)
}

func (r reader) QueryProvisioningLog(ctx context.Context, teamID string, q store.ProvisioningQuery) ([]store.ProvisioningEntry, error) {
	var where strings.Builder
	args := []any{teamID}
	timeRange(&where, &args, q.Since, q.Until, q.After)
	if q.MinStatus > 0 {
		where.WriteString(` AND status >= ?`)
		args = append(args, q.MinStatus)
	}
	if q.MaxStatus > 0 {
		where.WriteString(` AND status <= ?`)
		args = append(args, q.MaxStatus)
	}
	if q.Method != "" {
		where.WriteString(` AND method = ?`)
		args = append(args, strings.ToUpper(q.Method))
	}
	if q.PathContains != "" {
		where.WriteString(` AND ` + r.d.Contains("path", "?"))
		args = append(args, q.PathContains)
	}
	if q.ResourceID != "" {
		where.WriteString(` AND resource_id = ?`)
		args = append(args, q.ResourceID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := r.query(ctx, `SELECT `+provCols+` FROM provisioning_log WHERE team_id = ?`+where.String()+
		` ORDER BY at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ProvisioningEntry
	for rows.Next() {
		e, err := scanProv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (r reader) ProvisioningLogEntry(ctx context.Context, teamID, id string) (store.ProvisioningEntry, error) {
	return scanProv(r.row(ctx, `SELECT `+provCols+` FROM provisioning_log WHERE team_id = ? AND id = ?`, teamID, id))
}

func (t *txStore) AppendProvisioningLog(ctx context.Context, entries []store.ProvisioningEntry) error {
	// Multi-row inserts of up to 40 rows (20 columns each stays under
	// every backend's bound-parameter limit). RETURNING names the rows
	// actually inserted (not those already there), which the hourly
	// counts then add up.
	const cols = 20
	const chunk = 40
	one := `(?` + strings.Repeat(", ?", cols-1) + `)`
	counts := map[hourKey]*hourCount{}
	for start := 0; start < len(entries); start += chunk {
		part := entries[start:min(start+chunk, len(entries))]
		args := make([]any, 0, len(part)*cols)
		for _, e := range part {
			args = append(args, e.TeamID, e.ID, formatTime(e.At), e.Method, e.Path, e.Query, e.Status, e.Latency.Microseconds(),
				e.UserAgent, e.KeyID, e.KeyName, e.RequestID, e.IP, e.ResourceType, e.ResourceID, e.ErrorDetail, e.ErrorBody,
				e.RequestBody, boolInt(e.BodyTruncated), e.BodyBytes)
		}
		q := `INSERT INTO provisioning_log (` + provCols + `) VALUES ` + one + strings.Repeat(", "+one, len(part)-1) +
			` ON CONFLICT DO NOTHING RETURNING team_id, at, status`
		if err := t.countInserted(ctx, q, args, counts); err != nil {
			return err
		}
	}
	return t.addHourly(ctx, counts)
}

// hourKey is one team's hour in provisioning_hourly ("2006-01-02T15").
type hourKey struct{ team, hour string }

type hourCount struct{ requests, errors int }

// hourLen is the length of an hour's prefix of a stored time.
const hourLen = len("2006-01-02T15")

// countInserted runs an INSERT … RETURNING team_id, at, status and adds
// each returned row to its hour.
func (t *txStore) countInserted(ctx context.Context, q string, args []any, counts map[hourKey]*hourCount) error {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var team, at string
		var status int
		if err := rows.Scan(&team, &at, &status); err != nil {
			return err
		}
		k := hourKey{team, at[:min(len(at), hourLen)]}
		c := counts[k]
		if c == nil {
			c = &hourCount{}
			counts[k] = c
		}
		c.requests++
		if status >= 400 {
			c.errors++
		}
	}
	return rows.Err()
}

// addHourly adds counts to provisioning_hourly, in key order (so two
// writers on PostgreSQL take the rows' locks in the same order).
func (t *txStore) addHourly(ctx context.Context, counts map[hourKey]*hourCount) error {
	keys := make([]hourKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].team != keys[j].team {
			return keys[i].team < keys[j].team
		}
		return keys[i].hour < keys[j].hour
	})
	const chunk = 100
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		args := make([]any, 0, len(part)*4)
		for _, k := range part {
			args = append(args, k.team, k.hour, counts[k].requests, counts[k].errors)
		}
		q := `INSERT INTO provisioning_hourly (team_id, hour, requests, errors) VALUES (?, ?, ?, ?)` +
			strings.Repeat(", (?, ?, ?, ?)", len(part)-1) +
			` ON CONFLICT (team_id, hour) DO UPDATE SET requests = provisioning_hourly.requests + excluded.requests,
			errors = provisioning_hourly.errors + excluded.errors`
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// ProvisioningActivity reads provisioning_hourly's rows of the range by
// its primary key: one row per hour, whatever the traffic.
func (r reader) ProvisioningActivity(ctx context.Context, teamID string, since, until time.Time) ([]store.HourlyActivity, error) {
	if earliest := until.Add(-store.MaxActivityHours * time.Hour); since.Before(earliest) {
		since = earliest
	}
	from, to := formatTime(since)[:hourLen], formatTime(until)[:hourLen]
	rows, err := r.query(ctx, `SELECT hour, requests, errors FROM provisioning_hourly WHERE team_id = ? AND hour >= ? AND hour < ? ORDER BY hour`,
		teamID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.HourlyActivity
	for rows.Next() {
		var hour string
		var a store.HourlyActivity
		if err := rows.Scan(&hour, &a.Requests, &a.Errors); err != nil {
			return nil, err
		}
		a.Hour, _ = time.Parse("2006-01-02T15", hour)
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *txStore) PruneProvisioningLog(ctx context.Context, teamID string, before time.Time, keep, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	// The oldest entry to keep under the row cap, if the team is over it.
	cond := `at < ?`
	args := []any{formatTime(before)}
	if keep > 0 {
		var at, id string
		err := t.row(ctx, `SELECT at, id FROM provisioning_log WHERE team_id = ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?`, teamID, keep-1).Scan(&at, &id)
		if err == nil {
			cond = `(at < ? OR at < ? OR (at = ? AND id < ?))`
			args = append(args, at, at, id)
		} else if notFound(err) != store.ErrNotFound {
			return 0, err
		}
	}
	all := append(append([]any{teamID, teamID}, args...), limit)
	res, err := t.exec(ctx, `DELETE FROM provisioning_log WHERE team_id = ? AND id IN (
		SELECT id FROM provisioning_log WHERE team_id = ? AND `+cond+` ORDER BY at, id LIMIT ?)`, all...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	// Hours that ended before before: their entries are all gone by age.
	_, err = t.exec(ctx, `DELETE FROM provisioning_hourly WHERE team_id = ? AND hour < ?`, teamID, formatTime(before)[:hourLen])
	return int(n), err
}
