// Package webhooks is the webhook delivery worker (docs/events.md): it
// finds the endpoints with events due, takes each endpoint's lease in the
// database (so one replica at a time delivers to an endpoint), sends its
// events one after another, signed as Standard Webhooks do, and records
// each attempt; the service decides what comes next (the next event once
// this one is acknowledged or given up on, retries on the schedule, the
// endpoint switched off after 3 days of failures). It runs beside the
// server, never on a request's path: woken by the events this process
// commits (service Changed) and by a timer, for the events of other
// replicas and the CLI, and for retries coming due. Its state is all in
// the database, so it survives restarts. It also prunes events past the
// retention.
package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/buildinfo"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// Config tunes a Worker. The zero value is what roster serve uses, but
// for AllowPrivateNetworks.
type Config struct {
	// AllowPrivateNetworks lets deliveries connect to loopback and
	// private addresses (roster serve --webhooks-allow-private-networks).
	AllowPrivateNetworks bool
	// Owner names this worker in the endpoints' leases; default: the host
	// name, the process id and a random suffix.
	Owner string
	// Now is the clock (default: the service's); tests move it.
	Now func() time.Time
	// Wake, when set, starts a pass at once when it receives or is closed
	// (tests); the service's Changed and the Poll timer always do.
	Wake <-chan struct{}
	// Poll is how often a pass runs without being woken: for events other
	// processes commit and retries coming due. Default 1s.
	Poll time.Duration
	// Concurrency bounds the endpoints delivered to at once. Default 16.
	Concurrency int
	// MinInterval spaces the passes that commits start, so a busy server
	// asks for due endpoints at most this often. Default 25ms; negative:
	// not at all.
	MinInterval time.Duration
	// Timeout is how long a receiver has to answer (default 15 s,
	// service.WebhookDeliveryTimeout).
	Timeout time.Duration
	// PruneEvery is how often events past the retention are deleted
	// (default 1h, the first a minute after Start); negative: never.
	PruneEvery time.Duration
	// BacklogEvery is how often the backlog metric is recomputed. Default 30s.
	BacklogEvery time.Duration
	Metrics      *metrics.Metrics
	Log          *slog.Logger
	// Lookup resolves receivers' host names (default: the system's); the
	// guard checks the addresses it gives when they are dialled. Tests
	// make a name resolve to loopback with it.
	Lookup LookupFunc
	// RootCAs verify receivers' certificates (default: the system's).
	RootCAs *x509.CertPool
}

// Worker delivers webhooks.
type Worker struct {
	svc     *service.Service
	cfg     Config
	clients clients
	ua      string

	base   context.Context // cancelled when a drain runs out of time
	cancel context.CancelFunc
	stop   chan struct{} // closed by Drain: no new passes, no new items
	once   sync.Once
	loop   sync.WaitGroup // the pass loop, the pruner, the backlog
	sem    chan struct{}
	kick   chan struct{} // a delivery ended: pass again

	mu       sync.Mutex
	idle     *sync.Cond      // signalled when inflight empties
	inflight map[string]bool // endpoint ids being delivered by this worker

	backlog atomic.Int64
	dropped atomic.Int64
	running atomic.Bool // the pass loop runs (Check)
}

// New builds a worker over svc; Start runs it.
func New(svc *service.Service, cfg Config) *Worker {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return svc.Now() }
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = 25 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = service.WebhookDeliveryTimeout
	}
	if cfg.PruneEvery == 0 {
		cfg.PruneEvery = time.Hour
	}
	if cfg.BacklogEvery <= 0 {
		cfg.BacklogEvery = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	base, cancel := context.WithCancel(context.Background())
	w := &Worker{svc: svc, cfg: cfg, clients: newClients(cfg.AllowPrivateNetworks, cfg.Lookup, cfg.RootCAs),
		ua: "Roster-Webhooks/" + buildinfo.Get().Version, base: base, cancel: cancel, stop: make(chan struct{}),
		sem: make(chan struct{}, cfg.Concurrency), kick: make(chan struct{}, 1), inflight: map[string]bool{}}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// Owner is the name of the worker's leases.
func (w *Worker) Owner() string { return w.cfg.Owner }

// Backlog is the last computed count of events not yet delivered to every
// endpoint (roster_event_queue_depth).
func (w *Worker) Backlog() int { return int(w.backlog.Load()) }

// Dropped counts the events given up on since start: every attempt at
// them failed (roster_event_queue_dropped_total).
func (w *Worker) Dropped() int64 { return w.dropped.Load() }

// Start runs the worker in the background until Drain: a pass at once,
// then one each time this process commits events, a delivery ends, Wake
// fires, or Poll passes; the pruner and the backlog metric beside it.
func (w *Worker) Start() {
	w.cfg.Metrics.WatchEventQueue(w.Backlog, w.Dropped)
	w.loop.Add(1)
	w.running.Store(true) // before the goroutine: ready at once
	go w.run()
	if w.cfg.PruneEvery > 0 {
		w.loop.Add(1)
		go w.every(min(time.Minute, w.cfg.PruneEvery), w.cfg.PruneEvery, w.prune)
	}
	w.loop.Add(1)
	go w.every(0, w.cfg.BacklogEvery, w.measure)
}

func (w *Worker) run() {
	defer w.loop.Done()
	defer w.running.Store(false)
	t := time.NewTimer(w.cfg.Poll)
	defer t.Stop()
	for {
		changed := w.svc.Changed() // before the pass: an event committed during it wakes the next
		started := time.Now()
		if err := w.pass(w.base); err != nil && w.base.Err() == nil {
			w.cfg.Log.Warn("webhooks: looking for due endpoints", "err", err)
		}
		t.Reset(w.cfg.Poll)
		select {
		case <-w.stop:
			return
		case <-changed:
			w.space(started)
		case <-w.kick:
			w.space(started)
		case <-w.cfg.Wake:
		case <-t.C:
		}
	}
}

// space waits until MinInterval has passed since the last pass started
// (or the worker stops), so a stream of commits doesn't turn into a
// stream of queries.
func (w *Worker) space(started time.Time) {
	left := w.cfg.MinInterval - time.Since(started)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.stop:
	}
}

