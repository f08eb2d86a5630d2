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
	ContractID    int64  `json:"contract_id"`
	InstallmentID int64  `json:"installment_id"`
	PaidAt        string `json:"paid_at"`
	// RequestedAt is when the payment request arrived, for the payment-to-unblock latency.
	RequestedAt time.Time `json:"requested_at"`
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

// Unblock does the work of one unblock job: it closes the contract's block episode when
// nothing overdue beyond its rule remains as of the payment's date, lifting the block
// today (in the business time zone), and observes the payment-to-unblock latency.
func (r *Runner) Unblock(ctx context.Context, a UnblockArgs) (postgres.UnblockResult, error) {
	paidAt, err := billing.ParseDate(a.PaidAt)
	if err != nil {
		return postgres.UnblockResult{}, river.JobCancel(fmt.Errorf("unblock: paid_at: %w", err))
	}
	res, err := r.Store.UnblockAfterPayment(ctx, a.ContractID, paidAt, billing.DateOf(r.Now(), r.Location))
	if err != nil {
		return res, err
	}
	if res.Episode != 0 {
		latency := r.Now().Sub(a.RequestedAt)
		if res.Unblocked && r.Metrics != nil && r.Metrics.unblock != nil {
			r.Metrics.unblock.Observe(latency.Seconds())
			r.Metrics.transitions.WithLabelValues("restore").Inc()
		}
		r.Logger.InfoContext(ctx, "contract unblocked after payment", slog.Int64("contract_id", a.ContractID),
			slog.Int64("installment_id", a.InstallmentID), slog.String("paid_at", a.PaidAt), slog.Int64("episode_id", res.Episode),
			slog.Bool("was_blocked", res.Unblocked), slog.String("latency", latency.String()))
	}
	return res, nil
}
