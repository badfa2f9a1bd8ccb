package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// The CLI of issue 13 ("a CLI that helps"), run as the built binary.

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

type runOpt struct {
	env   []string
	stdin string
}

func rosterRun(t *testing.T, opt runOpt, args ...string) result {
	t.Helper()
	// A command that should have been refused may run instead (serve):
	// it is stopped, and the test fails, rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), opt.env...)
	cmd.Stdin = strings.NewReader(opt.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("roster %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// noRosterEnv clears the variables the CLI reads, so a developer's own
// environment can't change what a test sees.
var noRosterEnv = []string{"ROSTER_DATA_DIR=", "ROSTER_DATABASE_URL=", "ROSTER_PUBLIC_URL=", "ROSTER_ADDR=", "ROSTER_LOG_FORMAT="}

// TestHelpForEveryCommand: every command of the table answers --help, -h
// and `roster help COMMAND` on stdout with its own usage and flags (each
// with its env variable and default), and exits 0.
func TestHelpForEveryCommand(t *testing.T) {
	envDefault := regexp.MustCompile(`\(env ROSTER_[A-Z_]+(; default [^)]+)?\)`)
	for _, c := range commands {
		words := strings.Fields(c.name)
		for _, args := range [][]string{append(slices.Clone(words), "--help"), append(slices.Clone(words), "-h"), append([]string{"help"}, words...)} {
			r := rosterRun(t, runOpt{env: noRosterEnv}, args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("roster %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
				continue
			}
			if !strings.HasPrefix(r.stdout, "Usage:\n  roster "+c.name) || !strings.Contains(r.stdout, c.summary[1:]) {
				t.Errorf("roster %s: not its own usage:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
		// The flags with what the command's flag set holds.
		r := rosterRun(t, runOpt{env: noRosterEnv}, append(words, "--help")...)
		if c.name == "version" {
			if !strings.Contains(r.stdout, "--json") {
				t.Errorf("version --help:\n%s", r.stdout)
			}
			continue
		}
		if !strings.Contains(r.stdout, "\nFlags:\n") {
			t.Errorf("roster %s --help lists no flags:\n%s", c.name, r.stdout)
		}
		if strings.Contains(r.stdout, "  --data-dir ") && c.name != "bench" && !strings.Contains(r.stdout, "(env ROSTER_DATA_DIR; default ./roster-data)") {
			t.Errorf("roster %s --help: --data-dir without its env variable and default:\n%s", c.name, r.stdout)
		}
		if strings.Contains(r.stdout, "--team") && !strings.Contains(r.stdout, "--team string") {
			t.Errorf("roster %s --help: --team without its type:\n%s", c.name, r.stdout)
		}
		if strings.Count(r.stdout, "(env ") != len(envDefault.FindAllString(r.stdout, -1)) {
			t.Errorf("roster %s --help: a malformed env note:\n%s", c.name, r.stdout)
		}
	}
	// An env variable that is set doesn't become the default --help shows.
	r := rosterRun(t, runOpt{env: []string{"ROSTER_DATA_DIR=/somewhere/else", "ROSTER_ADDR=0.0.0.0:1"}}, "serve", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "(env ROSTER_DATA_DIR; default ./roster-data)") ||
		!strings.Contains(r.stdout, "(env ROSTER_ADDR; default 127.0.0.1:8080)") || strings.Contains(r.stdout, "/somewhere/else") {
		t.Errorf("serve --help with env set:\n%s", r.stdout)
	}
	for _, flags := range []string{"--addr string", "--log-format text|json", "--provlog-days int", "--public-url string", "--trusted-proxies string",
		"(env ROSTER_SCIM_READ_RATE; default 500)", "(env ROSTER_LOG_FORMAT)", "(env ROSTER_PROVLOG_ROWS; default 100000)"} {
		if !strings.Contains(r.stdout, flags) {
			t.Errorf("serve --help lacks %q:\n%s", flags, r.stdout)
		}
	}
	if r := rosterRun(t, runOpt{}, "scim-key", "create", "--help"); !strings.Contains(r.stdout, "--expires-in duration") {
		t.Errorf("a duration flag's type:\n%s", r.stdout)
	}
	// The whole usage, as before.
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if r := rosterRun(t, runOpt{}, args...); r.code != 0 || !strings.HasPrefix(r.stdout, usage) {
			t.Errorf("roster %v: %d %q", args, r.code, r.stdout)
		}
	}
	if r := rosterRun(t, runOpt{}, "help", "nonsense"); r.code != 1 || !strings.Contains(r.stderr, `unknown command "nonsense"`) {
		t.Errorf("help nonsense: %+v", r)
	}
}

// TestGroupsListTheirCommands: `roster team` names its subcommands and
// exits 2 with "missing subcommand"; `roster team --help` and `roster
// help team` list them and exit 0.
func TestGroupsListTheirCommands(t *testing.T) {
	groups := map[string][]string{}
	for _, c := range commands {
		if g, sub, ok := strings.Cut(c.name, " "); ok {
			groups[g] = append(groups[g], sub)
		}
	}
	if len(groups["team"]) != 3 || len(groups["scim-key"]) != 4 {
		t.Fatalf("groups: %v", groups)
	}
	for g, subs := range groups {
		r := rosterRun(t, runOpt{}, g)
		if r.code != 2 || r.stdout != "" || !strings.HasSuffix(r.stderr, "roster: "+g+": missing subcommand\n") {
			t.Errorf("roster %s: %+v", g, r)
		}
		for _, sub := range subs {
			if !strings.Contains(r.stderr, "\n  "+sub+" ") {
				t.Errorf("roster %s doesn't name %s:\n%s", g, sub, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "roster serve") {
			t.Errorf("roster %s printed the whole usage:\n%s", g, r.stderr)
		}
		for _, args := range [][]string{{g, "--help"}, {g, "-h"}, {"help", g}} {
			h := rosterRun(t, runOpt{}, args...)
			if h.code != 0 || h.stderr != "" || h.stdout != strings.TrimSuffix(r.stderr, "roster: "+g+": missing subcommand\n") {
				t.Errorf("roster %v: %+v", args, h)
			}
		}
	}
	if r := rosterRun(t, runOpt{}, "team", "explode"); r.code != 2 || !strings.Contains(r.stderr, "\n  create ") || !strings.HasSuffix(r.stderr, "roster: unknown command \"team explode\"\n") {
		t.Errorf("team explode: %+v", r)
	}
	// A command that isn't a group: the whole usage, as before.
	if r := rosterRun(t, runOpt{}, "nonsense"); r.code != 1 || !strings.HasPrefix(r.stderr, usage) {
		t.Errorf("nonsense: %+v", r)
	}
}

func TestVersion(t *testing.T) {
	var info map[string]any
	for _, args := range [][]string{{"version", "--json"}, {"--version", "--json"}} {
		r := rosterRun(t, runOpt{}, args...)
		if err := json.Unmarshal([]byte(r.stdout), &info); r.code != 0 || err != nil {
			t.Fatalf("roster %v: %+v %v", args, r, err)
		}
		for _, k := range []string{"version", "revision", "build_time", "modified", "go_version"} {
			if _, ok := info[k]; !ok {
				t.Fatalf("roster %v lacks %q: %v", args, k, info)
			}
		}
	}
	// The test built the binary with this toolchain, in a git checkout.
	if info["go_version"] != runtime.Version() || info["version"] != "(devel)" {
		t.Fatalf("version JSON: %v", info)
	}
	// The revision is a commit, or "unknown" where the toolchain recorded
	// none (GOFLAGS=-buildvcs=false, no git).
	if rev := fmt.Sprint(info["revision"]); rev != "unknown" && !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(rev) {
		t.Fatalf("revision: %v", info)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := rosterRun(t, runOpt{}, args...)
		want := fmt.Sprintf("roster (devel)\nrevision:   %s", info["revision"])
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, fmt.Sprintf("build time: %s", info["build_time"])) ||
			!strings.HasSuffix(r.stdout, "go:         "+runtime.Version()+"\n") {
			t.Fatalf("roster %v: %+v", args, r)
		}
	}
}

// storeCommands is a run of every command that needs an existing store,
// with the flags it requires.
var storeCommands = [][]string{
	{"team", "list"},
	{"team", "policy", "--team", "acme"},
	{"scim", "enable", "--team", "acme"},
	{"scim", "disable", "--team", "acme"},
	{"scim-key", "create", "--team", "acme", "--name", "okta"},
	{"scim-key", "list", "--team", "acme"},
	{"scim-key", "revoke", "--team", "acme", "--id", "x"},
	{"scim-key", "rotate", "--team", "acme", "--id", "x"},
	{"export"},
	{"group", "set-roles", "--team", "acme", "--group", "g", "--roles", "Admin"},
	{"invite", "create", "--team", "acme", "--email", "x@acme.example"},
	{"invite", "list", "--team", "acme"},
	{"invite", "revoke", "--team", "acme", "--id", "x"},
	{"members", "list", "--team", "acme"},
	{"account", "set-password", "--email", "x@acme.example"},
	{"audit", "--team", "acme"},
	{"provisioning-log", "--team", "acme"},
	{"schema", "add-attribute", "--team", "acme", "--name", "costCode"},
	{"schema", "remove-attribute", "--team", "acme", "--name", "costCode"},
	{"schema", "list", "--team", "acme"},
	{"schema", "apply", "--team", "acme", "--file", "-"},
	{"backup", "--out", filepath.Join(os.TempDir(), "roster-never-written.db")},
}

// TestMissingStoreIsRefused (issue 13, item 1): a mistyped --data-dir
// (or one without a store) is refused by every command that doesn't
// create stores, naming the path looked at, and nothing is created;
// `team list` on an empty store says so.
func TestMissingStoreIsRefused(t *testing.T) {
	// Every command of the table is either here, or one that creates a
	// store, or one that opens none.
	creates := []string{"serve", "team create", "migrate", "import", "restore", "bench"}
	opensNone := []string{"version", "healthcheck"}
	parent := t.TempDir()
	for _, c := range commands {
		if slices.Contains(creates, c.name) || slices.Contains(opensNone, c.name) ||
			slices.ContainsFunc(storeCommands, func(a []string) bool { return strings.HasPrefix(strings.Join(a, " "), c.name) }) {
			continue
		}
		// A command without a row below (a newer one): whatever its flags
		// say, it creates nothing where no store is. Give it a row.
		t.Logf("command %q has no refusal row in storeCommands", c.name)
		rosterRun(t, runOpt{env: noRosterEnv, stdin: "[]\n"}, append(strings.Fields(c.name), "--team", "acme", "--data-dir", filepath.Join(parent, "typo"))...)
		if _, err := os.Stat(filepath.Join(parent, "typo")); err == nil {
			t.Fatalf("roster %s created a store where there was none", c.name)
		}
	}
	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(parent, "typo"), empty} {
		for _, args := range storeCommands {
			for _, how := range []string{"flag", "env"} {
				opt := runOpt{env: noRosterEnv, stdin: "[]\n"} // a password, an attribute file
				a := slices.Clone(args)
				if how == "flag" {
					a = append(a, "--data-dir", dir)
				} else {
					opt.env = append(slices.Clone(noRosterEnv), "ROSTER_DATA_DIR="+dir)
				}
				r := rosterRun(t, opt, a...)
				want := "no Roster store in --data-dir " + dir + " (there is no " + filepath.Join(dir, "roster.db") + ")"
				if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
					t.Errorf("roster %v (%s): %+v", a, how, r)
				}
			}
		}
		entries, _ := os.ReadDir(parent)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if fmt.Sprint(names) != "[empty]" {
			t.Fatalf("the refusals created %v", names)
		}
		if entries, _ := os.ReadDir(empty); len(entries) != 0 {
			t.Fatalf("the refusals created %v in the empty dir", entries)
		}
	}
	// The commands whose job is to create a store do.
	r := rosterRun(t, runOpt{env: noRosterEnv}, "migrate", "--data-dir", filepath.Join(parent, "new"))
	if r.code != 0 || !strings.Contains(r.stdout, "schema up to date") {
		t.Fatalf("migrate: %+v", r)
	}
	r = rosterRun(t, runOpt{env: noRosterEnv}, "team", "list", "--data-dir", filepath.Join(parent, "new"))
	if r.code != 0 || r.stdout != "No teams in "+filepath.Join(parent, "new")+" yet; create one with: roster team create --data-dir "+filepath.Join(parent, "new")+" --name NAME --admin-email EMAIL\n" {
		t.Fatalf("team list of an empty store: %+v", r)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "team", "list", "--data-dir", filepath.Join(parent, "new"), "--json"); r.stdout != "[]\n" {
		t.Fatalf("team list --json of an empty store: %+v", r)
	}
}

// TestMissingStoreIsRefusedOnPostgres: a database without Roster's tables
// is refused, named without its password, and left without tables.
func TestMissingStoreIsRefusedOnPostgres(t *testing.T) {
	base := pgtest.BaseURL(t)
	dbURL := pgtest.NewSchemaURL(t)
	schema := regexp.MustCompile(`search_path(?:=|%3D)([a-z0-9_]+)`).FindStringSubmatch(dbURL)
	if schema == nil {
		t.Fatalf("no schema in %s", dbURL)
	}
	pu, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	user := pu.User.Username()
	pu.User = url.UserPassword(user, "s3cret") // trust authentication: the password is never checked
	withPassword := pu.String()
	for _, args := range storeCommands {
		if args[0] == "backup" {
			continue // SQLite only: it refuses any database URL
		}
		for _, u := range []string{dbURL, withPassword} {
			a := append(slices.Clone(args), "--database-url", u)
			r := rosterRun(t, runOpt{env: noRosterEnv, stdin: "[]\n"}, a...)
			if r.code != 1 || !strings.Contains(r.stderr, "no Roster store in the PostgreSQL database postgres://"+user+"@") && !strings.Contains(r.stderr, ":xxxxx@") ||
				strings.Contains(r.stderr, "s3cret") || !strings.Contains(r.stderr, schema[1]) {
				t.Errorf("roster %v: %+v", a, r)
			}
		}
	}
	db, err := postgres.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema[1]).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the refusals made %d tables (%v)", tables, err)
	}
	// team create makes the store; its next step names the database
	// through the environment, never by its URL (which may hold a
	// password).
	out := string(roster(t, "team", "create", "--database-url", withPassword, "--name", "Acme", "--admin-email", "a@acme.example"))
	if !strings.Contains(out, `Next: roster scim enable --database-url "$ROSTER_DATABASE_URL" --team acme`) || strings.Contains(out, schema[1]) {
		t.Fatalf("team create:\n%s", out)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "team", "list", "--database-url", dbURL); r.code != 0 || !strings.Contains(r.stdout, "acme\t") {
		t.Fatalf("team list: %+v", r)
	}
}

// TestValuesCheckedAtStart (issue 13, item 3): a wrong --public-url,
// --addr, --log-format, duration or environment value is refused before
// anything happens, saying what is expected.
func TestValuesCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--public-url", "roster.example.com"}, "", `--public-url "roster.example.com" has no http:// or https:// scheme: expected an absolute http(s) URL`},
		{[]string{"--public-url", "ftp://roster.example.com"}, "", "has no http:// or https:// scheme"},
		{[]string{"--public-url", "https://roster.example.com/roster"}, "", "has a path"},
		{[]string{"--public-url", "https://roster.example.com/?a=b"}, "", "has a query"},
		{[]string{"--public-url", "https://roster.example.com/#top"}, "", "has a fragment"},
		{[]string{"--public-url", "https://:443"}, "", "has no host"},
		{nil, "ROSTER_PUBLIC_URL=roster.example.com", `--public-url "roster.example.com" has no http:// or https:// scheme`},
		{[]string{"--addr", "8080"}, "", `--addr "8080" is not host:port: expected host:port, such as 127.0.0.1:8080`},
		{[]string{"--addr", "127.0.0.1:99999"}, "", "has a port beyond 65535"},
		{[]string{"--addr", "127.0.0.1:"}, "", "has no port"},
		{nil, "ROSTER_ADDR=localhost", `--addr "localhost" is not host:port`},
		{[]string{"--log-format", "xml"}, "", `invalid value "xml" for --log-format: expected text or json`},
		{nil, "ROSTER_LOG_FORMAT=xml", `invalid ROSTER_LOG_FORMAT "xml" (for --log-format): expected text or json`},
		{nil, "ROSTER_PROVLOG_DAYS=thirty", `invalid ROSTER_PROVLOG_DAYS "thirty" (for --provlog-days): expected an integer`},
		{nil, "ROSTER_SCIM_READ_RATE=fast", `invalid ROSTER_SCIM_READ_RATE "fast" (for --scim-read-rate): expected a number`},
		{[]string{"--max-body-bytes", "1MB"}, "", `invalid value "1MB" for --max-body-bytes: expected an integer`},
	} {
		args := []string{"serve", "--data-dir", data}
		if !slices.Contains(tc.args, "--addr") && !strings.HasPrefix(tc.env, "ROSTER_ADDR=") {
			args = append(args, "--addr", "127.0.0.1:0")
		}
		r := rosterRun(t, runOpt{env: append(slices.Clone(noRosterEnv), tc.env)}, append(args, tc.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %v %s: %+v, want %q", tc.args, tc.env, r, tc.want)
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatalf("serve %v %s created its data dir before refusing", tc.args, tc.env)
		}
	}
	// Other commands' values, before the store is opened.
	roster(t, "team", "create", "--data-dir", data, "--name", "Acme", "--admin-email", "a@acme.example")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scim-key", "create", "--team", "acme", "--name", "okta", "--expires-in", "90"}, `invalid value "90" for --expires-in: expected a duration such as 90d, 36h, 1d12h or 30m`},
		{[]string{"scim-key", "create", "--team", "acme", "--name", "okta", "--expires-in", "-1d"}, `expected a duration such as 90d`},
		{[]string{"scim-key", "rotate", "--team", "acme", "--id", "x", "--grace", "soon"}, `invalid value "soon" for --grace: expected a duration`},
		{[]string{"team", "policy", "--team", "acme", "--seat-limit", "lots"}, `invalid value "lots" for --seat-limit: expected an integer`},
		{[]string{"team", "policy", "--team", "acme", "--group-delete-deactivates=maybe"}, `invalid value "maybe" for --group-delete-deactivates: expected true or false`},
		{[]string{"invite", "create", "--team", "acme", "--email", "x@acme.example", "--public-url", "acme.example"}, `--public-url "acme.example" has no http:// or https:// scheme`},
		{[]string{"bench", "--duration", "forever"}, `invalid value "forever" for --duration: expected a duration`},
	} {
		r := rosterRun(t, runOpt{env: noRosterEnv}, append(tc.args, "--data-dir", data)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %+v, want %q", tc.args, r, tc.want)
		}
	}
	if list := jsonArray(t, roster(t, "invite", "list", "--data-dir", data, "--team", "acme", "--json")); len(list) != 0 {
		t.Fatalf("a refused invite was made: %v", list)
	}
	if list := jsonArray(t, roster(t, "scim-key", "list", "--data-dir", data, "--team", "acme", "--json")); len(list) != 0 {
		t.Fatalf("a refused key was made: %v", list)
	}
}

// TestServeOnEveryInterface: listening on every interface, serve prints
// a base URL an IdP can use, never [::] or 0.0.0.0, and says to set
// --public-url; --public-url, when given, is the base.
func TestServeOnEveryInterface(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "127.0.0.1"
	}
	for name, any := range map[string]string{"no host": "", "IPv4 any": "0.0.0.0", "IPv6 any": "[::]"} {
		t.Run(name, func(t *testing.T) {
			if any == "[::]" {
				ln, err := net.Listen("tcp", "[::]:0")
				if err != nil {
					t.Skipf("no IPv6 here: %v", err)
				}
				ln.Close()
			}
			_, port, _ := strings.Cut(freeAddr(t), ":")
			_, out := startServe(t, "127.0.0.1:"+port, []string{"ROSTER_ADDR=" + any + ":" + port}, "--data-dir", t.TempDir())
			text := out.String()
			if strings.Contains(text, "[::]") || strings.Contains(text, "//0.0.0.0") || !strings.Contains(text, "SCIM base URL: http://"+net.JoinHostPort(host, port)+"/scim/v2\n") ||
				!strings.Contains(text, "set --public-url") {
				t.Fatalf("serve --addr %s:%s printed:\n%s", any, port, text)
			}
		})
	}
	_, out := startServe(t, "", nil, "--data-dir", t.TempDir(), "--public-url", "https://roster.example.com/")
	if text := out.String(); !strings.Contains(text, "SCIM base URL: https://roster.example.com/scim/v2\n") || strings.Contains(text, "set --public-url") {
		t.Fatalf("serve --public-url printed:\n%s", text)
	}
}

