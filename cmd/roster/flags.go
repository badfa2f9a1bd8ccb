package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// Flags are declared with the standard flag package; parse adds what the
// CLI promises on top of it:
//
//   - a flag whose usage says "(env ROSTER_X)" takes ROSTER_X's value when
//     it isn't on the command line (the env name is written once, in the
//     usage that --help shows, so the two can't disagree), and a bad value
//     there is refused like a bad flag, naming the variable;
//   - a value that doesn't parse is refused with what is expected ("an
//     integer", "a duration such as 90d, 36h or 1d12h"), not "parse error";
//   - -h and --help print the command's own usage and flags (helpRequest).

// envInUsage finds the "(env ROSTER_X)" of a flag's usage.
var envInUsage = regexp.MustCompile(`\s*\(env (ROSTER_[A-Z0-9_]+)\)`)

// flagEnv is the environment variable a flag reads, "" for none.
func flagEnv(f *flag.Flag) string {
	if m := envInUsage.FindStringSubmatch(f.Usage); m != nil {
		return m[1]
	}
	return ""
}

// helpRequest is parse's answer to -h or --help: run prints the usage of
// the command whose flags these are, on stdout, and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// expecter is a flag value that says what it expects, for error messages
// and --help ("a duration such as …").
type expecter interface{ Expected() string }

// expected says what a flag's value must be.
func expected(f *flag.Flag) string {
	v := unwrap(f.Value)
	if e, ok := v.(expecter); ok {
		return e.Expected()
	}
	switch typeName(f) {
	case "int", "int64", "uint", "uint64":
		return "an integer"
	case "float":
		return "a number"
	case "duration":
		return "a duration such as 90d, 36h, 1d12h or 30m"
	case "":
		return "true or false"
	}
	return "a value"
}

// typeName is the word --help shows after a flag's name: the flag
// package's (string, int, …), "duration" for ours, "" for booleans.
func typeName(f *flag.Flag) string {
	v := unwrap(f.Value)
	switch v := v.(type) {
	case *durationValue:
		return "duration"
	case *choiceValue:
		return strings.Join(v.choices, "|")
	}
	if isBool(v) {
		return ""
	}
	name, _ := flag.UnquoteUsage(&flag.Flag{Name: f.Name, Usage: f.Usage, Value: v, DefValue: f.DefValue})
	return name
}

func isBool(v flag.Value) bool {
	b, ok := v.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// watched wraps a flag's value to remember the first value that failed
// to set, so parse can say what was expected instead of the flag
// package's "parse error".
type watched struct {
	flag.Value
	name string
	fail *setFailure
}

type setFailure struct {
	name, value string
	err         error
}

func (w *watched) Set(s string) error {
	err := w.Value.Set(s)
	if err != nil && w.fail.err == nil {
		*w.fail = setFailure{w.name, s, err}
	}
	return err
}

// watchedBool is watched for a boolean flag, which takes no argument.
type watchedBool struct{ *watched }

func (watchedBool) IsBoolFlag() bool { return true }

func unwrap(v flag.Value) flag.Value {
	switch w := v.(type) {
	case *watched:
		return w.Value
	case watchedBool:
		return w.Value
	}
	return v
}

// parse parses a command's flags (see the comment at the top).
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fail := &setFailure{}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*watched); ok {
			return
		}
		if _, ok := f.Value.(watchedBool); ok {
			return
		}
		w := &watched{Value: f.Value, name: f.Name, fail: fail}
		if isBool(f.Value) {
			f.Value = watchedBool{w}
		} else {
			f.Value = w
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &helpRequest{fs}
		}
		if fail.err != nil {
			return fmt.Errorf("%s: invalid value %q for --%s: expected %s", fs.Name(), fail.value, fail.name, expectedOf(fs.Lookup(fail.name), fail.err))
		}
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return applyEnv(fs)
}

// expectedOf is what f expects; a value type's own error, when it
// already says so, is kept.
func expectedOf(f *flag.Flag, err error) string {
	var ex *expectation
	if errors.As(err, &ex) {
		return ex.what
	}
	return expected(f)
}

// expectation is a flag value's error that says what it expects.
type expectation struct{ what string }

func (e *expectation) Error() string { return "expected " + e.what }

// applyEnv gives each flag that the command line didn't set the value of
// its environment variable, when that is set (and not empty).
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := flagEnv(f)
		if err != nil || env == "" || given[f.Name] {
			return
		}
		v := os.Getenv(env)
		if v == "" {
			return
		}
		if serr := f.Value.Set(v); serr != nil {
			err = fmt.Errorf("%s: invalid %s %q (for --%s): expected %s", fs.Name(), env, v, f.Name, expectedOf(f, serr))
		}
	})
	return err
}

// printFlags writes a flag set's flags for --help: name, type, usage,
// environment variable and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Usage, "internal:") {
			flags = append(flags, f)
		}
	})
	if len(flags) == 0 {
		return
	}
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	fmt.Fprintln(w, "\nFlags:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range flags {
		name := "--" + f.Name
		if t := typeName(f); t != "" {
			name += " " + t
		}
		usage := envInUsage.ReplaceAllString(f.Usage, "")
		_, usage = flag.UnquoteUsage(&flag.Flag{Usage: usage, Value: f.Value})
		var notes []string
		if env := flagEnv(f); env != "" {
			notes = append(notes, "env "+env)
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" {
			notes = append(notes, "default "+d)
		}
		if len(notes) > 0 {
			usage += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	}
	tw.Flush()
}

// durationValue is a duration flag that takes days as well as Go's units
// (service.ParseDuration: 90d, 1d12h, 36h).
type durationValue time.Duration

// durationFlag adds a duration flag with days to fs.
func durationFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	d := def
	fs.Var((*durationValue)(&d), name, usage)
	return &d
}

func (d *durationValue) Set(s string) error {
	v, err := service.ParseDuration(s)
	if err != nil {
		return &expectation{"a duration such as 90d, 36h, 1d12h or 30m"}
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string {
	if d == nil {
		return "0s"
	}
	return formatDuration(time.Duration(*d))
}

func (d *durationValue) Expected() string { return "a duration such as 90d, 36h, 1d12h or 30m" }

// formatDuration writes whole days as days (2160h is 90d), else as Go does.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// choiceValue is a string flag that takes one of a few words.
type choiceValue struct {
	v       *string
	choices []string
}

// choiceFlag adds a flag whose value is one of choices.
func choiceFlag(fs *flag.FlagSet, name, def string, choices []string, usage string) *string {
	v := def
	fs.Var(&choiceValue{&v, choices}, name, usage)
	return &v
}

func (c *choiceValue) Set(s string) error {
	for _, ch := range c.choices {
		if s == ch {
			*c.v = s
			return nil
		}
	}
	return &expectation{c.Expected()}
}

func (c *choiceValue) String() string {
	if c == nil || c.v == nil {
		return ""
	}
	return *c.v
}

func (c *choiceValue) Expected() string {
	if len(c.choices) == 2 {
		return c.choices[0] + " or " + c.choices[1]
	}
	return "one of " + strings.Join(c.choices, ", ")
}
