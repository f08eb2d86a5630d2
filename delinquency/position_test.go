package delinquency_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/billingd/billingd/delinquency"
)

// scenario is one dated case of a profile's ladder.
type scenario struct {
	name  string
	state func(*delinquency.LadderState)
	on    string
	// want
	step, since, next, nextOn string
	move                      delinquency.Move
	suspended                 bool
	reason                    string // a part of the reason
}

// runScenarios runs dated cases over a base state built by setup.
func runScenarios(t *testing.T, setup func() delinquency.LadderState, tests []scenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup()
			if tt.state != nil {
				tt.state(&s)
			}
			got := delinquency.DecideLadder(s, d(tt.on))
			p := got.Position
			if string(p.Step) != tt.step || fmtDate(p.Since) != tt.since || string(p.Next) != tt.next || fmtDate(p.NextOn) != tt.nextOn {
				t.Errorf("at %s since %s, next %s on %s; want %s since %s, next %s on %s (%s)",
					p.Step, fmtDate(p.Since), p.Next, fmtDate(p.NextOn), tt.step, tt.since, tt.next, tt.nextOn, p.Reason)
			}
			if got.Move != tt.move || p.Suspended != tt.suspended {
				t.Errorf("move %q suspended %v, want %q %v (%s)", got.Move, p.Suspended, tt.move, tt.suspended, p.Reason)
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q, want it to say %q", p.Reason, tt.reason)
			}
		})
	}
}

// sent sets the day the debt notice was sent.
func sent(on string) func(*delinquency.LadderState) {
	return func(s *delinquency.LadderState) { s.NoticeSentOn = d(on) }
}

// at sets the stored step and since when, suspended or not.
func at(step delinquency.StepKind, since string, suspended bool) func(*delinquency.LadderState) {
	return func(s *delinquency.LadderState) {
		s.Step, s.StepSince, s.Suspended = step, d(since), suspended
		if suspended {
			s.SuspendedSince = d(since)
		}
	}
}

// all applies several changes.
func all(fs ...func(*delinquency.LadderState)) func(*delinquency.LadderState) {
	return func(s *delinquency.LadderState) {
		for _, f := range fs {
			f(s)
		}
	}
}

func paid(s *delinquency.LadderState) { s.Open = nil }

func TestTelecomLadder(t *testing.T) {
	t.Parallel()
	l, err := delinquency.NewLadder(delinquency.LadderSettings{Profile: "telecom_rgc765"})
	if err != nil {
		t.Fatal(err)
	}
	setup := func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{
			rec(1, 1, "2026-03-10", "2026-03-01"), rec(2, 2, "2026-04-10", "2026-04-01")}}
	}
	runScenarios(t, setup, []scenario{
		{"before the due date", nil, "2026-03-09", "none", "", "debt_notice", "2026-03-15", "", false, "not on the ladder"},
		{"on the due date", nil, "2026-03-10", "none", "", "debt_notice", "2026-03-15", "", false, "not on the ladder: installment 1 due 2026-03-10"},
		{"the day after", nil, "2026-03-11", "overdue", "2026-03-11", "debt_notice", "2026-03-15", "", false, "installment 1 due 2026-03-10, 1 day late"},
		{"notice day: record it, suspension waits for it to be sent", nil, "2026-03-15", "debt_notice", "2026-03-15", "suspension", "",
			delinquency.MoveRecordNotice, false, "not sent yet: no suspension before it is sent"},
		{"SMTP down for 20 days: no suspension", at("debt_notice", "2026-03-15", false), "2026-04-04", "debt_notice", "2026-03-15", "suspension", "",
			"", false, "waiting for the debt notice to be sent"},
		{"sent a day late: the suspension moves a day", all(at("debt_notice", "2026-03-15", false), sent("2026-03-16")), "2026-03-30",
			"debt_notice", "2026-03-15", "suspension", "2026-03-31", "", false, "debt notice sent on 2026-03-16"},
		{"suspension 15 days after the notice was sent", all(at("debt_notice", "2026-03-15", false), sent("2026-03-16")), "2026-03-31",
			"suspension", "2026-03-31", "termination", "2026-05-30", delinquency.MoveSuspend, true, "service suspended since 2026-03-31"},
		{"suspended two days late by the sweep: termination 60 days after that", all(sent("2026-03-16"), at("suspension", "2026-04-02", true)), "2026-05-30",
			"suspension", "2026-04-02", "termination", "2026-06-01", "", true, "next: termination on 2026-06-01"},
		{"60 days suspended: terminated", all(sent("2026-03-16"), at("suspension", "2026-03-31", true)), "2026-05-30",
			"termination", "2026-05-30", "", "", delinquency.MoveTerminate, false, "terminated on 2026-05-30"},
		{"terminated stays terminated", all(sent("2026-03-16"), at("termination", "2026-05-30", false), paid), "2026-06-10",
			"termination", "2026-05-30", "", "", "", false, "what is still owed stays owed"},
		{"first seen 40 days late: a notice, not a suspension", nil, "2026-04-19", "debt_notice", "2026-03-15", "suspension", "",
			delinquency.MoveRecordNotice, false, "not sent yet"},
		{"first seen 40 days late, notice sent the next day", all(at("debt_notice", "2026-04-19", false), sent("2026-04-20")), "2026-05-04",
			"debt_notice", "2026-04-19", "suspension", "2026-05-05", "", false, "debt notice sent on 2026-04-20"},
		{"first seen 40 days late, 15 days after the notice", all(at("debt_notice", "2026-04-19", false), sent("2026-04-20")), "2026-05-05",
			"suspension", "2026-05-05", "termination", "2026-07-04", delinquency.MoveSuspend, true, ""},
		{"paid while suspended: restored", all(sent("2026-03-16"), at("suspension", "2026-03-31", true), paid), "2026-04-03",
			"none", "", "", "", delinquency.MoveRestore, false, "no open installment"},
		{"paid after the notice: off the ladder", all(sent("2026-03-16"), at("debt_notice", "2026-03-15", false), paid), "2026-03-20",
			"none", "", "", "", delinquency.MoveReset, false, "no open installment"},
		{"trust unlock: the step stays, the service is back", func(s *delinquency.LadderState) {
			at("suspension", "2026-03-31", false)(s)
			s.NoticeSentOn, s.TrustUntil = d("2026-03-16"), d("2026-04-05")
		}, "2026-04-03", "suspension", "2026-03-31", "suspension", "2026-04-06", "", false, "trust unlock through 2026-04-05"},
		{"trust unlock over: suspended again", func(s *delinquency.LadderState) {
			at("suspension", "2026-03-31", false)(s)
			s.NoticeSentOn, s.TrustUntil = d("2026-03-16"), d("2026-04-05")
		}, "2026-04-06", "suspension", "2026-03-31", "termination", "2026-05-30", delinquency.MoveSuspend, true, ""},
		{"a rerun for an earlier date changes nothing", all(sent("2026-03-16"), at("suspension", "2026-03-31", true), paid), "2026-03-30",
			"none", "", "", "", "", false, ""},
	})
}

