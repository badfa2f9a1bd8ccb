package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/rosterhq/roster/internal/metrics"
)

// Layers are the cross-cutting layers every request passes, whatever edge
// serves it: a request id, a deadline, the client address, a body limit,
// nosniff, the access log and the HTTP metrics, and a last-resort panic
// guard (each edge recovers its own panics first, to answer in its own
// format).
type Layers struct {
	Log            *slog.Logger
	RequestTimeout time.Duration    // 0: none
	MaxBodyBytes   int64            // 0: none
	TrustedProxies []netip.Prefix   // peers whose X-Forwarded-For is believed
	Metrics        *metrics.Metrics // nil: none
}

type requestIDKeyType struct{}

var requestIDKey requestIDKeyType

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Wrap puts the layers around next.
func (l Layers) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		note := &Note{}
		ctx = context.WithValue(ctx, noteKey, note)
		if l.RequestTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, l.RequestTimeout)
			defer cancel()
		}
		ctx, ip := withClientIP(ctx, r, l.TrustedProxies)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		// No answer of ours (SCIM, admin API, console, static, health,
		// errors) may be sniffed into another type than it says.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &Recorder{ResponseWriter: w}
		start := time.Now()
		inFlight := l.Metrics.HTTPStart()
		defer func() {
			if v := recover(); v != nil {
				l.Log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rec.Wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			inFlight()
			took := time.Since(start)
			status := rec.Status
			if status == 0 { // the handler wrote nothing: net/http sends 200
				status = http.StatusOK
			}
			// The pattern the edge matched, else the server mux's (which
			// set it on r in place); never the raw path.
			pattern := note.Pattern
			if pattern == "" {
				pattern = r.Pattern
			}
			l.Metrics.HTTPRequest(pattern, r.Method, status, took)
			// The query string is not logged: filters hold personal data.
			attrs := []any{"method", r.Method, "path", r.URL.Path, "route", pattern, "status", status,
				"duration_ms", took.Milliseconds(), "client_ip", ip, "user_agent", r.UserAgent()}
			if note.Team != "" {
				attrs = append(attrs, "team", note.Team)
			}
			if note.KeyPrefix != "" {
				attrs = append(attrs, "key_prefix", note.KeyPrefix)
			}
			l.Log.InfoContext(ctx, "http", attrs...)
		}()
		if r.Body != nil && l.MaxBodyBytes > 0 {
			r.Body = http.MaxBytesReader(rec, r.Body, l.MaxBodyBytes)
		}
		next.ServeHTTP(rec, r)
	})
}

// Recorder remembers the status a handler answered with.
type Recorder struct {
	http.ResponseWriter
	Status int
	Wrote  bool
}

func (r *Recorder) WriteHeader(code int) {
	if !r.Wrote {
		r.Status, r.Wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *Recorder) Write(b []byte) (int, error) {
	if !r.Wrote {
		r.Status, r.Wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Recover runs next and, if it panics, logs the stack and answers with
// write (the edge's own 500), unless an answer has started already.
func Recover(log *slog.Logger, write func(w http.ResponseWriter, r *http.Request, err error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := w.(*Recorder)
		if !ok {
			rec = &Recorder{ResponseWriter: w}
		}
		defer func() {
			if v := recover(); v != nil {
				log.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rec.Wrote {
					write(rec, r, fmt.Errorf("panic: %v", v))
				}
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// NewHTTPServer wraps a handler with the timeouts Roster always sets.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
