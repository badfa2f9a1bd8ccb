// Package sqlstore implements the store contract on database/sql. The SQL
// is shared by every backend; what differs lives in a Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/store"
)

// Store is a store.Store on one *sql.DB.
type Store struct {
	db *sql.DB
	d  Dialect
	reader
	// writeLock, when the dialect serialises writes, admits one write
	// transaction of this process at a time.
	writeLock chan struct{}
	// commits, when the dialect serialises writes, runs concurrent write
	// transactions in one database transaction (groupcommit.go).
	commits *groupCommitter
	// stopBackground ends the background checkpoints (Dialect.Checkpoint).
	stopBackground func()
	// observer hears of write transactions; checks are the backend's own
	// readiness checks (observe.go).
	observer atomic.Pointer[observerBox]
	checks   []func(context.Context) error
	// eventListeners hear which teams got events, after each commit
	// (events.go).
	eventMu        sync.Mutex
	eventListeners []func(teamIDs []string)
}

// New wraps an open database. Call Migrate before use.
func New(db *sql.DB, d Dialect) *Store {
	var stmts *stmtCache
	if d.CacheStatements {
		stmts = newStmtCache(db)
	}
	var cursors *cursorCache
	if d.TeamUserStats {
		cursors = newCursorCache()
	}
	s := &Store{db: db, d: d, reader: reader{q: db, d: d, stmts: stmts, cursors: cursors}}
	if d.SerializeWrites {
		s.writeLock = make(chan struct{}, 1)
		s.commits = newGroupCommitter(s)
	}
	if d.Checkpoint != "" && d.CheckpointEvery > 0 {
		s.stopBackground = s.checkpoints(d.CheckpointEvery)
	}
	return s
}

