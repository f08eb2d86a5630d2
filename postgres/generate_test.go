package postgres_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

type bundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	store *postgres.Store
}

func setup(t *testing.T) *bundle {
	t.Helper()
	pool := dbtest.NewPool(t)
	t.Cleanup(func() { checkLedger(t, pool) })
	return &bundle{ctx: context.Background(), pool: pool, store: &postgres.Store{Pool: pool}}
}

// checkLedger fails t unless every installment's lines sum to its cached totals
// (postgres.LinesOffTotals): run when every test that writes installments ends.
func checkLedger(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var off int64
	if err := pool.QueryRow(context.Background(), postgres.LinesOffTotals).Scan(&off); err != nil {
		t.Errorf("ledger invariant: %v", err)
		return
	}
	if off != 0 {
		t.Errorf("ledger invariant: %d installment(s) whose lines do not sum to their amount and discount", off)
	}
}

func date(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// sweeper is a sweep's plan and batch, as jobs.Sweep has them.
type sweeper interface {
	Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error)
	Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error)
}

// runSweep plans and runs every batch of sweep as of asOf, one transaction per batch, as the
// daemon does, and returns the number of batches and their merged counts.
func (b *bundle) runSweep(t *testing.T, sweep sweeper, asOf time.Time, batchSize int) (int, map[string]int64) {
	t.Helper()
	var starts []int64
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		starts, err = sweep.Plan(b.ctx, tx, asOf, batchSize)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{}
	for i, from := range starts {
		to := int64(math.MaxInt64)
		if i+1 < len(starts) {
			to = starts[i+1] - 1
		}
		if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
			counts, err := sweep.Batch(b.ctx, tx, asOf, from, to)
			for k, v := range counts {
				total[k] += v
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return len(starts), total
}

// sweepAll runs generate-installments as of asOf and returns the installments it created.
func (b *bundle) sweepAll(t *testing.T, asOf time.Time, batchSize int) int64 {
	t.Helper()
	_, counts := b.runSweep(t, postgres.GenerateSweep{}, asOf, batchSize)
	return counts["installments_created"]
}

// batch runs one batch; with crash it rolls the transaction back as a killed process would.
func (b *bundle) batch(t *testing.T, asOf time.Time, from, to int64, crash bool) int64 {
	t.Helper()
	errCrash := errors.New("crash")
	var counts map[string]int64
	err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		if counts, err = (postgres.GenerateSweep{}).Batch(b.ctx, tx, asOf, from, to); err != nil {
			return err
		}
		if crash {
			return errCrash
		}
		return nil
	})
	if err != nil && !(crash && errors.Is(err, errCrash)) {
		t.Fatal(err)
	}
	if crash {
		return 0
	}
	return counts["installments_created"]
}

func (b *bundle) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := b.pool.QueryRow(b.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGenerateSweepRerunCreatesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 30, date("2026-01-31")); err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2026-02-01"), 7); got != 360 {
		t.Fatalf("first sweep created %d, want 360", got)
	}
	if got := b.sweepAll(t, date("2026-02-01"), 7); got != 0 {
		t.Fatalf("rerun created %d, want 0", got)
	}
	// Even a batch forced over every id finds nothing left to create.
	if got := b.batch(t, date("2026-02-01"), 0, math.MaxInt64, false); got != 0 {
		t.Fatalf("forced batch created %d, want 0", got)
	}
	if n := b.count(t, "SELECT count(*) FROM installments"); n != 360 {
		t.Fatalf("%d installments, want 360", n)
	}
	b.checkSeededDues(t, 30, seededFrom20260131)
}

func TestGenerateSweepAfterCrashCompletesTheRest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 30, date("2026-01-31")); err != nil {
		t.Fatal(err)
	}
	asOf := date("2026-02-01")
	var starts []int64
	_ = pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) (err error) {
		starts, err = postgres.GenerateSweep{}.Plan(b.ctx, tx, asOf, 10)
		return err
	})
	if len(starts) != 3 {
		t.Fatalf("planned %d batches, want 3", len(starts))
	}
	// Batch 1 commits, batch 2 dies mid-transaction, batch 3 never starts.
	if got := b.batch(t, asOf, starts[0], starts[1]-1, false); got != 120 {
		t.Fatalf("batch 1 created %d", got)
	}
	b.batch(t, asOf, starts[1], starts[2]-1, true)
	if n := b.count(t, "SELECT count(*) FROM installments"); n != 120 {
		t.Fatalf("after the crash %d installments, want 120", n)
	}
	// The rerun plans only what is left and completes it.
	if got := b.sweepAll(t, asOf, 10); got != 240 {
		t.Fatalf("rerun created %d, want 240", got)
	}
	if n := b.count(t, "SELECT count(*) FROM installments"); n != 360 {
		t.Fatalf("%d installments, want 360", n)
	}
	if n := b.count(t, "SELECT count(*) FROM (SELECT contract_id FROM installments GROUP BY 1 HAVING count(*) <> 12) x"); n != 0 {
		t.Fatalf("%d contracts without exactly 12 installments", n)
	}
	b.checkSeededDues(t, 30, seededFrom20260131)
}

