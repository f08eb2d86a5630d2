package postgres_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// TestUnblockAfterPaymentsInOneTransaction: four contracts blocked on 2026-03-20 (their first
// installment, due 03-10, 10 days unpaid); the first installments of contracts 1 to 3 paid on
// 03-20 (100.23: 99.90 and 0.33 of interest). One call for contracts 3, 1, 2, 4 and 1 again
// closes the three paid contracts' episodes on 03-21 (ended by payment), makes them active
// with their unblocked notices handed on in one call, and leaves contract 4 (still 10 days
// overdue) blocked with the zero result; a second call finds nothing to close.
func TestUnblockAfterPaymentsInOneTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 4)
	b.runSweep(t, postgres.BlockSweep{}, date("2026-03-20"), 1000)
	var in []postgres.PaymentIn
	for c := int64(1); c <= 3; c++ {
		in = append(in, pin(inst(c, 1), "100.23", "2026-03-20", billing.SourceBankFile, fmt.Sprintf("cnab:001:%d:06:20260320", c)))
	}
	if _, err := b.store.RecordPayments(b.ctx, paymentsNow, saoPaulo, in); err != nil {
		t.Fatal(err)
	}
	episode := func(c int64) int64 {
		return b.count(t, fmt.Sprintf("SELECT id FROM block_episodes WHERE contract_id = %d", c))
	}
	handed := &handedOn{}
	store := &postgres.Store{Pool: b.pool, FollowUps: handed}
	got, err := store.UnblockAfterPayments(b.ctx, []int64{3, 1, 2, 4, 1}, date("2026-03-20"), date("2026-03-21"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]postgres.UnblockResult{
		1: {Episode: episode(1), Unblocked: true},
		2: {Episode: episode(2), Unblocked: true},
		3: {Episode: episode(3), Unblocked: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results %+v, want %+v", got, want)
	}
	for c, status := range map[int64]string{1: "active", 2: "active", 3: "active", 4: "blocked"} {
		var s string
		if err := b.pool.QueryRow(b.ctx, "SELECT status FROM contracts WHERE id = $1", c).Scan(&s); err != nil || s != status {
			t.Errorf("contract %d is %s (%v), want %s", c, s, err, status)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM block_episodes WHERE ended_on = '2026-03-21' AND end_reason = 'payment'
		AND contract_id IN (1, 2, 3)`); n != 3 {
		t.Errorf("%d episodes of contracts 1-3 ended on 2026-03-21 by payment, want 3", n)
	}
	if n := b.count(t, "SELECT count(*) FROM block_episodes WHERE contract_id = 4 AND ended_on IS NULL"); n != 1 {
		t.Errorf("contract 4 has %d open episodes, want 1", n)
	}
	unblocked := b.ids(t, "unblocked")
	if len(handed.calls) != 1 || len(unblocked) != 3 || !slices.Equal(handed.all(), unblocked) {
		t.Errorf("handed on %v, want the 3 unblocked notices %v in one call", handed.calls, unblocked)
	}
	again, err := store.UnblockAfterPayments(b.ctx, []int64{1, 2, 3, 4}, date("2026-03-20"), date("2026-03-21"))
	if err != nil || len(again) != 0 || len(handed.calls) != 1 {
		t.Errorf("again: %+v %v, %d calls; want nothing done", again, err, len(handed.calls))
	}
}
