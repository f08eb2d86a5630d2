package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// UnblockArgs asks to unblock a contract after a payment, judged as of the payment's date.
// It is enqueued in the payment's own transaction.
type UnblockArgs struct {
	// ContractID is the contract and InstallmentID the installment its payment settled;
	// zero when the job names its contracts in Contracts.
	ContractID    int64  `json:"contract_id"`
	InstallmentID int64  `json:"installment_id"`
	PaidAt        string `json:"paid_at"`
	// RequestedAt is when the payment request arrived, for the payment-to-unblock latency.
	RequestedAt time.Time `json:"requested_at"`
	// Contracts are the contracts a batch of payments of the same date settled (a return
	// file's chunk), unblocked in one transaction (postgres.Store.UnblockAfterPayments)
	// rather than a job each.
	Contracts []UnblockContract `json:"contracts,omitempty"`
}

// UnblockContract is one contract of an UnblockArgs and the installment its payment settled.
type UnblockContract struct {
	ContractID    int64 `json:"contract_id"`
	InstallmentID int64 `json:"installment_id"`
}

// UnblockBatch is the most contracts one unblock job takes (UnblockArgs.Contracts): a
// return file's chunk of 5,000 settlements of blocked contracts is five jobs.
const UnblockBatch = 1000

// contracts returns the contracts the job unblocks.
func (a UnblockArgs) contracts() []UnblockContract {
	out := make([]UnblockContract, 0, len(a.Contracts)+1)
	if a.ContractID != 0 {
		out = append(out, UnblockContract{ContractID: a.ContractID, InstallmentID: a.InstallmentID})
	}
	return append(out, a.Contracts...)
}

// Kind implements river.JobArgs.
func (UnblockArgs) Kind() string { return "unblock_after_payment" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (UnblockArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: 25}
}

// newUnblockHistogram returns the payment-to-unblock latency histogram.
func newUnblockHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "billingd_payment_unblock_seconds",
		Help:    "Time from a payment request to its contract's unblocked state, for payments that unblocked a contract.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
	})
}

// unblockWorker unblocks a contract after a payment when its rule no longer holds.
type unblockWorker struct {
	river.WorkerDefaults[UnblockArgs]
	r *Runner
}

// Work implements river.Worker.
func (w *unblockWorker) Work(ctx context.Context, job *river.Job[UnblockArgs]) error {
	_, err := w.r.Unblock(ctx, job.Args)
	return err
}

// Unblock does the work of one unblock job: it closes the block episode of each of its
// contracts when nothing overdue beyond its rule remains as of the payment's date, lifting
// the block today (in the business time zone), all in one transaction, and observes the
// payment-to-unblock latency of each. It returns what it did of each contract.
func (r *Runner) Unblock(ctx context.Context, a UnblockArgs) (map[int64]postgres.UnblockResult, error) {
	paidAt, err := billing.ParseDate(a.PaidAt)
	if err != nil {
		return nil, river.JobCancel(fmt.Errorf("unblock: paid_at: %w", err))
	}
	targets := a.contracts()
	ids := make([]int64, len(targets))
	for i, t := range targets {
		ids[i] = t.ContractID
	}
	res, err := r.Store.UnblockAfterPayments(ctx, ids, paidAt, billing.DateOf(r.Now(), r.Location))
	if err != nil {
		return nil, err
	}
	latency := r.Now().Sub(a.RequestedAt)
	for _, t := range targets {
		c := res[t.ContractID]
		if c.Episode == 0 {
			continue
		}
		if c.Unblocked && r.Metrics != nil && r.Metrics.unblock != nil {
			r.Metrics.unblock.Observe(latency.Seconds())
			r.Metrics.transitions.WithLabelValues("restore").Inc()
		}
		r.Logger.InfoContext(ctx, "contract unblocked after payment", slog.Int64("contract_id", t.ContractID),
			slog.Int64("installment_id", t.InstallmentID), slog.String("paid_at", a.PaidAt), slog.Int64("episode_id", c.Episode),
			slog.Bool("was_blocked", c.Unblocked), slog.String("latency", latency.String()))
	}
	return res, nil
}