// checkpoints runs the dialect's checkpoint every interval until the
// returned stop is called. A passive checkpoint can't restart the WAL
// while writers keep readers busy near its tip, so once the WAL has grown
// past CheckpointResetFrames, one checkpoint that resets it runs with the
// write lock taken (writers queue on it for that checkpoint's time): the
// WAL stays bounded instead of growing with every write.
func (s *Store) checkpoints(every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			// Errors (the database busy, closing) are retried at the next
			// tick: checkpoints are housekeeping.
			var busy, frames, backfilled int
			if err := s.db.QueryRowContext(context.Background(), s.d.Checkpoint).Scan(&busy, &frames, &backfilled); err != nil {
				continue
			}
			if s.d.CheckpointReset != "" && frames > s.d.CheckpointResetFrames {
				if s.writeLock != nil {
					s.writeLock <- struct{}{}
				}
				_, _ = s.db.ExecContext(context.Background(), s.d.CheckpointReset)
				if s.writeLock != nil {
					<-s.writeLock
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// DB exposes the handle for backend-specific maintenance.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) Close() error {
	if s.commits != nil {
		s.commits.close()
	}
	if s.stopBackground != nil {
		s.stopBackground()
	}
	if s.stmts != nil {
		s.stmts.close()
	}
	return s.db.Close()
}

// Tx runs fn in a write transaction. On SQLite the driver begins it with
// BEGIN IMMEDIATE, so the write lock is taken up front and two writers
// never deadlock upgrading from a read lock.
//
// Where the dialect names retryable errors (PostgreSQL's serialization
// failures and deadlocks), the whole transaction is run again a few times,
// so fn must not depend on state a failed attempt left behind.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) error {
	o := s.obs()
	if o == nil {
		return s.tx(ctx, fn)
	}
	start := time.Now()
	err := s.tx(ctx, fn)
	o.ObserveTx(time.Since(start), err != nil)
	return err
}

// tx is Tx, unobserved.
func (s *Store) tx(ctx context.Context, fn func(store.Tx) error) error {
	if s.commits != nil {
		return s.commits.run(ctx, fn)
	}
	run := func() error {
		var teams []string // that got events (events.go)
		err := s.rawTx(ctx, func(tx *sql.Tx) error {
			t := &txStore{reader: reader{q: tx, d: s.d, lock: s.d.RowLock, stmts: s.stmts, tx: tx}}
			if err := fn(t); err != nil {
				return err
			}
			var err error
			teams, err = t.flushEvents(ctx) // numbered last: events.go
			return err
		})
		if err == nil {
			s.notifyEvents(teams)
		}
		return err
	}
	if s.d.Retryable == nil {
		return run()
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = run(); err == nil || !s.d.Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

func (s *Store) rawTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.writeLock != nil {
		select {
		case s.writeLock <- struct{}{}:
			defer func() { <-s.writeLock }()
		case <-ctx.Done():
			return fmt.Errorf("begin: %w", ctx.Err())
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type reader struct {
	q querier
	d Dialect
	// lock ends single-resource reads inside a write transaction
	// (Dialect.RowLock), so a read-modify-write holds the row until commit.
	lock string
	// stmts, when set, holds prepared statements (Dialect.CacheStatements);
	// tx is the transaction the reader runs in, if any.
	stmts *stmtCache
	tx    *sql.Tx
	// cursors, when the dialect keeps team_user_stats, remembers where
	// pages of unfiltered user lists ended (userstats.go).
	cursors *cursorCache
	// noCancel runs statements without the caller's cancellation: set in
	// a group commit of several transactions (groupcommit.go).
	noCancel bool
}

// stmt is the cached prepared statement for q (already rebound), bound to
// the transaction when there is one; nil when not cached (yet). Call
// release once the statement has run: until then the cache won't close
// it (stmtcache.go).
func (r reader) stmt(ctx context.Context, q string) (s *sql.Stmt, release func()) {
	if r.stmts == nil {
		return nil, noRelease
	}
	s, release = r.stmts.get(q)
	if s == nil || r.tx == nil {
		return s, release
	}
	defer release() // the transaction's statement keeps its parent open
	return r.tx.StmtContext(ctx, s), noRelease
}

func (r reader) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if r.noCancel {
		ctx = context.WithoutCancel(ctx)
	}
	q = r.d.rebind(q)
	var res sql.Result
	var err error
	if s, release := r.stmt(ctx, q); s != nil {
		res, err = s.ExecContext(ctx, args...)
		release()
	} else {
		res, err = r.q.ExecContext(ctx, q, args...)
	}
	if err != nil && r.d.IsUniqueViolation(err) {
		return nil, store.ErrConflict
	}
	return res, err
}

func (r reader) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if r.noCancel {
		ctx = context.WithoutCancel(ctx)
	}
	q = r.d.rebind(q)
	if s, release := r.stmt(ctx, q); s != nil {
		defer release()
		return s.QueryContext(ctx, args...)
	}
	return r.q.QueryContext(ctx, q, args...)
}

func (r reader) row(ctx context.Context, q string, args ...any) *sql.Row {
	if r.noCancel {
		ctx = context.WithoutCancel(ctx)
	}
	q = r.d.rebind(q)
	if s, release := r.stmt(ctx, q); s != nil {
		defer release()
		return s.QueryRowContext(ctx, args...)
	}
	return r.q.QueryRowContext(ctx, q, args...)
}

// Times are stored as fixed-width UTC text, so they sort and compare as
// strings identically on every backend.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Times are stored as fixed-width text, which sorts as time only for years
// 0000–9999; a bound outside them (a since of year 10000 from a query
// string) is clamped to the nearest representable instant, which orders
// the same against every stored time.
var (
	minStoredTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStoredTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func formatTime(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Before(minStoredTime):
		t = minStoredTime
	case t.After(maxStoredTime):
		t = maxStoredTime
	}
	return t.Format(timeLayout)
}

// nullString stores "" as NULL, for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// Fold is the case-folding used for case-insensitive keys (userName,
// displayName, emails): scim.Fold, run in Go, so every backend folds
// alike, and as FoldFunction folds in SQL (fold.go).
func Fold(s string) string { return scim.Fold(s) }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- teams and keys ----

const teamCols = `id, slug, name, admin_email, scim_enabled, default_role, created, user_extension, seat_limit, group_delete_deactivates`

func scanTeam(row interface{ Scan(...any) error }) (store.Team, error) {
	var t store.Team
	var created string
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.AdminEmail, &t.SCIMEnabled, &t.DefaultRole, &created, &t.UserExtension, &t.SeatLimit, &t.GroupDeleteDeactivates)
	t.Created = parseTime(created)
	return t, notFound(err)
}

func (r reader) TeamBySlug(ctx context.Context, slug string) (store.Team, error) {
	return scanTeam(r.row(ctx, `SELECT `+teamCols+` FROM teams WHERE slug = ?`, slug))
}

func (r reader) Team(ctx context.Context, id string) (store.Team, error) {
	return scanTeam(r.row(ctx, `SELECT `+teamCols+` FROM teams WHERE id = ?`, id))
}

func (r reader) ListTeams(ctx context.Context) ([]store.Team, error) {
	rows, err := r.query(ctx, `SELECT `+teamCols+` FROM teams ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const keyCols = `team_id, id, name, prefix, hash, created_by, created, expires_at, revoked_at, last_used_at, last_used_ip, privileged`

func scanKey(row interface{ Scan(...any) error }) (store.SCIMKey, error) {
	var k store.SCIMKey
	var created string
	var exp, rev, used sql.NullString
	err := row.Scan(&k.TeamID, &k.ID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedBy, &created, &exp, &rev, &used, &k.LastUsedIP, &k.Privileged)
	k.Created = parseTime(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = parseTimePtr(exp), parseTimePtr(rev), parseTimePtr(used)
	return k, notFound(err)
}

func (r reader) KeyByHash(ctx context.Context, hash []byte) (store.SCIMKey, error) {
	return scanKey(r.row(ctx, `SELECT `+keyCols+` FROM scim_keys WHERE hash = ?`, hash))
}

// KeyWithTeam finds a key by hash together with its team, in one
// statement: authentication runs on every SCIM request.
func (r reader) KeyWithTeam(ctx context.Context, hash []byte) (store.SCIMKey, store.Team, error) {
	var k store.SCIMKey
	var t store.Team
	var kCreated, tCreated string
	var exp, rev, used sql.NullString
	err := r.row(ctx, `SELECT `+prefixCols("k", keyCols)+`, `+prefixCols("t", teamCols)+`
		FROM scim_keys k JOIN teams t ON t.id = k.team_id WHERE k.hash = ?`, hash).Scan(
		&k.TeamID, &k.ID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedBy, &kCreated, &exp, &rev, &used, &k.LastUsedIP, &k.Privileged,
		&t.ID, &t.Slug, &t.Name, &t.AdminEmail, &t.SCIMEnabled, &t.DefaultRole, &tCreated, &t.UserExtension, &t.SeatLimit, &t.GroupDeleteDeactivates)
	k.Created, t.Created = parseTime(kCreated), parseTime(tCreated)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = parseTimePtr(exp), parseTimePtr(rev), parseTimePtr(used)
	return k, t, notFound(err)
}

func (r reader) ListKeys(ctx context.Context, teamID string) ([]store.SCIMKey, error) {
	rows, err := r.query(ctx, `SELECT `+keyCols+` FROM scim_keys WHERE team_id = ? ORDER BY created, id`, teamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SCIMKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ---- users ----

const userCols = `team_id, id, user_name, external_id, display_name, active, source, role, attrs, created, modified, version, account_id`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	u, _, err := scanUserRaw(row)
	return u, err
}

// scanUserRaw is scanUser that also returns the created column as stored.
func scanUserRaw(row interface{ Scan(...any) error }) (store.User, string, error) {
	var u store.User
	var attrs, created, modified string
	var account sql.NullString
	err := row.Scan(&u.TeamID, &u.ID, &u.UserName, &u.ExternalID, &u.DisplayName, &u.Active, &u.Source, &u.Role, &attrs, &created, &modified, &u.Version, &account)
	u.AccountID = account.String
	u.Attrs = []byte(attrs)
	u.Created, u.Modified = parseTime(created), parseTime(modified)
	return u, created, notFound(err)
}

func (r reader) User(ctx context.Context, teamID, id string) (store.User, error) {
	u, err := scanUser(r.row(ctx, `SELECT `+userCols+` FROM users WHERE team_id = ? AND id = ?`+r.lock, teamID, id))
	if err != nil {
		return u, err
	}
	u.Emails, err = r.emailsOf(ctx, teamID, id)
	return u, err
}

func (r reader) emailsOf(ctx context.Context, teamID, id string) ([]store.Email, error) {
	// The order must not come from the primary key (team, value, …): the
	// planner would walk every email of the team to avoid sorting two rows.
	rows, err := r.query(ctx, `SELECT value_key, type_key, is_primary FROM user_emails WHERE team_id = ? AND user_id = ?
		ORDER BY `+r.d.unindexed("value_key")+`, `+r.d.unindexed("type_key"), teamID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Email
	for rows.Next() {
		var e store.Email
		if err := rows.Scan(&e.Value, &e.Type, &e.Primary); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// listSQL compiles a query's WHERE and ORDER BY.
func (r reader) listSQL(attrs filterAttrs, alias, teamID string, q store.Query) (where string, whereArgs []any, order string, orderArgs []any, err error) {
	where, whereArgs, err = compileFilter(r.d, attrs, alias, teamID, q.Type, q.Filter)
	if err != nil {
		return
	}
	sel := q.Filter != nil && selective(attrs, q.Filter)
	order, orderArgs, err = orderBy(r.d, attrs, alias, teamID, q.Type, q.SortBy, q.Descending, sel)
	return
}

func (r reader) ListUsers(ctx context.Context, teamID string, q store.Query) ([]store.User, int, error) {
	if q.Filter == nil && q.SortBy == "" && r.d.TeamUserStats {
		if out, total, ok, err := r.listAllUsers(ctx, teamID, q.Page); ok || err != nil {
			return out, total, err
		}
	}
	where, args, order, orderArgs, err := r.listSQL(userFilterAttrs, "u", teamID, q)
	if err != nil {
		return nil, 0, err
	}
	countQ, countArgs := `SELECT count(*) FROM users u WHERE u.team_id = ?`+where, append([]any{teamID}, args...)
	if q.Limit <= 0 {
		total, err := r.count(ctx, countQ, countArgs)
		return nil, total, err
	}
	all := append(append(append([]any{teamID}, args...), orderArgs...), q.Limit, q.Offset)
	out, err := r.users(ctx, `SELECT `+prefixCols("u", userCols)+` FROM users u WHERE u.team_id = ?`+where+order+` LIMIT ? OFFSET ?`, all...)
	if err != nil {
		return nil, 0, err
	}
	if total, ok := pageTotal(q.Page, len(out)); ok {
		return out, total, nil
	}
	total, err := r.count(ctx, countQ, countArgs)
	return out, total, err
}

// pageTotal is the number of matches when a page of n rows tells it
// without a count: a page that is not full and not past the end ends the
// list. A lookup by userName (one row, or none, from the first page)
// then costs one query instead of two.
func pageTotal(p store.Page, n int) (int, bool) {
	if n < p.Limit && (n > 0 || p.Offset == 0) {
		return p.Offset + n, true
	}
	return 0, false
}

func (r reader) count(ctx context.Context, q string, args []any) (int, error) {
	var n int
	err := r.row(ctx, q, args...).Scan(&n)
	return n, err
}

func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = alias + "." + p
	}
	return strings.Join(parts, ", ")
}

// GroupsOfUser lists a user's groups by name (GroupsOfUsers for one).
func (r reader) GroupsOfUser(ctx context.Context, teamID, userID string) ([]store.GroupRef, error) {
	m, err := r.GroupsOfUsers(ctx, teamID, []string{userID})
	return m[userID], err
}

// GroupsOfUsers lists the groups of a page of users, each user's by name
// then id: one query per 512 users.
//
// The query reads only the users' membership rows (group_members_user),
// and each group's name by its primary key: with no join, no planner can
// start from the team's groups and walk every membership of each (as
// PostgreSQL did for a page of 100 users, and SQLite without statistics
// for one). The order is made here: display_name_key is Fold(display_name),
// and Go's string order is the byte order both backends sort by.
func (r reader) GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]store.GroupRef, error) {
	out := make(map[string][]store.GroupRef, len(userIDs))
	const chunk = 512
	for start := 0; start < len(userIDs); start += chunk {
		part := userIDs[start:min(start+chunk, len(userIDs))]
		// The list is padded to a power of two with an id no user has, so
		// the statement cache sees a handful of query texts, not one per
		// page size.
		n := 1
		for n < len(part) {
			n *= 2
		}
		args := make([]any, 0, n+1)
		args = append(args, teamID)
		for _, id := range part {
			args = append(args, id)
		}
		for len(args) < n+1 {
			args = append(args, "")
		}
		rows, err := r.query(ctx, `SELECT m.user_id, m.group_id,
			(SELECT g.display_name FROM scim_groups g WHERE g.team_id = m.team_id AND g.id = m.group_id)
			FROM group_members m WHERE m.team_id = ? AND m.user_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var uid string
			var g store.GroupRef
			var display sql.NullString
			if err := rows.Scan(&uid, &g.GroupID, &display); err != nil {
				rows.Close()
				return nil, err
			}
			if !display.Valid {
				continue // a group deleted without its memberships: not a group
			}
			g.Display = display.String
			out[uid] = append(out[uid], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, refs := range out {
		slices.SortFunc(refs, func(a, b store.GroupRef) int {
			if c := strings.Compare(Fold(a.Display), Fold(b.Display)); c != 0 {
				return c
			}
			return strings.Compare(a.GroupID, b.GroupID)
		})
	}
	return out, nil
}

func (r reader) ExistingUsers(ctx context.Context, teamID string, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := []any{teamID}
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := r.query(ctx, `SELECT id FROM users WHERE team_id = ? AND id IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- groups ----

const groupCols = `team_id, id, display_name, external_id, attrs, created, modified, version`

func scanGroup(row interface{ Scan(...any) error }) (store.Group, error) {
	var g store.Group
	var attrs, created, modified string
	err := row.Scan(&g.TeamID, &g.ID, &g.DisplayName, &g.ExternalID, &attrs, &created, &modified, &g.Version)
	g.Attrs = []byte(attrs)
	g.Created, g.Modified = parseTime(created), parseTime(modified)
	return g, notFound(err)
}

func (r reader) Group(ctx context.Context, teamID, id string) (store.Group, error) {
	return scanGroup(r.row(ctx, `SELECT `+groupCols+` FROM scim_groups WHERE team_id = ? AND id = ?`+r.lock, teamID, id))
}

func (r reader) ListGroups(ctx context.Context, teamID string, q store.Query) ([]store.Group, int, error) {
	where, args, order, orderArgs, err := r.listSQL(groupFilterAttrs, "g", teamID, q)
	if err != nil {
		return nil, 0, err
	}
	countQ, countArgs := `SELECT count(*) FROM scim_groups g WHERE g.team_id = ?`+where, append([]any{teamID}, args...)
	if q.Limit <= 0 {
		total, err := r.count(ctx, countQ, countArgs)
		return nil, total, err
	}
	all := append(append(append([]any{teamID}, args...), orderArgs...), q.Limit, q.Offset)
	rows, err := r.query(ctx, `SELECT `+prefixCols("g", groupCols)+` FROM scim_groups g WHERE g.team_id = ?`+where+order+` LIMIT ? OFFSET ?`, all...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []store.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if total, ok := pageTotal(q.Page, len(out)); ok {
		return out, total, nil
	}
	total, err := r.count(ctx, countQ, countArgs)
	return out, total, err
}

func (r reader) Members(ctx context.Context, teamID, groupID string) ([]store.MemberRef, error) {
	// Start from the group's rows: ordering by the users index would walk
	// the whole team to list a small group.
	rows, err := r.query(ctx, `SELECT u.id, u.display_name, u.user_name FROM group_members m JOIN users u ON u.team_id = m.team_id AND u.id = m.user_id
		WHERE m.team_id = ? AND m.group_id = ? ORDER BY `+r.d.unindexed("u.created")+`, `+r.d.unindexed("u.id"), teamID, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.MemberRef
	for rows.Next() {
		var m store.MemberRef
		var userName string
		if err := rows.Scan(&m.UserID, &m.Display, &userName); err != nil {
			return nil, err
		}
		if m.Display == "" {
			m.Display = userName
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r reader) MemberCount(ctx context.Context, teamID, groupID string) (int, error) {
	return r.count(ctx, `SELECT count(*) FROM group_members WHERE team_id = ? AND group_id = ?`, []any{teamID, groupID})
}

// MemberCountUpTo counts a group's members, stopping at limit: its cost
// is bounded by limit, not by the group's size.
func (r reader) MemberCountUpTo(ctx context.Context, teamID, groupID string, limit int) (int, error) {
	return r.count(ctx, `SELECT count(*) FROM (SELECT 1 FROM group_members WHERE team_id = ? AND group_id = ? LIMIT ?) m`, []any{teamID, groupID, limit})
}

// SeatsUsed counts active members holding any of seatRoles. Roles are a
// comma-separated list in users.role, matched as whole items.
func (r reader) SeatsUsed(ctx context.Context, teamID string, seatRoles []string) (int, error) {
	if len(seatRoles) == 0 {
		return 0, nil
	}
	conds := make([]string, len(seatRoles))
	args := []any{teamID}
	for i, role := range seatRoles {
		conds[i] = r.d.Contains("',' || role || ','", "?")
		args = append(args, ","+role+",")
	}
	return r.count(ctx, `SELECT count(*) FROM users WHERE team_id = ? AND active = 1 AND (`+strings.Join(conds, " OR ")+`)`, args)
}

func (r reader) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := r.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (r reader) GroupRoles(ctx context.Context, teamID, groupID string) ([]string, error) {
	return r.strings(ctx, `SELECT role FROM group_roles WHERE team_id = ? AND group_id = ? ORDER BY role`, teamID, groupID)
}

// RolesFromGroups reads the user's memberships first, then each of those
// groups' roles: a join left to the planner may start from the team's
// role bindings instead (SQLite without statistics does).
func (r reader) RolesFromGroups(ctx context.Context, teamID, userID string) ([]string, error) {
	return r.strings(ctx, `SELECT DISTINCT gr.role FROM group_roles gr WHERE gr.team_id = ?
		AND gr.group_id IN (SELECT m.group_id FROM group_members m WHERE m.team_id = ? AND m.user_id = ?) ORDER BY gr.role`, teamID, teamID, userID)
}

// SoleMembers reads the group's rows, and counts each member's groups
// through its own memberships: a member whose only group is this one. A
// scalar subquery stays a probe per member, where NOT EXISTS would let
// PostgreSQL hash every membership of the team instead.
func (r reader) SoleMembers(ctx context.Context, teamID, groupID string) ([]string, error) {
	return r.strings(ctx, `SELECT m.user_id FROM group_members m WHERE m.team_id = ? AND m.group_id = ?
		AND (SELECT count(*) FROM group_members o WHERE o.team_id = m.team_id AND o.user_id = m.user_id) = 1
		ORDER BY m.user_id`, teamID, groupID)
}

// ---- invites and audit ----

func (r reader) PendingInvite(ctx context.Context, teamID, email string) (store.Invite, error) {
	var inv store.Invite
	var created string
	var member sql.NullString
	err := r.row(ctx, `SELECT team_id, id, email, role, status, created, member_id FROM invites WHERE team_id = ? AND email_key = ? AND status = 'pending' ORDER BY created LIMIT 1`,
		teamID, Fold(email)).Scan(&inv.TeamID, &inv.ID, &inv.Email, &inv.Role, &inv.Status, &created, &member)
	inv.Created, inv.MemberID = parseTime(created), member.String
	return inv, notFound(err)
}

func (r reader) ListAudit(ctx context.Context, teamID string, limit int) ([]store.AuditEvent, error) {
	rows, err := r.query(ctx, `SELECT team_id, id, at, actor, action, target_type, target_id, detail, request_id, ip
		FROM audit_events WHERE team_id = ? ORDER BY at DESC, id DESC LIMIT ?`, teamID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at string
		if err := rows.Scan(&e.TeamID, &e.ID, &at, &e.Actor, &e.Action, &e.TargetType, &e.TargetID, &e.Detail, &e.RequestID, &e.IP); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- writes ----

type txStore struct {
	reader
	// seen holds the users this transaction read (under its write lock or
	// row lock) or wrote, by team and id, so UpdateUser writes only the
	// columns and email rows that changed: rewriting an unchanged indexed
	// column still rewrites its index entries.
	seen map[[2]string]store.User
	// events are the transaction's events, numbered and written when its
	// function returns (events.go).
	events []store.Event
}

// User reads a user and remembers it for UpdateUser.
func (t *txStore) User(ctx context.Context, teamID, id string) (store.User, error) {
	u, err := t.reader.User(ctx, teamID, id)
	if err == nil {
		if t.seen == nil {
			t.seen = map[[2]string]store.User{}
		}
		t.seen[[2]string{teamID, id}] = u
	}
	return u, err
}

func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (t *txStore) CreateTeam(ctx context.Context, tm store.Team) error {
	_, err := t.exec(ctx, `INSERT INTO teams (`+teamCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tm.ID, tm.Slug, tm.Name, tm.AdminEmail, boolInt(tm.SCIMEnabled), tm.DefaultRole, formatTime(tm.Created), tm.UserExtension,
		tm.SeatLimit, boolInt(tm.GroupDeleteDeactivates))
	return err
}

func (t *txStore) SetSCIMEnabled(ctx context.Context, teamID string, on bool) error {
	return mustAffect(t.exec(ctx, `UPDATE teams SET scim_enabled = ? WHERE id = ?`, boolInt(on), teamID))
}

func (t *txStore) SetUserExtension(ctx context.Context, teamID, ext string) error {
	return mustAffect(t.exec(ctx, `UPDATE teams SET user_extension = ? WHERE id = ?`, ext, teamID))
}

func (t *txStore) SetTeamPolicies(ctx context.Context, teamID string, seatLimit int, groupDeleteDeactivates bool) error {
	return mustAffect(t.exec(ctx, `UPDATE teams SET seat_limit = ?, group_delete_deactivates = ? WHERE id = ?`, seatLimit, boolInt(groupDeleteDeactivates), teamID))
}

func (t *txStore) SetGroupRoles(ctx context.Context, teamID, groupID string, roles []string) error {
	if _, err := t.exec(ctx, `DELETE FROM group_roles WHERE team_id = ? AND group_id = ?`, teamID, groupID); err != nil {
		return err
	}
	for _, r := range roles {
		if _, err := t.exec(ctx, `INSERT INTO group_roles (team_id, group_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, teamID, groupID, r); err != nil {
			return err
		}
	}
	return nil
}

func (t *txStore) CreateKey(ctx context.Context, k store.SCIMKey) error {
	_, err := t.exec(ctx, `INSERT INTO scim_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.TeamID, k.ID, k.Name, k.Prefix, k.Hash, k.CreatedBy, formatTime(k.Created),
		formatTimePtr(k.ExpiresAt), formatTimePtr(k.RevokedAt), formatTimePtr(k.LastUsedAt), k.LastUsedIP, boolInt(k.Privileged))
	return err
}

func (t *txStore) RevokeKey(ctx context.Context, teamID, id string, at time.Time) error {
	ts := formatTime(at)
	return mustAffect(t.exec(ctx, `UPDATE scim_keys SET revoked_at = CASE WHEN revoked_at IS NULL OR revoked_at > ? THEN ? ELSE revoked_at END
		WHERE team_id = ? AND id = ?`, ts, ts, teamID, id))
}

func (t *txStore) TouchKey(ctx context.Context, teamID, id string, at time.Time, ip string) error {
	return mustAffect(t.exec(ctx, `UPDATE scim_keys SET last_used_at = ?, last_used_ip = ? WHERE team_id = ? AND id = ?`, formatTime(at), ip, teamID, id))
}

func (t *txStore) CreateUser(ctx context.Context, u store.User) error {
	_, err := t.exec(ctx, `INSERT INTO users (team_id, id, user_name, user_name_key, external_id, display_name, display_name_key, active, source, role, attrs, created, modified, version, account_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.TeamID, u.ID, u.UserName, Fold(u.UserName), u.ExternalID, u.DisplayName, Fold(u.DisplayName), boolInt(u.Active), u.Source, u.Role,
		string(u.Attrs), formatTime(u.Created), formatTime(u.Modified), u.Version, nullString(u.AccountID))
	if err != nil {
		return err
	}
	return t.writeEmails(ctx, u)
}

func (t *txStore) writeEmails(ctx context.Context, u store.User) error {
	for _, e := range u.Emails {
		if _, err := t.exec(ctx, `INSERT INTO user_emails (team_id, user_id, value_key, type_key, is_primary) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.TeamID, u.ID, Fold(e.Value), Fold(e.Type), boolInt(e.Primary)); err != nil {
			return err
		}
	}
	return nil
}

// storedEmails is what writeEmails leaves in user_emails for emails, in
// the order emailsOf reads them: folded, the first of duplicates kept.
func storedEmails(emails []store.Email) []store.Email {
	out := make([]store.Email, 0, len(emails))
	for _, e := range emails {
		k := store.Email{Value: Fold(e.Value), Type: Fold(e.Type), Primary: e.Primary}
		if !slices.ContainsFunc(out, func(o store.Email) bool { return o.Value == k.Value && o.Type == k.Type }) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b store.Email) int {
		if c := strings.Compare(a.Value, b.Value); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out
}

func (t *txStore) UpdateUser(ctx context.Context, u store.User) error {
	key := [2]string{u.TeamID, u.ID}
	// prev is the row as stored, when this transaction read it and the
	// version check below proves it unchanged since.
	prev, known := t.seen[key]
	known = known && prev.Version == u.Version-1
	var set []string
	var args []any
	col := func(changed bool, name string, v any) {
		if changed || !known {
			set = append(set, name+" = ?")
			args = append(args, v)
		}
	}
	col(prev.UserName != u.UserName, "user_name", u.UserName)
	col(prev.UserName != u.UserName, "user_name_key", Fold(u.UserName))
	col(prev.ExternalID != u.ExternalID, "external_id", u.ExternalID)
	col(prev.DisplayName != u.DisplayName, "display_name", u.DisplayName)
	col(prev.DisplayName != u.DisplayName, "display_name_key", Fold(u.DisplayName))
	col(prev.Active != u.Active, "active", boolInt(u.Active))
	col(prev.Role != u.Role, "role", u.Role)
	col(string(prev.Attrs) != string(u.Attrs), "attrs", string(u.Attrs))
	col(true, "modified", formatTime(u.Modified))
	col(true, "version", u.Version)
	args = append(args, u.TeamID, u.ID, u.Version-1)
	res, err := t.exec(ctx, `UPDATE users SET `+strings.Join(set, ", ")+` WHERE team_id = ? AND id = ? AND version = ?`, args...)
	if err := t.versioned(ctx, res, err, "users", u.TeamID, u.ID); err != nil {
		return err
	}
	// Compared in Go's order on both sides: the database's collation may
	// order the rows it returned differently.
	emails := storedEmails(u.Emails)
	if !known || !slices.Equal(storedEmails(prev.Emails), emails) {
		if _, err := t.exec(ctx, `DELETE FROM user_emails WHERE team_id = ? AND user_id = ?`, u.TeamID, u.ID); err != nil {
			return err
		}
		if err := t.writeEmails(ctx, u); err != nil {
			return err
		}
	}
	if t.seen != nil {
		u.Emails = emails
		t.seen[key] = u
	}
	return nil
}

// versioned turns "no row updated" into ErrNotFound or, when the row exists
// with another version, ErrStale: the optimistic-concurrency check lives
// in the UPDATE itself.
func (t *txStore) versioned(ctx context.Context, res sql.Result, err error, table, teamID, id string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var one int
	if err := t.row(ctx, `SELECT 1 FROM `+table+` WHERE team_id = ? AND id = ?`, teamID, id).Scan(&one); err != nil {
		return notFound(err)
	}
	return store.ErrStale
}

func (t *txStore) DeleteUser(ctx context.Context, teamID, id string) error {
	delete(t.seen, [2]string{teamID, id})
	if err := mustAffect(t.exec(ctx, `DELETE FROM users WHERE team_id = ? AND id = ?`, teamID, id)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM user_emails WHERE team_id = ? AND user_id = ?`, teamID, id); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM group_members WHERE team_id = ? AND user_id = ?`, teamID, id)
	return err
}

func (t *txStore) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := t.exec(ctx, `INSERT INTO scim_groups (team_id, id, display_name, display_name_key, external_id, attrs, created, modified, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.TeamID, g.ID, g.DisplayName, Fold(g.DisplayName), g.ExternalID, string(g.Attrs), formatTime(g.Created), formatTime(g.Modified), g.Version)
	return err
}

func (t *txStore) UpdateGroup(ctx context.Context, g store.Group) error {
	res, err := t.exec(ctx, `UPDATE scim_groups SET display_name = ?, display_name_key = ?, external_id = ?, attrs = ?, modified = ?, version = ?
		WHERE team_id = ? AND id = ? AND version = ?`,
		g.DisplayName, Fold(g.DisplayName), g.ExternalID, string(g.Attrs), formatTime(g.Modified), g.Version, g.TeamID, g.ID, g.Version-1)
	return t.versioned(ctx, res, err, "scim_groups", g.TeamID, g.ID)
}

func (t *txStore) DeleteGroup(ctx context.Context, teamID, id string) error {
	if err := mustAffect(t.exec(ctx, `DELETE FROM scim_groups WHERE team_id = ? AND id = ?`, teamID, id)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM group_roles WHERE team_id = ? AND group_id = ?`, teamID, id); err != nil {
		return err
	}
	return t.RemoveAllMembers(ctx, teamID, id)
}

// AddMembers and RemoveMembers are the writes of events.go that report
// what they changed, with the report dropped.
func (t *txStore) LockTeam(ctx context.Context, teamID string) error {
	var id string
	return notFound(t.row(ctx, `SELECT id FROM teams WHERE id = ?`+t.lock, teamID).Scan(&id))
}

func (t *txStore) AddMembers(ctx context.Context, teamID, groupID string, userIDs []string) error {
	_, err := t.AddMembersChanged(ctx, teamID, groupID, userIDs)
	return err
}

func (t *txStore) RemoveMembers(ctx context.Context, teamID, groupID string, userIDs []string) error {
	_, err := t.RemoveMembersChanged(ctx, teamID, groupID, userIDs)
	return err
}

func (t *txStore) RemoveAllMembers(ctx context.Context, teamID, groupID string) error {
	_, err := t.exec(ctx, `DELETE FROM group_members WHERE team_id = ? AND group_id = ?`, teamID, groupID)
	return err
}

func (t *txStore) CreateInvite(ctx context.Context, inv store.Invite) error {
	_, err := t.exec(ctx, `INSERT INTO invites (team_id, id, email, email_key, role, status, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		inv.TeamID, inv.ID, inv.Email, Fold(inv.Email), inv.Role, inv.Status, formatTime(inv.Created))
	return err
}

func (t *txStore) CloseInvite(ctx context.Context, teamID, id, status string, at time.Time) error {
	// A claimed invite stays open for its acceptance (or revocation).
	return mustAffect(t.exec(ctx, `UPDATE invites SET status = ?, closed_at = ? WHERE team_id = ? AND id = ?
		AND (status = 'pending' OR (status = 'claimed' AND ? <> 'claimed'))`, status, formatTime(at), teamID, id, status))
}

func (t *txStore) SetInviteMember(ctx context.Context, teamID, id, memberID string) error {
	return mustAffect(t.exec(ctx, `UPDATE invites SET member_id = ? WHERE team_id = ? AND id = ?`, nullString(memberID), teamID, id))
}

func (t *txStore) LinkAccount(ctx context.Context, teamID, userID, accountID string) error {
	if accountID == "" {
		return fmt.Errorf("link member %s: no account", userID)
	}
	u, err := t.reader.User(ctx, teamID, userID)
	if err != nil {
		return err
	}
	switch u.AccountID {
	case accountID:
		return nil
	case "":
	default:
		return store.ErrConflict
	}
	res, err := t.exec(ctx, `UPDATE users SET account_id = ? WHERE team_id = ? AND id = ? AND account_id IS NULL`, accountID, teamID, userID)
	if err := mustAffect(res, err); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrConflict // linked concurrently
		}
		return err
	}
	if prev, ok := t.seen[[2]string{teamID, userID}]; ok {
		prev.AccountID = accountID
		t.seen[[2]string{teamID, userID}] = prev
	}
	return nil
}

func (t *txStore) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	_, err := t.exec(ctx, `INSERT INTO audit_events (team_id, id, at, actor, action, target_type, target_id, detail, request_id, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TeamID, e.ID, formatTime(e.At), e.Actor, e.Action, e.TargetType, e.TargetID, e.Detail, e.RequestID, e.IP)
	return err
}

// ExplainListUsers returns the database's plan for a user list query, for
// tests and operators checking that lookups use indexes.
func (s *Store) ExplainListUsers(ctx context.Context, prefix, teamID string, q store.Query) (string, error) {
	where, args, order, orderArgs, err := s.listSQL(userFilterAttrs, "u", teamID, q)
	if err != nil {
		return "", err
	}
	all := append(append(append([]any{teamID}, args...), orderArgs...), max(q.Limit, 1), q.Offset)
	rows, err := s.query(ctx, prefix+` SELECT `+prefixCols("u", userCols)+` FROM users u WHERE u.team_id = ?`+where+order+` LIMIT ? OFFSET ?`, all...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String(), rows.Err()
}
