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
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rosterhq/roster/internal/provlog"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

const usage = `roster: SCIM 2.0 provisioning and team directory

Usage:
  roster serve        [--addr 127.0.0.1:8080] [--data-dir DIR] [--public-url URL] [--trusted-proxies CIDR[,CIDR…]]
  roster team create  --data-dir DIR --name NAME --admin-email EMAIL [--admin-name "GIVEN FAMILY"] [--json]
  roster team list    --data-dir DIR [--json]
  roster scim enable  --data-dir DIR --team SLUG
  roster scim disable --data-dir DIR --team SLUG
  roster scim-key create --data-dir DIR --team SLUG --name NAME [--expires-in 90d] [--json]
  roster scim-key list   --data-dir DIR --team SLUG [--json]
  roster scim-key revoke --data-dir DIR --team SLUG --id ID
  roster scim-key rotate --data-dir DIR --team SLUG --id ID [--grace 1d] [--json]
  roster migrate         --data-dir DIR | --database-url URL
  roster export          --data-dir DIR [--out FILE]       (JSON lines, every table)
  roster import          --database-url URL [--in FILE]    (into an empty store)
  roster backup          --data-dir DIR --out FILE [--json]   (SQLite, while serve runs)
  roster restore         --in FILE --data-dir NEW-DIR [--json] (into an empty data dir)
  roster healthcheck     [--url http://127.0.0.1:8080/healthz/ready]   (exit 0 when ready)
  roster team policy     --data-dir DIR --team SLUG [--seat-limit N] [--group-delete-deactivates=true|false] [--json]
  roster group set-roles --data-dir DIR --team SLUG --group ID --roles "Admin,Billing"
  roster invite create   --data-dir DIR --team SLUG --email EMAIL [--role Developer] [--public-url URL] [--json]
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
  roster sso saml create --data-dir DIR --team SLUG (--idp-metadata-file F | --idp-metadata-url URL) [--name N] [--preset okta|entra|onelogin|jumpcloud|google] [--public-url URL] [--json]
  roster sso oidc create --data-dir DIR --team SLUG --issuer URL --client-id ID --client-secret-file F [--name N] [--public-url URL] [--json]
  roster sso list        --data-dir DIR --team SLUG [--json]
  roster sso enable      --data-dir DIR --team SLUG --id ID
  roster sso disable     --data-dir DIR --team SLUG --id ID
  roster sso delete      --data-dir DIR --team SLUG --id ID
  roster sso policy      --data-dir DIR --team SLUG [--require-sso=true|false] [--jit=true|false] [--domains a.example,b.example|none]
                         [--allow-idp-initiated=ID] [--deny-idp-initiated=ID] [--json]
  roster sso traces      --data-dir DIR --team SLUG [--limit 50] [--json]
  roster events          --data-dir DIR --team SLUG [--after CURSOR] [--limit N] [--json]
  roster webhook create  --data-dir DIR --team SLUG --url URL [--types member.*,group.*] [--description D] [--json]
  roster webhook list    --data-dir DIR --team SLUG [--json]
  roster webhook enable  --data-dir DIR --team SLUG --id ID
  roster webhook disable --data-dir DIR --team SLUG --id ID
  roster webhook delete  --data-dir DIR --team SLUG --id ID
  roster webhook deliveries --data-dir DIR --team SLUG --id ID [--limit 100] [--json]
  roster webhook replay  --data-dir DIR --team SLUG --id ID (--since-seq N | --seq N) [--json]
  roster version         [--json]
  roster help [COMMAND]  (or: roster COMMAND --help)

Every command reads ROSTER_DATA_DIR when --data-dir is not given, and works
while a server runs on the same data dir, taking effect at once.

Every command also takes --database-url postgres://… (env
ROSTER_DATABASE_URL): the store is then that PostgreSQL database instead of
the data dir, shared by any number of "roster serve" replicas.

Only serve, team create, migrate and import create a store; the other
commands refuse a data dir or database that holds none. Durations take
days as well as hours: 90d, 1d12h, 36h.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		code := 1
		var ec *exitCode
		if errors.As(err, &ec) {
			code = ec.code
		}
		if e, ok := service.AsError(err); ok {
			err = errors.New(e.Message) // the admin API's status code means nothing here
		}
		fmt.Fprintln(os.Stderr, "roster:", err)
		os.Exit(code)
	}
}

// cliCommand is one command: its name ("scim-key create"), what it does
// (shown by a group's list and its --help) and its function.
type cliCommand struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// out adapts a command that writes only to stdout.
func out(fn func(context.Context, []string, io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, _ io.Writer) error { return fn(ctx, args, stdout) }
}

// commands is every command; a name of two words is a subcommand of the
// group its first word names (roster team lists the team commands).
var commands = []cliCommand{
	{"serve", "runs the server: SCIM, the admin API and the console", serve},
	{"team create", "creates a team and its first admin (a Super Admin), and prints the admin's one-time password", out(teamCreate)},
	{"team list", "lists the teams", out(teamList)},
	{"team policy", "shows a team's seat limit and group-deletion rule, or sets them", out(teamPolicy)},
	{"scim enable", "switches SCIM provisioning on for a team", scimEnable},
	{"scim disable", "switches SCIM provisioning off for a team", scimDisable},
	{"scim-key create", "creates a SCIM API key for a team and prints it once", keyCreate},
	{"scim-key list", "lists a team's SCIM keys: status, prefix, last use (never the key)", out(keyList)},
	{"scim-key revoke", "revokes a SCIM key at once", out(keyRevoke)},
	{"scim-key rotate", "replaces a SCIM key; the old one works for a grace period", out(keyRotate)},
	{"migrate", "applies the schema migrations (creating the store if there is none)", out(migrateCmd)},
	{"export", "writes every table of the store as JSON lines", out(exportCmd)},
	{"import", "reads an export into an empty store (creating it if there is none)", out(importCmd)},
	{"backup", "copies the SQLite store to a file while the server runs, and checks the copy", out(backupCmd)}, // backup.go
	{"restore", "makes a backup the store of a new, empty data dir, and checks it", out(restoreCmd)},           // backup.go
	{"healthcheck", "asks a running server's /healthz/ready; exits 0 when it is ready (a container's HEALTHCHECK)", out(healthcheckCmd)},
	{"group set-roles", "sets the roles a group's members hold", out(groupSetRoles)},
	{"invite create", "invites an email to a team and prints the invite link once", out(inviteCreate)},
	{"invite list", "lists a team's pending invites", out(inviteList)}, // accounts.go
	{"invite revoke", "revokes a pending invite", out(inviteRevoke)},
	{"members list", "lists a team's members", out(membersList)},
	{"account set-password", "sets (or creates) an account's password, read from stdin, and ends its sessions", out(accountSetPassword)},
	{"bench", "runs the load benchmark", benchCmd},
	{"audit", "shows a team's audit events, newest first, or exports them", out(auditList)},          // logs.go
	{"provisioning-log", "shows the SCIM requests a team's IdP made, newest first", out(provLogCmd)}, // logs.go
	{"schema add-attribute", "adds a custom User attribute to a team's schema", out(schemaAdd)},
	{"schema remove-attribute", "withdraws a custom User attribute", out(schemaRemove)},
	{"schema list", "lists a team's custom User attributes", out(schemaList)},
	{"schema apply", "declares a team's custom User attributes from a file", out(schemaApply)},
	// sso.go: a team's single sign-on.
	{"sso saml", "adds a SAML 2.0 connection to a team (roster sso saml create)", out(ssoSAMLCreate)},
	{"sso oidc", "adds an OpenID Connect connection to a team (roster sso oidc create)", out(ssoOIDCCreate)},
	{"sso list", "lists a team's SSO connections and the URLs to give each IdP", out(ssoList)},
	{"sso enable", "enables an SSO connection", out(ssoToggle("enable"))},
	{"sso disable", "disables an SSO connection: it refuses every sign-in at once", out(ssoToggle("disable"))},
	{"sso delete", "deletes an SSO connection and the identities made through it", out(ssoToggle("delete"))},
	{"sso policy", "shows or sets a team's sign-in policy (require SSO, just-in-time members, domains, IdP-initiated)", out(ssoPolicy)},
	{"sso traces", "shows a team's sign-in attempts through its IdPs, newest first, with why each failed", out(ssoTraces)},
	// events.go: the event stream and webhooks (docs/events.md).
	{"events", "prints a team's events after a cursor, oldest first, as the pull API does", out(eventsList)},
	{"webhook create", "adds a webhook to a team and prints its signing secret once", out(webhookCreate)},
	{"webhook list", "lists a team's webhooks: status, URL, types, how far each is delivered", out(webhookList)},
	{"webhook enable", "enables a webhook: it goes on from the event it stopped at, at once", out(webhookToggle("enable"))},
	{"webhook disable", "disables a webhook: events wait for it until it is enabled", out(webhookToggle("disable"))},
	{"webhook delete", "deletes a webhook and its delivery log", out(webhookToggle("delete"))},
	{"webhook deliveries", "shows a webhook's delivery attempts, newest first: status, latency, error", out(webhookDeliveries)},
	{"webhook replay", "sends a webhook events again: one, or every one since a seq", out(webhookReplay)},
	{"version", "prints the version, VCS revision, build time and Go version of this binary", versionCmd},
}

// findCommand is the command called name.
func findCommand(name string) *cliCommand {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// isGroup says whether name is the first word of commands of two words.
func isGroup(name string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name+" ") {
			return true
		}
	}
	return false
}

// exitCode is an error that exits with its own code: 2 for a command
// line that names no command (roster team), as is the convention.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string { return e.err.Error() }
func (e *exitCode) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) == 1 {
			fmt.Fprint(stdout, usage)
			return nil
		}
		return helpCmd(ctx, args[1:], stdout, stderr)
	case "--version":
		return versionCmd(ctx, args[1:], stdout, stderr)
	}
	name, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = name+" "+rest[0], rest[1:]
	}
	cmd := findCommand(name)
	if cmd == nil {
		group, _, _ := strings.Cut(name, " ")
		if isGroup(group) {
			if group == name && len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help") {
				printGroup(stdout, group)
				return nil
			}
			printGroup(stderr, group)
			if group == name {
				return &exitCode{2, fmt.Errorf("%s: missing subcommand", group)}
			}
			return &exitCode{2, fmt.Errorf("unknown command %q", name)}
		}
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", name)
	}
	err := cmd.run(ctx, rest, stdout, stderr)
	if h, ok := errors.AsType[*helpRequest](err); ok {
		printCommandHelp(stdout, cmd, h.fs)
		return nil
	}
	return err
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
	sf := storeFlags{create: true}
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address, host:port; an empty host or 0.0.0.0 listens on every interface (env ROSTER_ADDR)")
	publicURL := fs.String("public-url", "", "external origin, e.g. https://roster.example.com: the base of the URLs Roster prints and links to (env ROSTER_PUBLIC_URL)")
	maxBody := fs.Int64("max-body-bytes", 1<<20, "largest accepted request body")
	readRate := fs.Float64("scim-read-rate", 500, "SCIM reads per second per team (bursts of twice as many; negative: no limit) (env ROSTER_SCIM_READ_RATE)")
	writeRate := fs.Float64("scim-write-rate", 200, "SCIM writes per second per team (bursts of twice as many; negative: no limit) (env ROSTER_SCIM_WRITE_RATE)")
	logFormat := choiceFlag(fs, "log-format", "", []string{"text", "json"}, "log format: text or json; default text on a terminal, json otherwise (env ROSTER_LOG_FORMAT)")
	provDays := fs.Int("provlog-days", 30, "days of provisioning log kept (env ROSTER_PROVLOG_DAYS)")
	provRows := fs.Int("provlog-rows", 100000, "provisioning log entries kept per team (env ROSTER_PROVLOG_ROWS)")
	proxies := fs.String("trusted-proxies", "", "comma-separated CIDRs of the proxies whose X-Forwarded-For is believed, e.g. 10.0.0.0/8 (env ROSTER_TRUSTED_PROXIES)")
	ssoPrivate := fs.Bool("sso-allow-private-networks", false, "let SSO reach IdPs (metadata URLs, OIDC issuers) on private and loopback addresses; off, a team admin can't make Roster fetch from its own network (env ROSTER_SSO_ALLOW_PRIVATE_NETWORKS)")
	retention := durationFlag(fs, "event-retention", service.DefaultEventRetention, "how long events are kept for the pull API, webhook retries and replays; a cursor older than that gets 410 (env ROSTER_EVENT_RETENTION)")
	hooksPrivate := fs.Bool("webhooks-allow-private-networks", false, "let webhooks reach receivers on private and loopback addresses (http only to loopback); off, a team admin can't make Roster post into its own network (env ROSTER_WEBHOOKS_ALLOW_PRIVATE_NETWORKS)")
	var ops opsFlags // metrics, TLS, backups, shutdown (serve_ops.go)
	ops.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *retention < time.Hour {
		return fmt.Errorf("serve: --event-retention must be at least 1h (default 30d), not %s", *retention)
	}
	if err := ops.check(fs, sf, *addr); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if *logFormat == "" {
		*logFormat = defaultLogFormat(stderr)
	}
	if err := checkPublicURL(*publicURL); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if err := checkAddr(*addr); err != nil {
		return fmt.Errorf("serve: %w", err)
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
	op, err := ops.setup(sf, st, log)
	if err != nil {
		return err
	}
	api := server.New(service.New(st, log), log, op.config(server.Config{PublicURL: *publicURL, MaxBodyBytes: *maxBody, SCIMReadRate: *readRate, SCIMWriteRate: *writeRate,
		ProvLog: provlog.Config{Days: *provDays, RowsPerTeam: *provRows}, TrustedProxies: trusted, SSOAllowPrivateNetworks: *ssoPrivate,
		Events: service.EventsConfig{Retention: *retention, AllowPrivateNetworks: *hooksPrivate}}))
	defer api.Close()                                    // stops the webhook worker, flushes the provisioning log before the store closes
	op.onShutdown("webhook delivery", api.DrainWebhooks) // after the requests in flight
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := server.NewHTTPServer(*addr, api, log)
	api.SetReady(true)
	origin, everywhere := publicOrigin(ln.Addr(), *addr, *publicURL)
	origin = op.origin(origin, *publicURL, ln.Addr()) // https with TLS
	base := origin + server.SCIMPrefix
	listening := op.scheme() + "://" + ln.Addr().String()
	if everywhere {
		listening = origin + " (every interface)"
	}
	fmt.Fprintf(stdout, `Roster is serving on %s (data in %s)
