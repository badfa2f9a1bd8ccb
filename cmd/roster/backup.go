package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/store/sqlite"
)

// backupCmd is `roster backup --data-dir D --out FILE`: a consistent copy
// of the SQLite store, taken while a server runs on it and writes
// (sqlite.Backup: VACUUM INTO, then SQLite's integrity and foreign key
// checks on the copy). PostgreSQL has its own tools.
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	out := fs.String("out", "", "the backup file to write; it must not exist")
	asJSON := fs.Bool("json", false, "print JSON: path, bytes, teams, users, migrations, took_ms")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("out", *out); err != nil {
		return err
	}
	if sf.databaseURL != "" {
		return errors.New("backup copies the embedded SQLite store; for PostgreSQL use pg_dump, or continuous archiving for point-in-time recovery (docs/operations.md)")
	}
	if err := sf.checkExists(ctx); err != nil {
		return err
	}
	info, err := sqlite.Backup(ctx, sf.dataDir, *out)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, backupJSON(info))
	}
	fmt.Fprintf(stdout, "Backed up %s to %s: %d bytes, %d teams, %d members, schema version %d; checked (integrity, foreign keys) in %d ms.\nRestore it with: roster restore --in %s --data-dir NEW-DIR\n",
		sf.dataDir, info.Path, info.Bytes, info.Teams, info.Users, info.Migrations, info.Took.Milliseconds(), shellQuote(info.Path))
	return nil
}

// restoreCmd is `roster restore --in FILE --data-dir NEW`: the backup,
// checked, becomes the store of a new (or empty) data dir.
func restoreCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	in := fs.String("in", "", "the backup file (from roster backup or serve --backup-dir)")
	asJSON := fs.Bool("json", false, "print JSON: path, bytes, teams, users, migrations, took_ms")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("in", *in); err != nil {
		return err
	}
	if sf.databaseURL != "" {
		return errors.New("restore makes an embedded SQLite store; for PostgreSQL use pg_restore, or roster import of a roster export (docs/operations.md)")
	}
	info, err := sqlite.Restore(ctx, *in, sf.dataDir)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, backupJSON(info))
	}
	fmt.Fprintf(stdout, "Restored %s into %s: %d teams, %d members, schema version %d; checked.\nServe it with: roster serve --data-dir %s\n",
		*in, sf.dataDir, info.Teams, info.Users, info.Migrations, shellQuote(sf.dataDir))
	return nil
}

func backupJSON(info sqlite.BackupInfo) map[string]any {
	return map[string]any{"path": info.Path, "bytes": info.Bytes, "teams": info.Teams, "users": info.Users,
		"migrations": info.Migrations, "took_ms": info.Took.Milliseconds()}
}
