package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/daemontest"
)

// binary is the billingd binary built once, with the race detector, for the end-to-end tests.
var binary string

func TestMain(m *testing.M) { daemontest.Main(m, true, &binary) }

const testToken = "e2e-token-0123456789abcdef"

// baseEnv returns the environment of a daemon on databaseURL with an ephemeral port; each
// test enables the scheduled jobs it is about (see daemontest.Env).
func baseEnv(databaseURL string, extra ...string) []string {
	return daemontest.Env(databaseURL, testToken, extra...)
}

// cli runs the binary to completion and returns its exit status, stdout and stderr.
func cli(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return daemontest.CLI(t, binary, env, args...)
}

// daemon is a running `billingd serve` process.
type daemon struct {
	*daemontest.Daemon
	t *testing.T
}

// startDaemon starts `billingd serve` and waits until it listens.
func startDaemon(t *testing.T, env []string) *daemon {
	t.Helper()
	return &daemon{Daemon: daemontest.Start(t, binary, "billingd", env), t: t}
}

// get performs an authenticated GET and decodes the JSON answer.
func (d *daemon) get(path string, out any) int {
	d.t.Helper()
	return d.send(http.MethodGet, path, "", out)
}

// send performs an authenticated request with a JSON body, unless body is empty, and decodes
// the JSON answer into out unless out is nil.
func (d *daemon) send(method, path, body string, out any) int {
	d.t.Helper()
	var payload any
	if body != "" {
		payload = json.RawMessage(body)
	}
	code, raw := d.Request(method, path, testToken, payload)
	if code == 0 {
		d.t.Fatalf("%s %s: no answer", method, path)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			d.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return code
}

// migratedDB returns the URL of a fresh migrated database and a pool on it.
var migratedDB = daemontest.MigratedDB

// waitFor polls cond until it holds or the timeout passes.
var waitFor = daemontest.WaitFor

// count runs a query returning one integer; a query error fails the test.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	return int(daemontest.Count(t, pool, sql, args...))
}

func oneLine(s string) bool { return strings.Count(strings.TrimRight(s, "\n"), "\n") == 0 }
