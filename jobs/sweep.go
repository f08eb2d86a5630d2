package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// Sweep is the work of one scheduled job, planned and done in id-range batches.
type Sweep interface {
	// Plan returns, in ascending order, the first id of each batch of at most batchSize
	// items that have work due as of asOf; an empty result means nothing is due.
	Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error)
	// Batch does, inside tx, the work due as of asOf for the ids in [fromID, toID] and
	// returns what it did as named counts. Running it twice must change nothing.
	Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error)
}

// ChunkedSweep is a Sweep whose one batch may be too much work for one transaction (a bank
// return file of 100,000 settlements). The batch worker calls BatchChunk, which does at most
// one chunk of the range's work and reports whether more remains; when it does, the worker
// enqueues the range's next part in the same transaction and counts the batch done only
// with its last part. So each chunk commits on its own, and a batch whose process died
// resumes after its last committed chunk. Batch still does the whole range in one
// transaction (a dry run).
type ChunkedSweep interface {
	Sweep
	// BatchChunk does, inside tx, the next chunk of the work due as of asOf for the ids in
	// [fromID, toID], returns what it did as named counts and reports whether work remains.
	BatchChunk(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, bool, error)
}

// Queue names.
const (
	// QueueSweeps holds the sweeps and their batches.
	QueueSweeps = "sweeps"
	// QueueEvents holds per-event jobs (a payment's unblock, an e-mail).
	QueueEvents = "default"
)

// SweepArgs asks for one run of a scheduled job as of a date.
type SweepArgs struct {
	Job     string     `json:"job"`
	AsOf    string     `json:"as_of"`
	Trigger string     `json:"trigger"`
	Slot    *time.Time `json:"slot,omitempty"`
	// RunID is the job_runs row a manual run was recorded under; zero for scheduled runs,
	// whose row is keyed by (job, slot).
	RunID int64 `json:"run_id,omitempty"`
}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts: identical requests collapse into one.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSweeps, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// BatchArgs asks for one id range of a run.
type BatchArgs struct {
	Job    string `json:"job"`
	AsOf   string `json:"as_of"`
	RunID  int64  `json:"run_id"`
	FromID int64  `json:"from_id"`
	ToID   int64  `json:"to_id"`
	// Part numbers the chunks of a ChunkedSweep's batch: 0 for the first, then 1, 2, …
	Part int `json:"part,omitempty"`
}

