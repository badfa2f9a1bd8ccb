package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real binary the way an operator's scripts do: the
// command names, flags and JSON fields they use are a contract.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roster-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "roster")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func roster(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("roster %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, b)
	}
	return m
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `roster serve` and waits for /healthz.
// With an empty addr it picks a free port and passes --addr; otherwise the
// caller arranged the address (through ROSTER_ADDR, say).
func startServe(t *testing.T, addr string, env []string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
		args = append(args, "--addr", addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout := &lockedBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = io.Discard
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// serve prints its banner once it listens and its store is open:
	// the test waits for that line, not for a poll to succeed.
	ready := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(pr)
		announced := false
		for sc.Scan() {
			stdout.add(sc.Text() + "\n")
			if !announced && strings.HasPrefix(sc.Text(), "Roster is serving on ") {
				announced = true
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		pw.Close()
	})
	select {
	case <-ready:
	case <-exited:
		t.Fatalf("roster serve exited before serving; it printed:\n%s", stdout.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("roster serve did not announce itself; it printed:\n%s", stdout.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz after the banner: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz after the banner: %d", resp.StatusCode)
	}
	return addr, stdout
}

// lockedBuffer collects the server's stdout while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func scimGet(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestCLIContractAgainstRunningServer(t *testing.T) {
	dir := t.TempDir()
	addr, stdout := startServe(t, "", nil, "--data-dir", dir)
	base := "http://" + addr + "/scim/v2"

	// The server, already running, sees every CLI change at once.
	team := jsonObject(t, roster(t, "team", "create", "--data-dir", dir, "--name", "Acme Corp", "--admin-email", "admin@acme.example", "--json"))
	slug, _ := team["slug"].(string)
	if id, _ := team["id"].(string); id == "" || slug != "acme-corp" {
		t.Fatalf("team create JSON: %v", team)
	}
	key := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", slug, "--name", "okta", "--json"))
	token, _ := key["token"].(string)
	if key["id"] == "" || key["name"] != "okta" || key["status"] != "ACTIVE" || !strings.HasPrefix(token, "rsk_") {
		t.Fatalf("scim-key create JSON: %v", key)
	}
	// SCIM is off until enabled: 403 that says so.
	status, body := scimGet(t, base+"/Users?startIndex=1&count=2", token)
	if status != 403 || !strings.Contains(fmt.Sprint(body["detail"]), "disabled") {
		t.Fatalf("before enable: %d %v", status, body)
	}
	roster(t, "scim", "enable", "--data-dir", dir, "--team", slug)
	if status, body = scimGet(t, base+"/Users?startIndex=1&count=2", token); status != 200 || body["totalResults"] != float64(1) {
		t.Fatalf("after enable: %d %v", status, body)
	}
	roster(t, "scim", "disable", "--data-dir", dir, "--team", slug)
	if status, _ = scimGet(t, base+"/Users", token); status != 403 {
		t.Fatalf("after disable: %d", status)
	}
	roster(t, "scim", "enable", "--data-dir", dir, "--team", slug)

	// Keys list without secrets, and revocation takes effect at once.
	var keys []map[string]any
	if err := json.Unmarshal(roster(t, "scim-key", "list", "--data-dir", dir, "--team", slug, "--json"), &keys); err != nil || len(keys) != 1 {
		t.Fatalf("scim-key list: %v %v", keys, err)
	}
	if keys[0]["last_used_at"] == nil || strings.Contains(fmt.Sprint(keys), token) {
		t.Fatalf("key list: %v", keys)
	}
	roster(t, "scim-key", "revoke", "--data-dir", dir, "--team", slug, "--id", fmt.Sprint(key["id"]))
	if status, body = scimGet(t, base+"/Users", token); status != 401 || !strings.Contains(fmt.Sprint(body["detail"]), "revoked") {
		t.Fatalf("after revoke: %d %v", status, body)
	}
	var events []map[string]any
	if err := json.Unmarshal(roster(t, "audit", "--data-dir", dir, "--team", slug, "--json"), &events); err != nil || len(events) == 0 {
		t.Fatalf("audit: %v", err)
	}
	if events[0]["action"] != "scim_key.revoke" || events[0]["actor"] == "" || events[0]["at"] == "" || events[0]["target"] == "" {
		t.Fatalf("newest audit event: %v", events[0])
	}
	// serve printed the SCIM base URL and how to get a key.
	if out := stdout.String(); !strings.Contains(out, base) || !strings.Contains(out, "scim-key create") {
		t.Fatalf("serve output lacks the base URL or key instructions:\n%s", out)
	}
}

func TestServeReadsEnvironment(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	startServe(t, addr, []string{"ROSTER_ADDR=" + addr, "ROSTER_DATA_DIR=" + dir})
	// The env data dir is the one in use: the CLI, given the same dir,
	// creates a team the server's store holds.
	roster(t, "team", "create", "--data-dir", dir, "--name", "Env", "--admin-email", "a@env.example", "--json")
	if _, err := os.Stat(filepath.Join(dir, "roster.db")); err != nil {
		t.Fatalf("no store in ROSTER_DATA_DIR: %v", err)
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"team", "create", "--data-dir", dir, "--name", "X"},                                  // no admin email
		{"team", "create", "--data-dir", dir, "--name", "X", "--admin-email", "not-an-email"}, // bad email
		{"scim", "enable", "--data-dir", dir, "--team", "missing"},
		{"scim-key", "create", "--data-dir", dir, "--team", "missing", "--name", "k"},
		{"nonsense"},
	} {
		cmd := exec.Command(binary, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil {
			t.Errorf("roster %v succeeded, want an error", args)
		} else if stderr.Len() == 0 {
			t.Errorf("roster %v failed without saying why", args)
		}
	}
}

func TestSchemaCommands(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "schema", "add-attribute", "--data-dir", dir, "--team", "acme", "--name", "costCode")
	roster(t, "schema", "add-attribute", "--data-dir", dir, "--team", "acme", "--name", "level", "--type", "integer", "--multi-valued")
	var list []map[string]any
	if err := json.Unmarshal(roster(t, "schema", "list", "--data-dir", dir, "--team", "acme", "--json"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0]["name"] != "costCode" || list[0]["type"] != "string" || list[1]["type"] != "integer" || list[1]["multiValued"] != true {
		t.Fatalf("schema list: %v", list)
	}
	roster(t, "schema", "remove-attribute", "--data-dir", dir, "--team", "acme", "--name", "costCode")
	if err := json.Unmarshal(roster(t, "schema", "list", "--data-dir", dir, "--team", "acme", "--json"), &list); err != nil || len(list) != 1 {
		t.Fatalf("after remove: %v %v", list, err)
	}
	if err := exec.Command(binary, "schema", "add-attribute", "--data-dir", dir, "--team", "acme", "--name", "x", "--type", "blob").Run(); err == nil {
		t.Fatal("an unknown type was accepted")
	}

	// schema apply: the list --json format, edited and applied back.
	file := filepath.Join(t.TempDir(), "attrs.json")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`[{"name":"level","type":"integer","multiValued":true,"description":"pay grade"},{"name":"badge"}]`)
	var plan map[string]any
	if err := json.Unmarshal(roster(t, "schema", "apply", "--data-dir", dir, "--team", "acme", "--file", file, "--json"), &plan); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(plan["added"], plan["updated"], plan["removed"]) != "[badge] [level] []" {
		t.Fatalf("apply: %v", plan)
	}
	write(`[{"name":"level","type":"string"}]`)
	out, err := exec.Command(binary, "schema", "apply", "--data-dir", dir, "--team", "acme", "--file", file, "--prune").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "changing a declared attribute is refused") {
		t.Fatalf("a type change: %v %s", err, out)
	}
	write(`[{"name":"level","type":"integer","multiValued":true,"description":"pay grade"}]`)
	roster(t, "schema", "apply", "--data-dir", dir, "--team", "acme", "--file", file, "--prune")
	if err := json.Unmarshal(roster(t, "schema", "list", "--data-dir", dir, "--team", "acme", "--json"), &list); err != nil || len(list) != 1 || list[0]["description"] != "pay grade" {
		t.Fatalf("after prune: %v %v", list, err)
	}
	write(`{"name":"notalist"}`)
	if out, err := exec.Command(binary, "schema", "apply", "--data-dir", dir, "--team", "acme", "--file", file).CombinedOutput(); err == nil || !strings.Contains(string(out), "expected a JSON array") {
		t.Fatalf("a bad file: %v %s", err, out)
	}
}

