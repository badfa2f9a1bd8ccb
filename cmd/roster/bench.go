package main

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/bench"
)

// benchCmd is `roster bench`: the load benchmark (internal/bench).
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o bench.Options
	fs.StringVar(&o.Backend, "backend", "sqlite", "store of the in-process server: sqlite or postgres")
	fs.StringVar(&o.DatabaseURL, "database-url", os.Getenv("ROSTER_DATABASE_URL"), "PostgreSQL URL for --backend postgres")
	fs.StringVar(&o.DataDir, "data-dir", "", "SQLite directory (default: a fresh temporary one, removed at the end)")
	fs.StringVar(&o.Base, "base", "", "SCIM base URL of a running server to target instead (http://HOST/scim/v2)")
	fs.StringVar(&o.Token, "token", "", "SCIM key for --base")
	fs.IntVar(&o.Users, "users", 100000, "members seeded before the scenarios")
	fs.IntVar(&o.Clients, "clients", 16, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "time bound of each scenario")
	fs.IntVar(&o.Ops, "ops", 0, "op bound of each scenario (0: only --duration)")
	fs.IntVar(&o.GroupSize, "group-size", 10000, "members group-grow adds to one group")
	scenarios := fs.String("scenarios", strings.Join(bench.Scenarios, ","), "comma-separated scenarios to run")
	fs.BoolVar(&o.Baseline, "baseline", true, "also run the in-memory baseline and print ratios")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of Roster's scenarios to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write an allocation profile to this file at the end")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	serveBaseline := fs.Bool("serve-baseline", false, "internal: serve the in-memory baseline and print its URL (the bench's child process)")
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
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
