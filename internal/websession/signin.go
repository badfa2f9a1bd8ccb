package websession

// Sign-in throttling (docs/signin.md): every password an anonymous client
// (or a session, for a password change) sends is checked only after
//
//  1. the sign-in limiter has reserved a failure slot for it, on three
//     keys at once: the (account, client IP) pair, the account, and the
//     client IP. A reservation counts as a failure until the check says
//     otherwise, so N parallel attempts count N; a success gives its slots
//     back (and clears the pair), an attempt that never reached the check
//     gives them back too.
//  2. the password gate has admitted it: at most PasswordConcurrency
//     checks at once per process, the rest wait up to PasswordQueueWait
//     (or until the request is cancelled) and then get 429.
//
// The pair key backs off exponentially, so a stranger's guesses from one
// address don't lock the owner out from another; the account key has a
// much higher ceiling (a distributed guess), the IP key bounds one
// address spraying many accounts.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// SignInLimits tunes the sign-in limiter and the password gate. Zero
// fields take the defaults documented in docs/signin.md.
type SignInLimits struct {
	// PairFree is how many failures one client IP may make for one
	// account before back-off starts. Default 5.
	PairFree int
	// PairBackoff is the wait after the PairFree-th failure; each further
	// failure doubles it, up to PairBackoffMax. Defaults 1s and 15m.
	PairBackoff, PairBackoffMax time.Duration
	// PairForget is how long after its last failure a pair starts afresh.
	// Default 1h.
	PairForget time.Duration
	// AccountMax failures per AccountWindow for one account, from all IPs
	// together, block that account's sign-ins everywhere. Defaults 200
	// per 15m. Keep it above IPMax: one address alone must never reach it.
	AccountMax    int
	AccountWindow time.Duration
	// IPMax failures per IPWindow from one client IP (an IPv6 client's
	// /64), whatever the accounts, block that address. Defaults 50 per 15m.
	IPMax    int
	IPWindow time.Duration
	// PasswordConcurrency is how many password checks run at once;
	// default service.PasswordConcurrency() (NumCPU within [2, 16]).
	PasswordConcurrency int
	// PasswordQueueWait is how long an attempt waits for its turn before
	// a 429. Default 5s.
	PasswordQueueWait time.Duration
	// Now is the limiter's clock; nil is time.Now.
	Now func() time.Time
}

func (l *SignInLimits) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PairFree, 5)
	defDur(&l.PairBackoff, time.Second)
	defDur(&l.PairBackoffMax, 15*time.Minute)
	l.PairBackoffMax = max(l.PairBackoffMax, l.PairBackoff)
	defDur(&l.PairForget, time.Hour)
	def(&l.AccountMax, 200)
	defDur(&l.AccountWindow, 15*time.Minute)
	def(&l.IPMax, 50)
	defDur(&l.IPWindow, 15*time.Minute)
	def(&l.PasswordConcurrency, service.PasswordConcurrency())
	defDur(&l.PasswordQueueWait, 5*time.Second)
	if l.Now == nil {
		l.Now = time.Now
	}
}

// signinLimiter counts failed password checks on the three keys. It lives
// in this process's memory, so the bound is per replica: behind a load
// balancer with R replicas an attacker gets up to R× the attempts (still
// slow against argon2id), and a restart forgets it (docs/scaling.md).
type signinLimiter struct {
	cfg SignInLimits
	// pairCap is how many attempts a pair keeps: past it the wait is
	// PairBackoffMax anyway.
	pairCap int

	mu                   sync.Mutex
	seq                  uint64
	pairs, accounts, ips attemptLog
	pruneAt              int       // sweep stale keys when the logs hold this many,
	pruned               time.Time // or a minute after the last sweep
}

// attemptLog is one kind of key → its recent attempts, oldest first.
type attemptLog map[string][]attempt

type attempt struct {
	at time.Time
	id uint64
}

func newSigninLimiter(cfg SignInLimits) *signinLimiter {
	cfg.defaults()
	steps := bits.Len64(uint64(cfg.PairBackoffMax / cfg.PairBackoff)) // doublings until the cap
	return &signinLimiter{cfg: cfg, pairCap: cfg.PairFree + steps + 1,
		pairs: attemptLog{}, accounts: attemptLog{}, ips: attemptLog{}, pruneAt: 4096}
}