func TestTelecomPrepaidAndPartialLadders(t *testing.T) {
	t.Parallel()
	prepaid, err := delinquency.NewLadder(delinquency.LadderSettings{Profile: "telecom_rgc765"})
	if err != nil {
		t.Fatal(err)
	}
	// Seed 004: the July installment pays August; its service runs out on 31 July.
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: prepaid, Prepaid: true, Open: []delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-01")}}
	}, []scenario{
		{"prepaid: the notice 15 days before the service runs out", nil, "2026-07-17", "debt_notice", "2026-07-17", "suspension", "",
			delinquency.MoveRecordNotice, false, ""},
		{"prepaid, notice sent on time: suspended the day after paid_through", sent("2026-07-17"), "2026-08-01", "suspension", "2026-08-01",
			"termination", "2026-09-30", delinquency.MoveSuspend, true, ""},
		{"prepaid, notice sent 3 days late: suspended 3 days later", sent("2026-07-20"), "2026-08-03", "debt_notice", "2026-07-17",
			"suspension", "2026-08-04", delinquency.MoveRecordNotice, false, ""},
	})
	// The older RGC 632/2014 ladder many ISPs keep: notice → 15 days partial → 30 days
	// total → 30 days termination.
	partial, err := delinquency.NewLadder(delinquency.LadderSettings{Profile: "telecom_rgc765", PartialSuspensionDays: intp(15),
		SuspensionDays: intp(45), TerminationDays: intp(75)})
	if err != nil {
		t.Fatal(err)
	}
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: partial, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", "")},
			NoticeSentOn: d("2026-03-15"), Step: delinquency.StepDebtNotice, StepSince: d("2026-03-15")}
	}, []scenario{
		{"partial suspension 15 days after the notice", nil, "2026-03-30", "partial_suspension", "2026-03-30", "suspension", "2026-04-29",
			delinquency.MovePartialSuspend, true, "service reduced since 2026-03-30"},
		{"total suspension 30 days later", at("partial_suspension", "2026-03-30", true), "2026-04-29", "suspension", "2026-04-29",
			"termination", "2026-05-29", delinquency.MoveSuspend, true, ""},
		{"termination 60 days after the partial suspension", func(s *delinquency.LadderState) {
			at("suspension", "2026-04-29", true)(s)
			s.SuspendedSince = d("2026-03-30")
		}, "2026-05-29", "termination", "2026-05-29", "", "", delinquency.MoveTerminate, false, ""},
	})
}

func TestGenericLadderKeepsTodaysBehaviour(t *testing.T) {
	t.Parallel()
	l := delinquency.LadderFromRule(rule) // 10 days, warned 3 before
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(1, 1, "2026-03-10", "")}}
	}, []scenario{
		{"warned 3 days before the block", nil, "2026-03-17", "debt_notice", "2026-03-17", "suspension", "2026-03-20",
			delinquency.MoveRecordNotice, false, "the warning before the suspension"},
		{"blocked on the day, notice unsent", nil, "2026-03-20", "suspension", "2026-03-20", "", "", delinquency.MoveSuspend, true, "no further step"},
		{"first seen 40 days late: blocked at once, no notice (generic keeps today's behaviour)", nil, "2026-04-19", "suspension", "2026-03-20", "", "",
			delinquency.MoveSuspend, true, ""},
	})
}

