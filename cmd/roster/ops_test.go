package main

// serve's operations (issue 16) with the built binary: HTTPS with a
// generated certificate and its reload, the metrics listener, the HTTP
// redirect, SIGTERM under load, backups (on demand, scheduled) and
// restore, and the flags refused.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/testcert"
)

// proc is a running roster serve: its stdout, and its log (JSON lines:
// stderr is not a terminal) as it comes.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *lockedBuffer
	logs   chan map[string]any // every log line, in order
	all    *lockedBuffer       // the raw log
	exited chan error
}

// startProc runs roster serve with args and waits for its banner.
func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	p := &proc{t: t, cmd: cmd, stdout: &lockedBuffer{}, logs: make(chan map[string]any, 10000), all: &lockedBuffer{}, exited: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		outW.Close()
		errW.Close()
		p.exited <- err
	}()
	go func() {
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			p.all.add(sc.Text() + "\n")
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				p.logs <- m
			}
		}
		close(p.logs)
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(outR)
		announced := false
		for sc.Scan() {
			p.stdout.add(sc.Text() + "\n")
			if !announced && strings.HasPrefix(sc.Text(), "Roster is serving on ") {
				announced = true
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-ready // never blocks past the kill: stdout closes
	})
	select {
	case <-ready:
	case err := <-p.exited:
		p.exited <- err
		close(ready)
		t.Fatalf("roster serve exited before serving (%v); stdout:\n%s\nlog:\n%s", err, p.stdout.String(), p.all.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("roster serve did not announce itself; it printed:\n%s", p.stdout.String())
	}
	return p
}

// waitLog waits for a log line whose msg starts with msg, and returns it.
func (p *proc) waitLog(msg string) map[string]any {
	p.t.Helper()
	timeout := time.After(60 * time.Second) // a deadlock guard, not a sleep
	for {
		select {
		case m, ok := <-p.logs:
			if !ok {
				p.t.Fatalf("the log ended without %q:\n%s", msg, p.all.String())
			}
			if s, _ := m["msg"].(string); strings.HasPrefix(s, msg) {
				return m
			}
		case <-timeout:
			p.t.Fatalf("no %q in the log:\n%s", msg, p.all.String())
		}
	}
}

// stop sends SIGTERM and waits for the exit (bounded by the test's guard).
func (p *proc) stop() error {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		return err
	case <-time.After(60 * time.Second):
		p.t.Fatalf("roster serve did not exit after SIGTERM; log:\n%s", p.all.String())
		return nil
	}
}

// certFiles writes a self-signed certificate for 127.0.0.1 named cn, and
// its key, with modification time mtime, and returns the pool that
// trusts it.
func certFiles(t *testing.T, certFile, keyFile, cn string, mtime time.Time) *x509.CertPool {
	t.Helper()
	cert, key, pool := testcert.SelfSigned(t, cn)
	testcert.WritePair(t, certFile, keyFile, cert, key, mtime)
	return pool
}

var servedCN = testcert.ServedCN

