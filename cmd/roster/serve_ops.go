package main

// serve's operational side (issue 16; docs/operations.md, docs/deploy.md):
// the metrics listener, readiness, TLS (files reloaded on change and on
// SIGHUP, or ACME), the HTTP→HTTPS redirect listener, scheduled backups of
// the SQLite store, and the graceful shutdown. serve (main.go) calls it at
// a few points: register, check, setup, config, origin, run.

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// defaultMetricsAddr keeps /metrics off the SCIM port and off the network.
const defaultMetricsAddr = "127.0.0.1:9090"

// opsFlags are serve's operational flags.
type opsFlags struct {
	metricsAddr     string
	metricsPerTeam  bool
	tlsCert, tlsKey string
	acmeDomain      string
	acmeEmail       string
	acmeDirectory   string
	redirectAddr    string
	backupDir       string
	backupEvery     *time.Duration
	backupKeep      int
	shutdownTimeout *time.Duration
	shutdownDelay   *time.Duration

	metricsExplicit bool // --metrics-addr or its env variable was given
	domains         []string
}

func (o *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-addr", defaultMetricsAddr, `listen address of Prometheus's GET /metrics, apart from the SCIM port; "" or off: none (env ROSTER_METRICS_ADDR)`)
	fs.BoolVar(&o.metricsPerTeam, "metrics-per-team", false, "also count SCIM requests by team (a series per team: mind the cardinality) (env ROSTER_METRICS_PER_TEAM)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain); reloaded when the file changes and on SIGHUP (env ROSTER_TLS_CERT)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the PEM private key of --tls-cert (env ROSTER_TLS_KEY)")
	fs.StringVar(&o.acmeDomain, "acme-domain", "", "serve HTTPS with a certificate for this domain (comma-separated for several) from Let's Encrypt, renewed automatically; clients must reach --addr on port 443 (env ROSTER_ACME_DOMAIN)")
	fs.StringVar(&o.acmeEmail, "acme-email", "", "contact email of the ACME account, for expiry warnings (env ROSTER_ACME_EMAIL)")
	fs.StringVar(&o.acmeDirectory, "acme-directory", "", "ACME directory URL; default Let's Encrypt's production one (env ROSTER_ACME_DIRECTORY)")
	fs.StringVar(&o.redirectAddr, "http-redirect-addr", "", "with HTTPS, also listen here for plain HTTP and redirect it to HTTPS (with --acme-domain it also answers HTTP-01 challenges), e.g. :80 (env ROSTER_HTTP_REDIRECT_ADDR)")
	fs.StringVar(&o.backupDir, "backup-dir", "", "back the SQLite store up into this directory every --backup-every, keeping --backup-keep (env ROSTER_BACKUP_DIR)")
	o.backupEvery = durationFlag(fs, "backup-every", 6*time.Hour, "time between scheduled backups (env ROSTER_BACKUP_EVERY)")
	fs.IntVar(&o.backupKeep, "backup-keep", 7, "scheduled backups kept; older ones are deleted (env ROSTER_BACKUP_KEEP)")
	o.shutdownTimeout = durationFlag(fs, "shutdown-timeout", 15*time.Second, "on SIGTERM, how long requests in flight may take before their connections are closed (env ROSTER_SHUTDOWN_TIMEOUT)")
	o.shutdownDelay = durationFlag(fs, "shutdown-delay", 0, "on SIGTERM, how long to go on serving with /healthz/ready answering 503 before refusing new connections, so a load balancer stops sending first; a second SIGTERM cuts it short (env ROSTER_SHUTDOWN_DELAY)")
}

var domainName = regexp.MustCompile(`^(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?))+$`)