// seededFrom20260131 are the due dates, worked out by hand, of the 12 installments of a
// contract dbtest.SeedContracts writes from 2026-01-31 (fixed day 10, shifted to the next
// business day): 2026-05-10 and 2027-01-10 are Sundays (the 11th), 2026-10-10 a Saturday
// and the 12th a holiday (Nossa Senhora Aparecida: the 13th).
const seededFrom20260131 = "2026-02-10 2026-03-10 2026-04-10 2026-05-11 2026-06-10 2026-07-10 2026-08-10 2026-09-10 2026-10-13 2026-11-10 2026-12-10 2027-01-11"

// checkSeededDues checks that each of the n contracts dbtest.SeedContracts wrote (99.90 a
// month) has exactly its 12 open installments of term 1, of 99.90 with no discount, due on
// the dates dues lists in sequence order, separated by spaces, and that there are no others.
func (b *bundle) checkSeededDues(t *testing.T, n int64, dues string) {
	t.Helper()
	if got := b.count(t, `SELECT count(*) FROM (SELECT contract_id FROM installments GROUP BY contract_id
		HAVING string_agg(format('%s %s %s %s %s %s', kind, term, amount, discount, state, due_date), ' ' ORDER BY sequence) =
			(SELECT string_agg('recurring 1 99.90 0.00 open ' || d, ' ') FROM unnest(string_to_array($1, ' ')) d)) c`, dues); got != n {
		t.Errorf("%d contracts have their 12 installments of 99.90 due on %s, want %d", got, dues, n)
	}
	if got := b.count(t, "SELECT count(*) FROM contracts"); got != n {
		t.Errorf("%d contracts, want %d", got, n)
	}
}

func TestGenerateSweepDueDates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cust, err := b.store.CreateCustomer(b.ctx, billing.Customer{Name: "Ana", Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := b.store.CreatePlan(b.ctx, billing.Plan{Name: "Fibra", Kind: billing.KindPlan, Price: decimal.RequireFromString("99.90"),
		Period: billing.Monthly, InstallmentsPerTerm: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Fixed day 31 from 31 Jan 2028 (a leap year): Jan 31, Feb 29 (Carnival Tuesday → Mar 1), Mar 31, Apr 30 (Sunday → May 2).
	c, err := b.store.CreateContract(b.ctx, billing.Contract{
		CustomerID: cust.ID, PlanID: plan.ID, AdhesionDate: date("2028-01-31"),
		Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 31, Shift: billing.ShiftNext}, BillingMethod: billing.BillPerInstallment,
		PaymentMethod: "pix", CardInstallments: 1, AdhesionFee: decimal.RequireFromString("100.00"), AdhesionInstallments: 3,
		RenewalPriceMode: billing.RenewAtPlanPrice, AutoRenew: true,
	}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2028-01-31"), 100); got != 7 {
		t.Fatalf("created %d, want 7", got)
	}
	rows, err := b.pool.Query(b.ctx, `SELECT kind, sequence, to_char(nominal_due, 'YYYY-MM-DD'), to_char(due_date, 'YYYY-MM-DD'), amount::text
		FROM installments WHERE contract_id = $1 ORDER BY kind, sequence`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var kind, nominal, due, amount string
		var seq int
		err := r.Scan(&kind, &seq, &nominal, &due, &amount)
		return kind + " " + nominal + " " + due + " " + amount, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"adhesion 2028-01-31 2028-01-31 33.34",
		"adhesion 2028-02-29 2028-03-01 33.33",
		"adhesion 2028-03-31 2028-03-31 33.33",
		"recurring 2028-01-31 2028-01-31 99.90",
		"recurring 2028-02-29 2028-03-01 99.90",
		"recurring 2028-03-31 2028-03-31 99.90",
		"recurring 2028-04-30 2028-05-02 99.90",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d = %q, want %q (all: %v)", i, got[i], want[i], got)
		}
	}
}