// TestDurationsTakeDays: --expires-in and --grace take days.
func TestDurationsTakeDays(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	k := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--expires-in", "90d", "--json"))
	created, _ := time.Parse(time.RFC3339, k["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339, fmt.Sprint(k["expires_at"]))
	if d := expires.Sub(created); d < 90*24*time.Hour-time.Second || d > 90*24*time.Hour+time.Second {
		t.Fatalf("--expires-in 90d gave %v: %v", d, k)
	}
	nk := jsonObject(t, roster(t, "scim-key", "rotate", "--data-dir", dir, "--team", "acme", "--id", k["id"].(string), "--grace", "1d12h", "--json"))
	created, _ = time.Parse(time.RFC3339, nk["created_at"].(string))
	stops, _ := time.Parse(time.RFC3339, nk["old_key_stops_at"].(string))
	if d := stops.Sub(created); d < 36*time.Hour-time.Second || d > 36*time.Hour+time.Second {
		t.Fatalf("--grace 1d12h gave %v: %v", d, nk)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "scim-key", "rotate", "--data-dir", dir, "--team", "acme", "--id", nk["id"].(string), "--grace", "31d"); r.code != 1 || !strings.Contains(r.stderr, "30 days") {
		t.Fatalf("--grace 31d: %+v", r)
	}
}

// TestInviteLink (issue 13, item 4): invite create prints the invite's
// link once, and the link's token lets the person in.
func TestInviteLink(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	r := rosterRun(t, runOpt{env: noRosterEnv}, "invite", "create", "--data-dir", dir, "--team", "acme", "--email", "grace.hopper@acme.example", "--role", "Admin")
	link := regexp.MustCompile(`http://localhost:8080/invite\?token=(rit_[A-Za-z0-9_%-]+)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || link == nil || strings.Count(r.stdout, "rit_") != 1 || !strings.HasPrefix(r.stdout, "invited grace.hopper@acme.example as Admin (invite ") ||
		!strings.Contains(r.stdout, "shown only this once (valid until 20") {
		t.Fatalf("invite create: %+v", r)
	}
	// JSON: every field the command printed before, and the link.
	inv := jsonObject(t, roster(t, "invite", "create", "--data-dir", dir, "--team", "acme", "--email", "linus@acme.example", "--json",
		"--public-url", "https://roster.example.com/"))
	for _, k := range []string{"id", "email", "role", "status", "created_at", "expires_at", "token", "accept_url"} {
		if inv[k] == nil || inv[k] == "" {
			t.Fatalf("invite JSON lacks %q: %v", k, inv)
		}
	}
	if inv["accept_url"] != "https://roster.example.com/invite?token="+inv["token"].(string) || inv["status"] != "pending" || inv["role"] != "Developer" {
		t.Fatalf("invite JSON: %v", inv)
	}
	env := append(slices.Clone(noRosterEnv), "ROSTER_PUBLIC_URL=https://env.example.com")
	if r := rosterRun(t, runOpt{env: env}, "invite", "create", "--data-dir", dir, "--team", "acme", "--email", "env@acme.example"); !strings.Contains(r.stdout, "https://env.example.com/invite?token=rit_") {
		t.Fatalf("ROSTER_PUBLIC_URL: %+v", r)
	}
	// The same rules as the admin API's invites: no second pending
	// invite for an email, none for a member.
	for _, email := range []string{"linus@acme.example", "a@acme.example"} {
		if r := rosterRun(t, runOpt{env: noRosterEnv}, "invite", "create", "--data-dir", dir, "--team", "acme", "--email", email); r.code != 1 {
			t.Fatalf("invite %s again: %+v", email, r)
		}
	}
	if list := jsonArray(t, roster(t, "invite", "list", "--data-dir", dir, "--team", "acme", "--json")); len(list) != 3 || list[0]["expires_at"] == nil || list[0]["invited_by"] != "cli:operator" {
		t.Fatalf("invite list: %v", list)
	}

	// The token of the printed link is accepted: the person joins, with
	// a name read off the email.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := service.New(st, nil)
	res, err := svc.AcceptInvite(ctx, link[1], "a long enough password", "127.0.0.1", "test", time.Hour, "")
	if err != nil {
		t.Fatalf("the printed link's token: %v", err)
	}
	var attrs map[string]any
	if err := json.Unmarshal(res.Member.Attrs, &attrs); err != nil {
		t.Fatal(err)
	}
	if name, _ := attrs["name"].(map[string]any); name["givenName"] != "Grace" || name["familyName"] != "Hopper" || name["formatted"] != "Grace Hopper" || res.Member.Role != "Admin" {
		t.Fatalf("the member who accepted: %v %v", attrs, res.Member.Role)
	}
}

// TestTeamSlugs: --team finds a slug in any letter case, or says which
// one was meant.
func TestTeamSlugs(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "team", "create", "--data-dir", dir, "--name", "Globex Corp", "--admin-email", "a@globex.example")
	if out := string(roster(t, "scim", "enable", "--data-dir", dir, "--team", "Acme")); out != "SCIM provisioning enabled for team acme\n" {
		t.Fatalf("scim enable --team Acme: %q", out)
	}
	k := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "ACME", "--name", "okta", "--json"))
	if k["team"] != "acme" {
		t.Fatalf("key of --team ACME: %v", k)
	}
	for _, args := range [][]string{{"members", "list"}, {"audit"}, {"provisioning-log"}, {"schema", "list"}, {"team", "policy"}, {"invite", "list"}} {
		if r := rosterRun(t, runOpt{env: noRosterEnv}, append(args, "--data-dir", dir, "--team", "GLOBEX-Corp")...); r.code != 0 {
			t.Errorf("%v --team GLOBEX-Corp: %+v", args, r)
		}
	}
	for slug, want := range map[string]string{
		"acmee":       `roster: no team "acmee"; did you mean "acme"?` + "\n",
		"globex-crop": `roster: no team "globex-crop"; did you mean "globex-corp"?` + "\n",
		"initech":     `roster: team not found: no team with slug "initech"` + "\n",
	} {
		if r := rosterRun(t, runOpt{env: noRosterEnv}, "scim-key", "list", "--data-dir", dir, "--team", slug); r.code != 1 || r.stderr != want {
			t.Errorf("--team %s: %+v, want %q", slug, r, want)
		}
	}
}

// TestListsHaveHeaders: text lists start with a header row (--json is
// unchanged: an array of rows), and an empty list says so.
func TestListsHaveHeaders(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	roster(t, "schema", "add-attribute", "--data-dir", dir, "--team", "acme", "--name", "costCode")
	roster(t, "invite", "create", "--data-dir", dir, "--team", "acme", "--email", "x@acme.example")
	k := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))
	for _, tc := range []struct {
		args   []string
		header string
		rows   int
	}{
		{[]string{"team", "list"}, "SLUG\tID\tSCIM\tNAME", 1},
		{[]string{"scim-key", "list", "--team", "acme"}, "ID\tSTATUS\tPREFIX\tNAME", 1},
		{[]string{"invite", "list", "--team", "acme"}, "ID\tEMAIL\tROLE\tCREATED", 1},
		{[]string{"members", "list", "--team", "acme"}, "ID\tUSERNAME\tSTATUS\tSOURCE\tROLES", 1},
		{[]string{"schema", "list", "--team", "acme"}, "NAME\tTYPE\tMULTIVALUED\tCASEEXACT", 1},
		{[]string{"audit", "--team", "acme", "--limit", "2"}, "AT\tACTOR\tACTION\tTARGET", 2},
	} {
		out := string(roster(t, append(tc.args, "--data-dir", dir)...))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if lines[0] != tc.header || len(lines) != tc.rows+1 || strings.Count(lines[1], "\t") != strings.Count(tc.header, "\t") {
			t.Errorf("%v:\n%s", tc.args, out)
		}
		if list := jsonArray(t, roster(t, append(tc.args, "--data-dir", dir, "--json")...)); len(list) != tc.rows {
			t.Errorf("%v --json: %v", tc.args, list)
		}
	}
	roster(t, "scim-key", "revoke", "--data-dir", dir, "--team", "acme", "--id", k["id"].(string))
	roster(t, "schema", "remove-attribute", "--data-dir", dir, "--team", "acme", "--name", "costCode")
	for args, want := range map[string]string{
		"schema list":             "Team acme has no custom attributes; add one with roster schema add-attribute.\n",
		"provisioning-log":        "No SCIM requests of team acme match.\n",
		"audit --action nothing.": "No audit events of team acme match.\n",
	} {
		if out := string(roster(t, append(strings.Fields(args), "--data-dir", dir, "--team", "acme")...)); out != want {
			t.Errorf("%s: %q, want %q", args, out, want)
		}
	}
}

// TestKeyNamesAndSCIMWarning: scim-key create warns on stderr while the
// team's SCIM is off (the key is made all the same), and refuses a name
// an active key of the team has.
func TestKeyNamesAndSCIMWarning(t *testing.T) {
	dir := t.TempDir()
	roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "a@acme.example")
	r := rosterRun(t, runOpt{env: noRosterEnv}, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json")
	if r.code != 0 || r.stderr != "warning: SCIM provisioning is off for team acme: every request with this key gets 403 until you run: roster scim enable --data-dir "+dir+" --team acme\n" {
		t.Fatalf("key with SCIM off: %+v", r)
	}
	first := jsonObject(t, []byte(r.stdout))
	roster(t, "scim", "enable", "--data-dir", dir, "--team", "acme")
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "entra"); r.code != 0 || r.stderr != "" {
		t.Fatalf("key with SCIM on: %+v", r)
	}
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "Okta"); r.code != 1 ||
		!strings.Contains(r.stderr, `team acme already has an active key named "okta"`) {
		t.Fatalf("a second active okta: %+v", r)
	}
	// Rotation keeps the name.
	nk := jsonObject(t, roster(t, "scim-key", "rotate", "--data-dir", dir, "--team", "acme", "--id", first["id"].(string), "--json"))
	if nk["name"] != "okta" {
		t.Fatalf("rotate: %v", nk)
	}
	if keys := jsonArray(t, roster(t, "scim-key", "list", "--data-dir", dir, "--team", "acme", "--json")); len(keys) != 3 {
		t.Fatalf("keys: %v", keys)
	}
}

// TestTeamCreateNextStepAndAdminName: team create's next step repeats the
// store flag it was given (and works as printed, through a shell), and
// the first admin has the name given, as an IdP's connection test reads
// it (the first user of GET /Users).
func TestTeamCreateNextStepAndAdminName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my roster's data")
	out := string(roster(t, "team", "create", "--data-dir", dir, "--name", "Acme", "--admin-email", "admin@acme.example", "--admin-name", "Ada Lovelace"))
	next := regexp.MustCompile(`(?m)^Next: roster (.*)$`).FindStringSubmatch(out)
	if next == nil || !strings.Contains(next[1], `--data-dir '`) {
		t.Fatalf("team create:\n%s", out)
	}
	sh := exec.Command("sh", "-c", `"$ROSTER_BIN" `+next[1])
	sh.Env = append(os.Environ(), "ROSTER_BIN="+binary, "ROSTER_DATA_DIR=")
	if b, err := sh.CombinedOutput(); err != nil || string(b) != "SCIM provisioning enabled for team acme\n" {
		t.Fatalf("the next step, as printed: %v %s", err, b)
	}
	key := jsonObject(t, roster(t, "scim-key", "create", "--data-dir", dir, "--team", "acme", "--name", "okta", "--json"))
	addr, _ := startServe(t, "", nil, "--data-dir", dir)
	status, body := scimGet(t, "http://"+addr+"/scim/v2/Users?startIndex=1&count=1", key["token"].(string))
	res, _ := body["Resources"].([]any)
	if status != http.StatusOK || len(res) != 1 {
		t.Fatalf("GET /Users: %d %v", status, body)
	}
	name, _ := res[0].(map[string]any)["name"].(map[string]any)
	if name["givenName"] != "Ada" || name["familyName"] != "Lovelace" || name["formatted"] != "Ada Lovelace" {
		t.Fatalf("the first admin's name: %v", res[0])
	}
	// A name that isn't one line of text is refused, and no team is made.
	if r := rosterRun(t, runOpt{env: noRosterEnv}, "team", "create", "--data-dir", dir, "--name", "Beta", "--admin-email", "b@beta.example", "--admin-name", "Ada\nLovelace"); r.code != 1 {
		t.Fatalf("a two-line name: %+v", r)
	}
	if out := string(roster(t, "team", "list", "--data-dir", dir)); strings.Contains(out, "beta") {
		t.Fatalf("a refused team was made:\n%s", out)
	}
}
