//go:build faults

package faults

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
)

// The adhesion fees and holidays seedContracts adds to dbtest.SeedContracts' contracts.
const (
	// feeEvery: every contract whose id is a multiple of it has an adhesion fee.
	feeEvery = 3
	// feeCents is the adhesion fee, 100.00, in cents; feeInstallments its installments
	// (33.34 + 33.33 + 33.33, split to the cent).
	feeCents        = 10000
	feeInstallments = 3
	// holidayMonths are the months after the adhesion's whose 10th (every contract's due
	// day) is made a holiday: each contract has an installment on each, shifted to the next
	// business day.
	holidayMonths = 3
)

// seedContracts seeds n contracts with dbtest.SeedContracts (99.90 a month, 12 installments
// a term, due on the 10th shifted to the next business day) adhered on adhesion, gives every
// third one (ids 3, 6, 9…) an adhesion fee of 100.00 in 3 installments, and makes a holiday
// of the 10th of the first, third and fifth months after adhesion's: so the runs a fault
// test disturbs write adhesion installments and shift due dates over holidays too.
func seedContracts(t *testing.T, ctx context.Context, pool *pgxpool.Pool, n int, adhesion time.Time) {
	t.Helper()
	if _, err := dbtest.SeedContracts(ctx, pool, n, adhesion); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE contracts SET adhesion_fee = $1::numeric / 100, adhesion_installments = $2
		WHERE id % $3 = 0`, feeCents, feeInstallments, feeEvery); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO holidays (day, name)
		SELECT (date_trunc('month', $1::date) + make_interval(months => k, days => 9))::date, 'Feriado de teste ' || k
		FROM unnest(ARRAY[1, 3, 5]) k ON CONFLICT (day) DO NOTHING`, adhesion); err != nil {
		t.Fatal(err)
	}
}

// feeContracts is how many of the first n contracts seedContracts gave an adhesion fee.
func feeContracts(n int64) int64 { return n / feeEvery }