// TestServeHTTPS: serve speaks SCIM over HTTPS with a generated
// certificate, prints https URLs, picks up a renewed certificate when the
// files change (no restart, no signal), survives SIGHUP, redirects plain
// HTTP, and serves /metrics on its own listener.
func TestServeHTTPS(t *testing.T) {
	dir, tdir := t.TempDir(), t.TempDir()
	certFile, keyFile := filepath.Join(tdir, "cert.pem"), filepath.Join(tdir, "key.pem")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	pool := certFiles(t, certFile, keyFile, "first", t0)
	addr, metricsAddr, redirectAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	p := startProc(t, []string{"ROSTER_TLS_KEY=" + keyFile}, "--data-dir", dir, "--addr", addr, "--tls-cert", certFile,
		"--metrics-addr", metricsAddr, "--http-redirect-addr", redirectAddr)
	base := "https://" + addr + "/scim/v2"
	if out := p.stdout.String(); !strings.Contains(out, "Roster is serving on https://"+addr) || !strings.Contains(out, "SCIM base URL: "+base) {
		t.Fatalf("banner:\n%s", out)
	}
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
	token := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))["token"].(string)

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", base+"/Users?startIndex=1&count=2", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if resp.StatusCode != 200 || list["totalResults"] != float64(1) || resp.TLS == nil {
		t.Fatalf("SCIM over HTTPS: %d %v", resp.StatusCode, list)
	}
	// Plain HTTP on the TLS port is refused.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the HTTPS port")
	}

	// A renewed certificate, written over the files: the next connection
	// gets it.
	certFiles(t, certFile, keyFile, "second", t0.Add(time.Minute))
	if cn := servedCN(t, addr); cn != "second" {
		t.Fatalf("after renewal: %q", cn)
	}
	p.waitLog("TLS certificate reloaded")
	// SIGHUP reloads (and doesn't end the process, its default).
	certFiles(t, certFile, keyFile, "third", t0.Add(time.Minute)) // same mtime: only SIGHUP sees it
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("SIGHUP: TLS certificate reloaded")
	if cn := servedCN(t, addr); cn != "third" {
		t.Fatalf("after SIGHUP: %q", cn)
	}

	// Plain HTTP on the redirect listener goes to HTTPS, path and query kept.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get("http://" + redirectAddr + "/scim/v2/Users?count=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "https://"+addr+"/scim/v2/Users?count=2" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// /metrics is on its own listener, not on the SCIM port.
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`roster_http_requests_total{code="2xx",method="GET",route="/scim/v2/Users"} 1`,
		`roster_scim_operations_total{operation="list",outcome="success",resource="Users"} 1`,
		"roster_tls_certificate_expiry_timestamp_seconds ", "roster_build_info{", "go_goroutines ", "process_resident_memory_bytes ",
		`go_sql_open_connections{db_name="roster"}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err = hc.Get("https://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/metrics on the SCIM port: %d", resp.StatusCode)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// TestServeGracefulShutdownUnderLoad: SIGTERM while IdP clients create
// users as fast as they can. serve exits 0; no request it accepted is cut
// (a client sees a response, or a refused connection once the listener is
// closed, never a reset or a short answer); every acknowledged user is in
// the store, with its provisioning log entry (the log was flushed); the
// WAL was checkpointed into the database file; /healthz/ready said 503
// while draining.
func TestServeGracefulShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProc(t, nil, "--data-dir", dir, "--addr", addr, "--metrics-addr", "off")
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
	token := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))["token"].(string)

	var (
		acked, refused, answered atomic.Int64
		mu                       sync.Mutex
		cut                      []error
		wg                       sync.WaitGroup
		started                  = make(chan struct{}, 1000)
	)
	// One connection per request: an error is then either a refused dial
	// (the listener is closed) or a cut request, never a stale keep-alive.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	const clients = 8
	for c := range clients {
		wg.Go(func() {
			for i := range 100 { // at most 800 in all: the provisioning log check reads 1000
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c%d-%d@acme.example","active":true}`, c, i)
				req, _ := http.NewRequest("POST", "http://"+addr+"/scim/v2/Users", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/scim+json")
				resp, err := hc.Do(req)
				if err != nil {
					// The listener is closed (refused), or it closed with
					// this connection still in its accept queue, never read
					// (EOF, reset): the server never saw the request. (That
					// no request it read went unanswered is checked below:
					// every user created was acknowledged.)
					if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
						refused.Add(1)
						return
					}
					mu.Lock()
					cut = append(cut, err)
					mu.Unlock()
					return
				}
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				answered.Add(1)
				switch {
				case rerr != nil:
					mu.Lock()
					cut = append(cut, fmt.Errorf("body: %w", rerr))
					mu.Unlock()
					return
				case resp.StatusCode == 201:
					acked.Add(1)
				case resp.StatusCode == 503 || resp.StatusCode == 429:
					// refused while draining or rate-limited: fine, nothing written
				default:
					mu.Lock()
					cut = append(cut, fmt.Errorf("status %d: %s", resp.StatusCode, b))
					mu.Unlock()
					return
				}
				select {
				case started <- struct{}{}:
				default:
				}
			}
		})
	}
	for range 100 { // the load is on: 100 answers
		<-started
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog("shutting down")
	var err error
	select {
	case err = <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("no exit after SIGTERM:\n%s", p.all.String())
	}
	took := time.Since(start)
	wg.Wait()
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, p.all.String())
	}
	if len(cut) > 0 {
		t.Fatalf("%d requests cut or failed, e.g. %v", len(cut), cut[0])
	}
	t.Logf("SIGTERM to exit: %v; %d users acknowledged, %d answers, %d connections refused or never read after the listener closed", took, acked.Load(), answered.Load(), refused.Load())
	for _, msg := range []string{"shutdown: provisioning log flushed", "shutdown: SQLite checkpointed", "stopped"} {
		if !strings.Contains(p.all.String(), `"msg":"`+msg) {
			t.Errorf("the log lacks %q:\n%s", msg, p.all.String())
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "roster.db-wal")); err == nil && fi.Size() != 0 {
		t.Errorf("the WAL holds %d bytes after the shutdown's checkpoint", fi.Size())
	}

	// Every acknowledged user is there, each with its provisioning log
	// entry: the store after the restart holds what the clients were told.
	var members []map[string]any
	if err := json.Unmarshal(roster(t, "members", "list", "--data-dir", dir, "--team", "acme", "--json"), &members); err != nil {
		t.Fatal(err)
	}
	if got := int64(len(members)) - 1; got != acked.Load() { // the admin is a member too
		t.Errorf("%d users in the store, %d acknowledged", got, acked.Load())
	}
	var entries []map[string]any
	if err := json.Unmarshal(roster(t, "provisioning-log", "--data-dir", dir, "--team", "acme", "--method", "POST", "--status", "201", "--limit", "1000", "--json"), &entries); err != nil {
		t.Fatal(err)
	}
	if int64(len(entries)) != acked.Load() {
		t.Errorf("%d provisioning log entries of a 201, %d acknowledged", len(entries), acked.Load())
	}
}

