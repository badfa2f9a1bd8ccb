package provlog

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

var ctx = context.Background()

// countingStore counts write transactions and can hold them at a gate.
type countingStore struct {
	store.Store
	txs  atomic.Int64
	gate chan struct{}
}

func (c *countingStore) Tx(ctx context.Context, fn func(store.Tx) error) error {
	if c.gate != nil {
		<-c.gate
	}
	c.txs.Add(1)
	return c.Store.Tx(ctx, fn)
}

func openStore(t *testing.T) *countingStore {
	t.Helper()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &countingStore{Store: st}
}

func mkTeam(t *testing.T, st store.Store, id string) {
	t.Helper()
	err := st.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateTeam(ctx, store.Team{ID: id, Slug: id, Name: id, AdminEmail: "a@" + id + ".example", DefaultRole: "Developer", Created: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func entry(team string, i int, at time.Time) Entry {
	return Entry{TeamID: team, At: at, Method: "POST", Path: "/scim/v2/Users", Status: 201, Latency: time.Millisecond,
		Body: []byte(fmt.Sprintf(`{"userName":"u%d","password":"pw-%d"}`, i, i)), BodyBytes: 30, RequestID: fmt.Sprint(i)}
}

func count(t *testing.T, st store.Store, team string) int {
	t.Helper()
	es, err := st.QueryProvisioningLog(ctx, team, store.ProvisioningQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestBatching(t *testing.T) {
	tests := []struct {
		name       string
		entries    int
		batch      int
		maxBatches int64
	}{
		{"one partial batch", 7, 500, 1},
		{"many requests few transactions", 2000, 500, 4},
		{"small batches", 1000, 100, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			l := New(st, nil, Config{BatchSize: tc.batch, QueueSize: 5000, FlushEvery: time.Hour, PruneEvery: -1})
			now := time.Now()
			for i := 0; i < tc.entries; i++ {
				if !l.Add(entry("t1", i, now)) {
					t.Fatalf("entry %d dropped", i)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := count(t, st, "t1"); got != tc.entries {
				t.Fatalf("stored %d entries, want %d", got, tc.entries)
			}
			if got := st.txs.Load(); got > tc.maxBatches || got != l.Batches() {
				t.Fatalf("%d transactions (logger says %d), want at most %d", got, l.Batches(), tc.maxBatches)
			}
			if l.Written() != int64(tc.entries) || l.Dropped() != 0 {
				t.Fatalf("written %d dropped %d", l.Written(), l.Dropped())
			}
		})
	}
}

func TestStoredBodyIsRedacted(t *testing.T) {
	st := openStore(t)
	l := New(st, nil, Config{FlushEvery: 10 * time.Millisecond, PruneEvery: -1})
	defer l.Close()
	l.Add(Entry{TeamID: "t1", At: time.Now(), Method: "PATCH", Path: "/scim/v2/Users/u1", RawQuery: "token=abc", Status: 200,
		Body: []byte(`{"Operations":[{"op":"replace","path":"password","value":"topsecret"}]}`)})
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := st.QueryProvisioningLog(ctx, "t1", store.ProvisioningQuery{})
	if err != nil || len(es) != 1 {
		t.Fatalf("%v %v", es, err)
	}
	e := es[0]
	if strings.Contains(e.RequestBody, "topsecret") || strings.Contains(e.Query, "abc") || e.ResourceID != "u1" || e.ResourceType != "Users" {
		t.Fatalf("stored %+v", e)
	}
}

func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	st := openStore(t)
	st.gate = make(chan struct{}) // every write waits here
	l := New(st, nil, Config{BatchSize: 5, QueueSize: 10, FlushEvery: time.Millisecond, PruneEvery: -1})
	// Every write is stuck at the gate: if Add waited for the writer, this
	// loop would never end (the watchdog below is a deadlock guard, not a
	// speed limit).
	queued := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if l.Add(entry("t1", i, time.Now())) {
				queued++
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Add blocked on a stuck writer")
	}
	if l.Dropped() == 0 || int64(queued)+l.Dropped() != 200 {
		t.Fatalf("queued %d, dropped %d", queued, l.Dropped())
	}
	if queued > 10+5 { // the queue plus at most one batch in hand
		t.Fatalf("queued %d with a queue of 10", queued)
	}
	close(st.gate)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "t1"); got != queued {
		t.Fatalf("stored %d, queued %d", got, queued)
	}
	if l.Add(entry("t1", 0, time.Now())) {
		t.Fatal("Add after Close queued an entry")
	}
}

func TestFlushWritesBeforeTheInterval(t *testing.T) {
	st := openStore(t)
	l := New(st, nil, Config{FlushEvery: time.Hour, PruneEvery: -1})
	defer l.Close()
	for i := 0; i < 3; i++ {
		l.Add(entry("t1", i, time.Now()))
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "t1"); got != 3 {
		t.Fatalf("stored %d after Flush", got)
	}
}

func TestPrune(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	type batch struct {
		team string
		n    int
		age  time.Duration
	}
	tests := []struct {
		name  string
		days  int
		rows  int
		data  []batch
		want  map[string]int
		wantN int
	}{
		{name: "age", days: 30, rows: 100000,
			data:  []batch{{"a", 3, 40 * day}, {"a", 4, 29 * day}, {"b", 2, 31 * day}, {"b", 1, time.Hour}},
			want:  map[string]int{"a": 4, "b": 1},
			wantN: 5},
		{name: "rows per team", days: 30, rows: 5,
			data:  []batch{{"a", 8, day}, {"a", 2, 2 * day}, {"b", 5, day}, {"c", 3, day}},
			want:  map[string]int{"a": 5, "b": 5, "c": 3},
			wantN: 5},
		{name: "both, over several transactions", days: 7, rows: 1000,
			data:  []batch{{"a", 4500, 8 * day}, {"a", 1200, day}},
			want:  map[string]int{"a": 1000},
			wantN: 4500 + 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			for _, team := range []string{"a", "b", "c"} {
				mkTeam(t, st, team)
			}
			clock := func() time.Time { return now }
			l := New(st, nil, Config{Days: tc.days, RowsPerTeam: tc.rows, BatchSize: 500, QueueSize: 10000, FlushEvery: time.Hour, PruneEvery: -1, Now: clock})
			defer l.Close()
			i := 0
			for _, b := range tc.data {
				for j := 0; j < b.n; j++ {
					i++
					// Distinct times, newest last within a batch.
					l.Add(entry(b.team, i, now.Add(-b.age).Add(time.Duration(j)*time.Millisecond)))
				}
			}
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := l.Prune(ctx)
			if err != nil || n != tc.wantN {
				t.Fatalf("Prune = %d, %v; want %d", n, err, tc.wantN)
			}
			for team, want := range tc.want {
				if got := count(t, st, team); got != want {
					t.Errorf("team %s keeps %d, want %d", team, got, want)
				}
			}
			// The newest survive.
			es, _ := st.QueryProvisioningLog(ctx, "a", store.ProvisioningQuery{Limit: 1})
			if len(es) == 1 && now.Sub(es[0].At) > time.Duration(tc.days)*day {
				t.Errorf("newest kept entry is %v old", now.Sub(es[0].At))
			}
			if n, _ := l.Prune(ctx); n != 0 {
				t.Errorf("second prune deleted %d", n)
			}
		})
	}
}
