package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// record is what one step of the script produced.
type record struct {
	Name    string
	Raw     string        // as the binary answered
	Norm    string        // after normalisation: what is compared
	Elapsed time.Duration // since the previous step ended (not compared)
}

// runner runs the script against one binary in its own directory.
type runner struct {
	label string // "old" or "new"
	bin   string
	dir   string // this run's directory; its data dir is dir/data
	data  string
	norm  *normalizer
	vars  map[string]string
	recs  []record
	last  time.Time // when the last step was recorded
	// cookies set by the answer being recorded: secrets the normaliser
	// learns as the step begins.
	cookies []string
	seen    map[string]bool
	warns   []string

	client    *http.Client
	addr      string // 127.0.0.1:port of the running server
	srv       *exec.Cmd
	srvExited chan error
	srvOut    *syncBuffer
	srvErr    *syncBuffer
	phase     int
}

func newRunner(label, bin, dir string) (*runner, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%s binary %s: not a file", label, bin)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &runner{last: time.Now(), label: label, bin: abs, dir: dir, data: filepath.Join(dir, "data"), vars: map[string]string{}, seen: map[string]bool{},
		norm: newNormalizer(time.Now())}
	r.norm.literal(dir, "<run>")
	r.norm.literal(abs, "<roster>")
	if bi, err := buildinfo.ReadFile(abs); err == nil {
		// The build's own identity: module version and VCS stamp.
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			r.norm.literal(v, "<version>")
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				r.norm.literal(s.Value, "<revision>")
				if len(s.Value) >= 12 {
					r.norm.literal(s.Value[:12], "<revision>")
				}
			case "vcs.time":
				r.norm.literal(s.Value, "<vcs-time>")
			}
		}
	}
	r.client = &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 4,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return r, nil
}

// add records a step. Step names are unique: the comparison pairs steps
// by name.
func (r *runner) add(name, raw string) {
	if r.seen[name] {
		panic("apicompare: two steps named " + name)
	}
	r.seen[name] = true
	r.norm.begin(name)
	for _, c := range r.cookies {
		r.norm.secret("cookie", c)
	}
	r.cookies = nil
	now := time.Now()
	r.recs = append(r.recs, record{Name: name, Raw: raw, Norm: r.norm.normalize(raw), Elapsed: now.Sub(r.last)})
	r.last = now
}

// addSorted records a step whose lines between start and end are sorted
// once normalised (see sortLines).
func (r *runner) addSorted(name, raw, start, end string) {
	r.add(name, raw)
	rec := &r.recs[len(r.recs)-1]
	rec.Norm = sortSection(rec.Norm, start, end)
}

// v is a value captured from an earlier answer.
func (r *runner) v(name string) string {
	if s, ok := r.vars[name]; ok {
		return s
	}
	r.warnf("no value captured for %s", name)
	return "MISSING-" + name
}

func (r *runner) set(name, value string) {
	if value == "" {
		r.warnf("captured an empty %s", name)
		value = "MISSING-" + name
	}
	r.vars[name] = value
}

func (r *runner) warnf(format string, args ...any) {
	r.warns = append(r.warns, fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------- CLI

type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// childEnv is the environment of every child: ours without any ROSTER_*
// variable (a ROSTER_DATABASE_URL would send the run to PostgreSQL), with
// a fixed time zone.
func childEnv(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "ROSTER_") || strings.HasPrefix(e, "TZ=") {
			continue
		}
		env = append(env, e)
	}
	return append(append(env, "TZ=UTC"), extra...)
}

type cliOpt struct {
	stdin string
	env   []string
	// sortLines records stdout with its lines sorted (sortLines): for
	// dumps, whose row order follows random ids.
	sortLines bool
}

// cli runs the binary with args and records its output and exit code.
func (r *runner) cli(name string, args ...string) cliResult {
	return r.cliWith(name, cliOpt{}, args...)
}

func (r *runner) cliWith(name string, o cliOpt, args ...string) cliResult {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = childEnv(o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		res.Code = -1
		res.Stderr += "\n[apicompare: " + err.Error() + "]"
	}
	var b strings.Builder
	b.WriteString("$ ")
	for _, e := range o.env {
		b.WriteString(shellQuote(e) + " ")
	}
	b.WriteString("roster")
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	if o.stdin != "" {
		fmt.Fprintf(&b, "stdin: %q\n", o.stdin)
	}
	stdout := res.Stdout
	if o.sortLines {
		stdout = sortLines(stdout)
		b.WriteString("(stdout lines sorted)\n")
	}
	fmt.Fprintf(&b, "exit: %d\n--- stdout\n%s", res.Code, stdout)
	if res.Stdout != "" && !strings.HasSuffix(res.Stdout, "\n") {
		b.WriteString("\n\\ no newline at end of stdout\n")
	}
	b.WriteString("--- stderr\n" + res.Stderr)
	if res.Stderr != "" && !strings.HasSuffix(res.Stderr, "\n") {
		b.WriteString("\n\\ no newline at end of stderr\n")
	}
	if o.sortLines {
		r.addSorted("cli/"+name, b.String(), "--- stdout\n", "--- stderr\n")
	} else {
		r.add("cli/"+name, b.String())
	}
	return res
}

var reShellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@+-]+$`)

func shellQuote(s string) string {
	if reShellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ---------------------------------------------------------------- server

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// readinessUA is the User-Agent of the /healthz polls that wait for the
// server to start.
const readinessUA = "apicompare-readiness-poll"

// startServer runs `roster serve` on a free loopback port over the run's
// data dir and waits for /healthz to answer 200.
func (r *runner) startServer() error {
	r.phase++
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		// Another process may take the free port before the server
		// binds it: then try another.
		if err = r.tryStart(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
	}
	return err
}

func (r *runner) tryStart() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	r.addr = fmt.Sprintf("127.0.0.1:%d", port)
	r.norm.literal(r.addr, "127.0.0.1:<port>")
	r.norm.literal(fmt.Sprintf("localhost:%d", port), "localhost:<port>")
	cmd := exec.Command(r.bin, "serve", "--addr", r.addr, "--data-dir", r.data)
	cmd.Dir = r.dir
	cmd.Env = childEnv()
	r.srvOut, r.srvErr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = r.srvOut, r.srvErr
	if err := cmd.Start(); err != nil {
		return err
	}
	r.srv = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		poll, _ := http.NewRequest("GET", "http://"+r.addr+"/healthz", nil)
		poll.Header.Set("User-Agent", readinessUA)
		resp, err := r.client.Do(poll)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				r.srvExited = exited
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("roster serve exited before it was ready (%v): %s", err, r.srvErr.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("roster serve did not answer /healthz with 200 within 20s: %s", r.srvErr.String())
		}
	}
}

// stopServer ends the server as an operator does (SIGTERM: it drains, and
// flushes the provisioning log) and records what it printed.
func (r *runner) stopServer() {
	code := 0
	if r.srv != nil {
		_ = r.srv.Process.Signal(syscall.SIGTERM)
		var err error
		select {
		case err = <-r.srvExited:
		case <-time.After(30 * time.Second):
			_ = r.srv.Process.Kill()
			err = <-r.srvExited
			r.warnf("roster serve did not stop within 30s of SIGTERM")
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
	}
	p := fmt.Sprintf("serve/phase%d/", r.phase)
	r.client.CloseIdleConnections()
	r.add(p+"stdout", fmt.Sprintf("$ roster serve --addr %s --data-dir %s\nexit: %d\n--- stdout\n%s", r.addr, r.data, code, r.srvOut.String()))
	// The readiness polls are ours, and how many there are is a matter of
	// timing: their log lines are left out.
	var log strings.Builder
	for _, l := range strings.SplitAfter(r.srvErr.String(), "\n") {
		if !strings.Contains(l, readinessUA) {
			log.WriteString(l)
		}
	}
	r.add(p+"log", "--- stderr\n"+log.String())
	r.srv = nil
}

// ---------------------------------------------------------------- HTTP

// req is one HTTP request of the script.
type req struct {
	method, path string
	body         string
	bodyNote     string // shown instead of a body too large to record
	header       [][2]string
}

// with adds a request header.
func (q req) with(k, v string) req {
	q.header = append(append([][2]string(nil), q.header...), [2]string{k, v})
	return q
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// jsonValue reads a value from the answer's JSON body by a path of
// object keys and array indexes ("Resources", "0", "id").
func (res response) json(path ...string) string {
	var v any
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return ""
	}
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return ""
			}
			v = c[i]
		default:
			return ""
		}
	}
	switch c := v.(type) {
	case string:
		return c
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(c)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// match returns the first group of re in the body.
func (res response) match(re string) string {
	m := regexp.MustCompile(re).FindSubmatch(res.Body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// cookie is the value of a cookie the answer sets.
func (res response) cookie(name string) string {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Headers recorded with every answer: the ones whose change a client or
// a browser would notice. Date, Content-Length and the like are not.
var recordedHeaders = []string{
	"Allow", "Cache-Control", "Content-Disposition", "Content-Security-Policy", "Content-Type",
	"Cross-Origin-Opener-Policy", "ETag", "Location", "Permissions-Policy", "Referrer-Policy",
	"Retry-After", "Set-Cookie", "Vary", "WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id",
}

// do sends q and records the request, the answer's status, the headers
// that matter and the body.
func (r *runner) do(name string, q req) response {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", q.method, q.path)
	for _, h := range q.header {
		fmt.Fprintf(&b, "> %s: %s\n", h[0], h[1])
	}
	switch {
	case q.bodyNote != "":
		fmt.Fprintf(&b, ">\n> (%s)\n", q.bodyNote)
	case q.body != "":
		b.WriteString(">\n")
		for _, l := range strings.Split(q.body, "\n") {
			b.WriteString("> " + l + "\n")
		}
	}
	res, err := r.send(q)
	if err != nil {
		fmt.Fprintf(&b, "< transport error: %s\n", err)
		r.add("http/"+name, b.String())
		return response{}
	}
	fmt.Fprintf(&b, "< %d %s\n", res.Status, http.StatusText(res.Status))
	for _, h := range recordedHeaders {
		for _, v := range res.Header.Values(h) {
			if h == "Set-Cookie" {
				if c := (&http.Response{Header: http.Header{"Set-Cookie": {v}}}).Cookies(); len(c) > 0 && c[0].Value != "" {
					r.cookies = append(r.cookies, c[0].Value)
				}
				v = cookieShape(v)
			}
			fmt.Fprintf(&b, "< %s: %s\n", h, v)
		}
	}
	b.WriteString("<\n")
	b.WriteString(bodyText(res.Header.Get("Content-Type"), res.Body))
	r.add("http/"+name, b.String())
	return res
}

func (r *runner) send(q req) (response, error) {
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	hreq, err := http.NewRequest(q.method, "http://"+r.addr+q.path, body)
	if err != nil {
		return response{}, err
	}
	for _, h := range q.header {
		if strings.EqualFold(h[0], "Host") {
			hreq.Host = h[1]
			continue
		}
		hreq.Header.Add(h[0], h[1])
	}
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "apicompare")
	}
	resp, err := r.client.Do(hreq)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// cookieShape is a Set-Cookie header with its value left out (said only
// to be empty or not): name and attributes are what a browser acts on.
func cookieShape(v string) string {
	parts := strings.Split(v, ";")
	name, val, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	shown := "<value>"
	if val == "" || val == `""` {
		shown = "<empty>"
	}
	out := []string{name + "=" + shown}
	for _, p := range parts[1:] {
		out = append(out, strings.TrimSpace(p))
	}
	return strings.Join(out, "; ")
}

// bodyText shows a body for reading and comparing: JSON indented (with a
// line saying how the bytes were laid out, so a whitespace change still
// shows), text as it is, anything else as its size and hash.
func bodyText(ctype string, body []byte) string {
	if len(body) == 0 {
		return "(empty body)\n"
	}
	trimmed := bytes.TrimRight(body, "\n")
	if json.Valid(trimmed) && (trimmed[0] == '{' || trimmed[0] == '[') {
		var ind bytes.Buffer
		if err := json.Indent(&ind, trimmed, "", "  "); err == nil {
			return fmt.Sprintf("(json, %s)\n%s\n", jsonLayout(body), ind.String())
		}
	}
	if !isText(body) {
		return fmt.Sprintf("(binary body, %d bytes, sha256 %s)\n", len(body), sha256hex(body))
	}
	s := string(body)
	if !strings.HasSuffix(s, "\n") {
		s += "\n\\ no newline at end of body\n"
	}
	return s
}

// jsonLayout says how a JSON body was written: compact or indented, with
// or without a final newline; "as sent" bodies of another layout are
// shown byte for byte by the caller.
func jsonLayout(body []byte) string {
	nl := ""
	t := body
	if bytes.HasSuffix(t, []byte("\n")) {
		nl, t = " + newline", bytes.TrimSuffix(t, []byte("\n"))
	}
	var c bytes.Buffer
	if json.Compact(&c, t) == nil && bytes.Equal(c.Bytes(), t) {
		return "compact" + nl
	}
	for _, indent := range []string{"  ", "\t", "    "} {
		var ind bytes.Buffer
		if json.Indent(&ind, c.Bytes(), "", indent) == nil && bytes.Equal(ind.Bytes(), t) {
			return fmt.Sprintf("indented %q", indent) + nl
		}
	}
	return "other layout: " + strconv.Quote(string(body))
}

func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
