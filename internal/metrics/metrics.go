// Package metrics owns Roster's Prometheus registry and every metric in
// it (docs/operations.md lists them, with alert rules). The HTTP edges,
// the sign-in and the store report through the methods of *Metrics, each
// safe on a nil receiver (no metrics); nothing else imports the Prometheus
// client. Each server has its own registry, so tests that run several
// servers in one process count each apart.
package metrics

import (
	"database/sql"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/internal/buildinfo"
)

// Config chooses what is counted.
type Config struct {
	// PerTeam adds counters labelled by team slug (roster serve
	// --metrics-per-team). Off by default: one series per team is
	// unbounded cardinality on a server with many teams.
	PerTeam bool
	// NoProcess leaves out the Go runtime and process collectors (tests
	// that compare whole scrapes).
	NoProcess bool
}

// Metrics is one server's registry and metrics.
type Metrics struct {
	reg     *prometheus.Registry
	perTeam bool

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	scimOps     *prometheus.CounterVec
	scimTeamOps *prometheus.CounterVec // nil unless PerTeam
	scimTeamAt  *prometheus.GaugeVec   // nil unless PerTeam
	rateLimited *prometheus.CounterVec
	signIns     *prometheus.CounterVec

	storeTx     *prometheus.HistogramVec
	groupCommit prometheus.Histogram

	backups      *prometheus.CounterVec
	backupLastOK prometheus.Gauge

	webhookDeliveries *prometheus.CounterVec
}

// Outcomes of a SCIM operation, from its HTTP status.
const (
	OutcomeSuccess     = "success"      // 1xx–3xx
	OutcomeDenied      = "denied"       // 401, 403: a missing, unknown, revoked or expired key; SCIM off
	OutcomeRateLimited = "rate_limited" // 429
	OutcomeClientError = "client_error" // any other 4xx
	OutcomeServerError = "server_error" // 5xx
)

// Limits named by roster_rate_limited_total.
const (
	LimitSCIM   = "scim"   // a team's SCIM read or write bucket
	LimitSignIn = "signin" // the sign-in limits and the password gate (docs/signin.md)
)

// Sign-in outcomes (roster_signins_total).
const (
	SignInSuccess        = "success"
	SignInBadCredentials = "bad_credentials"
	SignInRateLimited    = "rate_limited"
	SignInError          = "error"
)

