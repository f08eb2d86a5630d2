package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelpPrintsOnce asks every command for its help in each spelling: the text comes once,
// on stdout, with exit status 0 (the flag package prints the usage itself on -h/-help, so
// printing it again after Parse doubled it).
func TestHelpPrintsOnce(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"", "serve", "migrate", "run", "status", "version"} {
		for _, flag := range []string{"--help", "-help", "-h"} {
			args := []string{flag}
			want := "Usage:"
			if cmd != "" {
				args = []string{cmd, flag}
				want = "Usage: billingd " + cmd
			}
			code, stdout, stderr := cli(t, nil, args...)
			if code != 0 || strings.Count(stdout, want) != 1 || stderr != "" {
				t.Errorf("billingd %s: exit %d, %q %d times on stdout (want once), stderr %q:\n%s",
					strings.Join(args, " "), code, want, strings.Count(stdout, want), stderr, stdout)
			}
		}
	}
}

// versionOf runs `binary version` and returns its lines as key → value.
func versionOf(t *testing.T, binary string) map[string]string {
	t.Helper()
	out, err := exec.Command(binary, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", binary, err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("version line %q is not KEY VALUE", sc.Text())
		}
		got[k] = strings.TrimSpace(v)
	}
	for _, k := range []string{"version", "revision", "time", "go"} {
		if got[k] == "" {
			t.Errorf("billingd version lacks %s:\n%s", k, out)
		}
	}
	return got
}

// TestVersionAndBuildInfoMetric checks `billingd version` against what the Go toolchain
// reads from the same binary (`go version -m`), and billingd_build_info on /metrics
// against `billingd version`.
func TestVersionAndBuildInfoMetric(t *testing.T) {
	t.Parallel()
	got := versionOf(t, binary)
	if got["go"] != runtime.Version() {
		t.Errorf("go %q, want %q", got["go"], runtime.Version())
	}
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": "devel", "revision": "unknown", "time": "unknown"}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod" && f[2] != "(devel)":
			want["version"] = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			want["revision"] = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.time="):
			want["time"] = strings.TrimPrefix(f[1], "vcs.time=")
		case len(f) == 2 && f[0] == "build" && f[1] == "vcs.modified=true":
			want["modified"] = "true"
		}
	}
	if want["modified"] == "true" {
		want["revision"] += " (modified)"
	}
	for _, k := range []string{"version", "revision", "time"} {
		if got[k] != want[k] {
			t.Errorf("version: %s %q, want %q (go version -m)", k, got[k], want[k])
		}
	}

	url, _ := migratedDB(t)
	d := startDaemon(t, baseEnv(url))
	resp, err := http.Get("http://" + d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	revision, _, _ := strings.Cut(got["revision"], " ")
	line := `billingd_build_info{goversion="` + got["go"] + `",revision="` + revision + `",version="` + got["version"] + `"} 1`
	if !strings.Contains(string(body), line+"\n") {
		t.Errorf("/metrics lacks %s:\n%s", line, regexp.MustCompile(`(?m)^.*build_info.*$`).FindAllString(string(body), -1))
	}
}

// TestVersionFromLdflags builds billingd with `make build` given the version, revision and
// time (the Makefile passes them by -ldflags, as the Dockerfile does): they replace the
// build information.
func TestVersionFromLdflags(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "billingd")
	build := exec.Command("make", "--no-print-directory", "-C", "../..", "build", "BIN="+bin,
		"VERSION=v9.8.7", "REVISION=0123456789abcdef", "BUILD_TIME=2026-11-20T10:00:00Z")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	got := versionOf(t, bin)
	want := map[string]string{"version": "v9.8.7", "revision": "0123456789abcdef", "time": "2026-11-20T10:00:00Z", "go": runtime.Version()}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %q, want %q", k, got[k], v)
		}
	}
}

// TestResolveBuildInfo checks where each field comes from: -ldflags first, then the build
// information Go records, then a placeholder.
func TestResolveBuildInfo(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-01T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name          string
		bi            *debug.BuildInfo
		v, rev, built string
		want          buildInfo
	}{
		{"nothing known", nil, "", "", "", buildInfo{Version: "devel", Revision: "unknown", Time: "unknown", GoVersion: runtime.Version()}},
		{"a build outside version control", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "", "", "",
			buildInfo{Version: "devel", Revision: "unknown", Time: "unknown", GoVersion: "go1.26.8"}},
		{"stamped by go build", stamped, "", "", "",
			buildInfo{Version: "v1.2.3", Revision: "abc123", Time: "2026-11-01T00:00:00Z", Modified: true, GoVersion: "go1.26.8"}},
		{"ldflags win", stamped, "v2.0.0", "def456", "2026-11-20T10:00:00Z",
			buildInfo{Version: "v2.0.0", Revision: "def456", Time: "2026-11-20T10:00:00Z", GoVersion: "go1.26.8"}},
		{"ldflags version only", stamped, "v2.0.0", "", "",
			buildInfo{Version: "v2.0.0", Revision: "abc123", Time: "2026-11-01T00:00:00Z", Modified: true, GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := resolveBuildInfo(tt.bi, tt.v, tt.rev, tt.built); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