// signinKeys names what one attempt counts against. account is "" when the
// attempt names no account (a guessed invite token): then only the IP key
// counts.
type signinKeys struct{ pair, account, ip string }

// accountKey is the limiter's name for the account an email signs in to:
// a fixed-size digest of the folded email (a request can't make the
// limiter hold a megabyte-long key).
func accountKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return string(sum[:16])
}

// ipKey groups client addresses as one client: an IPv4 address, or the
// /64 of an IPv6 address (what one subscriber gets).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func keysFor(account, ip string) signinKeys {
	k := signinKeys{ip: ipKey(ip)}
	if account != "" {
		k.account = account
		k.pair = account + "\x00" + k.ip
	}
	return k
}

// pairWait is how long after its last failure a pair with n failures
// waits: nothing below PairFree, then PairBackoff doubling per failure.
func (l *signinLimiter) pairWait(n int) time.Duration {
	c := &l.cfg
	if n < c.PairFree {
		return 0
	}
	shift := n - c.PairFree
	if shift >= 62 || c.PairBackoff<<shift > c.PairBackoffMax || c.PairBackoff<<shift <= 0 {
		return c.PairBackoffMax
	}
	return c.PairBackoff << shift
}

// live drops what no longer counts for key in log: attempts older than
// window (window > 0), or, for a pair (window == 0), all of them once the
// last is PairForget old. mu is held.
func (l *signinLimiter) live(log attemptLog, key string, window time.Duration, now time.Time) []attempt {
	h := log[key]
	if len(h) == 0 {
		return nil
	}
	if window == 0 {
		if now.Sub(h[len(h)-1].at) >= l.cfg.PairForget {
			h = nil
		}
	} else {
		i := 0
		for i < len(h) && now.Sub(h[i].at) >= window {
			i++
		}
		h = h[i:]
	}
	if len(h) == 0 {
		delete(log, key)
		return nil
	}
	log[key] = h
	return h
}

// limitError is the 429 of a sign-in limit.
func limitError(wait time.Duration, msg string) error {
	wait = max(wait, time.Second)
	return service.RateLimited(wait, "%s; try again in %s", msg, humanWait(wait))
}

// humanWait says a wait the way a person reads it: "1 second",
// "42 seconds", "3 minutes" (rounded up).
func humanWait(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	switch {
	case secs == 1:
		return "1 second"
	case secs < 120:
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}

// reserve counts one attempt as a failure on each of k's keys, unless a
// key is already over its bound: then nothing is counted and the error is
// the 429 that says which bound and for how long.
func (l *signinLimiter) reserve(k signinKeys) (*reservation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &l.cfg
	now := c.Now()
	l.maybePrune(now)
	var wait time.Duration
	var why string
	block := func(w time.Duration, msg string) {
		if w > wait {
			wait, why = w, msg
		}
	}
	if h := l.live(l.ips, k.ip, c.IPWindow, now); len(h) >= c.IPMax {
		block(h[len(h)-c.IPMax].at.Add(c.IPWindow).Sub(now), "too many failed sign-ins from your network address")
	}
	if k.account != "" {
		if h := l.live(l.accounts, k.account, c.AccountWindow, now); len(h) >= c.AccountMax {
			block(h[len(h)-c.AccountMax].at.Add(c.AccountWindow).Sub(now), "too many failed sign-ins for this account from many addresses")
		}
		if h := l.live(l.pairs, k.pair, 0, now); len(h) > 0 {
			if next := h[len(h)-1].at.Add(l.pairWait(len(h))); next.After(now) {
				block(next.Sub(now), "too many failed sign-ins for this account from your network address")
			}
		}
	}
	if wait > 0 {
		return nil, limitError(wait, why)
	}
	l.seq++
	a := attempt{at: now, id: l.seq}
	add := func(log attemptLog, key string, keep int) {
		h := append(log[key], a)
		if len(h) > keep {
			h = h[len(h)-keep:]
		}
		log[key] = h
	}
	add(l.ips, k.ip, c.IPMax)
	if k.account != "" {
		add(l.accounts, k.account, c.AccountMax)
		add(l.pairs, k.pair, l.pairCap)
	}
	return &reservation{l: l, keys: k, id: a.id}, nil
}

// maybePrune drops the keys nothing counts on any more, once the logs
// have doubled since the last sweep (so the cost is amortised O(1)) or a
// minute has passed. The logs hold at most twice the keys that still
// count. mu is held.
func (l *signinLimiter) maybePrune(now time.Time) {
	if len(l.ips)+len(l.accounts)+len(l.pairs) < l.pruneAt && now.Sub(l.pruned) < time.Minute {
		return
	}
	l.pruned = now
	for k := range l.ips {
		l.live(l.ips, k, l.cfg.IPWindow, now)
	}
	for k := range l.accounts {
		l.live(l.accounts, k, l.cfg.AccountWindow, now)
	}
	for k := range l.pairs {
		l.live(l.pairs, k, 0, now)
	}
	l.pruneAt = max(4096, 2*(len(l.ips)+len(l.accounts)+len(l.pairs)))
}

// keys reports how many keys the limiter holds (tests).
func (l *signinLimiter) keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ips) + len(l.accounts) + len(l.pairs)
}