SCIM base URL: %s
`, listening, sf.where(), base)
	if everywhere {
		fmt.Fprintf(stdout, "  (named after this machine: if your IdP reaches it by another name or through a proxy, set --public-url)\n")
	}
	fmt.Fprintf(stdout, `Admin console: %s/ (admin API: %s/api/v1)

To get a SCIM API key, in another terminal:
  roster team create %s --name "Acme" --admin-email admin@acme.example
  roster scim enable %s --team acme
  roster scim-key create %s --team acme --name okta
(with "go run ./cmd/roster" in place of "roster" from a source checkout;
team create also prints the admin's one-time password for the console)
`, origin, origin, sf.cliFlag(), sf.cliFlag(), sf.cliFlag())
	log.Info("serving", "addr", ln.Addr().String(), "scim_base_url", base)

	return op.run(ctx, srv, ln, api) // serves until SIGTERM, then shuts down gracefully (serve_ops.go)
}

func teamCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("team create", stdout)
	c.store.create = true
	name := c.requiredString("name", "team name")
	admin := c.requiredString("admin-email", "email of the team's first admin")
	adminName := c.fs.String("admin-name", "", `the first admin's full name, e.g. "Ada Lovelace" or "Lovelace, Ada" (default: read off the email)`)
	asJSON := c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		t, err := svc.CreateTeamWithAdmin(ctx, *name, *admin, *adminName, cliActor)
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
		fmt.Fprintf(stdout, "Created team %q with slug %s (id %s). Admin: %s\nNext: roster scim enable %s --team %s\n", t.Name, t.Slug, t.ID, t.AdminEmail, c.store.cliFlag(), t.Slug)
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
		out := c.list("SLUG\tID\tSCIM\tNAME", fmt.Sprintf("No teams in %s yet; create one with: roster team create %s --name NAME --admin-email EMAIL", c.store.where(), c.store.cliFlag()))
		for _, t := range teams {
			out.add(teamJSON(t), "%s\t%s\tscim=%v\t%s\n", t.Slug, t.ID, t.SCIMEnabled, t.Name)
		}
		return out.done()
	})
}

