//go:build faults

package faults

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
)

// TestSIGKILLAtRandomPointsOfALargeRun kills the daemon with SIGKILL at random points of a
// generate run over 20,000 contracts (100 batches of 200), restarting it each time; a
// last daemon finishes the run. A killed batch's transaction rolls back and River rescues
// the job after BILLINGD_RESCUE_AFTER, so in the end every contract has exactly its
// installments.
func TestSIGKILLAtRandomPointsOfALargeRun(t *testing.T) {
	t.Parallel()
	const (
		contracts = 20000
		batchSize = 200
		batches   = contracts / batchSize
		kills     = 4
		asOf      = "2026-03-02"
	)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("random seed %d", seed)
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, contracts, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BATCH_SIZE=200",
		"BILLINGD_SWEEP_WORKERS=2", "BILLINGD_BATCH_TIMEOUT=5s", "BILLINGD_RESCUE_AFTER=6s")
	if code, out := cli(t, env, "run", "generate-installments", "--as-of", asOf, "--force"); code != 0 {
		t.Fatalf("enqueue the run: exit %d: %s", code, out)
	}
	done := func() int64 { return count(t, pool, "SELECT batches_done FROM job_runs") }
	leftRunning := int64(0)

	// Kill k falls at a random number of finished batches inside the k-th fifth of the
	// run (the first one possibly while the run is still being planned), plus a random
	// few milliseconds, so that batches are caught mid-transaction.
	for k := range kills {
		d := startDaemon(t, "kill-"+string(rune('a'+k)), env)
		target := int64(k*batches/(kills+1) + rng.IntN(batches/(kills+1)))
		waitFor(t, 2*time.Minute, "the run to reach its kill point", func() bool { return done() >= target })
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		d.Kill()
		state := ""
		_ = pool.QueryRow(ctx, "SELECT state FROM job_runs").Scan(&state)
		running := count(t, pool, "SELECT count(*) FROM river.river_job WHERE state = 'running' AND "+notPeriodic)
		leftRunning += running
		t.Logf("SIGKILL %d at %d/%d batches done (target %d): run %s, %d River jobs left running by the dead process",
			k+1, done(), batches, target, state, running)
		if state == "succeeded" {
			t.Fatalf("the run finished before kill %d: make it longer", k+1)
		}
	}
	last := startDaemon(t, "final", env)
	waitFor(t, 3*time.Minute, "the run to succeed after the kills", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE state = 'succeeded'") == 1
	})
	rescued := count(t, pool, `SELECT count(*) FROM river.river_job WHERE errors::text LIKE '%Stuck job rescued%'`)
	t.Logf("%d River jobs were rescued after their process died", rescued)
	if rescued == 0 && leftRunning > 0 {
		t.Errorf("jobs were left running by killed daemons, but none was rescued")
	}
	for _, l := range last.LogsWith("run finished") {
		if !strings.Contains(l["outcome"].(string), "success") {
			t.Errorf("run finished with %v", l)
		}
	}
	checkGenerated(t, pool, contracts, asOf)
	expectEqual(t, pool, "the run planned exactly 100 batches despite the kills", batches, `SELECT batches_total FROM job_runs`)
	if code, took := last.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("final daemon: exit %d after %s", code, took)
	}
}
