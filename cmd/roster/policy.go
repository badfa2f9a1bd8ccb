package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/service"
)

func keyRotate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("scim-key rotate", stdout)
	team := c.team()
	id := c.id("id of the key to replace")
	grace := durationFlag(c.fs, "grace", 0, "how long the old key keeps working, e.g. 24h or 2d, at most 30d (0: it stops now)")
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		nk, err := svc.RotateKey(ctx, *team, *id, *grace, cliActor)
		if err != nil {
			return err
		}
		out := service.ViewOfNewKey(nk, svc.Now())
		out.Team = *team
		out.Replaces = *id
		out.OldKeyStopsAt = service.ViewTime(svc.Now().Add(*grace))
		return c.print(out, "New SCIM API key %q for team %s, shown only this once:\n\n  %s\n\nThe old key %s keeps working until %s.\n",
			nk.Key.Name, *team, nk.Token, *id, out.OldKeyStopsAt)
	})
}

// optBool is a flag that records whether it was given.
type optBool struct {
	set, v bool
}

func (o *optBool) String() string { return strconv.FormatBool(o.v) }
func (o *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	o.set, o.v = true, v
	return err
}
func (o *optBool) IsBoolFlag() bool { return true }

func teamPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("team policy", stdout)
	fs := c.fs
	team := c.team()
	seats := fs.Int("seat-limit", -1, "most active members with a seat-taking role (Developer, Super Admin); 0: no limit")
	var groupDelete optBool
	fs.Var(&groupDelete, "group-delete-deactivates", "deleting a group deactivates members who were in no other group (Postman's behaviour)")
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	var seatPtr *int
	if *seats >= 0 {
		seatPtr = seats
	}
	var gdPtr *bool
	if groupDelete.set {
		gdPtr = &groupDelete.v
	}
	return c.withService(ctx, func(svc *service.Service) error {
		var t, err = svc.Team(ctx, *team)
		if err != nil {
			return err
		}
		if seatPtr != nil || gdPtr != nil {
			if t, err = svc.SetTeamPolicies(ctx, *team, seatPtr, gdPtr, cliActor); err != nil {
				return err
			}
		}
		out := teamJSON(t)
		out["seat_limit"] = t.SeatLimit
		out["group_delete_deactivates"] = t.GroupDeleteDeactivates
		return c.print(out, "team %s: seat limit %d (0: none), group deletion deactivates sole members: %v\n", t.Slug, t.SeatLimit, t.GroupDeleteDeactivates)
	})
}

func groupSetRoles(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("group set-roles", stdout)
	team := c.team()
	group := c.requiredString("group", "group id")
	roles := c.fs.String("roles", "", `comma-separated roles its members hold, e.g. "Admin,Billing"; "" removes them`)
	return c.run(ctx, args, func(svc *service.Service) error {
		list := service.SplitRoles(*roles)
		if err := svc.SetGroupRoles(ctx, *team, *group, list, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "group %s grants: %s\n", *group, strings.Join(list, ", "))
		return nil
	})
}