// reservation is one attempt counted in advance as a failure.
type reservation struct {
	l    *signinLimiter
	keys signinKeys
	id   uint64
}

// succeeded: the password was right. The attempt is not a failure, and
// the pair starts afresh (the owner is back).
func (r *reservation) succeeded() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	r.l.drop(r.l.ips, r.keys.ip, r.id)
	if r.keys.account != "" {
		r.l.drop(r.l.accounts, r.keys.account, r.id)
		delete(r.l.pairs, r.keys.pair)
	}
}

// cancel: no password was checked (busy, refused for another reason, or
// an error of ours), so the attempt counts for nothing.
func (r *reservation) cancel() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	r.l.drop(r.l.ips, r.keys.ip, r.id)
	if r.keys.account != "" {
		r.l.drop(r.l.accounts, r.keys.account, r.id)
		r.l.drop(r.l.pairs, r.keys.pair, r.id)
	}
}

// drop removes attempt id from key's log; mu is held.
func (l *signinLimiter) drop(log attemptLog, key string, id uint64) {
	h := log[key]
	for i := range h {
		if h[i].id == id {
			h = append(h[:i:i], h[i+1:]...)
			break
		}
	}
	if len(h) == 0 {
		delete(log, key)
		return
	}
	log[key] = h
}

// passwordGate admits at most cap password checks at once; the others
// wait their turn up to wait (or until their request ends). Waiting holds
// no argon2 memory; the service's own semaphore (service.PasswordWork) is
// the hard bound for everything else in the process.
type passwordGate struct {
	slots chan struct{}
	wait  time.Duration
	// queued bounds how many may wait at once: past it, an attempt gets
	// its 429 at once rather than holding a goroutine for wait.
	queued chan struct{}
}

func newPasswordGate(n int, wait time.Duration) *passwordGate {
	return &passwordGate{slots: make(chan struct{}, n), queued: make(chan struct{}, 64*n), wait: wait}
}

// errPasswordBusy is the 429 of a full gate.
var errPasswordBusy = service.RateLimited(time.Second, "the server is busy checking other sign-ins; try again in a second")

// acquire takes a slot, waiting at most g.wait; release gives it back.
func (g *passwordGate) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case g.queued <- struct{}{}:
		defer func() { <-g.queued }()
	default:
		return nil, errPasswordBusy
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errPasswordBusy
	case <-ctx.Done(): // out of time, or the client left: never a 500
		return nil, errPasswordBusy
	}
}

// checkPassword runs check, which checks a password the client sent for
// account (an accountKey, "" when unknown), under the limiter and the
// gate. isFailure says which of check's errors are a wrong password (or a
// guessed token): those stay counted; any other error gives the slots
// back; success also clears the pair.
func (s *Sessions) checkPassword(r *http.Request, account string, check func() error, isFailure func(error) bool) error {
	rv, err := s.limiter.reserve(keysFor(account, httpx.ClientIP(r)))
	if err != nil {
		return err
	}
	release, err := s.gate.acquire(r.Context())
	if err != nil {
		rv.cancel()
		return err
	}
	counted := true // a panic in check leaves the attempt counted
	defer func() {
		release()
		if !counted {
			rv.cancel()
		}
	}()
	err = check()
	switch {
	case err == nil:
		rv.succeeded()
	case isFailure(err):
	default:
		counted = false
	}
	return err
}

func isBadCredentials(err error) bool { return errors.Is(err, service.ErrBadCredentials) }
