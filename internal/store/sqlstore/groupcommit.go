package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/rosterhq/roster/internal/store"
)

// Group commit, for dialects that serialise writes (SQLite).
//
// SQLite has one writer, and a commit costs the same whether it carries
// one change or twenty: the WAL frames of every page the transaction
// dirtied are written, and the pages that every write touches (the tail of
// audit_events and its indexes, the tail of users_modified) are written
// again by the next transaction. So concurrent write transactions are run
// together: one goroutine takes the queued transactions, begins one
// database transaction (BEGIN IMMEDIATE, as always), runs each
// transaction's function inside its own SAVEPOINT, and commits once.
//
//   - Isolation between them is the same as before: they run one after
//     another, each seeing the writes of those before it.
//   - A function that fails is rolled back to its savepoint and gets its
//     error; the others are not affected.
//   - Nobody hears of success before the COMMIT that holds their writes
//     succeeded: a 201 is as durable as before. If the COMMIT (or a
//     rollback to a savepoint) fails, every transaction of the batch gets
//     the error.
//   - A transaction whose context ended while it was queued is not run.
//     In a batch of several, a function's statements run without its
//     context's cancellation: an interrupted statement may roll back the
//     whole database transaction, and with it the others of the batch.

// maxBatch bounds the transactions committed together, so one commit
// never holds back a long queue.
const maxBatch = 32

type txReq struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan txResult
}

type txResult struct {
	err      error
	panicked any      // a panic of fn, re-raised on the caller's goroutine
	teams    []string // that got events, told after the commit (events.go)
}

type groupCommitter struct {
	s      *Store
	mu     sync.Mutex
	queue  []*txReq
	wake   chan struct{}
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newGroupCommitter(s *Store) *groupCommitter {
	g := &groupCommitter{s: s, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	g.wg.Add(1)
	go g.loop()
	return g
}

var errStoreClosed = errors.New("store closed")

// run queues fn and waits for the commit that carries it.
func (g *groupCommitter) run(ctx context.Context, fn func(store.Tx) error) error {
	req := &txReq{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return fmt.Errorf("begin: %w", errStoreClosed)
	}
	g.queue = append(g.queue, req)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	// Always wait for the answer: once taken into a batch, the function
	// runs and its outcome is known only at commit.
	res := <-req.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

func (g *groupCommitter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	close(g.stop)
	g.wg.Wait()
}

func (g *groupCommitter) take() []*txReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.queue), maxBatch)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return batch
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	for {
		batch := g.take()
		if len(batch) == 0 {
			select {
			case <-g.wake:
				continue
			case <-g.stop:
				// Close runs after the last writer: answer any stragglers.
				for b := g.take(); len(b) > 0; b = g.take() {
					for _, r := range b {
						r.done <- txResult{err: fmt.Errorf("begin: %w", errStoreClosed)}
					}
				}
				return
			}
		}
		g.runBatch(batch)
	}
}

func (g *groupCommitter) runBatch(batch []*txReq) {
	s := g.s
	results := make([]txResult, len(batch))
	// finish answers every transaction of the batch: those that ran and
	// succeeded get err (nil after a successful commit), the others keep
	// their own error; any not reached yet get err too.
	ran := make([]bool, len(batch))
	finish := func(err error) {
		for i, r := range batch {
			if res := results[i]; res.err == nil && res.panicked == nil {
				results[i].err = err
			}
			r.done <- results[i]
		}
	}
	// Requests whose caller gave up while queued are not run.
	live := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = fmt.Errorf("begin: %w", err)
		} else {
			live++
		}
	}
	if live == 0 {
		finish(nil)
		return
	}
	s.writeLock <- struct{}{}
	defer func() { <-s.writeLock }()
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	single := live == 1
	for i, r := range batch {
		if results[i].err != nil {
			continue
		}
		ran[i] = true
		if single {
			results[i] = g.call(tx, r.fn, false)
			continue
		}
		ctx := context.WithoutCancel(r.ctx)
		if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_tx"); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		results[i] = g.call(tx, r.fn, true)
		if results[i].err != nil || results[i].panicked != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch_tx"); err != nil {
				// The failure rolled back the whole transaction (SQLite does
				// on I/O errors, for one): nothing of the batch is kept.
				_ = tx.Rollback()
				finish(fmt.Errorf("rollback to savepoint after %v: %w", results[i].err, err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE batch_tx"); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if single {
		for i := range batch {
			if ran[i] && (results[i].err != nil || results[i].panicked != nil) {
				// The one function failed: nothing to commit.
				_ = tx.Rollback()
				finish(nil)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	if o := s.obs(); o != nil {
		o.ObserveGroupCommit(live)
	}
	for _, res := range results {
		if res.err == nil && res.panicked == nil {
			s.notifyEvents(res.teams)
		}
	}
	finish(nil)
}

// call runs one transaction's function, catching a panic so the batch
// goroutine survives it; the caller re-raises it.
// noCancel runs the function's statements without its context's
// cancellation (in a batch of several).
func (g *groupCommitter) call(tx *sql.Tx, fn func(store.Tx) error, noCancel bool) (res txResult) {
	defer func() {
		if v := recover(); v != nil {
			res = txResult{panicked: fmt.Sprintf("%v\n\n(in a write transaction:)\n%s", v, debug.Stack())}
		}
	}()
	t := &txStore{reader: reader{q: tx, d: g.s.d, lock: g.s.d.RowLock, stmts: g.s.stmts, tx: tx, noCancel: noCancel}}
	if err := fn(t); err != nil {
		return txResult{err: err}
	}
	// The events are numbered last, inside the function's savepoint: a
	// failure rolls the numbers back with the change (events.go).
	teams, err := t.flushEvents(context.Background())
	return txResult{err: err, teams: teams}
}
