//go:build faults

package faults

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/pgcluster"
)

// TestPostgresRestartDuringRun stops PostgreSQL (its own throwaway cluster) in the middle
// of a generate run and starts it again: the daemon stays up, /readyz answers 503 while
// the database is away and 200 once it is back, and the run completes with exactly the
// installments it should.
func TestPostgresRestartDuringRun(t *testing.T) {
	t.Parallel()
	const (
		contracts = 10000
		batches   = 100
		asOf      = "2026-04-01"
	)
	pg := pgcluster.New(t)
	env := baseEnv(pg.URL(), "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BATCH_SIZE=100",
		"BILLINGD_SWEEP_WORKERS=2", "BILLINGD_BATCH_TIMEOUT=5s", "BILLINGD_RESCUE_AFTER=6s")
	if code, out := cli(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, out)
	}
	pool := openPool(t, pg.URL())
	ctx := context.Background()
	seedContracts(t, ctx, pool, contracts, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	d := startDaemon(t, "daemon", env)
	readyz := func() int { code, _ := d.Request(http.MethodGet, "/readyz", testToken, nil); return code }
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz before: %d", code)
	}
	if code, out := cli(t, env, "run", "generate-installments", "--as-of", asOf, "--force"); code != 0 {
		t.Fatalf("enqueue the run: exit %d: %s", code, out)
	}
	waitFor(t, 2*time.Minute, "the run to be under way", func() bool {
		n, err := tryCount(pool, "SELECT batches_done FROM job_runs")
		return err == nil && n >= 10
	})

	before := count(t, pool, "SELECT batches_done FROM job_runs")
	if before >= batches {
		t.Fatalf("the run finished before PostgreSQL was stopped: make it longer")
	}
	t.Logf("stopping PostgreSQL (pg_ctl stop -m fast) at %d/%d batches done", before, batches)
	if err := pg.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "/readyz to answer 503 while PostgreSQL is down", func() bool {
		return readyz() == http.StatusServiceUnavailable
	})
	holds(t, "/readyz answers 503 while PostgreSQL is down")
	time.Sleep(3 * time.Second)
	if !d.Running() {
		t.Fatalf("the daemon exited while PostgreSQL was down: %v", d.Messages())
	}
	t.Log("starting PostgreSQL again")
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "/readyz to answer 200 again", func() bool { return readyz() == http.StatusOK })
	holds(t, "/readyz answers 200 again once PostgreSQL is back")
	waitFor(t, 3*time.Minute, "the run to succeed after the restart", func() bool {
		n, err := tryCount(pool, "SELECT count(*) FROM job_runs WHERE state = 'succeeded'")
		return err == nil && n == 1
	})
	if !d.Running() {
		t.Fatalf("the daemon exited: %v", d.Messages())
	}
	t.Logf("%d River jobs had a failed attempt during the outage and were retried",
		count(t, pool, "SELECT count(*) FROM river.river_job WHERE errors IS NOT NULL"))
	holds(t, "the same daemon process stayed up through the restart and finished the run")
	checkGenerated(t, pool, contracts, asOf)
	expectEqual(t, pool, "the run planned exactly 100 batches", batches, `SELECT batches_total FROM job_runs`)
	if code, took := d.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after %s", code, took)
	}
}
