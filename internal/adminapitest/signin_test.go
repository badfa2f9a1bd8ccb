package adminapitest

// The sign-in limits forged end to end (docs/signin.md): a flood of
// parallel guesses, an attacker who keeps guessing an owner's password,
// forged and proxied X-Forwarded-For, invite acceptance and password
// changes as guessing oracles. Other client addresses are real: the test
// client binds to 127.0.0.2, 127.0.0.3… (all of 127/8 is loopback), or a
// trusted proxy names them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// testClock is the sign-in limiter's clock: tests move it, nothing sleeps.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// from is a client whose connections come from ip, another loopback
// address than 127.0.0.1: to the server, another client.
func (e *env) from(ip string) *client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &client{e: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}}
}

// retryAfter is a 429's Retry-After in seconds (the test fails without one).
func (r response) retryAfter(t *testing.T) time.Duration {
	t.Helper()
	r.apiError(t, 429, "")
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	return time.Duration(s) * time.Second
}

// loginEvents are the account.login audit events over HTTP, oldest first
// (not the harness's own first sign-in, which replaced the one-time
// password straight through the service).
func (e *env) loginEvents(email string) []store.AuditEvent {
	e.t.Helper()
	var out []store.AuditEvent
	evs := e.auditEvents()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == "account.login" && evs[i].Actor == "account:"+email && evs[i].RequestID != "" {
			out = append(out, evs[i])
		}
	}
	return out
}

const devEmail = "dev@acme.example"

// TestSigninFloodCountsEveryAttempt is issue 11's report 4: 40 parallel
// wrong passwords for one email from one address. Each reserves its slot
// before its password is checked, so exactly the free attempts of the
// (account, address) pair run argon2id, the rest are refused without any;
// the owner, from another address, still signs in.
func TestSigninFloodCountsEveryAttempt(t *testing.T) {
	clk := newTestClock() // stands still: no back-off wait elapses during the flood
	e := newEnvWith(t, server.Config{SignIn: server.SignInLimits{Now: clk.Now, PasswordQueueWait: time.Minute}})
	e.addMember(devEmail, []string{"Developer"}, store.SourceManual, true)
	const attempts, free = 40, 5 // free: the default SignInLimits.PairFree
	body, _ := json.Marshal(map[string]any{"email": devEmail, "password": "not the password"})

	service.ResetPasswordWorkPeak()
	before := service.PasswordWork().Runs
	type result struct {
		status     int
		retryAfter string
		err        error
	}
	results := make(chan result, attempts)
	start := make(chan struct{})
	hc := &http.Client{Timeout: 30 * time.Second}
	for range attempts {
		go func() {
			<-start
			req, _ := http.NewRequest("POST", e.API+"/auth/login", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			resp.Body.Close()
			results <- result{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
		}()
	}
	close(start)
	count := map[int]int{}
	for range attempts {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		count[r.status]++
		if r.status == 429 {
			if s, err := strconv.Atoi(r.retryAfter); err != nil || s < 1 {
				t.Errorf("429 with Retry-After %q", r.retryAfter)
			}
		}
	}
	st := service.PasswordWork()
	if checks := st.Runs - before; checks != free {
		t.Fatalf("%d password checks for %d parallel attempts, want exactly %d", checks, attempts, free)
	}
	if count[401] != free || count[429] != attempts-free {
		t.Fatalf("answers %v, want %d×401 and %d×429", count, free, attempts-free)
	}
	if st.MaxInFlight > st.Limit {
		t.Fatalf("%d password checks at once, semaphore %d", st.MaxInFlight, st.Limit)
	}

	t.Run("the owner signs in from another address", func(t *testing.T) {
		e.from("127.0.0.2").do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword}).must(t, 200)
		evs := e.loginEvents(devEmail)
		if len(evs) != 1 || evs[0].IP != "127.0.0.2" {
			t.Fatalf("login events %+v", evs)
		}
	})
	t.Run("from the flooding address the pair backs off, right password or not, without a check", func(t *testing.T) {
		before := service.PasswordWork().Runs
		if w := e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword}).retryAfter(t); w != time.Second {
			t.Fatalf("Retry-After %v", w)
		}
		if service.PasswordWork().Runs != before {
			t.Fatal("a refused attempt checked a password")
		}
		clk.Add(time.Second) // the back-off is over
		e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword}).must(t, 200)
	})
}

