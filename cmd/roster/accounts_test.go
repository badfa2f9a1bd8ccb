package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

func jsonArray(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, b)
	}
	return out
}

func TestAccountsCLI(t *testing.T) {
	dir := t.TempDir()
	dd := "--data-dir=" + dir
	team := jsonObject(t, roster(t, "team", "create", dd, "--name", "Acme", "--admin-email", "owner@acme.example", "--json"))
	pw, _ := team["admin_password"].(string)
	if team["id"] == "" || team["slug"] != "acme" || len(pw) < 20 {
		t.Fatalf("%v", team)
	}
	ctx := context.Background()
	login := func(email, password string) error {
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = service.New(st, nil).Login(ctx, email, password, "127.0.0.1", "test", 0, "")
		return err
	}
	if err := login("owner@acme.example", pw); err != nil {
		t.Fatalf("one-time password doesn't sign in: %v", err)
	}

	t.Run("an existing account keeps its password", func(t *testing.T) {
		second := jsonObject(t, roster(t, "team", "create", dd, "--name", "Beta", "--admin-email", "owner@acme.example", "--json"))
		if _, ok := second["admin_password"]; ok || second["slug"] != "beta" {
			t.Fatalf("%v", second)
		}
		if out := string(roster(t, "team", "create", dd, "--name", "Gamma", "--admin-email", "new@gamma.example")); !strings.Contains(out, "One-time sign-in password for new@gamma.example") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("members list", func(t *testing.T) {
		list := jsonArray(t, roster(t, "members", "list", dd, "--team", "acme", "--json"))
		if len(list) != 1 {
			t.Fatalf("%v", list)
		}
		m := list[0]
		for _, k := range []string{"id", "userName", "displayName", "active", "source", "roles", "created_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %q in %v", k, m)
			}
		}
		if m["userName"] != "owner@acme.example" || m["roles"].([]any)[0] != "Super Admin" || m["active"] != true || m["source"] != "manual" {
			t.Fatalf("%v", m)
		}
	})
	t.Run("invite list and revoke", func(t *testing.T) {
		inv := jsonObject(t, roster(t, "invite", "create", dd, "--team", "acme", "--email", "x@acme.example", "--json"))
		list := jsonArray(t, roster(t, "invite", "list", dd, "--team", "acme", "--json"))
		if len(list) != 1 || list[0]["id"] != inv["id"] || list[0]["email"] != "x@acme.example" || list[0]["status"] != "pending" {
			t.Fatalf("%v", list)
		}
		roster(t, "invite", "revoke", dd, "--team", "acme", "--id", inv["id"].(string))
		if list := jsonArray(t, roster(t, "invite", "list", dd, "--team", "acme", "--json")); len(list) != 0 {
			t.Fatalf("%v", list)
		}
	})
	t.Run("account set-password reads stdin", func(t *testing.T) {
		cmd := exec.Command(binary, "account", "set-password", dd, "--email", "OWNER@acme.example")
		cmd.Stdin = strings.NewReader("a new operator password\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if err := login("owner@acme.example", "a new operator password"); err != nil {
			t.Fatal(err)
		}
		if err := login("owner@acme.example", pw); err == nil {
			t.Fatal("the old password still works")
		}
		cmd = exec.Command(binary, "account", "set-password", dd, "--email", "owner@acme.example")
		cmd.Stdin = strings.NewReader("short\n")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "at least") {
			t.Fatalf("short password accepted: %s", out)
		}
	})
}
