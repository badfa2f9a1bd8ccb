package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/rosterhq/roster/internal/store"
)

// Unfiltered user lists in the default order (an IdP's import: every
// member, a page of 100 at a time) on dialects with Dialect.TeamUserStats.
//
// SQLite counts a team by walking every entry of an index, and LIMIT …
// OFFSET n walks n entries before the page: at 100,000 members a page cost
// ~12 ms for its totalResults and ~6 ms on average for its offset, and an
// import was quadratic in the team's size. Two things remove both costs:
//
//   - team_user_stats (migration 0006) holds each team's exact number of
//     users, kept by triggers in the transaction of every insert and
//     delete: totalResults is one primary-key read.
//   - a cursor cache remembers, per team, the (created, id) of the last
//     row of pages served, by position. A page that starts at or after a
//     remembered position seeks there in the users_order index and skips
//     only the rows between. A cursor is valid only while the team's
//     change counter (bumped by the same triggers) is the value it was
//     recorded under, so any insert or delete, by any process, retires
//     every cursor of the team: answers are exactly those of OFFSET.

// maxCursorTeams and maxCursorsPerTeam bound the cache's memory (a few
// hundred kilobytes at most).
const (
	maxCursorTeams    = 64
	maxCursorsPerTeam = 1024
)

// cursorKey is a row's position in the default order, as stored.
type cursorKey struct{ created, id string }

type teamCursors struct {
	changes int64
	at      map[int]cursorKey // position p → the key of row p (1-based): p rows come before the next
}

type cursorCache struct {
	mu    sync.Mutex
	teams map[string]*teamCursors
}

func newCursorCache() *cursorCache { return &cursorCache{teams: map[string]*teamCursors{}} }

// near returns the remembered position closest to offset from below, with
// its key; 0 when none is valid for changes.
func (c *cursorCache) near(teamID string, changes int64, offset int) (int, cursorKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.teams[teamID]
	if tc == nil || tc.changes != changes {
		return 0, cursorKey{}
	}
	if k, ok := tc.at[offset]; ok {
		return offset, k
	}
	best, key := 0, cursorKey{}
	for p, k := range tc.at {
		if p <= offset && p > best {
			best, key = p, k
		}
	}
	return best, key
}

// put remembers that, while the team's counter is changes, pos rows come
// before and including key.
func (c *cursorCache) put(teamID string, changes int64, pos int, key cursorKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.teams[teamID]
	if tc == nil {
		if len(c.teams) >= maxCursorTeams {
			for t := range c.teams { // evict one team, any
				delete(c.teams, t)
				break
			}
		}
		tc = &teamCursors{}
		c.teams[teamID] = tc
	}
	if tc.changes != changes || tc.at == nil {
		tc.changes, tc.at = changes, map[int]cursorKey{}
	}
	if len(tc.at) >= maxCursorsPerTeam {
		for p := range tc.at {
			delete(tc.at, p)
			break
		}
	}
	tc.at[pos] = key
}

// userStats reads a team's user count and change counter; ok is false
// when the team has no stats row (no user was ever stored for it).
func (r reader) userStats(ctx context.Context, teamID string) (users int, changes int64, ok bool, err error) {
	err = r.row(ctx, `SELECT users, changes FROM team_user_stats WHERE team_id = ?`, teamID).Scan(&users, &changes)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	return users, changes, err == nil, err
}

// listAllUsers is ListUsers without filter and in the default order, on a
// dialect with team_user_stats. handled is false when the team has no
// stats row: the caller then runs the generic query.
func (r reader) listAllUsers(ctx context.Context, teamID string, p store.Page) (out []store.User, total int, handled bool, err error) {
	total, changes, ok, err := r.userStats(ctx, teamID)
	if err != nil || !ok {
		return nil, 0, ok, err
	}
	if p.Limit <= 0 {
		return nil, total, true, nil
	}
	if p.Offset >= total {
		// Past the end (the total was read first; a page read now could
		// only disagree with it if the team changed in between).
		return nil, total, true, nil
	}
	// Cursors are used and recorded only outside transactions: a change
	// counter read inside one may be rolled back, and then reused by
	// another change.
	cursors := r.cursors
	if r.tx != nil {
		cursors = nil
	}
	pos, key := 0, cursorKey{}
	if cursors != nil {
		pos, key = cursors.near(teamID, changes, p.Offset)
	}
	var rows *sql.Rows
	if pos > 0 {
		rows, err = r.query(ctx, `SELECT `+prefixCols("u", userCols)+` FROM users u WHERE u.team_id = ? AND (u.created, u.id) > (?, ?)
			ORDER BY u.created, u.id LIMIT ? OFFSET ?`, teamID, key.created, key.id, p.Limit, p.Offset-pos)
	} else {
		rows, err = r.query(ctx, `SELECT `+prefixCols("u", userCols)+` FROM users u WHERE u.team_id = ?
			ORDER BY u.created, u.id LIMIT ? OFFSET ?`, teamID, p.Limit, p.Offset)
	}
	if err != nil {
		return nil, 0, true, err
	}
	var last cursorKey
	for rows.Next() {
		u, created, err := scanUserRaw(rows)
		if err != nil {
			rows.Close()
			return nil, 0, true, err
		}
		out = append(out, u)
		last = cursorKey{created, u.ID}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, true, err
	}
	if cursors != nil && len(out) > 0 {
		// The counter unchanged after the page proves the page saw the
		// rows the counter stands for: only then is the cursor recorded.
		_, after, ok, err := r.userStats(ctx, teamID)
		if err != nil {
			return nil, 0, true, err
		}
		if ok && after == changes {
			cursors.put(teamID, changes, p.Offset+len(out), last)
		}
	}
	return out, total, true, nil
}
