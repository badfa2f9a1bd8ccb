package websession

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// fakeClock is the limiter's injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mustReserve reserves an attempt and fails the test if it is refused.
func mustReserve(t *testing.T, l *signinLimiter, account, ip string) *reservation {
	t.Helper()
	r, err := l.reserve(keysFor(account, ip))
	if err != nil {
		t.Fatalf("reserve(%q, %s): %v", account, ip, err)
	}
	return r
}

// mustRefuse asserts a 429 whose Retry-After is wait and whose message
// has msg in it.
func mustRefuse(t *testing.T, l *signinLimiter, account, ip string, wait time.Duration, msg string) {
	t.Helper()
	_, err := l.reserve(keysFor(account, ip))
	e, ok := service.AsError(err)
	if !ok || e.Kind != service.KindRateLimited || e.RetryAfter != wait || !strings.Contains(e.Message, msg) {
		t.Fatalf("reserve(%q, %s) = %v (retry after %v), want 429 after %v with %q", account, ip, err, func() any {
			if ok {
				return e.RetryAfter
			}
			return nil
		}(), wait, msg)
	}
}

const (
	pairMsg    = "for this account from your network address"
	accountMsg = "for this account from many addresses"
	ipMsg      = "failed sign-ins from your network address"
)

func TestSigninPairBacksOffExponentially(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{PairFree: 3, PairBackoff: time.Second, PairBackoffMax: 8 * time.Second,
		PairForget: time.Hour, Now: clk.Now})
	acct := accountKey("owner@acme.example")
	for range 3 {
		mustReserve(t, l, acct, "192.0.2.1") // failures: kept
	}
	mustRefuse(t, l, acct, "192.0.2.1", time.Second, pairMsg)
	// Each further failure doubles the wait, up to the cap.
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
		mustRefuse(t, l, acct, "192.0.2.1", wait, pairMsg)
		clk.Add(wait - time.Millisecond)
		mustRefuse(t, l, acct, "192.0.2.1", time.Second, pairMsg) // Retry-After is at least 1s
		clk.Add(time.Millisecond)
		mustReserve(t, l, acct, "192.0.2.1")
	}
	// The same account from another address, and another account from
	// this one, are not slowed down.
	mustReserve(t, l, acct, "198.51.100.7").succeeded()
	mustReserve(t, l, accountKey("dev@acme.example"), "192.0.2.1").succeeded()
	// An hour after the last failure the pair starts afresh.
	clk.Add(time.Hour)
	for range 3 {
		mustReserve(t, l, acct, "192.0.2.1")
	}
	mustRefuse(t, l, acct, "192.0.2.1", time.Second, pairMsg)
}

// TestSigninParallelAttemptsCountEach: attempts reserve their slot before
// the password is checked, so N at once count N and no more than the
// free attempts get through.
func TestSigninParallelAttemptsCountEach(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{PairFree: 5, Now: clk.Now})
	acct := accountKey("owner@acme.example")
	var admitted, refused atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.reserve(keysFor(acct, "192.0.2.1")); err != nil {
				refused.Add(1)
				return
			}
			admitted.Add(1) // a wrong password: the reservation stays
		}()
	}
	wg.Wait()
	if admitted.Load() != 5 || refused.Load() != 35 {
		t.Fatalf("admitted %d, refused %d; want 5 and 35", admitted.Load(), refused.Load())
	}
}

func TestSigninSuccessAndCancel(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{PairFree: 3, AccountMax: 4, IPMax: 4, Now: clk.Now})
	acct := accountKey("owner@acme.example")
	// Attempts that never reached a password check count for nothing.
	for range 10 {
		mustReserve(t, l, acct, "192.0.2.1").cancel()
	}
	mustReserve(t, l, acct, "192.0.2.1")
	mustReserve(t, l, acct, "192.0.2.1")
	// The owner's success clears the pair and is not a failure itself...
	mustReserve(t, l, acct, "192.0.2.1").succeeded()
	mustReserve(t, l, acct, "192.0.2.1")
	mustReserve(t, l, acct, "192.0.2.1")
	// ...but the failures before it still count for the account and the IP.
	mustRefuse(t, l, accountKey("dev@acme.example"), "192.0.2.1", 15*time.Minute, ipMsg)
	mustRefuse(t, l, acct, "198.51.100.7", 15*time.Minute, accountMsg)
	if n := l.keys(); n != 3 {
		t.Fatalf("%d keys", n)
	}
}

// TestSigninAccountCeiling: many addresses together can block an account
// everywhere, but only at the far higher account ceiling; one address
// can't, because its own limit is lower.
func TestSigninAccountCeiling(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{PairFree: 2, AccountMax: 6, AccountWindow: 10 * time.Minute, IPMax: 5, Now: clk.Now})
	acct := accountKey("owner@acme.example")
	for i := range 3 {
		ip := fmt.Sprintf("203.0.113.%d", i+1)
		mustReserve(t, l, acct, ip)
		clk.Add(time.Minute)
		mustReserve(t, l, acct, ip)
	}
	mustRefuse(t, l, acct, "198.51.100.7", 7*time.Minute, accountMsg)
	// Other accounts are not affected.
	mustReserve(t, l, accountKey("dev@acme.example"), "198.51.100.7").succeeded()
	// The window slides: the oldest failure leaves it 10 minutes after it
	// was made.
	clk.Add(7*time.Minute - time.Millisecond)
	mustRefuse(t, l, acct, "198.51.100.7", time.Second, accountMsg)
	clk.Add(time.Millisecond)
	mustReserve(t, l, acct, "198.51.100.7").succeeded()
}

