package sqlite

// Online backup and restore of the embedded store (roster backup,
// roster restore, serve --backup-dir). A backup is VACUUM INTO from a
// read-only connection of its own: one read transaction, so the copy is
// the database as of one instant, every commit before it included, while
// the server goes on writing (WAL readers don't block the writer). The
// copy is written beside its destination under a temporary name, checked
// (integrity and foreign keys), synced, and only then renamed into place:
// a file with the final name is always a whole, checked backup.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BackupInfo describes a checked backup file.
type BackupInfo struct {
	Path       string
	Bytes      int64
	Migrations int // schema_migrations rows: the schema version it holds
	Teams      int
	Users      int
	Took       time.Duration
}

// roDSN is a read-only connection to the SQLite file at path. immutable
// is for files no one else writes (a backup being checked): no locks,
// no -wal or -shm files beside it.
func roDSN(path string, immutable bool) string {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Backup writes a consistent copy of the store in dataDir to out, which
// must not exist, while a server may be running on dataDir and writing.
// The copy is checked before it gets its name; a failed backup leaves
// nothing at out.
func Backup(ctx context.Context, dataDir, out string) (BackupInfo, error) {
	start := time.Now()
	src := filepath.Join(dataDir, FileName)
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("no store to back up in %s: %w", dataDir, err)
	}
	if _, err := os.Lstat(out); err == nil {
		return BackupInfo{}, fmt.Errorf("%s exists: a backup never overwrites a file", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, err
	}
	dir := filepath.Dir(out)
	tmpf, err := os.CreateTemp(dir, "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	tmp := tmpf.Name()
	tmpf.Close()
	os.Remove(tmp) // VACUUM INTO wants to create the file itself
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()

	db, err := sql.Open("sqlite3", roDSN(src, false))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("backup of %s: %w", src, err)
	}
	db.Close()
	info, err := Verify(ctx, tmp)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("the backup failed its check: %w", err)
	}
	// A backup holds what the store holds (password hashes, personal
	// data): readable by its owner only, like the data dir.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return BackupInfo{}, err
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	// Link, not rename: it fails if out appeared meanwhile, never
	// replacing it.
	if err := os.Link(tmp, out); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	os.Remove(tmp)
	ok = true
	syncDir(dir)
	info.Path, info.Took = out, time.Since(start)
	return info, nil
}

// Verify checks that path is a whole Roster store: SQLite's integrity
// check and foreign key check pass, and it has Roster's schema.
func Verify(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	var head [16]byte
	f, err := os.Open(path)
	if err != nil {
		return BackupInfo{}, err
	}
	_, err = io.ReadFull(f, head[:])
	f.Close()
	if err != nil || string(head[:]) != "SQLite format 3\x00" {
		return BackupInfo{}, fmt.Errorf("%s is not a SQLite database", path)
	}
	db, err := sql.Open("sqlite3", roDSN(path, true))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return BackupInfo{}, err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return BackupInfo{}, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	if len(problems) > 0 {
		return BackupInfo{}, fmt.Errorf("%s fails SQLite's integrity check: %s", path, strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	rows, err = db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%s: foreign key check: %w", path, err)
	}
	fk := rows.Next()
	rows.Close()
	if fk {
		return BackupInfo{}, fmt.Errorf("%s fails SQLite's foreign key check", path)
	}
	info := BackupInfo{Path: path, Bytes: st.Size()}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&info.Migrations); err != nil || info.Migrations == 0 {
		return BackupInfo{}, fmt.Errorf("%s is not a Roster store (no schema_migrations)", path)
	}
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM teams), (SELECT count(*) FROM users)").Scan(&info.Teams, &info.Users); err != nil {
		return BackupInfo{}, fmt.Errorf("%s is not a Roster store: %w", path, err)
	}
	return info, nil
}

// Restore makes dataDir, which must be missing or empty, a store holding
// the backup in: checked first, copied under a temporary name, synced,
// renamed to the store's file name, then opened (which applies the
// migrations a backup from an older version lacks) and checked again.
func Restore(ctx context.Context, in, dataDir string) (BackupInfo, error) {
	start := time.Now()
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return BackupInfo{}, fmt.Errorf("%s is not empty: restore only into a new or empty data dir (then point roster serve at it)", dataDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, err
	}
	if _, err := Verify(ctx, in); err != nil {
		return BackupInfo{}, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return BackupInfo{}, fmt.Errorf("create data dir: %w", err)
	}
	dst := filepath.Join(dataDir, FileName)
	tmp := dst + ".restoring"
	if err := copyFile(in, tmp); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	syncDir(dataDir)
	s, err := Open(ctx, dataDir)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restored %s, but it does not open: %w", dst, err)
	}
	err = s.Check(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restored %s, but it fails its check: %w", dst, err)
	}
	info, err := verifyLive(ctx, dst)
	if err != nil {
		return BackupInfo{}, err
	}
	info.Took = time.Since(start)
	return info, nil
}

// verifyLive is Verify of a store's own file (not immutable: it may have
// a WAL beside it).
func verifyLive(ctx context.Context, path string) (BackupInfo, error) {
	db, err := sql.Open("sqlite3", roDSN(path, false))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil || res != "ok" {
		return BackupInfo{}, fmt.Errorf("%s fails SQLite's check: %q %v", path, res, err)
	}
	info := BackupInfo{Path: path}
	if st, err := os.Stat(path); err == nil {
		info.Bytes = st.Size()
	}
	err = db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM teams), (SELECT count(*) FROM users)").
		Scan(&info.Migrations, &info.Teams, &info.Users)
	return info, err
}

// Checkpoint copies the WAL into the database file and truncates it, so
// the file alone holds everything (serve calls it on shutdown, after the
// last write).
func Checkpoint(ctx context.Context, db *sql.DB) error {
	var busy, frames, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpoint: the database was busy; the WAL is kept and applied at the next start")
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename or link in dir durable (best effort: not every
// file system syncs directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
