package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestConcurrentWritesCommitApart: concurrent write transactions may share
// one database transaction (sqlstore/groupcommit.go), but each still
// succeeds or fails on its own: a failed one leaves nothing, the others
// are all kept, and a panic reaches its own caller.
func TestConcurrentWritesCommitApart(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateTeam(ctx, store.Team{ID: "t", Slug: "t", Name: "t", AdminEmail: "a@example.com", DefaultRole: "Developer", Created: at})
	}); err != nil {
		t.Fatal(err)
	}
	user := func(i int) store.User {
		return store.User{TeamID: "t", ID: fmt.Sprintf("u%02d", i), UserName: fmt.Sprintf("user%02d@example.com", i),
			Active: true, Source: "scim", Role: "Developer", Attrs: []byte(`{}`), Created: at, Modified: at, Version: 1}
	}
	const n = 40
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = s.Tx(ctx, func(tx store.Tx) error {
				if err := tx.CreateUser(ctx, user(i)); err != nil {
					return err
				}
				switch i % 5 {
				case 1:
					return errors.New("refused") // after its insert: rolled back
				case 2:
					// A uniqueness error fails the statement, not the batch.
					u := user(i)
					u.ID = u.ID + "-dup"
					return tx.CreateUser(ctx, u)
				case 3:
					if i == 3 {
						panic("boom")
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range n {
		_, err := s.User(ctx, "t", user(i).ID)
		kept := err == nil
		switch {
		case i == 3:
			if panics[i] == nil || kept {
				t.Errorf("tx %d: panic %v, kept %v", i, panics[i], kept)
			}
		case i%5 == 1 || i%5 == 2:
			if errs[i] == nil || kept {
				t.Errorf("tx %d: err %v, kept %v; want an error and nothing kept", i, errs[i], kept)
			}
		default:
			if errs[i] != nil || panics[i] != nil || !kept {
				t.Errorf("tx %d: err %v, panic %v, kept %v; want it committed", i, errs[i], panics[i], kept)
			}
		}
	}
	if _, total, _ := s.ListUsers(ctx, "t", store.Query{Page: store.Page{Limit: 0}}); total != n-2*n/5-1 {
		t.Errorf("total %d, want %d", total, n-2*n/5-1)
	}
	// A caller that gave up before its turn is not run.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Tx(cctx, func(tx store.Tx) error { return tx.CreateUser(ctx, user(99)) }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
