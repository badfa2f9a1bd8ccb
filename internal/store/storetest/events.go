package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// The event stream's storage (store/events.go): numbering in commit order
// with no gaps, the outbox rolled back with its transaction, pruning,
// membership writes that report their changes, webhooks (settings,
// progress, leases, replays, the delivery log) and the deprovisioning
// guard.

func mkEvent(teamID, typ string, at time.Time) store.Event {
	return store.Event{TeamID: teamID, TeamSlug: "slug-" + teamID, ID: id("evt"), Type: typ, OccurredAt: at,
		Actor: []byte(`{"type":"cli"}`), Data: []byte(`{"n":"` + typ + `"}`)}
}

// testEventBatchSizes: a transaction's events of one team are numbered
// in the order appended, without gaps, whatever their count (PostgreSQL
// writes up to 16 in the numbering statement and more in statements of
// their own: both ways, and the edges, are here), beside another team's.
func testEventBatchSizes(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "acme")
	b := mkTeam(t, s, "globex")
	var want []string
	for _, n := range []int{1, 15, 16, 17, 40, 64, 65} {
		evs := make([]store.Event, n)
		for i := range evs {
			evs[i] = mkEvent(a.ID, fmt.Sprintf("t.%d", i), base.Add(time.Duration(i)*time.Millisecond))
			want = append(want, evs[i].ID)
		}
		tx(t, s, func(tx store.Tx) error {
			if err := tx.AppendEvents(ctx, mkEvent(b.ID, "other.team", base)); err != nil {
				return err
			}
			return tx.AppendEvents(ctx, evs...)
		})
	}
	got, err := s.ListEvents(ctx, a.ID, 0, 1000)
	if err != nil || len(got) != len(want) {
		t.Fatalf("ListEvents: %d events, %v; want %d", len(got), err, len(want))
	}
	for i, e := range got {
		if e.Seq != int64(i+1) || e.ID != want[i] || e.TeamID != a.ID {
			t.Fatalf("event %d: seq %d id %s team %s; want seq %d id %s", i, e.Seq, e.ID, e.TeamID, i+1, want[i])
		}
	}
	if other, err := s.ListEvents(ctx, b.ID, 0, 1000); err != nil || len(other) != 7 || other[6].Seq != 7 {
		t.Fatalf("the other team's events: %d, %v", len(other), err)
	}
	if p, err := s.EventPosition(ctx, a.ID); err != nil || p.LastSeq != int64(len(want)) {
		t.Fatalf("EventPosition = %+v, %v; want last %d", p, err, len(want))
	}
}

