package scimapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter is a token bucket (golang.org/x/time/rate) per key: a team,
// for one kind of request. It lives in memory, so with several replicas
// each enforces its own bucket: a team's effective limit is at most
// replicas × the configured rate (docs/scaling.md).
type rateLimiter struct {
	limit rate.Limit // tokens per second; <= 0 disables
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// newRateLimiter makes buckets of perSecond tokens per second, holding at
// most burst (0: twice the rate).
func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	if burst <= 0 {
		burst = int(math.Ceil(perSecond * 2))
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes one token for key. When none is left it reports how long
// until one will be, and takes nothing.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.limit <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}
