package sqlite

import (
	"context"
	"fmt"
	"io"
	"os"
)

// fileCheck is the readiness check of the database file at path, opened
// as fi: it must still be that file (not removed, moved away or replaced
// under the running server, which would keep writing to the old inode),
// and readable, with SQLite's header. The pool's open connections don't
// notice either, but every new connection, and the next start, would.
func fileCheck(path string, fi os.FileInfo) func(context.Context) error {
	return func(context.Context) error {
		now, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("store: database file %s: %w", path, err)
		}
		if !os.SameFile(fi, now) {
			return fmt.Errorf("store: database file %s was replaced since the server opened it: restart the server", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("store: database file %s is not readable: %w", path, err)
		}
		defer f.Close()
		var head [16]byte
		if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:]) != "SQLite format 3\x00" {
			return fmt.Errorf("store: database file %s is not readable as SQLite (%v)", path, err)
		}
		return nil
	}
}
