package delinquency_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// TestLadderShapeBounds pins each bound every profile shares at the value it allows and
// the first it refuses, on the generic ladder N7 S3 (notice 7 days after the due date,
// suspension 3 after the notice).
func TestLadderShapeBounds(t *testing.T) {
	t.Parallel()
	base := delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, NoticeDays: 7, SuspensionDays: 3}
	tests := []struct {
		name   string
		change func(*delinquency.Ladder)
		field  string // "" when valid
	}{
		{"the base ladder", func(*delinquency.Ladder) {}, ""},
		{"1 overdue installment", func(l *delinquency.Ladder) { l.MinOverdue = 1 }, ""},
		{"0 overdue installments", func(l *delinquency.Ladder) { l.MinOverdue = 0 }, delinquency.FieldMinOverdue},
		{"120 overdue installments", func(l *delinquency.Ladder) { l.MinOverdue = 120 }, ""},
		{"121 overdue installments", func(l *delinquency.Ladder) { l.MinOverdue = 121 }, delinquency.FieldMinOverdue},
		{"5 reminders", func(l *delinquency.Ladder) { l.ReminderDays = []int{5, 4, 3, 2, 1} }, ""},
		{"6 reminders", func(l *delinquency.Ladder) { l.ReminderDays = []int{6, 5, 4, 3, 2, 1} }, delinquency.FieldReminderDays},
		{"a reminder the day before", func(l *delinquency.Ladder) { l.ReminderDays = []int{1} }, ""},
		{"a reminder on the due date", func(l *delinquency.Ladder) { l.ReminderDays = []int{0} }, delinquency.FieldReminderDays},
		{"a reminder 60 days before", func(l *delinquency.Ladder) { l.ReminderDays = []int{60} }, ""},
		{"a reminder 61 days before", func(l *delinquency.Ladder) { l.ReminderDays = []int{61} }, delinquency.FieldReminderDays},
		{"reminders 5 and 4", func(l *delinquency.Ladder) { l.ReminderDays = []int{5, 4} }, ""},
		{"the same reminder twice", func(l *delinquency.Ladder) { l.ReminderDays = []int{5, 5} }, delinquency.FieldReminderDays},
		{"a second reminder out of range", func(l *delinquency.Ladder) { l.ReminderDays = []int{5, 0} }, delinquency.FieldReminderDays},
		{"no notice", func(l *delinquency.Ladder) { l.NoticeDays = 0 }, ""},
		{"a notice before the due date", func(l *delinquency.Ladder) { l.NoticeDays = -1 }, delinquency.FieldNoticeDays},
		{"a notice 364 days after and the suspension a day later", func(l *delinquency.Ladder) { l.NoticeDays, l.SuspensionDays = 364, 1 }, ""},
		{"a notice 366 days after", func(l *delinquency.Ladder) { l.NoticeDays, l.SuspensionDays = 366, 1 }, delinquency.FieldNoticeDays},
		// A notice 365 days after is within its bound; the suspension after it is not.
		{"a notice 365 days after", func(l *delinquency.Ladder) { l.NoticeDays, l.SuspensionDays = 365, 1 }, delinquency.FieldSuspensionDays},
		{"a suspension 1 day after the notice", func(l *delinquency.Ladder) { l.SuspensionDays = 1 }, ""},
		{"a suspension on the notice's day", func(l *delinquency.Ladder) { l.SuspensionDays = 0 }, delinquency.FieldSuspensionDays},
		{"a suspension 365 days after the due date", func(l *delinquency.Ladder) { l.SuspensionDays = 358 }, ""},
		{"a suspension 366 days after the due date", func(l *delinquency.Ladder) { l.SuspensionDays = 359 }, delinquency.FieldSuspensionDays},
		// Partial suspension 0 passes whether the check reads "P > 0 && P >= S" or "P >= 0 &&
		// P >= S": S is at least 1 by then, so that mutant is equivalent.
		{"no partial suspension", func(l *delinquency.Ladder) { l.SuspensionDays, l.PartialSuspensionDays = 10, 0 }, ""},
		{"a negative partial suspension", func(l *delinquency.Ladder) { l.SuspensionDays, l.PartialSuspensionDays = 10, -1 }, delinquency.FieldPartialDays},
		{"a partial suspension the day before the suspension", func(l *delinquency.Ladder) { l.SuspensionDays, l.PartialSuspensionDays = 10, 9 }, ""},
		{"a partial suspension on the suspension's day", func(l *delinquency.Ladder) { l.SuspensionDays, l.PartialSuspensionDays = 10, 10 }, delinquency.FieldPartialDays},
		{"no termination", func(l *delinquency.Ladder) { l.TerminationDays = 0 }, ""},
		{"a negative termination", func(l *delinquency.Ladder) { l.TerminationDays = -1 }, delinquency.FieldTerminationDays},
		{"a termination on the suspension's day", func(l *delinquency.Ladder) { l.TerminationDays = 3 }, delinquency.FieldTerminationDays},
		{"a termination the day after the suspension", func(l *delinquency.Ladder) { l.TerminationDays = 4 }, ""},
		{"a termination 730 days after the due date", func(l *delinquency.Ladder) { l.TerminationDays = 723 }, ""},
		{"a termination 731 days after the due date", func(l *delinquency.Ladder) { l.TerminationDays = 724 }, delinquency.FieldTerminationDays},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := base
			tt.change(&l)
			checkLadderField(t, l.Validate(), tt.field)
		})
	}
}