// every runs fn after first, then every period, until Drain.
func (w *Worker) every(first, period time.Duration, fn func()) {
	defer w.loop.Done()
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		fn()
		t.Reset(period)
	}
}

func (w *Worker) prune() {
	ctx, cancel := context.WithTimeout(w.base, 5*time.Minute)
	defer cancel()
	n, err := w.svc.PruneEvents(ctx)
	switch {
	case err != nil && w.base.Err() == nil:
		w.cfg.Log.Warn("events: pruning past the retention", "err", err, "deleted", n)
	case n > 0:
		w.cfg.Log.Info("events: pruned past the retention", "deleted", n)
	}
}

func (w *Worker) measure() {
	ctx, cancel := context.WithTimeout(w.base, 10*time.Second)
	defer cancel()
	n, err := w.svc.WebhookBacklog(ctx)
	if err != nil {
		if w.base.Err() == nil {
			w.cfg.Log.Warn("webhooks: measuring the backlog", "err", err)
		}
		return
	}
	w.backlog.Store(n)
}

// RunOnce is one pass, waiting for the deliveries it started: every
// endpoint due now is delivered to until it has nothing due (tests drive
// the worker with it and the clock).
func (w *Worker) RunOnce(ctx context.Context) error {
	err := w.pass(ctx)
	w.waitIdle()
	return err
}

// waitIdle returns once no delivery of this worker is in flight.
func (w *Worker) waitIdle() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.inflight) > 0 {
		w.idle.Wait()
	}
}

// pass starts a delivery for each endpoint due and not already being
// delivered to by this worker, as far as Concurrency allows (the rest
// wait for the next pass, which the end of a delivery starts).
func (w *Worker) pass(ctx context.Context) error {
	if work, err := w.svc.AnyWebhookWork(ctx, w.cfg.Owner); err != nil || !work {
		return err // nothing to deliver at any time: the clock isn't read
	}
	due, err := w.svc.DueWebhooks(ctx, w.cfg.Owner, 4*w.cfg.Concurrency)
	if err != nil {
		return err
	}
	for _, e := range due {
		if w.stopping() {
			return nil
		}
		w.mu.Lock() // one delivery per endpoint in this worker: checked and marked at once
		if w.inflight[e.ID] {
			w.mu.Unlock()
			continue
		}
		select {
		case w.sem <- struct{}{}:
		default:
			w.mu.Unlock()
			return nil // all slots taken; a delivery's end starts the next pass
		}
		w.inflight[e.ID] = true
		w.mu.Unlock()
		go func() {
			defer func() {
				<-w.sem
				w.mu.Lock()
				delete(w.inflight, e.ID)
				if len(w.inflight) == 0 {
					w.idle.Broadcast()
				}
				w.mu.Unlock()
				select {
				case w.kick <- struct{}{}:
				default:
				}
			}()
			w.endpoint(ctx, e)
		}()
	}
	return nil
}

func (w *Worker) stopping() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// maxBurst bounds the items one delivery sends before it lets the
// endpoint go (the next pass takes it again).
const maxBurst = 1000

// endpoint delivers to one endpoint while it holds the lease and has an
// item due: one item at a time, the next only once the last was
// acknowledged or given up on.
func (w *Worker) endpoint(ctx context.Context, e store.WebhookEndpoint) {
	log := w.cfg.Log.With("team", e.TeamID, "webhook", e.ID)
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.svc.ReleaseWebhook(rctx, e.ID, w.cfg.Owner); err != nil {
			log.Warn("webhooks: releasing the lease", "err", err)
		}
	}()
	for range maxBurst {
		if w.stopping() || ctx.Err() != nil {
			return
		}
		// Taken, or renewed, before each item: an item takes at most the
		// timeout, well within the lease.
		ok, err := w.svc.LeaseWebhook(ctx, e.ID, w.cfg.Owner)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				log.Warn("webhooks: taking the lease", "err", err)
			}
			return // another replica delivers to it
		}
		d, ok, err := w.svc.NextWebhookDelivery(ctx, e.TeamID, e.ID)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				log.Warn("webhooks: the next item", "err", err)
			}
			return
		}
		a := w.send(ctx, d)
		if ctx.Err() != nil || w.base.Err() != nil {
			return // cut short by a shutdown, not the receiver: sent again after the restart
		}
		outcome, err := w.svc.RecordWebhookAttempt(context.WithoutCancel(ctx), d, a)
		if err != nil {
			log.Warn("webhooks: recording an attempt", "err", err, "seq", d.Event.Seq)
			return
		}
		w.report(log, d, a, outcome)
		if outcome == store.DeliveryFailed {
			return // retried when due
		}
	}
}

