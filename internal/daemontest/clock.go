package daemontest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

// ClockStartEnv names the environment variable that sets where the tests' injected clocks
// start (see Now and NewClock): an RFC 3339 instant, such as 2026-07-20T23:59:40-03:00.
// The clocks run on from there with the test process, so a run started at 23:59:40 in São
// Paulo crosses midnight twenty seconds in. `make test-midnight` sets it; unset, the clocks start at
// DefaultStart.
const ClockStartEnv = "BILLINGD_TEST_CLOCK_START"

// DefaultStart is where the tests' injected clocks start when ClockStartEnv is unset: noon
// on 2026-07-20 in São Paulo (UTC−3), far from midnight and from the hours of the default
// schedules, so that the tests' business date and hour are the same at any host time.
var DefaultStart = time.Date(2026, 7, 20, 15, 0, 0, 0, time.UTC)

// processStart is the real time at which the tests started (when the package was
// initialised, or when Main had built the binary); the injected clocks run on from their
// start instant by the real time elapsed since then.
var processStart = time.Now()

// clockStart parses ClockStartEnv once.
var clockStart = sync.OnceValues(func() (time.Time, error) {
	v := os.Getenv(ClockStartEnv)
	if v == "" {
		return DefaultStart, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s=%q: want an RFC 3339 instant such as 2026-07-20T23:59:00-03:00: %w", ClockStartEnv, v, err)
	}
	return t, nil
})

// Now returns the time now on the tests' injected clock: the start instant (ClockStartEnv,
// or DefaultStart) plus the real time elapsed since the test process started. A bad
// ClockStartEnv fails the test.
func Now(t testing.TB) time.Time {
	t.Helper()
	start, err := clockStart()
	if err != nil {
		t.Fatal(err)
	}
	return start.Add(time.Since(processStart))
}

// Clock is the injected clock of one test: a file that the daemons and commands whose
// environment holds Env read the time now from (ClockEnv), and the same time for the test.
type Clock struct {
	path   string
	frozen bool

	mu      sync.Mutex
	at      time.Time // the instant last written
	written time.Time // the real time it was written
}

// NewClock starts a clock for the test at Now. A frozen clock stands still there, so that
// the business date and hour the test reads hold for its daemons and commands however long
// it runs; otherwise it runs on in real time.
func NewClock(t testing.TB, frozen bool) *Clock {
	t.Helper()
	c := &Clock{path: filepath.Join(t.TempDir(), "now"), frozen: frozen}
	c.Set(t, Now(t))
	how := "running on"
	if frozen {
		how = "frozen"
	}
	t.Logf("injected clock at %s, %s", c.at.Format(time.RFC3339Nano), how)
	return c
}

// Env returns the environment entry that gives a daemon or a command this clock.
func (c *Clock) Env() string { return ClockEnv + "=" + c.path }

// Now returns the clock's time now, as the daemons and commands given Env read it.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return c.at.Add(time.Since(c.written))
}

// Today returns the clock's business date now in loc.
func (c *Clock) Today(loc *time.Location) time.Time { return billing.DateOf(c.Now(), loc) }

// Set moves the clock to now: frozen, it stands still there; otherwise it runs on from it.
func (c *Clock) Set(t testing.TB, now time.Time) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	writeClock(t, c.path, now, c.frozen)
	c.at, c.written = now, time.Now()
}

// writeClock writes the clock file path atomically: the instant, and "frozen" when the
// clock stands still.
func writeClock(t testing.TB, path string, now time.Time, frozen bool) {
	t.Helper()
	line := now.Format(time.RFC3339Nano)
	if frozen {
		line += " frozen"
	}
	if err := os.WriteFile(path+".tmp", []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}
