package scimapi

import (
	"testing"
	"time"
)

func TestRateLimiterBucket(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(2, 3, func() time.Time { return now }) // 2/s, burst 3
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("team"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.allow("team")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := l.allow("other-team"); !ok {
		t.Fatal("one team's limit throttled another team")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("team"); !ok {
		t.Fatal("a token did not refill after 500ms")
	}
	now = now.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("team"); !ok {
			t.Fatal("bucket did not refill to its burst")
		}
	}
	if ok, _ := l.allow("team"); ok {
		t.Fatal("bucket refilled beyond its burst")
	}
	if ok, _ := newRateLimiter(-1, 0, time.Now).allow("x"); !ok {
		t.Fatal("a negative rate must disable the limit")
	}
}
