package benefits

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

func dates(ds []time.Time) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, billing.FormatDate(d))
	}
	return out
}

// TestCycleEndsOn: a cycle ends cycle_months after it opened, on its day of the month or a
// shorter month's last day.
func TestCycleEndsOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opened string
		months int
		want   string
	}{
		{"one month", "2026-03-05", 1, "2026-04-05"},
		{"three months", "2026-03-05", 3, "2026-06-05"},
		{"the 31st into February", "2026-01-31", 1, "2026-02-28"},
		{"the 31st into a leap February", "2028-01-31", 1, "2028-02-29"},
		{"a leap day a year on", "2028-02-29", 12, "2029-02-28"},
		{"the 31st into a 30-day month", "2026-08-31", 1, "2026-09-30"},
		{"across the year into February", "2026-11-30", 3, "2027-02-28"},
		{"24 months", "2026-03-05", 24, "2028-03-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := billing.FormatDate(CycleEndsOn(day(tt.opened), tt.months)); got != tt.want {
				t.Errorf("CycleEndsOn(%s, %d) = %s, want %s", tt.opened, tt.months, got, tt.want)
			}
		})
	}
}

// TestCyclesOwed: the cycles owed as of a date, each opening on the day the one before ends
// (counted from that cycle's own opening), none before the day, several after missed runs.
func TestCyclesOwed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opened string
		months int
		asOf   string
		want   []string
	}{
		{"the day before the end", "2026-03-05", 1, "2026-04-04", []string{}},
		{"on the end day", "2026-03-05", 1, "2026-04-05", []string{"2026-04-05"}},
		{"a day before the second end", "2026-03-05", 1, "2026-05-04", []string{"2026-04-05"}},
		{"two missed months and the day", "2026-03-05", 1, "2026-06-05", []string{"2026-04-05", "2026-05-05", "2026-06-05"}},
		// 01-31 → 02-28; the next cycle counts from 02-28: 03-28, then 04-28.
		{"month ends drift to the clamped day", "2026-01-31", 1, "2026-04-30", []string{"2026-02-28", "2026-03-28", "2026-04-28"}},
		{"a leap February", "2028-01-31", 1, "2028-03-28", []string{"2028-02-29"}},
		{"a leap February and the month after", "2028-01-31", 1, "2028-03-29", []string{"2028-02-29", "2028-03-29"}},
		{"three months, the day before", "2026-03-05", 3, "2026-12-04", []string{"2026-06-05", "2026-09-05"}},
		{"three months, on the day", "2026-03-05", 3, "2026-12-05", []string{"2026-06-05", "2026-09-05", "2026-12-05"}},
		{"opened after the date", "2026-03-05", 1, "2026-03-01", []string{}},
		{"no months: only by use", "2026-03-05", 0, "2027-03-05", []string{}},
		{"negative months", "2026-03-05", -1, "2027-03-05", []string{}},
		{"not started", "", 1, "2027-03-05", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opened time.Time
			if tt.opened != "" {
				opened = day(tt.opened)
			}
			if got := dates(CyclesOwed(opened, tt.months, day(tt.asOf), PauseWindow{})); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CyclesOwed(%s, %d, %s) = %q, want %q", tt.opened, tt.months, tt.asOf, got, tt.want)
			}
		})
	}
}

// TestCyclesDue: the owed cycles numbered on from the current one, each installment due by
// the contract's rule on or after its opening and after the one before.
func TestCyclesDue(t *testing.T) {
	t.Parallel()
	day10 := billing.DueDateRule{Kind: billing.FixedDay, Day: 10}
	tests := []struct {
		name              string
		rule              billing.DueDateRule
		current           int
		opened            string
		months            int
		asOf, previousDue string
		want              []string
	}{
		// Seed 003: cycle 1 opened on the payment, 2026-03-05; installment 1 due 2026-03-10.
		// Cycle 2 opens 04-05, due the next day 10: 04-10; 3 on 05-05, due 05-10; 4 on 06-05, due 06-10.
		{"seed 003, three missed cycles", day10, 1, "2026-03-05", 1, "2026-06-05", "2026-03-10",
			[]string{"2 2026-04-05 2026-04-10", "3 2026-05-05 2026-05-10", "4 2026-06-05 2026-06-10"}},
		// Cycle 2 was opened by use on 03-20 (its installment due 04-10): cycle 3 opens 04-20,
		// due on the next day 10 after it: 05-10.
		{"after a cycle opened by use", day10, 2, "2026-03-20", 1, "2026-04-20", "2026-04-10",
			[]string{"3 2026-04-20 2026-05-10"}},
		// Day 25 would fall on 05-25, but the previous cycle's installment is due then: 06-25.
		{"after the previous due date", billing.DueDateRule{Kind: billing.FixedDay, Day: 25}, 1, "2026-04-02", 1, "2026-05-02",
			"2026-05-25", []string{"2 2026-05-02 2026-06-25"}},
		{"nothing owed", day10, 1, "2026-03-05", 1, "2026-04-04", "2026-03-10", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := []string{}
			for _, c := range CyclesDue(tt.rule, day("2026-03-02"), tt.current, day(tt.opened), tt.months, day(tt.asOf), day(tt.previousDue), PauseWindow{}) {
				got = append(got, fmt.Sprintf("%d %s %s", c.Cycle, billing.FormatDate(c.Opened), billing.FormatDate(c.NominalDue)))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CyclesDue = %q, want %q", got, tt.want)
			}
		})
	}
}
