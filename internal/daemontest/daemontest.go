// Package daemontest runs the billingd binary for end-to-end and fault-injection tests: it
// builds the binary, gives it the environment of a test daemon, runs its commands, starts
// `billingd serve` processes and follows their JSON logs, and gives each test a migrated
// database with a few helpers to poll and query it. It is meant for tests only.
package daemontest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// Build builds ./cmd/billingd of the module that holds the working directory into a new
// temporary directory, with the race detector when race is set and the build tag
// testclock, so that a test may set the daemon's clock (SetClock). It returns the
// binary's path and a cleanup function that removes the directory.
func Build(race bool) (path string, cleanup func(), err error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return "", nil, errors.New("build billingd: the working directory is not in a Go module")
	}
	dir, err := os.MkdirTemp("", "billingd-daemontest")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "billingd")
	args := []string{"build"}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "-tags", "testclock", "-o", path, "./cmd/billingd")...)
	cmd.Dir = filepath.Dir(mod)
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build billingd: %v\n%s", err, out)
	}
	return path, cleanup, nil
}

// Main is the whole of a TestMain: it builds the binary as Build does, stores its path in
// *binary, starts the tests' injected clock (Now) and runs the tests, removes the binary
// and exits with the tests' status. Only listing the tests (-test.list) builds nothing.
func Main(m *testing.M, race bool, binary *string) {
	// Listing the tests (go test -list, as make test-midnight does) needs no binary.
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	path, cleanup, err := Build(race)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = path
	// The injected clocks run on from when the tests start, not from before the build.
	processStart = time.Now()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// Env returns the environment of a daemon on databaseURL that listens on an ephemeral
// loopback port, accepts token and logs JSON, followed by extra. The scheduled
// renew-contracts, block-delinquent, reset-benefit-quotas, send-notices and import-payments
// jobs are off, so that every run and River job in the database belongs to the test; extra
// can turn them on.
func Env(databaseURL, token string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"BILLINGD_HTTP_ADDR=127.0.0.1:0",
		"BILLINGD_API_TOKEN=" + token,
		"BILLINGD_LOG_FORMAT=json",
		"BILLINGD_RENEW_CONTRACTS_ENABLED=false",
		"BILLINGD_BLOCK_DELINQUENT_ENABLED=false",
		"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED=false",
		"BILLINGD_SEND_NOTICES_ENABLED=false",
		"BILLINGD_IMPORT_PAYMENTS_ENABLED=false",
	}
	return append(env, extra...)
}

// ClockEnv is the environment variable a binary built by Build reads its clock from: a
// file holding the time now, running on or frozen (cmd/billingd/clock_testclock.go; see
// NewClock and SetClock).
const ClockEnv = "BILLINGD_TEST_NOW_FILE"

// SetClock writes t to the clock file path (see ClockEnv): the daemons and commands whose
// environment names it read the time now as t, running on from this moment.
func SetClock(t testing.TB, path string, now time.Time) {
	t.Helper()
	writeClock(t, path, now, false)
}

// CLI runs binary with args in env to completion, within three minutes, and returns its exit
// status, stdout and stderr. A failure to run it fails the test.
func CLI(t testing.TB, binary string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run billingd %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// MigratedDB returns the URL of a fresh migrated database of its own for the test and a pool
// on it, closed when the test ends.
func MigratedDB(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	url := dbtest.NewURL(t)
	return url, OpenPool(t, url)
}

// OpenPool opens a pool on the database at url, closed when the test ends; a failure fails
// the test.
func OpenPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// WaitFor polls cond every 50 milliseconds until it holds, and fails the test, naming what
// it waited for, when timeout passes first.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Count runs sql, a query returning one integer, and returns that integer; an error fails
// the test.
func Count(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	n, err := TryCount(pool, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TryCount runs sql, a query returning one integer, within 30 seconds and returns that
// integer or the error.
func TryCount(pool *pgxpool.Pool, sql string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int64
	err := pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}
