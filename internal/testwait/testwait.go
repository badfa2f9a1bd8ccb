// Package testwait waits in tests for something that happens on another
// goroutine or process: it polls an observable condition until it holds,
// and fails the test at a deadline. Never a fixed sleep standing in for
// the event.
package testwait

import (
	"testing"
	"time"
)

// Until polls cond every few milliseconds until it holds; after within,
// it fails the test, naming what it waited for.
func Until(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