func seqs(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func testEvents(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "acme")
	b := mkTeam(t, s, "globex")
	if p, err := s.EventPosition(ctx, a.ID); err != nil || p != (store.EventPosition{}) {
		t.Fatalf("EventPosition of a team without events = %+v, %v", p, err)
	}
	first := mkEvent(a.ID, "member.created", base)
	tx(t, s, func(tx store.Tx) error {
		// Appended out of team order, interleaved: each team's events are
		// numbered in the order appended.
		return tx.AppendEvents(ctx, first, mkEvent(b.ID, "group.created", base), mkEvent(a.ID, "member.updated", base.Add(time.Second)))
	})
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendEvents(ctx, mkEvent(a.ID, "member.deleted", base.Add(2*time.Second)))
	})
	// A transaction that fails takes no number and leaves no event.
	boom := errors.New("boom")
	if err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.AppendEvents(ctx, mkEvent(a.ID, "member.created", base)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing transaction: %v", err)
	}
	// An event without a type is refused, and so is its transaction.
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.AppendEvents(ctx, store.Event{TeamID: a.ID, ID: id("evt")}) }); err == nil {
		t.Fatal("an event without a type was accepted")
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendEvents(ctx, mkEvent(a.ID, "group.created", base.Add(3*time.Second)))
	})

	evs, err := s.ListEvents(ctx, a.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(evs); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("acme's seqs = %v, want 1 2 3 4 (no gap for the rolled back transaction)", got)
	}
	wantTypes := []string{"member.created", "member.updated", "member.deleted", "group.created"}
	for i, e := range evs {
		if e.Type != wantTypes[i] || e.TeamID != a.ID {
			t.Errorf("event %d = %s of %s, want %s of acme", i, e.Type, e.TeamID, wantTypes[i])
		}
	}
	got := evs[0]
	if got.ID != first.ID || got.TeamSlug != first.TeamSlug || !got.OccurredAt.Equal(base) || string(got.Actor) != string(first.Actor) || string(got.Data) != string(first.Data) {
		t.Errorf("event read back = %+v, want %+v", got, first)
	}
	if evs, _ := s.ListEvents(ctx, b.ID, 0, 100); !slices.Equal(seqs(evs), []int64{1}) || evs[0].Type != "group.created" {
		t.Errorf("globex's events = %+v: each team has its own numbers", evs)
	}
	if evs, _ := s.ListEvents(ctx, a.ID, 2, 1); !slices.Equal(seqs(evs), []int64{3}) {
		t.Errorf("after 2, limit 1 = %v, want [3]", seqs(evs))
	}
	if evs, _ := s.ListEvents(ctx, a.ID, 4, 10); len(evs) != 0 {
		t.Errorf("after the last = %v, want none", seqs(evs))
	}
	if p, err := s.EventPosition(ctx, a.ID); err != nil || p.LastSeq != 4 || p.PrunedThrough != 0 {
		t.Errorf("EventPosition = %+v, %v", p, err)
	}

	// Pruning takes the oldest events before the cutoff, in order, and
	// stops at the first younger one.
	var n int
	tx(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.PruneEvents(ctx, a.ID, base.Add(1500*time.Millisecond), 100)
		return err
	})
	if n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	if evs, _ := s.ListEvents(ctx, a.ID, 0, 100); !slices.Equal(seqs(evs), []int64{3, 4}) {
		t.Errorf("after pruning: %v, want [3 4]", seqs(evs))
	}
	if p, _ := s.EventPosition(ctx, a.ID); p.LastSeq != 4 || p.PrunedThrough != 2 {
		t.Errorf("EventPosition after pruning = %+v, want last 4, pruned through 2", p)
	}
	tx(t, s, func(tx store.Tx) error { return tx.AppendEvents(ctx, mkEvent(a.ID, "x.y", base)) })
	if evs, _ := s.ListEvents(ctx, a.ID, 0, 100); !slices.Equal(seqs(evs), []int64{3, 4, 5}) {
		t.Errorf("numbering after pruning: %v, want [3 4 5]", seqs(evs))
	}
	// The limit bounds one prune; an event younger than the cutoff behind
	// an older one stops it.
	tx(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.PruneEvents(ctx, a.ID, base.Add(time.Hour), 1)
		return err
	})
	if p, _ := s.EventPosition(ctx, a.ID); n != 1 || p.PrunedThrough != 3 {
		t.Errorf("a prune limited to 1 took %d, pruned through %d", n, p.PrunedThrough)
	}
	if p, _ := s.EventPosition(ctx, b.ID); p.LastSeq != 1 || p.PrunedThrough != 0 {
		t.Errorf("pruning acme touched globex: %+v", p)
	}
}

