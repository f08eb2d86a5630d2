package postgres_test

import (
	"testing"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// seedDueWithUncovered seeds five contracts (99.90 a month, 12 installments a term, adhered
// 2026-01-15) with 10 of their 12 installments paid, so each is due for renewal under the
// default thresholds; contract 3 has a discount of 50.00 and renews at its suggested price
// of 40.00, which does not cover that discount.
func (b *bundle) seedDueWithUncovered(t *testing.T) {
	t.Helper()
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 5, date("2026-01-15")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(b.ctx, `UPDATE contracts SET discount = 50.00, renewal_price_mode = 'suggested', suggested_price = 40.00
		WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2026-01-15"), 1000); got != 60 {
		t.Fatalf("generated %d installments, want 60", got)
	}
	if _, err := b.pool.Exec(b.ctx, `UPDATE installments SET state = 'paid', paid_at = '2026-07-20', paid_amount = amount - discount
		WHERE sequence <= 10`); err != nil {
		t.Fatal(err)
	}
}

// TestRenewSweepSkipsAContractWhosePriceDoesNotCoverItsDiscounts (issue 20 item 2): in one
// batch of five contracts due for renewal, the one whose renewal price (40.00) does not
// cover its discount (50.00) is skipped and counted, left queued for the operator on its
// term 1; the four others are renewed in the same batch (12 installments each, term 2).
func TestRenewSweepSkipsAContractWhosePriceDoesNotCoverItsDiscounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedDueWithUncovered(t)
	batches, got := b.runSweep(t, postgres.RenewSweep{Thresholds: defaultThresholds}, date("2026-07-20"), 1000)
	want := map[string]int64{"contracts": 5, "queued": 5, "renewed": 4, "installments_created": 48, "skipped": 1}
	if batches != 1 || !equalCounts(got, want) {
		t.Fatalf("%d batches, counts %v; want 1 batch, %v", batches, got, want)
	}
	for _, c := range []struct {
		sql  string
		want int64
	}{
		{"SELECT count(*) FROM contracts WHERE id <> 3 AND term_number = 2 AND generated_term = 2 AND price = 99.90", 4},
		{"SELECT count(*) FROM installments WHERE contract_id <> 3 AND term = 2 AND amount = 99.90", 48},
		{"SELECT count(*) FROM renewals WHERE contract_id <> 3 AND renewed_on = '2026-07-20' AND new_term = 2", 4},
		{"SELECT count(*) FROM notices WHERE kind = 'renewed' AND reference = '2'", 4},
		// The skipped contract: queued on its term 1, not renewed, no new installment, flag cleared.
		{"SELECT count(*) FROM contracts WHERE id = 3 AND term_number = 1 AND generated_term = 1 AND price = 99.90 AND NOT renewal_check", 1},
		{"SELECT count(*) FROM renewals WHERE contract_id = 3 AND term = 1 AND queued_on = '2026-07-20' AND renewed_on IS NULL", 1},
		{"SELECT count(*) FROM installments WHERE contract_id = 3 AND term = 2", 0},
		{"SELECT count(*) FROM notices WHERE contract_id = 3 AND kind = 'renewed'", 0},
	} {
		if n := b.count(t, c.sql); n != c.want {
			t.Errorf("%s = %d, want %d", c.sql, n, c.want)
		}
	}
}
