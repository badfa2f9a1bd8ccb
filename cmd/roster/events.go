package main

// roster events and roster webhook …: a team's event stream and its
// webhooks (docs/events.md), as the operator, while a server runs on the
// same store. Scripts outside this repository rely on these forms and
// JSON shapes; keep them.
//
//	roster events --team SLUG [--after CURSOR] [--limit N] --json       {"data":[…],"next_cursor":…,"has_more":…}, as the API
//	roster webhook create --team SLUG --url URL [--types member.*,group.*] --json   {"id","url","secret"}, the secret once
//	roster webhook list --team SLUG [--json]
//	roster webhook disable|enable|delete --team SLUG --id ID
//	roster webhook deliveries --team SLUG --id ID [--limit N] --json
//	roster webhook replay --team SLUG --id ID (--since-seq N | --seq N) [--json]

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rosterhq/roster/internal/service"
)

// eventsList is `roster events`: one page of the team's events after the
// cursor, oldest first; with --json the pull API's answer, field for field.
func eventsList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("events", stdout)
	c.team()
	after := c.fs.String("after", "", "the cursor: a page's next_cursor, or the seq of the last event you processed (default: from the oldest event kept)")
	limit := c.fs.Int("limit", service.DefaultEventLimit, fmt.Sprintf("how many events, oldest first (at most %d)", service.MaxEventLimit))
	c.jsonUsage(`print the page as the API does: {"data":[…],"next_cursor":…,"has_more":…}`)
	return c.run(ctx, args, func(svc *service.Service) error {
		if *limit < 1 || *limit > service.MaxEventLimit {
			return fmt.Errorf("--limit must be from 1 to %d, not %d", service.MaxEventLimit, *limit)
		}
		page, err := svc.TeamEvents(ctx, *c.teamSlug, service.EventQuery{After: strings.TrimSpace(*after), Limit: *limit})
		if err != nil {
			return err
		}
		if *c.asJSON {
			return printJSON(stdout, page)
		}
		if len(page.Data) == 0 {
			fmt.Fprintf(stdout, "No events after cursor %s in team %s.\n", page.NextCursor, *c.teamSlug)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tOCCURRED\tTYPE\tACTOR\tID")
		for _, e := range page.Data {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.OccurredAt, e.Type, actorText(e.Actor), e.ID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		more := ""
		if page.HasMore {
			more = " (more after it)"
		}
		fmt.Fprintf(stdout, "next cursor: %s%s\n", page.NextCursor, more)
		return nil
	})
}

// actorText is an event's actor as a short text ("scim-key:okta").
func actorText(raw []byte) string {
	var a struct {
		Kind string `json:"type"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Kind == "" {
		return string(raw)
	}
	if a.Name == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.Name
}

// hookCommand starts a command on one webhook: --team and --id.
func hookCommand(name string, stdout io.Writer) (*command, *string) {
	c := newCommand(name, stdout)
	c.team()
	id := c.id("the webhook's id (roster webhook list)")
	return c, id
}

func webhookCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("webhook create", stdout)
	c.team()
	url := c.requiredString("url", "where to POST the events: https (http only to a loopback address, for development)")
	types := c.fs.String("types", "", "the event types it receives, comma-separated: types (member.deleted), families (member.*, group.*) or * (default: every type)")
	desc := c.fs.String("description", "", "a note on what receives the events")
	private := c.fs.Bool("webhooks-allow-private-networks", false, "accept a URL on a private or loopback address; the server delivers there only if it runs with the same flag (env ROSTER_WEBHOOKS_ALLOW_PRIVATE_NETWORKS)")
	c.jsonUsage(`print {"id","url","secret"}`)
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		svc.SetEventsConfig(service.EventsConfig{AllowPrivateNetworks: *private})
		var list []string
		if *types != "" {
			list = []string{*types}
		}
		wh, err := svc.CreateWebhook(ctx, caller, service.WebhookInput{URL: *url, Types: list, Description: *desc})
		if err != nil {
			return err
		}
		shown := "every type"
		if len(wh.Types) > 0 {
			shown = strings.Join(wh.Types, ", ")
		}
		return c.print(struct {
			ID     string `json:"id"`
			URL    string `json:"url"`
			Secret string `json:"secret"`
		}{wh.ID, wh.URL, wh.Secret},
			"Webhook %s added to team %s: %s (%s), from the next event on.\nSigning secret (shown once; verify each delivery's webhook-signature with it):\n  %s\n",
			wh.ID, *c.teamSlug, wh.URL, shown, wh.Secret)
	})
}

func webhookList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("webhook list", stdout)
	c.team()
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		list, err := svc.ListWebhooks(ctx, caller)
		if err != nil {
			return err
		}
		if *c.asJSON {
			return printJSON(stdout, list)
		}
		if len(list) == 0 {
			fmt.Fprintf(stdout, "team %s has no webhook; add one with: roster webhook create --team %s --url https://…\n", *c.teamSlug, *c.teamSlug)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tURL\tTYPES\tDELIVERED SEQ\tPENDING\tNOTE")
		for _, v := range list {
			types := "*"
			if len(v.Types) > 0 {
				types = strings.Join(v.Types, ",")
			}
			note := v.DisabledReason
			if note == "" && v.FailingSince != nil {
				note = fmt.Sprintf("failing since %s, %d attempts at the next event", *v.FailingSince, v.Attempts)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", v.ID, v.Status, v.URL, types, v.DeliveredSeq, v.Pending, note)
		}
		return tw.Flush()
	})
}

// webhookToggle is webhook enable, disable and delete.
func webhookToggle(action string) func(context.Context, []string, io.Writer) error {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		c, id := hookCommand("webhook "+action, stdout)
		return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
			if action == "delete" {
				if err := svc.DeleteWebhook(ctx, caller, *id); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "webhook %s deleted, with its delivery log\n", *id)
				return nil
			}
			on := action == "enable"
			v, err := svc.UpdateWebhook(ctx, caller, *id, service.WebhookPatch{Enabled: &on})
			if err != nil {
				return err
			}
			if on {
				fmt.Fprintf(stdout, "webhook %s enabled: it goes on from event %d, at once\n", v.ID, v.DeliveredSeq+1)
			} else {
				fmt.Fprintf(stdout, "webhook %s disabled: events wait for it (within the retention) until it is enabled\n", v.ID)
			}
			return nil
		})
	}
}

func webhookDeliveries(ctx context.Context, args []string, stdout io.Writer) error {
	c, id := hookCommand("webhook deliveries", stdout)
	limit := c.fs.Int("limit", 100, fmt.Sprintf("how many attempts, newest first (at most %d)", service.MaxWebhookDeliveries))
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		list, err := svc.WebhookDeliveries(ctx, caller, *id, *limit)
		if err != nil {
			return err
		}
		if *c.asJSON {
			return printJSON(stdout, list)
		}
		if len(list) == 0 {
			fmt.Fprintf(stdout, "webhook %s has no delivery yet\n", *id)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tSEQ\tATTEMPT\tOUTCOME\tSTATUS\tLATENCY\tERROR")
		for _, d := range list {
			replay := ""
			if d.Replay {
				replay = " (replay)"
			}
			fmt.Fprintf(tw, "%s\t%d%s\t%d\t%s\t%d\t%d ms\t%s\n", d.At, d.Seq, replay, d.Attempt, d.Outcome, d.Status, d.LatencyMS, d.Error)
		}
		return tw.Flush()
	})
}

func webhookReplay(ctx context.Context, args []string, stdout io.Writer) error {
	c, id := hookCommand("webhook replay", stdout)
	since := c.fs.Int64("since-seq", 0, "send every event from this seq on again, in order (the webhook's stream is moved back)")
	one := c.fs.Int64("seq", 0, "or send this one event again, before the webhook's stream goes on")
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		if (*since > 0) == (*one > 0) {
			return errors.New("webhook replay: give --since-seq N (every event from N on) or --seq N (one event), a seq from 1 on")
		}
		r, err := svc.ReplayWebhook(ctx, caller, *id, service.WebhookReplay{Seq: *one, SinceSeq: *since})
		if err != nil {
			return err
		}
		return c.print(r, "webhook %s: events %d through %d queued again (same ids: receivers can tell a replay); a running server sends them within seconds\n",
			*id, r.From, r.Through)
	})
}