// testEventOrder: concurrent writers of one team, some of them failing,
// get consecutive numbers; and a reader polling meanwhile always finds the
// events right after the last it saw, never one behind it.
func testEventOrder(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	const writers, each = 8, 15
	stop := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		var cursor int64
		for {
			evs, err := s.ListEvents(ctx, tm.ID, cursor, 1000)
			if err != nil {
				readerErr <- err
				return
			}
			for _, e := range evs {
				if e.Seq != cursor+1 {
					readerErr <- fmt.Errorf("after seq %d the reader got %d", cursor, e.Seq)
					return
				}
				cursor = e.Seq
			}
			select {
			case <-stop:
				readerErr <- nil
				return
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := 0
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k := 1 + (w+i)%3
				fail := (w+i)%5 == 0
				err := s.Tx(ctx, func(tx store.Tx) error {
					for range k {
						if err := tx.AppendEvents(ctx, mkEvent(tm.ID, "t", base)); err != nil {
							return err
						}
					}
					if fail {
						return errFailOnPurpose
					}
					return nil
				})
				switch {
				case fail && !errors.Is(err, errFailOnPurpose):
					errs <- fmt.Errorf("a failing transaction: %v", err)
					return
				case !fail && err != nil:
					errs <- err
					return
				case !fail:
					mu.Lock()
					committed += k
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	evs, err := s.ListEvents(ctx, tm.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != committed {
		t.Fatalf("%d events stored, %d committed", len(evs), committed)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: a gap or a repeat", i, e.Seq)
		}
	}
}

var errFailOnPurpose = errors.New("failing on purpose")

func testMembershipChanges(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	g := mkGroup(t, s, tm.ID, "G")
	u1 := mkUser(t, s, tm.ID, "a@example.com", nil)
	u2 := mkUser(t, s, tm.ID, "b@example.com", nil)
	u3 := mkUser(t, s, tm.ID, "c@example.com", nil)
	run := func(fn func(tx store.Tx) ([]string, error)) []string {
		t.Helper()
		var out []string
		tx(t, s, func(tx store.Tx) error {
			var err error
			out, err = fn(tx)
			return err
		})
		return out
	}
	want := []string{u1.ID, u2.ID}
	slices.Sort(want)
	if got := run(func(tx store.Tx) ([]string, error) {
		return tx.AddMembersChanged(ctx, tm.ID, g.ID, []string{u2.ID, u1.ID, u1.ID})
	}); !slices.Equal(got, want) {
		t.Errorf("added %v, want %v", got, want)
	}
	if got := run(func(tx store.Tx) ([]string, error) {
		return tx.AddMembersChanged(ctx, tm.ID, g.ID, []string{u1.ID, u3.ID})
	}); !slices.Equal(got, []string{u3.ID}) {
		t.Errorf("adding one member and one already in: %v, want only %s", got, u3.ID)
	}
	if got := run(func(tx store.Tx) ([]string, error) {
		return tx.RemoveMembersChanged(ctx, tm.ID, g.ID, []string{u3.ID, "nobody", u3.ID})
	}); !slices.Equal(got, []string{u3.ID}) {
		t.Errorf("removed %v, want only %s", got, u3.ID)
	}
	if got := run(func(tx store.Tx) ([]string, error) { return tx.RemoveAllMembersChanged(ctx, tm.ID, g.ID) }); !slices.Equal(got, want) {
		t.Errorf("removed all: %v, want %v", got, want)
	}
	if n, _ := s.MemberCount(ctx, tm.ID, g.ID); n != 0 {
		t.Errorf("%d members left", n)
	}
	// Many at once (several statements).
	var many []string
	for i := range 300 {
		many = append(many, mkUser(t, s, tm.ID, fmt.Sprintf("m%03d@example.com", i), nil).ID)
	}
	if got := run(func(tx store.Tx) ([]string, error) { return tx.AddMembersChanged(ctx, tm.ID, g.ID, many) }); len(got) != 300 {
		t.Errorf("added %d of 300", len(got))
	}
}

func testWebhooks(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "acme")
	b := mkTeam(t, s, "globex")
	until := base.Add(time.Hour)
	e := store.WebhookEndpoint{TeamID: a.ID, ID: id("wh"), URL: "https://hooks.example/a", Description: "ours", Types: []string{"member.*", "group.deleted"},
		Secret: "whsec_one", Enabled: true, Created: base, CreatedBy: "cli",
		WebhookProgress: store.WebhookProgress{AckedSeq: 0, NextAttempt: base}}
	tx(t, s, func(tx store.Tx) error { return tx.CreateWebhookEndpoint(ctx, e) })
	got, err := s.WebhookEndpoint(ctx, a.ID, e.ID)
	if err != nil || got.URL != e.URL || !slices.Equal(got.Types, e.Types) || got.Secret != "whsec_one" || !got.Enabled || got.OldSecretUntil != nil ||
		!got.Created.Equal(base) || !got.NextAttempt.Equal(base) || got.CreatedBy != "cli" || got.Description != "ours" {
		t.Fatalf("WebhookEndpoint = %+v, %v", got, err)
	}
	if _, err := s.WebhookEndpoint(ctx, b.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("acme's endpoint read as globex's: %v", err)
	}
	all := store.WebhookEndpoint{TeamID: a.ID, ID: id("wh"), URL: "https://hooks.example/all", Secret: "whsec_two", Enabled: true, Created: base.Add(time.Second),
		WebhookProgress: store.WebhookProgress{NextAttempt: base}}
	tx(t, s, func(tx store.Tx) error { return tx.CreateWebhookEndpoint(ctx, all) })
	if list, err := s.ListWebhookEndpoints(ctx, a.ID); err != nil || len(list) != 2 || list[0].ID != e.ID || list[1].Types != nil {
		t.Fatalf("ListWebhookEndpoints = %+v, %v", list, err)
	}

	// Settings: a rotated secret, another URL; the progress untouched.
	e.URL, e.OldSecret, e.Secret, e.OldSecretUntil = "https://hooks.example/b", "whsec_one", "whsec_new", &until
	tx(t, s, func(tx store.Tx) error { return tx.UpdateWebhookSettings(ctx, e) })
	got, _ = s.WebhookEndpoint(ctx, a.ID, e.ID)
	if got.URL != e.URL || got.Secret != "whsec_new" || got.OldSecret != "whsec_one" || got.OldSecretUntil == nil || !got.OldSecretUntil.Equal(until) {
		t.Errorf("after UpdateWebhookSettings: %+v", got)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error {
		x := e
		x.TeamID = b.ID
		return tx.UpdateWebhookSettings(ctx, x)
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating acme's endpoint as globex: %v", err)
	}

	// Due: nothing to deliver yet; then events arrive.
	now := base.Add(time.Minute)
	if due, err := s.DueWebhookEndpoints(ctx, "r1", now, 10); err != nil || len(due) != 0 {
		t.Fatalf("due without events = %v, %v", due, err)
	}
	tx(t, s, func(tx store.Tx) error {
		return tx.AppendEvents(ctx, mkEvent(a.ID, "member.created", base), mkEvent(a.ID, "group.created", base), mkEvent(b.ID, "member.created", base))
	})
	due, err := s.DueWebhookEndpoints(ctx, "r1", now, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due with events = %+v, %v", due, err)
	}

	// Progress moves only from where the caller saw it.
	fail := base.Add(30 * time.Second)
	var ok bool
	tx(t, s, func(tx store.Tx) error {
		var err error
		ok, err = tx.SetWebhookProgress(ctx, a.ID, e.ID, 0, store.WebhookProgress{AckedSeq: 1, Attempts: 2, NextAttempt: base.Add(2 * time.Hour), FailingSince: &fail})
		return err
	})
	if !ok {
		t.Fatal("SetWebhookProgress from the current position refused")
	}
	tx(t, s, func(tx store.Tx) error {
		var err error
		ok, err = tx.SetWebhookProgress(ctx, a.ID, e.ID, 0, store.WebhookProgress{AckedSeq: 9})
		return err
	})
	if ok {
		t.Error("SetWebhookProgress from a stale position succeeded")
	}
	got, _ = s.WebhookEndpoint(ctx, a.ID, e.ID)
	if got.AckedSeq != 1 || got.Attempts != 2 || !got.NextAttempt.Equal(base.Add(2*time.Hour)) || got.FailingSince == nil || !got.FailingSince.Equal(fail) {
		t.Errorf("progress = %+v", got.WebhookProgress)
	}
	if due, _ := s.DueWebhookEndpoints(ctx, "r1", now, 10); len(due) != 1 || due[0].ID != all.ID {
		t.Errorf("due while retrying later: %+v, want only the other endpoint", due)
	}

	// Leases: one owner at a time, until expiry.
	lease := func(owner string, at time.Time) bool {
		t.Helper()
		var ok bool
		tx(t, s, func(tx store.Tx) error {
			var err error
			ok, err = tx.LeaseWebhookEndpoint(ctx, all.ID, owner, at, at.Add(time.Minute))
			return err
		})
		return ok
	}
	if !lease("r1", now) {
		t.Fatal("a free lease was refused")
	}
	if lease("r2", now.Add(30*time.Second)) {
		t.Error("r2 took r1's lease before it expired")
	}
	if due, _ := s.DueWebhookEndpoints(ctx, "r2", now, 10); len(due) != 0 {
		t.Errorf("an endpoint leased by r1 is due for r2: %+v", due)
	}
	if due, _ := s.DueWebhookEndpoints(ctx, "r1", now, 10); len(due) != 1 {
		t.Errorf("an endpoint r1 leases is not due for r1: %+v", due)
	}
	if !lease("r1", now.Add(30*time.Second)) {
		t.Error("r1 could not renew its lease")
	}
	if !lease("r2", now.Add(2*time.Minute)) {
		t.Error("r2 could not take an expired lease")
	}
	tx(t, s, func(tx store.Tx) error { return tx.ReleaseWebhookLease(ctx, all.ID, "r1") }) // not r1's any more: no effect
	if lease("r1", now.Add(2*time.Minute)) {
		t.Error("a release by a former owner freed r2's lease")
	}
	tx(t, s, func(tx store.Tx) error { return tx.ReleaseWebhookLease(ctx, all.ID, "r2") })
	if got, _ := s.WebhookEndpoint(ctx, a.ID, all.ID); got.LeaseOwner != "" || got.LeaseUntil != nil {
		t.Errorf("released lease: %q until %v", got.LeaseOwner, got.LeaseUntil)
	}

	// Replays: queued events come first, and make a caught-up endpoint due.
	tx(t, s, func(tx store.Tx) error {
		_, err := tx.SetWebhookProgress(ctx, a.ID, all.ID, 0, store.WebhookProgress{AckedSeq: 2, NextAttempt: base})
		return err
	})
	if due, _ := s.DueWebhookEndpoints(ctx, "r1", now, 10); len(due) != 0 {
		t.Errorf("due when caught up: %+v", due)
	}
	if _, err := s.NextWebhookReplay(ctx, all.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NextWebhookReplay with none queued: %v", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.QueueWebhookReplay(ctx, a.ID, all.ID, []int64{2, 1, 2}, now) })
	if due, _ := s.DueWebhookEndpoints(ctx, "r1", now, 10); len(due) != 1 || due[0].ID != all.ID {
		t.Errorf("a queued replay doesn't make the endpoint due: %+v", due)
	}
	if seq, err := s.NextWebhookReplay(ctx, all.ID); err != nil || seq != 1 {
		t.Errorf("NextWebhookReplay = %d, %v, want 1", seq, err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DoneWebhookReplay(ctx, all.ID, 1) })
	if seq, _ := s.NextWebhookReplay(ctx, all.ID); seq != 2 {
		t.Errorf("NextWebhookReplay after the first = %d, want 2", seq)
	}

	// The delivery log, newest first, pruned to the newest.
	for i := range 5 {
		d := store.WebhookDelivery{TeamID: a.ID, EndpointID: all.ID, ID: id("dl"), EventID: "evt", Seq: int64(i + 1), Attempt: 1, At: base.Add(time.Duration(i) * time.Second),
			Status: 500 + i, Latency: 1500 * time.Millisecond, Outcome: store.DeliveryFailed, Error: "HTTP 500", Response: "oops", Replay: i == 4}
		tx(t, s, func(tx store.Tx) error { return tx.AppendWebhookDelivery(ctx, d) })
	}
	dl, err := s.ListWebhookDeliveries(ctx, a.ID, all.ID, 3)
	if err != nil || len(dl) != 3 || dl[0].Seq != 5 || !dl[0].Replay || dl[0].Status != 504 || dl[0].Latency != 1500*time.Millisecond || dl[0].Response != "oops" ||
		dl[0].Outcome != store.DeliveryFailed || !dl[0].At.Equal(base.Add(4*time.Second)) {
		t.Fatalf("ListWebhookDeliveries = %+v, %v", dl, err)
	}
	if dl, _ := s.ListWebhookDeliveries(ctx, b.ID, all.ID, 10); len(dl) != 0 {
		t.Errorf("acme's deliveries read as globex's: %d", len(dl))
	}
	tx(t, s, func(tx store.Tx) error {
		var err error
		n, err := tx.PruneWebhookDeliveries(ctx, all.ID, 2)
		if err == nil && n != 3 {
			err = fmt.Errorf("pruned %d, want 3", n)
		}
		return err
	})
	if dl, _ := s.ListWebhookDeliveries(ctx, a.ID, all.ID, 10); len(dl) != 2 || dl[1].Seq != 4 {
		t.Errorf("after pruning to 2: %+v", dl)
	}

	// Disable, then delete with everything that hangs off it.
	tx(t, s, func(tx store.Tx) error { return tx.DisableWebhook(ctx, a.ID, all.ID, "failing for 3 days", now) })
	got, _ = s.WebhookEndpoint(ctx, a.ID, all.ID)
	if got.Enabled || got.DisabledReason != "failing for 3 days" || got.DisabledAt == nil || !got.DisabledAt.Equal(now) {
		t.Errorf("disabled endpoint = %+v", got)
	}
	if due, _ := s.DueWebhookEndpoints(ctx, "r1", now, 10); len(due) != 0 {
		t.Errorf("a disabled endpoint is due: %+v", due)
	}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, b.ID, all.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting acme's endpoint as globex: %v", err)
	}
	tx(t, s, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, a.ID, all.ID) })
	if _, err := s.WebhookEndpoint(ctx, a.ID, all.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted endpoint: %v", err)
	}
	if dl, _ := s.ListWebhookDeliveries(ctx, a.ID, all.ID, 10); len(dl) != 0 {
		t.Errorf("a deleted endpoint's log stays: %d", len(dl))
	}
	if _, err := s.NextWebhookReplay(ctx, all.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted endpoint's replays stay: %v", err)
	}
}

func testDeprovisionGuard(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "acme")
	b := mkTeam(t, s, "globex")
	g, err := s.DeprovisionGuard(ctx, a.ID)
	if err != nil || g != store.DefaultDeprovisionGuard(a.ID) {
		t.Fatalf("a team's guard before any = %+v, %v", g, err)
	}
	tx(t, s, func(tx store.Tx) error {
		g, err := tx.LockDeprovisionGuard(ctx, a.ID, base)
		if err == nil && (!g.Enabled || g.Percent != 20 || g.MinCount != 10 || g.Window != 10*time.Minute || g.PausedAt != nil) {
			err = fmt.Errorf("LockDeprovisionGuard made %+v, want the defaults", g)
		}
		return err
	})
	paused := base.Add(time.Minute)
	want := store.DeprovisionGuard{TeamID: a.ID, Enabled: true, Percent: 35, MinCount: 4, Window: time.Hour, PausedAt: &paused, PausedReason: "5 of 12", Updated: paused}
	tx(t, s, func(tx store.Tx) error { return tx.SetDeprovisionGuard(ctx, want) })
	g, err = s.DeprovisionGuard(ctx, a.ID)
	if err != nil || g.Percent != 35 || g.MinCount != 4 || g.Window != time.Hour || g.PausedAt == nil || !g.PausedAt.Equal(paused) || g.PausedReason != "5 of 12" || !g.Updated.Equal(paused) {
		t.Fatalf("guard = %+v, %v", g, err)
	}
	tx(t, s, func(tx store.Tx) error {
		g, err := tx.LockDeprovisionGuard(ctx, a.ID, base)
		if err == nil && g.Percent != 35 {
			err = fmt.Errorf("LockDeprovisionGuard replaced the team's settings: %+v", g)
		}
		return err
	})
	if g, _ := s.DeprovisionGuard(ctx, b.ID); g.Percent != 20 {
		t.Errorf("globex's guard changed with acme's: %+v", g)
	}

	for i := range 4 {
		tx(t, s, func(tx store.Tx) error {
			return tx.AddDeprovisionMark(ctx, a.ID, fmt.Sprintf("u%d", i), base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(i-2)*time.Minute))
		})
	}
	// The marks at 0, 1, 2, 3 min; the last add pruned those before 1 min.
	if n, err := s.CountDeprovisionMarks(ctx, a.ID, base); err != nil || n != 3 {
		t.Errorf("marks kept = %d, %v, want 3", n, err)
	}
	if n, _ := s.CountDeprovisionMarks(ctx, a.ID, base.Add(2*time.Minute)); n != 2 {
		t.Errorf("marks since 2 min = %d, want 2", n)
	}
	if n, _ := s.CountDeprovisionMarks(ctx, b.ID, base); n != 0 {
		t.Errorf("globex has %d marks", n)
	}
	tx(t, s, func(tx store.Tx) error { return tx.ClearDeprovisionMarks(ctx, a.ID) })
	if n, _ := s.CountDeprovisionMarks(ctx, a.ID, base); n != 0 {
		t.Errorf("%d marks after clearing", n)
	}

	hold := func(user, op string, at time.Time) {
		tx(t, s, func(tx store.Tx) error {
			return tx.HoldDeprovision(ctx, store.DeprovisionHold{TeamID: a.ID, UserID: user, Op: op, At: at, Actor: "scim-key:okta", KeyID: "k1"})
		})
	}
	hold("u1", store.HoldDeactivate, base)
	hold("u2", store.HoldDelete, base.Add(time.Second))
	hold("u1", store.HoldDelete, base.Add(2*time.Second))     // a delete replaces the deactivation
	hold("u2", store.HoldDeactivate, base.Add(3*time.Second)) // and is not replaced by one
	if err := s.Tx(ctx, func(tx store.Tx) error {
		return tx.HoldDeprovision(ctx, store.DeprovisionHold{TeamID: a.ID, UserID: "u3", Op: "explode", At: base})
	}); err == nil {
		t.Error("an unknown held operation was accepted")
	}
	holds, err := s.ListDeprovisionHolds(ctx, a.ID)
	if err != nil || len(holds) != 2 || holds[0].UserID != "u1" || holds[0].Op != store.HoldDelete || holds[1].Op != store.HoldDelete ||
		holds[0].Actor != "scim-key:okta" || holds[0].KeyID != "k1" || !holds[0].At.Equal(base) {
		t.Fatalf("holds = %+v, %v", holds, err)
	}
	var taken []store.DeprovisionHold
	tx(t, s, func(tx store.Tx) error {
		var err error
		taken, err = tx.TakeDeprovisionHolds(ctx, a.ID)
		return err
	})
	if len(taken) != 2 {
		t.Errorf("took %d holds, want 2", len(taken))
	}
	if holds, _ := s.ListDeprovisionHolds(ctx, a.ID); len(holds) != 0 {
		t.Errorf("holds left after taking them: %+v", holds)
	}
}

