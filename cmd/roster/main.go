// Command roster is Roster's single binary: the server and the operator
// CLI. This file only parses arguments and wires packages together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

const usage = `roster: SCIM 2.0 provisioning and team directory

Usage:
  roster serve        [--addr 127.0.0.1:8080] [--data-dir DIR] [--public-url URL] [--trusted-proxies CIDR[,CIDR…]]
  roster team create  --data-dir DIR --name NAME --admin-email EMAIL [--json]
  roster team list    --data-dir DIR [--json]
  roster scim enable  --data-dir DIR --team SLUG
  roster scim disable --data-dir DIR --team SLUG
  roster scim-key create --data-dir DIR --team SLUG --name NAME [--expires-in 2160h] [--json]
  roster scim-key list   --data-dir DIR --team SLUG [--json]
  roster scim-key revoke --data-dir DIR --team SLUG --id ID
  roster scim-key rotate --data-dir DIR --team SLUG --id ID [--grace 24h] [--json]
  roster migrate         --data-dir DIR | --database-url URL
  roster export          --data-dir DIR [--out FILE]       (JSON lines, every table)
  roster import          --database-url URL [--in FILE]    (into an empty store)
  roster team policy     --data-dir DIR --team SLUG [--seat-limit N] [--group-delete-deactivates=true|false] [--json]
  roster group set-roles --data-dir DIR --team SLUG --group ID --roles "Admin,Billing"
  roster invite create   --data-dir DIR --team SLUG --email EMAIL [--role Developer] [--json]
  roster invite list     --data-dir DIR --team SLUG [--json]
  roster invite revoke   --data-dir DIR --team SLUG --id ID
  roster members list    --data-dir DIR --team SLUG [--json]
  roster account set-password --data-dir DIR --email EMAIL   (reads the new password from stdin)
  roster audit           --data-dir DIR --team SLUG [--limit 50] [--json] [--format json|jsonl|csv]
                         [--since T] [--until T] [--actor A] [--action PREFIX] [--target TYPE:ID]
  roster provisioning-log --data-dir DIR --team SLUG [--errors] [--status 4xx] [--since T] [--until T]
                         [--method M] [--path SUBSTR] [--resource ID] [--limit 50] [--json]
  roster bench           [--users 100000] [--clients 16] [--duration 20s] [--scenarios a,b] [--backend sqlite|postgres] [--json]
  roster schema add-attribute    --data-dir DIR --team SLUG --name NAME [--type string] [--multi-valued] [--case-exact]
  roster schema remove-attribute --data-dir DIR --team SLUG --name NAME
  roster schema list             --data-dir DIR --team SLUG [--json]
  roster schema apply            --data-dir DIR --team SLUG --file FILE [--prune] [--json]
                                 (FILE: a JSON array of attributes, as schema list --json prints)

Every command reads ROSTER_DATA_DIR when --data-dir is not given, and works
while a server runs on the same data dir, taking effect at once.

Every command also takes --database-url postgres://… (env
ROSTER_DATABASE_URL): the store is then that PostgreSQL database instead of
the data dir, shared by any number of "roster serve" replicas.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if e, ok := service.AsError(err); ok {
			err = errors.New(e.Message) // the admin API's status code means nothing here
		}
		fmt.Fprintln(os.Stderr, "roster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "team create":
		return teamCreate(ctx, rest, stdout)
	case "team list":
		return teamList(ctx, rest, stdout)
	case "scim enable", "scim disable":
		return scimToggle(ctx, rest, stdout, cmd == "scim enable")
	case "scim-key create":
		return keyCreate(ctx, rest, stdout)
	case "scim-key list":
		return keyList(ctx, rest, stdout)
	case "scim-key revoke":
		return keyRevoke(ctx, rest, stdout)
	case "migrate":
		return migrateCmd(ctx, rest, stdout)
	case "export":
		return exportCmd(ctx, rest, stdout)
	case "import":
		return importCmd(ctx, rest, stdout)
	case "scim-key rotate":
		return keyRotate(ctx, rest, stdout)
	case "team policy":
		return teamPolicy(ctx, rest, stdout)
	case "group set-roles":
		return groupSetRoles(ctx, rest, stdout)
	case "invite create":
		return inviteCreate(ctx, rest, stdout)
	case "invite list":
		return inviteList(ctx, rest, stdout) // accounts.go
	case "invite revoke":
		return inviteRevoke(ctx, rest, stdout)
	case "members list":
		return membersList(ctx, rest, stdout)
	case "account set-password":
		return accountSetPassword(ctx, rest, stdout)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	case "audit":
		return auditList(ctx, rest, stdout) // logs.go
	case "provisioning-log":
		return provLogCmd(ctx, rest, stdout) // logs.go
	case "schema add-attribute":
		return schemaAdd(ctx, rest, stdout)
	case "schema remove-attribute":
		return schemaRemove(ctx, rest, stdout)
	case "schema list":
		return schemaList(ctx, rest, stdout)
	case "schema apply":
		return schemaApply(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// common flags of every command that opens the store.
type storeFlags struct {
	dataDir     string
	databaseURL string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", envOr("ROSTER_DATA_DIR", "./roster-data"), "directory of the embedded store (env ROSTER_DATA_DIR)")
	fs.StringVar(&f.databaseURL, "database-url", os.Getenv("ROSTER_DATABASE_URL"), "PostgreSQL URL, postgres://…; used instead of --data-dir when given (env ROSTER_DATABASE_URL)")
}

// open opens PostgreSQL when a database URL is given, else the embedded
// store in the data dir.
func (f *storeFlags) open(ctx context.Context) (store.Store, error) {
	if f.databaseURL != "" {
		return postgres.Open(ctx, f.databaseURL)
	}
	return sqlite.Open(ctx, f.dataDir)
}

// where names the store for people: the data dir, or "PostgreSQL".
func (f *storeFlags) where() string {
	if f.databaseURL != "" {
		return "PostgreSQL"
	}
	return f.dataDir
}

// cliFlag is the store flag to repeat in suggested commands. The URL may
// hold a password, so it is never printed.
func (f *storeFlags) cliFlag() string {
	if f.databaseURL != "" {
		return `--database-url "$ROSTER_DATABASE_URL"`
	}
	return "--data-dir " + f.dataDir
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func required(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("--%s is required", name)
	}
	return nil
}

var cliActor = service.Actor{Kind: "cli", Name: "operator"}

func withService(ctx context.Context, sf storeFlags, fn func(*service.Service) error) error {
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(service.New(st, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", envOr("ROSTER_ADDR", "127.0.0.1:8080"), "listen address (env ROSTER_ADDR)")
	publicURL := fs.String("public-url", os.Getenv("ROSTER_PUBLIC_URL"), "external origin, e.g. https://roster.example.com (env ROSTER_PUBLIC_URL)")
	maxBody := fs.Int64("max-body-bytes", 1<<20, "largest accepted request body")
	readRate := fs.Float64("scim-read-rate", envFloat("ROSTER_SCIM_READ_RATE", 500), "SCIM reads per second per team (bursts of twice as many; negative: no limit)")
	writeRate := fs.Float64("scim-write-rate", envFloat("ROSTER_SCIM_WRITE_RATE", 200), "SCIM writes per second per team (bursts of twice as many; negative: no limit)")
	logFormat := fs.String("log-format", envOr("ROSTER_LOG_FORMAT", "text"), "log format: text or json")
	provDays := fs.Int("provlog-days", envInt("ROSTER_PROVLOG_DAYS", 30), "days of provisioning log kept (env ROSTER_PROVLOG_DAYS)")
	provRows := fs.Int("provlog-rows", envInt("ROSTER_PROVLOG_ROWS", 100000), "provisioning log entries kept per team (env ROSTER_PROVLOG_ROWS)")
	proxies := fs.String("trusted-proxies", os.Getenv("ROSTER_TRUSTED_PROXIES"), "comma-separated CIDRs of the proxies whose X-Forwarded-For is believed, e.g. 10.0.0.0/8 (env ROSTER_TRUSTED_PROXIES)")
	if err := parse(fs, args); err != nil {
		return err
	}
	trusted, err := server.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("serve: --trusted-proxies: %w", err)
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(server.ContextHandler{Handler: h})

	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	api := server.New(service.New(st, log), log, server.Config{PublicURL: *publicURL, MaxBodyBytes: *maxBody, SCIMReadRate: *readRate, SCIMWriteRate: *writeRate,
		ProvLog: provlog.Config{Days: *provDays, RowsPerTeam: *provRows}, TrustedProxies: trusted})
	defer api.Close() // flushes the provisioning log before the store closes
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := server.NewHTTPServer(*addr, api, log)
	api.SetReady(true)
	base := "http://" + ln.Addr().String() + server.SCIMPrefix
	if *publicURL != "" {
		base = strings.TrimSuffix(*publicURL, "/") + server.SCIMPrefix
	}
	fmt.Fprintf(stdout, `Roster is serving on http://%s (data in %s)