// Kind implements river.JobArgs.
func (BatchArgs) Kind() string { return "sweep_batch" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (BatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSweeps, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Runner holds what the workers need: the database, the store, the sweeps by job name, the
// business time zone, the clock, the logger and the metrics.
type Runner struct {
	Pool *pgxpool.Pool
	// Store is the store the per-event jobs change (the one the API changes too).
	Store     *postgres.Store
	Sweeps    map[string]Sweep
	Location  *time.Location
	Now       func() time.Time
	Logger    *slog.Logger
	Metrics   *Metrics
	BatchSize int
	// BatchTimeout bounds one batch; River cancels the batch's context after it.
	BatchTimeout time.Duration
	// CatchUpPoll is how long a catch-up run waits (snoozed) before it looks again at the
	// runs of the jobs before it in DependencyOrder; zero means DefaultCatchUpPoll.
	CatchUpPoll time.Duration

	// dryRuns lets one DryRun at a time run in this process.
	dryRuns sync.Mutex
}

// DefaultCatchUpPoll is the Runner's CatchUpPoll when none is set.
const DefaultCatchUpPoll = time.Second

// resolve finds the sweep of job and parses its as-of date; a job args that name neither can
// never succeed, so the error cancels the River job.
func (r *Runner) resolve(job, asOf string) (Sweep, time.Time, error) {
	sweep, ok := r.Sweeps[job]
	if !ok {
		return nil, time.Time{}, river.JobCancel(fmt.Errorf("unknown job %q", job))
	}
	date, err := billing.ParseDate(asOf)
	if err != nil {
		return nil, time.Time{}, river.JobCancel(fmt.Errorf("job %s: as_of: %w", job, err))
	}
	return sweep, date, nil
}

// sweepWorker starts a run: it records it, plans its batches and enqueues them, all in one
// transaction with the sweep job's completion (run again when it loses a deadlock, see
// postgres.RetryTx).
type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	r *Runner
}

// Work implements river.Worker.
func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	r := w.r
	a := job.Args
	sweep, asOf, err := r.resolve(a.Job, a.AsOf)
	if err != nil {
		return err
	}
	if a.Trigger == TriggerCatchUp {
		if err := r.waitForEarlierJobs(ctx, job); err != nil {
			return err
		}
	}
	client := river.ClientFromContext[pgx.Tx](ctx)

	var run records.Run
	var duplicate bool
	err = postgres.RetryTx(ctx, r.Pool, func(tx pgx.Tx) error {
		run, duplicate, err = claimRun(ctx, tx, a, job.ID)
		if err != nil || duplicate {
			if err == nil {
				_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			}
			return err
		}
		starts, err := sweep.Plan(ctx, tx, asOf, r.BatchSize)
		if err != nil {
			return fmt.Errorf("plan %s as of %s: %w", a.Job, a.AsOf, err)
		}
		params := make([]river.InsertManyParams, len(starts))
		for i, from := range starts {
			to := int64(math.MaxInt64)
			if i+1 < len(starts) {
				to = starts[i+1] - 1
			}
			params[i] = river.InsertManyParams{Args: BatchArgs{Job: a.Job, AsOf: a.AsOf, RunID: run.ID, FromID: from, ToID: to}}
		}
		if len(params) > 0 {
			if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
				return fmt.Errorf("enqueue %d batches: %w", len(params), err)
			}
		}
		state := records.RunRunning
		if len(params) == 0 {
			state = records.RunSucceeded
		}
		run, err = postgres.ScanRun(tx.QueryRow(ctx, `UPDATE job_runs SET state = $2, batches_total = $3,
				finished_at = CASE WHEN $2 = 'succeeded' THEN now() END
			WHERE id = $1 RETURNING `+postgres.RunColumns, run.ID, state, len(params)))
		if err != nil {
			return fmt.Errorf("record plan of run %d: %w", run.ID, err)
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if err != nil {
		r.failIfLastAttempt(ctx, run.ID, job.Attempt, job.MaxAttempts, err)
		return err
	}
	if duplicate {
		r.Logger.InfoContext(ctx, "slot already run", slog.String("job", a.Job), slog.String("as_of", a.AsOf),
			slog.String("trigger", a.Trigger), slog.Int64("run_id", run.ID))
		return nil
	}
	r.Logger.InfoContext(ctx, "run planned", slog.String("job", a.Job), slog.String("as_of", a.AsOf),
		slog.String("trigger", a.Trigger), slog.Int64("run_id", run.ID), slog.Int("batches", run.BatchesTotal))
	if run.Finished() {
		r.finished(ctx, run)
	}
	return nil
}

// waitForEarlierJobs returns a River snooze of CatchUpPoll while a run of a job before this
// catch-up's job in DependencyOrder, for the same or an earlier date, is unfinished: its
// sweep or one of its batches is a River job not yet completed, cancelled or discarded.
// River jobs always reach one of those (a failing one after its last attempt, a lost one
// once rescued) and the order has no cycle, so the wait ends; a disabled job has no
// catch-up run to wait for. A snooze does not use up an attempt.
func (r *Runner) waitForEarlierJobs(ctx context.Context, job *river.Job[SweepArgs]) error {
	var earlier []string
	for _, name := range DependencyOrder {
		if name == job.Args.Job {
			break
		}
		earlier = append(earlier, name)
	}
	if len(earlier) == 0 {
		return nil
	}
	var blocking, blockingAsOf string
	err := r.Pool.QueryRow(ctx, `SELECT args->>'job', args->>'as_of' FROM `+migrations.RiverSchema+`.river_job
		WHERE kind IN ('sweep', 'sweep_batch') AND state NOT IN ('completed', 'cancelled', 'discarded')
		  AND args->>'job' = ANY($1) AND args->>'as_of' <= $2
		ORDER BY id LIMIT 1`, earlier, job.Args.AsOf).Scan(&blocking, &blockingAsOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look for unfinished runs before %s as of %s: %w", job.Args.Job, job.Args.AsOf, err)
	}
	poll := r.CatchUpPoll
	if poll <= 0 {
		poll = DefaultCatchUpPoll
	}
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(job.Metadata, &meta)
	level := slog.LevelDebug
	if meta.Snoozes == 0 {
		level = slog.LevelInfo
	}
	r.Logger.Log(ctx, level, "catch-up waits for an earlier job", slog.String("job", job.Args.Job),
		slog.String("as_of", job.Args.AsOf), slog.String("waits_for", blocking), slog.String("waits_for_as_of", blockingAsOf),
		slog.Int("snoozes", meta.Snoozes))
	return river.JobSnooze(poll)
}

// Timeout implements river.Worker: planning a million contracts takes seconds, not minutes.
// It never exceeds the batch timeout, so a plan whose process died is rescued as soon as a
// batch would be.
func (w *sweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration {
	if w.r.BatchTimeout > 0 {
		return min(5*time.Minute, w.r.BatchTimeout)
	}
	return 5 * time.Minute
}

// claimRun finds or creates the job_runs row for a sweep job and marks it running. It
// reports duplicate when the slot was already claimed by another River job.
func claimRun(ctx context.Context, tx pgx.Tx, a SweepArgs, riverJobID int64) (records.Run, bool, error) {
	if a.RunID != 0 {
		run, err := postgres.ScanRun(tx.QueryRow(ctx, `UPDATE job_runs SET
				state = CASE WHEN state = 'queued' THEN 'running' ELSE state END,
				river_job_id = CASE WHEN state = 'queued' THEN $2 ELSE river_job_id END,
				started_at = coalesce(started_at, now()) WHERE id = $1 RETURNING `+postgres.RunColumns, a.RunID, riverJobID))
		if errors.Is(err, pgx.ErrNoRows) {
			return records.Run{}, false, river.JobCancel(fmt.Errorf("%w: %d", billing.ErrRunNotFound, a.RunID))
		}
		if err != nil {
			return records.Run{}, false, fmt.Errorf("start run %d: %w", a.RunID, err)
		}
		return run, run.BatchesTotal > 0 || run.Finished(), nil
	}
	if a.Slot == nil {
		return records.Run{}, false, river.JobCancel(fmt.Errorf("job %s: a %s run needs a slot", a.Job, a.Trigger))
	}
	run, err := postgres.ScanRun(tx.QueryRow(ctx, `INSERT INTO job_runs (job, as_of, trigger, slot, state, river_job_id, started_at)
			VALUES ($1, $2, $3, $4, 'running', $5, now())
			ON CONFLICT (job, slot) WHERE slot IS NOT NULL DO NOTHING RETURNING `+postgres.RunColumns,
		a.Job, a.AsOf, a.Trigger, *a.Slot, riverJobID))
	if err == nil {
		return run, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return records.Run{}, false, fmt.Errorf("record run of %s for slot %s: %w", a.Job, a.Slot.Format(time.RFC3339), err)
	}
	run, err = postgres.ScanRun(tx.QueryRow(ctx, "SELECT "+postgres.RunColumns+" FROM job_runs WHERE job = $1 AND slot = $2", a.Job, *a.Slot))
	if err != nil {
		return records.Run{}, false, fmt.Errorf("read run of %s for slot %s: %w", a.Job, a.Slot.Format(time.RFC3339), err)
	}
	return run, true, nil
}

// batchWorker does one id range of a run and, when it is the run's last, finishes the run,
// in one transaction with the batch job's completion (run again when it loses a deadlock,
// see postgres.RetryTx).
type batchWorker struct {
	river.WorkerDefaults[BatchArgs]
	r *Runner
}

// Work implements river.Worker.
func (w *batchWorker) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	r := w.r
	a := job.Args
	sweep, asOf, err := r.resolve(a.Job, a.AsOf)
	if err != nil {
		return err
	}
	var run records.Run
	var counts map[string]int64
	err = postgres.RetryTx(ctx, r.Pool, func(tx pgx.Tx) error {
		var err error
		more := false
		if chunked, ok := sweep.(ChunkedSweep); ok {
			counts, more, err = chunked.BatchChunk(ctx, tx, asOf, a.FromID, a.ToID)
		} else {
			counts, err = sweep.Batch(ctx, tx, asOf, a.FromID, a.ToID)
		}
		if err != nil {
			return fmt.Errorf("batch %d-%d of %s as of %s: %w", a.FromID, a.ToID, a.Job, a.AsOf, err)
		}
		done := 1
		if more {
			next := a
			next.Part++
			if _, err := river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx, next, nil); err != nil {
				return fmt.Errorf("enqueue part %d of batch %d-%d of run %d: %w", next.Part, a.FromID, a.ToID, a.RunID, err)
			}
			done = 0
		}
		run, err = postgres.ScanRun(tx.QueryRow(ctx, `UPDATE job_runs SET batches_done = batches_done + $3,
				counts = jsonb_add_counts(counts, $2),
				state = CASE WHEN batches_done + $3 >= batches_total AND state = 'running' THEN 'succeeded' ELSE state END,
				finished_at = CASE WHEN batches_done + $3 >= batches_total AND state = 'running' THEN now() ELSE finished_at END
			WHERE id = $1 RETURNING `+postgres.RunColumns, a.RunID, counts, done))
		if err != nil {
			return fmt.Errorf("record batch of run %d: %w", a.RunID, err)
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if err != nil {
		r.failIfLastAttempt(ctx, a.RunID, job.Attempt, job.MaxAttempts, err)
		return err
	}
	r.Metrics.observeBatch(a.Job, counts)
	if run.Finished() && run.BatchesDone == run.BatchesTotal {
		r.finished(ctx, run)
	}
	return nil
}

// Timeout implements river.Worker.
func (w *batchWorker) Timeout(*river.Job[BatchArgs]) time.Duration { return w.r.BatchTimeout }

// failIfLastAttempt records a run as failed when the job that failed will not be retried.
func (r *Runner) failIfLastAttempt(ctx context.Context, runID int64, attempt, maxAttempts int, cause error) {
	r.Logger.ErrorContext(ctx, "job attempt failed", slog.Int64("run_id", runID), slog.Int("attempt", attempt),
		slog.Int("max_attempts", maxAttempts), slog.String("error", cause.Error()))
	if runID == 0 || attempt < maxAttempts || ctx.Err() != nil {
		return
	}
	run, err := postgres.ScanRun(r.Pool.QueryRow(context.WithoutCancel(ctx), `UPDATE job_runs SET state = 'failed', error = $2,
			finished_at = now() WHERE id = $1 AND state <> 'failed' RETURNING `+postgres.RunColumns, runID, cause.Error()))
	if err != nil {
		r.Logger.ErrorContext(ctx, "record failed run", slog.Int64("run_id", runID), slog.String("error", err.Error()))
		return
	}
	r.finished(ctx, run)
}

// finished logs a run's outcome and counts and updates the metrics.
func (r *Runner) finished(ctx context.Context, run records.Run) {
	outcome := "success"
	level := slog.LevelInfo
	if run.State == records.RunFailed {
		outcome, level = "failure", slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("job", run.Job), slog.String("as_of", billing.FormatDate(run.AsOf)),
		slog.String("trigger", run.Trigger), slog.Int64("run_id", run.ID), slog.String("outcome", outcome),
		slog.String("duration", run.Duration().String()), slog.Int("batches", run.BatchesTotal), slog.Any("counts", run.Counts),
	}
	if run.Error != "" {
		attrs = append(attrs, slog.String("error", run.Error))
	}
	r.Logger.LogAttrs(ctx, level, "run finished", attrs...)
	if r.Metrics != nil {
		r.Metrics.observeRun(run, outcome)
	}
}