// check validates the operational flags against each other and the
// store, before anything is opened.
func (o *opsFlags) check(fs *flag.FlagSet, sf storeFlags, addr string) error {
	fs.Visit(func(f *flag.Flag) { o.metricsExplicit = o.metricsExplicit || f.Name == "metrics-addr" })
	o.metricsExplicit = o.metricsExplicit || os.Getenv("ROSTER_METRICS_ADDR") != ""
	if o.metricsAddr == "off" {
		o.metricsAddr = ""
	}
	if o.metricsAddr != "" {
		if err := checkAddr(o.metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		if o.metricsAddr == addr {
			return errors.New("--metrics-addr must differ from --addr: /metrics is kept off the SCIM port")
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both, or neither")
	}
	if o.acmeDomain != "" {
		if o.tlsCert != "" {
			return errors.New("--acme-domain gets its own certificate: give it or --tls-cert/--tls-key, not both")
		}
		for d := range strings.SplitSeq(o.acmeDomain, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if !domainName.MatchString(d) {
				return fmt.Errorf("--acme-domain: %q is not a domain name (expected e.g. roster.example.com, without scheme or port)", d)
			}
			o.domains = append(o.domains, d)
		}
	} else if o.acmeEmail != "" || o.acmeDirectory != "" {
		return errors.New("--acme-email and --acme-directory go with --acme-domain")
	}
	if o.redirectAddr != "" {
		if !o.tls() {
			return errors.New("--http-redirect-addr redirects to HTTPS: it needs --tls-cert/--tls-key or --acme-domain")
		}
		if err := checkAddr(o.redirectAddr); err != nil {
			return fmt.Errorf("--http-redirect-addr: %w", err)
		}
	}
	if o.backupDir != "" {
		if sf.databaseURL != "" {
			return errors.New("--backup-dir backs up the embedded SQLite store; on PostgreSQL use pg_dump or point-in-time recovery (docs/operations.md)")
		}
		if *o.backupEvery <= 0 {
			return errors.New("--backup-every must be positive")
		}
		if o.backupKeep < 1 {
			return errors.New("--backup-keep must be at least 1")
		}
	}
	if *o.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	if *o.shutdownDelay < 0 {
		return errors.New("--shutdown-delay must not be negative")
	}
	return nil
}

func (o *opsFlags) tls() bool { return o.tlsCert != "" || o.acmeDomain != "" }

// serveOps is the operational side of one serve, once the store is open.
type serveOps struct {
	f       *opsFlags
	sf      storeFlags
	st      store.Store
	log     *slog.Logger
	metrics *metrics.Metrics

	tlsConfig *tls.Config
	certs     *server.CertReloader // --tls-cert
	acme      *autocert.Manager    // --acme-domain

	metricsLn, redirectLn net.Listener
	drains                []namedDrain // onShutdown's, in order
	hup                   chan os.Signal
	term                  chan os.Signal // SIGTERM and SIGINT: a second one cuts --shutdown-delay short
}

// setup builds the metrics (the store reports to them), the TLS source,
// and binds the metrics and redirect listeners, so that a port in use
// stops serve before it says it serves.
func (o *opsFlags) setup(sf storeFlags, st store.Store, log *slog.Logger) (*serveOps, error) {
	p := &serveOps{f: o, sf: sf, st: st, log: log, metrics: metrics.New(metrics.Config{PerTeam: o.metricsPerTeam})}
	// SIGHUP reloads the certificate; caught from now on, so it never
	// ends the process (its default).
	p.hup = make(chan os.Signal, 1)
	signal.Notify(p.hup, syscall.SIGHUP)
	p.term = make(chan os.Signal, 2)
	signal.Notify(p.term, syscall.SIGTERM, os.Interrupt)
	if ob, ok := st.(store.Observable); ok {
		ob.SetObserver(p.metrics)
	}
	if s, ok := st.(*sqlstore.Store); ok {
		p.metrics.WatchDB(s.DB(), "roster")
	}
	switch {
	case o.tlsCert != "":
		c, err := server.NewCertReloader(o.tlsCert, o.tlsKey, log)
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		p.certs = c
		p.tlsConfig = server.TLSConfig(c.GetCertificate)
		p.metrics.WatchCertificate(c.NotAfter)
	case o.acmeDomain != "":
		cache, err := p.acmeCache()
		if err != nil {
			return nil, err
		}
		p.acme = &autocert.Manager{Prompt: autocert.AcceptTOS, HostPolicy: autocert.HostWhitelist(o.domains...),
			Cache: cache, Email: o.acmeEmail}
		if o.acmeDirectory != "" {
			p.acme.Client = &acme.Client{DirectoryURL: o.acmeDirectory}
		}
		p.tlsConfig = p.acme.TLSConfig()
		p.tlsConfig.MinVersion = tls.VersionTLS12
	}
	if o.metricsAddr != "" {
		ln, err := net.Listen("tcp", o.metricsAddr)
		switch {
		case err != nil && o.metricsExplicit:
			return nil, fmt.Errorf("serve: --metrics-addr: %w", err)
		case err != nil:
			// The default address is taken (Prometheus itself listens on
			// 9090 by default): serve on, without /metrics, and say so.
			log.Warn("metrics not served: the default --metrics-addr is in use; set --metrics-addr to another address (or off)", "addr", o.metricsAddr, "err", err)
		default:
			p.metricsLn = ln
		}
	}
	if o.redirectAddr != "" {
		ln, err := net.Listen("tcp", o.redirectAddr)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("serve: --http-redirect-addr: %w", err)
		}
		p.redirectLn = ln
	}
	return p, nil
}

// acmeCache is where autocert keeps its account and certificates: in the
// data dir (SQLite), or in the database, shared by the replicas.
func (p *serveOps) acmeCache() (autocert.Cache, error) {
	if s, ok := p.st.(*sqlstore.Store); ok && p.sf.databaseURL != "" {
		return acmeStoreCache{s.ACMECache()}, nil
	}
	dir := filepath.Join(p.sf.dataDir, "acme")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("serve: ACME cache: %w", err)
	}
	return autocert.DirCache(dir), nil
}

