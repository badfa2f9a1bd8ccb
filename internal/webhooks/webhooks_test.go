package webhooks

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/testwait"
)

// The worker against the real service and store, SQLite then PostgreSQL
// (when ROSTER_TEST_POSTGRES_URL is set), on a clock the tests move.

var onPostgres bool

func TestMain(m *testing.M) {
	os.Exit(pgtest.RunTwice(m, "webhooks", func() { onPostgres = true }))
}

// clock is the service's clock, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	svc    *service.Service
	clock  *clock
	team   store.Team
	caller service.Caller
	keys   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if onPostgres {
		st, err = postgres.Open(ctx, pgtest.NewSchemaURL(t))
	} else {
		st, err = sqlite.Open(ctx, t.TempDir())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st, nil)
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	svc.Now = c.Now
	svc.SetEventsConfig(service.EventsConfig{AllowPrivateNetworks: true}) // receivers are httptest servers on loopback
	team, err := svc.CreateTeam(ctx, "Acme", "admin@acme.example", service.Actor{Kind: "cli", Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, svc: svc, clock: c, team: team,
		caller: service.Caller{Actor: service.Actor{Kind: "cli", Name: "test"}, Team: team, Roles: service.AllRoles}}
}

// emit commits n events (scim_key.created) and returns their seqs.
func (f *fixture) emit(n int) []int64 {
	f.t.Helper()
	var seqs []int64
	for range n {
		f.keys++
		if _, err := f.svc.CreateKey(f.ctx, f.team.Slug, "key-"+strconv.Itoa(f.keys), nil, service.Actor{Kind: "cli", Name: "test"}); err != nil {
			f.t.Fatal(err)
		}
		page, err := f.svc.TeamEvents(f.ctx, f.team.Slug, service.EventQuery{Limit: service.MaxEventLimit})
		if err != nil {
			f.t.Fatal(err)
		}
		seqs = append(seqs, page.Data[len(page.Data)-1].Seq)
	}
	return seqs
}

// emitKeys is emit, returning the keys' ids.
func (f *fixture) emitKeys(n int) []string {
	f.t.Helper()
	var ids []string
	for range n {
		f.keys++
		k, err := f.svc.CreateKey(f.ctx, f.team.Slug, "key-"+strconv.Itoa(f.keys), nil, service.Actor{Kind: "cli", Name: "test"})
		if err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, k.Key.ID)
	}
	return ids
}

func (f *fixture) webhook(url string, types ...string) service.NewWebhook {
	f.t.Helper()
	wh, err := f.svc.CreateWebhook(f.ctx, f.caller, service.WebhookInput{URL: url, Types: types})
	if err != nil {
		f.t.Fatal(err)
	}
	return wh
}

func (f *fixture) worker(cfg Config) *Worker {
	f.t.Helper()
	if cfg.PruneEvery == 0 {
		cfg.PruneEvery = -1
	}
	cfg.AllowPrivateNetworks = true
	w := New(f.svc, cfg)
	f.t.Cleanup(func() { _ = w.Drain(context.Background()) })
	return w
}

