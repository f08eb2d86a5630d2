// Package scripts holds the development scripts' tests: the private PostgreSQL cluster of
// scripts/pg.sh and scripts/with-pg.sh, one per checkout.
package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkout copies the scripts into a new directory standing for a clone of the repository.
func checkout(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("", "billingd-checkout-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil { // the postgres user must reach the cluster
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pg.sh", "with-pg.sh"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "scripts", name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(root, "scripts", "pg.sh"), "--stop").Run() })
	return root
}

// script runs one of a checkout's scripts with no DATABASE_URL or port setting, as a newcomer would.
func script(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", args[0]), args[1:]...)
	cmd.Dir = root
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "BILLINGD_DEV_PGPORT=") &&
			!strings.HasPrefix(kv, "TEST_DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		t.Logf("%s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String()), err
}

// TestTwoCheckoutsEachGetTheirOwnCluster: a cluster running for one clone (make run) does not
// stop another clone's tests (make test): the second takes a free port, says which, keeps it,
// and with-pg.sh stops afterwards the cluster it started, leaving the first one running.
func TestTwoCheckoutsEachGetTheirOwnCluster(t *testing.T) {
	if testing.Short() {
		t.Log("runs two clusters: not in -short")
		return
	}
	first, second := checkout(t), checkout(t)

	firstURL, err := script(t, first, "pg.sh")
	if err != nil {
		t.Fatalf("first checkout's pg.sh: %v", err)
	}
	// The second checkout runs its tests through with-pg.sh while the first cluster runs.
	secondURL, err := script(t, second, "with-pg.sh", "sh", "-c", `psql "$TEST_DATABASE_URL" -tAc 'SELECT 1' >/dev/null && echo "$TEST_DATABASE_URL"`)
	if err != nil {
		t.Fatalf("second checkout's with-pg.sh while the first cluster runs: %v", err)
	}
	if firstURL == secondURL {
		t.Fatalf("both checkouts use %s", firstURL)
	}
	port := func(root string) string {
		b, err := os.ReadFile(filepath.Join(root, ".data", "pg.port"))
		if err != nil {
			t.Fatalf("%s: %v", root, err)
		}
		return strings.TrimSpace(string(b))
	}
	if !strings.Contains(firstURL, ":"+port(first)+"/") || !strings.Contains(secondURL, ":"+port(second)+"/") {
		t.Errorf("URLs %s and %s do not name the ports kept in .data/pg.port (%s, %s)", firstURL, secondURL, port(first), port(second))
	}
	if _, err := script(t, second, "pg.sh", "--running"); err == nil {
		t.Errorf("with-pg.sh left the second checkout's cluster running; it was not running before")
	}
	if _, err := script(t, first, "pg.sh", "--running"); err != nil {
		t.Errorf("the first checkout's cluster stopped: with-pg.sh must stop only the cluster it started")
	}
	// The port is kept: the second checkout's cluster comes back on the same one.
	again, err := script(t, second, "pg.sh")
	if err != nil || again != secondURL {
		t.Errorf("second checkout restarted on %q (err %v), want %q again", again, err, secondURL)
	}
}
