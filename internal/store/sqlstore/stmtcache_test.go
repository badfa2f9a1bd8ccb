package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

// fakeDriver is a database/sql driver that only counts: how often each
// query is prepared and how often its driver statement is closed, and
// fails a statement used after its driver close.
type fakeDriver struct {
	mu       sync.Mutex
	prepared map[string]int
	closed   map[string]int
}

func newFakeDB(t *testing.T, conns int) (*fakeDriver, *sql.DB) {
	d := &fakeDriver{prepared: map[string]int{}, closed: map[string]int{}}
	db := sql.OpenDB(fakeConnector{d})
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	t.Cleanup(func() { db.Close() })
	return d, db
}

func (d *fakeDriver) counts(q string) (prepared, closed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.prepared[q], d.closed[q]
}

func (d *fakeDriver) totals() (prepared, closed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.prepared {
		prepared += n
	}
	for _, n := range d.closed {
		closed += n
	}
	return prepared, closed
}

func (d *fakeDriver) Open(string) (driver.Conn, error) { return &fakeConn{d: d}, nil }

type fakeConnector struct{ d *fakeDriver }

func (c fakeConnector) Connect(context.Context) (driver.Conn, error) { return &fakeConn{d: c.d}, nil }
func (c fakeConnector) Driver() driver.Driver                        { return c.d }

type fakeConn struct{ d *fakeDriver }

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.d.prepared[q]++
	return &fakeStmt{d: c.d, q: q}, nil
}
func (c *fakeConn) Close() error              { return nil }
func (c *fakeConn) Begin() (driver.Tx, error) { return fakeTx{}, nil }

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeStmt struct {
	d      *fakeDriver
	q      string
	closed bool // guarded by d.mu
}

func (s *fakeStmt) Close() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%q closed twice", s.q)
	}
	s.closed = true
	s.d.closed[s.q]++
	return nil
}

func (s *fakeStmt) NumInput() int { return -1 }

func (s *fakeStmt) check() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.closed {
		return fmt.Errorf("driver statement %q used after its close", s.q)
	}
	return nil
}

func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return driver.RowsAffected(1), nil
}

func (s *fakeStmt) Query([]driver.Value) (driver.Rows, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return &fakeRows{s: s}, nil
}

type fakeRows struct {
	s    *fakeStmt
	done bool
}

