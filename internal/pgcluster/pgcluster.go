// Package pgcluster starts a throwaway PostgreSQL cluster for one test, so that the test can
// stop and start it (a database that goes away) without disturbing the shared test server.
package pgcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Cluster is a running throwaway cluster.
type Cluster struct {
	bin  string
	dir  string
	port int
}

// New initialises and starts a cluster in a fresh temporary directory on a free loopback
// port, run as the postgres user when the tests run as root (as scripts/pg.sh does); it is
// stopped and removed when tb ends.
func New(tb testing.TB) *Cluster {
	tb.Helper()
	bin, err := serverBin()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "billingd-pgcluster")
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{bin: bin, dir: dir, port: freePort(tb)}
	tb.Cleanup(func() {
		_ = c.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("the tests run as root and need the postgres user to run PostgreSQL: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	if out, err := c.command(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-locale").CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
`, c.port, dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Port is the loopback port the cluster listens on.
func (c *Cluster) Port() int { return c.port }

// Start starts the (stopped) cluster and waits until it accepts connections.
func (c *Cluster) Start() error { return c.ctl("start") }

// Stop stops the cluster in the given pg_ctl shutdown mode (smart, fast or immediate) and
// waits until it is down.
func (c *Cluster) Stop(mode string) error { return c.ctl("stop", "-m", mode) }

// ctl runs pg_ctl with the given action and options, waiting for it to complete.
func (c *Cluster) ctl(action string, opts ...string) error {
	args := append([]string{"-D", c.data(), "-l", filepath.Join(c.dir, "pg.log"), "-w", "-t", "60", action}, opts...)
	if out, err := c.command(filepath.Join(c.bin, "pg_ctl"), args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", action, err, out)
	}
	return nil
}

// command runs name as the postgres user when the tests run as root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// serverBin finds the newest PostgreSQL server binaries, as scripts/pg.sh does.
func serverBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if isExec(filepath.Join(d, "pg_ctl")) && isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/pg.sh once to install them")
}

func isExec(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode()&0o111 != 0
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
