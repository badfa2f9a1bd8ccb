package events

// The pull logic of the stream, on the embedded store: pages and cursors,
// the 400 and 410 rules, the long poll (woken by this process's commits,
// finding another process's by polling, ended by StopWaiting, the
// client's going and the request's deadline), pruning in batches, and the
// permission.

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service/domain"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testwait"
)

// streamClock is a clock the test moves.
type streamClock struct{ ns atomic.Int64 }

func (c *streamClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *streamClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

type streamEnv struct {
	t   *testing.T
	dir string
	st  store.Store

	svc   *Service
	clock *streamClock
	team  store.Team
}

func newStreamEnv(t *testing.T) *streamEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &streamClock{}
	clock.ns.Store(time.Now().UnixNano())
	svc := New(StoreOf(st), domain.Env{Now: clock.Now, Log: slog.Default}, st) // st tells of its commits

	e := &streamEnv{t: t, dir: dir, st: st, svc: svc, clock: clock}
	e.team = e.newTeam("acme")
	return e
}

func (e *streamEnv) newTeam(slug string) store.Team {
	e.t.Helper()
	ctx := context.Background()
	team := store.Team{ID: domain.NewID(), Slug: slug, Name: slug, AdminEmail: "admin@" + slug + ".example", DefaultRole: "Developer", Created: e.clock.Now()}
	if err := e.st.Tx(ctx, func(tx store.Tx) error { return tx.CreateTeam(ctx, team) }); err != nil {
		e.t.Fatal(err)
	}
	return team
}

// emit appends n events of team, in one transaction, through st.
func (e *streamEnv) emit(st store.Store, team store.Team, n int) {
	e.t.Helper()
	ctx := context.Background()
	var evs []store.Event
	for i := range n {
		evs = append(evs, store.Event{TeamID: team.ID, TeamSlug: team.Slug, ID: domain.NewID(), Type: domain.EventMemberUpdated,
			OccurredAt: e.clock.Now(), Actor: []byte(`{"type":"test"}`), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))})
	}
	if err := st.Tx(ctx, func(tx store.Tx) error { return tx.AppendEvents(ctx, evs...) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *streamEnv) caller(roles ...string) domain.Caller {
	if roles == nil {
		roles = []string{domain.RoleAdmin}
	}
	return domain.Caller{Team: e.team, Roles: roles, Actor: domain.Actor{Kind: "test"}}
}

func wantKind(t *testing.T, err error, kind domain.Kind, field string) {
	t.Helper()
	de, ok := domain.AsError(err)
	if !ok || de.Kind != kind || de.Field != field {
		t.Fatalf("error %#v, want kind %v on %q", err, kind, field)
	}
}

func TestPullPagesAndCursors(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t)
	ctx := context.Background()
	c := e.caller()

	// No events yet: an empty page at cursor 0; any cursor but 0 is beyond.
	p, err := e.svc.ListEvents(ctx, c, Query{})
	if err != nil || len(p.Data) != 0 || p.NextCursor != "0" || p.HasMore {
		t.Fatalf("empty stream: %+v, %v", p, err)
	}
	_, err = e.svc.ListEvents(ctx, c, Query{After: "1"})
	wantKind(t, err, domain.KindInvalid, "after")

	e.emit(e.st, e.team, 250)
	p, err = e.svc.ListEvents(ctx, c, Query{})
	if err != nil || len(p.Data) != DefaultLimit || !p.HasMore || p.NextCursor != "100" || p.Data[0].Seq != 1 {
		t.Fatalf("default page: %d events, more %v, next %s, %v", len(p.Data), p.HasMore, p.NextCursor, err)
	}
	p, err = e.svc.ListEvents(ctx, c, Query{After: p.NextCursor, Limit: 1000})
	if err != nil || len(p.Data) != 150 || p.HasMore || p.NextCursor != "250" || p.Data[0].Seq != 101 {
		t.Fatalf("second page: %d events, more %v, next %s, %v", len(p.Data), p.HasMore, p.NextCursor, err)
	}
	// Exactly limit left: no more.
	p, err = e.svc.ListEvents(ctx, c, Query{After: "240", Limit: 10})
	if err != nil || len(p.Data) != 10 || p.HasMore {
		t.Fatalf("the last 10: %d, more %v, %v", len(p.Data), p.HasMore, err)
	}
	ev := p.Data[0]
	if ev.Team.ID != e.team.ID || ev.Team.Slug != "acme" || ev.Type != domain.EventMemberUpdated || string(ev.Actor) != `{"type":"test"}` || ev.ID == "" {
		t.Fatalf("event %+v", ev)
	}

	for _, q := range []Query{{Limit: -1}, {Limit: MaxLimit + 1}} {
		_, err := e.svc.ListEvents(ctx, c, q)
		wantKind(t, err, domain.KindInvalid, "limit")
	}
	for _, q := range []Query{{Wait: -time.Second}, {Wait: MaxWait + time.Millisecond}} {
		_, err := e.svc.ListEvents(ctx, c, q)
		wantKind(t, err, domain.KindInvalid, "wait")
	}
	for _, after := range []string{"251", "x", "-1", "1 ", "99999999999999999999"} {
		_, err := e.svc.ListEvents(ctx, c, Query{After: after})
		wantKind(t, err, domain.KindInvalid, "after")
	}

	// Another team's stream is its own: numbered from 1, and a cursor of
	// acme's is beyond it.
	other := e.newTeam("globex")
	e.emit(e.st, other, 3)
	oc := domain.Caller{Team: other, Roles: []string{domain.RoleSuperAdmin}}
	p, err = e.svc.ListEvents(ctx, oc, Query{})
	if err != nil || len(p.Data) != 3 || p.Data[0].Seq != 1 || p.Data[0].Team.ID != other.ID {
		t.Fatalf("globex: %+v, %v", p, err)
	}
	_, err = e.svc.ListEvents(ctx, oc, Query{After: "200"})
	wantKind(t, err, domain.KindInvalid, "after")

	// Only roles holding events.read.
	for _, role := range []string{domain.RoleDeveloper, domain.RoleBilling} {
		_, err := e.svc.ListEvents(ctx, e.caller(role), Query{})
		wantKind(t, err, domain.KindForbidden, "")
	}
}