func (r *fakeRows) Columns() []string { return []string{"q"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	if err := r.s.check(); err != nil {
		return err
	}
	r.done = true
	dest[0] = r.s.q
	return nil
}

// use runs q through the cache as reader.exec does and reports whether a
// cached statement ran it.
func use(t *testing.T, c *stmtCache, q string) bool {
	t.Helper()
	s, release := c.get(q)
	defer release()
	if s == nil {
		return false
	}
	if _, err := s.ExecContext(context.Background()); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return true
}

// cached prepares q (it is prepared on its second sighting) and fails
// unless the third use finds it.
func cached(t *testing.T, c *stmtCache, q string) {
	t.Helper()
	use(t, c, q)
	use(t, c, q)
	c.wg.Wait()
	if !use(t, c, q) {
		t.Fatalf("%s is not cached after three uses", q)
	}
}

// A flood of distinct queries evicts the least recently used statements
// and closes them; it never stops a hot query from being cached, nor a
// new one from becoming cached, which the cache before did once it held
// 512 statements.
func TestStmtCacheEvictsLeastRecentlyUsed(t *testing.T) {
	d, db := newFakeDB(t, 1)
	c := newStmtCache(db)
	c.max = 4
	defer c.close()

	const hot = "SELECT hot"
	if use(t, c, hot) || use(t, c, hot) {
		t.Fatal("a query seen for the first or second time was already prepared")
	}
	c.wg.Wait()
	if p, _ := d.counts(hot); p != 1 || !use(t, c, hot) {
		t.Fatalf("hot prepared %d times, want 1 and cached", p)
	}
	var flood []string
	for i := range 100 {
		q := fmt.Sprintf("SELECT flood %d", i)
		flood = append(flood, q)
		cached(t, c, q)
		if !use(t, c, hot) {
			t.Fatalf("the hot query was evicted after %d others", i+1)
		}
		if len(c.m) > c.max || c.lru.Len() != len(c.m) || c.seenL.Len() > c.max || len(c.seen) != c.seenL.Len() {
			t.Fatalf("%d entries, %d in the list, %d seen once; max %d", len(c.m), c.lru.Len(), len(c.seen), c.max)
		}
	}
	if p, cl := d.counts(hot); p != 1 || cl != 0 {
		t.Fatalf("hot prepared %d times, closed %d", p, cl)
	}
	for i, q := range flood {
		p, cl := d.counts(q)
		stillCached := i >= len(flood)-(c.max-1)
		if p != 1 || (cl == 1) == stillCached {
			t.Fatalf("%s: prepared %d, closed %d; still cached %v", q, p, cl, stillCached)
		}
	}
	// A new query still gets cached, however many came before.
	cached(t, c, "SELECT newcomer")
	if p, cl := d.totals(); p-cl > c.max {
		t.Fatalf("%d statements open, max %d", p-cl, c.max)
	}
}

// A query seen once is never prepared: one-off filters cost no prepare
// and push nothing out.
func TestStmtCacheOneOffQueriesAreNotPrepared(t *testing.T) {
	d, db := newFakeDB(t, 1)
	c := newStmtCache(db)
	c.max = 4
	defer c.close()
	cached(t, c, "SELECT hot")
	for i := range 1000 {
		use(t, c, fmt.Sprintf("SELECT once %d", i))
	}
	c.wg.Wait()
	if p, _ := d.totals(); p != 1 || !use(t, c, "SELECT hot") {
		t.Fatalf("%d prepares, want only the hot query's", p)
	}
}

// A statement evicted while leased out, or while its Rows are open, or
// while a transaction holds its own copy, is closed only when the last
// of them lets go, and works until then.
func TestStmtCacheClosesEvictedStatementsSafely(t *testing.T) {
	ctx := context.Background()
	d, db := newFakeDB(t, 3) // the rows and the transaction hold two
	c := newStmtCache(db)
	c.max = 2
	defer c.close()
	const leased, rowsQ, txQ = "SELECT leased", "SELECT rows", "SELECT tx"
	cached(t, c, leased)
	s, release := c.get(leased)
	cached(t, c, rowsQ)
	s2, release2 := c.get(rowsQ)
	rows, err := s2.QueryContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release2()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cached(t, c, txQ)
	s3, release3 := c.get(txQ)
	ts := tx.StmtContext(ctx, s3)
	release3()
	if s == nil || s2 == nil || s3 == nil {
		t.Fatal("not cached")
	}

	for i := range 10 {
		cached(t, c, fmt.Sprintf("SELECT evictor %d", i))
	}
	for _, q := range []string{leased, rowsQ, txQ} {
		if _, ok := c.m[q]; ok {
			t.Fatalf("%s is still cached", q)
		}
		if p, cl := d.counts(q); cl != 0 || p == 0 {
			t.Fatalf("%s prepared %d times, closed %d while in use", q, p, cl)
		}
	}
	if _, err := s.ExecContext(ctx); err != nil {
		t.Fatalf("leased statement after eviction: %v", err)
	}
	release()
	if _, cl := d.counts(leased); cl != 1 {
		t.Fatalf("leased statement closed %d times after its release", cl)
	}
	var got string
	if !rows.Next() || rows.Scan(&got) != nil || got != rowsQ {
		t.Fatalf("rows after eviction: %q %v", got, rows.Err())
	}
	rows.Close()
	if _, cl := d.counts(rowsQ); cl != 1 {
		t.Fatalf("statement with open rows closed %d times after they closed", cl)
	}
	if _, err := ts.ExecContext(ctx); err != nil {
		t.Fatalf("transaction's statement after eviction: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Prepared on the cache's connection, and on the transaction's.
	if p, cl := d.counts(txQ); cl != p {
		t.Fatalf("transaction's statement prepared %d times, closed %d after commit", p, cl)
	}
}

// Many goroutines run queries through reader (the path every store call
// takes), in and out of transactions, while the cache, holding two
// statements, evicts all the time: no call ever meets a closed
// statement, and every statement is closed in the end. Run with -race.
func TestStmtCacheConcurrentEviction(t *testing.T) {
	ctx := context.Background()
	d, db := newFakeDB(t, 4)
	c := newStmtCache(db)
	c.max = 2
	r := reader{q: db, stmts: c, d: Dialect{IsUniqueViolation: func(error) bool { return false }}}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				q := fmt.Sprintf("SELECT %d", rnd.IntN(6))
				rr := r
				var tx *sql.Tx
				if rnd.IntN(4) == 0 {
					var err error
					if tx, err = db.BeginTx(ctx, nil); err != nil {
						t.Error(err)
						return
					}
					rr.q, rr.tx = tx, tx
				}
				switch rnd.IntN(3) {
				case 0:
					if _, err := rr.exec(ctx, q); err != nil {
						t.Error(err)
					}
				case 1:
					rows, err := rr.query(ctx, q)
					if err != nil {
						t.Error(err)
						break
					}
					for rows.Next() {
					}
					if err := rows.Close(); err != nil || rows.Err() != nil {
						t.Error(err, rows.Err())
					}
				case 2:
					var got string
					if err := rr.row(ctx, q).Scan(&got); err != nil || got != q {
						t.Error(got, err)
					}
				}
				if tx != nil {
					if err := tx.Commit(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	c.close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if p, cl := d.totals(); p != cl || p == 0 {
		t.Fatalf("%d statements prepared, %d closed", p, cl)
	}
}
