package store

import (
	"context"
	"time"
)

// What operations ask of a backend beyond the contract: optional
// capabilities, found by type assertion (the SQL backends have both).

// Observer hears how write transactions go (the metrics implement it;
// the store imports no metrics library).
type Observer interface {
	// ObserveTx: a write transaction took d, from Tx's call (queueing for
	// the writer included) to its commit or rollback; failed says Tx
	// returned an error.
	ObserveTx(d time.Duration, failed bool)
	// ObserveGroupCommit: one commit carried n transactions (SQLite's
	// group commit).
	ObserveGroupCommit(n int)
}

// Observable is a store that reports its write transactions.
type Observable interface {
	// SetObserver makes o hear of every write transaction from now on;
	// nil stops it.
	SetObserver(o Observer)
}

// Checker is a store that can say whether it is fit to serve (the
// readiness check of GET /healthz/ready).
type Checker interface {
	// Check returns nil when the store answers within ctx's deadline,
	// its migrations are current and a write commits; else the problem.
	Check(ctx context.Context) error
}
