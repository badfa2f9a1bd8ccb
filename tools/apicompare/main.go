// Command apicompare runs the same fixed script of CLI commands and HTTP
// requests against two roster binaries and reports every difference in
// what they answered, after normalising what legitimately differs between
// two runs (ids, secrets, times, latencies, ports, temp paths, the build's
// version). It is how a refactor proves that nothing visible changed:
//
//	go run ./tools/apicompare --old /path/roster-old --new /path/roster-new [--keep]
//
// Each binary gets a fresh data dir; the CLI script runs, then `roster
// serve` on a free loopback port for the HTTP script (SCIM as Okta and
// Entra speak it, the admin API, the console, health, OpenAPI, static
// files), a restart, the log reads, and the last CLI commands. Every step
// records stdout, stderr and exit code, or status, the headers that
// matter and the body. A differing step is printed as a unified diff;
// the exit status is 1 when anything differs, 2 when the comparison could
// not run.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apicompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	oldBin := fs.String("old", "", "the reference roster binary")
	newBin := fs.String("new", "", "the roster binary to compare with it")
	keep := fs.Bool("keep", false, "leave the recordings (and data dirs) on disk and print where")
	ctx := fs.Int("context", 3, "lines of context in the diffs")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	serial := fs.Bool("serial", false, "run the old binary's script, then the new one's (default: both at once)")
	slowest := fs.Int("slowest", 0, "list the N slowest steps of each run on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *oldBin == "" || *newBin == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: apicompare --old BINARY --new BINARY [--keep] [--context 3]")
		return 2
	}
	root, err := os.MkdirTemp("", "apicompare-")
	if err != nil {
		fmt.Fprintln(stderr, "apicompare:", err)
		return 2
	}
	if !*keep {
		defer os.RemoveAll(root)
	}
	progress := func(format string, a ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}

	var runs [2]*runner
	sides := []struct{ label, bin string }{{"old", *oldBin}, {"new", *newBin}}
	for i, side := range sides {
		r, err := newRunner(side.label, side.bin, filepath.Join(root, side.label))
		if err != nil {
			fmt.Fprintln(stderr, "apicompare:", err)
			return 2
		}
		runs[i] = r
	}
	// The two runs share nothing (data dir, port, normaliser), so they
	// may run at once; --serial runs one after the other.
	took := make([]time.Duration, 2)
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			r.runScript()
			took[i] = time.Since(start)
		}()
		if *serial {
			wg.Wait()
		}
	}
	wg.Wait()
	for i, r := range runs {
		side := sides[i]
		progress("apicompare: %s: %d steps in %s", side.label, len(r.recs), took[i].Round(10*time.Millisecond))
		if *slowest > 0 {
			recs := append([]record(nil), r.recs...)
			sort.Slice(recs, func(i, j int) bool { return recs[i].Elapsed > recs[j].Elapsed })
			for _, rec := range recs[:min(*slowest, len(recs))] {
				progress("apicompare: %s:   %6s %s", side.label, rec.Elapsed.Round(time.Millisecond), rec.Name)
			}
		}
		for _, w := range r.warns {
			progress("apicompare: %s: warning: %s", side.label, w)
		}
	}
	if *keep {
		for _, r := range runs {
			if err := writeRecordings(r); err != nil {
				fmt.Fprintln(stderr, "apicompare:", err)
				return 2
			}
		}
		progress("apicompare: recordings kept in %s (old/records, new/records; all.txt is every step, normalised)", root)
	}

	diffs, onlyOld, onlyNew := compare(runs[0].recs, runs[1].recs, *ctx)
	for _, d := range diffs {
		fmt.Fprint(stdout, d)
	}
	total := len(runs[0].recs)
	differ := len(diffs)
	fmt.Fprintf(stdout, "apicompare: %d steps (old %d, new %d); %d differ", max(total, len(runs[1].recs)), total, len(runs[1].recs), differ)
	if onlyOld+onlyNew > 0 {
		fmt.Fprintf(stdout, " (%d only in old, %d only in new)", onlyOld, onlyNew)
	}
	fmt.Fprintln(stdout)
	if differ > 0 {
		return 1
	}
	return 0
}

// runScript runs the whole script; a server that does not start is
// recorded as such and its phase skipped.
func (r *runner) runScript() {
	scriptCLISetup(r)
	r.serverPhase(scriptHTTPChanges)
	r.serverPhase(scriptHTTPLogs)
	scriptCLIFinal(r)
}

func (r *runner) serverPhase(script func(*runner)) {
	if err := r.startServer(); err != nil {
		r.add(fmt.Sprintf("serve/phase%d/start", r.phase), "roster serve did not start: "+err.Error()+"\n")
		return
	}
	r.add(fmt.Sprintf("serve/phase%d/start", r.phase), "GET /healthz: 200\n")
	script(r)
	r.stopServer()
}

// compare pairs the two runs' steps by name and returns a unified diff
// for each step that differs (or is missing from one run).
func compare(old, new []record, ctx int) (diffs []string, onlyOld, onlyNew int) {
	byName := map[string]record{}
	for _, rec := range new {
		byName[rec.Name] = rec
	}
	seen := map[string]bool{}
	for _, o := range old {
		seen[o.Name] = true
		n, ok := byName[o.Name]
		if !ok {
			onlyOld++
			diffs = append(diffs, fmt.Sprintf("=== %s: only in old\n%s", o.Name, unified("old/"+o.Name, "new (no such step)", o.Norm, "", ctx)))
			continue
		}
		if d := unified("old/"+o.Name, "new/"+n.Name, o.Norm, n.Norm, ctx); d != "" {
			diffs = append(diffs, fmt.Sprintf("=== %s\n%s", o.Name, d))
		}
	}
	for _, n := range new {
		if !seen[n.Name] {
			onlyNew++
			diffs = append(diffs, fmt.Sprintf("=== %s: only in new\n%s", n.Name, unified("old (no such step)", "new/"+n.Name, "", n.Norm, ctx)))
		}
	}
	return diffs, onlyOld, onlyNew
}

var reUnsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// writeRecordings writes each step, normalised and raw, to dir/records,
// and every normalised step to dir/all.txt.
func writeRecordings(r *runner) error {
	dir := filepath.Join(r.dir, "records")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var all strings.Builder
	for i, rec := range r.recs {
		base := fmt.Sprintf("%03d-%s", i+1, reUnsafeName.ReplaceAllString(rec.Name, "_"))
		if err := os.WriteFile(filepath.Join(dir, base+".txt"), []byte(rec.Norm), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, base+".raw.txt"), []byte(rec.Raw), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&all, "=== %s\n%s\n", rec.Name, rec.Norm)
	}
	return os.WriteFile(filepath.Join(r.dir, "all.txt"), []byte(all.String()), 0o644)
}
