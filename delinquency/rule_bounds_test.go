package delinquency_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// TestRuleValidateBounds pins each bound of a blocking rule at the value it allows and the
// first it refuses: 1 to 365 days, 1 to 120 installments, a warning of 0 to
// block_after_days − 1 days.
func TestRuleValidateBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*delinquency.Rule)
		field  string
	}{
		{"the base rule", func(*delinquency.Rule) {}, ""},
		{"blocked 1 day after, without a warning", func(r *delinquency.Rule) { r.BlockAfterDays, r.WarningDays = 1, 0 }, ""},
		{"blocked on the due date", func(r *delinquency.Rule) { r.BlockAfterDays, r.WarningDays = 0, 0 }, "block_after_days"},
		{"blocked 365 days after", func(r *delinquency.Rule) { r.BlockAfterDays = 365 }, ""},
		{"blocked 366 days after", func(r *delinquency.Rule) { r.BlockAfterDays = 366 }, "block_after_days"},
		{"120 installments", func(r *delinquency.Rule) { r.MinOverdue = 120 }, ""},
		{"121 installments", func(r *delinquency.Rule) { r.MinOverdue = 121 }, "min_overdue_installments"},
		{"no installment", func(r *delinquency.Rule) { r.MinOverdue = 0 }, "min_overdue_installments"},
		{"no warning", func(r *delinquency.Rule) { r.WarningDays = 0 }, ""},
		{"a negative warning", func(r *delinquency.Rule) { r.WarningDays = -1 }, "warning_days"},
		{"warned the day after the due date", func(r *delinquency.Rule) { r.WarningDays = 9 }, ""},
		{"warned on the due date", func(r *delinquency.Rule) { r.WarningDays = 10 }, "warning_days"},
		{"no name", func(r *delinquency.Rule) { r.Name = "" }, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := delinquency.Rule{Name: "r", BlockAfterDays: 10, MinOverdue: 1, WarningDays: 3}
			tt.change(&r)
			checkLadderField(t, r.Validate(), tt.field)
		})
	}
}

// TestBoundsErrorsStateTheLimit checks that errors whose limit depends on another setting
// state it: the warning at most block_after_days − 1, the partial suspension at most
// suspension_after_days − 1.
func TestBoundsErrorsStateTheLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"warning", delinquency.Rule{Name: "r", BlockAfterDays: 5, MinOverdue: 1, WarningDays: 5}.Validate(),
			"warning_days: must be from 0 to block_after_days - 1 (4), got 5"},
		{"partial suspension", delinquency.Ladder{Profile: delinquency.Generic, MinOverdue: 1, NoticeDays: 7, PartialSuspensionDays: 10,
			SuspensionDays: 10}.Validate(), "partial_suspension_after_days: must be 0 (none) or from 1 to suspension_after_days - 1 (9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.err == nil || !strings.HasPrefix(tt.err.Error(), tt.want) {
				t.Errorf("error %v, want it to start %q", tt.err, tt.want)
			}
		})
	}
}

// TestBlockOfReasons checks the reason each kind of block gives, for the block episode.
func TestBlockOfReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rule    delinquency.Rule
		prepaid bool
		open    []delinquency.Installment
		want    string
	}{
		{"one installment", delinquency.Rule{Name: "r", BlockAfterDays: 10, MinOverdue: 1}, false,
			[]delinquency.Installment{rec(1, 1, "2026-03-10", "")},
			"installment 1 due 2026-03-10 unpaid 10 days after its due date"},
		{"two installments", delinquency.Rule{Name: "r", BlockAfterDays: 5, MinOverdue: 2}, false,
			[]delinquency.Installment{rec(1, 1, "2026-03-10", ""), rec(2, 2, "2026-04-10", "")},
			"2 installments unpaid 5 days after their due dates (the last, installment 2, due 2026-04-10)"},
		// Seed 004: the July installment pays August; paid through 31 July.
		{"prepaid service ran out", rule, true, []delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-01")},
			"service paid through 2026-07-31 ran out and installment 2 due 2026-07-15 is unpaid"},
		{"prepaid first installment", rule, true, []delinquency.Installment{rec(1, 1, "2026-06-01", "2026-06-01")},
			"first installment 1 due 2026-06-01 unpaid 10 days after its due date"},
		{"prepaid adhesion", rule, true, []delinquency.Installment{{ID: 9, Kind: billing.Adhesion, Sequence: 1, Due: d("2026-07-01")}},
			"adhesion installment 9 due 2026-07-01 unpaid 10 days after its due date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ok := delinquency.BlockOf(tt.rule, tt.prepaid, tt.open)
			if !ok || b.Reason != tt.want {
				t.Errorf("BlockOf reason %q (%t), want %q", b.Reason, ok, tt.want)
			}
		})
	}
}

