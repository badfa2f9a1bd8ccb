// Package scimapi is the SCIM 2.0 protocol over HTTP (RFC 7644): the
// /Users and /Groups endpoints, /Bulk, discovery, the per-team rate
// limits and the provisioning log's capture of every request. Handlers
// call the service and return errors; errors.go turns them into SCIM error
// bodies in one place, panics included.
package scimapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

// Prefix is where the SCIM base URL lives.
const Prefix = httpx.SCIMPrefix

// Config holds the SCIM endpoint's limits.
type Config struct {
	// PublicURL is the externally visible origin (https://roster.example.com);
	// empty means derive it from each request's Host.
	PublicURL string
	// MaxBodyBytes is the server's body limit, advertised in discovery.
	MaxBodyBytes int64
	// MaxResults caps a list page (filter.maxResults). Default 1000.
	MaxResults int
	// DefaultCount is the page size when a list names none. Default 100.
	DefaultCount int
	// SCIMReadRate and SCIMWriteRate limit each team's SCIM requests per
	// second, reads and writes counted apart (bursts of twice as many).
	// Defaults 500 and 200. Negative disables the limit.
	SCIMReadRate  float64
	SCIMWriteRate float64
	// MaxBulkOperations caps the operations of one /Bulk request (413
	// beyond). Default 1000.
	MaxBulkOperations int
	// MaxBulkPayload caps a /Bulk request body in bytes (413 beyond).
	// Default 1 MiB. MaxBodyBytes caps it too; the smaller is advertised.
	MaxBulkPayload int64
	// Metrics counts SCIM operations (observe.go); nil counts nothing.
	Metrics *metrics.Metrics
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
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

// Handler serves the SCIM API under Prefix.
type Handler struct {
	svc  *service.Service
	log  *slog.Logger
	cfg  Config
	mux  *http.ServeMux
	prov *provlog.Logger // provisioning log writer (provlog.go); nil: none

	readLimit, writeLimit *rateLimiter
}

// New builds the SCIM handler. prov, when not nil, receives a record of
// every request that reached a team.
func New(svc *service.Service, log *slog.Logger, cfg Config, prov *provlog.Logger) *Handler {
	cfg.defaults()
	h := &Handler{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux(), prov: prov}
	h.readLimit = newRateLimiter(cfg.SCIMReadRate, 0, time.Now)
	h.writeLimit = newRateLimiter(cfg.SCIMWriteRate, 0, time.Now)
	h.routes()
	return h
}

// Mount registers the SCIM API on mux.
func (s *Handler) Mount(mux *http.ServeMux) {
	mux.Handle(Prefix+"/", s)
	mux.Handle(Prefix, s)
}

func (s *Handler) routes() {
	p := Prefix
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
	s.mux.Handle("POST "+p+"/.search", s.authed(s.searchAll)) // across resource types (search.go)
	s.mux.Handle(p+"/Me", notImplemented("/Me"))
}

// ServeHTTP serves one SCIM request: the provisioning log's record around
// it, SCIM-shaped panics, NUL checks, and SCIM-shaped 404 and 405.
func (s *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, prov := s.provBegin(r) // provisioning log record (provlog.go)
	r, _ = httpx.WithNote(r)  // the route and caller, for metrics and the access log (observe.go)
	rec := &httpx.Recorder{ResponseWriter: w}
	defer s.provEnd(prov, r, rec)
	defer s.observe(r, rec)
	httpx.Recover(s.log, s.writeError, http.HandlerFunc(s.route)).ServeHTTP(rec, r)
}

func (s *Handler) route(w http.ResponseWriter, r *http.Request) {
	if strings.ContainsRune(r.URL.Path, 0) || strings.Contains(r.URL.RawQuery, "%00") {
		s.writeError(w, r, scim.BadRequest(scim.InvalidValue, "the URL contains a NUL character (%%00)"))
		return
	}
	r = canonicalEndpoint(r) // /users, /GROUPS/{id}, /serviceConfiguration (paths.go)
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.noRoute(w, r)
		return
	}
	httpx.NoteRoute(r, pattern)
	s.mux.ServeHTTP(w, r)
}

// noRoute answers an unknown SCIM path or method with a SCIM error
// instead of ServeMux's plain text.
func (s *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
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

// BaseURL is the SCIM base URL as the client reached it.
func (s *Handler) BaseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL + Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// Probe answers, in process, what GET /Users?startIndex=1&count=2 with
// key answers: the first request an IdP's "Test API credentials" makes.
// The console's Test connection shows it. It runs the endpoint's own
// handler (authentication, rate limit, list) on a request derived from
// r, which keeps r's request id and client, and is recorded in the
// team's provisioning log like the IdP's own request would be.
func (s *Handler) Probe(r *http.Request, key string) (status int, body []byte) {
	req := r.Clone(r.Context())
	req.Method, req.Body, req.ContentLength = http.MethodGet, http.NoBody, 0
	req.URL = &url.URL{Path: Prefix + "/Users", RawQuery: "startIndex=1&count=2"}
	req.RequestURI = req.URL.RequestURI()
	req.Header = http.Header{}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", scim.MediaType)
	req.Header.Set("User-Agent", "Roster console (Test connection)")
	var out bufferWriter
	req, pr := s.provBegin(req)
	rec := &httpx.Recorder{ResponseWriter: &out}
	httpx.Recover(s.log, s.writeError, s.authed(s.userHandlers().list)).ServeHTTP(rec, req)
	s.provEnd(pr, req, rec)
	return rec.Status, out.body.Bytes()
}

// bufferWriter is an in-memory http.ResponseWriter.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}
func (w *bufferWriter) WriteHeader(int)             {}
func (w *bufferWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