func TestKeyRotateCommand(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	old := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))
	nk := jsonObject(t, roster(t, "scim-key", "rotate", "--data-dir", dir, "--team", "acme", "--id", fmt.Sprint(old["id"]), "--grace", "24h", "--json"))
	if nk["id"] == old["id"] || nk["name"] != "okta" || nk["status"] != "ACTIVE" || !strings.HasPrefix(fmt.Sprint(nk["token"]), "rsk_") {
		t.Fatalf("rotate JSON: %v", nk)
	}
	var keys []map[string]any
	if err := json.Unmarshal(roster(t, "scim-key", "list", "--data-dir", dir, "--team", "acme", "--json"), &keys); err != nil || len(keys) != 2 {
		t.Fatalf("list: %v %v", keys, err)
	}
	for _, k := range keys {
		for _, f := range []string{"id", "name", "prefix", "status", "created_at", "expires_at", "last_used_at"} {
			if _, ok := k[f]; !ok {
				t.Fatalf("key JSON lacks %q: %v", f, k)
			}
		}
		if k["status"] != "ACTIVE" { // the old key is in its grace period
			t.Fatalf("key %v", k)
		}
	}
	pol := jsonObject(t, roster(t, "team", "policy", "--data-dir", dir, "--team", "acme", "--seat-limit", "10", "--group-delete-deactivates", "--json"))
	if pol["seat_limit"] != float64(10) || pol["group_delete_deactivates"] != true {
		t.Fatalf("policy: %v", pol)
	}
}