func TestPullAfterPruning(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t)
	ctx := context.Background()
	c := e.caller()
	e.emit(e.st, e.team, 2*PruneBatch+500) // pruned in three batches
	e.clock.Add(DefaultRetention + time.Minute)
	e.emit(e.st, e.team, 2)
	n, err := e.svc.PruneEvents(ctx)
	if err != nil || n != 2*PruneBatch+500 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	pruned := int64(2*PruneBatch + 500)
	for _, after := range []string{"0", "1", strconv.FormatInt(pruned-1, 10)} {
		_, err := e.svc.ListEvents(ctx, c, Query{After: after})
		wantKind(t, err, domain.KindGone, "")
	}
	for _, after := range []string{"", strconv.FormatInt(pruned, 10)} {
		p, err := e.svc.ListEvents(ctx, c, Query{After: after})
		if err != nil || len(p.Data) != 2 || p.Data[0].Seq != pruned+1 {
			t.Fatalf("after %q: %+v, %v", after, p, err)
		}
	}
	// Nothing younger than the retention goes, and a second prune finds
	// nothing.
	if n, err := e.svc.PruneEvents(ctx); err != nil || n != 0 {
		t.Fatalf("second prune %d, %v", n, err)
	}
	// A shorter retention, set by the operator, applies at the next prune.
	e.svc.SetEventsConfig(Config{Retention: time.Second})
	e.clock.Add(2 * time.Second)
	if n, err := e.svc.PruneEvents(ctx); err != nil || n != 2 {
		t.Fatalf("prune with 1s retention: %d, %v", n, err)
	}
	p, err := e.svc.ListEvents(ctx, c, Query{})
	if err != nil || len(p.Data) != 0 || p.NextCursor != strconv.FormatInt(pruned+2, 10) {
		t.Fatalf("all pruned: %+v, %v", p, err)
	}
}

// waiting reports whether a long poll of team is subscribed in the hub.
func (s *Service) waiting(teamID string) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	_, ok := s.hub.teams[teamID]
	return ok
}

// untilWaiting waits, on the hub's observable state, until a long poll of
// the team is subscribed.
func untilWaiting(t *testing.T, s *Service, teamID string) {
	t.Helper()
	testwait.Until(t, 10*time.Second, "a long poll waiting", func() bool { return s.waiting(teamID) })
}

type pollResult struct {
	p    Page
	err  error
	took time.Duration
}

