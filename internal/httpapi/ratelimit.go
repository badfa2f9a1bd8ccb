package httpapi

import (
	"math"
	"sync"
	"time"
)

// rateLimiter is a token bucket per key (a team and a kind of request).
// It lives in memory, so with several replicas each enforces its own
// bucket: a team's effective limit is at most replicas × the configured
// rate. That bound is documented in docs/scaling.md.
type rateLimiter struct {
	rate  float64 // tokens per second; 0 disables
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	if burst <= 0 {
		burst = int(math.Ceil(rate * 2))
	}
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes one token for key. When none is left it reports how long
// until one will be.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}
