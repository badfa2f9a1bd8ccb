// Package buildinfo says which build of Roster is running: the module
// version, the VCS revision and time, and the Go version, as the Go
// toolchain recorded them in the binary (runtime/debug.ReadBuildInfo).
// `roster version`, the roster_build_info metric and /healthz/ready's JSON
// all read it here, so they always agree.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// Info is one build's identity. Fields the toolchain didn't record (a
// test binary, a build outside a VCS checkout) are "unknown"; Modified
// is true when the checkout had uncommitted changes.
type Info struct {
	Version   string `json:"version"`    // the module version: v1.2.3, or (devel) for a source build
	Revision  string `json:"revision"`   // the VCS commit
	BuildTime string `json:"build_time"` // the commit's time (vcs.time), RFC 3339
	Modified  bool   `json:"modified"`   // vcs.modified
	GoVersion string `json:"go_version"`
}

var (
	once sync.Once
	info Info
)

// Get returns the running binary's build info.
func Get() Info {
	once.Do(func() { info = read(debug.ReadBuildInfo()) })
	return info
}

func read(bi *debug.BuildInfo, ok bool) Info {
	out := Info{Version: "unknown", Revision: "unknown", BuildTime: "unknown", GoVersion: runtime.Version()}
	if !ok || bi == nil {
		return out
	}
	if v := bi.Main.Version; v != "" {
		out.Version = v
	}
	if bi.GoVersion != "" {
		out.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				out.Revision = s.Value
			}
		case "vcs.time":
			if s.Value != "" {
				out.BuildTime = s.Value
			}
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	return out
}
