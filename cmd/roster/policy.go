package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/rosterhq/roster/internal/httpapi"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

func keyRotate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scim-key rotate", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	id := fs.String("id", "", "id of the key to replace")
	grace := fs.Duration("grace", 0, "how long the old key keeps working, e.g. 24h (0: it stops now)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("team", *team), required("id", *id)); err != nil {
		return err
	}
	return withService(ctx, sf, func(svc *service.Service) error {
		nk, err := svc.RotateKey(ctx, *team, *id, *grace, cliActor)
		if err != nil {
			return err
		}
		out := httpapi.NewKeyJSON(nk, svc.Now())
		out["team"] = *team
		out["replaces"] = *id
		out["old_key_stops_at"] = svc.Now().Add(*grace).UTC().Format(time.RFC3339)
		if *asJSON {
			return printJSON(stdout, out)
		}
		fmt.Fprintf(stdout, "New SCIM API key %q for team %s, shown only this once:\n\n  %s\n\nThe old key %s keeps working until %s.\n",
			nk.Key.Name, *team, nk.Token, *id, out["old_key_stops_at"])
		return nil
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
	fs := flag.NewFlagSet("team policy", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	seats := fs.Int("seat-limit", -1, "most active members with a seat-taking role (Developer, Super Admin); 0: no limit")
	var groupDelete optBool
	fs.Var(&groupDelete, "group-delete-deactivates", "deleting a group deactivates members who were in no other group (Postman's behaviour)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("team", *team); err != nil {
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
	return withService(ctx, sf, func(svc *service.Service) error {
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
		if *asJSON {
			return printJSON(stdout, out)
		}
		fmt.Fprintf(stdout, "team %s: seat limit %d (0: none), group deletion deactivates sole members: %v\n", t.Slug, t.SeatLimit, t.GroupDeleteDeactivates)
		return nil
	})
}

func groupSetRoles(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("group set-roles", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	group := fs.String("group", "", "group id")
	roles := fs.String("roles", "", `comma-separated roles its members hold, e.g. "Admin,Billing"; "" removes them`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("team", *team), required("group", *group)); err != nil {
		return err
	}
	return withService(ctx, sf, func(svc *service.Service) error {
		list := service.SplitRoles(*roles)
		if err := svc.SetGroupRoles(ctx, *team, *group, list, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "group %s grants: %s\n", *group, strings.Join(list, ", "))
		return nil
	})
}