func TestHealthLadder(t *testing.T) {
	t.Parallel()
	l, err := delinquency.NewLadder(delinquency.LadderSettings{Profile: "health_9656", TerminationDays: intp(90)})
	if err != nil {
		t.Fatal(err)
	}
	unpaid := []delinquency.Installment{rec(1, 1, "2026-01-10", ""), rec(2, 2, "2026-02-10", ""), rec(3, 3, "2026-03-10", "")}
	runScenarios(t, func() delinquency.LadderState { return delinquency.LadderState{Ladder: l, Open: unpaid} }, []scenario{
		{"notice 10 days after the due date", nil, "2026-01-20", "debt_notice", "2026-01-20", "suspension", "",
			delinquency.MoveRecordNotice, false, "the 50th day of default, by which the notice must be sent, is 2026-03-01"},
		{"60 days in default: not yet", all(sent("2026-01-20"), at("debt_notice", "2026-01-20", false)), "2026-03-11", "debt_notice", "2026-01-20",
			"suspension", "2026-03-12", "", false, "60 days in default in the last 12 months"},
		{"the 61st day: suspended", all(sent("2026-01-20"), at("debt_notice", "2026-01-20", false)), "2026-03-12", "suspension", "2026-03-12",
			"termination", "2026-04-20", delinquency.MoveSuspend, true, "61 days in default"},
		{"notice sent on the 55th day: 11 days after it", all(sent("2026-03-06"), at("debt_notice", "2026-01-20", false)), "2026-03-16", "debt_notice", "2026-01-20",
			"suspension", "2026-03-17", "", false, ""},
	})
	// Consecutive or not: 30 days late on January's, then March's unpaid.
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(3, 3, "2026-03-10", "")},
			History:      []delinquency.DefaultSpell{{Due: d("2026-01-10"), SettledOn: d("2026-02-09")}},
			NoticeSentOn: d("2026-03-20"), Step: delinquency.StepDebtNotice, StepSince: d("2026-03-20")}
	}, []scenario{
		{"30 + 30 days: not yet", nil, "2026-04-09", "debt_notice", "2026-03-20", "suspension", "2026-04-10", "", false, "60 days in default"},
		{"30 + 31 days: suspended", nil, "2026-04-10", "suspension", "2026-04-10", "termination", "2026-06-18", delinquency.MoveSuspend, true, "61 days in default"},
	})
	// 50 days late on October's: the 50th day of default has passed before January's is due.
	runScenarios(t, func() delinquency.LadderState {
		return delinquency.LadderState{Ladder: l, Open: []delinquency.Installment{rec(4, 4, "2026-01-10", "")},
			History: []delinquency.DefaultSpell{{Due: d("2025-10-10"), SettledOn: d("2025-11-29")}}}
	}, []scenario{
		{"the notice goes out at once", nil, "2026-01-11", "debt_notice", "2026-01-11", "suspension", "", delinquency.MoveRecordNotice, false,
			"the 50th day of default, by which the notice must be sent, is 2026-01-10"},
		{"sent on the 51st day: 11 days after it", sent("2026-01-11"), "2026-01-21", "debt_notice", "2026-01-11", "suspension", "2026-01-22",
			delinquency.MoveRecordNotice, false, "61 days in default"},
	})
}

func TestRemindersDue(t *testing.T) {
	t.Parallel()
	l := delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, ReminderDays: []int{5, 1}, NoticeDays: 7, SuspensionDays: 3}
	open := []delinquency.Installment{rec(1, 1, "2026-03-10", ""), rec(2, 2, "2026-04-10", "")}
	tests := []struct {
		on   string
		want string
	}{
		{"2026-03-04", ""},
		{"2026-03-05", "1:5:2026-03-05"},
		{"2026-03-08", "1:5:2026-03-05"},
		{"2026-03-09", "1:1:2026-03-09"},
		{"2026-03-10", ""},
		{"2026-04-05", "2:5:2026-04-05"},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range delinquency.RemindersDue(l, open, d(tt.on)) {
			got = append(got, strings.Join([]string{strconv.FormatInt(r.Installment.ID, 10), strconv.Itoa(r.Days), fmtDate(r.On)}, ":"))
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("on %s: %v, want %s", tt.on, got, tt.want)
		}
	}
	p := delinquency.PositionAt(delinquency.LadderState{Ladder: l, Open: open}, d("2026-03-01"))
	if p.Next != delinquency.StepReminder || fmtDate(p.NextOn) != "2026-03-05" {
		t.Errorf("next %s on %s, want the reminder on 2026-03-05", p.Next, fmtDate(p.NextOn))
	}
}