// testEventReadsInsideTx calls every read of events.go inside a write
// transaction (the recorder counts Store and Tx reads apart).
func testEventReadsInsideTx(t *testing.T, s store.Store) {
	tm := mkTeam(t, s, "acme")
	e := store.WebhookEndpoint{TeamID: tm.ID, ID: id("wh"), URL: "https://hooks.example", Secret: "whsec_x", Enabled: true, Created: base,
		WebhookProgress: store.WebhookProgress{NextAttempt: base}}
	tx(t, s, func(tx store.Tx) error {
		if err := tx.AppendEvents(ctx, mkEvent(tm.ID, "member.created", base)); err != nil {
			return err
		}
		return tx.CreateWebhookEndpoint(ctx, e)
	})
	tx(t, s, func(tx store.Tx) error {
		evs, err := tx.ListEvents(ctx, tm.ID, 0, 10)
		if err != nil || len(evs) != 1 {
			return fmt.Errorf("ListEvents in a tx = %v, %v", evs, err)
		}
		// The transaction's own events are numbered only at its end.
		if err := tx.AppendEvents(ctx, mkEvent(tm.ID, "member.updated", base)); err != nil {
			return err
		}
		if p, err := tx.EventPosition(ctx, tm.ID); err != nil || p.LastSeq != 1 {
			return fmt.Errorf("EventPosition in a tx = %+v, %v", p, err)
		}
		if _, err := tx.WebhookEndpoint(ctx, tm.ID, e.ID); err != nil {
			return err
		}
		if l, err := tx.ListWebhookEndpoints(ctx, tm.ID); err != nil || len(l) != 1 {
			return fmt.Errorf("ListWebhookEndpoints in a tx = %v, %v", l, err)
		}
		if d, err := tx.DueWebhookEndpoints(ctx, "r1", base.Add(time.Hour), 10); err != nil || len(d) != 1 {
			return fmt.Errorf("DueWebhookEndpoints in a tx = %v, %v", d, err)
		}
		if _, err := tx.NextWebhookReplay(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("NextWebhookReplay in a tx: %v", err)
		}
		if _, err := tx.ListWebhookDeliveries(ctx, tm.ID, e.ID, 10); err != nil {
			return err
		}
		if g, err := tx.DeprovisionGuard(ctx, tm.ID); err != nil || !g.Enabled {
			return fmt.Errorf("DeprovisionGuard in a tx = %+v, %v", g, err)
		}
		if _, err := tx.CountDeprovisionMarks(ctx, tm.ID, base); err != nil {
			return err
		}
		_, err = tx.ListDeprovisionHolds(ctx, tm.ID)
		return err
	})
	if evs, _ := s.ListEvents(ctx, tm.ID, 0, 10); len(evs) != 2 || evs[1].Seq != 2 {
		t.Errorf("events after the second transaction: %v", seqs(evs))
	}
	// Data is stored as given, byte for byte (JSON the service made).
	var m map[string]any
	if evs, _ := s.ListEvents(ctx, tm.ID, 0, 1); len(evs) != 1 || json.Unmarshal(evs[0].Data, &m) != nil {
		t.Errorf("event data is not the JSON written")
	}
}

