package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

func schemaAdd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("schema add-attribute", stdout)
	fs := c.fs
	team := c.team()
	var attr scim.CustomAttribute
	fs.StringVar(&attr.Name, "name", "", "attribute name, e.g. costCode")
	c.require("name", &attr.Name)
	fs.StringVar(&attr.Type, "type", scim.TypeString, "string, boolean, integer, decimal, dateTime or reference")
	fs.BoolVar(&attr.MultiValued, "multi-valued", false, "the attribute holds a list of values")
	fs.BoolVar(&attr.CaseExact, "case-exact", false, "compare values case-sensitively in filters")
	fs.StringVar(&attr.Description, "description", "", "what the attribute means, shown in /Schemas")
	return c.run(ctx, args, func(svc *service.Service) error {
		if err := svc.AddCustomAttribute(ctx, *team, attr, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "team %s: User attribute %s:%s added\n", *team, scim.CustomUserURN, attr.Name)
		return nil
	})
}

func schemaRemove(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("schema remove-attribute", stdout)
	team := c.team()
	name := c.requiredString("name", "attribute name")
	return c.run(ctx, args, func(svc *service.Service) error {
		if err := svc.RemoveCustomAttribute(ctx, *team, *name, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "team %s: User attribute %s removed\n", *team, *name)
		return nil
	})
}

func schemaList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("schema list", stdout)
	team := c.team()
	asJSON := c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		list, err := svc.CustomAttributes(ctx, *team)
		if err != nil {
			return err
		}
		if *asJSON {
			if list == nil {
				list = []scim.CustomAttribute{}
			}
			return printJSON(stdout, list)
		}
		for _, c := range list {
			fmt.Fprintf(stdout, "%s\t%s\tmultiValued=%v\tcaseExact=%v\n", c.Name, c.Type, c.MultiValued, c.CaseExact)
		}
		return nil
	})
}
