package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// maxCachedStatements bounds the cache: filters compile to SQL whose text
// varies with the filter's shape, so the set of queries is open-ended.
const maxCachedStatements = 512

// stmtCache keeps prepared statements by query text, for drivers that
// would otherwise prepare every query anew (SQLite's: preparing was a
// quarter of the CPU of a PATCH). database/sql prepares a cached statement
// once on each connection that runs it, and a transaction reuses the one
// of its connection (Tx.StmtContext).
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt // nil value: being prepared, or unpreparable
	closed bool
	wg     sync.WaitGroup // background prepares, waited for by close
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for q, or nil the first times q is
// seen. A miss prepares q in the background: preparing needs a connection
// of its own, and waiting for one while a transaction holds another could
// exhaust the pool (every other connection waiting on the write lock).
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[q]
	if !ok && !c.closed && len(c.m) < maxCachedStatements {
		c.m[q] = nil
		c.wg.Add(1)
		go c.prepare(q)
	}
	return s
}

func (c *stmtCache) prepare(q string) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.db.PrepareContext(ctx, q)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		return // stays nil: run unprepared; the query reports its own error
	}
	if c.closed {
		s.Close()
		return
	}
	c.m[q] = s
}

// close stops caching, waits for background prepares (so none outlives
// the database) and closes the statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		if s != nil {
			s.Close()
		}
	}
	c.m = nil
}
