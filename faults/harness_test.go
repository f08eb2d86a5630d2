//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// binary is the billingd binary under test, built once without the race detector so that
// the runs are as fast as in production.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "billingd-faults")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "billingd")
	if out, err := exec.Command("go", "build", "-o", binary, "../cmd/billingd").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build billingd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testToken = "faults-token-0123456789abcdef"

// baseEnv returns the environment of a daemon on databaseURL with an ephemeral port.
func baseEnv(databaseURL string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"BILLINGD_HTTP_ADDR=127.0.0.1:0",
		"BILLINGD_API_TOKEN=" + testToken,
		"BILLINGD_LOG_FORMAT=json",
		// The fault tests drive generate-installments; the other sweeps stay off so that
		// every run and River job in the database belongs to the scenario under test.
		"BILLINGD_RENEW_CONTRACTS_ENABLED=false",
		"BILLINGD_BLOCK_DELINQUENT_ENABLED=false",
		"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED=false",
		"BILLINGD_SEND_NOTICES_ENABLED=false",
	}
	return append(env, extra...)
}

// cli runs the binary to completion and returns its exit status and combined output.
func cli(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("run billingd %v: %v", args, err)
	}
	return 0, string(out)
}

// daemon is a running `billingd serve` process.
type daemon struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu   sync.Mutex
	logs []map[string]any
}

// startDaemon starts `billingd serve` and waits until it listens.
func startDaemon(t *testing.T, name string, env []string) *daemon {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start daemon %s: %v", name, err)
	}
	d := &daemon{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				line = map[string]any{"msg": sc.Text()}
			}
			d.mu.Lock()
			d.logs = append(d.logs, line)
			d.mu.Unlock()
			if line["msg"] == "billingd started" {
				listening <- line["http_addr"].(string)
			}
		}
		_ = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.kill)
	select {
	case d.addr = <-listening:
	case <-d.done:
		t.Fatalf("daemon %s exited before listening: %v", name, d.messages())
	case <-time.After(60 * time.Second):
		t.Fatalf("daemon %s did not start: %v", name, d.messages())
	}
	return d
}

// messages returns the log messages so far.
func (d *daemon) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, l := range d.logs {
		out = append(out, fmt.Sprint(l["msg"], " ", l["error"]))
	}
	return out
}

// logsWith returns the log lines whose msg is msg.
func (d *daemon) logsWith(msg string) []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []map[string]any
	for _, l := range d.logs {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// running reports whether the process is still alive.
func (d *daemon) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// stop sends sig and waits for the process to exit; it returns the exit status and how long it took.
func (d *daemon) stop(sig os.Signal, within time.Duration) (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("signal daemon %s: %v", d.name, err)
	}
	select {
	case <-d.done:
	case <-time.After(within):
		d.t.Fatalf("daemon %s did not exit within %s after %v", d.name, within, sig)
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

// kill sends SIGKILL unless the process already ended, and waits for it.
func (d *daemon) kill() {
	if d.running() {
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
	}
}

// request performs an HTTP request with the API token and returns the status and body;
// status 0 means the request did not get an answer.
func (d *daemon) request(method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+d.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// migratedDB returns the URL of a fresh migrated database and a pool on it.
func migratedDB(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := dbtest.NewURL(t)
	return url, openPool(t, url)
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count runs a query returning one integer; a query error fails the test.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	n, err := tryCount(pool, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tryCount runs a query returning one integer.
func tryCount(pool *pgxpool.Pool, sql string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int64
	err := pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}

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
