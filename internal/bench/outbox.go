package bench

// What the event outbox costs a SCIM write (issue 15, `roster bench
// --outbox`): two Roster servers, identical but for one thing, each with
// its own store seeded alike, take the same write scenarios over HTTP on
// loopback, alternately, for several rounds. One writes events as
// production does; on the other every transaction's AppendEvents is a
// no-op (withoutEvents, a wrapper of the store given to it: no switch
// in the service or the store, so production has no way to turn events
// off). The ratio is the throughput with events over that without.
//
// What the wrapper removes is the outbox's storage work: the event rows,
// the team's counter row that numbers them in commit order, their index
// entries, and the bytes they add to the commit. What it leaves in both
// is the work the service does before calling AppendEvents: rendering
// the member as the admin API does and encoding it as JSON.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// OutboxScenarios are the writes the outbox comparison runs: a bare
// create (POST /Users), a PATCH that always changes a member (a new
// title: member.updated), and Okta's deactivate/reactivate PATCH (half
// of them change nothing once half the members are deactivated).
var OutboxScenarios = []string{"create", "patch", "deactivate"}

// withoutEvents is a store whose transactions drop the events the
// service appends.
type withoutEvents struct{ store.Store }

func (s withoutEvents) Tx(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Tx(ctx, func(tx store.Tx) error { return fn(txWithoutEvents{tx}) })
}

type txWithoutEvents struct{ store.Tx }

func (txWithoutEvents) AppendEvents(context.Context, ...store.Event) error { return nil }

