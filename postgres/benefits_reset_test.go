package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// resetAll plans and runs every batch of reset-benefit-quotas as of asOf and returns the
// number of batches and the merged counts.
func (b *bundle) resetAll(t *testing.T, asOf time.Time, batchSize int) (int, map[string]int64) {
	t.Helper()
	return b.runSweep(t, postgres.ResetBenefitQuotasSweep{}, asOf, batchSize)
}

// TestResetBenefitQuotas seeds 7 contracts with a monthly balance from 2026-03-05 and
// checks the sweep in batches of 3: nothing before 2026-04-05; on a later day (a missed
// month) only the period containing it opens; withdrawn grants and cancelled contracts are
// closed without a new period; a period a use opened is not doubled; a rerun does nothing.
func TestResetBenefitQuotas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan, err := dbtest.SeedContracts(b.ctx, b.pool, 7, date("2026-03-05"))
	if err != nil {
		t.Fatal(err)
	}
	benefit, err := dbtest.SeedBenefitGrants(b.ctx, b.pool, plan, date("2026-03-05"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := b.pool.Query(b.ctx, "SELECT id FROM contracts ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := b.pool.Exec(b.ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("UPDATE contracts SET status = 'cancelled', cancelled_on = '2026-04-01' WHERE id = $1", ids[0])
	exec("INSERT INTO contract_benefit_overrides (contract_id, benefit_id, quantity) VALUES ($1, $2, 0)", ids[1], benefit)
	exec("INSERT INTO contract_benefit_overrides (contract_id, benefit_id, quantity) VALUES ($1, $2, 4)", ids[2], benefit)
	// A use already opened contract 4's period of May.
	exec(`INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, period_end, granted, used, next_reset_on)
		VALUES ($1, $2, '2026-03-05', '2026-05-05', '2026-06-04', 10, 1, '2026-06-05')`, ids[3], benefit)

	if n, counts := b.resetAll(t, date("2026-04-04"), 3); n != 0 || len(counts) != 0 {
		t.Errorf("before the reset day: %d batches, %v", n, counts)
	}
	n, counts := b.resetAll(t, date("2026-05-20"), 3)
	if n != 3 || counts["balances_due"] != 7 || counts["balances_opened"] != 4 {
		t.Errorf("reset as of 2026-05-20: %d batches, %v; want 3 batches, 7 due, 4 opened", n, counts)
	}
	var got []string
	rows, err = b.pool.Query(b.ctx, `SELECT contract_id - $1 || ' ' || period_start || ' ' || period_end || ' ' || granted || ' ' || used
		|| ' ' || coalesce(next_reset_on::text, '-') FROM benefit_balances ORDER BY contract_id, period_start`, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 2026-03-05 2026-04-04 10 0 -",                                           // cancelled: closed
		"1 2026-03-05 2026-04-04 10 0 -",                                           // withdrawn: closed
		"2 2026-03-05 2026-04-04 10 0 -", "2 2026-05-05 2026-06-04 4 0 2026-06-05", // the override's quantity
		"3 2026-03-05 2026-04-04 10 0 -", "3 2026-05-05 2026-06-04 10 1 2026-06-05", // opened by a use
		"4 2026-03-05 2026-04-04 10 0 -", "4 2026-05-05 2026-06-04 10 0 2026-06-05",
		"5 2026-03-05 2026-04-04 10 0 -", "5 2026-05-05 2026-06-04 10 0 2026-06-05",
		"6 2026-03-05 2026-04-04 10 0 -", "6 2026-05-05 2026-06-04 10 0 2026-06-05",
	}
	if len(got) != len(want) {
		t.Fatalf("balances\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("balance %d: %q, want %q", i, got[i], want[i])
		}
	}
	if n, counts := b.resetAll(t, date("2026-05-20"), 3); n != 0 || len(counts) != 0 {
		t.Errorf("rerun: %d batches, %v; want nothing due", n, counts)
	}
}
