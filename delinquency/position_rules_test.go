package delinquency_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/billingd/billingd/delinquency"
)

// TestGenericLadderPartialSuspensionAndTermination checks a generic ladder with every step:
// due 10 Mar, notice 7 days after (17 Mar), partial suspension 1 day and suspension 3 days
// after the notice was due (18 and 20 Mar), termination 30 days after it (16 Apr), sent or
// not.
func TestGenericLadderPartialSuspensionAndTermination(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, NoticeDays: 7, PartialSuspensionDays: 1, SuspensionDays: 3, TerminationDays: 30}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", "")}}
	}, []scenario{
		{"the notice", nil, "2026-03-17", "debt_notice", "2026-03-17", "partial_suspension", "2026-03-18", delinquency.MoveRecordNotice, false,
			"debt notice due on 2026-03-17"},
		{"the partial suspension", at("debt_notice", "2026-03-17", false), "2026-03-18", "partial_suspension", "2026-03-18", "suspension", "2026-03-20",
			delinquency.MovePartialSuspend, true, "service reduced since 2026-03-18"},
		{"suspended, the day before the termination", at("suspension", "2026-03-20", true), "2026-04-15", "suspension", "2026-03-20",
			"termination", "2026-04-16", "", true, ""},
		{"the termination", at("suspension", "2026-03-20", true), "2026-04-16", "termination", "2026-04-16", "", "", delinquency.MoveTerminate, false,
			"terminated on 2026-04-16"},
	})
}

// TestTelecomPrepaidStepsKeepTheirDistance checks that when a prepaid service runs out
// after the suspension's days from the notice, every step after the notice moves with the
// suspension. Telecom N5 P15 S16 T80; paid through 14 Aug, the installment due 15 Jul
// unpaid; notice sent 20 Jul. The suspension would be 20 Jul + 16 = 5 Aug, but the service
// runs out on 15 Aug: 10 days later. So the partial suspension is 20 Jul + 15 + 10 = 14 Aug
// and the termination 20 Jul + 80 + 10 = 18 Oct. The notice is due 16 days before the
// service runs out: 30 Jul.
func TestTelecomPrepaidStepsKeepTheirDistance(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.TelecomRGC765, MinOverdue: 1, NoticeDays: 5, PartialSuspensionDays: 15, SuspensionDays: 16, TerminationDays: 80}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Prepaid: true, Open: []delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-15")},
			NoticeSentOn: d("2026-07-20")}
	}, []scenario{
		{"the day before the partial suspension", nil, "2026-08-13", "debt_notice", "2026-07-30", "partial_suspension", "2026-08-14",
			delinquency.MoveRecordNotice, false, "debt notice sent on 2026-07-20"},
		{"the partial suspension", nil, "2026-08-14", "partial_suspension", "2026-08-14", "suspension", "2026-08-15",
			delinquency.MovePartialSuspend, true, ""},
		{"the suspension when the service runs out", at("partial_suspension", "2026-08-14", true), "2026-08-15", "suspension", "2026-08-15",
			"termination", "2026-10-18", delinquency.MoveSuspend, true, ""},
	})
	// Before any suspension began, the dates come from the notice alone.
	p := delinquency.PositionAt(delinquency.LadderState{Ladder: l, Prepaid: true, Open: []delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-15")},
		NoticeSentOn: d("2026-07-20")}, d("2026-08-01"))
	got := strings.Join([]string{fmtDate(p.NoticeOn), fmtDate(p.PartialSuspensionOn), fmtDate(p.SuspensionOn), fmtDate(p.TerminationOn)}, " ")
	if want := "2026-07-30 2026-08-14 2026-08-15 2026-10-18"; got != want {
		t.Errorf("notice, partial suspension, suspension, termination on %s; want %s", got, want)
	}
}

