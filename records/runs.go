package records

import "time"

// Run states in job_runs.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// RunStates are the states of a run.
var RunStates = []string{RunQueued, RunRunning, RunSucceeded, RunFailed}

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

// RunFilter selects runs for ListRuns; zero fields do not filter.
type RunFilter struct {
	Job   string
	State string
	From  time.Time // runs enqueued at or after this instant
	Limit int
	// BeforeID pages backwards: only runs with a smaller id.
	BeforeID int64
}
