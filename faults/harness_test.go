//go:build faults

package faults

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/daemontest"
)

// binary is the billingd binary under test, built once without the race detector so that
// the runs are as fast as in production.
var binary string

func TestMain(m *testing.M) { daemontest.Main(m, false, &binary) }

const testToken = "faults-token-0123456789abcdef"

// baseEnv returns the environment of a daemon on databaseURL with an ephemeral port. The
// fault tests drive generate-installments; the other sweeps stay off (see daemontest.Env).
func baseEnv(databaseURL string, extra ...string) []string {
	return daemontest.Env(databaseURL, testToken, extra...)
}

// cli runs the binary to completion and returns its exit status and its stdout followed by
// its stderr.
func cli(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	code, stdout, stderr := daemontest.CLI(t, binary, env, args...)
	return code, stdout + stderr
}

// daemon is a running `billingd serve` process.
type daemon = daemontest.Daemon

// startDaemon starts `billingd serve` and waits until it listens.
func startDaemon(t *testing.T, name string, env []string) *daemon {
	t.Helper()
	return daemontest.Start(t, binary, name, env)
}

// The database helpers of daemontest under their local names.
var (
	migratedDB = daemontest.MigratedDB
	openPool   = daemontest.OpenPool
	waitFor    = daemontest.WaitFor
	count      = daemontest.Count
	tryCount   = daemontest.TryCount
)

// invariant logs what is checked, runs the check (a query counting violations, which must
// return 0) and fails the test naming the invariant when it does not hold.
func invariant(t *testing.T, pool *pgxpool.Pool, statement, violations string, args ...any) {
	t.Helper()
	n := count(t, pool, violations, args...)
	if n != 0 {
		broken(t, "%s — %d violations (%s)", statement, n, violations)
		return
	}
	holds(t, "%s", statement)
}

// expectEqual logs and checks an exact figure measured with SQL.
func expectEqual(t *testing.T, pool *pgxpool.Pool, statement string, want int64, sql string, args ...any) {
	t.Helper()
	got := count(t, pool, sql, args...)
	if got != want {
		broken(t, "%s — got %d, want %d (%s)", statement, got, want, sql)
		return
	}
	holds(t, "%s (%d)", statement, want)
}

// holds logs an invariant that was checked and held, with the test's name, so that
// `make test-faults` can list every invariant it checked.
func holds(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("INVARIANT holds [%s]: %s", t.Name(), fmt.Sprintf(format, args...))
}

// broken fails the test on an invariant that does not hold.
func broken(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Errorf("INVARIANT BROKEN [%s]: %s", t.Name(), fmt.Sprintf(format, args...))
}
