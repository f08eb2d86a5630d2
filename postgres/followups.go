package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// FollowUps is the port through which the store hands on the work that must follow a change
// — a job to run, an e-mail to deliver — inside the transaction that makes the change, so
// that the work is enqueued if and only if the change commits. Its methods name business
// events, not the queue that carries them out (package jobs implements it with River);
// adding an event is adding a method here, its call where the store writes the change, and
// its implementation there. An error rolls the change back.
type FollowUps interface {
	// PaymentRecorded follows the payment of an installment: when the contract has an open
	// block episode, the payment may end it.
	PaymentRecorded(ctx context.Context, tx pgx.Tx, p PaymentRecorded) error
	// NoticesRecorded follows the recording of notices (by id) that are still to be
	// delivered: their delivery.
	NoticesRecorded(ctx context.Context, tx pgx.Tx, ids []int64) error
	// RunRequested follows an operator's request to run a job as of a date, recorded in
	// job_runs: the run itself. It returns the queue's id of the job that will do it.
	RunRequested(ctx context.Context, tx pgx.Tx, r RunRequested) (int64, error)
}

// PaymentRecorded is a payment just recorded.
type PaymentRecorded struct {
	// Installment is the installment as paid.
	Installment Installment
	// ReceivedAt is when the payment was received (the API request), for the
	// payment-to-unblock latency.
	ReceivedAt time.Time
	// BlockEpisodeOpen says the installment's contract has an open block episode.
	BlockEpisodeOpen bool
}

// RunRequested is an operator's request to run a job as of a date.
type RunRequested struct {
	// RunID is the request's job_runs row.
	RunID int64
	// Job names the job, such as "generate-installments".
	Job string
	// AsOf is the date the job runs as of.
	AsOf time.Time
}

// noticesRecorded hands notices still to be delivered to the follow-ups, when there are
// some and the store has follow-ups.
func noticesRecorded(ctx context.Context, tx pgx.Tx, f FollowUps, ids []int64) error {
	if f == nil || len(ids) == 0 {
		return nil
	}
	return f.NoticesRecorded(ctx, tx, ids)
}