// TestProfileRulesBounds pins each bound of the telecom (RGC 765/2023 art. 70, 73, 75) and
// health (Lei 9.656/98 art. 13) profiles at the value allowed and the first refused.
func TestProfileRulesBounds(t *testing.T) {
	t.Parallel()
	telecom := delinquency.Ladder{Profile: delinquency.TelecomRGC765, MinOverdue: 1, NoticeDays: 5, SuspensionDays: 15}
	health := delinquency.Ladder{Profile: delinquency.Health9656, MinOverdue: 1, NoticeDays: 10, SuspensionDays: 10}
	tests := []struct {
		name   string
		base   delinquency.Ladder
		change func(*delinquency.Ladder)
		field  string
	}{
		{"telecom notice 1 day after the due date", telecom, func(l *delinquency.Ladder) { l.NoticeDays = 1 }, ""},
		{"telecom without a notice", telecom, func(l *delinquency.Ladder) { l.NoticeDays = 0 }, delinquency.FieldNoticeDays},
		{"telecom partial suspension 15 days after the notice", telecom, func(l *delinquency.Ladder) { l.PartialSuspensionDays, l.SuspensionDays = 15, 30 }, ""},
		{"telecom partial suspension 14 days after the notice", telecom, func(l *delinquency.Ladder) { l.PartialSuspensionDays, l.SuspensionDays = 14, 30 }, delinquency.FieldPartialDays},
		{"telecom suspension 15 days after the notice", telecom, func(l *delinquency.Ladder) { l.SuspensionDays = 15 }, ""},
		{"telecom suspension 14 days after the notice", telecom, func(l *delinquency.Ladder) { l.SuspensionDays = 14 }, delinquency.FieldSuspensionDays},
		{"telecom termination 60 days after the suspension", telecom, func(l *delinquency.Ladder) { l.TerminationDays = 75 }, ""},
		{"telecom termination 59 days after the suspension", telecom, func(l *delinquency.Ladder) { l.TerminationDays = 74 }, delinquency.FieldTerminationDays},
		{"telecom termination 60 days after a partial suspension on day 15", telecom, func(l *delinquency.Ladder) {
			l.PartialSuspensionDays, l.SuspensionDays, l.TerminationDays = 15, 30, 75
		}, ""},
		{"health notice 1 day after the due date", health, func(l *delinquency.Ladder) { l.NoticeDays = 1 }, ""},
		{"health without a notice", health, func(l *delinquency.Ladder) { l.NoticeDays = 0 }, delinquency.FieldNoticeDays},
		{"health notice on the 50th day", health, func(l *delinquency.Ladder) { l.NoticeDays = 50 }, ""},
		{"health notice on the 51st day", health, func(l *delinquency.Ladder) { l.NoticeDays = 51 }, delinquency.FieldNoticeDays},
		{"health partial suspension", health, func(l *delinquency.Ladder) { l.PartialSuspensionDays = 1 }, delinquency.FieldPartialDays},
		{"health termination", health, func(l *delinquency.Ladder) { l.TerminationDays = 30 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := tt.base
			tt.change(&l)
			checkLadderField(t, l.Validate(), tt.field)
		})
	}
}

