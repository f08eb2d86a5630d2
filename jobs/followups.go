package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
)

// FollowUps implements the store's follow-ups (postgres.FollowUps) with River: each event
// becomes the jobs that carry it out, inserted in the transaction of the change.
type FollowUps struct {
	client *river.Client[pgx.Tx]
}

var _ postgres.FollowUps = (*FollowUps)(nil)

// NewFollowUps returns the follow-ups of a store. Its River client has no pool of its own:
// it only inserts jobs, always inside the store's transactions.
func NewFollowUps(logger *slog.Logger) (*FollowUps, error) {
	client, err := river.NewClient(riverpgxv5.New(nil), &river.Config{Schema: migrations.RiverSchema, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("create River client of the follow-ups: %w", err)
	}
	return &FollowUps{client: client}, nil
}

// PaymentsRecorded implements postgres.FollowUps: for each contract with an open block
// episode whose payments settled an installment it enqueues, in one insert, the job that
// unblocks the contract if the payments end its delinquency as of their latest date
// (UnblockArgs). A partial payment leaves its installment open, so it cannot end a block.
// The contracts of one date share their jobs, up to UnblockBatch contracts a job (a return
// file's chunk is a few jobs, not one a contract); a lone contract gets a job of its own.
func (f *FollowUps) PaymentsRecorded(ctx context.Context, tx pgx.Tx, ps []postgres.PaymentRecorded) error {
	byDate := map[string][]UnblockContract{}
	var dates []string
	var requested time.Time
	n := 0
	for _, p := range ps {
		if !p.BlockEpisodeOpen || len(p.Settled) == 0 {
			continue
		}
		d := billing.FormatDate(p.PaidOn)
		if _, ok := byDate[d]; !ok {
			dates = append(dates, d)
		}
		n++
		byDate[d] = append(byDate[d], UnblockContract{ContractID: p.ContractID, InstallmentID: p.Settled[len(p.Settled)-1].ID})
		if p.ReceivedAt.After(requested) {
			requested = p.ReceivedAt
		}
	}
	var jobs []river.InsertManyParams
	for _, d := range dates {
		cs := byDate[d]
		if len(cs) == 1 {
			jobs = append(jobs, river.InsertManyParams{Args: UnblockArgs{ContractID: cs[0].ContractID,
				InstallmentID: cs[0].InstallmentID, PaidAt: d, RequestedAt: requested}})
			continue
		}
		for part := range slices.Chunk(cs, UnblockBatch) {
			jobs = append(jobs, river.InsertManyParams{Args: UnblockArgs{PaidAt: d, RequestedAt: requested, Contracts: part}})
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := f.client.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueue the unblock of %d contracts: %w", n, err)
	}
	return nil
}

// PaymentReversed implements postgres.FollowUps. A reversal enqueues no job: the
// contract's delinquency is judged by dates, and block-delinquent's next run blocks it
// when its rule holds again; renew-contracts sees the reopened installment through the
// contract's renewal_check flag.
func (f *FollowUps) PaymentReversed(context.Context, pgx.Tx, postgres.PaymentReversed) error {
	return nil
}

// NoticesRecorded implements postgres.FollowUps: it enqueues the delivery of each notice
// (EnqueueNotices).
func (f *FollowUps) NoticesRecorded(ctx context.Context, tx pgx.Tx, ids []int64) error {
	return EnqueueNotices(ctx, f.client, tx, ids)
}

// RunRequested implements postgres.FollowUps: it enqueues the manual run's sweep job and
// returns its id.
func (f *FollowUps) RunRequested(ctx context.Context, tx pgx.Tx, r postgres.RunRequested) (int64, error) {
	if _, ok := Lookup(r.Job); !ok {
		return 0, fmt.Errorf("unknown job %q", r.Job)
	}
	res, err := f.client.InsertTx(ctx, tx, SweepArgs{Job: r.Job, AsOf: billing.FormatDate(r.AsOf), Trigger: TriggerManual, RunID: r.RunID}, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue run %d: %w", r.RunID, err)
	}
	return res.Job.ID, nil
}