// ---- recording wrappers of the event methods (record.go) ----

func (w recReader) ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]store.Event, error) {
	w.rec.note(w.iface)
	return w.r.ListEvents(ctx, teamID, after, limit)
}

func (w recReader) EventPosition(ctx context.Context, teamID string) (store.EventPosition, error) {
	w.rec.note(w.iface)
	return w.r.EventPosition(ctx, teamID)
}

func (w recReader) WebhookEndpoint(ctx context.Context, teamID, id string) (store.WebhookEndpoint, error) {
	w.rec.note(w.iface)
	return w.r.WebhookEndpoint(ctx, teamID, id)
}

func (w recReader) ListWebhookEndpoints(ctx context.Context, teamID string) ([]store.WebhookEndpoint, error) {
	w.rec.note(w.iface)
	return w.r.ListWebhookEndpoints(ctx, teamID)
}

func (w recReader) DueWebhookEndpoints(ctx context.Context, owner string, now time.Time, limit int) ([]store.WebhookEndpoint, error) {
	w.rec.note(w.iface)
	return w.r.DueWebhookEndpoints(ctx, owner, now, limit)
}

func (w recReader) NextWebhookReplay(ctx context.Context, endpointID string) (int64, error) {
	w.rec.note(w.iface)
	return w.r.NextWebhookReplay(ctx, endpointID)
}

