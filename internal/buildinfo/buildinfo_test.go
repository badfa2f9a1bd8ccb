package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestReadTakesWhatTheToolchainRecorded(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
		{Key: "CGO_ENABLED", Value: "0"},
	}}
	got := read(bi, true)
	want := Info{Version: "v1.4.0", Revision: "0123abcd", BuildTime: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8"}
	if got != want {
		t.Fatalf("read = %+v, want %+v", got, want)
	}
}

func TestReadWithoutBuildInfoSaysUnknown(t *testing.T) {
	got := read(nil, false)
	if got.Version != "unknown" || got.Revision != "unknown" || got.BuildTime != "unknown" || got.GoVersion == "" || got.Modified {
		t.Fatalf("read(nil) = %+v", got)
	}
	// A build outside a VCS checkout records no vcs.* settings.
	got = read(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true)
	if got.Version != "(devel)" || got.Revision != "unknown" || got.GoVersion != "go1.26.8" {
		t.Fatalf("read(devel) = %+v", got)
	}
}
