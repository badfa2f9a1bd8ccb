// Package provlog is the provisioning log's writer: it takes one entry per
// SCIM request from the HTTP layer without blocking it, redacts the body,
// and writes entries in batches from one background goroutine, so a SCIM
// read never turns into a database write. It also prunes the log by age
// and by rows per team.
package provlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Config sets the buffer, batching and retention. Zero fields take the
// defaults.
type Config struct {
	// Days of entries kept. Default 30.
	Days int
	// RowsPerTeam caps each team's entries (the oldest go first).
	// Default 100,000.
	RowsPerTeam int
	// QueueSize bounds the entries waiting to be written; beyond it new
	// entries are dropped (and counted), never waited for. Default 10,000.
	QueueSize int
	// BatchSize is the most entries written in one transaction. Default 500.
	BatchSize int
	// FlushEvery is the longest an entry waits for its batch. Default 500ms.
	FlushEvery time.Duration
	// PruneEvery is how often retention runs. Default 10 minutes; negative
	// disables the periodic prune (Prune can still be called).
	PruneEvery time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Days <= 0 {
		c.Days = 30
	}
	if c.RowsPerTeam <= 0 {
		c.RowsPerTeam = 100_000
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 10_000
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 500 * time.Millisecond
	}
	if c.PruneEvery == 0 {
		c.PruneEvery = 10 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Entry is what the HTTP layer hands over: the request as it was, body
// not yet redacted (that happens off the request path).
type Entry struct {
	TeamID, KeyID, KeyName string
	At                     time.Time
	Method, Path, RawQuery string
	Status                 int
	Latency                time.Duration
	UserAgent, RequestID   string
	IP                     string
	ErrorDetail, ErrorBody string
	// Body holds at most MaxBody bytes of the request body; Truncated says
	// there was more, BodyBytes how much was read in all.
	Body      []byte
	Truncated bool
	BodyBytes int64
}

// Logger is the buffered writer. Add never blocks; Close flushes.
type Logger struct {
	st  store.Store
	log *slog.Logger
	cfg Config

	ch      chan Entry
	flushCh chan chan struct{}
	pingCh  chan chan struct{} // Check's: answered between batches, nothing written
	done    chan struct{}
	closed  atomic.Bool
	closeMu sync.RWMutex // Add holds it shared, Close exclusively

	dropped  atomic.Int64
	written  atomic.Int64
	batches  atomic.Int64
	lastWarn atomic.Int64 // unix nanos of the last drop warning
}

// New starts a Logger writing to st.
func New(st store.Store, log *slog.Logger, cfg Config) *Logger {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	l := &Logger{st: st, log: log, cfg: cfg, ch: make(chan Entry, cfg.QueueSize),
		flushCh: make(chan chan struct{}), pingCh: make(chan chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

// Config returns the settings in force (defaults applied).
func (l *Logger) Config() Config { return l.cfg }

// Add queues an entry. When the queue is full the entry is dropped and
// counted (a warning is logged at most once a minute): a slow database
// must never slow SCIM down. It reports whether the entry was queued.
func (l *Logger) Add(e Entry) bool {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed.Load() {
		l.dropped.Add(1)
		return false
	}
	select {
	case l.ch <- e:
		return true
	default:
		n := l.dropped.Add(1)
		now := time.Now().UnixNano()
		last := l.lastWarn.Load()
		if now-last >= int64(time.Minute) && l.lastWarn.CompareAndSwap(last, now) {
			l.log.Warn("provisioning log queue full: entries dropped", "dropped_total", n, "queue_size", l.cfg.QueueSize)
		}
		return false
	}
}

// Dropped is how many entries were dropped since start.
func (l *Logger) Dropped() int64 { return l.dropped.Load() }

// Written is how many entries were written since start.
func (l *Logger) Written() int64 { return l.written.Load() }

// Batches is how many write transactions ran since start.
func (l *Logger) Batches() int64 { return l.batches.Load() }

// Queued is how many entries wait to be written now.
func (l *Logger) Queued() int { return len(l.ch) }

// Check reports whether the writer runs: it has not been closed, and its
// goroutine answers (between two batches; nothing is written for it)
// before ctx ends. /healthz/ready asks it.
func (l *Logger) Check(ctx context.Context) error {
	if l.closed.Load() {
		return errors.New("provisioning log: the writer has stopped")
	}
	ack := make(chan struct{})
	select {
	case l.pingCh <- ack:
	case <-l.done:
		return errors.New("provisioning log: the writer has stopped")
	case <-ctx.Done():
		return fmt.Errorf("provisioning log: the writer is not answering (a batch write is stuck?): %w", ctx.Err())
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("provisioning log: the writer is not answering: %w", ctx.Err())
	}
}

// Flush waits until every entry queued before the call is written (or
// ctx ends). Tests and the admin API use it; requests never do.
func (l *Logger) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case l.flushCh <- ack:
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking entries, writes what is queued and stops the
// goroutine. It is safe to call more than once.
func (l *Logger) Close() error {
	l.closeMu.Lock()
	if l.closed.Swap(true) {
		l.closeMu.Unlock()
		<-l.done
		return nil
	}
	close(l.ch)
	l.closeMu.Unlock()
	<-l.done
	return nil
}

func (l *Logger) loop() {
	defer close(l.done)
	tick := time.NewTicker(l.cfg.FlushEvery)
	defer tick.Stop()
	var prune <-chan time.Time
	if l.cfg.PruneEvery > 0 {
		pt := time.NewTicker(l.cfg.PruneEvery)
		defer pt.Stop()
		prune = pt.C
	}
	batch := make([]Entry, 0, l.cfg.BatchSize)
	write := func() {
		if len(batch) > 0 {
			l.write(batch)
			batch = batch[:0]
		}
	}
	// drain takes what is already queued, writing full batches.
	drain := func() {
		for {
			select {
			case e, ok := <-l.ch:
				if !ok {
					return
				}
				if batch = append(batch, e); len(batch) >= l.cfg.BatchSize {
					write()
				}
			default:
				return
			}
		}
	}
	for {
		select {
		case e, ok := <-l.ch:
			if !ok {
				write()
				return
			}
			if batch = append(batch, e); len(batch) >= l.cfg.BatchSize {
				write()
			}
		case <-tick.C:
			write()
		case ack := <-l.flushCh:
			drain()
			write()
			close(ack)
		case ack := <-l.pingCh:
			close(ack)
		case <-prune:
			write()
			if _, err := l.Prune(context.Background()); err != nil {
				l.log.Warn("provisioning log prune", "err", err)
			}
		}
	}
}

// write stores one batch in one transaction. A failed batch is logged
// and dropped (counted): the log must not grow memory without bound.
func (l *Logger) write(batch []Entry) {
	rows := make([]store.ProvisioningEntry, len(batch))
	for i, e := range batch {
		rows[i] = Record(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.st.Tx(ctx, func(tx store.Tx) error { return tx.AppendProvisioningLog(ctx, rows) })
	if err != nil {
		l.dropped.Add(int64(len(batch)))
		l.log.Warn("provisioning log write failed: entries dropped", "entries", len(batch), "err", err)
		return
	}
	l.batches.Add(1)
	l.written.Add(int64(len(batch)))
}

// Record turns an entry into the stored row: id, redacted body and query,
// the resource named by the path.
func Record(e Entry) store.ProvisioningEntry {
	rt, rid := Resource(e.Path)
	return store.ProvisioningEntry{
		TeamID: e.TeamID, ID: newID(e.At), At: e.At, Method: e.Method, Path: e.Path, Query: RedactQuery(e.RawQuery),
		Status: e.Status, Latency: e.Latency, UserAgent: truncate(e.UserAgent, 512), KeyID: e.KeyID, KeyName: e.KeyName,
		RequestID: e.RequestID, IP: e.IP, ResourceType: rt, ResourceID: rid,
		ErrorDetail: truncate(e.ErrorDetail, 4096), ErrorBody: RedactBody(truncBytes(e.ErrorBody, MaxBody), len(e.ErrorBody) > MaxBody),
		RequestBody: RedactBody(e.Body, e.Truncated), BodyTruncated: e.Truncated, BodyBytes: e.BodyBytes,
	}
}

// Resource names the resource type and id in a SCIM path:
// /scim/v2/Users/abc gives ("Users", "abc"); /scim/v2/Users gives
// ("Users", "").
func Resource(path string) (string, string) {
	_, rest, ok := strings.Cut(path, "/scim/v2/")
	if !ok {
		return "", ""
	}
	typ, id, _ := strings.Cut(strings.Trim(rest, "/"), "/")
	if strings.HasPrefix(id, ".") { // /.search
		id = ""
	}
	id, _, _ = strings.Cut(id, "/")
	return typ, id
}

// Prune applies retention to every team: entries older than Days, and
// beyond the newest RowsPerTeam, go, in small transactions so writers are
// never held up for long. It returns how many entries were deleted.
func (l *Logger) Prune(ctx context.Context) (int, error) {
	teams, err := l.st.ListTeams(ctx)
	if err != nil {
		return 0, err
	}
	before := l.cfg.Now().Add(-time.Duration(l.cfg.Days) * 24 * time.Hour)
	total := 0
	for _, t := range teams {
		for {
			var n int
			err := l.st.Tx(ctx, func(tx store.Tx) error {
				var err error
				n, err = tx.PruneProvisioningLog(ctx, t.ID, before, l.cfg.RowsPerTeam, 2000)
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < 2000 {
				break
			}
		}
	}
	return total, nil
}

// newID is time-ordered (so ids of one instant still sort by arrival)
// and random: 12 hex digits of milliseconds, then 16 random.
func newID(at time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ms := uint64(at.UnixMilli())
	var t [6]byte
	for i := 5; i >= 0; i-- {
		t[i] = byte(ms)
		ms >>= 8
	}
	return hex.EncodeToString(t[:]) + hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func truncBytes(s string, n int) []byte {
	if len(s) <= n {
		return []byte(s)
	}
	return []byte(s[:n])
}