SCIM base URL: %s
Admin console: %s/ (admin API: %s/api/v1)

To get a SCIM API key, in another terminal:
  roster team create %s --name "Acme" --admin-email admin@acme.example
  roster scim enable %s --team acme
  roster scim-key create %s --team acme --name okta
(with "go run ./cmd/roster" in place of "roster" from a source checkout;
team create also prints the admin's one-time password for the console)
`, ln.Addr(), sf.where(), base, strings.TrimSuffix(base, server.SCIMPrefix), strings.TrimSuffix(base, server.SCIMPrefix),
		sf.cliFlag(), sf.cliFlag(), sf.cliFlag())
	log.Info("serving", "addr", ln.Addr().String(), "scim_base_url", base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func teamCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("team create", stdout)
	name := c.requiredString("name", "team name")
	admin := c.requiredString("admin-email", "email of the team's first admin")
	asJSON := c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		t, err := svc.CreateTeam(ctx, *name, *admin, cliActor)
		if err != nil {
			return err
		}
		// The first admin's way in: a one-time password, printed once
		// (accounts.go). "" when the email already has an account.
		pw, pwErr := svc.SetupAdminAccount(ctx, t, cliActor)
		if *asJSON {
			out := teamJSON(t)
			if pw != "" {
				out["admin_password"] = pw
			}
			if err := printJSON(stdout, out); err != nil {
				return err
			}
			return adminAccountError(pwErr, t, c.store)
		}
		fmt.Fprintf(stdout, "Created team %q with slug %s (id %s). Admin: %s\nNext: roster scim enable --team %s\n", t.Name, t.Slug, t.ID, t.AdminEmail, t.Slug)
		printAdminPassword(stdout, t, pw)
		return adminAccountError(pwErr, t, c.store)
	})
}

func teamJSON(t store.Team) map[string]any {
	return map[string]any{"id": t.ID, "slug": t.Slug, "name": t.Name, "admin_email": t.AdminEmail,
		"scim_enabled": t.SCIMEnabled, "created_at": t.Created.UTC().Format(time.RFC3339)}
}

func teamList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("team list", stdout)
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		teams, err := svc.Teams(ctx)
		if err != nil {
			return err
		}
		out := c.list()
		for _, t := range teams {
			out.add(teamJSON(t), "%s\t%s\tscim=%v\t%s\n", t.Slug, t.ID, t.SCIMEnabled, t.Name)
		}
		return out.done()
	})
}

func scimToggle(ctx context.Context, args []string, stdout io.Writer, on bool) error {
	name := "scim disable"
	if on {
		name = "scim enable"
	}
	c := newCommand(name, stdout)
	team := c.team()
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		t, err := svc.SetSCIM(ctx, *team, on, cliActor)
		if err != nil {
			return err
		}
		state := "disabled"
		if on {
			state = "enabled"
		}
		return c.print(teamJSON(t), "SCIM provisioning %s for team %s\n", state, t.Slug)
	})
}

func keyCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("scim-key create", stdout)
	team := c.team()
	name := c.requiredString("name", "a name for the key, such as the IdP it is for")
	expiresIn := c.fs.Duration("expires-in", 0, "lifetime of the key (e.g. 2160h); 0 means it never expires")
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	if *expiresIn < 0 {
		return errors.New("--expires-in must not be negative")
	}
	return c.withService(ctx, func(svc *service.Service) error {
		var exp *time.Time
		if *expiresIn > 0 {
			t := svc.Now().Add(*expiresIn)
			exp = &t
		}
		nk, err := svc.CreateKey(ctx, *team, *name, exp, cliActor)
		if err != nil {
			return err
		}
		out := service.ViewOfNewKey(nk, svc.Now())
		out.Team = *team
		return c.print(out, "SCIM API key %q created for team %s. It is shown only this once:\n\n  %s\n\nPaste it into your IdP as the API token (Authorization: Bearer <key>).\n", nk.Key.Name, *team, nk.Token)
	})
}

func keyList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("scim-key list", stdout)
	team := c.team()
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		keys, err := svc.ListKeys(ctx, *team)
		if err != nil {
			return err
		}
		now := svc.Now()
		out := c.list()
		for _, k := range keys {
			out.add(service.ViewOfKey(k, now), "%s\t%s\t%s…\t%s\n", k.ID, service.KeyStatus(k, now), k.Prefix, k.Name)
		}
		return out.done()
	})
}

func keyRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("scim-key revoke", stdout)
	team := c.team()
	id := c.id("key id")
	return c.run(ctx, args, func(svc *service.Service) error {
		if err := svc.RevokeKey(ctx, *team, *id, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %s revoked\n", *id)
		return nil
	})
}

func inviteCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("invite create", stdout)
	team := c.team()
	email := c.requiredString("email", "email to invite")
	role := c.fs.String("role", service.RoleDeveloper, "role on joining")
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		inv, err := svc.CreateInvite(ctx, *team, *email, *role, cliActor)
		if err != nil {
			return err
		}
		return c.print(map[string]any{"id": inv.ID, "email": inv.Email, "role": inv.Role, "status": inv.Status,
			"created_at": inv.Created.UTC().Format(time.RFC3339)}, "invited %s as %s (invite %s)\n", inv.Email, inv.Role, inv.ID)
	})
}
