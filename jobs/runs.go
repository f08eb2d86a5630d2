package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run states in job_runs.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// ErrRunNotFound is returned when no run has the requested id.
var ErrRunNotFound = errors.New("run not found")

// Run is one row of job_runs: a request to run a job as of a date, and what came of it.
type Run struct {
	ID           int64            `json:"id"`
	Job          string           `json:"job"`
	AsOf         time.Time        `json:"-"`
	Trigger      string           `json:"trigger"`
	Slot         *time.Time       `json:"slot,omitempty"`
	State        string           `json:"state"`
	RiverJobID   *int64           `json:"river_job_id,omitempty"`
	BatchesTotal int              `json:"batches_total"`
	BatchesDone  int              `json:"batches_done"`
	Counts       map[string]int64 `json:"counts"`
	Error        string           `json:"error,omitempty"`
	EnqueuedAt   time.Time        `json:"enqueued_at"`
	StartedAt    *time.Time       `json:"started_at,omitempty"`
	FinishedAt   *time.Time       `json:"finished_at,omitempty"`
}

// Finished reports whether the run has reached a final state.
func (r Run) Finished() bool { return r.State == RunSucceeded || r.State == RunFailed }

// Duration is the time from start to finish, or zero while unfinished.
func (r Run) Duration() time.Duration {
	if r.StartedAt == nil || r.FinishedAt == nil {
		return 0
	}
	return r.FinishedAt.Sub(*r.StartedAt)
}

// Querier is what the run ledger needs from a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const runColumns = `id, job, as_of, trigger, slot, state, river_job_id, batches_total, batches_done,
	counts, coalesce(error, ''), enqueued_at, started_at, finished_at`

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	err := row.Scan(scanTargets(&r)...)
	if r.Counts == nil {
		r.Counts = map[string]int64{}
	}
	return r, err
}

// GetRun returns the run with the given id, or ErrRunNotFound.
func GetRun(ctx context.Context, q Querier, id int64) (Run, error) {
	r, err := scanRun(q.QueryRow(ctx, "SELECT "+runColumns+" FROM job_runs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, fmt.Errorf("%w: %d", ErrRunNotFound, id)
	}
	if err != nil {
		return Run{}, fmt.Errorf("get run %d: %w", id, err)
	}
	return r, nil
}

// RunFilter selects runs for ListRuns; zero fields do not filter.
type RunFilter struct {
	Job   string
	State string
	From  time.Time // runs enqueued at or after this instant
	Limit int
	// BeforeID pages backwards: only runs with a smaller id.
	BeforeID int64
}

// ListRuns returns runs, newest first.
func ListRuns(ctx context.Context, q Querier, f RunFilter) ([]Run, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var from *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	rows, err := q.Query(ctx, "SELECT "+runColumns+` FROM job_runs
		WHERE ($1 = '' OR job = $1) AND ($2 = '' OR state = $2) AND ($3::timestamptz IS NULL OR enqueued_at >= $3)
		  AND ($4::bigint = 0 OR id < $4)
		ORDER BY id DESC LIMIT $5`, f.Job, f.State, from, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastRuns returns the most recently enqueued run of each job that has one.
func LastRuns(ctx context.Context, q Querier) (map[string]Run, error) {
	rows, err := q.Query(ctx, "SELECT DISTINCT ON (job) "+runColumns+" FROM job_runs ORDER BY job, id DESC")
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", err)
	}
	defer rows.Close()
	out := map[string]Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out[r.Job] = r
	}
	return out, rows.Err()
}

// LastSuccesses returns, per job, when its latest successful run finished.
func LastSuccesses(ctx context.Context, q Querier) (map[string]time.Time, error) {
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