func (w recReader) ListWebhookDeliveries(ctx context.Context, teamID, endpointID string, limit int) ([]store.WebhookDelivery, error) {
	w.rec.note(w.iface)
	return w.r.ListWebhookDeliveries(ctx, teamID, endpointID, limit)
}

func (w recReader) DeprovisionGuard(ctx context.Context, teamID string) (store.DeprovisionGuard, error) {
	w.rec.note(w.iface)
	return w.r.DeprovisionGuard(ctx, teamID)
}

func (w recReader) CountDeprovisionMarks(ctx context.Context, teamID string, since time.Time) (int, error) {
	w.rec.note(w.iface)
	return w.r.CountDeprovisionMarks(ctx, teamID, since)
}

func (w recReader) ListDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error) {
	w.rec.note(w.iface)
	return w.r.ListDeprovisionHolds(ctx, teamID)
}

func (w *recTx) AppendEvents(ctx context.Context, evs ...store.Event) error {
	w.rec.note("Tx")
	return w.tx.AppendEvents(ctx, evs...)
}

func (w *recTx) PruneEvents(ctx context.Context, teamID string, before time.Time, limit int) (int, error) {
	w.rec.note("Tx")
	return w.tx.PruneEvents(ctx, teamID, before, limit)
}

func (w *recTx) AddMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error) {
	w.rec.note("Tx")
	return w.tx.AddMembersChanged(ctx, teamID, groupID, userIDs)
}

