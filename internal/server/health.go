package server

// Health: GET /healthz (unchanged: 200 once serve has opened the store),
// GET /healthz/live (the process serves HTTP) and GET /healthz/ready (it
// can do its work: the store answers within a deadline, its migrations are
// current, the background writers run). Both new endpoints answer JSON
// with the build's version; /healthz/ready answers 503 with the reason
// when something is wrong, and while the server starts or drains.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/buildinfo"
)

// readiness runs the readiness checks, one run at a time: probes that
// arrive while one runs share its answer.
type readiness struct {
	log     *slog.Logger
	timeout time.Duration
	checks  []namedCheck

	mu       sync.Mutex
	inflight *readyRun
	failing  bool // the last run failed (a change is logged)
}

type namedCheck struct {
	name  string
	check func(context.Context) error
}

type readyRun struct {
	done   chan struct{}
	report readyReport
}

// readyReport is /healthz/ready's JSON.
type readyReport struct {
	Status  string            `json:"status"`           // "ready" or "unavailable"
	Reason  string            `json:"reason,omitempty"` // the first problem, when unavailable
	Checks  map[string]string `json:"checks"`           // each check: "ok", or its problem
	Version buildinfo.Info    `json:"version"`

	causes []any // the failed checks' whole errors, for the log
}

// run runs the checks (or waits for the run under way).
func (h *readiness) run(ctx context.Context) readyReport {
	h.mu.Lock()
	if r := h.inflight; r != nil {
		h.mu.Unlock()
		select {
		case <-r.done:
			return r.report
		case <-ctx.Done():
			return readyReport{Status: "unavailable", Reason: "the readiness check did not finish before the request ended",
				Checks: map[string]string{}, Version: buildinfo.Get()}
		}
	}
	r := &readyRun{done: make(chan struct{})}
	h.inflight = r
	h.mu.Unlock()

	r.report = h.check()
	h.mu.Lock()
	h.inflight = nil
	was := h.failing
	h.failing = r.report.Status != "ready"
	h.mu.Unlock()
	close(r.done)
	switch {
	case h.failing && !was:
		h.log.Warn("not ready", append([]any{"reason", r.report.Reason}, r.report.causes...)...)
	case !h.failing && was:
		h.log.Info("ready again")
	}
	return r.report
}

// check runs every check at once, all within the timeout (its own: a
// probe's client going away doesn't cut a run others wait for).
func (h *readiness) check() readyReport {
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	errs := make([]error, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Go(func() { errs[i] = c.check(ctx) })
	}
	wg.Wait()
	rep := readyReport{Status: "ready", Checks: map[string]string{}, Version: buildinfo.Get()}
	for i, c := range h.checks {
		err := errs[i]
		if err == nil {
			rep.Checks[c.name] = "ok"
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = &reasonError{msg: c.name + ": no answer within " + h.timeout.String(), cause: err}
		}
		reason := publicReason(err)
		rep.Checks[c.name] = reason
		if rep.Status == "ready" {
			rep.Status, rep.Reason = "unavailable", reason
		}
		rep.causes = append(rep.causes, slog.String(c.name, err.Error()))
	}
	return rep
}

type reasonError struct {
	msg   string
	cause error
}

func (e *reasonError) Error() string { return e.msg + ": " + e.cause.Error() }
func (e *reasonError) Unwrap() error { return e.cause }

// publicReason is what the unauthenticated endpoint says of err: its own
// message without the wrapped cause (a driver's error can name hosts,
// ports and paths; the log has it whole).
func publicReason(err error) string {
	msg := err.Error()
	if re, ok := err.(*reasonError); ok {
		return re.msg
	}
	if cause := errors.Unwrap(err); cause != nil {
		if m, ok := strings.CutSuffix(msg, ": "+cause.Error()); ok {
			return m
		}
	}
	return msg
}

func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "live", "version": buildinfo.Get()})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	var rep readyReport
	switch {
	case s.draining.Load():
		rep = readyReport{Status: "unavailable", Reason: "shutting down", Checks: map[string]string{}, Version: buildinfo.Get()}
	case !s.ready.Load():
		rep = readyReport{Status: "unavailable", Reason: "starting", Checks: map[string]string{}, Version: buildinfo.Get()}
	default:
		rep = s.readiness.run(r.Context())
	}
	status := http.StatusOK
	if rep.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	writeHealth(w, status, rep)
}

func writeHealth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
