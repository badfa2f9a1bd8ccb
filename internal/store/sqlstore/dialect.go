package sqlstore

import (
	"strings"
	"time"
)

// Dialect holds what differs between SQL backends. Queries are written
// once with ? placeholders and rebound for backends that number them.
type Dialect struct {
	Name string // "sqlite" or "postgres": also the migrations directory
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// IsUniqueViolation recognises the backend's uniqueness error.
	IsUniqueViolation func(error) bool
	// Contains returns SQL true when haystack contains needle (case-exact).
	Contains func(haystack, needle string) string
	// JSONValue reads the scalar at path (object keys) from a JSON text
	// column, as SQL text, number or boolean; NULL when absent.
	JSONValue func(col string, path []string) string
	// JSONEach returns a FROM item listing the elements of the array at
	// path, named alias, and a function giving the expression of a key
	// path inside one element (nil: the element itself).
	JSONEach func(col string, path []string, alias string) (from string, elem func(path []string) string)
	// JSONBoolIs is true when a JSONValue expression holds the boolean b.
	JSONBoolIs func(expr string, b bool) string
	// JSONNumber casts a JSONValue expression for numeric comparison.
	JSONNumber func(expr string) string
	// UnindexedOrder, when set, wraps an ORDER BY column so the planner
	// can't satisfy the order from an index. SQLite's planner, without
	// statistics, would rather walk a team in creation order than look a
	// userName up and sort one row; PostgreSQL decides from statistics.
	UnindexedOrder func(col string) string
	// MigrationLock, when set, is run first in every migration transaction
	// (and the transaction that creates schema_migrations), so processes
	// starting at once take turns: e.g. PostgreSQL's pg_advisory_xact_lock.
	// SQLite needs none: its write transactions are already exclusive.
	MigrationLock string
	// WritableCTE: the backend runs an INSERT inside WITH (PostgreSQL), so
	// a transaction's events are numbered and written in one statement,
	// one round trip fewer while the team's counter row is held.
	WritableCTE bool
	// RowLock, when set, ends the reads of one user or group inside a write
	// transaction (" FOR UPDATE"), so concurrent read-modify-writes of one
	// resource queue on its row instead of failing the version check.
	// SQLite needs none: BEGIN IMMEDIATE already serialises writers.
	RowLock string
	// Retryable, when set, recognises errors after which a whole write
	// transaction may be run again: serialization failures and deadlocks.
	Retryable func(error) bool
	// CacheStatements keeps queries prepared (per connection) instead of
	// preparing each one anew: for drivers without a statement cache of
	// their own (pgx has one; SQLite's driver doesn't).
	CacheStatements bool
	// SerializeWrites queues this process's write transactions on a Go
	// lock before BEGIN. SQLite has one writer at a time anyway; without
	// it, waiting writers poll the database lock in the busy handler,
	// burning CPU and holding pooled connections while they wait. Another
	// process (a CLI command) still waits on the busy timeout.
	SerializeWrites bool
	// TeamUserStats says the migrations keep team_user_stats (a team's
	// user count and change counter, by triggers): unfiltered user lists
	// then read their total there and page from cached cursors instead of
	// counting and skipping rows (userstats.go). SQLite only: its writes
	// are serialised anyway, so the one counter row per team costs no
	// concurrency; on PostgreSQL it would make every create of a team
	// queue on that row.
	TeamUserStats bool
	// OpaqueLimit writes every "LIMIT ?" as "LIMIT (SELECT ?)". SQLite's
	// planner reads a bound LIMIT's value, so unbinding it expires the
	// statement; the driver clears bindings after every run, and each run
	// of a list query was prepared again (a tenth of the CPU of a lookup
	// load, and the statement cache bought nothing for lists). A scalar
	// subquery is evaluated at run time only.
	OpaqueLimit bool
	// Checkpoint, when set, is run every CheckpointEvery by a background
	// goroutine of the Store: SQLite's WAL checkpoint, taken off the
	// commit path (the connections open with wal_autocheckpoint off). An
	// automatic checkpoint runs inside the COMMIT that crosses the WAL's
	// threshold, with the write lock held, and its fsyncs held every
	// writer for 0.1–2 s on a busy disk; a PASSIVE checkpoint beside the
	// writers holds no write lock. Commits are as durable as before.
	// Checkpoint answers one row (busy, WAL frames, frames checkpointed).
	Checkpoint      string
	CheckpointEvery time.Duration
	// CheckpointReset is run, with the write lock held, when the WAL has
	// more than CheckpointResetFrames frames: a checkpoint that restarts
	// the WAL, so it can't grow without bound under constant writes.
	CheckpointReset       string
	CheckpointResetFrames int
}

// unindexed is col wrapped by UnindexedOrder, when the dialect has one.
func (d Dialect) unindexed(col string) string {
	if d.UnindexedOrder == nil {
		return col
	}
	return d.UnindexedOrder(col)
}

func (d Dialect) rebind(q string) string {
	if d.OpaqueLimit && strings.Contains(q, "LIMIT ?") {
		q = strings.ReplaceAll(q, "LIMIT ?", "LIMIT (SELECT ?)")
	}
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	quoted := false // inside a '…' literal, where ? is just a character
	for i := 0; i < len(q); i++ {
		if q[i] == '\'' {
			quoted = !quoted
		}
		if q[i] == '?' && !quoted {
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
