package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// client speaks SCIM over keep-alive connections.
type client struct {
	hc   *http.Client
	base string
	auth string
}

func newClient(t *target, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &client{hc: &http.Client{Transport: tr, Timeout: time.Minute}, base: t.base, auth: "Bearer " + t.token}
}

func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// expect checks the status of an answer.
func expect(st int, b []byte, err error, want ...int) error {
	if err != nil {
		return err
	}
	if !slices.Contains(want, st) {
		return fmt.Errorf("status %d: %.200s", st, b)
	}
	return nil
}

// Scenario names, in the order they run by default.
var Scenarios = []string{"lookup", "okta-create", "deactivate", "put-profile", "mixed", "import", "group-grow"}

// run is one scenario against one target.
type run struct {
	o      Options
	t      *target
	c      *client
	runID  string
	seq    *atomic.Int64 // unique names across scenarios
	result Result
}

// worker is one concurrent client's state.
type worker struct {
	r   *run
	rng *rand.Rand
	lat []time.Duration
}

func (w *worker) user() seeded { return w.r.t.users[w.rng.IntN(len(w.r.t.users))] }

// randomCase flips the case of letters at random: userName is caseExact
// false, and IdPs don't always send it as stored.
func (w *worker) randomCase(s string) string {
	b := []rune(s)
	for i, r := range b {
		if unicode.IsLetter(r) && w.rng.IntN(2) == 0 {
			b[i] = unicode.ToUpper(r)
		}
	}
	return string(b)
}

func eqFilter(attr, v string) string {
	return url.QueryEscape(attr + ` eq "` + v + `"`)
}

func (w *worker) lookup(ctx context.Context) error {
	u := w.user()
	st, b, err := w.r.c.do(ctx, http.MethodGet, "/Users?filter="+eqFilter("userName", w.randomCase(u.UserName))+"&startIndex=1&count=100", nil)
	if err := expect(st, b, err, http.StatusOK); err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"totalResults":1`)) {
		return fmt.Errorf("lookup of %s: want one result: %.200s", u.UserName, b)
	}
	return nil
}

func (w *worker) newName() (string, int) {
	n := int(w.r.seq.Add(1))
	return fmt.Sprintf("new-%s-%d@bench.example", w.r.runID, n), n
}

func (w *worker) create(ctx context.Context, check bool) error {
	name, n := w.newName()
	if check {
		st, b, err := w.r.c.do(ctx, http.MethodGet, "/Users?filter="+eqFilter("userName", name)+"&startIndex=1&count=100", nil)
		if err := expect(st, b, err, http.StatusOK); err != nil {
			return err
		}
		if !bytes.Contains(b, []byte(`"totalResults":0`)) {
			return fmt.Errorf("existence check of %s: want none: %.200s", name, b)
		}
	}
	body := userBody(name, "00unew"+strconv.Itoa(n), n)
	body["password"] = "Bench-" + strconv.Itoa(n) + "!x" // Okta sends one; Roster drops it
	j, _ := json.Marshal(body)
	st, b, err := w.r.c.do(ctx, http.MethodPost, "/Users", j)
	return expect(st, b, err, http.StatusCreated)
}

var (
	patchActive   = []byte(`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
	patchInactive = []byte(`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"active":true}}]}`)
)

// deactivate is Okta's path-less deactivate or reactivate.
func (w *worker) deactivate(ctx context.Context) error {
	u := w.user()
	body := patchActive
	if w.rng.IntN(2) == 0 {
		body = patchInactive
	}
	st, b, err := w.r.c.do(ctx, http.MethodPatch, "/Users/"+u.ID, body)
	return expect(st, b, err, http.StatusOK)
}

// putProfile reads a member, changes its profile and PUTs it back.
func (w *worker) putProfile(ctx context.Context) error {
	u := w.user()
	st, b, err := w.r.c.do(ctx, http.MethodGet, "/Users/"+u.ID, nil)
	if err := expect(st, b, err, http.StatusOK); err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	delete(m, "meta")
	delete(m, "groups")
	m["title"] = "Engineer " + strconv.Itoa(w.rng.IntN(1000))
	if name, ok := m["name"].(map[string]any); ok {
		name["middleName"] = "M" + strconv.Itoa(w.rng.IntN(1000))
	}
	j, _ := json.Marshal(m)
	st, b, err = w.r.c.do(ctx, http.MethodPut, "/Users/"+u.ID, j)
	return expect(st, b, err, http.StatusOK)
}

func (w *worker) mixed(ctx context.Context) error {
	switch n := w.rng.IntN(10); {
	case n < 7:
		return w.lookup(ctx)
	case n < 9:
		return w.deactivate(ctx)
	default:
		return w.create(ctx, false)
	}
}

// loop runs op on every worker until the duration or the op budget is
// spent, and fills in the result.
func (r *run) loop(ctx context.Context, op func(*worker, context.Context) error) {
	deadline := time.Now().Add(r.o.Duration)
	var ops, errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var first string
	start := time.Now()
	var wg sync.WaitGroup
	for i := range r.o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{r: r, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if r.o.Ops > 0 && ops.Add(1) > int64(r.o.Ops) {
					break
				}
				t0 := time.Now()
				err := op(w, ctx)
				w.lat = append(w.lat, time.Since(t0))
				if err != nil && ctx.Err() == nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err.Error()
						mu.Unlock()
					}
				}
			}
			mu.Lock()
			all = append(all, w.lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.finish(time.Since(start), all, errs.Load(), first)
}

