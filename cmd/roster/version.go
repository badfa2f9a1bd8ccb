package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/buildinfo"
)

// versionCmd is `roster version` (and `roster --version`): the build's
// module version, VCS revision and time, and Go version, as the
// toolchain recorded them (internal/buildinfo: the same as the build
// info metric and /healthz/ready say).
func versionCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON: version, revision, build_time, modified, go_version")
	if err := parse(fs, args); err != nil {
		return err
	}
	bi := buildinfo.Get()
	if *asJSON {
		return printJSON(stdout, bi)
	}
	rev := bi.Revision
	if bi.Modified {
		rev += " (with uncommitted changes)"
	}
	fmt.Fprintf(stdout, "roster %s\nrevision:   %s\nbuild time: %s (the revision's commit time)\ngo:         %s\n", bi.Version, rev, bi.BuildTime, bi.GoVersion)
	return nil
}
