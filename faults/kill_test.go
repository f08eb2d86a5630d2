//go:build faults

package faults

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestSIGKILLAtRandomPointsOfALargeRun kills the daemon with SIGKILL at random points of a
// generate run over 20,000 contracts (100 batches of 200, a third with adhesion fees, due
// dates shifted over holidays), restarting it each time; a last daemon finishes the run.
// Each kill waits for a batch's transaction to be open with writes in it, and the test
// proves that at least one kill caught a batch mid-transaction: that transaction, in
// progress at the kill, ended aborted. A killed batch's transaction rolls back and River
// rescues the job after BILLINGD_RESCUE_AFTER, so in the end every contract has exactly
// its installments.
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
	seedContracts(t, ctx, pool, contracts, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_BATCH_SIZE=200",
		"BILLINGD_SWEEP_WORKERS=2", "BILLINGD_BATCH_TIMEOUT=5s", "BILLINGD_RESCUE_AFTER=6s")
	if code, out := cli(t, env, "run", "generate-installments", "--as-of", asOf, "--force"); code != 0 {
		t.Fatalf("enqueue the run: exit %d: %s", code, out)
	}
	done := func() int64 { return count(t, pool, "SELECT batches_done FROM job_runs") }
	leftRunning, killedMidTransaction := int64(0), 0

	// Kill k falls at a random number of finished batches inside the k-th fifth of the
	// run (the first one possibly while the run is still being planned), plus a random
	// few milliseconds, so that batches are caught mid-transaction.
	for k := range kills {
		d := startDaemon(t, "kill-"+string(rune('a'+k)), env)
		target := int64(k*batches/(kills+1) + rng.IntN(batches/(kills+1)))
		waitFor(t, 2*time.Minute, "the run to reach its kill point", func() bool { return done() >= target })
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		open := openBatchTransactions(t, pool)
		d.Kill()
		aborted := abortedOf(t, pool, open)
		killedMidTransaction += aborted
		t.Logf("SIGKILL %d: %d batch transactions open at the kill (ids %v), %d of them rolled back by it", k+1, len(open), open, aborted)
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
	if killedMidTransaction == 0 {
		broken(t, "no SIGKILL caught a batch mid-transaction (a transaction of the daemon that had written installments, open at the kill and aborted by it)")
	} else {
		holds(t, "%d batch transactions were open at a SIGKILL and rolled back by it: batches were killed mid-transaction", killedMidTransaction)
	}
	checkGenerated(t, pool, contracts, asOf)
	expectEqual(t, pool, "the run planned exactly 100 batches despite the kills", batches, `SELECT batches_total FROM job_runs`)
	if code, took := last.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("final daemon: exit %d after %s", code, took)
	}
}

// openBatchTransactions waits up to 10 seconds for the daemon's batch transactions that have
// written (a backend session, not the test's, with a transaction id, whose latest statement
// read or wrote contracts or installments: a generate batch's locks and inserts) and returns
// their full transaction ids; none when no batch wrote in that time (the kill then falls
// between batches).
func openBatchTransactions(t *testing.T, pool *pgxpool.Pool) []int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := pool.Query(context.Background(), `SELECT ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32) << 32)
				| backend_xid::text::bigint
			FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
			  AND query ~* '(installment|contracts)'`)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 0 || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// abortedOf waits until none of the transactions ids is in progress (their backends notice
// that the daemon is gone) and returns how many of them ended aborted.
func abortedOf(t *testing.T, pool *pgxpool.Pool, ids []int64) int {
	t.Helper()
	if len(ids) == 0 {
		return 0
	}
	waitFor(t, time.Minute, "the killed daemon's transactions to end", func() bool {
		return count(t, pool, `SELECT count(*) FROM unnest($1::bigint[]) x WHERE pg_xact_status(x::text::xid8) = 'in progress'`, ids) == 0
	})
	return int(count(t, pool, `SELECT count(*) FROM unnest($1::bigint[]) x WHERE pg_xact_status(x::text::xid8) = 'aborted'`, ids))
}