// TestSigninAttackerCannotLockOutOwner is issue 11's report 5, behind the
// TLS proxy the README recommends: an attacker guesses the owner's
// password for hours, as fast as the limits let him, far past the old
// lock-out of 10; the owner, from her own address, signs in all along.
func TestSigninAttackerCannotLockOutOwner(t *testing.T) {
	clk := newTestClock()
	e := newEnvWith(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		SignIn: server.SignInLimits{Now: clk.Now}})
	e.addMember(devEmail, []string{"Developer"}, store.SourceManual, true)
	bad := map[string]any{"email": devEmail, "password": "guess"}
	good := map[string]any{"email": devEmail, "password": testPassword}
	var failures, refusals, owner int
	start := clk.Now()
	for failures < 40 {
		r := e.anon().do("POST", "/auth/login", bad, "X-Forwarded-For", "203.0.113.66")
		switch r.Status {
		case 401:
			failures++
		case 429:
			refusals++
			clk.Add(r.retryAfter(t)) // waits exactly as long as told
		default:
			t.Fatalf("attacker got %d: %s", r.Status, r.Raw)
		}
		if (failures+refusals)%7 == 0 {
			e.anon().do("POST", "/auth/login", good, "X-Forwarded-For", "198.51.100.20").must(t, 200)
			owner++
		}
	}
	// 40 guesses took the attacker hours (5 free, then 1 s, 2 s, … up to
	// 15 min apart), and the owner was never refused.
	if took := clk.Now().Sub(start); took < 5*time.Hour {
		t.Fatalf("40 guesses took only %v", took)
	}
	evs := e.loginEvents(devEmail)
	if len(evs) != owner || owner < 5 {
		t.Fatalf("%d owner sign-ins recorded, %d made", len(evs), owner)
	}
	for _, ev := range evs {
		if ev.IP != "198.51.100.20" {
			t.Fatalf("the audit trail has the proxy's or another address: %+v", ev)
		}
	}
	// From the attacker's address, back-off grows to its cap.
	if w := e.anon().do("POST", "/auth/login", bad, "X-Forwarded-For", "203.0.113.66").retryAfter(t); w < 10*time.Minute || w > 15*time.Minute {
		t.Fatalf("back-off after %d failures: %v", failures, w)
	}
}

// TestSigninForgedForwardedFor: X-Forwarded-For from a peer that is not a
// trusted proxy is ignored: rotating forged addresses gets no fresh
// attempts, and the audit trail has the real peer.
func TestSigninForgedForwardedFor(t *testing.T) {
	clk := newTestClock()
	e := newEnvWith(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		SignIn: server.SignInLimits{Now: clk.Now}})
	e.addMember(devEmail, []string{"Developer"}, store.SourceManual, true)
	for i := range 5 {
		e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": "guess"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)).apiError(t, 401, "")
	}
	e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": "guess"},
		"X-Forwarded-For", "198.51.100.99").retryAfter(t)
	clk.Add(time.Second)
	e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword},
		"X-Forwarded-For", "203.0.113.7").must(t, 200)
	if evs := e.loginEvents(devEmail); len(evs) != 1 || evs[0].IP != "127.0.0.1" {
		t.Fatalf("login events %+v", evs)
	}
}