// TestLadderWithoutTermination checks that a suspended contract under a ladder without a
// termination stays suspended with no step after it.
func TestLadderWithoutTermination(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.TelecomRGC765, MinOverdue: 1, NoticeDays: 5, SuspensionDays: 15}
	s := delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", "")}, NoticeSentOn: d("2026-03-15")}
	at("suspension", "2026-03-30", true)(&s)
	got := delinquency.DecideLadder(s, d("2026-09-30"))
	p := got.Position
	want := "service suspended since 2026-03-30; installment 1 due 2026-03-10; no further step"
	if p.Step != delinquency.StepSuspension || !p.TerminationOn.IsZero() || p.Next != "" || got.Move != delinquency.MoveNone || p.Reason != want {
		t.Errorf("at %s, terminated %s, next %q, move %q, reason %q; want suspension, none, none, none, %q",
			p.Step, fmtDate(p.TerminationOn), p.Next, got.Move, p.Reason, want)
	}
}

// next's "l.NoticeDays > 0" read as ">= 0" lives: it matters only with no notice and a
// notice date, and a ladder without a notice is generic (the other profiles require one),
// whose notice date is then zero. The mutant is equivalent for every valid ladder.

// TestRemindersComeNextOnlyBelowTheNotice checks that a later installment's reminder is the
// next step of a contract overdue on an earlier one when it comes before the debt notice,
// and never once the notice is due. Generic N7 S3 with a D−5 reminder; the first
// installment due 10 Mar (notice 17 Mar, suspension 20 Mar).
func TestRemindersComeNextOnlyBelowTheNotice(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, ReminderDays: []int{5}, NoticeDays: 7, SuspensionDays: 3}
	tests := []struct {
		name, secondDue, on string
		step, next, nextOn  string
	}{
		// The second due 20 Mar: its reminder on 15 Mar, before the notice.
		{"overdue: the reminder before the notice", "2026-03-20", "2026-03-11", "overdue", "reminder", "2026-03-15"},
		// Due 24 Mar: its reminder on 19 Mar, after the notice.
		{"overdue: the notice before the reminder", "2026-03-24", "2026-03-11", "overdue", "debt_notice", "2026-03-17"},
		{"notice due: the suspension, not the reminder before it", "2026-03-24", "2026-03-17", "debt_notice", "suspension", "2026-03-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", ""), rec(2, 2, tt.secondDue, "")}}
			p := delinquency.PositionAt(s, d(tt.on))
			if string(p.Step) != tt.step || string(p.Next) != tt.next || fmtDate(p.NextOn) != tt.nextOn {
				t.Errorf("at %s, next %s on %s; want %s, next %s on %s", p.Step, p.Next, fmtDate(p.NextOn), tt.step, tt.next, tt.nextOn)
			}
		})
	}
}

// TestPositionReasonsInFull checks the whole reason /explain gives at each step of the
// default generic ladder (due 10 Mar: notice 17 Mar, suspension 20 Mar) and for contracts
// not on the ladder: the trigger is named once, then what comes next.
func TestPositionReasonsInFull(t *testing.T) {
	t.Parallel()
	one := []delinquency.Installment{rec(1, 1, "2026-03-10", "")}
	two := []delinquency.Installment{rec(1, 1, "2026-03-10", ""), rec(2, 2, "2026-04-10", "")}
	generic := delinquency.LadderFromRule(rule)
	fromTwo := delinquency.LadderFromRule(delinquency.Rule{Name: "k", BlockAfterDays: 10, MinOverdue: 2, WarningDays: 3})
	fromThree := delinquency.LadderFromRule(delinquency.Rule{Name: "k", BlockAfterDays: 10, MinOverdue: 3})
	tests := []struct {
		name string
		l    delinquency.Ladder
		open []delinquency.Installment
		on   string
		want string
	}{
		{"on the due date", generic, one, "2026-03-10", "not on the ladder: installment 1 due 2026-03-10; next: debt_notice on 2026-03-17"},
		{"a day late", generic, one, "2026-03-11", "overdue: installment 1 due 2026-03-10, 1 day late; next: debt_notice on 2026-03-17"},
		{"two days late", generic, one, "2026-03-12", "overdue: installment 1 due 2026-03-10, 2 days late; next: debt_notice on 2026-03-17"},
		{"notice due", generic, one, "2026-03-17",
			"debt notice due on 2026-03-17 (the warning before the suspension); installment 1 due 2026-03-10; next: suspension on 2026-03-20"},
		{"suspended", generic, one, "2026-03-20", "service suspended since 2026-03-20; installment 1 due 2026-03-10; no further step"},
		{"two needed, the second one late", fromTwo, two, "2026-04-11",
			"overdue: 2 installments open, the 2nd oldest (installment 2) due 2026-04-10, 1 day late; next: debt_notice on 2026-04-17"},
		{"nothing open", fromTwo, nil, "2026-03-11", "not on the ladder: no open installment"},
		{"two needed, one open, not late", fromTwo, one, "2026-03-10", "not on the ladder: no installment overdue"},
		{"two needed, one open and late", fromTwo, one, "2026-03-11",
			"not on the ladder: 1 installment(s) overdue, the ladder starts at 2 (min_overdue_installments)"},
		{"three needed, two open and late", fromThree, two, "2026-04-11",
			"not on the ladder: 2 installment(s) overdue, the ladder starts at 3 (min_overdue_installments)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := delinquency.PositionAt(delinquency.LadderState{Ladder: tt.l, Open: tt.open}, d(tt.on))
			if p.Reason != tt.want {
				t.Errorf("reason %q\nwant   %q", p.Reason, tt.want)
			}
		})
	}
}

