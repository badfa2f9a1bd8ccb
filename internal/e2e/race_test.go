//go:build race

package e2e

// raceEnabled: the race detector slows the pure-Go SQLite by ~50x, so the
// scale tests shrink under it; run them without -race for full size.
const raceEnabled = true
