package sqlstore

import (
	"testing"
	"time"
)

// TestFormatTimeOrders: stored times are text, so every formatted bound
// must sort as its instant does, even one outside years 0000–9999 (a
// since/until from a query string).
func TestFormatTimeOrders(t *testing.T) {
	times := []time.Time{
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 10, 0, 0, 1, time.FixedZone("x", -3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("y", -3600)), // year 10000 in UTC
		time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := formatTime(times[i-1]), formatTime(times[i])
		if len(a) != len(timeLayout) || len(b) != len(timeLayout) || a > b {
			t.Errorf("%v → %q, %v → %q: out of order", times[i-1], a, times[i], b)
		}
	}
	if got := parseTime(formatTime(times[2])); !got.Equal(times[2]) {
		t.Errorf("round trip %v → %v", times[2], got)
	}
}