// OutboxResult is one scenario with and without events, summed over the
// rounds.
type OutboxResult struct {
	Scenario string `json:"scenario"`
	// With and Without are the per-round results.
	With    []Result `json:"with_events"`
	Without []Result `json:"without_events"`
	// Throughput over all rounds (ops ÷ seconds) and latency over the
	// rounds' medians.
	WithOpsPerSec    float64 `json:"with_ops_per_sec"`
	WithoutOpsPerSec float64 `json:"without_ops_per_sec"`
	// Ratio is WithOpsPerSec ÷ WithoutOpsPerSec; RoundRatios per round.
	Ratio       float64   `json:"ratio"`
	RoundRatios []float64 `json:"round_ratios"`
	// P50 and P99 in ms, the mean of the rounds'.
	WithP50ms    float64 `json:"with_p50_ms"`
	WithoutP50ms float64 `json:"without_p50_ms"`
	WithP99ms    float64 `json:"with_p99_ms"`
	WithoutP99ms float64 `json:"without_p99_ms"`
	Errors       int64   `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
}

// OutboxReport is a whole comparison.
type OutboxReport struct {
	Started   time.Time      `json:"started"`
	Backend   string         `json:"backend"`
	Users     int            `json:"users"`
	Clients   int            `json:"clients"`
	Duration  string         `json:"duration"`
	Rounds    int            `json:"rounds"`
	CPUs      int            `json:"cpus"`
	GoVersion string         `json:"go_version"`
	Results   []OutboxResult `json:"results"`
	// Events each server's team holds at the end: the one without must
	// have none, or the comparison compared nothing.
	EventsWith    int64 `json:"events_with"`
	EventsWithout int64 `json:"events_without"`
}

// OutboxCost runs the comparison: o's Users, Clients, Duration (per
// scenario, round and server), Ops, Open and Progress apply; Scenarios
// defaults to OutboxScenarios. Each round runs every scenario on both
// servers back to back, the order alternating from round to round.
func OutboxCost(ctx context.Context, o Options, rounds int) (*OutboxReport, error) {
	if o.Base != "" {
		return nil, fmt.Errorf("the outbox comparison starts its own two servers: --base does not apply")
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = OutboxScenarios
	}
	o.defaults()
	for _, s := range o.Scenarios {
		if !contains(OutboxScenarios, s) {
			return nil, fmt.Errorf("unknown outbox scenario %q (known: %v)", s, OutboxScenarios)
		}
	}
	if rounds <= 0 {
		rounds = 3
	}
	if o.Open == nil {
		return nil, fmt.Errorf("bench: no store to open (Options.Open)")
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	rep := &OutboxReport{Started: time.Now().UTC(), Backend: o.Backend, Users: o.Users, Clients: o.Clients, Duration: o.Duration.String(),
		Rounds: rounds, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}

	progress("with events: seeding %d members", o.Users)
	with, err := startRoster(ctx, o, progress)
	if err != nil {
		return nil, err
	}
	defer with.close()
	with.name = "with-events"
	noEv := o
	noEv.Open = func(ctx context.Context) (OpenedStore, error) {
		s, err := o.Open(ctx)
		if err == nil {
			s.Store = withoutEvents{s.Store}
		}
		return s, err
	}
	progress("without events: seeding %d members", o.Users)
	without, err := startRoster(ctx, noEv, progress)
	if err != nil {
		return nil, err
	}
	defer without.close()
	without.name = "without-events"
	cw, cn := newClient(with, o.Clients), newClient(without, o.Clients)
	defer cw.hc.CloseIdleConnections()
	defer cn.hc.CloseIdleConnections()

	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	var seq atomic.Int64
	results := map[string]*OutboxResult{}
	for _, s := range o.Scenarios {
		results[s] = &OutboxResult{Scenario: s}
	}
	for round := range rounds {
		for _, s := range o.Scenarios {
			res := results[s]
			first, second := with, without
			if round%2 == 1 {
				first, second = without, with
			}
			for _, t := range []*target{first, second} {
				c := cw
				if t == without {
					c = cn
				}
				r, err := runScenario(ctx, o, t, c, s, runID+t.name+strconv.Itoa(round), &seq)
				if err != nil {
					return nil, err
				}
				progress("  round %d %-14s %-10s %8.0f ops/s  p50 %6.2f ms  p99 %7.2f ms  errors %d", round+1, t.name, s, r.OpsPerSec, r.P50ms, r.P99ms, r.Errors)
				if t == with {
					res.With = append(res.With, r)
				} else {
					res.Without = append(res.Without, r)
				}
				res.Errors += r.Errors
				if res.FirstError == "" {
					res.FirstError = r.FirstError
				}
			}
		}
	}
	for _, s := range o.Scenarios {
		res := results[s]
		res.WithOpsPerSec, res.WithP50ms, res.WithP99ms = summarize(res.With)
		res.WithoutOpsPerSec, res.WithoutP50ms, res.WithoutP99ms = summarize(res.Without)
		res.Ratio = safeDiv(res.WithOpsPerSec, res.WithoutOpsPerSec)
		for i := range res.With {
			res.RoundRatios = append(res.RoundRatios, safeDiv(res.With[i].OpsPerSec, res.Without[i].OpsPerSec))
		}
		rep.Results = append(rep.Results, *res)
	}
	if rep.EventsWith, err = with.events(ctx); err != nil {
		return nil, err
	}
	if rep.EventsWithout, err = without.events(ctx); err != nil {
		return nil, err
	}
	if rep.EventsWithout != 0 || rep.EventsWith == 0 {
		return rep, fmt.Errorf("the comparison is void: %d events with, %d without", rep.EventsWith, rep.EventsWithout)
	}
	return rep, nil
}

// summarize is the throughput over all rounds and the mean of their
// p50 and p99.
func summarize(rs []Result) (opsPerSec, p50, p99 float64) {
	var ops, secs float64
	for _, r := range rs {
		ops += float64(r.Ops)
		secs += r.Seconds
		p50 += r.P50ms
		p99 += r.P99ms
	}
	if n := float64(len(rs)); n > 0 {
		p50, p99 = p50/n, p99/n
	}
	return safeDiv(ops, secs), p50, p99
}

// WriteText prints the comparison as a table.
func (r *OutboxReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "roster bench --outbox: %s, %d members, %d clients, %s per scenario and server, %d rounds, %d CPUs, %s\n\n",
		r.Backend, r.Users, r.Clients, r.Duration, r.Rounds, r.CPUs, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\twith ops/s\tp50 ms\tp99 ms\twithout ops/s\tp50 ms\tp99 ms\tratio\trounds\terrors\t")
	for _, res := range r.Results {
		rounds := ""
		for i, x := range res.RoundRatios {
			if i > 0 {
				rounds += " "
			}
			rounds += fmt.Sprintf("%.2f", x)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f\t%s\t%d\t\n", res.Scenario, res.WithOpsPerSec, res.WithP50ms, res.WithP99ms,
			res.WithoutOpsPerSec, res.WithoutP50ms, res.WithoutP99ms, res.Ratio, rounds, res.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nevents written: %d with, %d without\n", r.EventsWith, r.EventsWithout)
	for _, res := range r.Results {
		if res.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", res.Scenario, res.FirstError)
		}
	}
	return nil
}

// WriteJSON prints the comparison as JSON.
func (r *OutboxReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// patchTitle is a PATCH that always changes the member: a new title.
func (w *worker) patchTitle(ctx context.Context) error {
	u := w.user()
	body := []byte(`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"title","value":"Engineer ` +
		strconv.FormatInt(w.r.seq.Add(1), 10) + `"}]}`)
	st, b, err := w.r.c.do(ctx, http.MethodPatch, "/Users/"+u.ID, body)
	return expect(st, b, err, http.StatusOK)
}