func (f *fixture) run(w *Worker) {
	f.t.Helper()
	if err := w.RunOnce(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) get(id string) service.WebhookView {
	f.t.Helper()
	v, err := f.svc.GetWebhook(f.ctx, f.caller, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// hit is one request a receiver got.
type hit struct {
	id, timestamp, signature string
	body                     []byte
	event                    service.Event
}

// receiver is a webhook receiver: status decides each answer.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	status func(h hit, n int) int // n: the hits so far, this one included
	got    chan hit
}

func newReceiver(t *testing.T, status func(h hit, n int) int) *receiver {
	return newReceiverWrapped(t, status, nil)
}

// newReceiverWrapped is newReceiver with wrap around its handler.
func newReceiverWrapped(t *testing.T, status func(h hit, n int) int, wrap func(serve http.HandlerFunc) http.Handler) *receiver {
	r := &receiver{status: status, got: make(chan hit, 1000)}
	var h http.Handler = http.HandlerFunc(r.serve)
	if wrap != nil {
		h = wrap(r.serve)
	}
	r.Server = httptest.NewServer(h)
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	h := hit{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"), signature: req.Header.Get("webhook-signature"), body: body}
	_ = json.Unmarshal(body, &h.event)
	r.mu.Lock()
	r.hits = append(r.hits, h)
	n := len(r.hits)
	r.mu.Unlock()
	code := 200
	if r.status != nil {
		code = r.status(h, n)
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "answer %d to %s", code, h.id)
	r.got <- h
}

func (r *receiver) seqs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, h := range r.hits {
		out = append(out, h.event.Seq)
	}
	return out
}

// verify is the Standard Webhooks check as a receiver writes it from the
// specification, independent of the service's Sign: the key is the
// base64 after "whsec_"; the signed content is id.timestamp.body; the
// header holds space-separated "v1,<base64 HMAC-SHA256>" signatures, any
// of which may match. It reports how many of them the secret verifies.
func verify(t *testing.T, secret string, h hit) int {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) != 32 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q is not whsec_ and the base64 of 32 bytes", secret)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.id + "." + h.timestamp + "." + string(h.body)))
	want := mac.Sum(nil)
	n := 0
	for _, s := range strings.Split(h.signature, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			t.Fatalf("signature %q is not v1,<base64>", s)
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			t.Fatalf("signature %q: %v", s, err)
		}
		if hmac.Equal(raw, want) {
			n++
		}
	}
	return n
}