// acmeStoreCache is autocert.Cache on the store's acme_cache table.
type acmeStoreCache struct{ c sqlstore.ACMECache }

func (a acmeStoreCache) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := a.c.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, autocert.ErrCacheMiss
	}
	return b, err
}

func (a acmeStoreCache) Put(ctx context.Context, key string, data []byte) error {
	return a.c.Put(ctx, key, data)
}

func (a acmeStoreCache) Delete(ctx context.Context, key string) error { return a.c.Delete(ctx, key) }

// config adds the metrics and the store's readiness check to the
// server's configuration.
func (p *serveOps) config(cfg server.Config) server.Config {
	cfg.Metrics = p.metrics
	if c, ok := p.st.(store.Checker); ok {
		cfg.StoreCheck = c.Check
	}
	return cfg
}

// scheme is what the main listener speaks.
func (p *serveOps) scheme() string {
	if p.tlsConfig != nil {
		return "https"
	}
	return "http"
}

// origin is the printed origin with the right scheme: with HTTPS and no
// --public-url, https, and with --acme-domain its (first) domain.
func (p *serveOps) origin(origin, publicURL string, listen net.Addr) string {
	if publicURL != "" || p.tlsConfig == nil {
		return origin
	}
	if len(p.f.domains) > 0 {
		_, port, _ := net.SplitHostPort(listen.String())
		if port == "443" {
			return "https://" + p.f.domains[0]
		}
		return "https://" + net.JoinHostPort(p.f.domains[0], port)
	}
	return "https://" + strings.TrimPrefix(origin, "http://")
}

type namedDrain struct {
	name string
	fn   func(context.Context) error
}

// onShutdown registers a background worker's drain (the event delivery
// worker, say): on SIGTERM, once the requests in flight have finished and
// before the provisioning log is flushed and SQLite checkpointed, fn runs
// (in the order registered) with the shutdown's deadline.
func (p *serveOps) onShutdown(name string, fn func(context.Context) error) {
	p.drains = append(p.drains, namedDrain{name, fn})
}

