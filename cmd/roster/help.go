package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// helpCmd is `roster help COMMAND…`: a group's commands, or a command's
// own usage and flags (what `roster COMMAND --help` prints).
func helpCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := strings.Join(args, " ")
	if len(args) == 1 && isGroup(args[0]) && findCommand(args[0]) == nil {
		printGroup(stdout, args[0])
		return nil
	}
	if findCommand(name) == nil {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("help: unknown command %q", name)
	}
	return run(ctx, append(append([]string{}, args...), "--help"), stdout, stderr)
}

// printGroup lists the commands of a group (roster team).
func printGroup(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: roster %s COMMAND [flags]\n\nCommands:\n", group)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		if sub, ok := strings.CutPrefix(c.name, group+" "); ok {
			fmt.Fprintf(tw, "  %s\t%s\n", sub, c.summary)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\n\"roster %s COMMAND --help\" shows a command's flags.\n", group)
}

// printCommandHelp is a command's --help: its lines of the usage, what it
// does, and its flags with their environment variables and defaults.
func printCommandHelp(w io.Writer, c *cliCommand, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n%s\n%s.\n", synopsis(c.name), strings.ToUpper(c.summary[:1])+c.summary[1:])
	printFlags(w, fs)
}

// synopsis is a command's lines of the usage text (with their
// continuation lines), or a generic line when it has none.
func synopsis(name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(usage, "\n") {
		switch {
		case strings.HasPrefix(line, "  roster "+name+" ") || line == "  roster "+name:
			in = true
		case in && strings.HasPrefix(line, "    ") && !strings.HasPrefix(strings.TrimSpace(line), "roster "):
			// a continuation of the command's line
		default:
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return "  roster " + name + " [flags]\n"
	}
	return b.String()
}
