package sqlstore

// What operations need of the store (store.Observable, store.Checker):
// an observer of write transactions (the metrics; the store imports no
// metrics library) and a readiness check (GET /healthz/ready).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

type observerBox struct{ o store.Observer }

// SetObserver makes o hear of every write transaction from now on; nil
// stops it.
func (s *Store) SetObserver(o store.Observer) {
	if o == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&observerBox{o})
}

func (s *Store) obs() store.Observer {
	if b := s.observer.Load(); b != nil {
		return b.o
	}
	return nil
}

// AddCheck adds a backend's own readiness check to Check (the SQLite
// backend checks its database file is still the one it opened).
func (s *Store) AddCheck(check func(context.Context) error) {
	s.checks = append(s.checks, check)
}

// Check says whether the store can serve, within ctx's deadline: the
// database answers a read, every migration this binary knows is applied,
// the write path (the group commit's goroutine on SQLite) commits an empty
// transaction, and each backend check passes. It returns the first
// problem; the error names it for an operator.
func (s *Store) Check(ctx context.Context) error {
	for _, c := range s.checks {
		if err := c(ctx); err != nil {
			return err
		}
	}
	if err := s.checkMigrations(ctx); err != nil {
		return err
	}
	// An empty write transaction, through the same path as every write
	// (not counted by the observer: it is not the application's).
	if err := s.tx(ctx, func(store.Tx) error { return nil }); err != nil {
		return fmt.Errorf("store: a write transaction failed: %w", err)
	}
	return nil
}

// checkMigrations reads the applied versions and compares them with the
// embedded ones. Versions the database has and this binary doesn't (a
// newer replica migrated it) are fine.
func (s *Store) checkMigrations(ctx context.Context) error {
	migs, err := loadMigrations(s.d.Name)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: not answering: %w", err)
	}
	defer rows.Close()
	var have []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("store: not answering: %w", err)
		}
		have = append(have, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: not answering: %w", err)
	}
	var missing []string
	for _, m := range migs {
		if !slices.Contains(have, m.version) {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return errors.New("store: migrations not applied: " + strings.Join(missing, ", ") + " (run roster migrate)")
	}
	return nil
}
