package sqlstore

import (
	"container/list"
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
//
// It holds at most max statements and evicts the least recently used, so
// a flood of distinct queries (one team's varied filters) can't fill it
// for good and stop the hot queries (every IdP's userName lookup) from
// being cached. A query is prepared the second time it is seen, so a
// query run once costs no prepare and evicts nothing.
//
// An evicted statement is closed once nobody holds it: get hands out a
// lease, and a statement is closed by whoever lets go of it last, the
// cache or the caller. Closing one while a call on it runs or its Rows
// are open is safe in database/sql (Stmt.Close waits for running calls
// and defers the driver's close until the Rows close), but a call that
// starts after Close fails ("sql: statement is closed"): the lease covers
// the time between get and the call.
type stmtCache struct {
	db     *sql.DB
	max    int // statements kept; newStmtCache sets maxCachedStatements
	mu     sync.Mutex
	m      map[string]*stmtEntry
	lru    list.List // of *stmtEntry, most recently used first
	seen   map[string]*list.Element
	seenL  list.List // of string: queries seen once, most recent first
	closed bool
	wg     sync.WaitGroup // background prepares, waited for by close
}

type stmtEntry struct {
	q    string
	stmt *sql.Stmt // nil: being prepared, or unpreparable
	elem *list.Element
	// refs counts leases out; an evicted entry's statement is closed when
	// it drops to 0.
	refs    int
	evicted bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, max: maxCachedStatements, m: map[string]*stmtEntry{}, seen: map[string]*list.Element{}}
}

func noRelease() {}

// get returns the prepared statement for q and a release to call once
// the statement has been run (for a query: once it has returned its
// Rows; the Rows may stay open), or nil and a no-op when q isn't
// prepared (yet). A second miss prepares q in the background: preparing
// needs a connection of its own, and waiting for one while a transaction
// holds another could exhaust the pool (every other connection waiting
// on the write lock).
func (c *stmtCache) get(q string) (*sql.Stmt, func()) {
	c.mu.Lock()
	if e, ok := c.m[q]; ok {
		c.lru.MoveToFront(e.elem)
		if e.stmt == nil {
			c.mu.Unlock()
			return nil, noRelease
		}
		e.refs++
		c.mu.Unlock()
		return e.stmt, func() { c.release(e) }
	}
	if c.closed || !c.admit(q) {
		c.mu.Unlock()
		return nil, noRelease
	}
	e := &stmtEntry{q: q}
	e.elem = c.lru.PushFront(e)
	c.m[q] = e
	evicted := c.evictLocked()
	c.wg.Add(1)
	c.mu.Unlock()
	go c.prepare(e)
	closeAll(evicted)
	return nil, noRelease
}

// admit reports whether q was seen before (and forgets it), else
// remembers it among the last max queries seen once.
func (c *stmtCache) admit(q string) bool {
	if el, ok := c.seen[q]; ok {
		c.seenL.Remove(el)
		delete(c.seen, q)
		return true
	}
	c.seen[q] = c.seenL.PushFront(q)
	for c.seenL.Len() > c.max {
		last := c.seenL.Back()
		c.seenL.Remove(last)
		delete(c.seen, last.Value.(string))
	}
	return false
}

// evictLocked drops the least recently used entries past max and returns
// the statements nobody holds, for the caller to close outside the lock.
func (c *stmtCache) evictLocked() []*sql.Stmt {
	var free []*sql.Stmt
	for c.lru.Len() > c.max {
		e := c.lru.Remove(c.lru.Back()).(*stmtEntry)
		delete(c.m, e.q)
		e.evicted = true
		if e.stmt != nil && e.refs == 0 {
			free = append(free, e.stmt)
		}
		// A statement still being prepared is closed by prepare; one
		// leased out, by the last release.
	}
	return free
}

func (c *stmtCache) release(e *stmtEntry) {
	c.mu.Lock()
	e.refs--
	last := e.evicted && e.refs == 0
	c.mu.Unlock()
	if last {
		e.stmt.Close()
	}
}

func (c *stmtCache) prepare(e *stmtEntry) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.db.PrepareContext(ctx, e.q)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		return // stays nil: run unprepared; the query reports its own error
	}
	if c.closed || e.evicted {
		s.Close()
		return
	}
	e.stmt = s
}

func closeAll(stmts []*sql.Stmt) {
	for _, s := range stmts {
		s.Close()
	}
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
	for _, e := range c.m {
		if e.stmt != nil {
			e.stmt.Close()
		}
	}
	c.m = nil
	c.lru.Init()
	c.seen = nil
	c.seenL.Init()
}
