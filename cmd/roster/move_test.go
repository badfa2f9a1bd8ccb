package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(lines)
	return lines
}

// TestExportImportRoundTrip moves a team with everything it has from
// SQLite to SQLite and, when PostgreSQL is available, to PostgreSQL and
// back: the dumps are identical and the SCIM key still works.
func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	team := jsonObject(t, roster(t, "team", "create", "--data-dir", src, "--name", "Acme", "--admin-email", "a@acme.example", "--json"))
	slug := team["slug"].(string)
	roster(t, "scim", "enable", "--data-dir", src, "--team", slug)
	key := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", src, "--team", slug, "--name", "okta", "--json"))
	roster(t, "invite", "create", "--data-dir", src, "--team", slug, "--email", "inv@acme.example")
	roster(t, "schema", "add-attribute", "--data-dir", src, "--team", slug, "--name", "costCode")

	// Members, a group with members and a role binding, through the service.
	st, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, nil)
	p, err := svc.Authenticate(ctx, key["token"].(string), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	a := service.Actor{Kind: "test"}
	var ids []any
	for _, name := range []string{"x@acme.example", "y@acme.example"} {
		v, err := svc.CreateUser(ctx, p, a, map[string]any{"userName": name, "emails": []any{map[string]any{"value": name, "type": "work"}},
			scim.CustomUserURN: map[string]any{"costCode": "CC"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, map[string]any{"value": v.User.ID})
	}
	g, err := svc.CreateGroup(ctx, p, a, map[string]any{"displayName": "Eng", "members": ids})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetGroupRoles(ctx, slug, g.Group.ID, []string{"Admin"}, a); err != nil {
		t.Fatal(err)
	}
	st.Close()

	dump := filepath.Join(t.TempDir(), "dump.jsonl")
	roster(t, "export", "--data-dir", src, "--out", dump)
	want := sortedLines(t, dump)
	for _, table := range []string{`"table":"teams"`, `"table":"users"`, `"table":"scim_keys"`, `"table":"group_members"`, `"table":"group_roles"`, `"table":"audit_events"`, `"table":"invites"`, `"table":"user_emails"`} {
		if !strings.Contains(strings.Join(want, "\n"), table) {
			t.Fatalf("dump lacks %s", table)
		}
	}
	if strings.Contains(strings.Join(want, "\n"), key["token"].(string)) {
		t.Fatal("the dump holds a key in clear")
	}

	check := func(t *testing.T, flagName, target string) {
		roster(t, "import", flagName, target, "--in", dump)
		again := filepath.Join(t.TempDir(), "again.jsonl")
		roster(t, "export", flagName, target, "--out", again)
		if got := sortedLines(t, again); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("round trip through %s lost or changed rows:\n got %d lines\nwant %d lines", flagName, len(got), len(want))
		}
		// The SCIM key still authenticates against the new store.
		var svc2 *service.Service
		if flagName == "--data-dir" {
			s2, err := sqlite.Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			svc2 = service.New(s2, nil)
		} else {
			s2, err := postgres.Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			svc2 = service.New(s2, nil)
		}
		p2, err := svc2.Authenticate(ctx, key["token"].(string), "192.0.2.2")
		if err != nil || p2.Team.Slug != slug {
			t.Fatalf("key after import: %v", err)
		}
		users, total, err := svc2.ListUsers(ctx, p2, service.ListOptions{StartIndex: 1, Count: 10})
		if err != nil || total != 3 || len(users) != 3 {
			t.Fatalf("users after import: %d, %v", total, err)
		}
		// Importing twice is refused: the target is no longer empty.
		cmdErr := runExpectFail(t, "import", flagName, target, "--in", dump)
		if !strings.Contains(cmdErr, "empty") {
			t.Fatalf("second import: %q", cmdErr)
		}
	}
	t.Run("sqlite", func(t *testing.T) { check(t, "--data-dir", t.TempDir()) })
	t.Run("postgres", func(t *testing.T) { check(t, "--database-url", pgtest.NewSchemaURL(t)) })
}

// runExpectFail runs the binary, requires it to fail, and returns stderr.
func runExpectFail(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("roster %v succeeded, want a failure", args)
	}
	return stderr.String()
}
