package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// command is what most CLI commands share: a flag set with the store
// flags (--data-dir, --database-url), the flags that must not be empty,
// an optional --json, and where output goes.
type command struct {
	fs       *flag.FlagSet
	store    storeFlags
	stdout   io.Writer
	teamSlug *string // --team, when the command has it
	// teamRec is the team --team names, once withService found it.
	teamRec  store.Team
	asJSON   *bool
	required []requiredFlag
}

type requiredFlag struct {
	name string
	v    *string
}

// newCommand starts the flag set of the command called name ("scim-key
// list"), with the store flags registered.
func newCommand(name string, stdout io.Writer) *command {
	c := &command{fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout}
	c.store.register(c.fs)
	return c
}

// team adds the required --team flag.
func (c *command) team() *string {
	c.teamSlug = c.requiredString("team", "team slug")
	return c.teamSlug
}

// id adds the required --id flag.
func (c *command) id(usage string) *string { return c.requiredString("id", usage) }

// requiredString adds a string flag that must not be empty.
func (c *command) requiredString(name, usage string) *string {
	v := c.fs.String(name, "", usage)
	c.require(name, v)
	return v
}

// require makes the flag name, already bound to v, one that must not be
// empty. The checks run in the order of the calls.
func (c *command) require(name string, v *string) {
	c.required = append(c.required, requiredFlag{name, v})
}

// jsonFlag adds --json, "print JSON".
func (c *command) jsonFlag() *bool { return c.jsonUsage("print JSON") }

// jsonUsage adds --json with its own usage text.
func (c *command) jsonUsage(usage string) *bool {
	c.asJSON = c.fs.Bool("json", false, usage)
	return c.asJSON
}

// parse parses args and reports every required flag left empty.
func (c *command) parse(args []string) error {
	if err := parse(c.fs, args); err != nil {
		return err
	}
	var errs []error
	for _, r := range c.required {
		if err := required(r.name, *r.v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// withService opens the store and calls fn with a service on it; parse
// comes first. A command with --team finds its team first, in any letter
// case (--team Acme is acme), or says which slug was meant; fn then sees
// the team's own slug in --team.
func (c *command) withService(ctx context.Context, fn func(*service.Service) error) error {
	return withService(ctx, c.store, func(svc *service.Service) error {
		if c.teamSlug != nil {
			t, err := svc.OperatorTeam(ctx, *c.teamSlug)
			if err != nil {
				return err
			}
			c.teamRec, *c.teamSlug = t, t.Slug
		}
		return fn(svc)
	})
}

// run parses args, then runs fn with the service: parse and withService,
// for commands that check nothing more in between.
func (c *command) run(ctx context.Context, args []string, fn func(*service.Service) error) error {
	if err := c.parse(args); err != nil {
		return err
	}
	return c.withService(ctx, fn)
}

// runAs is run for a command acting on its --team as the CLI operator
// (cliCaller).
func (c *command) runAs(ctx context.Context, args []string, fn func(*service.Service, service.Caller) error) error {
	if err := c.parse(args); err != nil {
		return err
	}
	return c.withCaller(ctx, fn)
}

// withCaller is withService for a command acting on its --team as the
// CLI operator: it has every role, and its audit actor is the CLI's.
func (c *command) withCaller(ctx context.Context, fn func(*service.Service, service.Caller) error) error {
	return c.withService(ctx, func(svc *service.Service) error {
		return fn(svc, service.Caller{Actor: cliActor, Team: c.teamRec, Roles: service.AllRoles})
	})
}

// print writes v as JSON with --json, else the text of format and args.
func (c *command) print(v any, format string, args ...any) error {
	if c.asJSON != nil && *c.asJSON {
		return printJSON(c.stdout, v)
	}
	fmt.Fprintf(c.stdout, format, args...)
	return nil
}

// list starts the output of a list command (see listOutput): header is
// its text header row (tab-separated), empty what it says without rows.
func (c *command) list(header, empty string) *listOutput {
	return &listOutput{w: c.stdout, asJSON: c.asJSON != nil && *c.asJSON, rows: []any{}, header: header, empty: empty}
}

// listOutput is the output of a list command: with --json, a JSON array
// of every row, printed at the end; else a header row, then a text line
// a row, printed as it comes, or a sentence saying there is none.
type listOutput struct {
	w      io.Writer
	asJSON bool
	rows   []any
	header string
	empty  string
}

// add adds a row: its JSON value, and its text line.
func (l *listOutput) add(v any, format string, args ...any) {
	l.rows = append(l.rows, v)
	if !l.asJSON {
		if len(l.rows) == 1 {
			fmt.Fprintln(l.w, l.header)
		}
		fmt.Fprintf(l.w, format, args...)
	}
}

// done prints the JSON array, with --json, or the empty list's sentence.
func (l *listOutput) done() error {
	if l.asJSON {
		return printJSON(l.w, l.rows)
	}
	if len(l.rows) == 0 && l.empty != "" {
		fmt.Fprintln(l.w, l.empty)
	}
	return nil
}

// textList is listOutput for the commands whose --json prints otherwise:
// the header before the first row, the sentence when there is none.
type textList struct {
	w       io.Writer
	header  string
	printed bool
}

// row prints one line, after the header the first time.
func (t *textList) row(format string, args ...any) {
	if !t.printed {
		fmt.Fprintln(t.w, t.header)
		t.printed = true
	}
	fmt.Fprintf(t.w, format, args...)
}

// done prints empty when no row was.
func (t *textList) done(empty string) {
	if !t.printed {
		fmt.Fprintln(t.w, empty)
	}
}
