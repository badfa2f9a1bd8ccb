package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// fileCheck is the readiness check of the database file at path, opened
// as fi: it must still be that file (not removed, moved away or replaced
// under the running server, which would keep writing to the old inode),
// and readable, with SQLite's header. The pool's open connections don't
// notice either, but every new connection, and the next start, would.
// The messages name no path (GET /healthz/ready shows them to anyone);
// the wrapped cause does, for the log.
func fileCheck(path string, fi os.FileInfo) func(context.Context) error {
	return func(context.Context) error {
		now, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("store: the database file is missing or can't be read: %w", err)
		}
		if !os.SameFile(fi, now) {
			return fmt.Errorf("store: the database file was replaced since the server opened it; restart the server: %w",
				&os.PathError{Op: "check", Path: path, Err: errors.New("not the file the server opened")})
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("store: the database file can't be read: %w", err)
		}
		defer f.Close()
		var head [16]byte
		if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:]) != "SQLite format 3\x00" {
			return fmt.Errorf("store: the database file is not a SQLite database: %w", &os.PathError{Op: "check", Path: path, Err: fmt.Errorf("header %q, %v", head[:], err)})
		}
		return nil
	}
}
