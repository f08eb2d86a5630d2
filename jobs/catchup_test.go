package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// TestCatchUpWaitsForEarlierJobsOnly: a leader comes up on 2026-03-10 at 12:00 with
// block-delinquent enabled and generate-installments disabled. Its catch-up of
// block-delinquent as of 2026-03-10 waits while a generate-installments run as of an earlier
// date (03-09) is unfinished, and runs once that one is cancelled although one as of a later
// date (03-11) is still waiting: only runs of earlier jobs for the same or earlier dates
// hold it, so a disabled job, which has no runs, never does.
func TestCatchUpWaitsForEarlierJobsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	runner := &jobs.Runner{
		Pool: pool, Sweeps: map[string]jobs.Sweep{jobs.GenerateInstallments: postgres.GenerateSweep{}, jobs.BlockDelinquent: postgres.BlockSweep{}},
		Location: saoPaulo, Now: func() time.Time { return at("2026-03-10 12:00") },
		Logger: slog.New(slog.DiscardHandler), BatchSize: 100, BatchTimeout: time.Minute, CatchUpPoll: 100 * time.Millisecond,
	}
	generate := schedule(t, "0 2 * * *")
	generate.Enabled = false
	block := schedule(t, "15 * * * *")
	block.Spec, _ = jobs.Lookup(jobs.BlockDelinquent)
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{Schedules: []jobs.Schedule{generate, block}, CatchUpDays: 31,
		SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Two manual generate-installments runs the daemon will not reach before the test ends.
	held := map[string]int64{}
	for _, asOf := range []string{"2026-03-09", "2026-03-11"} {
		res, err := client.Insert(ctx, jobs.SweepArgs{Job: jobs.GenerateInstallments, AsOf: asOf, Trigger: jobs.TriggerManual, RunID: 1},
			&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		held[asOf] = res.Job.ID
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
	snoozes := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT coalesce(max((metadata->>'snoozes')::int), 0) FROM river.river_job
			WHERE kind = 'sweep' AND args->>'job' = 'block-delinquent' AND args->>'trigger' = 'catch-up'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	blockRuns := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM job_runs WHERE job = 'block-delinquent' AND state = 'succeeded'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("the catch-up of block-delinquent to wait three times", func() bool { return snoozes() >= 3 })
	if n := blockRuns(); n != 0 {
		t.Fatalf("block-delinquent ran %d times while generate-installments as of 2026-03-09 was unfinished", n)
	}
	if _, err := client.JobCancel(ctx, held["2026-03-09"]); err != nil {
		t.Fatal(err)
	}
	wait("the catch-up of block-delinquent to run", func() bool { return blockRuns() == 1 })
	var asOf string
	if err := pool.QueryRow(ctx, `SELECT as_of::text FROM job_runs WHERE job = 'block-delinquent'`).Scan(&asOf); err != nil || asOf != "2026-03-10" {
		t.Errorf("block-delinquent ran as of %s (%v), want 2026-03-10", asOf, err)
	}
}
