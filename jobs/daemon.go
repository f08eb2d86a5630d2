package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// DaemonOptions configures the River client of `billingd serve`.
type DaemonOptions struct {
	// Schedules are the scheduled jobs; disabled ones are neither scheduled nor caught up.
	Schedules []Schedule
	// CatchUpDays bounds how far back a new leader enqueues missed as-of dates.
	CatchUpDays int
	// SweepWorkers is how many sweep batches one process works at once.
	SweepWorkers int
	// SoftStopTimeout is how long running jobs may finish after a stop before they are cancelled.
	SoftStopTimeout time.Duration
	// RescueAfter is how long a job may stay running before River takes it for lost (its
	// process died) and retries it; it must exceed the Runner's BatchTimeout. Zero keeps
	// River's default.
	RescueAfter time.Duration
	// Delivery delivers the notices outbox (per-event jobs); nil: notices are not worked.
	Delivery *Delivery
	// Webhooks publishes events (a periodic job of the leader) and delivers them to the
	// webhook endpoints; nil: events stay unpublished.
	Webhooks *Webhooks
}

// NewDaemonClient returns a River client that works billingd's jobs and, while it is the
// elected leader, enqueues the scheduled sweeps and catches up the slots missed while no
// daemon was leading.
func (r *Runner) NewDaemonClient(opts DaemonOptions) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &sweepWorker{r: r}); err != nil {
		return nil, fmt.Errorf("register sweep worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &batchWorker{r: r}); err != nil {
		return nil, fmt.Errorf("register batch worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &unblockWorker{r: r}); err != nil {
		return nil, fmt.Errorf("register unblock worker: %w", err)
	}
	if opts.Delivery != nil {
		if err := river.AddWorkerSafely(workers, &noticeWorker{d: opts.Delivery}); err != nil {
			return nil, fmt.Errorf("register notice worker: %w", err)
		}
	}

	var periodic []*river.PeriodicJob
	if w := opts.Webhooks; w != nil {
		if err := river.AddWorkerSafely(workers, &publishWorker{w: w}); err != nil {
			return nil, fmt.Errorf("register publish worker: %w", err)
		}
		if err := river.AddWorkerSafely(workers, &deliverWorker{w: w}); err != nil {
			return nil, fmt.Errorf("register webhook delivery worker: %w", err)
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(w.PublishInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PublishArgs{}, nil },
			&river.PeriodicJobOpts{ID: PublishArgs{}.Kind(), RunOnStart: true}))
		if w.DeliveryRetention > 0 {
			if err := river.AddWorkerSafely(workers, &pruneDeliveriesWorker{w: w}); err != nil {
				return nil, fmt.Errorf("register webhook pruning worker: %w", err)
			}
			periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(PruneDeliveriesInterval),
				func() (river.JobArgs, *river.InsertOpts) { return PruneDeliveriesArgs{}, nil },
				&river.PeriodicJobOpts{ID: PruneDeliveriesArgs{}.Kind(), RunOnStart: true}))
		}
	}
	for _, s := range opts.Schedules {
		if !s.Enabled {
			continue
		}
		periodic = append(periodic, river.NewPeriodicJob(s.Cron, r.scheduledArgs(s.Spec.Name), &river.PeriodicJobOpts{ID: s.Spec.Name}))
	}

	var client *river.Client[pgx.Tx]
	catchUp := river.HookPeriodicJobsStartFunc(func(ctx context.Context, _ *rivertype.HookPeriodicJobsStartParams) error {
		// Never fail the hook: an error here would stop the leader's maintenance services.
		if err := r.CatchUp(ctx, client, opts.Schedules, opts.CatchUpDays); err != nil {
			r.Logger.ErrorContext(ctx, "catch-up failed", slog.String("error", err.Error()))
		}
		return nil
	})

	client, err := river.NewClient(riverpgxv5.New(r.Pool), &river.Config{
		Schema:          migrations.RiverSchema,
		Logger:          r.Logger,
		Workers:         workers,
		PeriodicJobs:    periodic,
		Hooks:           []rivertype.Hook{catchUp},
		SoftStopTimeout: opts.SoftStopTimeout,
		JobTimeout:      r.BatchTimeout,
		// A killed batch's transaction rolled back, so retrying it is safe.
		RescueStuckJobsAfter: opts.RescueAfter,
		Queues: map[string]river.QueueConfig{
			QueueSweeps: {MaxWorkers: max(opts.SweepWorkers, 1)},
			// Per-event jobs (an unblock after a payment, an e-mail) are short: fetch often, so
			// a backlog is not paced at MaxWorkers per default 100 ms cooldown.
			QueueEvents: {MaxWorkers: 16, FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 250 * time.Millisecond},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create River client: %w", err)
	}
	return client, nil
}

// scheduledArgs builds the periodic job constructor of one job: the slot is the cron tick
// being enqueued (ticks are whole minutes) and the as-of date is the slot's date in the
// business time zone.
func (r *Runner) scheduledArgs(job string) river.PeriodicJobConstructor {
	return func() (river.JobArgs, *river.InsertOpts) {
		slot := r.Now().Add(30 * time.Second).Truncate(time.Minute).UTC()
		return SweepArgs{
			Job: job, AsOf: billing.FormatDate(billing.DateOf(slot, r.Location)), Trigger: TriggerSchedule, Slot: &slot,
		}, nil
	}
}

// CatchUp enqueues, job by job in DependencyOrder and oldest first, the as-of dates whose
// scheduled slots passed without a run, at most days back; for a job that never ran only its
// latest slot is enqueued. Each date is enqueued once, for its last missed slot. A catch-up
// run starts only once the runs of the jobs before it, for the same or earlier dates, have
// finished (the sweep worker snoozes it until then).
func (r *Runner) CatchUp(ctx context.Context, client *river.Client[pgx.Tx], schedules []Schedule, days int) error {
	now := r.Now()
	for _, s := range inDependencyOrder(schedules) {
		if !s.Enabled {
			continue
		}
		var last *time.Time
		if err := r.Pool.QueryRow(ctx, `SELECT max(slot) FROM job_runs WHERE job = $1 AND slot IS NOT NULL`,
			s.Spec.Name).Scan(&last); err != nil {
			return fmt.Errorf("last slot of %s: %w", s.Spec.Name, err)
		}
		slots := MissedSlots(s, last, now, days, r.Location)
		for _, slot := range slots {
			args := SweepArgs{
				Job: s.Spec.Name, AsOf: billing.FormatDate(billing.DateOf(slot, r.Location)), Trigger: TriggerCatchUp, Slot: &slot,
			}
			res, err := client.Insert(ctx, args, &river.InsertOpts{ScheduledAt: slot})
			if err != nil {
				return fmt.Errorf("enqueue catch-up of %s as of %s: %w", args.Job, args.AsOf, err)
			}
			r.Logger.InfoContext(ctx, "catch-up enqueued", slog.String("job", args.Job), slog.String("as_of", args.AsOf),
				slog.Time("slot", slot), slog.Bool("duplicate", res.UniqueSkippedAsDuplicate))
		}
	}
	return nil
}

// inDependencyOrder returns the schedules sorted by their job's place in DependencyOrder.
func inDependencyOrder(schedules []Schedule) []Schedule {
	rank := map[string]int{}
	for i, name := range DependencyOrder {
		rank[name] = i
	}
	out := slices.Clone(schedules)
	slices.SortStableFunc(out, func(a, b Schedule) int { return rank[a.Spec.Name] - rank[b.Spec.Name] })
	return out
}

// MissedSlots returns, oldest first, the last slot of each business date whose schedule ticks
// fell after last (the latest slot already recorded) and at or before now, looking back at
// most days. With no recorded slot only the most recent tick is returned.
func MissedSlots(s Schedule, last *time.Time, now time.Time, days int, loc *time.Location) []time.Time {
	from := now.AddDate(0, 0, -days)
	if last != nil && last.After(from) {
		from = *last
	}
	byDate := map[string]time.Time{}
	for t := s.Cron.Next(from); !t.After(now); t = s.Cron.Next(t) {
		byDate[billing.FormatDate(billing.DateOf(t, loc))] = t.UTC()
	}
	out := make([]time.Time, 0, len(byDate))
	for _, t := range byDate {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	if last == nil && len(out) > 1 {
		out = out[len(out)-1:]
	}
	return out
}

// WaitRun polls the run until it finishes or ctx ends, calling progress on each change.
func WaitRun(ctx context.Context, q postgres.Queryer, id int64, every time.Duration, progress func(records.Run)) (records.Run, error) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	lastDone := -1
	lastState := ""
	for {
		run, err := postgres.GetRun(ctx, q, id)
		if err != nil {
			return records.Run{}, err
		}
		if progress != nil && (run.BatchesDone != lastDone || run.State != lastState) {
			progress(run)
			lastDone, lastState = run.BatchesDone, run.State
		}
		if run.Finished() {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, fmt.Errorf("wait for run %d: %w", id, ctx.Err())
		case <-ticker.C:
		}
	}
}
