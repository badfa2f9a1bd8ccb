// Package sqlite opens Roster's embedded store: one SQLite file in the data
// directory, in WAL mode. This is the only file that knows the driver.
package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// FileName is the database file inside --data-dir.
const FileName = "roster.db"

// Dialect is SQLite's flavour of the shared SQL.
var Dialect = sqlstore.Dialect{
	Name: "sqlite",
	IsUniqueViolation: func(err error) bool {
		return errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
	},
	Contains: func(h, n string) string { return "instr(" + h + ", " + n + ") > 0" },
	JSONValue: func(col string, path []string) string {
		return "json_extract(" + col + ", " + jsonPath(path) + ")"
	},
	JSONEach: func(col string, path []string, alias string) (string, func([]string) string) {
		return "json_each(" + col + ", " + jsonPath(path) + ") AS " + alias, func(p []string) string {
			if len(p) == 0 {
				return alias + ".value"
			}
			return "json_extract(" + alias + ".value, " + jsonPath(p) + ")"
		}
	},
	// json_extract gives JSON true and false as the integers 1 and 0.
	JSONBoolIs: func(expr string, b bool) string {
		if b {
			return "(" + expr + " = 1)"
		}
		return "(" + expr + " = 0)"
	},
	JSONNumber:      func(expr string) string { return expr },
	UnindexedOrder:  func(col string) string { return "+" + col },
	CacheStatements: true,
	SerializeWrites: true,
	TeamUserStats:   true,
	OpaqueLimit:     true,
	Checkpoint:      "PRAGMA wal_checkpoint(PASSIVE)",
	CheckpointEvery: 250 * time.Millisecond,
	// 16,384 frames of 4 KiB: a 64 MiB WAL.
	CheckpointReset:       "PRAGMA wal_checkpoint(TRUNCATE)",
	CheckpointResetFrames: 16384,
}

// jsonPath quotes each key, so URNs with colons and dots stay one key.
// Keys come from schema definitions, never from a request; quotes are
// stripped all the same so no key can end the literal.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("'$")
	for _, k := range keys {
		k = strings.NewReplacer(`"`, "", `'`, "", `\`, "").Replace(k)
		b.WriteString(`."` + k + `"`)
	}
	b.WriteString("'")
	return b.String()
}

// Open opens (creating if needed) the store in dataDir and migrates it.
//
// WAL lets readers run beside the one writer; synchronous=NORMAL in WAL
// mode is durable across process crashes. The driver starts every write
// transaction with BEGIN IMMEDIATE, so writers queue on the busy timeout
// instead of failing with SQLITE_BUSY when they upgrade a read lock
// (go-stack.md §2.1).
func Open(ctx context.Context, dataDir string) (*sqlstore.Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, FileName)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "synchronous(normal)")
	// Checkpoints run in the background, off the commit path
	// (Dialect.Checkpoint); the WAL file is trimmed back after a reset.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_pragma", "foreign_keys(on)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	// Every connection gets Roster's SQL functions (fold.go).
	db, err := driver.Open(dsn, registerFold)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := sqlstore.New(db, Dialect)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		s.AddCheck(fileCheck(path, fi)) // check.go
	}
	return s, nil
}
