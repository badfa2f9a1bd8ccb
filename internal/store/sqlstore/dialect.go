package sqlstore

import "strings"

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
}

// unindexed is col wrapped by UnindexedOrder, when the dialect has one.
func (d Dialect) unindexed(col string) string {
	if d.UnindexedOrder == nil {
		return col
	}
	return d.UnindexedOrder(col)
}

func (d Dialect) rebind(q string) string {
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
