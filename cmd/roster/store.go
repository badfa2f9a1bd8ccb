package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// storeFlags are the flags of every command that opens the store.
type storeFlags struct {
	dataDir     string
	databaseURL string
	// create: the command may create the store when there is none
	// (serve, team create, migrate, import). Every other command refuses
	// a store that doesn't exist and creates nothing: a mistyped
	// --data-dir must not look like a store whose data is gone.
	create bool
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "./roster-data", "directory of the embedded store (env ROSTER_DATA_DIR)")
	fs.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL, postgres://…; used instead of --data-dir when given (env ROSTER_DATABASE_URL)")
}

// open opens PostgreSQL when a database URL is given, else the embedded
// store in the data dir; unless the command may create it, only a store
// that exists (checkExists).
func (f *storeFlags) open(ctx context.Context) (store.Store, error) {
	if !f.create {
		if err := f.checkExists(ctx); err != nil {
			return nil, err
		}
	}
	if f.databaseURL != "" {
		return postgres.Open(ctx, f.databaseURL)
	}
	return sqlite.Open(ctx, f.dataDir)
}

// checkExists refuses a store that doesn't exist, naming where it looked:
// the data dir without its database file, or a PostgreSQL database
// without Roster's tables (schema_migrations, in its search path). It
// creates nothing: no directory, no file, no table.
func (f *storeFlags) checkExists(ctx context.Context) error {
	if f.databaseURL != "" {
		db, err := postgres.Connect(ctx, f.databaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return fmt.Errorf("look for Roster's tables in %s: %w", redactURL(f.databaseURL), err)
		}
		if !exists {
			return fmt.Errorf(`no Roster store in the PostgreSQL database %s (no schema_migrations table in its search path): check --database-url (or ROSTER_DATABASE_URL), or create the store with "roster migrate --database-url …", or move one in with "roster import"`,
				redactURL(f.databaseURL))
		}
		return nil
	}
	path := filepath.Join(f.dataDir, sqlite.FileName)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission) && !dirExists(f.dataDir):
		return fmt.Errorf(`no Roster store in --data-dir %s (there is no %s): check --data-dir (or ROSTER_DATA_DIR), or create a store with "roster team create %s --name NAME --admin-email EMAIL"`,
			f.dataDir, path, f.cliFlag())
	case err != nil:
		return fmt.Errorf("open the store in --data-dir %s: %w", f.dataDir, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("no Roster store in --data-dir %s: %s is not a database file", f.dataDir, path)
	}
	return nil
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// where names the store for people: the data dir, or "PostgreSQL".
func (f *storeFlags) where() string {
	if f.databaseURL != "" {
		return "PostgreSQL"
	}
	return f.dataDir
}

// cliFlag is the store flag to repeat in a suggested command, so it acts
// on the same store. The database URL may hold a password (in the URL,
// its query, or a key=value DSN), so it is never printed: the suggestion
// reads it from ROSTER_DATABASE_URL.
func (f *storeFlags) cliFlag() string {
	if f.databaseURL != "" {
		return `--database-url "$ROSTER_DATABASE_URL"`
	}
	return "--data-dir " + shellQuote(f.dataDir)
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// redactURL is a PostgreSQL URL (or key=value DSN) fit to print: without
// its password.
func redactURL(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if _, set := u.User.Password(); set {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
