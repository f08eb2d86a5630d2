package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// ErrDryRunBusy is returned by DryRun while another dry run holds this process's slot; it
// wraps billing.ErrConflict (the API answers 409).
var ErrDryRunBusy = fmt.Errorf("%w: another dry run is in progress in this process; try again when it ends", billing.ErrConflict)

// DryRun runs job as of asOf without changing anything and reports what a real run would do.
// It calls the job's real sweep — Plan, then Batch over every planned range, the functions
// the sweep and batch workers call — all in one transaction that it rolls back, then reads
// what that transaction wrote (postgres.TxEffects: rows per table, and a sample of at most
// sample rows). The counts are the batches' counts added key by key, as job_runs records
// them for a real run. The follow-ups the batches hand on (River jobs, e-mails) are inserted
// through the same transaction and roll back with it; the report lists them (river.river_job).
//
// Unlike a real run, whose batches commit one by one, the dry run holds the row locks of every
// batch until it ends, so it runs one at a time per process (ErrDryRunBusy) and the caller
// bounds it with ctx. Nothing is recorded in job_runs; sequences (ids) it drew stay used, as
// PostgreSQL never rolls a sequence back.
func (r *Runner) DryRun(ctx context.Context, job string, asOf time.Time, sample int) (records.DryRun, error) {
	sweep, ok := r.Sweeps[job]
	if !ok {
		return records.DryRun{}, fmt.Errorf("dry run: unknown job %q", job)
	}
	if !r.dryRuns.TryLock() {
		return records.DryRun{}, ErrDryRunBusy
	}
	defer r.dryRuns.Unlock()
	// The dry run writes no audit record of its own: its transaction is rolled back.
	ctx = records.WithAudit(ctx, nil)
	// Nor does it touch anything outside the database (import-payments' drop directory).
	ctx = postgres.WithDryRun(ctx)
	started := time.Now()
	out := records.DryRun{Job: job, AsOf: asOf, Counts: map[string]int64{}, SampleLimit: sample}
	tx, err := r.Pool.Begin(ctx)
	if err != nil {
		return records.DryRun{}, fmt.Errorf("dry run of %s as of %s: begin: %w", job, billing.FormatDate(asOf), err)
	}
	defer func() {
		// Always rolled back: a dry run never commits.
		if rerr := tx.Rollback(context.WithoutCancel(ctx)); rerr != nil && !errors.Is(rerr, context.Canceled) {
			r.Logger.DebugContext(ctx, "dry run rollback", slog.String("error", rerr.Error()))
		}
	}()
	effects, err := postgres.StartEffects(ctx, tx)
	if err != nil {
		return records.DryRun{}, fmt.Errorf("dry run of %s as of %s: %w", job, billing.FormatDate(asOf), err)
	}
	starts, err := sweep.Plan(ctx, tx, asOf, r.BatchSize)
	if err != nil {
		return records.DryRun{}, fmt.Errorf("dry run: plan %s as of %s: %w", job, billing.FormatDate(asOf), err)
	}
	out.Batches = len(starts)
	for i, from := range starts {
		to := int64(math.MaxInt64)
		if i+1 < len(starts) {
			to = starts[i+1] - 1
		}
		counts, err := sweep.Batch(ctx, tx, asOf, from, to)
		if err != nil {
			return records.DryRun{}, fmt.Errorf("dry run: batch %d-%d of %s as of %s: %w", from, to, job, billing.FormatDate(asOf), err)
		}
		for k, v := range counts {
			out.Counts[k] += v
		}
	}
	out.Tables, out.Effects, err = effects.Read(ctx, tx, sample)
	if err != nil {
		return records.DryRun{}, fmt.Errorf("dry run of %s as of %s: %w", job, billing.FormatDate(asOf), err)
	}
	out.Duration = time.Since(started)
	r.Logger.InfoContext(ctx, "dry run done", slog.String("job", job), slog.String("as_of", billing.FormatDate(asOf)),
		slog.Int("batches", out.Batches), slog.Any("counts", out.Counts), slog.String("duration", out.Duration.String()))
	return out, nil
}
