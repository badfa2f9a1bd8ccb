package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/bench"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// benchCmd is `roster bench`: the load benchmark (internal/bench).
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o bench.Options
	fs.StringVar(&o.Backend, "backend", "sqlite", "store of the in-process server: sqlite or postgres")
	databaseURL := fs.String("database-url", "", "PostgreSQL URL for --backend postgres (env ROSTER_DATABASE_URL)")
	dataDir := fs.String("data-dir", "", "SQLite directory (default: a fresh temporary one, removed at the end)")
	fs.StringVar(&o.Base, "base", "", "SCIM base URL of a running server to target instead (http://HOST/scim/v2)")
	fs.StringVar(&o.Token, "token", "", "SCIM key for --base")
	fs.IntVar(&o.Users, "users", 100000, "members seeded before the scenarios")
	fs.IntVar(&o.Clients, "clients", 16, "concurrent clients")
	o.Duration = 20 * time.Second
	fs.Var((*durationValue)(&o.Duration), "duration", "time bound of each scenario")
	fs.IntVar(&o.Ops, "ops", 0, "op bound of each scenario (0: only --duration)")
	fs.IntVar(&o.GroupSize, "group-size", 10000, "members group-grow adds to one group")
	scenarios := fs.String("scenarios", strings.Join(bench.Scenarios, ","), "comma-separated scenarios to run")
	fs.BoolVar(&o.Baseline, "baseline", true, "also run the in-memory baseline and print ratios")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of Roster's scenarios to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write an allocation profile to this file at the end")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	serveBaseline := fs.Bool("serve-baseline", false, "internal: serve the in-memory baseline and print its URL (the bench's child process)")
	outbox := fs.Bool("outbox", false, "measure what the event outbox costs a SCIM write: the write scenarios (create, patch, deactivate) on two servers, with events and without (internal/bench/outbox.go)")
	rounds := fs.Int("rounds", 3, "with --outbox: rounds of the scenarios, alternating the servers' order")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *serveBaseline {
		return bench.ServeBaseline(ctx, o.Users, stdout)
	}
	// The baseline runs in a child process, so Roster's peak RSS is its own.
	if exe, err := os.Executable(); err == nil && o.Baseline {
		o.BaselineExec = []string{exe, "bench", "--serve-baseline"}
	}
	if *scenarios != "" {
		o.Scenarios = strings.Split(strings.ReplaceAll(*scenarios, " ", ""), ",")
	}
	if o.Base != "" {
		if err := required("token", o.Token); err != nil {
			return err
		}
	}
	o.Progress = stderr
	o.Open = openBenchStore(o.Backend, *dataDir, *databaseURL)
	if *outbox {
		if *dataDir != "" || o.Base != "" {
			return errors.New("--outbox starts two servers on stores of their own: leave out --data-dir and --base")
		}
		if !flagSet(fs, "scenarios") {
			o.Scenarios = nil // bench.OutboxScenarios
		}
		rep, err := bench.OutboxCost(ctx, o, *rounds)
		if err != nil {
			return err
		}
		if *asJSON {
			return rep.WriteJSON(stdout)
		}
		return rep.WriteText(stdout)
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}

// openBenchStore opens the store of `roster bench`'s in-process server:
// SQLite in dataDir (a fresh temporary one when empty) or PostgreSQL.
func openBenchStore(backend, dataDir, databaseURL string) func(ctx context.Context) (bench.OpenedStore, error) {
	return func(ctx context.Context) (bench.OpenedStore, error) {
		switch backend {
		case "sqlite", "":
			dir, cleanup := dataDir, func() {}
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "roster-bench-"); err != nil {
					return bench.OpenedStore{}, err
				}
				cleanup = func() { os.RemoveAll(dir) }
			}
			st, err := sqlite.Open(ctx, dir)
			if err != nil {
				cleanup()
				return bench.OpenedStore{}, err
			}
			size := func() int64 {
				var total int64
				for _, f := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
					if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
						total += fi.Size()
					}
				}
				return total
			}
			return bench.OpenedStore{Store: st, Size: size, Close: func() { st.Close(); cleanup() }}, nil
		case "postgres":
			if databaseURL == "" {
				return bench.OpenedStore{}, errors.New("--backend postgres needs --database-url")
			}
			st, err := postgres.Open(ctx, databaseURL)
			if err != nil {
				return bench.OpenedStore{}, err
			}
			db := st.DB()
			// Roster's tables in the current schema (a shared database may
			// hold other schemas): tables, indexes and TOAST.
			size := func() int64 {
				var n int64
				_ = db.QueryRowContext(context.Background(), `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
					FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
					WHERE s.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
				return n
			}
			analyze := func(ctx context.Context) error { _, err := db.ExecContext(ctx, "ANALYZE"); return err }
			return bench.OpenedStore{Store: st, Size: size, Close: func() { st.Close() }, Analyze: analyze}, nil
		}
		return bench.OpenedStore{}, fmt.Errorf("unknown backend %q (sqlite or postgres)", backend)
	}
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
