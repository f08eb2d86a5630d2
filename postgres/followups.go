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
	// PaymentsRecorded follows the recording of a batch of payments (RecordPayments), with
	// one entry per contract: when a contract with an open block episode had an installment
	// settled, the payments may end its block.
	PaymentsRecorded(ctx context.Context, tx pgx.Tx, p []PaymentRecorded) error
	// PaymentReversed follows the reversal of a payment (ReversePayment). The contract's
	// delinquency is judged by dates, as everywhere else: block-delinquent's next run
	// blocks it when its rule holds again.
	PaymentReversed(ctx context.Context, tx pgx.Tx, p PaymentReversed) error
	// NoticesRecorded follows the recording of notices (by id) that are still to be
	// delivered: their delivery.
	NoticesRecorded(ctx context.Context, tx pgx.Tx, ids []int64) error
	// RunRequested follows an operator's request to run a job as of a date, recorded in
	// job_runs: the run itself. It returns the queue's id of the job that will do it.
	RunRequested(ctx context.Context, tx pgx.Tx, r RunRequested) (int64, error)
}

// PaymentRecorded is what one contract's payments of a batch did.
type PaymentRecorded struct {
	ContractID int64
	// Payments are the contract's payments the batch recorded, with their imputation.
	Payments []Payment
	// Settled are the installments those payments settled, as paid (a partial payment
	// settles none).
	Settled []Installment
	// PaidOn is the latest of the payments' dates: the contract's delinquency is judged as
	// of it.
	PaidOn time.Time
	// ReceivedAt is when the payments were received (the API request, the file's import),
	// for the payment-to-unblock latency.
	ReceivedAt time.Time
	// BlockEpisodeOpen says the contract has an open block episode.
	BlockEpisodeOpen bool
}

// PaymentReversed is a payment just reversed and what it did to its installment.
type PaymentReversed struct {
	// Payment is the payment, reversed.
	Payment Payment
	// Installment is the installment after the reversal: open again when its remaining
	// payments no longer cover it.
	Installment Installment
	// Reopened says the reversal reopened a paid installment.
	Reopened bool
	// ReversedAt is when the reversal was received.
	ReversedAt time.Time
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
