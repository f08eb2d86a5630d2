package timeline_test

import (
	"testing"

	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

// TestRedatedWords: the words of an installment.redated entry for each cause — a holiday
// added (with and without its name) or removed, an operator's new due date, each contract
// change, a cause or shift added later — with the rule that computed the new date.
func TestRedatedWords(t *testing.T) {
	t.Parallel()
	// A fixed day 10 contract shifting to the next business day: 2027-03-10 (a Wednesday) made
	// a holiday moves its installment 3 to Thursday 2027-03-11.
	holiday := records.InstallmentRedate{Cause: records.RedateHolidayAdded, FromNominal: day("2027-03-10"), ToNominal: day("2027-03-10"),
		FromEffective: day("2027-03-10"), ToEffective: day("2027-03-11"), RuleKind: "fixed_day", RuleDay: 10, RuleShift: "next",
		Holiday: day("2027-03-10")}
	named := holiday
	named.HolidayName = "Aniversário da cidade"
	removed := records.InstallmentRedate{Cause: records.RedateHolidayRemoved, FromNominal: day("2027-03-10"), ToNominal: day("2027-03-10"),
		FromEffective: day("2027-03-09"), ToEffective: day("2027-03-10"), RuleKind: "anniversary", RuleShift: "previous",
		Holiday: day("2027-03-10")}
	patch := records.InstallmentRedate{Cause: records.RedateInstallmentPatch, FromNominal: day("2027-03-10"), ToNominal: day("2027-03-20"),
		FromEffective: day("2027-03-10"), ToEffective: day("2027-03-22"), RuleKind: "fixed_day", RuleDay: 10, RuleShift: "next",
		InstallmentChangeID: 4, Actor: "alice", Reason: "cliente pediu"}
	dueDay := records.InstallmentRedate{Cause: records.RedateDueDayChange, FromNominal: day("2027-04-10"), ToNominal: day("2027-04-20"),
		FromEffective: day("2027-04-12"), ToEffective: day("2027-04-20"), RuleKind: "fixed_day", RuleDay: 20, RuleShift: "next",
		ChangeID: 7, Actor: "bob", Reason: "salário no dia 20"}
	pause, resume, plan, unknown := dueDay, dueDay, dueDay, dueDay
	pause.Cause, resume.Cause, plan.Cause, unknown.Cause = records.RedatePause, records.RedateResume, records.RedatePlanChange, "merge"
	unknown.Reason = ""
	none := holiday
	none.RuleShift = "none"
	later := holiday
	later.RuleShift = "nearest"
	tests := []struct {
		name string
		got  timeline.Words
		want timeline.Words
	}{
		{"holiday added", timeline.Redated(holiday, 3), timeline.Words{What: "installment 3 moved from 2027-03-10 to 2027-03-11",
			Reason: "2027-03-10 was made a holiday (next business day rule)", Rule: "due_date_rule fixed_day 10, shift next"}},
		{"named holiday added", timeline.Redated(named, 3), timeline.Words{What: "installment 3 moved from 2027-03-10 to 2027-03-11",
			Reason: "2027-03-10 was made a holiday, Aniversário da cidade (next business day rule)", Rule: "due_date_rule fixed_day 10, shift next"}},
		{"holiday removed", timeline.Redated(removed, 2), timeline.Words{What: "installment 2 moved from 2027-03-09 to 2027-03-10",
			Reason: "2027-03-10 is no longer a holiday (previous business day rule)", Rule: "due_date_rule anniversary, shift previous"}},
		{"operator's new due date", timeline.Redated(patch, 5), timeline.Words{
			What:   "installment 5 moved from 2027-03-10 to 2027-03-22 (nominal due date 2027-03-10 to 2027-03-20)",
			Reason: "an operator set its nominal due date to 2027-03-20 (installment change 4 by alice: cliente pediu) (next business day rule)",
			Rule:   "due_date_rule fixed_day 10, shift next"}},
		{"due day change", timeline.Redated(dueDay, 4), timeline.Words{
			What:   "installment 4 moved from 2027-04-12 to 2027-04-20 (nominal due date 2027-04-10 to 2027-04-20)",
			Reason: "the due-date rule changed (contract change 7 by bob: salário no dia 20) (next business day rule)",
			Rule:   "due_date_rule fixed_day 20, shift next"}},
		{"pause", timeline.Redated(pause, 4), timeline.Words{
			What:   "installment 4 moved from 2027-04-12 to 2027-04-20 (nominal due date 2027-04-10 to 2027-04-20)",
			Reason: "the contract was paused (contract change 7 by bob: salário no dia 20) (next business day rule)",
			Rule:   "due_date_rule fixed_day 20, shift next"}},
		{"resume", timeline.Redated(resume, 4), timeline.Words{
			What:   "installment 4 moved from 2027-04-12 to 2027-04-20 (nominal due date 2027-04-10 to 2027-04-20)",
			Reason: "the contract was resumed (contract change 7 by bob: salário no dia 20) (next business day rule)",
			Rule:   "due_date_rule fixed_day 20, shift next"}},
		{"plan change", timeline.Redated(plan, 4), timeline.Words{
			What:   "installment 4 moved from 2027-04-12 to 2027-04-20 (nominal due date 2027-04-10 to 2027-04-20)",
			Reason: "the plan changed (contract change 7 by bob: salário no dia 20) (next business day rule)",
			Rule:   "due_date_rule fixed_day 20, shift next"}},
		{"a cause added later, no reason", timeline.Redated(unknown, 4), timeline.Words{
			What:   "installment 4 moved from 2027-04-12 to 2027-04-20 (nominal due date 2027-04-10 to 2027-04-20)",
			Reason: "merge (contract change 7 by bob: no reason given) (next business day rule)",
			Rule:   "due_date_rule fixed_day 20, shift next"}},
		{"no shift", timeline.Redated(none, 1), timeline.Words{What: "installment 1 moved from 2027-03-10 to 2027-03-11",
			Reason: "2027-03-10 was made a holiday (no shift: due on the nominal date)", Rule: "due_date_rule fixed_day 10, shift none"}},
		{"a shift added later", timeline.Redated(later, 1), timeline.Words{What: "installment 1 moved from 2027-03-10 to 2027-03-11",
			Reason: "2027-03-10 was made a holiday (shift nearest)", Rule: "due_date_rule fixed_day 10, shift nearest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got\n%+v\nwant\n%+v", tt.got, tt.want)
			}
		})
	}
}
