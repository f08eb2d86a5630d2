package postgres_test

import (
	"testing"

	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// TestBlockSweepNoWarningWithWarningDaysZero (issue 20 item 2): block-delinquent, run every
// day as the schedule does, never writes a warning (a block_warning notice, the debt_notice
// step) for a contract whose blocking rule has warning_days 0, and blocks it on its day; a
// contract beside it under warning_days 3 is warned on its day, so the path can warn.
//
// Both contracts adhere on 2026-03-01 with due day 10: the first installment is due
// Tuesday 2026-03-10. block_after_days 10 blocks both on 2026-03-20; warning_days 3 warns
// the second on 2026-03-17 (20 − 3).
func TestBlockSweepNoWarningWithWarningDaysZero(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 2, date("2026-03-01")); err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2026-03-10"), 100); got != 24 {
		t.Fatalf("generated %d installments, want 24", got)
	}
	if n := b.count(t, "SELECT count(*) FROM installments WHERE sequence = 1 AND due_date = '2026-03-10'"); n != 2 {
		t.Fatalf("%d first installments due 2026-03-10, want 2", n)
	}
	rules := map[int64]delinquency.Rule{
		1: {Name: "Sem aviso", BlockAfterDays: 10, MinOverdue: 1},
		2: {Name: "Aviso 3 dias", BlockAfterDays: 10, MinOverdue: 1, WarningDays: 3},
	}
	for contract, r := range rules {
		r.Ladder = delinquency.LadderFromRule(r)
		stored, err := b.store.CreateBlockingRule(b.ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if stored.WarningDays != r.WarningDays {
			t.Fatalf("rule %q stored with warning_days %d, want %d", r.Name, stored.WarningDays, r.WarningDays)
		}
		if _, err := b.pool.Exec(b.ctx, "UPDATE contracts SET blocking_rule_id = $1 WHERE id = $2", stored.ID, contract); err != nil {
			t.Fatal(err)
		}
	}
	warnedOn := map[int64]string{}
	for on := date("2026-03-11"); !on.After(date("2026-03-20")); on = on.AddDate(0, 0, 1) {
		_, counts := b.runSweep(t, postgres.BlockSweep{}, on, 100)
		day := on.Format("2006-01-02")
		for _, c := range []int64{1, 2} {
			if _, seen := warnedOn[c]; !seen && b.count(t, `SELECT count(*) FROM notices WHERE contract_id = $1 AND kind = 'block_warning'`, c) > 0 {
				warnedOn[c] = day
			}
		}
		wantWarned := int64(0)
		if day == "2026-03-17" {
			wantWarned = 1
		}
		if counts["contracts_warned"] != wantWarned {
			t.Errorf("run as of %s: contracts_warned %d, want %d (counts %v)", day, counts["contracts_warned"], wantWarned, counts)
		}
		wantBlocked := int64(0)
		if day == "2026-03-20" {
			wantBlocked = 2
		}
		if counts["contracts_blocked"] != wantBlocked {
			t.Errorf("run as of %s: contracts_blocked %d, want %d (counts %v)", day, counts["contracts_blocked"], wantBlocked, counts)
		}
		if n := b.count(t, `SELECT count(*) FROM contracts WHERE id = 1 AND ladder_step = 'debt_notice'`); n != 0 {
			t.Errorf("run as of %s: the contract under warning_days 0 stands at debt_notice", day)
		}
	}
	if got, ok := warnedOn[1]; ok {
		t.Errorf("the contract under warning_days 0 got a block_warning notice on %s, want none", got)
	}
	if got := warnedOn[2]; got != "2026-03-17" {
		t.Errorf("the contract under warning_days 3 was warned on %q, want 2026-03-17", got)
	}
	for _, q := range []struct {
		sql  string
		want int64
	}{
		{`SELECT count(*) FROM notices WHERE kind = 'block_warning'`, 1},
		{`SELECT count(*) FROM notices WHERE kind = 'blocked'`, 2},
		{`SELECT count(*) FROM block_episodes WHERE started_on = '2026-03-20' AND ended_on IS NULL`, 2},
		{`SELECT count(*) FROM contracts WHERE status = 'blocked'`, 2},
	} {
		if got := b.count(t, q.sql); got != q.want {
			t.Errorf("%s = %d, want %d", q.sql, got, q.want)
		}
	}
}