func (r *run) finish(elapsed time.Duration, lat []time.Duration, errs int64, first string) {
	res := &r.result
	res.Ops = int64(len(lat))
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.OpsPerSec = float64(res.Ops) / res.Seconds
	}
	res.P50ms, res.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)
	res.Errors, res.FirstError = errs, first
}

// percentile in milliseconds; sorts lat.
func percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := min(int(float64(len(lat))*p), len(lat)-1)
	return float64(lat[i]) / float64(time.Millisecond)
}

func median(lat []time.Duration) float64 {
	return percentile(slices.Clone(lat), 0.5)
}

// importAll pages the whole team with count=100, pages taken by the
// clients in turn; throughput is in users per second.
func (r *run) importAll(ctx context.Context) {
	deadline := time.Now().Add(r.o.Duration)
	var next atomic.Int64
	var total atomic.Int64
	total.Store(-1)
	var got, errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var first string
	start := time.Now()
	var wg sync.WaitGroup
	for range r.o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for ctx.Err() == nil && time.Now().Before(deadline) {
				page := next.Add(1) - 1
				si := page*100 + 1
				if t := total.Load(); t >= 0 && si > t {
					break
				}
				if r.o.Ops > 0 && page >= int64(r.o.Ops) {
					break
				}
				t0 := time.Now()
				st, b, err := r.c.do(ctx, http.MethodGet, "/Users?startIndex="+strconv.FormatInt(si, 10)+"&count=100", nil)
				lat = append(lat, time.Since(t0))
				var l struct {
					TotalResults int64 `json:"totalResults"`
					ItemsPerPage int64 `json:"itemsPerPage"`
				}
				if err == nil && st == http.StatusOK {
					err = json.Unmarshal(b, &l)
				} else if err == nil {
					err = fmt.Errorf("status %d: %.200s", st, b)
				}
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err.Error()
						mu.Unlock()
					}
					continue
				}
				total.CompareAndSwap(-1, l.TotalResults)
				got.Add(l.ItemsPerPage)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.finish(elapsed, all, errs.Load(), first)
	r.result.Pages = r.result.Ops
	r.result.Ops = got.Load()
	r.result.OpsPerSec = float64(r.result.Ops) / elapsed.Seconds()
	r.result.Unit = "users"
}

// groupGrow creates one group and adds members one PATCH at a time until
// it holds GroupSize of them, then compares the first and last 100 adds.
func (r *run) groupGrow(ctx context.Context) {
	n := min(r.o.GroupSize, len(r.t.users))
	body, _ := json.Marshal(map[string]any{"schemas": []string{groupURN}, "displayName": "bench-group-" + r.runID})
	st, b, err := r.c.do(ctx, http.MethodPost, "/Groups", body)
	if err := expect(st, b, err, http.StatusCreated); err != nil {
		r.result.Errors, r.result.FirstError = 1, "create group: "+err.Error()
		return
	}
	var g struct{ ID string }
	if err := json.Unmarshal(b, &g); err != nil || g.ID == "" {
		r.result.Errors, r.result.FirstError = 1, "create group: no id"
		return
	}
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var mu sync.Mutex
	var first string
	start := time.Now()
	var wg sync.WaitGroup
	for range r.o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				p := []byte(`{"schemas":["` + patchURN + `"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + r.t.users[i].ID + `"}]}]}`)
				t0 := time.Now()
				st, b, err := r.c.do(ctx, http.MethodPatch, "/Groups/"+g.ID, p)
				lat[i] = time.Since(t0)
				if err := expect(st, b, err, http.StatusOK, http.StatusNoContent); err != nil && ctx.Err() == nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err.Error()
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	done := min(int(next.Load()), n)
	lat = lat[:done]
	k := min(100, done)
	if k > 0 {
		r.result.GroupFirstP50ms = median(lat[:k])
		r.result.GroupLastP50ms = median(lat[done-k:])
	}
	r.result.GroupSize = done
	r.finish(time.Since(start), slices.Clone(lat), errs.Load(), first)
}

// runScenario runs one named scenario against t.
func runScenario(ctx context.Context, o Options, t *target, c *client, name, runID string, seq *atomic.Int64) (Result, error) {
	r := &run{o: o, t: t, c: c, runID: runID, seq: seq, result: Result{Scenario: name, Unit: "ops"}}
	if len(t.users) == 0 {
		return Result{}, errors.New("no seeded members")
	}
	switch name {
	case "lookup":
		r.loop(ctx, (*worker).lookup)
	case "okta-create":
		r.loop(ctx, func(w *worker, ctx context.Context) error { return w.create(ctx, true) })
	case "deactivate":
		r.loop(ctx, (*worker).deactivate)
	case "create": // outbox.go
		r.loop(ctx, func(w *worker, ctx context.Context) error { return w.create(ctx, false) })
	case "patch": // outbox.go
		r.loop(ctx, (*worker).patchTitle)
	case "put-profile":
		r.loop(ctx, (*worker).putProfile)
	case "mixed":
		r.loop(ctx, (*worker).mixed)
	case "import":
		r.importAll(ctx)
	case "group-grow":
		r.groupGrow(ctx)
	default:
		return Result{}, fmt.Errorf("unknown scenario %q (known: %v)", name, Scenarios)
	}
	return r.result, ctx.Err()
}
