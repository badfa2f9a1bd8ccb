// Package pgtest gives tests their own PostgreSQL schema.
//
// Tests that need PostgreSQL call NewSchemaURL. It reads
// ROSTER_TEST_POSTGRES_URL (e.g.
// postgres://root@127.0.0.1:5432/test?sslmode=disable):
//   - unset: the test is skipped, with a message naming the variable;
//     except under CI=true, where a skipped PostgreSQL suite would hide a
//     broken setup, so the test fails instead;
//   - set: a fresh schema is created, the returned URL selects it through
//     the search_path run-time parameter, and the schema is dropped when
//     the test ends. If the server can't be reached the test fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres"
)

// EnvURL is the variable naming the test server.
const EnvURL = "ROSTER_TEST_POSTGRES_URL"

// BaseURL returns ROSTER_TEST_POSTGRES_URL, skipping the test when it is
// unset (failing under CI=true).
func BaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI=true: the PostgreSQL suites must run in CI (.ci/run sets it)", EnvURL)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://root@127.0.0.1:5432/test?sslmode=disable) to run them", EnvURL)
	}
	return base
}

// NewSchemaURL creates an empty schema for this test and returns a URL
// whose connections use it. The schema is dropped in t.Cleanup.
func NewSchemaURL(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "roster_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := postgres.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, base, schema)
}

// WithSearchPath returns base with its search_path set to schema.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", EnvURL, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema // key=value form
}
