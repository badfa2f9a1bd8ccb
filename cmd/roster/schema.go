package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

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
		out := textList{w: stdout, header: "NAME\tTYPE\tMULTIVALUED\tCASEEXACT"}
		for _, c := range list {
			out.row("%s\t%s\tmultiValued=%v\tcaseExact=%v\n", c.Name, c.Type, c.MultiValued, c.CaseExact)
		}
		out.done(fmt.Sprintf("Team %s has no custom attributes; add one with roster schema add-attribute.", *team))
		return nil
	})
}

// schemaApply declares a team's custom attributes from a file: the
// config-as-code way, the same list `schema list --json` prints. New
// attributes are added and descriptions updated; with --prune the ones
// not in the file are withdrawn. A file that would change a declared
// attribute's type is refused and changes nothing.
func schemaApply(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("schema apply", stdout)
	team := c.team()
	file := c.requiredString("file", "JSON file: an array of {name, type, multiValued, caseExact, description}; - for stdin")
	prune := c.fs.Bool("prune", false, "withdraw the team's attributes that the file doesn't list")
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	var raw []byte
	var err error
	if *file == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var want []scim.CustomAttribute
	if err := dec.Decode(&want); err != nil {
		return fmt.Errorf("%s: expected a JSON array of attributes such as [{\"name\": \"costCode\", \"type\": \"string\"}]: %v", *file, err)
	}
	return c.withService(ctx, func(svc *service.Service) error {
		plan, err := svc.ApplyCustomAttributes(ctx, *team, want, *prune, cliActor)
		if err != nil {
			return err
		}
		out := plan.Fields()
		out["team"] = *team
		return c.print(out, "team %s: %d added %v, %d updated %v, %d removed %v, %d unchanged\n", *team,
			len(plan.Added), plan.Added, len(plan.Updated), plan.Updated, len(plan.Removed), plan.Removed, len(plan.Unchanged))
	})
}
