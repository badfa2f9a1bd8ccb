package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestWholeScript runs the whole script against the roster binary of
// this checkout and against a wrapper of it that adds one line to the
// output of `roster team list`. Everything but those steps must compare
// equal (the normalisation leaves nothing of two runs' randomness), and
// those steps must be reported: exit status 1, a diff naming the line.
func TestWholeScript(t *testing.T) {
	if testing.Short() || os.Getenv("ROSTER_APICOMPARE") == "" {
		t.Skip("runs the whole script twice (about 20 s): set ROSTER_APICOMPARE=1 to run it (after changing the tool)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the wrapper is a shell script")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "roster")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/roster")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/roster: %v\n%s", err, out)
	}
	wrapper := filepath.Join(dir, "roster-changed")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = serve ]; then exec '" + bin + "' \"$@\"; fi\n" +
		"'" + bin + "' \"$@\"; rc=$?\n" +
		"if [ \"$1 $2\" = \"team list\" ]; then echo 'a line that was not there'; fi\n" +
		"exit $rc\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"--old", bin, "--new", wrapper, "-q"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var steps []string
	for _, m := range regexp.MustCompile(`(?m)^=== (\S+)`).FindAllStringSubmatch(stdout.String(), -1) {
		steps = append(steps, m[1])
	}
	want := []string{"cli/team-list/unexpected-argument", "cli/team-list/empty", "cli/team-list/env-data-dir", "cli/team-list/json",
		"cli/team-list/final", "cli/import/team-list", "cli/team-list/after-disable"}
	if !slices.Equal(steps, want) {
		t.Errorf("differing steps %q, want %q\n%s", steps, want, stdout.String())
	}
	if !strings.Contains(stdout.String(), "+a line that was not there\n") {
		t.Errorf("the added line is not in the diff:\n%s", stdout.String())
	}
	if !regexp.MustCompile(`apicompare: (\d+) steps \(old \d+, new \d+\); 7 differ\n$`).MatchString(stdout.String()) {
		t.Errorf("summary: %s", stdout.String()[max(0, stdout.Len()-200):])
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--old", "x"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: apicompare") {
		t.Errorf("missing --new: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	missing := filepath.Join(t.TempDir(), "nope")
	if code := run([]string{"--old", missing, "--new", missing}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "not a file") {
		t.Errorf("missing binary: exit %d, stderr %q", code, stderr.String())
	}
}
