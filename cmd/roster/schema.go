package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/service"
)

func schemaAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("schema add-attribute", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	var c scim.CustomAttribute
	fs.StringVar(&c.Name, "name", "", "attribute name, e.g. costCode")
	fs.StringVar(&c.Type, "type", scim.TypeString, "string, boolean, integer, decimal, dateTime or reference")
	fs.BoolVar(&c.MultiValued, "multi-valued", false, "the attribute holds a list of values")
	fs.BoolVar(&c.CaseExact, "case-exact", false, "compare values case-sensitively in filters")
	fs.StringVar(&c.Description, "description", "", "what the attribute means, shown in /Schemas")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("team", *team), required("name", c.Name)); err != nil {
		return err
	}
	return withService(ctx, sf, func(svc *service.Service) error {
		if err := svc.AddCustomAttribute(ctx, *team, c, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "team %s: User attribute %s:%s added\n", *team, scim.CustomUserURN, c.Name)
		return nil
	})
}

func schemaRemove(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("schema remove-attribute", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	name := fs.String("name", "", "attribute name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(required("team", *team), required("name", *name)); err != nil {
		return err
	}
	return withService(ctx, sf, func(svc *service.Service) error {
		if err := svc.RemoveCustomAttribute(ctx, *team, *name, cliActor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "team %s: User attribute %s removed\n", *team, *name)
		return nil
	})
}

func schemaList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("schema list", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	team := teamFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("team", *team); err != nil {
		return err
	}
	return withService(ctx, sf, func(svc *service.Service) error {
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