// close closes the auxiliary listeners (setup's, when serve stops early).
func (p *serveOps) close() {
	for _, ln := range []net.Listener{p.metricsLn, p.redirectLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if p.hup != nil {
		signal.Stop(p.hup)
		signal.Stop(p.term)
	}
}

// run serves srv on ln, and the metrics, redirect and backup side, until
// ctx ends (SIGTERM, SIGINT); then it shuts down gracefully and in order:
// /healthz/ready turns 503, new connections are refused and requests in
// flight finish (for at most --shutdown-timeout), the redirect listener
// and backups stop, the provisioning log is flushed, SQLite's WAL is
// checkpointed into the database file, and /metrics stops last. It
// returns nil after a shutdown, so the process exits 0. Workers that
// registered with onShutdown drain after the requests, before the log.
func (p *serveOps) run(ctx context.Context, srv *http.Server, ln net.Listener, api *server.Server) error {
	defer p.close()
	errc := make(chan error, 3)
	if p.tlsConfig != nil {
		srv.TLSConfig = p.tlsConfig
		go func() { errc <- fmt.Errorf("serve: %w", srv.ServeTLS(ln, "", "")) }()
	} else {
		go func() { errc <- fmt.Errorf("serve: %w", srv.Serve(ln)) }()
	}
	var metricsSrv, redirectSrv *http.Server
	if p.metricsLn != nil {
		metricsSrv = server.NewHTTPServer(p.metricsLn.Addr().String(), api.MetricsHandler(), p.log)
		go func() { errc <- fmt.Errorf("metrics listener: %w", metricsSrv.Serve(p.metricsLn)) }()
		p.log.Info("metrics", "url", "http://"+p.metricsLn.Addr().String()+"/metrics")
	}
	if p.redirectLn != nil {
		var h http.Handler = redirectHandler(ln.Addr())
		if p.acme != nil {
			h = p.acme.HTTPHandler(h) // HTTP-01 challenges, the rest redirected
		}
		redirectSrv = server.NewHTTPServer(p.redirectLn.Addr().String(), h, p.log)
		go func() { errc <- fmt.Errorf("redirect listener: %w", redirectSrv.Serve(p.redirectLn)) }()
		p.log.Info("redirecting HTTP to HTTPS", "addr", p.redirectLn.Addr().String())
	}
	bctx, stopBackups := context.WithCancel(context.Background())
	var backups sync.WaitGroup
	if p.f.backupDir != "" {
		backups.Go(func() { p.backupLoop(bctx) })
	}

	var failed error
loop:
	for {
		select {
		case err := <-errc:
			failed = err // a listener died: shut the rest down and say so
			break loop
		case <-p.hup:
			if p.certs == nil {
				p.log.Info("SIGHUP: nothing to reload (no --tls-cert)")
				continue
			}
			if err := p.certs.Reload(); err != nil {
				p.log.Error("SIGHUP: the TLS certificate does not load: still serving the previous one", "err", err)
				continue
			}
			p.log.Info("SIGHUP: TLS certificate reloaded", "not_after", p.certs.NotAfter().UTC().Format(time.RFC3339))
		case <-ctx.Done():
			break loop
		}
	}

	start := time.Now()
	api.SetDraining()
	p.log.Info("shutting down: /healthz/ready answers 503", "delay", p.f.shutdownDelay.String(), "timeout", p.f.shutdownTimeout.String())
	if d := *p.f.shutdownDelay; d > 0 {
		t := time.NewTimer(d) // serving on while load balancers notice
		signals := 0          // the signal that started the shutdown comes here too
		if failed != nil {
			signals = 1 // a listener failed: no signal started it
		}
	delay:
		for {
			select {
			case <-t.C:
				break delay
			case <-p.term:
				if signals++; signals == 2 {
					p.log.Info("shutdown: a second signal: not waiting out --shutdown-delay")
					t.Stop()
					break delay
				}
			case err := <-errc:
				t.Stop()
				failed = cmp.Or(failed, err)
				break delay
			}
		}
	}
	p.log.Info("shutdown: refusing new connections; finishing the requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), *p.f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		p.log.Error("shutdown: requests still running after --shutdown-timeout; closing their connections", "err", err)
		srv.Close()
	}
	// Serve closes the listener, but only once it has started: a shutdown
	// that comes first (a signal at start-up) would leave it accepting.
	_ = ln.Close()
	if redirectSrv != nil {
		_ = redirectSrv.Shutdown(shutCtx)
		_ = p.redirectLn.Close()
	}
	stopBackups()
	backups.Wait()
	for _, d := range p.drains {
		if err := d.fn(shutCtx); err != nil {
			p.log.Error("shutdown: "+d.name, "err", err)
		} else {
			p.log.Info("shutdown: " + d.name + " drained")
		}
	}
	prov := api.ProvisioningLog()
	if err := api.Close(); err != nil {
		p.log.Error("shutdown: provisioning log", "err", err)
	}
	p.log.Info("shutdown: provisioning log flushed", "written", prov.Written(), "dropped", prov.Dropped())
	if s, ok := p.st.(*sqlstore.Store); ok && p.sf.databaseURL == "" {
		if err := sqlite.Checkpoint(shutCtx, s.DB()); err != nil {
			p.log.Warn("shutdown: SQLite checkpoint", "err", err)
		} else {
			p.log.Info("shutdown: SQLite checkpointed")
		}
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutCtx)
	}
	p.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond).String())
	if failed != nil && !errors.Is(failed, http.ErrServerClosed) {
		return failed
	}
	return nil
}