// New makes a registry with Roster's metrics, the build info and (unless
// cfg.NoProcess) the Go runtime and process collectors.
func New(cfg Config) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), perTeam: cfg.PerTeam}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total",
		Help: "HTTP requests answered, by route pattern (not raw path), method and status class (2xx, 4xx, …).",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roster_http_in_flight_requests",
		Help: "HTTP requests being served now.",
	})
	m.scimOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_scim_operations_total",
		Help: "SCIM requests that matched an endpoint, by resource type (Users, Groups, Bulk, discovery), operation (list, get, create, replace, patch, delete, search, bulk) and outcome (success, denied, rate_limited, client_error, server_error).",
	}, []string{"resource", "operation", "outcome"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_rate_limited_total",
		Help: "Requests refused by a rate limit (429), by limit: scim (a team's read or write bucket), signin (sign-in limits and password gate).",
	}, []string{"limit"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_signins_total",
		Help: "Password sign-ins (admin API and console), by outcome: success, bad_credentials, rate_limited, error.",
	}, []string{"outcome"})
	m.storeTx = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_store_transaction_duration_seconds",
		Help:    "Time from asking for a write transaction to its commit or rollback (queueing for the writer included), by outcome (ok, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"outcome"})
	m.groupCommit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "roster_store_group_commit_batch_size",
		Help:    "Write transactions committed together in one SQLite commit (group commit; SQLite only).",
		Buckets: []float64{1, 2, 4, 8, 16, 32},
	})
	m.backups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_backups_total",
		Help: "Scheduled backups (serve --backup-dir), by outcome: ok, error.",
	}, []string{"outcome"})
	m.backupLastOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roster_backup_last_success_timestamp_seconds",
		Help: "When the last scheduled backup was written and checked, as Unix time (0: none since start).",
	})
	m.webhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome: delivered, failed (to be retried), given_up, disabled (the endpoint was disabled).",
	}, []string{"outcome"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "roster_build_info",
		Help: "The running build (always 1): module version, VCS revision and Go version.",
	}, []string{"version", "revision", "go_version"})
	bi := buildinfo.Get()
	build.WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	f(m.httpRequests)
	f(m.httpDuration)
	f(m.httpInFlight)
	f(m.scimOps)
	f(m.rateLimited)
	f(m.signIns)
	f(m.storeTx)
	f(m.groupCommit)
	f(m.backups)
	f(m.backupLastOK)
	f(m.webhookDeliveries)
	f(build)
	if cfg.PerTeam {
		m.scimTeamOps = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_scim_team_operations_total",
			Help: "SCIM requests that reached a team, by team slug and outcome (--metrics-per-team only).",
		}, []string{"team", "outcome"})
		m.scimTeamAt = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roster_scim_team_last_success_timestamp_seconds",
			Help: "When a team's IdP last made a successful SCIM request, as Unix time (--metrics-per-team only).",
		}, []string{"team"})
		f(m.scimTeamOps)
		f(m.scimTeamAt)
	}
	if !cfg.NoProcess {
		f(collectors.NewGoCollector())
		f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry itself, for collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Route is the route label of a ServeMux pattern: its path, without the
// method ("GET /scim/v2/Users/{id}" gives "/scim/v2/Users/{id}"); a
// request that matched no pattern is "unmatched". Labels never hold a raw
// path, so their number is bounded by the routes.
func Route(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimSpace(path)
	}
	return pattern
}

// Method is the method label: the standard methods as they are, anything
// else "other".
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// Class is a status's class label: "2xx", "4xx", …
func Class(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return string(rune('0'+status/100)) + "xx"
}

// Outcome is a SCIM operation's outcome label for its HTTP status.
func Outcome(status int) string {
	switch {
	case status < 400:
		return OutcomeSuccess
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return OutcomeDenied
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case status < 500:
		return OutcomeClientError
	}
	return OutcomeServerError
}

// HTTPStart counts a request in flight; call the returned func when it
// is answered.
func (m *Metrics) HTTPStart() (done func()) {
	if m == nil {
		return func() {}
	}
	m.httpInFlight.Inc()
	return m.httpInFlight.Dec
}