// poll starts a long poll of the team. The hub keeps a team's channel
// until the team's next commit, so it is cleared first: untilWaiting then
// sees this poll's subscription, not an earlier one's.
func (e *streamEnv) poll(ctx context.Context, q Query) <-chan pollResult {
	e.svc.hub.notify([]string{e.team.ID})
	ch := make(chan pollResult, 1)
	go func() {
		start := time.Now()
		p, err := e.svc.ListEvents(ctx, e.caller(), q)
		ch <- pollResult{p, err, time.Since(start)}
	}()
	return ch
}

func TestLongPollWakesOnCommit(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t)
	// Polling would take an hour: only the commit's wake can answer.
	e.svc.SetEventsConfig(Config{Poll: time.Hour})
	e.emit(e.st, e.team, 1)
	other := e.newTeam("globex")

	got := e.poll(context.Background(), Query{After: "1", Wait: MaxWait})
	untilWaiting(t, e.svc, e.team.ID)
	// Another team's commit doesn't answer it.
	e.emit(e.st, other, 1)
	e.emit(e.st, e.team, 3)
	r := <-got
	if r.err != nil || len(r.p.Data) != 3 || r.p.Data[0].Seq != 2 || r.p.NextCursor != "4" || r.p.Data[0].Team.ID != e.team.ID {
		t.Fatalf("woken poll: %+v, %v", r.p, r.err)
	}
	if r.took > 5*time.Second {
		t.Fatalf("answered after %s", r.took)
	}
}

func TestLongPollFindsAnotherProcesssEvents(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t)
	e.svc.SetEventsConfig(Config{Poll: 10 * time.Millisecond})
	// A second store on the same database: its commits wake nothing here.
	st2, err := sqlite.Open(context.Background(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	got := e.poll(context.Background(), Query{After: "0", Wait: MaxWait})
	untilWaiting(t, e.svc, e.team.ID)
	e.emit(st2, e.team, 2)
	r := <-got
	if r.err != nil || len(r.p.Data) != 2 || r.took > 10*time.Second {
		t.Fatalf("polled: %+v, %v after %s", r.p, r.err, r.took)
	}
}

func TestLongPollEnds(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t)
	e.svc.SetEventsConfig(Config{Poll: time.Hour})
	e.emit(e.st, e.team, 1)

	// The wait ends: an empty page with the same cursor.
	start := time.Now()
	p, err := e.svc.ListEvents(context.Background(), e.caller(), Query{After: "1", Wait: 50 * time.Millisecond})
	if err != nil || len(p.Data) != 0 || p.NextCursor != "1" || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("a wait that ends: %+v, %v after %s", p, err, time.Since(start))
	}

	// The request's deadline: the answer comes a second before it.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start = time.Now()
	p, err = e.svc.ListEvents(ctx, e.caller(), Query{After: "1", Wait: MaxWait})
	if took := time.Since(start); err != nil || len(p.Data) != 0 || took > 1400*time.Millisecond || ctx.Err() != nil {
		t.Fatalf("before the deadline: %+v, %v after %s", p, err, took)
	}

	// The client goes away.
	ctx, cancel = context.WithCancel(context.Background())
	got := e.poll(ctx, Query{After: "1", Wait: MaxWait})
	untilWaiting(t, e.svc, e.team.ID)
	cancel()
	if r := <-got; r.err != nil || len(r.p.Data) != 0 || r.took > 5*time.Second {
		t.Fatalf("cancelled: %+v, %v after %s", r.p, r.err, r.took)
	}

	// Shutdown ends every poll, and those that come after at once.
	got = e.poll(context.Background(), Query{After: "1", Wait: MaxWait})
	untilWaiting(t, e.svc, e.team.ID)
	e.svc.StopWaiting()
	if r := <-got; r.err != nil || len(r.p.Data) != 0 || r.took > 5*time.Second {
		t.Fatalf("stopped: %+v, %v after %s", r.p, r.err, r.took)
	}
	start = time.Now()
	if _, err := e.svc.ListEvents(context.Background(), e.caller(), Query{After: "1", Wait: MaxWait}); err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("after StopWaiting: %v after %s", err, time.Since(start))
	}
	// Events still come back without waiting.
	e.emit(e.st, e.team, 1)
	if p, err := e.svc.ListEvents(context.Background(), e.caller(), Query{After: "1", Wait: MaxWait}); err != nil || len(p.Data) != 1 {
		t.Fatalf("after StopWaiting, with an event: %+v, %v", p, err)
	}
}