// redirectHandler sends plain HTTP to the same host on the HTTPS
// listener's port (308: the method and body are kept).
func redirectHandler(https net.Addr) http.Handler {
	_, port, _ := net.SplitHostPort(https.String())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			http.Error(w, "HTTPS only", http.StatusBadRequest)
			return
		}
		if port != "443" {
			host = net.JoinHostPort(host, port)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]" // IPv6
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// backupName is a scheduled backup's file name: its time, sortable.
var backupName = regexp.MustCompile(`^roster-(\d{8}T\d{6}\.\d{3}Z)\.db$`)

const backupTimeLayout = "20060102T150405.000Z"

// backupLoop takes a backup every --backup-every, the first when the
// newest one in --backup-dir is that old (so restarts don't postpone
// backups forever), and keeps the newest --backup-keep.
func (p *serveOps) backupLoop(ctx context.Context) {
	dir, every := p.f.backupDir, *p.f.backupEvery
	if err := os.MkdirAll(dir, 0o700); err != nil {
		p.log.Error("backups: cannot create --backup-dir", "err", err)
		p.metrics.Backup(false, time.Now())
		return
	}
	next := time.Now()
	if names := p.backups(); len(names) > 0 {
		m := backupName.FindStringSubmatch(names[len(names)-1])
		if last, err := time.Parse(backupTimeLayout, m[1]); err == nil {
			next = last.Add(every)
		}
	}
	for {
		wait := time.Until(next)
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		now := time.Now().UTC()
		next = now.Add(every)
		out := filepath.Join(dir, "roster-"+now.Format(backupTimeLayout)+".db")
		info, err := sqlite.Backup(ctx, p.sf.dataDir, out)
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down
			}
			p.log.Error("backup failed", "err", err)
			p.metrics.Backup(false, now)
			continue
		}
		p.metrics.Backup(true, now)
		p.log.Info("backup written", "file", out, "bytes", info.Bytes, "teams", info.Teams, "users", info.Users, "took_ms", info.Took.Milliseconds())
		names := p.backups()
		for _, old := range names[:max(len(names)-p.f.backupKeep, 0)] {
			if err := os.Remove(filepath.Join(dir, old)); err != nil {
				p.log.Warn("backups: removing an old backup", "err", err)
			}
		}
	}
}

// backups are the scheduled backups in --backup-dir, oldest first (only
// files named as backupLoop names them: nothing else is ever deleted).
func (p *serveOps) backups() []string {
	entries, err := os.ReadDir(p.f.backupDir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// defaultLogFormat is --log-format's default: text for a person at a
// terminal, JSON lines for a log collector (systemd's journal, a
// container runtime, a file).
func defaultLogFormat(w io.Writer) string {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "text"
		}
	}
	return "json"
}
