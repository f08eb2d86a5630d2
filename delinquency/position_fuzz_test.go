package delinquency_test

import (
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// FuzzPositionAt checks the ladder's promises for any valid ladder, installments, notice
// and date: it never panics; under a profile that requires a sent notice no suspension
// (partial or total) or termination comes without the notice sent at least the ladder's
// days earlier; under health_9656 none before the 61st day of default in the last 12
// months; the generic ladder agrees with Decide; and, the state fixed, the step never
// goes down as the date moves on.
func FuzzPositionAt(f *testing.F) {
	f.Add(uint8(1), uint8(5), uint8(0), uint8(15), uint8(75), uint8(1), false, uint16(60), uint16(31), uint16(0), uint16(5), uint16(100))
	f.Add(uint8(2), uint8(10), uint8(0), uint8(10), uint8(90), uint8(1), false, uint16(10), uint16(31), uint16(59), uint16(70), uint16(50))
	f.Add(uint8(0), uint8(7), uint8(0), uint8(3), uint8(0), uint8(2), true, uint16(151), uint16(31), uint16(28), uint16(0), uint16(10))
	f.Fuzz(func(t *testing.T, profile, notice, partial, suspension, termination, minOverdue uint8, prepaid bool,
		firstDue, gap, sentAfter, span, onAfter uint16) {
		settings := delinquency.LadderSettings{
			Profile:    string(delinquency.ProfileNames[int(profile)%len(delinquency.ProfileNames)]),
			NoticeDays: intp(int(notice % 60)), PartialSuspensionDays: intp(int(partial % 80)), SuspensionDays: intp(int(suspension%90) + 1),
			TerminationDays: intp(int(termination % 200)), MinOverdue: intp(int(minOverdue%3) + 1),
		}
		l, err := delinquency.NewLadder(settings)
		if err != nil {
			return
		}
		base := d("2026-01-01")
		var open []delinquency.Installment
		due := base.AddDate(0, 0, int(firstDue%400))
		for i := 1; i <= 3; i++ {
			open = append(open, delinquency.Installment{ID: int64(i), Kind: billing.Recurring, Sequence: i + 1, Due: due,
				ServiceStart: billing.EndOfMonth(due).AddDate(0, 0, 1)})
			due = due.AddDate(0, 0, int(gap%60)+1)
		}
		s := delinquency.LadderState{Ladder: l, Prepaid: prepaid, Open: open}
		if sentAfter%5 != 0 {
			s.NoticeSentOn = open[0].Due.AddDate(0, 0, int(sentAfter%120))
		}
		prof, _ := delinquency.ProfileOf(settings.Profile)
		spells := make([]delinquency.DefaultSpell, len(open))
		for i, in := range open {
			spells[i] = delinquency.DefaultSpell{Due: in.Due}
		}
		start := open[0].Due.AddDate(0, 0, int(onAfter%200)-20)
		prevRank := -1
		for i := 0; i <= int(span%60); i++ {
			on := start.AddDate(0, 0, i)
			p := delinquency.PositionAt(s, on)
			rank := stepRank(p.Step)
			if rank < prevRank {
				t.Fatalf("on %s the step fell to %s (%s)", fmtDate(on), p.Step, p.Reason)
			}
			prevRank = rank
			if prof.RequiresSentNotice && rank >= stepRank(delinquency.StepPartialSuspension) {
				first := l.SuspensionDays
				if l.PartialSuspensionDays > 0 {
					first = l.PartialSuspensionDays
				}
				if s.NoticeSentOn.IsZero() || p.Since.Before(s.NoticeSentOn.AddDate(0, 0, first)) {
					t.Fatalf("%s on %s since %s with the notice sent %s and %d days required (%s)",
						p.Step, fmtDate(on), fmtDate(p.Since), fmtDate(s.NoticeSentOn), first, p.Reason)
				}
			}
			if prof.CountsDefaultDays && rank >= stepRank(delinquency.StepSuspension) {
				if n := delinquency.DaysInDefault(spells, p.Since); n <= delinquency.HealthMaxOverdueDays {
					t.Fatalf("%s since %s with %d days in default (%s)", p.Step, fmtDate(p.Since), n, p.Reason)
				}
			}
			if prof.Name == delinquency.Generic && l.TerminationDays == 0 && l.PartialSuspensionDays == 0 {
				checkAgainstDecide(t, l, prepaid, open, on, p)
			}
		}
	})
}

// checkAgainstDecide checks a generic ladder's position against Decide with the same
// numbers as a blocking rule.
func checkAgainstDecide(t *testing.T, l delinquency.Ladder, prepaid bool, open []delinquency.Installment, on time.Time, p delinquency.Position) {
	t.Helper()
	r := delinquency.Rule{Name: "r", BlockAfterDays: l.NoticeDays + l.SuspensionDays, MinOverdue: l.MinOverdue}
	if l.NoticeDays > 0 {
		r.WarningDays = l.SuspensionDays
	}
	if r.Validate() != nil {
		return
	}
	dec := decideAsOf(delinquency.State{Rule: r, Prepaid: prepaid, Open: overdueBy(open, on)}, on)
	ok := map[delinquency.Action]bool{
		delinquency.Warn:     p.Step == delinquency.StepDebtNotice,
		delinquency.BlockNow: p.Step == delinquency.StepSuspension,
		delinquency.None:     p.Step == delinquency.StepNone || p.Step == delinquency.StepOverdue,
	}[dec.Action]
	if !ok {
		t.Fatalf("on %s Decide %q, the ladder at %s (%s)", fmtDate(on), dec.Action, p.Step, p.Reason)
	}
}

// stepRank orders the positions as the ladder climbs them.
func stepRank(k delinquency.StepKind) int {
	for i, s := range delinquency.StepKinds {
		if s == k {
			return i
		}
	}
	return -1
}