// TestTrustedProxyClientIP: from a trusted proxy, the client named by
// X-Forwarded-For (the right-most address that is not one of our
// proxies; what the client itself forged to its left is ignored) is the
// IP of the audit trail, of a personal token's last use and of a SCIM
// key's last use.
func TestTrustedProxyClientIP(t *testing.T) {
	proxies, err := server.ParseTrustedProxies("127.0.0.1/32, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, server.Config{TrustedProxies: proxies})
	const xff, clientAddr = "192.0.2.250, 198.51.100.20, 10.1.2.3", "198.51.100.20"
	c := e.anon()
	r := c.do("POST", "/auth/login", map[string]any{"email": e.Admin, "password": e.AdminPassword}, "X-Forwarded-For", xff).must(t, 200)
	c.csrf = r.Body["csrf_token"].(string)
	if evs := e.loginEvents(e.Admin); len(evs) != 1 || evs[0].IP != clientAddr {
		t.Fatalf("login events %+v", evs)
	}
	tok := c.do("POST", "/me/tokens", map[string]any{"name": "ci"}, "X-Forwarded-For", xff).must(t, 201).Body["token"].(string)
	script := &client{e: e, hc: &http.Client{Timeout: 30 * time.Second}, bearer: tok}
	script.do("POST", e.teamPath("/invites"), map[string]any{"email": "new@acme.example"}, "X-Forwarded-For", xff).must(t, 201)
	for _, ev := range e.auditEvents() {
		if ev.Action == "invite.create" && ev.IP != clientAddr {
			t.Fatalf("invite.create recorded from %q", ev.IP)
		}
	}
	toks := c.do("GET", "/me/tokens", nil).must(t, 200).Body["tokens"].([]any)
	if ip := toks[0].(map[string]any)["last_used_ip"]; ip != clientAddr {
		t.Fatalf("token last used from %v", ip)
	}

	e.setSCIM(true)
	nk, err := e.Svc.CreateKey(context.Background(), e.Team.Slug, "okta", nil, service.Actor{Kind: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.URL+server.SCIMPrefix+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+nk.Token)
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	keys, err := e.Svc.ListKeys(context.Background(), e.Team.Slug)
	if err != nil || len(keys) != 1 || keys[0].LastUsedIP != clientAddr {
		t.Fatalf("key last use %+v %v", keys, err)
	}
}

// TestSigninInvitesShareTheLimits: a wrong password for an existing
// account through an invite link counts against that account like a
// failed sign-in (and the back-off holds for sign-in too), and guessed
// invite tokens count against the address.
func TestSigninInvitesShareTheLimits(t *testing.T) {
	clk := newTestClock()
	e := newEnvWith(t, server.Config{SignIn: server.SignInLimits{Now: clk.Now, PairFree: 2, IPMax: 4, IPWindow: time.Minute}})
	admin := e.login(e.Admin, e.AdminPassword)
	const other = "elsewhere@acme.example"
	if _, err := e.Svc.SetAccountPassword(context.Background(), other, testPassword, service.Actor{Kind: "cli"}); err != nil {
		t.Fatal(err)
	}
	tok := admin.do("POST", e.teamPath("/invites"), map[string]any{"email": other}).must(t, 201).Body["token"].(string)

	t.Run("wrong passwords for the invited account back off", func(t *testing.T) {
		g := e.from("127.0.0.3")
		before := service.PasswordWork().Runs
		for range 2 {
			g.do("POST", "/invites/accept", map[string]any{"token": tok, "password": "a guess at it"}).apiError(t, 401, "")
		}
		g.do("POST", "/invites/accept", map[string]any{"token": tok, "password": "a guess at it"}).retryAfter(t)
		g.do("POST", "/auth/login", map[string]any{"email": other, "password": testPassword}).retryAfter(t)
		if n := service.PasswordWork().Runs - before; n != 2 {
			t.Fatalf("%d password checks", n)
		}
		e.from("127.0.0.4").do("POST", "/invites/accept", map[string]any{"token": tok, "password": testPassword}).must(t, 200)
	})
	t.Run("guessed tokens count against the address", func(t *testing.T) {
		g := e.from("127.0.0.5")
		for i := range 4 {
			g.do("POST", "/invites/accept", map[string]any{"token": fmt.Sprintf("rit_guess%d", i), "password": testPassword}).apiError(t, 404, "")
		}
		g.do("POST", "/invites/accept", map[string]any{"token": "rit_guess9", "password": testPassword}).retryAfter(t)
		g.do("POST", "/auth/login", map[string]any{"email": e.Admin, "password": e.AdminPassword}).retryAfter(t)
		e.from("127.0.0.6").do("POST", "/invites/accept", map[string]any{"token": "rit_guess9", "password": testPassword}).apiError(t, 404, "")
		clk.Add(time.Minute)
		g.do("POST", "/invites/accept", map[string]any{"token": "rit_guess9", "password": testPassword}).apiError(t, 404, "")
	})
}

// TestSigninChangePasswordShareTheLimits: a session can't be used to
// guess the account's password either: a wrong current password is a
// failed sign-in.
func TestSigninChangePasswordShareTheLimits(t *testing.T) {
	clk := newTestClock()
	e := newEnvWith(t, server.Config{SignIn: server.SignInLimits{Now: clk.Now, PairFree: 2}})
	e.addMember(devEmail, []string{"Developer"}, store.SourceManual, true)
	c := e.login(devEmail, testPassword)
	change := map[string]any{"current_password": "a guess at it", "new_password": "a brand new password"}
	for range 2 {
		c.do("POST", "/me/password", change).apiError(t, 403, "current_password")
	}
	c.do("POST", "/me/password", change).retryAfter(t)
	e.anon().do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword}).retryAfter(t)
	// A refused new password is no guess: it doesn't count.
	other := e.from("127.0.0.2")
	r := other.do("POST", "/auth/login", map[string]any{"email": devEmail, "password": testPassword}).must(t, 200)
	other.csrf = r.Body["csrf_token"].(string)
	for range 3 {
		other.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "short"}).apiError(t, 400, "new_password")
	}
	other.do("POST", "/me/password", map[string]any{"current_password": testPassword, "new_password": "a brand new password"}).must(t, 204)
}
