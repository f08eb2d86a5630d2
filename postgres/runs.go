package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// RunColumns are the columns of job_runs that ScanRun reads, in its order, for the sweep
// framework's own statements on the run ledger.
const RunColumns = `id, job, as_of, trigger, slot, state, river_job_id, batches_total, batches_done,
	counts, coalesce(error, ''), enqueued_at, started_at, finished_at`

// ScanRun reads a row of RunColumns.
func ScanRun(row pgx.Row) (Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.Job, &r.AsOf, &r.Trigger, &r.Slot, &r.State, &r.RiverJobID, &r.BatchesTotal,
		&r.BatchesDone, &r.Counts, &r.Error, &r.EnqueuedAt, &r.StartedAt, &r.FinishedAt)
	if r.Counts == nil {
		r.Counts = map[string]int64{}
	}
	return r, err
}

// RequestRun records an operator's run of job as of asOf and, in the same transaction, hands
// it to the follow-ups to be run, so that a rerun of a date already done really runs again.
// It returns the run as recorded.
func (s *Store) RequestRun(ctx context.Context, job string, asOf time.Time) (Run, error) {
	if s.FollowUps == nil {
		return Run{}, fmt.Errorf("enqueue %s as of %s: the store has no follow-ups to run it", job, billing.FormatDate(asOf))
	}
	var run Run
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO job_runs (job, as_of, trigger) VALUES ($1, $2, 'manual') RETURNING id`,
			job, asOf).Scan(&id); err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		records.AddAuditDetail(ctx, "run_id", id)
		queueID, err := s.FollowUps.RunRequested(ctx, tx, RunRequested{RunID: id, Job: job, AsOf: asOf})
		if err != nil {
			return fmt.Errorf("enqueue run: %w", err)
		}
		run, err = ScanRun(tx.QueryRow(ctx, `UPDATE job_runs SET river_job_id = $2 WHERE id = $1 RETURNING `+RunColumns,
			id, queueID))
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("enqueue %s as of %s: %w", job, billing.FormatDate(asOf), err)
	}
	return run, nil
}

// Run returns the run with the given id, or billing.ErrRunNotFound.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) { return GetRun(ctx, s.Pool, id) }

// Runs lists runs, newest first.
func (s *Store) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	return ListRuns(ctx, s.Pool, f)
}

// GetRun returns the run with the given id, or billing.ErrRunNotFound.
func GetRun(ctx context.Context, q Queryer, id int64) (Run, error) {
	r, err := ScanRun(q.QueryRow(ctx, "SELECT "+RunColumns+" FROM job_runs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, fmt.Errorf("%w: %d", billing.ErrRunNotFound, id)
	}
	if err != nil {
		return Run{}, fmt.Errorf("get run %d: %w", id, err)
	}
	return r, nil
}

// ListRuns returns runs, newest first.
func ListRuns(ctx context.Context, q Queryer, f RunFilter) ([]Run, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var from *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	rows, err := q.Query(ctx, "SELECT "+RunColumns+` FROM job_runs
		WHERE ($1 = '' OR job = $1) AND ($2 = '' OR state = $2) AND ($3::timestamptz IS NULL OR enqueued_at >= $3)
		  AND ($4::bigint = 0 OR id < $4)
		ORDER BY id DESC LIMIT $5`, f.Job, f.State, from, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := ScanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastRuns returns the most recently enqueued run of each job that has one.
func LastRuns(ctx context.Context, q Queryer) (map[string]Run, error) {
	rows, err := q.Query(ctx, "SELECT DISTINCT ON (job) "+RunColumns+" FROM job_runs ORDER BY job, id DESC")
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", err)
	}
	defer rows.Close()
	out := map[string]Run{}
	for rows.Next() {
		r, err := ScanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out[r.Job] = r
	}
	return out, rows.Err()
}

// LastSuccesses returns, per job, when its latest successful run finished.
func LastSuccesses(ctx context.Context, q Queryer) (map[string]time.Time, error) {
	rows, err := q.Query(ctx, `SELECT job, max(finished_at) FROM job_runs WHERE state = 'succeeded' GROUP BY job`)
	if err != nil {
		return nil, fmt.Errorf("last successes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var job string
		var at time.Time
		if err := rows.Scan(&job, &at); err != nil {
			return nil, fmt.Errorf("scan last success: %w", err)
		}
		out[job] = at
	}
	return out, rows.Err()
}
