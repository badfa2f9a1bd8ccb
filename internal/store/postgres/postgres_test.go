package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// The storage conformance suite, on PostgreSQL: each test in its own schema.
func TestConformance(t *testing.T) {
	pgtest.BaseURL(t) // skip (or fail in CI) once, not per subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.NewSchemaURL(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Replicas starting together on a fresh schema: every Open succeeds, and
// each migration is applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	u := pgtest.NewSchemaURL(t)
	ctx := context.Background()
	const n = 6
	stores := make([]*struct {
		s   interface{ Close() error }
		err error
	}, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		stores[i] = &struct {
			s   interface{ Close() error }
			err error
		}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := postgres.Open(ctx, u)
			stores[i].err = err
			if err == nil {
				stores[i].s = s
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range stores {
		if r.err != nil {
			t.Errorf("replica %d: %v", i, r.err)
			continue
		}
		defer r.s.Close()
	}
	if t.Failed() {
		return
	}
	s, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rows, distinct int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct {
		t.Fatalf("schema_migrations: %d rows for %d versions", rows, distinct)
	}
	// The tables live in the test's schema, not in public.
	var schema string
	if err := s.DB().QueryRowContext(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'users' AND table_schema = current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(schema, "roster_test_") {
		t.Fatalf("users table in schema %q", schema)
	}
	// The migration lock is transaction-scoped: nothing is left held.
	var held int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()").Scan(&held); err != nil || held != 0 {
		t.Fatalf("advisory locks held after Open: %d, %v", held, err)
	}
}

// Schemas isolate tests: a team created in one is invisible in another.
func TestSchemasIsolate(t *testing.T) {
	ctx := context.Background()
	a, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Tx(ctx, func(tx store.Tx) error {
		return tx.CreateTeam(ctx, store.Team{ID: "t1", Slug: "acme", Name: "Acme", AdminEmail: "a@acme.example", DefaultRole: "Developer"})
	}); err != nil {
		t.Fatal(err)
	}
	if teams, err := b.ListTeams(ctx); err != nil || len(teams) != 0 {
		t.Fatalf("other schema sees %d teams, %v", len(teams), err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("no error for an unreachable server")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error shows the password: %v", err)
	}
}

func TestDialectSQL(t *testing.T) {
	d := postgres.Dialect
	got := d.JSONValue("u.attrs", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", `emp"loyee'Number`})
	want := `((u.attrs)::jsonb #>> '{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","employeeNumber"}') COLLATE "C"`
	if got != want {
		t.Errorf("JSONValue:\n got %s\nwant %s", got, want)
	}
	from, elem := d.JSONEach("u.attrs", []string{"phoneNumbers"}, "j")
	if want := `jsonb_path_query((u.attrs)::jsonb, '$."phoneNumbers"[*]') AS j(value)`; from != want {
		t.Errorf("JSONEach from:\n got %s\nwant %s", from, want)
	}
	if got, want := elem([]string{"value"}), `(j.value #>> '{"value"}') COLLATE "C"`; got != want {
		t.Errorf("JSONEach elem: got %s, want %s", got, want)
	}
	if got, want := elem(nil), `(j.value #>> '{}') COLLATE "C"`; got != want {
		t.Errorf("JSONEach elem(nil): got %s, want %s", got, want)
	}
}

// LockTeam takes the team's row for the rest of the transaction: another
// transaction's lock of it waits (here: gives up at its lock_timeout)
// while plain reads of the team go on. The conformance suite's
// concurrent test can't tell a missing lock from lucky scheduling; this
// one can.
func TestLockTeamHoldsTheRow(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	team := store.Team{ID: "team-1", Slug: "acme", Name: "Acme"}
	if err := s.Tx(ctx, func(tx store.Tx) error { return tx.CreateTeam(ctx, team) }); err != nil {
		t.Fatal(err)
	}
	try := func(query string) error {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '200ms'"); err != nil {
			return err
		}
		var id string
		return tx.QueryRowContext(ctx, query, team.ID).Scan(&id)
	}
	err = s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.LockTeam(ctx, team.ID); err != nil {
			return err
		}
		if err := try("SELECT id FROM teams WHERE id = $1"); err != nil {
			t.Errorf("a plain read of the locked team: %v", err)
		}
		if err := try("SELECT id FROM teams WHERE id = $1 FOR UPDATE"); err == nil || !strings.Contains(err.Error(), "55P03") {
			t.Errorf("another lock of the team while LockTeam holds it: %v, want a lock timeout (55P03)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := try("SELECT id FROM teams WHERE id = $1 FOR UPDATE"); err != nil {
		t.Fatalf("the lock outlived its transaction: %v", err)
	}
}
