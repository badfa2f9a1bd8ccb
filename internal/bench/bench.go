// Package bench is Roster's load benchmark (`roster bench`): it starts
// Roster in-process on a loopback port (or targets a running server),
// seeds a team with members, drives IdP-shaped scenarios with concurrent
// clients over real HTTP, and runs the same scenarios against a minimal
// in-memory SCIM server, the baseline Roster's figures are given as ratios
// to. See docs/performance.md.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// OpenedStore is the store the in-process server runs on, opened by the
// caller (cmd/roster knows the backends; this package only the contract).
type OpenedStore struct {
	Store store.Store
	Size  func() int64 // bytes on disk, for the report
	Close func()       // closes the store and removes what it made
	// Analyze, when set, gathers planner statistics after the seed
	// (PostgreSQL; SQLite plans without them).
	Analyze func(ctx context.Context) error
}

// Options configure one benchmark run.
type Options struct {
	Backend string // "sqlite" (default) or "postgres", for the report
	// Open opens the store of the in-process server (not needed with Base).
	Open        func(ctx context.Context) (OpenedStore, error)
	Base, Token string // target a running server instead (SCIM base URL and key)

	Users     int           // members seeded before the scenarios
	Clients   int           // concurrent clients
	Duration  time.Duration // per scenario
	Ops       int           // per scenario op budget; 0 means only Duration bounds it
	GroupSize int           // members group-grow adds
	Scenarios []string      // nil: all
	Baseline  bool          // also run the in-memory baseline

	// BaselineExec, when set, runs the baseline in a child process (this
	// command line plus --users N), so that Roster's peak RSS is its own;
	// see ServeBaseline. Otherwise the baseline runs in this process.
	BaselineExec []string

	CPUProfile string // written while the scenarios run
	MemProfile string // allocations, written at the end

	// Progress, when set, receives one line per step.
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Users <= 0 {
		o.Users = 100000
	}
	if o.Clients <= 0 {
		o.Clients = 16
	}
	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
	}
	if o.GroupSize <= 0 {
		o.GroupSize = 10000
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	if o.Backend == "" {
		o.Backend = "sqlite"
	}
}

