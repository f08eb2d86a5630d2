package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// TestChunkedBatchThroughRiver: import-payments with chunks of two settlements imports two
// return files of five through River as the daemon does: each file's batch runs as parts
// 0, 1 and 2 (one River job and one transaction each), the run counts two batches done and
// sums every part's counts, and every settlement is recorded once.
func TestChunkedBatchThroughRiver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	seedEveryJob(t, ctx, pool)
	runner := newRunner(t, pool)
	seedReturnFiles(t, ctx, pool)
	runner.Sweeps[jobs.ImportPayments] = postgres.ImportPaymentsSweep{Store: runner.Store, Chunk: 2,
		Now: func() time.Time { return time.Date(2026, 7, 20, 12, 0, 0, 0, saoPaulo) }}
	run := runForReal(t, ctx, runner, jobs.ImportPayments, dryRunAsOf)
	if run.State != records.RunSucceeded || run.BatchesTotal != 2 || run.BatchesDone != 2 {
		t.Errorf("run %s, batches %d of %d, want succeeded, 2 of 2", run.State, run.BatchesDone, run.BatchesTotal)
	}
	want := map[string]int64{"files": 2, "settlements": 10, "payments_recorded": 10, "duplicates": 0, "exceptions": 0}
	for k, v := range want {
		if run.Counts[k] != v {
			t.Errorf("run counts %v, want %v", run.Counts, want)
			break
		}
	}
	var parts string
	if err := pool.QueryRow(ctx, `SELECT string_agg(coalesce(args->>'part', '0'), ',' ORDER BY (args->>'from_id')::bigint,
			coalesce((args->>'part')::int, 0))
		FROM river.river_job WHERE kind = 'sweep_batch' AND args->>'job' = 'import-payments' AND state = 'completed'`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts != "0,1,2,0,1,2" {
		t.Errorf("completed parts %q, want 0,1,2 for each file", parts)
	}
	var paid, files int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM payments WHERE source = 'bank_file'),
		(SELECT count(*) FROM payment_files WHERE status = 'imported' AND settlements = 5 AND recorded = 5)`).Scan(&paid, &files); err != nil {
		t.Fatal(err)
	}
	if paid != 10 || files != 2 {
		t.Errorf("%d bank_file payments and %d files imported with 5 recorded, want 10 and 2", paid, files)
	}
}