// TestStepKindOrder checks the positions' ranks (none 0 to termination 5), which of them
// suspend the service, and the step a sweep stores for each (none for overdue).
func TestStepKindOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind     delinquency.StepKind
		rank     int
		suspends bool
		stored   delinquency.StepKind
	}{
		{delinquency.StepNone, 0, false, delinquency.StepNone},
		{delinquency.StepReminder, 0, false, delinquency.StepReminder},
		{delinquency.StepOverdue, 1, false, delinquency.StepNone},
		{delinquency.StepDebtNotice, 2, false, delinquency.StepDebtNotice},
		{delinquency.StepPartialSuspension, 3, true, delinquency.StepPartialSuspension},
		{delinquency.StepSuspension, 4, true, delinquency.StepSuspension},
		{delinquency.StepTermination, 5, false, delinquency.StepTermination},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			if got := tt.kind.Rank(); got != tt.rank {
				t.Errorf("Rank() = %d, want %d", got, tt.rank)
			}
			if got := tt.kind.Suspends(); got != tt.suspends {
				t.Errorf("Suspends() = %t, want %t", got, tt.suspends)
			}
			if got := tt.kind.Stored(); got != tt.stored {
				t.Errorf("Stored() = %s, want %s", got, tt.stored)
			}
		})
	}
	want := "none overdue debt_notice partial_suspension suspension termination"
	if got := strings.Join(delinquency.StepNames, " "); got != want {
		t.Errorf("StepNames %q, want %q", got, want)
	}
}

// TestLadderStepsAndWords checks the steps of a telecom ladder with every step, their
// anchors (after the notice: from the day it was sent) and the ladder in words; and that a
// generic ladder's steps after the notice count from the day it was due.
func TestLadderStepsAndWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		l     delinquency.Ladder
		steps string
		words string
	}{
		{"telecom, every step",
			delinquency.Ladder{Profile: delinquency.TelecomRGC765, MinOverdue: 2, ReminderDays: []int{5, 1}, NoticeDays: 5,
				PartialSuspensionDays: 15, SuspensionDays: 30, TerminationDays: 90},
			"reminder 5 due_date, reminder 1 due_date, debt_notice 5 due_date, partial_suspension 15 notice_sent, suspension 30 notice_sent, termination 90 notice_sent",
			"telecom_rgc765 ladder from 2 overdue installment(s): reminder D−5; reminder D−1; debt_notice 5 days after the due date; " +
				"partial_suspension 15 days after the debt notice is sent; suspension 30 days after the debt notice is sent; " +
				"termination 90 days after the debt notice is sent"},
		{"generic with a partial suspension and a termination",
			delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, NoticeDays: 7, PartialSuspensionDays: 1, SuspensionDays: 3, TerminationDays: 30},
			"debt_notice 7 due_date, partial_suspension 1 notice_due, suspension 3 notice_due, termination 30 notice_due",
			"generic ladder from 1 overdue installment(s): debt_notice 7 days after the due date; partial_suspension 1 days after the debt notice is due; " +
				"suspension 3 days after the debt notice is due; termination 30 days after the debt notice is due"},
		{"health without a notice counts from the due date",
			delinquency.Ladder{Profile: delinquency.Health9656, MinOverdue: 1, SuspensionDays: 20},
			"suspension 20 due_date",
			"health_9656 ladder from 1 overdue installment(s): suspension 20 days after the due date"},
		{"an unknown profile reads as generic",
			delinquency.Ladder{Profile: "isp", MinOverdue: 1, NoticeDays: 7, SuspensionDays: 3},
			"debt_notice 7 due_date, suspension 3 notice_due",
			"generic ladder from 1 overdue installment(s): debt_notice 7 days after the due date; suspension 3 days after the debt notice is due"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var steps []string
			for _, s := range tt.l.Steps() {
				steps = append(steps, fmt.Sprintf("%s %d %s", s.Kind, s.Days, s.From))
			}
			if got := strings.Join(steps, ", "); got != tt.steps {
				t.Errorf("Steps() = %s\nwant      %s", got, tt.steps)
			}
			if got := tt.l.String(); got != tt.words {
				t.Errorf("String() = %q\nwant       %q", got, tt.words)
			}
		})
	}
}

