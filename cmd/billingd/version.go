package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// version, revision and buildTime can be set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.revision=<commit> -X main.buildTime=<RFC 3339>"
// (`make build VERSION=…`, `docker build --build-arg VERSION=…`); when empty, the build
// information Go records in the binary (module version, VCS revision and time) is used.
var (
	version   string
	revision  string
	buildTime string
)

// buildInfo says which billingd this is: what `billingd version` prints and
// billingd_build_info exports.
type buildInfo struct {
	Version   string // a module version, or "devel" for a build that has none
	Revision  string // the VCS commit, or "unknown"
	Time      string // the commit's time, or "unknown"
	Modified  bool   // built from a working tree with uncommitted changes
	GoVersion string
}

// currentBuildInfo returns this binary's build information.
func currentBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuildInfo(bi, version, revision, buildTime)
}

// resolveBuildInfo takes each field from the -ldflags value when set, else from bi (nil
// when the binary has none), else a placeholder.
func resolveBuildInfo(bi *debug.BuildInfo, ldVersion, ldRevision, ldTime string) buildInfo {
	out := buildInfo{Version: "devel", Revision: "unknown", Time: "unknown", GoVersion: runtime.Version()}
	if bi != nil {
		out.GoVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			out.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				out.Revision = s.Value
			case "vcs.time":
				out.Time = s.Value
			case "vcs.modified":
				out.Modified = s.Value == "true"
			}
		}
	}
	if ldVersion != "" {
		out.Version = ldVersion
	}
	if ldRevision != "" {
		out.Revision, out.Modified = ldRevision, false
	}
	if ldTime != "" {
		out.Time = ldTime
	}
	return out
}

// newBuildInfoGauge returns billingd_build_info: 1, labelled with the version, revision and
// Go version, so that dashboards and alerts can tell which build each replica runs.
func newBuildInfoGauge(b buildInfo) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "billingd_build_info",
		Help:        "Always 1; its labels say which billingd build runs (version, VCS revision, Go version).",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}

const versionUsage = `Usage: billingd version

Prints the version, the VCS revision and its time, and the Go version billingd was built
with, one "KEY VALUE" line each. /metrics exports the same as billingd_build_info.
`

func cmdVersion(_ context.Context, args []string, _ func(string) (string, bool), stdout, _ io.Writer) error {
	fs := newFlagSet("version", versionUsage, stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version: unexpected argument %q", fs.Arg(0))
	}
	b := currentBuildInfo()
	rev := b.Revision
	if b.Modified {
		rev += " (modified)"
	}
	_, err := fmt.Fprintf(stdout, "version %s\nrevision %s\ntime %s\ngo %s\n", b.Version, rev, b.Time, b.GoVersion)
	return err
}