// report counts and logs an attempt's outcome.
func (w *Worker) report(log *slog.Logger, d service.WebhookDelivery, a service.WebhookAttempt, outcome string) {
	attrs := []any{"seq", d.Event.Seq, "event", d.Event.ID, "attempt", d.Attempt, "status", a.Status, "latency_ms", a.Latency.Milliseconds()}
	if a.Error != "" {
		attrs = append(attrs, "err", a.Error)
	}
	switch outcome {
	case store.DeliveryDelivered:
		w.cfg.Metrics.WebhookDelivery(metrics.WebhookDelivered)
		log.Debug("webhook delivered", attrs...)
	case store.DeliveryGaveUp:
		w.cfg.Metrics.WebhookDelivery(metrics.WebhookGivenUp)
		w.dropped.Add(1)
		log.Warn("webhook given up after its last attempt", attrs...)
	default:
		w.cfg.Metrics.WebhookDelivery(metrics.WebhookFailed)
		log.Info("webhook attempt failed; retried later", attrs...)
	}
	// The service switches the endpoint off once it has failed this long.
	if outcome != store.DeliveryDelivered && d.Endpoint.FailingSince != nil &&
		w.cfg.Now().Sub(*d.Endpoint.FailingSince) >= service.WebhookDisableAfter {
		w.cfg.Metrics.WebhookDelivery(metrics.WebhookDisabled)
		log.Error("webhook endpoint disabled: its deliveries failed for 3 days", append(attrs, "failing_since", d.Endpoint.FailingSince.UTC().Format(time.RFC3339))...)
	}
}

// send makes one attempt: the event's JSON, POSTed with the Standard
// Webhooks headers, 2xx within the timeout being a delivery.
func (w *Worker) send(ctx context.Context, d service.WebhookDelivery) service.WebhookAttempt {
	if err := service.CheckWebhookURL(d.Endpoint.URL, w.cfg.AllowPrivateNetworks); err != nil {
		msg := err.Error()
		if e, ok := service.AsError(err); ok {
			msg = e.Message
		}
		return service.WebhookAttempt{Error: "refused: " + msg}
	}
	now := w.cfg.Now()
	ts := now.Unix()
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint.URL, bytes.NewReader(d.Body))
	if err != nil {
		return service.WebhookAttempt{Error: clean(err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.ua)
	req.Header.Set("webhook-id", d.Event.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", service.WebhookSignatures(d.Endpoint, now, d.Event.ID, ts, d.Body))
	hc := w.clients.https
	if req.URL.Scheme == "http" {
		hc = w.clients.http
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return service.WebhookAttempt{Latency: time.Since(start), Error: clean(describe(err, w.cfg.Timeout))}
	}
	defer resp.Body.Close()
	a := service.WebhookAttempt{Status: resp.StatusCode, Latency: time.Since(start)}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, service.MaxWebhookResponseExcerpt))
	a.Response = clean(string(excerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if a.Status < 200 || a.Status > 299 {
		a.Error = "HTTP " + strconv.Itoa(a.Status)
		if a.Status >= 300 && a.Status <= 399 {
			a.Error += " (a redirect, which is not followed: give the webhook its final URL)"
		}
	}
	return a
}

// clean makes text fit the delivery log: valid UTF-8 without NULs, at
// most MaxWebhookResponseExcerpt bytes, cut between characters.
func clean(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) > service.MaxWebhookResponseExcerpt {
		s = s[:service.MaxWebhookResponseExcerpt]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// Check reports whether the delivery loop runs: /healthz/ready asks it.
// A worker not started yet, drained, or whose loop ended is not ready.
func (w *Worker) Check(context.Context) error {
	if !w.running.Load() {
		return errors.New("webhooks: the delivery worker is not running")
	}
	return nil
}

// Drain stops the worker: no new passes or items; the attempts in flight
// finish (their outcome recorded) until ctx ends, then they are cut short
// (not recorded: they are sent again after the restart); leases are
// given up. Later calls wait for the first.
func (w *Worker) Drain(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	done := make(chan struct{})
	go func() {
		w.loop.Wait() // no pass starts deliveries after this
		w.waitIdle()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.New("deliveries in flight cut short by the shutdown's deadline; they are sent again after the restart")
		w.cancel()
		<-done
	}
	w.cancel()
	w.clients.close()
	return err
}
