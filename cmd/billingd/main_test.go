package main

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// binary is the billingd binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "billingd-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "billingd")
	if out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build billingd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testToken = "e2e-token-0123456789abcdef"

// baseEnv returns the environment of a daemon on databaseURL with an ephemeral port.
func baseEnv(databaseURL string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"BILLINGD_HTTP_ADDR=127.0.0.1:0",
		"BILLINGD_API_TOKEN=" + testToken,
		"BILLINGD_LOG_FORMAT=json",
		// Each test enables the scheduled jobs it is about; the others stay off so that the
		// runs and River jobs in its database are its own.
		"BILLINGD_RENEW_CONTRACTS_ENABLED=false",
		"BILLINGD_BLOCK_DELINQUENT_ENABLED=false",
		"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED=false",
		"BILLINGD_SEND_NOTICES_ENABLED=false",
	}
	return append(env, extra...)
}

// cli runs the binary to completion and returns its exit status, stdout and stderr.
func cli(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run billingd %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// daemon is a running `billingd serve` process.
type daemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu   sync.Mutex
	logs []map[string]any
}

// startDaemon starts `billingd serve` and waits until it listens.
func startDaemon(t *testing.T, env []string) *daemon {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	d := &daemon{t: t, cmd: cmd, done: make(chan struct{})}
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
	t.Cleanup(func() { d.kill() })
	select {
	case d.addr = <-listening:
	case <-d.done:
		t.Fatalf("daemon exited before listening: %v", d.messages())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not start: %v", d.messages())
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

// stop sends sig and waits for the process to exit; it returns the exit status and how long it took.
func (d *daemon) stop(sig os.Signal, within time.Duration) (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("signal daemon: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(within):
		d.t.Fatalf("daemon did not exit within %s after %v", within, sig)
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

func (d *daemon) kill() {
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
	}
}

// get performs an authenticated GET and decodes the JSON answer.
func (d *daemon) get(path string, out any) int {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+d.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			d.t.Fatalf("GET %s: decode %q: %v", path, body, err)
		}
	}
	return resp.StatusCode
}

// migratedDB returns the URL of a fresh migrated database and a pool on it.
func migratedDB(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := dbtest.NewURL(t)
	pool, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return url, pool
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func oneLine(s string) bool { return strings.Count(strings.TrimRight(s, "\n"), "\n") == 0 }
