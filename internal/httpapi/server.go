package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

// Config holds the HTTP limits and settings.
type Config struct {
	// PublicURL is the externally visible origin (https://roster.example.com);
	// empty means derive it from each request's Host.
	PublicURL string
	// MaxBodyBytes caps request bodies (413 beyond). Default 1 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds one request's work. Default 30s.
	RequestTimeout time.Duration
	// MaxResults caps a list page (filter.maxResults). Default 1000.
	MaxResults int
	// DefaultCount is the page size when a list names none. Default 100.
	DefaultCount int
	// SCIMReadRate and SCIMWriteRate limit each team's SCIM requests per
	// second, reads and writes counted apart (bursts of twice as many).
	// Defaults 500 and 200: a first sync of 100,000 users takes minutes,
	// not hours. Negative disables the limit.
	SCIMReadRate  float64
	SCIMWriteRate float64
	// MaxBulkOperations caps the operations of one /Bulk request (413
	// beyond). Default 1000.
	MaxBulkOperations int
	// MaxBulkPayload caps a /Bulk request body in bytes (413 beyond).
	// Default 1 MiB. MaxBodyBytes caps it too; the smaller is advertised.
	MaxBulkPayload int64
	// SessionTTL is how long an admin API sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SignIn bounds failed sign-ins per (account, client IP), per account
	// and per client IP, and how many password checks run at once
	// (signin.go, docs/signin.md). In memory, per replica.
	SignIn SignInLimits
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (roster serve --trusted-proxies); none by default (clientip.go).
	TrustedProxies []netip.Prefix
	// ProvLog sets the provisioning log's buffer, batching and retention.
	ProvLog provlog.Config
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxResults <= 0 {
		c.MaxResults = 1000
	}
	if c.DefaultCount <= 0 {
		c.DefaultCount = 100
	}
	if c.SCIMReadRate == 0 {
		c.SCIMReadRate = 500
	}
	if c.SCIMWriteRate == 0 {
		c.SCIMWriteRate = 200
	}
	if c.MaxBulkOperations <= 0 {
		c.MaxBulkOperations = 1000
	}
	if c.MaxBulkPayload <= 0 {
		c.MaxBulkPayload = 1 << 20
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
}

// Server is Roster's HTTP front.
type Server struct {
	svc   *service.Service
	log   *slog.Logger
	cfg   Config
	mux   *http.ServeMux
	ready atomic.Bool
	api   *apiState // admin API state (api.go)

	readLimit, writeLimit *rateLimiter
	prov                  *provlog.Logger // provisioning log writer (provlog.go)
}

// SCIMPrefix is where the SCIM base URL lives.
const SCIMPrefix = "/scim/v2"

// New builds the server's handler tree.
func New(svc *service.Service, log *slog.Logger, cfg Config) *Server {
	cfg.defaults()
	s := &Server{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux()}
	s.readLimit = newRateLimiter(cfg.SCIMReadRate, 0, time.Now)
	s.writeLimit = newRateLimiter(cfg.SCIMWriteRate, 0, time.Now)
	s.prov = svc.StartProvisioningLog(log, cfg.ProvLog) // stopped by Close
	s.routes()
	return s
}

// SetReady flips /healthz to 200; serve calls it once the store is open.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	p := SCIMPrefix
	// Discovery needs no key: it describes Roster, not a team.
	s.mux.Handle("GET "+p+"/ServiceProviderConfig", s.serve(s.serviceProviderConfig))
	s.mux.Handle("GET "+p+"/ResourceTypes", s.serve(s.resourceTypes))
	s.mux.Handle("GET "+p+"/ResourceTypes/{id}", s.serve(s.resourceType))
	s.mux.Handle("GET "+p+"/Schemas", s.serve(s.schemas))
	s.mux.Handle("GET "+p+"/Schemas/{id}", s.serve(s.schema))

	for _, res := range []struct {
		path string
		h    resourceHandlers
	}{{"/Users", s.userHandlers()}, {"/Groups", s.groupHandlers()}} {
		base := p + res.path
		s.mux.Handle("GET "+base, s.authed(res.h.list))
		s.mux.Handle("GET "+base+"/{$}", s.authed(res.h.list)) // trailing slash (Q18)
		s.mux.Handle("POST "+base, s.authed(res.h.create))
		s.mux.Handle("POST "+base+"/.search", s.authed(res.h.search))
		s.mux.Handle("GET "+base+"/{id}", s.authed(res.h.get))
		s.mux.Handle("PUT "+base+"/{id}", s.authed(res.h.replace))
		s.mux.Handle("PATCH "+base+"/{id}", s.authed(res.h.patch))
		s.mux.Handle("DELETE "+base+"/{id}", s.authed(res.h.delete))
	}
	notImplemented := func(what string) http.Handler {
		return s.serve(func(w http.ResponseWriter, r *http.Request) error {
			return scim.Errorf(http.StatusNotImplemented, "", "%s is not supported by this server", what)
		})
	}
	s.mux.Handle("POST "+p+"/Bulk", s.authed(s.bulk))
	s.mux.Handle(p+"/Me", notImplemented("/Me"))
	s.apiRoutes() // the admin API under /api/v1 (api.go)
	// The web console at / and /static/ (api_console.go, internal/console).
	s.consoleRoutes()
}

// ServeHTTP applies the cross-cutting layers: request id, access log,
// panic recovery, body and time limits, and SCIM-shaped 404 and 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = newRequestID()
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestIDKey, id), s.cfg.RequestTimeout)
	defer cancel()
	ctx, ip := s.withClientIP(ctx, r) // clientip.go
	r = r.WithContext(ctx)
	w.Header().Set("X-Request-Id", id)
	// No answer of ours (SCIM, admin API, console, static, health, errors)
	// may be sniffed into another type than it says.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	r, prov := s.provBegin(r) // provisioning log record (provlog.go)
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.writeError(rec, r, &scim.Error{Status: http.StatusInternalServerError, Detail: "internal error", Cause: fmt.Errorf("panic: %v", v)})
			}
		}
		// The query string is not logged: filters hold personal data.
		s.log.InfoContext(ctx, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds(), "client_ip", ip, "user_agent", r.UserAgent())
		s.provEnd(prov, r, rec)
	}()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBodyBytes)
	}
	if strings.HasPrefix(r.URL.Path, SCIMPrefix+"/") || r.URL.Path == SCIMPrefix {
		if strings.ContainsRune(r.URL.Path, 0) || strings.Contains(r.URL.RawQuery, "%00") {
			s.writeError(rec, r, scim.BadRequest(scim.InvalidValue, "the URL contains a NUL character (%%00)"))
			return
		}
		if _, pattern := s.mux.Handler(r); pattern == "" {
			s.scimNoRoute(rec, r)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
}

// scimNoRoute answers an unknown SCIM path or method with a SCIM error
// instead of ServeMux's plain text.
func (s *Server) scimNoRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, r, scim.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	s.writeError(w, r, scim.Errorf(http.StatusNotFound, "", "no SCIM endpoint at %s", r.URL.Path))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// baseURL is the SCIM base URL as the client reached it.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL + SCIMPrefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + SCIMPrefix
}

// clientIP is the client's address: the peer's, or, from a trusted proxy
// (Config.TrustedProxies), the one its X-Forwarded-For names. ServeHTTP
// works it out once per request (clientip.go).
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return resolveClientIP(r.RemoteAddr, nil, nil)
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