// Result is one scenario's figures on one target.
type Result struct {
	Scenario   string  `json:"scenario"`
	Unit       string  `json:"unit"` // "ops", or "users" for import
	Ops        int64   `json:"ops"`
	Seconds    float64 `json:"seconds"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	// import: the pages read.
	Pages int64 `json:"pages,omitempty"`
	// group-grow: members added, and the median latency of the first and
	// the last 100 adds.
	GroupSize       int     `json:"group_size,omitempty"`
	GroupFirstP50ms float64 `json:"group_first100_p50_ms,omitempty"`
	GroupLastP50ms  float64 `json:"group_last100_p50_ms,omitempty"`
}

// TargetReport is every scenario on one target.
type TargetReport struct {
	Name        string  `json:"name"`
	SeedSeconds float64 `json:"seed_seconds"`
	// PeakRSSMiB is VmHWM: for Roster, the bench process's (Roster and
	// the load generator, plus the baseline when it runs in-process).
	PeakRSSMiB float64  `json:"peak_rss_mib"`
	StoreBytes int64    `json:"store_bytes,omitempty"`
	Results    []Result `json:"results"`
}

// Report is a whole run.
type Report struct {
	Started   time.Time          `json:"started"`
	Backend   string             `json:"backend"`
	Users     int                `json:"users"`
	Clients   int                `json:"clients"`
	Duration  string             `json:"duration"`
	CPUs      int                `json:"cpus"`
	GoVersion string             `json:"go_version"`
	Roster    TargetReport       `json:"roster"`
	Baseline  *TargetReport      `json:"baseline,omitempty"`
	Ratios    map[string]float64 `json:"ratios,omitempty"` // Roster ops/s ÷ baseline ops/s
}

// Run runs the benchmark. Both servers are started first; then each
// scenario runs on the baseline and at once on Roster, so a ratio is
// measured under the same load from the other users of the machine.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	for _, s := range o.Scenarios {
		if !contains(Scenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	rep := &Report{Started: time.Now().UTC(), Backend: o.Backend, Users: o.Users, Clients: o.Clients,
		Duration: o.Duration.String(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if o.Base != "" {
		rep.Backend = "external " + o.Base
	}
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	var seq atomic.Int64

	var bt *target
	if o.Baseline {
		start := time.Now()
		var err error
		if len(o.BaselineExec) > 0 {
			progress("baseline: seeding %d members in memory, in a child process", o.Users)
			bt, err = startBaselineProcess(ctx, o.BaselineExec, o.Users)
		} else {
			progress("baseline: seeding %d members in memory", o.Users)
			bt, err = startBaseline(o.Users)
		}
		if err != nil {
			return nil, err
		}
		defer bt.close()
		rep.Baseline = &TargetReport{Name: bt.name, SeedSeconds: time.Since(start).Seconds()}
		runtime.GC()
		debug.FreeOSMemory()
	}

	resetPeakRSS()
	var t *target
	var err error
	start := time.Now()
	if o.Base != "" {
		progress("roster: %s, creating %d members over HTTP", o.Base, o.Users)
		t, err = startExternal(ctx, o, progress)
	} else {
		progress("roster (%s): seeding %d members through the store", o.Backend, o.Users)
		t, err = startRoster(ctx, o, progress)
	}
	if err != nil {
		return nil, err
	}
	defer t.close()
	rep.Roster = TargetReport{Name: t.name, SeedSeconds: time.Since(start).Seconds()}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	rc := newClient(t, o.Clients)
	defer rc.hc.CloseIdleConnections()
	var bc *client
	if bt != nil {
		bc = newClient(bt, o.Clients)
		defer bc.hc.CloseIdleConnections()
	}
	for _, s := range o.Scenarios {
		if bt != nil {
			res, err := runOne(ctx, o, bt, bc, s, runID, &seq, progress)
			if err != nil {
				return nil, err
			}
			rep.Baseline.Results = append(rep.Baseline.Results, res)
		}
		res, err := runOne(ctx, o, t, rc, s, runID, &seq, progress)
		if err != nil {
			return nil, err
		}
		rep.Roster.Results = append(rep.Roster.Results, res)
	}
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	rep.Roster.PeakRSSMiB = peakRSSMiB("self")
	if t.storeSize != nil {
		rep.Roster.StoreBytes = t.storeSize()
	}
	if bt != nil {
		rep.Baseline.PeakRSSMiB = bt.peakRSS()
	}
	if o.MemProfile != "" {
		if err := writeProfile(o.MemProfile, "allocs"); err != nil {
			return nil, err
		}
	}
	if rep.Baseline != nil {
		rep.Ratios = map[string]float64{}
		for _, r := range rep.Roster.Results {
			if b := rep.baseline(r.Scenario); b != nil && b.OpsPerSec > 0 {
				rep.Ratios[r.Scenario] = r.OpsPerSec / b.OpsPerSec
			}
		}
	}
	return rep, nil
}

func runOne(ctx context.Context, o Options, t *target, c *client, s, runID string, seq *atomic.Int64, progress func(string, ...any)) (Result, error) {
	res, err := runScenario(ctx, o, t, c, s, runID+t.name, seq)
	if err != nil {
		return res, err
	}
	progress("  %-9s %-12s %10.0f %s/s  p50 %7.2f ms  p99 %7.2f ms  errors %d", t.name, s, res.OpsPerSec, res.Unit, res.P50ms, res.P99ms, res.Errors)
	if res.FirstError != "" {
		progress("    first error: %s", res.FirstError)
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup(name).WriteTo(f, 0)
}

// peakRSSMiB reads VmHWM, the peak resident set size of a process
// ("self" or a pid).
func peakRSSMiB(pid string) float64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux ≥ 4.0).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// WriteText prints the report as a table.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "roster bench: %s, %d members, %d clients, %s per scenario, %d CPUs, %s\n\n",
		r.Backend, r.Users, r.Clients, r.Duration, r.CPUs, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tunit\troster/s\tp50 ms\tp99 ms\terrors\tbaseline/s\tp50 ms\tp99 ms\terrors\tratio\t")
	for _, res := range r.Roster.Results {
		row := fmt.Sprintf("%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t", res.Scenario, res.Unit, res.OpsPerSec, res.P50ms, res.P99ms, res.Errors)
		if b := r.baseline(res.Scenario); b != nil {
			row += fmt.Sprintf("%.0f\t%.2f\t%.2f\t%d\t%.2f\t", b.OpsPerSec, b.P50ms, b.P99ms, b.Errors, r.Ratios[res.Scenario])
		} else {
			row += "-\t-\t-\t-\t-\t"
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, res := range r.Roster.Results {
		if res.Scenario == "group-grow" {
			fmt.Fprintf(w, "group-grow: %d members; median add, first 100 %.2f ms, last 100 %.2f ms (×%.2f)",
				res.GroupSize, res.GroupFirstP50ms, res.GroupLastP50ms, safeDiv(res.GroupLastP50ms, res.GroupFirstP50ms))
			if b := r.baseline("group-grow"); b != nil {
				fmt.Fprintf(w, "; baseline %.2f ms → %.2f ms", b.GroupFirstP50ms, b.GroupLastP50ms)
			}
			fmt.Fprintln(w)
		}
		if res.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", res.Scenario, res.FirstError)
		}
	}
	fmt.Fprintf(w, "roster: seeded in %.1fs, peak RSS %.0f MiB", r.Roster.SeedSeconds, r.Roster.PeakRSSMiB)
	if r.Roster.StoreBytes > 0 {
		fmt.Fprintf(w, ", store %.1f MiB", float64(r.Roster.StoreBytes)/(1<<20))
	}
	fmt.Fprintln(w)
	if r.Baseline != nil {
		fmt.Fprintf(w, "baseline: peak RSS %.0f MiB\n", r.Baseline.PeakRSSMiB)
	}
	return nil
}

func (r *Report) baseline(scenario string) *Result {
	if r.Baseline == nil {
		return nil
	}
	for i := range r.Baseline.Results {
		if r.Baseline.Results[i].Scenario == scenario {
			return &r.Baseline.Results[i]
		}
	}
	return nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// WriteJSON prints the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