// HTTPRequest counts an answered request: pattern is the ServeMux pattern
// the request matched ("" for none), status its status.
func (m *Metrics) HTTPRequest(pattern, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	route, method := Route(pattern), Method(method)
	m.httpRequests.WithLabelValues(route, method, Class(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// SCIMOperation counts one SCIM request that matched an endpoint. team
// is the slug of the team its key named ("" when the key named none); it
// is used only with PerTeam. A 429 is also a rate-limit refusal.
func (m *Metrics) SCIMOperation(resource, operation string, status int, team string, at time.Time) {
	if m == nil {
		return
	}
	outcome := Outcome(status)
	m.scimOps.WithLabelValues(resource, operation, outcome).Inc()
	if outcome == OutcomeRateLimited {
		m.rateLimited.WithLabelValues(LimitSCIM).Inc()
	}
	if m.perTeam && team != "" {
		m.scimTeamOps.WithLabelValues(team, outcome).Inc()
		if outcome == OutcomeSuccess {
			m.scimTeamAt.WithLabelValues(team).Set(float64(at.UnixNano()) / 1e9)
		}
	}
}

// SignIn counts a password sign-in by its outcome (SignInSuccess, …); a
// rate-limited one is also a rate-limit refusal.
func (m *Metrics) SignIn(outcome string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(outcome).Inc()
	if outcome == SignInRateLimited {
		m.rateLimited.WithLabelValues(LimitSignIn).Inc()
	}
}

// ObserveTx records a write transaction's time; failed says it returned
// an error (rolled back). It makes *Metrics a sqlstore.Observer.
func (m *Metrics) ObserveTx(d time.Duration, failed bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.storeTx.WithLabelValues(outcome).Observe(d.Seconds())
}

// ObserveGroupCommit records how many transactions one commit carried.
func (m *Metrics) ObserveGroupCommit(n int) {
	if m == nil {
		return
	}
	m.groupCommit.Observe(float64(n))
}

// Queue is a background writer's queue, read at each scrape.
type Queue struct {
	Depth    func() int   // entries waiting now
	Capacity int          // most entries it holds before dropping
	Dropped  func() int64 // entries dropped since start
	Written  func() int64 // entries written since start
}

// WatchProvisioningLog exports the provisioning log writer's queue:
// roster_provlog_queue_depth, _queue_capacity, _dropped_total and
// _written_total. Call it once per registry.
func (m *Metrics) WatchProvisioningLog(q Queue) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_provlog_queue_depth",
			Help: "Provisioning log entries waiting to be written."}, func() float64 { return float64(q.Depth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_provlog_queue_capacity",
			Help: "Entries the provisioning log queue holds before it drops new ones."}, func() float64 { return float64(q.Capacity) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_provlog_dropped_total",
			Help: "Provisioning log entries dropped (queue full, or a failed batch) since start."}, func() float64 { return float64(q.Dropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_provlog_written_total",
			Help: "Provisioning log entries written since start."}, func() float64 { return float64(q.Written()) }),
	)
}

// WatchDB exports the database/sql pool's statistics (go_sql_*, labelled
// db_name=name): open, in-use and idle connections, waits for one.
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	if m == nil || db == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Backup records a scheduled backup's outcome.
func (m *Metrics) Backup(ok bool, at time.Time) {
	if m == nil {
		return
	}
	if !ok {
		m.backups.WithLabelValues("error").Inc()
		return
	}
	m.backups.WithLabelValues("ok").Inc()
	m.backupLastOK.Set(float64(at.UnixNano()) / 1e9)
}

// WatchCertificate exports when the TLS certificate in use expires
// (roster_tls_certificate_expiry_timestamp_seconds), read at each
// scrape, so a reloaded certificate shows at once.
func (m *Metrics) WatchCertificate(notAfter func() time.Time) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_tls_certificate_expiry_timestamp_seconds",
		Help: "When the TLS certificate of --tls-cert expires, as Unix time."}, func() float64 { return float64(notAfter().Unix()) }))
}

// Webhook delivery outcomes (roster_webhook_deliveries_total).
const (
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"   // this attempt failed; the delivery will be retried
	WebhookGivenUp   = "given_up" // the last attempt failed
	WebhookDisabled  = "disabled" // the endpoint failed for too long and was disabled
)

// WebhookDelivery counts one webhook delivery attempt by its outcome
// (the event delivery worker reports here; docs/operations.md's alert on
// disabled endpoints reads it).
func (m *Metrics) WebhookDelivery(outcome string) {
	if m == nil {
		return
	}
	m.webhookDeliveries.WithLabelValues(outcome).Inc()
}

// WatchEventQueue exports the event delivery's backlog: events committed
// and not yet delivered to every endpoint (roster_event_queue_depth), and
// deliveries dropped (roster_event_queue_dropped_total). Call it once.
func (m *Metrics) WatchEventQueue(depth func() int, dropped func() int64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_event_queue_depth",
			Help: "Events committed and not yet delivered to every webhook endpoint."}, func() float64 { return float64(depth()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_event_queue_dropped_total",
			Help: "Event deliveries dropped since start."}, func() float64 { return float64(dropped()) }),
	)
}
