package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/store"
)

// stdin is where account set-password reads the password; tests replace it.
var stdin io.Reader = os.Stdin

func printAdminPassword(w io.Writer, t store.Team, pw string) {
	if pw == "" {
		fmt.Fprintf(w, "%s already has an account: sign in with its password.\n", t.AdminEmail)
		return
	}
	fmt.Fprintf(w, "\nOne-time sign-in password for %s (shown once; change it after signing in):\n  %s\n", t.AdminEmail, pw)
}

func adminAccountError(err error, t store.Team, sf storeFlags) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("team %s was created, but its admin's account was not (%w); set a password with: roster account set-password %s --email %s",
		t.Slug, err, sf.cliFlag(), t.AdminEmail)
}

func membersList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("members list", stdout)
	c.team()
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		out := c.list("ID\tUSERNAME\tSTATUS\tSOURCE\tROLES", fmt.Sprintf("Team %s has no members.", caller.Team.Slug))
		const page = 1000
		for offset := 0; ; offset += page {
			list, total, err := svc.ListMembers(ctx, caller, store.MemberQuery{Page: store.Page{Offset: offset, Limit: page}})
			if err != nil {
				return err
			}
			for _, m := range list {
				roles := m.Roles
				if roles == nil {
					roles = []string{}
				}
				status := "active"
				if !m.User.Active {
					status = "deactivated"
				}
				out.add(map[string]any{"id": m.User.ID, "userName": m.User.UserName, "displayName": m.User.DisplayName,
					"active": m.User.Active, "source": m.User.Source, "roles": roles, "created_at": m.User.Created.UTC().Format(time.RFC3339)},
					"%s\t%s\t%s\t%s\t%s\n", m.User.ID, m.User.UserName, status, m.User.Source, strings.Join(roles, ","))
			}
			if offset+page >= total {
				break
			}
		}
		return out.done()
	})
}

func inviteList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("invite list", stdout)
	c.team()
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		list, err := svc.Invites(ctx, caller)
		if err != nil {
			return err
		}
		out := c.list("ID\tEMAIL\tROLE\tCREATED", fmt.Sprintf("Team %s has no pending invites.", caller.Team.Slug))
		for _, d := range list {
			j := map[string]any{"id": d.ID, "email": d.Email, "role": d.Role, "status": d.Status,
				"created_at": d.Created.UTC().Format(time.RFC3339), "expires_at": nil, "invited_by": d.InvitedBy}
			if d.ExpiresAt != nil {
				j["expires_at"] = d.ExpiresAt.UTC().Format(time.RFC3339)
			}
			out.add(j, "%s\t%s\t%s\t%s\n", d.ID, d.Email, d.Role, d.Created.UTC().Format(time.RFC3339))
		}
		return out.done()
	})
}

func inviteRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("invite revoke", stdout)
	c.team()
	id := c.id("invite id")
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		if err := svc.RevokeInvite(ctx, caller, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked invite %s\n", *id)
		return nil
	})
}

func accountSetPassword(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("account set-password", stdout)
	email := c.requiredString("email", "the account's email")
	if err := c.parse(args); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("no password on stdin: pipe it in, e.g. printf '%s\\n' \"$PW\" | roster account set-password --email …")
	}
	return c.withService(ctx, func(svc *service.Service) error {
		acc, err := svc.SetAccountPassword(ctx, *email, pw, cliActor)
		if err != nil {
			if e, ok := service.AsError(err); ok {
				return errors.New(e.Message)
			}
			return err
		}
		fmt.Fprintf(stdout, "password set for %s; its sessions were ended\n", acc.Email)
		return nil
	})
}
