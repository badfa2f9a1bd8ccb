// Package server composes Roster's HTTP edges into one handler: the SCIM
// API (scimapi), the admin API (adminapi) and the console (console), which
// share the sign-in (websession), behind the layers every request passes
// (httpx). It decides nothing itself: cmd/roster builds it, and each edge
// renders its own errors.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/adminapi"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/scimapi"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoapi"
	"github.com/rosterhq/roster/internal/ssoproto"
	"github.com/rosterhq/roster/internal/webhooks"
	"github.com/rosterhq/roster/internal/websession"
)

// Where the edges live.
const (
	SCIMPrefix    = httpx.SCIMPrefix
	APIPrefix     = httpx.APIPrefix
	CSRFHeader    = websession.CSRFHeader
	SessionCookie = websession.SessionCookie
)

// SignInLimits tunes the sign-in limiter and password gate (docs/signin.md).
type SignInLimits = websession.SignInLimits

// ContextHandler adds each record's request id (log/slog).
type ContextHandler = httpx.ContextHandler

// ParseTrustedProxies reads --trusted-proxies.
var ParseTrustedProxies = httpx.ParseTrustedProxies

// NewHTTPServer wraps a handler with the timeouts Roster always sets.
var NewHTTPServer = httpx.NewHTTPServer

// Config holds the HTTP limits and settings of every edge.
type Config struct {
	// PublicURL is the externally visible origin (https://roster.example.com);
	// empty means derive it from each request's Host.
	PublicURL string
	// MaxBodyBytes caps request bodies (413 beyond). Default 1 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds one request's work. Default 30s.
	RequestTimeout time.Duration
	// MaxResults caps a SCIM list page (filter.maxResults). Default 1000.
	MaxResults int
	// DefaultCount is the SCIM page size when a list names none. Default 100.
	DefaultCount int
	// SCIMReadRate and SCIMWriteRate limit each team's SCIM requests per
	// second (scimapi.Config). Negative disables the limit.
	SCIMReadRate  float64
	SCIMWriteRate float64
	// MaxBulkOperations and MaxBulkPayload bound one /Bulk request.
	MaxBulkOperations int
	MaxBulkPayload    int64
	// SessionTTL is how long an admin API or console sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SignIn bounds failed sign-ins and concurrent password checks.
	SignIn SignInLimits
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (roster serve --trusted-proxies); none by default.
	TrustedProxies []netip.Prefix
	// ProvLog sets the provisioning log's buffer, batching and retention.
	ProvLog provlog.Config
	// Metrics receives the server's metrics (served apart, on
	// --metrics-addr: MetricsHandler); nil: the server makes its own.
	Metrics *metrics.Metrics
	// StoreCheck is the store's readiness check (store.Checker), run by
	// GET /healthz/ready; nil checks nothing of the store.
	StoreCheck func(context.Context) error
	// ReadyTimeout bounds the readiness checks. Default 2s.
	ReadyTimeout time.Duration
	// SSOAllowPrivateNetworks lets SSO reach IdPs (metadata URLs, OIDC
	// issuers) on private and loopback addresses (roster serve
	// --sso-allow-private-networks); off, a team admin can't make Roster
	// fetch from its own network.
	SSOAllowPrivateNetworks bool
	// Events configures the event stream: its retention and whether
	// webhooks may reach private networks (roster serve --event-retention,
	// --webhooks-allow-private-networks). The zero value: 30 days, no.
	Events service.EventsConfig
	// Webhooks tunes the webhook delivery worker the server runs beside
	// it (its AllowPrivateNetworks and Metrics are taken from Events and
	// Metrics); tests set its clock, wake, resolver or CAs.
	Webhooks webhooks.Config
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 2 * time.Second
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New(metrics.Config{})
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
}

// Server is Roster's HTTP front.
type Server struct {
	mux     *http.ServeMux
	handler http.Handler
	ready   atomic.Bool
	scim    *scimapi.Handler
	prov    *provlog.Logger
	// health.go: draining turns /healthz/ready to 503 while serve shuts
	// down; readiness runs its checks.
	draining  atomic.Bool
	readiness *readiness
	metrics   *metrics.Metrics
	webhooks  *webhooks.Worker
	svc       *service.Service
}

