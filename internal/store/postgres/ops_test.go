package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

// TestACMECache: --acme-domain's cache in the database, shared by the
// replicas: a miss is ErrNotFound, Put replaces (also from another
// replica's pool), Delete of a missing key is fine.
func TestACMECache(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewSchemaURL(t)
	a, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ca, cb := a.ACMECache(), b.ACMECache()
	if _, err := ca.Get(ctx, "acme_account+key"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("miss: %v", err)
	}
	for i, v := range [][]byte{[]byte("first"), {0, 1, 2, 255}, {}} {
		put, get := ca, cb
		if i%2 == 1 {
			put, get = cb, ca
		}
		if err := put.Put(ctx, "roster.example.com", v); err != nil {
			t.Fatal(err)
		}
		got, err := get.Get(ctx, "roster.example.com")
		if err != nil || string(got) != string(v) {
			t.Fatalf("Get = %q, %v; want %q", got, err, v)
		}
	}
	if err := cb.Delete(ctx, "roster.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := ca.Delete(ctx, "roster.example.com"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	if _, err := ca.Get(ctx, "roster.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestCheckAndObserver: the readiness check passes on a migrated schema
// and names a missing migration; every transaction is observed once,
// with its outcome, and PostgreSQL has no group commit.
func TestCheckAndObserver(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	o := &observer{}
	s.SetObserver(o)
	for i := range 6 {
		_ = s.Tx(ctx, func(store.Tx) error {
			if i%3 == 0 {
				return errors.New("refused")
			}
			return nil
		})
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if o.txs != 6 || o.failed != 2 || o.batches != 0 {
		t.Fatalf("observed %+v", o)
	}
	if _, err := s.DB().ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "migrations not applied") {
		t.Fatalf("missing migration: %v", err)
	}
}

type observer struct {
	mu                   sync.Mutex
	txs, failed, batches int
}

func (o *observer) ObserveTx(_ time.Duration, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.txs++
	if failed {
		o.failed++
	}
}

func (o *observer) ObserveGroupCommit(int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.batches++
}