// TestServeDrains: after SIGTERM, for --shutdown-delay (cut short by a
// second SIGTERM), serve goes on serving with /healthz/ready at 503
// "shutting down" (so a load balancer stops sending); then it refuses new
// connections and waits for the request in flight, which gets its answer;
// then it exits 0.
func TestServeDrains(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProc(t, nil, "--data-dir", dir, "--addr", addr, "--metrics-addr", "off", "--shutdown-delay", "10m", "--shutdown-timeout", "30s")
	ready := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/healthz/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := ready(); code != 200 {
		t.Fatalf("before SIGTERM: %d %s", code, body)
	}
	// A request in flight: headers sent, the body not yet. It carries a
	// key, so its handler reads the body: a request whose handler answers
	// without reading it (a 401) and is scheduled only after the shutdown
	// began would have its connection closed with the body unread (net/http
	// skips the discard once keep-alives are off), a race of the test's,
	// not of serve's drain.
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
	token := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))["token"].(string)
	body := `{"userName":"inflight@acme.example"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /scim/v2/Users HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n%s",
		addr, token, len(body), body[:1])
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog("shutting down")
	// Within the delay, new requests are served; ready says 503.
	if code, body := ready(); code != 503 || !strings.Contains(body, `"reason":"shutting down"`) {
		t.Fatalf("draining: %d %s", code, body)
	}
	if resp, err := http.Get("http://" + addr + "/healthz/live"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("live while draining: %v %v", resp, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil { // enough waiting
		t.Fatal(err)
	}
	p.waitLog("shutdown: a second signal")
	p.waitLog("shutdown: refusing new connections")
	// The request in flight still gets its answer.
	fmt.Fprint(conn, body[1:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight was cut: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 { // the request ran to its answer
		t.Fatalf("the request in flight got %d", resp.StatusCode)
	}
	conn.Close()
	if err := <-p.exited; err != nil {
		t.Fatalf("exit: %v\n%s", err, p.all.String())
	}
}

// TestBackupAndRestoreCommands: roster backup while serve runs and takes
// SCIM writes; roster restore into a new data dir, served again; what each
// refuses.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	startProc(t, nil, "--data-dir", dir, "--addr", addr, "--metrics-addr", "off")
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
	token := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))["token"].(string)
	post := func(base, userName string) int {
		req, _ := http.NewRequest("POST", base+"/scim/v2/Users", strings.NewReader(`{"userName":"`+userName+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 20 {
		if c := post("http://"+addr, fmt.Sprintf("u%d@acme.example", i)); c != 201 {
			t.Fatalf("create: %d", c)
		}
	}
	// Writes go on while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			post("http://"+addr, fmt.Sprintf("during%d@acme.example", i))
		}
	})
	out := filepath.Join(t.TempDir(), "acme.backup")
	info := jsonObject(t, roster(t, "backup", "--data-dir", dir, "--out", out, "--json"))
	close(stop)
	wg.Wait()
	if info["path"] != out || info["teams"] != float64(1) || info["users"].(float64) < 21 || info["bytes"].(float64) == 0 {
		t.Fatalf("backup JSON: %v", info)
	}

	// Refusals: each exits 1, says why, and changes nothing.
	fail := func(want string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), want) {
			t.Errorf("roster %v: %v, %q; want an error saying %q", args, err, stderr.String(), want)
		}
	}
	fail("exists", "backup", "--data-dir", dir, "--out", out)
	fail("pg_dump", "backup", "--database-url", "postgres://nowhere.invalid/x", "--out", filepath.Join(t.TempDir(), "x"))
	fail("no Roster store", "backup", "--data-dir", filepath.Join(t.TempDir(), "none"), "--out", filepath.Join(t.TempDir(), "x"))
	fail("--out is required", "backup", "--data-dir", dir)
	fail("not empty", "restore", "--in", out, "--data-dir", dir)
	fail("no such file", "restore", "--in", filepath.Join(t.TempDir(), "missing"), "--data-dir", filepath.Join(t.TempDir(), "new"))
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB, []byte("hello, this is not a database file"), 0o600); err != nil {
		t.Fatal(err)
	}
	fail("not a SQLite database", "restore", "--in", notDB, "--data-dir", filepath.Join(t.TempDir(), "new"))

	restored := filepath.Join(t.TempDir(), "restored")
	text := string(roster(t, "restore", "--in", out, "--data-dir", restored))
	if !strings.Contains(text, "Restored "+out+" into "+restored) || !strings.Contains(text, "roster serve --data-dir "+restored) {
		t.Fatalf("restore output: %s", text)
	}
	addr2 := freeAddr(t)
	startProc(t, nil, "--data-dir", restored, "--addr", addr2, "--metrics-addr", "off")
	status, body := scimGet(t, "http://"+addr2+"/scim/v2/Users?filter="+strings.ReplaceAll(`userName eq "u7@acme.example"`, " ", "+"), token)
	if status != 200 || body["totalResults"] != float64(1) {
		t.Fatalf("restored server: %d %v", status, body)
	}
	if c := post("http://"+addr2, "after@acme.example"); c != 201 {
		t.Fatalf("write to the restored server: %d", c)
	}
}