func scimEnable(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return scimToggle(ctx, args, stdout, true)
}

func scimDisable(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return scimToggle(ctx, args, stdout, false)
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

func keyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("scim-key create", stdout)
	team := c.team()
	name := c.requiredString("name", "a name for the key, such as the IdP it is for; two active keys of a team can't share one")
	expiresIn := durationFlag(c.fs, "expires-in", 0, "lifetime of the key, e.g. 90d or 2160h; 0 means it never expires")
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
		if !c.teamRec.SCIMEnabled {
			fmt.Fprintf(stderr, "warning: SCIM provisioning is off for team %s: every request with this key gets 403 until you run: roster scim enable %s --team %s\n",
				*team, c.store.cliFlag(), *team)
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
		out := c.list("ID\tSTATUS\tPREFIX\tNAME", fmt.Sprintf("Team %s has no SCIM keys; create one with: roster scim-key create %s --team %s --name okta", *team, c.store.cliFlag(), *team))
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

// defaultPublicURL is where invite links point when no --public-url (or
// ROSTER_PUBLIC_URL) says: roster serve's own default address.
const defaultPublicURL = "http://localhost:8080"

func inviteCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("invite create", stdout)
	c.team()
	email := c.requiredString("email", "email to invite")
	role := c.fs.String("role", service.RoleDeveloper, "role on joining: Super Admin, Admin, Billing or Developer")
	publicURL := c.fs.String("public-url", defaultPublicURL, "the server's external origin, the base of the invite link (env ROSTER_PUBLIC_URL)")
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	if err := checkPublicURL(*publicURL); err != nil {
		return fmt.Errorf("invite create: %w", err)
	}
	return c.withCaller(ctx, func(svc *service.Service, caller service.Caller) error {
		ni, err := svc.InviteMember(ctx, caller, *email, *role)
		if err != nil {
			return err
		}
		inv := ni.Invite
		link := strings.TrimSuffix(*publicURL, "/") + "/invite?token=" + url.QueryEscape(ni.Token)
		var expires any
		until := "it doesn't expire"
		if inv.ExpiresAt != nil {
			expires = inv.ExpiresAt.UTC().Format(time.RFC3339)
			until = "valid until " + expires.(string)
		}
		return c.print(map[string]any{"id": inv.ID, "email": inv.Email, "role": inv.Role, "status": inv.Status,
			"created_at": inv.Created.UTC().Format(time.RFC3339), "expires_at": expires, "token": ni.Token, "accept_url": link},
			"invited %s as %s (invite %s)\nSend them this link; it is shown only this once (%s):\n\n  %s\n\n", inv.Email, inv.Role, inv.ID, until, link)
	})
}
