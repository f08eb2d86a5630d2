//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoad stops a daemon with SIGTERM while it works a large generate run and
// answers a stream of API requests: it exits 0 after an orderly stop, no request gets a 5xx,
// and the next daemon finishes the interrupted run with exactly the installments it should.
// Rescue is left at its 15-minute default, so the run can only finish in time if the
// shutdown handed its batches back to the queue. How long the shutdown takes (the promise:
// within BILLINGD_SHUTDOWN_TIMEOUT plus the 5 s HTTP drain) is measured by
// bench.BenchmarkShutdownUnderLoad, not asserted here.
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	const (
		contracts = 20000
		batches   = 100
		timeout   = 3 * time.Second
		asOf      = "2026-05-04"
	)
	url, pool := migratedDB(t)
	ctx := context.Background()
	seedContracts(t, ctx, pool, contracts, time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC))
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BATCH_SIZE=200",
		"BILLINGD_SWEEP_WORKERS=4", fmt.Sprintf("BILLINGD_SHUTDOWN_TIMEOUT=%s", timeout))
	d := startDaemon(t, "loaded", env)
	if code, out := cli(t, env, "run", "generate-installments", "--as-of", asOf, "--force"); code != 0 {
		t.Fatalf("enqueue the run: exit %d: %s", code, out)
	}

	// API load: four clients reading installments, and one asking for reruns four times a second.
	var served, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var code int
				if i == 0 {
					code, _ = d.Request(http.MethodPost, "/v1/runs", testToken, map[string]any{"job": "generate-installments", "as_of": asOf, "force": true})
					// An operator's pace: each rerun plans every batch still due, so an unpaced
					// loop would queue thousands of batches and measure the machine, not the daemon.
					time.Sleep(250 * time.Millisecond)
				} else {
					code, _ = d.Request(http.MethodGet, fmt.Sprintf("/v1/installments?limit=500&after=%d", i*1000), testToken, nil)
				}
				switch {
				case code == 0:
					time.Sleep(20 * time.Millisecond) // the listener is closed: shutdown under way
				case code >= 500:
					failed.Add(1)
				default:
					served.Add(1)
				}
			}
		}()
	}
	waitFor(t, 2*time.Minute, "the run to be a fifth done", func() bool {
		return count(t, pool, "SELECT coalesce(max(batches_done), 0) FROM job_runs WHERE id = 1") >= batches/5
	})
	at := count(t, pool, "SELECT batches_done FROM job_runs WHERE id = 1")
	code, took := d.Stop(syscall.SIGTERM, 30*time.Second)
	close(stop)
	wg.Wait()
	t.Logf("SIGTERM at %d/%d batches of the first run: exit %d after %s; %d API requests served meanwhile",
		at, batches, code, took.Round(time.Millisecond), served.Load())
	if code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	holds(t, "SIGTERM under load ends in exit 0 (after %s; timed by make bench)", took.Round(time.Millisecond))
	if n := failed.Load(); n != 0 {
		broken(t, "%d API requests got a 5xx under load and shutdown", n)
	} else {
		holds(t, "no API request got a 5xx under load or during the shutdown")
	}
	if len(d.LogsWith("billingd stopped")) != 1 {
		t.Errorf("the daemon did not log its orderly stop: %v", d.Messages())
	}
	if n := count(t, pool, "SELECT count(*) FROM job_runs WHERE state = 'succeeded'"); n == count(t, pool, "SELECT count(*) FROM job_runs") {
		t.Fatalf("every run had finished before SIGTERM: make the run longer")
	}
	invariant(t, pool, "no River job is left running by the stopped daemon (the soft stop handed its batches back)",
		`SELECT count(*) FROM river.river_job WHERE state = 'running' AND `+notPeriodic)

	next := startDaemon(t, "next", env)
	waitFor(t, 5*time.Minute, "the interrupted runs to succeed on the next daemon", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE state <> 'succeeded'") == 0 &&
			count(t, pool, "SELECT count(*) FROM river.river_job WHERE state <> 'completed' AND "+notPeriodic) == 0
	})
	t.Logf("%d runs in all (the first and the reruns asked for under load)", count(t, pool, "SELECT count(*) FROM job_runs"))
	checkGenerated(t, pool, contracts, asOf)
	if code, took := next.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("next daemon: exit %d after %s", code, took)
	}
}