// TestTriggerOrdinals checks the ordinal naming the trigger of a ladder that starts at the
// n-th overdue installment: 2nd, 3rd, 4th, 11th to 13th, 21st to 23rd, 101st, 111th.
func TestTriggerOrdinals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want string
	}{
		{2, "2nd"}, {3, "3rd"}, {4, "4th"}, {11, "11th"}, {12, "12th"}, {13, "13th"}, {21, "21st"}, {22, "22nd"}, {23, "23rd"},
		{101, "101st"}, {111, "111th"}, {112, "112th"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			open := make([]delinquency.Installment, tt.n)
			for i := range open {
				open[i] = rec(int64(i+1), i+1, "2026-03-10", "")
			}
			l := delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: tt.n, SuspensionDays: 10}
			p := delinquency.PositionAt(delinquency.LadderState{Ladder: l, Open: open}, d("2026-03-10"))
			want := fmt.Sprintf("%d installments open, the %s oldest (installment %d) due 2026-03-10", tt.n, tt.want, tt.n)
			if !strings.Contains(p.Reason, want) {
				t.Errorf("reason %q, want it to say %q", p.Reason, want)
			}
		})
	}
}

// DecideLadder's "p.Step.rank() < StepDebtNotice.rank()" read as "<=" lives: by then the
// stored step is above the position, neither suspending nor terminated, so
// at most debt_notice, and the position below that is at most overdue: the mutant is
// equivalent.

// TestDecideLadderMovesDown checks the moves down the ladder on the RGC 632 commercial
// ladder (telecom N5 P15 S45 T75; due 10 Mar, notice sent 15 Mar: partial suspension 30
// Mar, suspension 29 Apr): a contract stored suspended whose position is the partial
// suspension is reduced; one stored at the partial suspension and reduced stays; one
// stored at it, not reduced and paid is restored.
func TestDecideLadderMovesDown(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.TelecomRGC765, MinOverdue: 1, NoticeDays: 5, PartialSuspensionDays: 15, SuspensionDays: 45, TerminationDays: 75}
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", "")}, NoticeSentOn: d("2026-03-15")}
	}, []scenario{
		{"stored suspended, position partial: reduce", at("suspension", "2026-04-05", true), "2026-04-10", "partial_suspension", "2026-03-30",
			"suspension", "2026-04-29", delinquency.MovePartialSuspend, true, ""},
		{"stored partial and reduced: nothing", at("partial_suspension", "2026-03-30", true), "2026-04-01", "partial_suspension", "2026-03-30",
			"suspension", "2026-04-29", "", true, ""},
		{"stored partial, not reduced, paid: restore", all(at("partial_suspension", "2026-03-30", false), paid), "2026-04-01", "none", "",
			"", "", delinquency.MoveRestore, false, "no open installment"},
	})
}