// TestServeScheduledBackups: --backup-every takes backups while serving,
// keeps the newest --backup-keep, and each is a store that restores.
func TestServeScheduledBackups(t *testing.T) {
	dir, bdir := t.TempDir(), filepath.Join(t.TempDir(), "backups")
	if err := os.MkdirAll(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Not ours: never deleted.
	if err := os.WriteFile(filepath.Join(bdir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, nil, "--data-dir", dir, "--addr", freeAddr(t), "--metrics-addr", "off",
		"--backup-dir", bdir, "--backup-every", "200ms", "--backup-keep", "2")
	for range 3 {
		p.waitLog("backup written")
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(bdir)
	if err != nil {
		t.Fatal(err)
	}
	var backups []string
	for _, e := range entries {
		if e.Name() == "notes.txt" {
			continue
		}
		if !backupName.MatchString(e.Name()) {
			t.Errorf("unexpected file %s", e.Name())
		}
		backups = append(backups, e.Name())
	}
	if len(backups) != 2 {
		t.Fatalf("%d backups kept, want 2: %v", len(backups), backups)
	}
	if _, err := os.Stat(filepath.Join(bdir, "notes.txt")); err != nil {
		t.Fatalf("a file that isn't a backup was deleted: %v", err)
	}
	for _, b := range backups {
		roster(t, "restore", "--in", filepath.Join(bdir, b), "--data-dir", filepath.Join(t.TempDir(), "r"))
	}
}

// TestServeRefusesBadOperationsFlags: each bad combination stops serve
// before it listens, naming the flag.
func TestServeRefusesBadOperationsFlags(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	f := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(f, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", f}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", f, "--tls-key", f}, "--tls-cert"},
		{[]string{"--acme-domain", "https://roster.example.com"}, "not a domain name"},
		{[]string{"--acme-domain", "roster.example.com", "--tls-cert", f, "--tls-key", f}, "not both"},
		{[]string{"--acme-email", "a@b.example"}, "go with --acme-domain"},
		{[]string{"--http-redirect-addr", ":0"}, "needs --tls-cert"},
		{[]string{"--backup-dir", dir, "--database-url", "postgres://nowhere.invalid/x"}, "pg_dump"},
		{[]string{"--backup-dir", dir, "--backup-keep", "0"}, "--backup-keep"},
		{[]string{"--backup-dir", dir, "--backup-every", "soon"}, "--backup-every"},
		{[]string{"--metrics-addr", "nonsense"}, "--metrics-addr"},
		{[]string{"--metrics-addr", taken.Addr().String()}, "--metrics-addr"},
		{[]string{"--shutdown-timeout", "0s"}, "--shutdown-timeout"},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("serve %v: %v, %q; want an error saying %q", tc.args, err, stderr.String(), tc.want)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve %v started instead of refusing", tc.args)
		}
	}
}

// TestServeACMEWiring: with --acme-domain, serve starts without asking
// the CA (certificates come on the first handshake), prints the domain's
// https URL, keeps its ACME cache in the data dir (private), and refuses
// a handshake for any other name without contacting the CA. (Getting a
// certificate needs a CA that can reach this machine: not tested here.)
func TestServeACMEWiring(t *testing.T) {
	var asked atomic.Int64
	ca := httpTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "no CA here", http.StatusServiceUnavailable)
	}))
	dir := t.TempDir()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p := startProc(t, nil, "--data-dir", dir, "--addr", addr, "--metrics-addr", "off",
		"--acme-domain", "roster.example.test", "--acme-email", "ops@example.test", "--acme-directory", ca+"/directory")
	if out := p.stdout.String(); !strings.Contains(out, "SCIM base URL: https://roster.example.test:"+port+"/scim/v2") {
		t.Fatalf("banner:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(dir, "acme")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("ACME cache dir: %v %v", fi, err)
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "elsewhere.example.test", InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Fatal("a handshake for another name succeeded")
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("the CA was asked %d times for a name not in --acme-domain", n)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// httpTestServer serves h on a loopback port until the test ends.
func httpTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