// TestSigninIPLimit: one address spraying many accounts, or guessing
// invite tokens, is stopped at the per-IP limit; other addresses are not.
func TestSigninIPLimit(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{IPMax: 3, IPWindow: time.Minute, Now: clk.Now})
	for i := range 3 {
		mustReserve(t, l, accountKey(fmt.Sprintf("u%d@acme.example", i)), "192.0.2.1")
	}
	mustRefuse(t, l, accountKey("u9@acme.example"), "192.0.2.1", time.Minute, ipMsg)
	mustRefuse(t, l, "", "192.0.2.1", time.Minute, ipMsg) // an invite token guess
	mustReserve(t, l, accountKey("u9@acme.example"), "198.51.100.7").succeeded()
	mustReserve(t, l, "", "198.51.100.7").cancel()
	clk.Add(time.Minute)
	mustReserve(t, l, "", "192.0.2.1")
}

// TestSigninIPv6Prefix: an IPv6 client is its /64 (one subscriber can
// pick any address in it); IPv4-mapped addresses are their IPv4 address.
func TestSigninIPv6Prefix(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
	} {
		if ipKey(tc.a) != ipKey(tc.b) {
			t.Errorf("%s and %s are different clients: %q %q", tc.a, tc.b, ipKey(tc.a), ipKey(tc.b))
		}
	}
	if ipKey("2001:db8:1:2::1") == ipKey("2001:db8:1:3::1") {
		t.Error("two /64s are one client")
	}
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{IPMax: 2, Now: clk.Now})
	mustReserve(t, l, "", "2001:db8::1")
	mustReserve(t, l, "", "2001:db8::2")
	mustRefuse(t, l, "", "2001:db8::3", 15*time.Minute, ipMsg)
	mustReserve(t, l, "", "2001:db8:0:1::1")
}

// TestSigninAccountKey: the account is the folded email, of a fixed size
// however long the email a request sends.
func TestSigninAccountKey(t *testing.T) {
	if accountKey(" Owner@ACME.example ") != accountKey("owner@acme.example") {
		t.Fatal("case or spaces make another account")
	}
	if accountKey("a@acme.example") == accountKey("b@acme.example") {
		t.Fatal("two emails are one account")
	}
	if n := len(accountKey(strings.Repeat("x", 1<<20))); n != 16 {
		t.Fatalf("key of %d bytes", n)
	}
}

// TestSigninForgets: keys nothing counts on any more are swept, so a
// spray of addresses and emails doesn't grow memory without end.
func TestSigninForgets(t *testing.T) {
	clk := newFakeClock()
	l := newSigninLimiter(SignInLimits{Now: clk.Now})
	for i := range 3000 {
		mustReserve(t, l, accountKey(fmt.Sprint(i)), fmt.Sprintf("10.%d.%d.1", i/256, i%256))
	}
	if n := l.keys(); n != 9000 {
		t.Fatalf("%d keys", n)
	}
	clk.Add(time.Hour)
	mustReserve(t, l, "", "192.0.2.1")
	if n := l.keys(); n != 1 {
		t.Fatalf("%d keys after every failure left its window", n)
	}
}

func TestSigninPairWaitCaps(t *testing.T) {
	l := newSigninLimiter(SignInLimits{PairFree: 1, PairBackoff: time.Nanosecond, PairBackoffMax: time.Hour})
	if w := l.pairWait(40); w != 1<<39 {
		t.Errorf("pairWait(40) = %v", w)
	}
	for _, n := range []int{43, 63, 64, 1000} {
		if w := l.pairWait(n); w != time.Hour {
			t.Errorf("pairWait(%d) = %v", n, w)
		}
	}
	if w := l.pairWait(0); w != 0 {
		t.Errorf("pairWait(0) = %v", w)
	}
}

// TestPasswordGate: past its slots an attempt waits; a full wait, a full
// queue or the end of the request gives up, and a freed slot admits one.
func TestPasswordGate(t *testing.T) {
	g := newPasswordGate(1, 0)
	release, err := g.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.acquire(context.Background()); err != errPasswordBusy {
		t.Fatalf("no wait: %v", err)
	}
	if errPasswordBusy.Kind != service.KindRateLimited || errPasswordBusy.RetryAfter != time.Second {
		t.Fatalf("busy is %+v", errPasswordBusy)
	}

	g.wait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.acquire(ctx); err != errPasswordBusy {
		t.Fatalf("cancelled request: %v", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	if _, err := g.acquire(ctx); err != errPasswordBusy {
		t.Fatalf("request out of time: %v", err)
	}

	full := &passwordGate{slots: g.slots, queued: make(chan struct{}), wait: time.Hour}
	if _, err := full.acquire(context.Background()); err != errPasswordBusy {
		t.Fatalf("full queue: %v", err)
	}

	got := make(chan error)
	go func() {
		rel, err := g.acquire(context.Background())
		if err == nil {
			rel()
		}
		got <- err
	}()
	for len(g.queued) == 0 { // the waiter is queued
		runtime.Gosched()
	}
	release()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if len(g.slots) != 0 || len(g.queued) != 0 {
		t.Fatalf("slots %d queued %d after everyone left", len(g.slots), len(g.queued))
	}
}

func TestSigninWaitMessage(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Millisecond: "1 second", time.Second: "1 second", 1500 * time.Millisecond: "2 seconds",
		119 * time.Second: "119 seconds", 120 * time.Second: "2 minutes", 15*time.Minute - time.Second: "15 minutes",
	} {
		if got := humanWait(d); got != want {
			t.Errorf("humanWait(%v) = %q, want %q", d, got, want)
		}
	}
	e, _ := service.AsError(limitError(0, "too many"))
	if e.RetryAfter != time.Second || e.Message != "too many; try again in 1 second" {
		t.Fatalf("%+v", e)
	}
}
