package e2e

import (
	"context"
	"fmt"
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
	if os.Getenv(pgtest.EnvURL) == "" {
		if os.Getenv("CI") == "true" {
			fmt.Printf("FAIL: e2e PostgreSQL pass: %s is not set, and CI=true (.ci/run sets it)\n", pgtest.EnvURL)
			os.Exit(1)
		}
		fmt.Printf("e2e: PostgreSQL pass skipped: set %s (e.g. postgres://root@127.0.0.1:5432/test?sslmode=disable) to run it\n", pgtest.EnvURL)
		os.Exit(0)
	}
	fmt.Println("e2e: PostgreSQL pass")
	onPostgres = true
	os.Exit(m.Run())
}
