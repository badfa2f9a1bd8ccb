// Package postgres opens Roster's shared store: a PostgreSQL database that
// any number of stateless `roster serve` replicas use at once. It runs the
// same SQL as the embedded SQLite store (package sqlstore); this package
// holds only what differs, and is the only one that knows the driver
// (github.com/jackc/pgx/v5 through database/sql).
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// SQLSTATE codes the store reacts to.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001" // CockroachDB and YugabyteDB raise it routinely
	deadlockDetected     = "40P01"
)

// migrationLockKey is the first half of the advisory lock migrations take;
// the second is a hash of the schema, so stores in different schemas of one
// database (the tests) don't wait for each other.
const migrationLockKey = 0x526f73 // "Ros"

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Dialect is PostgreSQL's flavour of the shared SQL.
//
// attrs is a TEXT column holding JSON (returned byte for byte as written);
// filters on stored attributes cast it with ::jsonb. Extracted values get
// the "C" collation, like every text column in the schema, so comparisons
// and sorting are by byte as on SQLite, and lower() folds ASCII only, as
// SQLite's does.
var Dialect = sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	IsUniqueViolation: func(err error) bool {
		return sqlState(err) == uniqueViolation
	},
	Contains: func(h, n string) string { return "strpos(" + h + ", " + n + ") > 0" },
	JSONValue: func(col string, path []string) string {
		return "((" + col + ")::jsonb #>> " + textArray(path) + `) COLLATE "C"`
	},
	// jsonb_path_query in lax mode lists an array's elements, treats a
	// lone scalar as a one-element array, and yields nothing (no error)
	// when the path is absent: json_each's behaviour on SQLite.
	JSONEach: func(col string, path []string, alias string) (string, func([]string) string) {
		from := "jsonb_path_query((" + col + ")::jsonb, " + jsonPath(path) + ") AS " + alias + "(value)"
		return from, func(p []string) string {
			return "(" + alias + ".value #>> " + textArray(p) + `) COLLATE "C"`
		}
	},
	// #>> gives JSON booleans as the text 'true' and 'false'. An absent
	// value is not true (rather than unknown), so that ORDER BY … DESC,
	// which puts NULLs first on PostgreSQL, still puts primary first.
	JSONBoolIs: func(expr string, b bool) string {
		if b {
			return "coalesce(" + expr + " = 'true', false)"
		}
		return "(" + expr + " = 'false')"
	},
	// Cast only what is a JSON number, so one malformed value can't fail
	// the whole query; anything else compares as NULL (no match). The
	// pattern avoids "?", though rebinding skips '…' literals anyway.
	JSONNumber: func(expr string) string {
		return "(CASE WHEN " + expr + ` ~ '^-{0,1}[0-9]+(\.[0-9]+){0,1}([eE][-+]{0,1}[0-9]+){0,1}$' THEN (` + expr + ")::numeric END)"
	},
	// A read-modify-write (PUT, PATCH) locks its row as it reads it, so
	// concurrent writers to one resource on any replica take turns rather
	// than race to the version check; the check in the UPDATE stays.
	RowLock:     " FOR UPDATE",
	WritableCTE: true,
	// Transaction-scoped, so it is released at commit or rollback and holds
	// no session state (safe behind PgBouncer in transaction mode).
	MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(coalesce(current_schema(), '')))", migrationLockKey),
	Retryable: func(err error) bool {
		switch sqlState(err) {
		case serializationFailure, deadlockDetected:
			return true
		}
		return false
	},
}

// cleanKey strips what could end a quoted key or the SQL literal around
// it. Keys come from schema definitions, never from a request.
func cleanKey(k string) string {
	return strings.NewReplacer(`"`, "", `'`, "", `\`, "").Replace(k)
}

// textArray is a text[] literal of the keys, each quoted, so URNs with
// colons and dots stay one key: '{"a","b"}'.
func textArray(keys []string) string {
	var b strings.Builder
	b.WriteString("'{")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + cleanKey(k) + `"`)
	}
	b.WriteString("}'")
	return b.String()
}

// jsonPath is the SQL/JSON path of the array at keys, element by element:
// '$."a"."b"[*]'.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("'$")
	for _, k := range keys {
		b.WriteString(`."` + cleanKey(k) + `"`)
	}
	b.WriteString("[*]'")
	return b.String()
}

// Connect opens a connection pool on url (postgres://… or key=value) and
// checks that the server answers. It does not migrate.
//
// Behind PgBouncer in transaction mode, add
// default_query_exec_mode=simple_protocol (or exec) to the URL unless
// PgBouncer tracks prepared statements (max_prepared_statements > 0).
func Connect(ctx context.Context, url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", redact(cfg), err)
	}
	return db, nil
}

// redact names the server and database, never the password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres %s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Open connects to the database at url, and migrates it. Replicas may call
// it at the same time: migrations take turns on an advisory lock.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	db, err := Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	s := sqlstore.New(db, Dialect)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return s, nil
}