// Two mutants of BlockOf live because they cannot change a block:
//   - "in.Sequence < firstRecurring.Sequence" read as "<=": it differs only for two
//     recurring installments of one contract with the same sequence, which installments'
//     UNIQUE (contract_id, kind, sequence) forbids (migration 002);
//   - "r.WarningDays > 0" read as ">= 0": with 0 warning days the warning date would be
//     the block date itself, which the next check clears ("no warning" in TestBlockOf,
//     and the rows without a warning below).

// TestBlockOfOrdersEqualDueDatesByID checks that installments due the same day count
// oldest first by ID, whatever order they are read in, and that a prepaid contract's
// service runs out on its lowest recurring sequence among those due the same day.
func TestBlockOfOrdersEqualDueDatesByID(t *testing.T) {
	t.Parallel()
	sameDay := []delinquency.Installment{rec(7, 2, "2026-03-10", ""), rec(3, 1, "2026-03-10", "")}
	tests := []struct {
		name     string
		rule     delinquency.Rule
		prepaid  bool
		open     []delinquency.Installment
		trigger  int64
		on, warn string
	}{
		{"the first of two due the same day is the lower ID", delinquency.Rule{Name: "r", BlockAfterDays: 10, MinOverdue: 1}, false,
			sameDay, 3, "2026-03-20", ""},
		{"the second of two due the same day is the higher ID", delinquency.Rule{Name: "r", BlockAfterDays: 10, MinOverdue: 2}, false,
			sameDay, 7, "2026-03-20", ""},
		// IDs 4 (sequence 3, service from 1 Sep) and 5 (sequence 2, service from 1 Aug), due
		// the same day: the service runs out after sequence 1, on 1 Aug.
		{"prepaid: the lowest sequence, not the lowest ID", rule, true,
			[]delinquency.Installment{rec(4, 3, "2026-07-15", "2026-09-01"), rec(5, 2, "2026-07-15", "2026-08-01")}, 5, "2026-08-01", "2026-07-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ok := delinquency.BlockOf(tt.rule, tt.prepaid, tt.open)
			if !ok || b.Trigger.ID != tt.trigger || fmtDate(b.On) != tt.on || fmtDate(b.WarnOn) != tt.warn {
				t.Errorf("BlockOf = trigger %d on %s warned %s (%t); want %d on %s warned %q",
					b.Trigger.ID, fmtDate(b.On), fmtDate(b.WarnOn), ok, tt.trigger, tt.on, tt.warn)
			}
		})
	}
}

// TestDateOfDefaultDayZero checks that a count of 0 (or less) days in default is reached
// on the date asked, even with nothing in default, and that 1 day is never reached then.
func TestDateOfDefaultDayZero(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1} {
		if got, ok := delinquency.DateOfDefaultDay(nil, n, d("2026-03-10")); !ok || fmtDate(got) != "2026-03-10" {
			t.Errorf("DateOfDefaultDay(nil, %d) = %s %t, want 2026-03-10 true", n, fmtDate(got), ok)
		}
	}
	if got, ok := delinquency.DateOfDefaultDay(nil, 1, d("2026-03-10")); ok {
		t.Errorf("DateOfDefaultDay(nil, 1) = %s, want never", fmtDate(got))
	}
}

// TestTrustUntilBounds checks the trust unlock's bounds: 1 day and the maximum are
// allowed, 0 and one more than the maximum are refused, naming the maximum.
func TestTrustUntilBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		days, max int
		want      string // "" when refused
	}{
		{1, 5, "2026-03-27"},
		{5, 5, "2026-03-31"},
		{0, 5, ""},
		{6, 5, ""},
	}
	for _, tt := range tests {
		got, err := delinquency.TrustUntil(d("2026-03-26"), tt.days, tt.max)
		var fe *billing.FieldError
		switch {
		case tt.want != "" && (err != nil || fmtDate(got) != tt.want):
			t.Errorf("TrustUntil(%d of %d) = %s %v, want %s", tt.days, tt.max, fmtDate(got), err, tt.want)
		case tt.want == "" && (!errors.As(err, &fe) || !strings.Contains(fe.Reason, "must be from 1 to 5")):
			t.Errorf("TrustUntil(%d of %d) = %v, want a field error naming 1 to 5", tt.days, tt.max, err)
		}
	}
}
