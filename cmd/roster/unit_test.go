package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnit checks packaging/roster.service with systemd-analyze
// verify (skipped where systemd isn't installed), with ExecStart pointed
// at the binary these tests built, and checks that the hardening the
// unit promises is there and that every ROSTER_* variable it sets is one
// serve reads (a renamed flag would leave the unit silently ignored).
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("../../packaging/roster.service")
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=roster", "NoNewPrivileges=yes",
		"ExecStart=/usr/local/bin/roster serve", "KillSignal=SIGTERM"} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("the unit lacks %q", want)
		}
	}
	help := string(rosterAny(t, "serve", "--help"))
	for _, m := range regexp.MustCompile(`(?m)^Environment=(ROSTER_[A-Z_]+)=`).FindAllStringSubmatch(text, -1) {
		if !strings.Contains(help, m[1]) {
			t.Errorf("the unit sets %s, which serve --help doesn't name", m[1])
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit's syntax is not verified")
	}
	path := filepath.Join(t.TempDir(), "roster.service")
	local := strings.Replace(text, "ExecStart=/usr/local/bin/roster serve", "ExecStart="+binary+" serve", 1)
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// verify also reports on units this one names that the machine
	// lacks (network-online.target in a container): only lines about
	// roster.service itself count.
	var mine []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "roster.service") {
			mine = append(mine, l)
		}
	}
	if len(mine) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(mine, "\n"))
	}
}

// rosterAny runs the binary and returns what it printed, on either
// stream, whatever its exit code.
func rosterAny(t *testing.T, args ...string) []byte {
	t.Helper()
	out, _ := exec.Command(binary, args...).CombinedOutput()
	return out
}