// TestLadderReadingGivesTheRuleBack checks that a generic ladder made from a blocking rule
// reads back as that rule's block_after_days and warning_days.
func TestLadderReadingGivesTheRuleBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		block, warning int
	}{
		{10, 3}, {10, 0}, {10, 1}, {10, 9}, {1, 0}, {365, 364},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("block %d warn %d", tt.block, tt.warning), func(t *testing.T) {
			t.Parallel()
			l := delinquency.LadderFromRule(delinquency.Rule{Name: "r", BlockAfterDays: tt.block, MinOverdue: 1, WarningDays: tt.warning})
			block, warning := l.Reading()
			if block != tt.block || warning != tt.warning {
				t.Errorf("Reading() = %d, %d; want %d, %d", block, warning, tt.block, tt.warning)
			}
		})
	}
}

// TestProfilesCapsAndChecks checks which profiles cap the monthly interest (telecom at
// 1.00%), which check every contract a rule comes to cover (telecom), and that an unknown
// profile name requires no sent notice.
func TestProfilesCapsAndChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     delinquency.ProfileName
		cap      string // "" when none
		checks   bool
		sent     bool
		restores int
	}{
		{delinquency.Generic, "", false, false, 1},
		{delinquency.TelecomRGC765, "1.00", true, true, 1},
		{delinquency.Health9656, "", false, true, 1},
		{"isp", "", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.name), func(t *testing.T) {
			t.Parallel()
			if got := delinquency.RequiresSentNotice(tt.name); got != tt.sent {
				t.Errorf("RequiresSentNotice = %t, want %t", got, tt.sent)
			}
			p, err := delinquency.ProfileOf(string(tt.name))
			if tt.restores == 0 {
				checkLadderField(t, err, delinquency.FieldProfile)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			max, caps := p.MaxMonthlyInterest()
			if got := map[bool]string{true: max.StringFixed(2), false: ""}[caps]; got != tt.cap {
				t.Errorf("MaxMonthlyInterest = %q, want %q", got, tt.cap)
			}
			if got := p.ChecksContracts(); got != tt.checks {
				t.Errorf("ChecksContracts = %t, want %t", got, tt.checks)
			}
			if p.RestoreWithinDays != tt.restores {
				t.Errorf("RestoreWithinDays = %d, want %d", p.RestoreWithinDays, tt.restores)
			}
		})
	}
}

// TestUnknownNamesAreClipped checks that a name refused in an error is quoted whole up to
// 40 characters and clipped after 40, for profiles and steps alike.
func TestUnknownNamesAreClipped(t *testing.T) {
	t.Parallel()
	forty := strings.Repeat("x", 40)
	tests := []struct {
		name, quoted string
	}{
		{forty, `"` + forty + `"`},
		{forty + "y", `"` + forty + `..."`},
	}
	for _, tt := range tests {
		if _, err := delinquency.ProfileOf(tt.name); err == nil || !strings.Contains(err.Error(), "unknown profile "+tt.quoted+" ") {
			t.Errorf("ProfileOf(%d characters): %v, want it to quote %s", len(tt.name), err, tt.quoted)
		}
		if _, err := delinquency.ParseStepKind(tt.name); err == nil || !strings.Contains(err.Error(), "unknown step "+tt.quoted+" ") {
			t.Errorf("ParseStepKind(%d characters): %v, want it to quote %s", len(tt.name), err, tt.quoted)
		}
	}
}

// checkLadderField fails t unless err is a billing.FieldError on field, or nil when field
// is "".
func checkLadderField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *billing.FieldError
	switch {
	case field == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case field != "" && (!errors.As(err, &fe) || fe.Field != field):
		t.Errorf("error %v, want a field error on %s", err, field)
	}
}