// New builds the server's handler tree.
func New(svc *service.Service, log *slog.Logger, cfg Config) *Server {
	cfg.defaults()
	s := &Server{mux: http.NewServeMux(), metrics: cfg.Metrics, svc: svc}
	svc.SetEventsConfig(cfg.Events)
	wcfg := cfg.Webhooks
	wcfg.AllowPrivateNetworks, wcfg.Metrics = cfg.Events.AllowPrivateNetworks, cfg.Metrics
	if wcfg.Log == nil {
		wcfg.Log = log
	}
	s.webhooks = webhooks.New(svc, wcfg)                // started below, drained by DrainWebhooks or Close
	s.prov = svc.StartProvisioningLog(log, cfg.ProvLog) // stopped by Close
	s.metrics.WatchProvisioningLog(metrics.Queue{Depth: s.prov.Queued, Capacity: s.prov.Config().QueueSize,
		Dropped: s.prov.Dropped, Written: s.prov.Written})
	s.scim = scimapi.New(svc, log, scimapi.Config{PublicURL: cfg.PublicURL, MaxBodyBytes: cfg.MaxBodyBytes,
		MaxResults: cfg.MaxResults, DefaultCount: cfg.DefaultCount, SCIMReadRate: cfg.SCIMReadRate, SCIMWriteRate: cfg.SCIMWriteRate,
		MaxBulkOperations: cfg.MaxBulkOperations, MaxBulkPayload: cfg.MaxBulkPayload, Metrics: cfg.Metrics}, s.prov)
	sessions := websession.New(svc, websession.Config{PublicURL: cfg.PublicURL, SessionTTL: cfg.SessionTTL, SignIn: cfg.SignIn, Metrics: cfg.Metrics})
	s.readiness = &readiness{log: log, timeout: cfg.ReadyTimeout}
	if cfg.StoreCheck != nil {
		s.readiness.checks = append(s.readiness.checks, namedCheck{"store", cfg.StoreCheck})
	}
	s.readiness.checks = append(s.readiness.checks, namedCheck{"provisioning_log", s.prov.Check}, namedCheck{"webhooks", s.webhooks.Check})

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /healthz/live", s.live)    // health.go
	s.mux.HandleFunc("GET /healthz/ready", s.readyz) // health.go
	s.scim.Mount(s.mux)
	sso := ssoproto.NewTools(cfg.PublicURL, cfg.SSOAllowPrivateNetworks) // shared by the SSO edge, the admin API and the console
	ssoapi.New(svc, log, sessions, sso).Mount(s.mux)
	api := adminapi.New(svc, log, sessions)
	api.SetSSO(sso)
	api.Mount(s.mux)
	console.Mount(s.mux, console.Config{Svc: svc, Log: log, Sessions: sessions, BaseURL: s.scim.BaseURL, Probe: s.scim.Probe}).SetSSO(sso)
	s.handler = httpx.Layers{Log: log, RequestTimeout: cfg.RequestTimeout, MaxBodyBytes: cfg.MaxBodyBytes,
		TrustedProxies: cfg.TrustedProxies, Metrics: cfg.Metrics}.Wrap(s.mux)
	s.webhooks.Start() // off the request path: it delivers the events the requests commit
	return s
}

// ServeHTTP serves a request through the layers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SetReady flips /healthz to 200; serve calls it once the store is open.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// SetDraining turns /healthz/ready to 503 ("shutting down"): serve calls
// it on SIGTERM, before it stops taking connections, so load balancers
// send no new requests while the last ones finish. /healthz is unchanged.
// Long polls of the event stream answer at once with what they have, so
// none holds the shutdown for its whole wait.
func (s *Server) SetDraining() {
	s.draining.Store(true)
	s.svc.StopWaiting()
}

// Metrics is the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// MetricsHandler serves the metrics (GET /metrics on --metrics-addr).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	return mux
}

// ProvisioningLog is the server's provisioning log writer.
func (s *Server) ProvisioningLog() *provlog.Logger { return s.prov }

// Webhooks is the webhook delivery worker.
func (s *Server) Webhooks() *webhooks.Worker { return s.webhooks }

// DrainWebhooks stops the webhook delivery worker: attempts in flight
// finish until ctx ends, leases are given up (serve runs it on SIGTERM,
// after the requests in flight; Close runs it too).
func (s *Server) DrainWebhooks(ctx context.Context) error { return s.webhooks.Drain(ctx) }

// Close stops the webhook worker (if DrainWebhooks didn't), flushes the
// provisioning log and stops its writer. Call it after the HTTP server
// has shut down and before closing the store.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.webhooks.Drain(ctx) // cut short after 5 s: what was in flight is sent again after a restart
	if s.prov == nil {
		return nil
	}
	return s.prov.Close()
}
