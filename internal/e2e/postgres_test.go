package e2e

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// The end-to-end suite runs twice: on SQLite, then on PostgreSQL when
// ROSTER_TEST_POSTGRES_URL is set (each test server in a schema of its
// own). Without the variable the PostgreSQL pass is skipped with a message
// naming it; under CI=true that fails the run instead.

var (
	onPostgres   bool        // the second pass
	openedStores atomic.Bool // the harness opened stores through openStore
)

// openStore opens the store of one test server: SQLite in dir, or a fresh
// PostgreSQL schema in the PostgreSQL pass.
func openStore(t *testing.T, dir string) (store.Store, error) {
	openedStores.Store(true)
	if onPostgres {
		return postgres.Open(context.Background(), pgtest.NewSchemaURL(t))
	}
	return sqlite.Open(context.Background(), dir)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || !openedStores.Load() {
		os.Exit(code)
	}
	os.Exit(pgtest.SecondPass(m, "e2e", func() { onPostgres = true }))
}