// TestSignedAsStandardWebhooks: every delivery carries webhook-id (the
// event's id), webhook-timestamp (the attempt's time) and a signature a
// receiver's own implementation verifies; the body is the event as the
// pull API shows it. After a rotation, two signatures (old and new
// secret) until the grace ends, then one.
func TestSignedAsStandardWebhooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, nil)
	wh := f.webhook(rcv.URL + "/hooks")
	w := f.worker(Config{})
	f.emit(1)
	f.run(w)
	if len(rcv.hits) != 1 {
		t.Fatalf("got %d deliveries", len(rcv.hits))
	}
	h := rcv.hits[0]
	page, err := f.svc.TeamEvents(f.ctx, f.team.Slug, service.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	last := page.Data[len(page.Data)-1]
	want, _ := json.Marshal(last)
	if string(h.body) != string(want) || h.id != last.ID || h.event.Type != "scim_key.created" || h.event.Team.Slug != "acme" {
		t.Fatalf("delivery %s %s, want the event %s", h.id, h.body, want)
	}
	if h.timestamp != strconv.FormatInt(f.clock.Now().Unix(), 10) {
		t.Fatalf("webhook-timestamp %s, want %d", h.timestamp, f.clock.Now().Unix())
	}
	if n := verify(t, wh.Secret, h); n != 1 || strings.Contains(h.signature, " ") {
		t.Fatalf("signature %q: %d verify", h.signature, n)
	}
	// A forged body (one character changed) doesn't verify.
	forged := h
	forged.body = []byte(strings.Replace(string(h.body), "scim_key", "scim_kex", 1))
	if verify(t, wh.Secret, forged) != 0 {
		t.Fatal("a changed body verifies")
	}
	other := h
	other.timestamp = strconv.FormatInt(f.clock.Now().Unix()+1, 10)
	if verify(t, wh.Secret, other) != 0 {
		t.Fatal("a changed timestamp verifies")
	}

	rotated, err := f.svc.RotateWebhookSecret(f.ctx, f.caller, wh.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	f.emit(1)
	f.run(w)
	h = rcv.hits[1]
	if len(strings.Split(h.signature, " ")) != 2 || verify(t, wh.Secret, h) != 1 || verify(t, rotated.Secret, h) != 1 {
		t.Fatalf("during the grace: %q should hold one signature by each secret", h.signature)
	}
	f.clock.Add(time.Hour)
	f.emit(1)
	f.run(w)
	h = rcv.hits[2]
	if verify(t, rotated.Secret, h) != 1 || verify(t, wh.Secret, h) != 0 || strings.Contains(h.signature, " ") {
		t.Fatalf("after the grace: %q should be the new secret's alone", h.signature)
	}
}

// TestRetriesOnScheduleThenGivesUp: a receiver answering 503 gets the
// event at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after
// the attempt before, never earlier; the next event waits until the
// first is given up on, then goes at once. The log records each attempt.
func TestRetriesOnScheduleThenGivesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, func(h hit, _ int) int {
		if h.event.Seq == 2 {
			return 503
		}
		return 204
	})
	wh := f.webhook(rcv.URL)
	met := metrics.New(metrics.Config{})
	w := f.worker(Config{Metrics: met})
	seqs := f.emit(2) // the admin's member.created is seq 1
	if !slices.Equal(seqs, []int64{2, 3}) {
		t.Fatalf("seqs %v", seqs)
	}
	schedule := service.WebhookRetrySchedule
	if fmt.Sprint(schedule) != "[0s 5s 5m0s 30m0s 2h0m0s 5h0m0s 10h0m0s 10h0m0s]" {
		t.Fatalf("schedule %v", schedule)
	}
	for i, wait := range schedule {
		if wait > 0 {
			f.clock.Add(wait - time.Second)
			f.run(w)
			if n := len(rcv.seqs()); n != i {
				t.Fatalf("attempt %d came a second early (%d hits)", i+1, n)
			}
			f.clock.Add(time.Second)
		}
		f.run(w)
		if got := rcv.seqs(); len(got) < i+1 || got[i] != 2 || (i+1 < len(schedule) && len(got) != i+1) {
			t.Fatalf("after attempt %d: %v", i+1, got)
		}
		v := f.get(wh.ID)
		if i+1 < len(schedule) && (v.DeliveredSeq != 1 || v.Attempts != i+1 || v.Status != "failing") {
			t.Fatalf("after attempt %d: %+v", i+1, v)
		}
	}
	// The last attempt failed: seq 2 is given up, seq 3 goes at once.
	if got := rcv.seqs(); len(got) != 9 || got[8] != 3 {
		t.Fatalf("after giving up: %v", got)
	}
	v := f.get(wh.ID)
	if v.DeliveredSeq != 3 || v.Status != "enabled" || v.Pending != 0 || !v.Enabled {
		t.Fatalf("after the next delivery: %+v", v)
	}
	log, err := f.svc.WebhookDeliveries(f.ctx, f.caller, wh.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	// The last two share an instant (the clock stood still): in seq order.
	slices.SortFunc(log, func(a, b service.DeliveryView) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Attempt, b.Attempt))
	})
	var outcomes []string
	for _, d := range log {
		outcomes = append(outcomes, fmt.Sprintf("%d#%d:%s:%d", d.Seq, d.Attempt, d.Outcome, d.Status))
	}
	want := "[2#1:failed:503 2#2:failed:503 2#3:failed:503 2#4:failed:503 2#5:failed:503 2#6:failed:503 2#7:failed:503 2#8:gave_up:503 3#1:delivered:204]"
	if fmt.Sprint(outcomes) != want {
		t.Fatalf("delivery log %v\nwant %s", outcomes, want)
	}
	if !strings.HasPrefix(log[1].Response, "answer 503 to ") || log[1].Error != "HTTP 503" {
		t.Fatalf("log entry %+v", log[1])
	}
	if w.Dropped() != 1 {
		t.Fatalf("dropped %d", w.Dropped())
	}
	scraped := scrape(t, met)
	for _, line := range []string{`roster_webhook_deliveries_total{outcome="failed"} 7`, `roster_webhook_deliveries_total{outcome="given_up"} 1`, `roster_webhook_deliveries_total{outcome="delivered"} 1`} {
		if !strings.Contains(scraped, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestOrderPerEndpoint: event N+1 goes only after N was acknowledged;
// while N is retried nothing after it is sent, and once N is through the
// rest follow in order, each once. An endpoint that takes only some types
// gets those, in order.
func TestOrderPerEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, func(h hit, n int) int {
		if n <= 2 {
			return 500 // the first event fails twice
		}
		return 200
	})
	f.webhook(rcv.URL)
	only := newReceiver(t, nil)
	filtered := f.webhook(only.URL, "scim_key.revoked")
	w := f.worker(Config{})
	keys := f.emitKeys(5) // seqs 2..6
	f.run(w)
	f.run(w) // not due yet: nothing more
	if got := rcv.seqs(); !slices.Equal(got, []int64{2}) {
		t.Fatalf("while 2 waits for its retry: %v", got)
	}
	f.clock.Add(5 * time.Second)
	f.run(w)
	if got := rcv.seqs(); !slices.Equal(got, []int64{2, 2}) {
		t.Fatalf("second attempt: %v", got)
	}
	f.clock.Add(5 * time.Minute)
	f.run(w)
	if got := rcv.seqs(); !slices.Equal(got, []int64{2, 2, 2, 3, 4, 5, 6}) {
		t.Fatalf("after 2 went through: %v", got)
	}
	// The endpoint that takes only revocations got none of the creations.
	if got := only.seqs(); len(got) != 0 {
		t.Fatalf("scim_key.revoked got %v", got)
	}
	for _, k := range keys[:2] {
		if err := f.svc.RevokeKey(f.ctx, f.team.Slug, k, f.caller.Actor); err != nil { // seqs 7 and 9
			t.Fatal(err)
		}
		f.emit(1) // 8 and 10
	}
	f.run(w)
	if got := only.seqs(); !slices.Equal(got, []int64{7, 9}) {
		t.Fatalf("scim_key.revoked got %v", got)
	}
	if got := rcv.seqs(); !slices.Equal(got, []int64{2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("every type: %v", got)
	}
	v := f.get(filtered.ID)
	if v.DeliveredSeq != 10 || v.Pending != 0 {
		t.Fatalf("the filtered endpoint passed over what it doesn't take: %+v", v)
	}
}

// TestDisabledAfterThreeDays: an endpoint that fails every attempt goes
// on through the schedule (giving events up) and is switched off at its
// first attempt 3 days after the failures began, with the reason; the
// metric counts it; enabling it again starts afresh at once.
func TestDisabledAfterThreeDays(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	down := true
	var mu sync.Mutex
	rcv := newReceiver(t, func(hit, int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503
		}
		return 200
	})
	wh := f.webhook(rcv.URL)
	met := metrics.New(metrics.Config{})
	w := f.worker(Config{Metrics: met})
	f.emit(4)
	start := f.clock.Now()
	var v service.WebhookView
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("never disabled")
		}
		f.run(w)
		v = f.get(wh.ID)
		if !v.Enabled {
			break
		}
		next, err := time.Parse(time.RFC3339, *v.NextAttemptAt)
		if err != nil {
			t.Fatal(err)
		}
		if f.clock.Now().Sub(start) >= service.WebhookDisableAfter {
			t.Fatalf("still enabled %s after the failures began: %+v", f.clock.Now().Sub(start), v)
		}
		f.clock.Set(next)
	}
	failed := f.clock.Now().Sub(start)
	if failed < service.WebhookDisableAfter || failed > service.WebhookDisableAfter+10*time.Hour {
		t.Fatalf("disabled after %s", failed)
	}
	if v.Status != "disabled" || !strings.Contains(v.DisabledReason, "3 days") || !strings.Contains(v.DisabledReason, "HTTP 503") || v.DisabledAt == nil {
		t.Fatalf("disabled endpoint: %+v", v)
	}
	if !strings.Contains(scrape(t, met), `roster_webhook_deliveries_total{outcome="disabled"} 1`) {
		t.Fatal("the disabled metric did not count it")
	}
	// Off: nothing more is sent, however late.
	hits := len(rcv.seqs())
	f.clock.Add(48 * time.Hour)
	f.run(w)
	if len(rcv.seqs()) != hits {
		t.Fatal("a disabled endpoint got a delivery")
	}
	// Enabled again, with the receiver back: the event it stopped at goes at once.
	mu.Lock()
	down = false
	mu.Unlock()
	on := true
	if _, err := f.svc.UpdateWebhook(f.ctx, f.caller, wh.ID, service.WebhookPatch{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	f.run(w)
	v = f.get(wh.ID)
	if v.Status != "enabled" || v.Pending != 0 || len(rcv.seqs()) == hits {
		t.Fatalf("enabled again: %+v, %d hits", v, len(rcv.seqs())-hits)
	}
}

// TestLeaseExclusivity: while one worker delivers to an endpoint, another
// (a second replica) sends it nothing; a lease left by a crashed replica
// holds until it expires. Two workers running side by side deliver every
// event once, in order, never two requests to the endpoint at a time.
func TestLeaseExclusivity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	first := true
	rcv := newReceiverWrapped(t, nil, func(serve http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			block := first
			first = false
			mu.Unlock()
			if block {
				<-release // the first request is held until the test lets it go
			}
			serve(rw, r)
			mu.Lock()
			inFlight--
			mu.Unlock()
		})
	})
	wh := f.webhook(rcv.URL)
	a := f.worker(Config{Owner: "replica-a"})
	b := f.worker(Config{Owner: "replica-b"})
	f.emit(3)
	done := make(chan error)
	go func() { done <- a.RunOnce(f.ctx) }()
	// Wait until a's request is at the receiver (it holds it).
	testwait.Until(t, 10*time.Second, "worker a's request at the receiver", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return inFlight == 1
	})
	f.run(b) // b finds the endpoint leased by a: sends nothing
	mu.Lock()
	if most != 1 || len(rcv.hits) != 0 {
		t.Fatalf("b delivered while a held the lease (%d at once, %d answered)", most, len(rcv.hits))
	}
	mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := rcv.seqs(); !slices.Equal(got, []int64{2, 3, 4}) {
		t.Fatalf("a delivered %v", got)
	}

	// A replica that took the lease and died: its lease holds for LeaseFor.
	if ok, err := f.svc.LeaseWebhook(f.ctx, wh.ID, "replica-dead"); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	f.emit(1)
	f.run(a)
	f.run(b)
	if got := rcv.seqs(); len(got) != 3 {
		t.Fatalf("delivered under another's lease: %v", got)
	}
	f.clock.Add(service.WebhookLeaseFor + time.Second)
	f.run(b)
	if got := rcv.seqs(); !slices.Equal(got, []int64{2, 3, 4, 5}) {
		t.Fatalf("after the dead replica's lease expired: %v", got)
	}

	// Both running, woken by every commit: each event once, in order.
	a2 := f.worker(Config{Owner: "replica-a2", Poll: 10 * time.Millisecond})
	b2 := f.worker(Config{Owner: "replica-b2", Poll: 10 * time.Millisecond})
	a2.Start()
	b2.Start()
	seqs := f.emit(40)
	want := append([]int64{2, 3, 4, 5}, seqs...)
	waitFor(t, 20*time.Second, func() bool { return len(rcv.seqs()) >= len(want) })
	if got := rcv.seqs(); !slices.Equal(got, want) {
		t.Fatalf("two workers delivered %v\nwant %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Fatalf("%d requests to the endpoint at once", most)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	testwait.Until(t, d, "the condition", cond)
}

// TestWokenByCommits: a running worker whose timer would wait an hour
// delivers an event as soon as it commits (service Changed), and one on
// its Wake channel; Drain stops it and gives its leases up.
func TestWokenByCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var code atomic.Int32
	code.Store(200)
	rcv := newReceiver(t, func(hit, int) int { return int(code.Load()) })
	wh := f.webhook(rcv.URL)
	wake := make(chan struct{}, 1)
	w := f.worker(Config{Poll: time.Hour, Wake: wake})
	w.Start()
	f.emit(1)
	select {
	case h := <-rcv.got:
		if h.event.Seq != 2 {
			t.Fatalf("got seq %d", h.event.Seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the commit did not wake the worker")
	}
	// A retry coming due is found by the timer, or a wake: no commit
	// says so.
	code.Store(503)
	f.emit(1)
	if h := <-rcv.got; h.event.Seq != 3 {
		t.Fatalf("got seq %d", h.event.Seq)
	}
	waitFor(t, 10*time.Second, func() bool { return f.get(wh.ID).Attempts == 1 }) // the failure recorded
	code.Store(200)
	f.clock.Add(5 * time.Second)
	wake <- struct{}{}
	select {
	case h := <-rcv.got:
		if h.event.Seq != 3 {
			t.Fatalf("got seq %d", h.event.Seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wake did not start a pass")
	}
	waitFor(t, 10*time.Second, func() bool { return f.get(wh.ID).Pending == 0 })
	if err := w.Drain(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Drained: its lease is free for another worker at once.
	if ok, err := f.svc.LeaseWebhook(f.ctx, wh.ID, "next-replica"); err != nil || !ok {
		t.Fatalf("lease after drain: %v %v", ok, err)
	}
}

// TestDialGuard: the connection is checked on the address dialled. A
// name resolving to loopback under https, and private addresses, are
// refused unless private networks are allowed, with the reason in the
// delivery log; http reaches loopback only.
func TestDialGuard(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		addr                       string
		allowPrivate, loopbackOnly bool
		ok                         bool
	}{
		{"10.0.0.1:443", false, false, false},
		{"127.0.0.1:443", false, false, false},
		{"[::1]:443", false, false, false},
		{"169.254.169.254:80", false, false, false},
		{"192.168.1.1:443", false, false, false},
		{"100.64.0.1:443", false, false, false},
		{"[fd00::1]:443", false, false, false},
		{"[::ffff:10.0.0.1]:443", false, false, false},
		{"0.0.0.0:443", false, false, false},
		{"93.184.215.14:443", false, false, true},
		{"10.0.0.1:443", true, false, true},
		{"127.0.0.1:80", true, true, true},
		{"10.0.0.1:80", true, true, false},
	} {
		err := guard(c.allowPrivate, c.loopbackOnly)("tcp", c.addr, nil)
		if (err == nil) != c.ok {
			t.Errorf("guard(allowPrivate=%v, http=%v) %s: %v", c.allowPrivate, c.loopbackOnly, c.addr, err)
		}
	}

	f := newFixture(t)
	rcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(rcv.Close)
	_, port, _ := net.SplitHostPort(rcv.Listener.Addr().String())
	// example.com is in httptest's certificate; here it resolves to 127.0.0.1.
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host != "example.com" {
			return nil, fmt.Errorf("no such host %s", host)
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	roots := rcv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	wh := f.webhook("https://example.com:" + port + "/hooks")
	f.emit(1)
	strict := New(f.svc, Config{Lookup: lookup, RootCAs: roots, PruneEvery: -1})
	t.Cleanup(func() { _ = strict.Drain(context.Background()) })
	f.run(strict)
	log, err := f.svc.WebhookDeliveries(f.ctx, f.caller, wh.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Outcome != "failed" || log[0].Status != 0 ||
		!strings.Contains(log[0].Error, "refused to connect to example.com (127.0.0.1)") || !strings.Contains(log[0].Error, "--webhooks-allow-private-networks") {
		t.Fatalf("delivery log: %+v", log)
	}
	// Allowed: the same delivery goes through.
	f.clock.Add(5 * time.Second)
	allowed := New(f.svc, Config{AllowPrivateNetworks: true, Lookup: lookup, RootCAs: roots, PruneEvery: -1})
	t.Cleanup(func() { _ = allowed.Drain(context.Background()) })
	f.run(allowed)
	if v := f.get(wh.ID); v.Pending != 0 || v.Status != "enabled" {
		t.Fatalf("allowed: %+v", v)
	}
	// An http URL made while private networks were allowed is refused by
	// a worker that doesn't allow them, before any connection.
	plain := newReceiver(t, nil)
	wh2 := f.webhook(plain.URL)
	f.emit(1)
	f.run(strict)
	log, _ = f.svc.WebhookDeliveries(f.ctx, f.caller, wh2.ID, 10)
	if len(log) != 1 || !strings.HasPrefix(log[0].Error, "refused: ") || len(plain.seqs()) != 0 {
		t.Fatalf("http to loopback without the flag: %+v, %d hits", log, len(plain.seqs()))
	}
}

// TestCleanExcerpt: what the log keeps of an answer is valid UTF-8, no
// NUL, at most the excerpt's bytes, cut between characters.
func TestCleanExcerpt(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", service.MaxWebhookResponseExcerpt) // 2 bytes each
	got := clean("\x00bad \xff" + long)
	if len(got) > service.MaxWebhookResponseExcerpt || !utf8.ValidString(got) || strings.Contains(got, "\x00") || !strings.HasPrefix(got, "bad \uFFFD") {
		t.Fatalf("clean: %d bytes, valid %v, %q…", len(got), utf8.ValidString(got), got[:10])
	}
}

// TestPrunesPastTheRetention: the running worker deletes the events older
// than the retention; a cursor from before them is then 410.
func TestPrunesPastTheRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.SetEventsConfig(service.EventsConfig{Retention: 24 * time.Hour})
	f.emit(3) // seqs 2..4, with the admin's 1
	f.clock.Add(25 * time.Hour)
	f.emit(1) // seq 5 stays
	w := f.worker(Config{PruneEvery: 5 * time.Millisecond, Poll: time.Hour})
	w.Start()
	waitFor(t, 10*time.Second, func() bool {
		page, err := f.svc.TeamEvents(f.ctx, f.team.Slug, service.EventQuery{})
		return err == nil && len(page.Data) == 1 && page.Data[0].Seq == 5
	})
	_, err := f.svc.TeamEvents(f.ctx, f.team.Slug, service.EventQuery{After: "2"})
	if e, ok := service.AsError(err); !ok || e.Kind != service.KindGone {
		t.Fatalf("a cursor before the pruned events: %v", err)
	}
}

// TestBacklogMetric: roster_event_queue_depth counts, per team, the events
// after the enabled endpoint furthest behind; a disabled endpoint doesn't
// hold it up; delivered, it is 0.
func TestBacklogMetric(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var up atomic.Bool
	rcv := newReceiver(t, func(hit, int) int {
		if up.Load() {
			return 200
		}
		return 503
	})
	f.webhook(rcv.URL)
	fast := f.webhook(newReceiver(t, nil).URL)
	off := f.webhook(newReceiver(t, nil).URL)
	no := false
	if _, err := f.svc.UpdateWebhook(f.ctx, f.caller, off.ID, service.WebhookPatch{Enabled: &no}); err != nil {
		t.Fatal(err)
	}
	met := metrics.New(metrics.Config{})
	w := f.worker(Config{Metrics: met, Poll: time.Hour})
	met.WatchEventQueue(w.Backlog, w.Dropped)
	w.measure()
	if w.Backlog() != 0 {
		t.Fatalf("backlog %d with nothing sent", w.Backlog())
	}
	f.emit(3)
	f.run(w) // fast takes all 3; the other fails the first
	if v := f.get(fast.ID); v.Pending != 0 {
		t.Fatalf("fast endpoint: %+v", v)
	}
	w.measure()
	if !strings.Contains(scrape(t, met), "roster_event_queue_depth 3\n") {
		t.Fatalf("backlog %d, want 3", w.Backlog())
	}
	up.Store(true)
	f.clock.Add(5 * time.Second)
	f.run(w)
	w.measure()
	if w.Backlog() != 0 {
		t.Fatalf("backlog %d after delivery", w.Backlog())
	}
}
