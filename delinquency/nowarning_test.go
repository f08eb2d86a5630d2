package delinquency_test

import (
	"testing"

	"github.com/billingd/billingd/delinquency"
)

// TestNoWarningWithWarningDaysZero (issue 20 item 2): a blocking rule with warning_days 0
// never warns. An installment due 2026-03-10 under block_after_days 10 blocks the contract
// on 2026-03-20 (10 days after); on no day from the due date to the block is a warning
// date set, Decide warns or the rule's ladder stands at debt_notice, prepaid or not, one
// or two installments required. The same dates under warning_days 3 warn on 2026-03-17
// (20 − 3), so the rule and the ladder can warn.
func TestNoWarningWithWarningDaysZero(t *testing.T) {
	t.Parallel()
	open := []delinquency.Installment{rec(1, 1, "2026-03-10", "2026-03-01"), rec(2, 2, "2026-03-10", "2026-03-01")}
	for _, tt := range []struct {
		name    string
		rule    delinquency.Rule
		prepaid bool
		warn    string // the expected warning date; empty: none
	}{
		{"10 days, no warning", delinquency.Rule{Name: "sem aviso", BlockAfterDays: 10, MinOverdue: 1}, false, ""},
		{"10 days, no warning, prepaid first installment", delinquency.Rule{Name: "sem aviso", BlockAfterDays: 10, MinOverdue: 1}, true, ""},
		{"10 days, no warning, two installments", delinquency.Rule{Name: "sem aviso", BlockAfterDays: 10, MinOverdue: 2}, false, ""},
		{"2 days, no warning", delinquency.Rule{Name: "curta", BlockAfterDays: 2, MinOverdue: 1}, false, ""},
		{"10 days, warned 3 before", delinquency.Rule{Name: "aviso 3", BlockAfterDays: 10, MinOverdue: 1, WarningDays: 3}, false, "2026-03-17"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.rule.Validate(); err != nil {
				t.Fatal(err)
			}
			b, ok := delinquency.BlockOf(tt.rule, tt.prepaid, open)
			if !ok {
				t.Fatal("no block")
			}
			wantOn := "2026-03-20"
			if tt.rule.BlockAfterDays == 2 {
				wantOn = "2026-03-12"
			}
			if got := fmtDate(b.On); got != wantOn {
				t.Errorf("blocked on %s, want %s", got, wantOn)
			}
			if got := fmtDate(b.WarnOn); got != tt.warn {
				t.Errorf("warned on %q, want %q", got, tt.warn)
			}
			l := delinquency.LadderFromRule(tt.rule)
			if tt.warn == "" && l.NoticeDays != 0 {
				t.Errorf("ladder %+v has a debt notice %d days after the due date, want none", l, l.NoticeDays)
			}
			warned := ""
			for on := d("2026-03-10"); on.Before(b.On); on = on.AddDate(0, 0, 1) {
				dec := decideAsOf(delinquency.State{Rule: tt.rule, Prepaid: tt.prepaid, Open: overdueBy(open, on)}, on)
				p := delinquency.PositionAt(delinquency.LadderState{Ladder: l, Prepaid: tt.prepaid, Open: open}, on)
				if (dec.Action == delinquency.Warn) != (p.Step == delinquency.StepDebtNotice) {
					t.Fatalf("on %s Decide %q but the ladder stands at %s", fmtDate(on), dec.Action, p.Step)
				}
				if dec.Action == delinquency.Warn && warned == "" {
					warned = fmtDate(on)
				}
				if tt.warn == "" && (p.Next == delinquency.StepDebtNotice || !p.NoticeOn.IsZero()) {
					t.Fatalf("on %s the ladder plans a debt notice (next %s on %s, notice on %s)",
						fmtDate(on), p.Next, fmtDate(p.NextOn), fmtDate(p.NoticeOn))
				}
			}
			if warned != tt.warn {
				t.Errorf("first warned on %q, want %q", warned, tt.warn)
			}
		})
	}
}
