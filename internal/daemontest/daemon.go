package daemontest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Daemon is a running `billingd serve` process whose JSON log lines, read from its stderr,
// are kept for the test to inspect.
type Daemon struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu   sync.Mutex
	logs []map[string]any
}

// Start starts `binary serve` with env, names it name in failure messages and waits, up to a
// minute, until it logs that it listens; it fails the test when the daemon does not get
// there. The daemon is killed when the test ends, unless it already stopped.
func Start(t testing.TB, binary, name string, env []string) *Daemon {
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
	d := &Daemon{t: t, name: name, cmd: cmd, done: make(chan struct{})}
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
	t.Cleanup(d.Kill)
	select {
	case d.addr = <-listening:
	case <-d.done:
		t.Fatalf("daemon %s exited before listening: %v", name, d.Messages())
	case <-time.After(60 * time.Second):
		t.Fatalf("daemon %s did not start: %v", name, d.Messages())
	}
	return d
}

// Name returns the name given to Start.
func (d *Daemon) Name() string { return d.name }

// Addr returns the host:port the daemon's HTTP server listens on.
func (d *Daemon) Addr() string { return d.addr }

// Messages returns the msg and error of every log line so far, one string a line.
func (d *Daemon) Messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, l := range d.logs {
		out = append(out, fmt.Sprint(l["msg"], " ", l["error"]))
	}
	return out
}

// LogsWith returns the log lines so far whose msg is msg.
func (d *Daemon) LogsWith(msg string) []map[string]any {
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

// Running reports whether the process is still alive.
func (d *Daemon) Running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// Stop sends sig and waits for the process to exit, failing the test when it does not within
// the given time; it returns the exit status and how long the exit took.
func (d *Daemon) Stop(sig os.Signal, within time.Duration) (int, time.Duration) {
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

// Kill sends SIGKILL unless the process already ended, and waits for it to end.
func (d *Daemon) Kill() {
	if d.Running() {
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
	}
}

// Request sends an HTTP request to the daemon with token as bearer token and, unless body is
// nil, body encoded as JSON (a json.RawMessage goes as it is); it returns the status and the body of the answer. Status 0
// means that no answer came within 10 seconds.
func (d *Daemon) Request(method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if raw, ok := body.(json.RawMessage); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+d.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
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
