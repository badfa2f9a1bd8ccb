package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func open(t *testing.T, dir string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addTeam(t *testing.T, s store.Store, slug string) store.Team {
	t.Helper()
	tm := store.Team{ID: "team-" + slug, Slug: slug, Name: slug, AdminEmail: "a@" + slug + ".example", DefaultRole: "Developer", Created: time.Now()}
	if err := s.Tx(context.Background(), func(tx store.Tx) error { return tx.CreateTeam(context.Background(), tm) }); err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestBackupAndRestore: a backup of a live store is a checked, private
// file; restoring it gives a store with the same data; neither command
// overwrites anything.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	s := open(t, src)
	addTeam(t, s, "acme")
	addTeam(t, s, "globex")

	out := filepath.Join(t.TempDir(), "roster.backup")
	info, err := sqlite.Backup(ctx, src, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Teams != 2 || info.Migrations == 0 || info.Bytes == 0 || info.Path != out {
		t.Fatalf("backup info %+v", info)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v", st, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*partial*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A backup never overwrites.
	if _, err := sqlite.Backup(ctx, src, out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}

	dst := filepath.Join(t.TempDir(), "new")
	rinfo, err := sqlite.Restore(ctx, out, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rinfo.Teams != 2 {
		t.Fatalf("restore info %+v", rinfo)
	}
	r := open(t, dst)
	if tm, err := r.TeamBySlug(ctx, "globex"); err != nil || tm.ID != "team-globex" {
		t.Fatalf("restored team: %+v, %v", tm, err)
	}
	if err := r.Check(ctx); err != nil {
		t.Fatalf("restored store not ready: %v", err)
	}
	// Restore refuses a data dir that holds anything, and changes nothing in it.
	if _, err := sqlite.Restore(ctx, out, src); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a used data dir: %v", err)
	}
	if tm, err := s.TeamBySlug(ctx, "acme"); err != nil || tm.ID != "team-acme" {
		t.Fatalf("refused restore touched the store: %v", err)
	}
}

// TestRestoreRefusesWhatIsNotABackup: a file that isn't a Roster store,
// or is damaged, is refused before anything is created.
func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("not a database at all, just some bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "new")
	if _, err := sqlite.Restore(ctx, junk, dst); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("restore of junk: %v", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused restore created the data dir: %v", err)
	}
	// A SQLite file that isn't Roster's.
	other := filepath.Join(dir, "other")
	s := open(t, filepath.Join(dir, "src"))
	if _, err := s.DB().ExecContext(ctx, "VACUUM INTO ?", other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "nomigrations")
	if _, err := s.DB().ExecContext(ctx, "VACUUM INTO ?", bad); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Restore(ctx, bad, dst); err == nil || !strings.Contains(err.Error(), "not a Roster store") {
		t.Fatalf("restore of a foreign SQLite file: %v", err)
	}
	// A damaged backup: a page in the middle overwritten.
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096 * 3; i < 4096*4 && i < len(b); i++ {
		b[i] = 0xA5
	}
	damaged := filepath.Join(dir, "damaged")
	if err := os.WriteFile(damaged, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Restore(ctx, damaged, dst); err == nil {
		t.Fatal("a damaged backup was restored")
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused restore created the data dir: %v", err)
	}
}

// TestRestoredStorePassesConformance: a store restored from a backup of a
// live store is a whole store: the conformance suite passes on it
// (every test on its own restored copy of a freshly migrated store).
func TestRestoredStorePassesConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		src := t.TempDir()
		s, err := sqlite.Open(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out := filepath.Join(t.TempDir(), "b.db")
		if _, err := sqlite.Backup(ctx, src, out); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "restored")
		if _, err := sqlite.Restore(ctx, out, dst); err != nil {
			t.Fatal(err)
		}
		r, err := sqlite.Open(ctx, dst)
		if err != nil {
			t.Fatal(err)
		}
		return r
	})
}

// TestCheck: the readiness check fails when the database file is moved
// away or replaced under the server, or a migration is missing, and
// passes again once the file is back.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	path := filepath.Join(dir, sqlite.FileName)
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "database file") {
		t.Fatalf("file moved away: %v", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("file back: %v", err)
	}

	// A missing migration is named.
	if _, err := s.DB().ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "migrations not applied") {
		t.Fatalf("missing migration: %v", err)
	}

	// Replaced by a copy: the server would write to the old inode.
	dir2 := t.TempDir()
	s2 := open(t, dir2)
	p2 := filepath.Join(dir2, sqlite.FileName)
	b, err := os.ReadFile(p2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p2, p2+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p2, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s2.Check(ctx); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("file replaced: %v", err)
	}
}

// observer counts what the store reports.
type observer struct {
	mu      sync.Mutex
	txs     int
	failed  int
	batches []int
}

func (o *observer) ObserveTx(d time.Duration, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.txs++
	if failed {
		o.failed++
	}
}

func (o *observer) ObserveGroupCommit(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.batches = append(o.batches, n)
}

// TestObserverHearsEveryTransaction: every Tx is reported once, with its
// outcome; the commits carried every successful one; the readiness
// check's own transaction is not reported.
func TestObserverHearsEveryTransaction(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	o := &observer{}
	s.SetObserver(o)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_ = s.Tx(ctx, func(tx store.Tx) error {
				if i%4 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		})
	}
	wg.Wait()
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.txs != n || o.failed != n/4 {
		t.Fatalf("observed %d transactions, %d failed; want %d, %d", o.txs, o.failed, n, n/4)
	}
	carried := 0
	for _, b := range o.batches {
		if b < 1 || b > 32 {
			t.Fatalf("batch of %d", b)
		}
		carried += b
	}
	// Each commit carries its batch's live transactions (failed ones
	// included, rolled back to their savepoints), and the check's one.
	if carried < n-n/4 {
		t.Fatalf("commits carried %d transactions, want at least %d", carried, n-n/4)
	}
	s.SetObserver(nil)
	_ = s.Tx(ctx, func(store.Tx) error { return nil })
	if o.txs != n {
		t.Fatal("observer still called after SetObserver(nil)")
	}
}

// TestACMECache: autocert's cache in the store: a miss is ErrNotFound,
// Put replaces, Delete of a missing key is fine.
func TestACMECache(t *testing.T) {
	testACMECache(t, open(t, t.TempDir()).ACMECache())
}

func testACMECache(t *testing.T, c sqlstore.ACMECache) {
	ctx := context.Background()
	if _, err := c.Get(ctx, "acme_account+key"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("miss: %v", err)
	}
	for _, v := range [][]byte{[]byte("first"), {0, 1, 2, 255}, {}} {
		if err := c.Put(ctx, "roster.example.com", v); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, "roster.example.com")
		if err != nil || string(got) != string(v) {
			t.Fatalf("Get = %q, %v; want %q", got, err, v)
		}
	}
	if err := c.Delete(ctx, "roster.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "roster.example.com"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	if _, err := c.Get(ctx, "roster.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
