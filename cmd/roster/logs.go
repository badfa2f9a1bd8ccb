package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// timeFlag parses an optional RFC 3339 flag value.
func timeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, fmt.Errorf("--%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z: %w", name, err)
	}
	return t, nil
}

// timeRange is the --since and --until of a log command.
type timeRange struct{ since, until string }

// timeRange adds --since and --until; what names the entries ("events").
func (c *command) timeRange(what string) *timeRange {
	r := &timeRange{}
	c.fs.StringVar(&r.since, "since", "", "only "+what+" at or after this RFC 3339 time")
	c.fs.StringVar(&r.until, "until", "", "only "+what+" before this RFC 3339 time")
	return r
}

// times parses the flags given (timeFlag); zero times for those not given.
func (r *timeRange) times() (since, until time.Time, err error) {
	if since, err = timeFlag("since", r.since); err != nil {
		return since, until, err
	}
	until, err = timeFlag("until", r.until)
	return since, until, err
}

// auditList is `roster audit`. With --json (or --format json) it prints
// a JSON array, newest first, each event with "at", "actor", "action" and
// "target" (a contract); jsonl and csv export every matching event unless
// --limit is given.
func auditList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("audit", stdout)
	fs := c.fs
	team := c.team()
	limit := fs.Int("limit", 0, "how many events, newest first (default 50; for jsonl and csv: all)")
	asJSON := c.jsonUsage("print a JSON array (same as --format json)")
	format := fs.String("format", "", "output: text, json, jsonl or csv")
	times := c.timeRange("events")
	actor := fs.String("actor", "", `only this actor, e.g. "scim-key:okta" or "cli:operator"`)
	action := fs.String("action", "", `only actions starting with this, e.g. "user." or "scim_key.revoke"`)
	target := fs.String("target", "", `only this target: "type:id" (user:ID) or a type (user)`)
	if err := c.parse(args); err != nil {
		return err
	}
	if *format == "" {
		*format = "text"
		if *asJSON {
			*format = "json"
		}
	}
	switch *format {
	case "text", "json", "jsonl", "csv":
	default:
		return fmt.Errorf("--format must be text, json, jsonl or csv, not %q", *format)
	}
	if *limit < 0 {
		return errors.New("--limit must not be negative")
	}
	var q store.AuditQuery
	var err error
	if q.Since, q.Until, err = times.times(); err != nil {
		return err
	}
	q.Actor, q.ActionPrefix = *actor, *action
	q.TargetType, q.TargetID, _ = strings.Cut(*target, ":")
	return c.withService(ctx, func(svc *service.Service) error {
		teamID, err := svc.TeamID(ctx, *team)
		if err != nil {
			return err
		}
		if (*format == "jsonl" || *format == "csv") && *limit == 0 {
			return svc.ExportAudit(ctx, teamID, q, *format, stdout)
		}
		events, err := auditEvents(ctx, svc, teamID, q, *limit)
		if err != nil {
			return err
		}
		switch *format {
		case "jsonl":
			return service.WriteAuditJSONL(stdout, events)
		case "csv":
			return service.WriteAuditCSV(stdout, events)
		case "json":
			out := make([]any, 0, len(events))
			for _, e := range events {
				out = append(out, service.AuditRecord(e))
			}
			return printJSON(stdout, out)
		}
		out := textList{w: stdout, header: "AT\tACTOR\tACTION\tTARGET"}
		for _, e := range events {
			out.row("%s\t%s\t%s\t%s:%s\n", e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.TargetType, e.TargetID)
		}
		out.done(fmt.Sprintf("No audit events of team %s match.", *team))
		return nil
	})
}

// auditEvents reads up to limit events (default 50), a page at a time.
func auditEvents(ctx context.Context, svc *service.Service, teamID string, q store.AuditQuery, limit int) ([]store.AuditEvent, error) {
	if limit == 0 {
		limit = 50
	}
	var out []store.AuditEvent
	for len(out) < limit {
		q.Limit = min(limit-len(out), service.MaxLogPage)
		p, err := svc.QueryAudit(ctx, teamID, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Events...)
		if p.Next == "" {
			break
		}
		q.After, _ = service.DecodeCursor(p.Next)
	}
	return out, nil
}

// provLogCmd is `roster provisioning-log`: the team's SCIM requests,
// newest first.
func provLogCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("provisioning-log", stdout)
	fs := c.fs
	team := c.team()
	errorsOnly := fs.Bool("errors", false, "only failed requests (status >= 400)")
	status := fs.String("status", "", `only this status: a code (409), a class (4xx) or "error"`)
	times := c.timeRange("requests")
	method := fs.String("method", "", "only this HTTP method")
	path := fs.String("path", "", "only paths containing this")
	resource := fs.String("resource", "", "only requests about this user or group id")
	limit := fs.Int("limit", 50, "how many entries, newest first (at most 1000)")
	asJSON := c.jsonUsage("print a JSON array, request bodies (redacted) included")
	if err := c.parse(args); err != nil {
		return err
	}
	if *limit <= 0 || *limit > service.MaxLogPage {
		return fmt.Errorf("--limit must be from 1 to %d", service.MaxLogPage)
	}
	q := store.ProvisioningQuery{Method: *method, PathContains: *path, ResourceID: *resource, Limit: *limit}
	var err error
	if q.Since, q.Until, err = times.times(); err != nil {
		return err
	}
	if q.MinStatus, q.MaxStatus, err = service.ParseStatusFilter(*status); err != nil {
		return err
	}
	if *errorsOnly && q.MinStatus < 400 {
		q.MinStatus = 400
	}
	return c.withService(ctx, func(svc *service.Service) error {
		teamID, err := svc.TeamID(ctx, *team)
		if err != nil {
			return err
		}
		p, err := svc.ProvisioningLog(ctx, teamID, q)
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]any, 0, len(p.Entries))
			for _, e := range p.Entries {
				out = append(out, service.ProvisioningRecord(e, true))
			}
			return printJSON(stdout, out)
		}
		out := textList{w: stdout, header: "AT\tSTATUS\tREQUEST\tLATENCY\tKEY\tERROR"}
		for _, e := range p.Entries {
			target := e.Path
			if e.Query != "" {
				target += "?" + e.Query
			}
			out.row("%s\t%d\t%s %s\t%dms\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.Status, e.Method, target,
				e.Latency.Milliseconds(), e.KeyName, e.ErrorDetail)
		}
		out.done(fmt.Sprintf("No SCIM requests of team %s match.", *team))
		return nil
	})
}
