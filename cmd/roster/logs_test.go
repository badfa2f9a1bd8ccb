package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

func TestAuditAndProvisioningLogCommands(t *testing.T) {
	dir := t.TempDir()
	d := "--data-dir=" + dir
	if _, err := runCLI(t, "team", "create", d, "--name", "Acme", "--admin-email", "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"scim", "enable"}, {"scim-key", "create", "--name", "okta"}, {"scim", "disable"}} {
		if _, err := runCLI(t, append(args, d, "--team", "acme")...); err != nil {
			t.Fatal(args, err)
		}
	}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"json contract", []string{"--json"}, func(t *testing.T, out string) {
			var events []map[string]any
			if err := json.Unmarshal([]byte(out), &events); err != nil || len(events) < 4 {
				t.Fatalf("%v %s", err, out)
			}
			for _, k := range []string{"at", "actor", "action", "target"} {
				if events[0][k] == nil || events[0][k] == "" {
					t.Fatalf("event lacks %s: %v", k, events[0])
				}
			}
			if events[0]["action"] != "team.scim_disable" && !strings.Contains(events[0]["action"].(string), "disable") {
				t.Fatalf("newest first: %v", events[0])
			}
		}},
		{"action prefix and limit", []string{"--action", "scim_key.", "--format", "json"}, func(t *testing.T, out string) {
			var events []map[string]any
			if err := json.Unmarshal([]byte(out), &events); err != nil || len(events) != 1 || events[0]["action"] != "scim_key.create" {
				t.Fatalf("%v %s", err, out)
			}
		}},
		{"limit", []string{"--limit", "2", "--json"}, func(t *testing.T, out string) {
			var events []map[string]any
			if err := json.Unmarshal([]byte(out), &events); err != nil || len(events) != 2 {
				t.Fatalf("%v %s", err, out)
			}
		}},
		{"csv", []string{"--format", "csv", "--actor", "cli:operator"}, func(t *testing.T, out string) {
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(recs) < 4 || recs[0][1] != "at" || recs[1][2] != "cli:operator" {
				t.Fatalf("%v %q", err, out)
			}
		}},
		{"jsonl with a future since", []string{"--format", "jsonl", "--since", "2999-01-01T00:00:00Z"}, func(t *testing.T, out string) {
			if out != "" {
				t.Fatalf("%q", out)
			}
		}},
		{"target type", []string{"--format", "jsonl", "--target", "scim_key"}, func(t *testing.T, out string) {
			if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"target_type":"scim_key"`) {
				t.Fatalf("%q", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"audit", d, "--team", "acme"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out)
		})
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--format", "xml"}, {"--limit", "-1"}} {
		if _, err := runCLI(t, append([]string{"audit", d, "--team", "acme"}, bad...)...); err == nil {
			t.Errorf("audit %v accepted", bad)
		}
	}

	// Provisioning log: entries written as the server's writer would.
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	team, _ := st.TeamBySlug(context.Background(), "acme")
	now := time.Now().UTC()
	err = st.Tx(context.Background(), func(tx store.Tx) error {
		return tx.AppendProvisioningLog(context.Background(), []store.ProvisioningEntry{
			{TeamID: team.ID, ID: "a", At: now.Add(-2 * time.Hour), Method: "GET", Path: "/scim/v2/Users", Status: 200},
			{TeamID: team.ID, ID: "b", At: now.Add(-time.Minute), Method: "POST", Path: "/scim/v2/Users", Status: 409, ErrorDetail: "userName taken",
				RequestBody: `{"userName":"x","password":"[REDACTED]"}`},
		})
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "provisioning-log", d, "--team", "acme", "--errors", "--json")
	var entries []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 || entries[0]["status"] != float64(409) ||
		entries[0]["error_detail"] != "userName taken" || entries[0]["request_body"].(map[string]any)["password"] != "[REDACTED]" {
		t.Fatalf("%v %s", err, out)
	}
	out, err = runCLI(t, "provisioning-log", d, "--team", "acme", "--since", now.Add(-time.Hour).Format(time.RFC3339))
	// A header row, then one line an entry.
	if err != nil || strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, "AT\tSTATUS\tREQUEST\t") || !strings.Contains(out, "409\tPOST /scim/v2/Users") {
		t.Fatalf("%v %q", err, out)
	}
	out, err = runCLI(t, "provisioning-log", d, "--team", "acme", "--limit", "5")
	if err != nil || strings.Count(out, "\n") != 3 {
		t.Fatalf("%v %q", err, out)
	}
	if _, err := runCLI(t, "provisioning-log", d, "--team", "nope"); err == nil {
		t.Fatal("unknown team accepted")
	}
}
