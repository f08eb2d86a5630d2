package delinquency_test

import (
	"testing"

	"github.com/billingd/billingd/delinquency"
)

// Three mutants of health.go cannot change what it returns, and live on purpose:
//   - newDefaultDays' "n < 0" read as "n <= 0": n = 0 is set to 0 either way;
//   - count's upper clamp "len(d.prefix)-1" read with + or without the minus: count is
//     only asked about days up to the last one it holds, so the clamp never bites;
//   - HealthGateOn's "NoticeDay > 50" read as ">= 50": a notice on the 50th day waits
//     for the 61st day of default, which comes 11 days later at the earliest (a day of
//     default a day), the same date the 11 days after a late notice give
//     (TestHealthGate, "sent on day 50: the 61st day still").

// TestBenefitGate checks from when a health plan's benefit uses are refused as delinquent:
// the health rule's gate from the day after its earliest open installment's due date.
// Open since 10 Jan: the 50th day of default is 1 Mar, the 61st 12 Mar; on 20 Mar it is 69
// days in default. Other profiles have no gate.
func TestBenefitGate(t *testing.T) {
	t.Parallel()
	health := delinquency.Ladder{Profile: delinquency.Health9656, MinOverdue: 1, NoticeDays: 10, SuspensionDays: 10}
	tests := []struct {
		name     string
		s        delinquency.LadderState
		counts   bool
		days     int
		deadline string
		from     string
		day      int
	}{
		{"generic: no gate", delinquency.LadderState{Ladder: delinquency.LadderFromRule(rule), Open: []delinquency.Installment{rec(1, 1, "2026-01-10", "")},
			NoticeSentOn: d("2026-01-20")}, false, 0, "", "", 0},
		{"health, notice sent on the 10th day: from the 61st", delinquency.LadderState{Ladder: health,
			Open: []delinquency.Installment{rec(1, 1, "2026-01-10", "")}, NoticeSentOn: d("2026-01-20")}, true, 69, "2026-03-01", "2026-03-12", 10},
		{"health, the earliest of two open read in any order", delinquency.LadderState{Ladder: health,
			Open: []delinquency.Installment{rec(2, 2, "2026-02-10", ""), rec(1, 1, "2026-01-10", "")}, NoticeSentOn: d("2026-01-20")},
			true, 69, "2026-03-01", "2026-03-12", 10},
		{"health, notice not sent: no date", delinquency.LadderState{Ladder: health, Open: []delinquency.Installment{rec(1, 1, "2026-01-10", "")}},
			true, 69, "2026-03-01", "", 0},
		// Settled 30 days late in January (11 Jan to 9 Feb): 30 days in the window, nothing open.
		{"health, nothing open: the days only", delinquency.LadderState{Ladder: health,
			History: []delinquency.DefaultSpell{{Due: d("2026-01-10"), SettledOn: d("2026-02-09")}}}, true, 30, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, counts := delinquency.BenefitGate(tt.s, d("2026-03-20"))
			if counts != tt.counts || g.DaysInDefault != tt.days || fmtDate(g.NoticeDeadline) != tt.deadline || fmtDate(g.From) != tt.from || g.NoticeDay != tt.day {
				t.Errorf("BenefitGate = %t, %d days, deadline %q, from %q, notice on day %d; want %t, %d, %q, %q, %d",
					counts, g.DaysInDefault, fmtDate(g.NoticeDeadline), fmtDate(g.From), g.NoticeDay, tt.counts, tt.days, tt.deadline, tt.from, tt.day)
			}
		})
	}
}