func (w *recTx) RemoveMembersChanged(ctx context.Context, teamID, groupID string, userIDs []string) ([]string, error) {
	w.rec.note("Tx")
	return w.tx.RemoveMembersChanged(ctx, teamID, groupID, userIDs)
}

func (w *recTx) RemoveAllMembersChanged(ctx context.Context, teamID, groupID string) ([]string, error) {
	w.rec.note("Tx")
	return w.tx.RemoveAllMembersChanged(ctx, teamID, groupID)
}

func (w *recTx) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	w.rec.note("Tx")
	return w.tx.CreateWebhookEndpoint(ctx, e)
}

func (w *recTx) UpdateWebhookSettings(ctx context.Context, e store.WebhookEndpoint) error {
	w.rec.note("Tx")
	return w.tx.UpdateWebhookSettings(ctx, e)
}

func (w *recTx) SetWebhookProgress(ctx context.Context, teamID, id string, from int64, p store.WebhookProgress) (bool, error) {
	w.rec.note("Tx")
	return w.tx.SetWebhookProgress(ctx, teamID, id, from, p)
}

func (w *recTx) DisableWebhook(ctx context.Context, teamID, id, reason string, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.DisableWebhook(ctx, teamID, id, reason, at)
}

func (w *recTx) DeleteWebhookEndpoint(ctx context.Context, teamID, id string) error {
	w.rec.note("Tx")
	return w.tx.DeleteWebhookEndpoint(ctx, teamID, id)
}

