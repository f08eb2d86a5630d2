package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// handedOn records what the store hands to its follow-ups: the ids of each NoticesRecorded
// call, in order (the sweeps' batches run one after the other), each PaymentsRecorded call
// and each reversal.
type handedOn struct {
	calls     [][]int64
	payments  [][]postgres.PaymentRecorded
	reversals []postgres.PaymentReversed
}

func (h *handedOn) PaymentsRecorded(_ context.Context, _ pgx.Tx, ps []postgres.PaymentRecorded) error {
	h.payments = append(h.payments, slices.Clone(ps))
	return nil
}

func (h *handedOn) PaymentReversed(_ context.Context, _ pgx.Tx, p postgres.PaymentReversed) error {
	h.reversals = append(h.reversals, p)
	return nil
}

func (h *handedOn) NoticesRecorded(_ context.Context, _ pgx.Tx, ids []int64) error {
	h.calls = append(h.calls, slices.Clone(ids))
	return nil
}

func (h *handedOn) RunRequested(context.Context, pgx.Tx, postgres.RunRequested) (int64, error) {
	return 0, errors.New("no run is requested here")
}

// all returns every id handed on, sorted.
func (h *handedOn) all() []int64 {
	var out []int64
	for _, c := range h.calls {
		out = append(out, c...)
	}
	slices.Sort(out)
	return out
}

// ids returns the ids of the notices of kind, sorted.
func (b *bundle) ids(t *testing.T, kind string) []int64 {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, "SELECT id FROM notices WHERE kind = $1 ORDER BY id", kind)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestSweepsHandOnTheirNoticesPerBatch: block-delinquent and renew-contracts hand the notices
// each batch records to the follow-ups once per batch, in the batch's transaction (the
// notices of a 10-contract sweep in batches of 4: three calls), and a rerun that records
// nothing hands on nothing.
func TestSweepsHandOnTheirNoticesPerBatch(t *testing.T) {
	t.Parallel()
	t.Run("block-delinquent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := dbtest.SeedContracts(b.ctx, b.pool, 10, date("2026-03-05")); err != nil {
			t.Fatal(err)
		}
		b.sweepAll(t, date("2026-03-31"), 100) // the first installments are due 2026-03-10
		for _, day := range []struct {
			asOf, kind string
		}{{"2026-03-17", "block_warning"}, {"2026-03-20", "blocked"}} {
			got := &handedOn{}
			batches, _ := b.runSweep(t, postgres.BlockSweep{FollowUps: got}, date(day.asOf), 4)
			if batches != 3 || len(got.calls) != 3 {
				t.Errorf("%s: %d batches handed on %d times, want 3 and 3", day.asOf, batches, len(got.calls))
			}
			if want := b.ids(t, day.kind); len(want) != 10 || !slices.Equal(got.all(), want) {
				t.Errorf("%s: handed on %v, want the %s notices %v", day.asOf, got.all(), day.kind, want)
			}
			rerun := &handedOn{}
			b.runSweep(t, postgres.BlockSweep{FollowUps: rerun}, date(day.asOf), 4)
			if len(rerun.calls) != 0 {
				t.Errorf("%s rerun handed on %v, want nothing", day.asOf, rerun.calls)
			}
		}
	})
	t.Run("renew-contracts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.seedDue(t, 10)
		got := &handedOn{}
		b.renewAll(t, postgres.RenewSweep{Thresholds: defaultThresholds, FollowUps: got}, date("2026-07-20"), 4)
		if want := b.ids(t, "renewed"); len(got.calls) != 3 || len(want) != 10 || !slices.Equal(got.all(), want) {
			t.Errorf("handed on %v, want the renewed notices %v in 3 calls", got.calls, want)
		}
	})
}