func (w *recTx) LeaseWebhookEndpoint(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	w.rec.note("Tx")
	return w.tx.LeaseWebhookEndpoint(ctx, id, owner, now, until)
}

func (w *recTx) ReleaseWebhookLease(ctx context.Context, id, owner string) error {
	w.rec.note("Tx")
	return w.tx.ReleaseWebhookLease(ctx, id, owner)
}

func (w *recTx) QueueWebhookReplay(ctx context.Context, teamID, endpointID string, seqs []int64, at time.Time) error {
	w.rec.note("Tx")
	return w.tx.QueueWebhookReplay(ctx, teamID, endpointID, seqs, at)
}

func (w *recTx) DoneWebhookReplay(ctx context.Context, endpointID string, seq int64) error {
	w.rec.note("Tx")
	return w.tx.DoneWebhookReplay(ctx, endpointID, seq)
}

func (w *recTx) AppendWebhookDelivery(ctx context.Context, d store.WebhookDelivery) error {
	w.rec.note("Tx")
	return w.tx.AppendWebhookDelivery(ctx, d)
}

func (w *recTx) PruneWebhookDeliveries(ctx context.Context, endpointID string, keep int) (int, error) {
	w.rec.note("Tx")
	return w.tx.PruneWebhookDeliveries(ctx, endpointID, keep)
}

func (w *recTx) SetDeprovisionGuard(ctx context.Context, g store.DeprovisionGuard) error {
	w.rec.note("Tx")
	return w.tx.SetDeprovisionGuard(ctx, g)
}

func (w *recTx) LockDeprovisionGuard(ctx context.Context, teamID string, now time.Time) (store.DeprovisionGuard, error) {
	w.rec.note("Tx")
	return w.tx.LockDeprovisionGuard(ctx, teamID, now)
}

func (w *recTx) AddDeprovisionMark(ctx context.Context, teamID, userID string, at, prune time.Time) error {
	w.rec.note("Tx")
	return w.tx.AddDeprovisionMark(ctx, teamID, userID, at, prune)
}

func (w *recTx) ClearDeprovisionMarks(ctx context.Context, teamID string) error {
	w.rec.note("Tx")
	return w.tx.ClearDeprovisionMarks(ctx, teamID)
}

func (w *recTx) HoldDeprovision(ctx context.Context, h store.DeprovisionHold) error {
	w.rec.note("Tx")
	return w.tx.HoldDeprovision(ctx, h)
}

func (w *recTx) TakeDeprovisionHolds(ctx context.Context, teamID string) ([]store.DeprovisionHold, error) {
	w.rec.note("Tx")
	return w.tx.TakeDeprovisionHolds(ctx, teamID)
}
