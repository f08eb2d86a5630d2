package benefits

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/billingd/billingd/billing"
)

// window builds a pause window from two dates ("" for none, or for no last day).
func window(from, until string) PauseWindow {
	if from == "" {
		return PauseWindow{}
	}
	if until == "" {
		return PauseWindow{From: day(from)}
	}
	return PauseWindow{From: day(from), Until: day(until)}
}

// TestPauseWindowMonths: a pause lasts the fewest months from its first day that pass its
// last day, month ends clamped; no window, or an empty one, is no month.
func TestPauseWindowMonths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, until string
		want              int
	}{
		{"no pause", "", "", 0},
		{"one month", "2026-03-20", "2026-04-19", 1},
		{"two months", "2026-03-20", "2026-05-19", 2},
		{"a day more than one month", "2026-03-20", "2026-04-20", 2},
		{"a single day", "2026-03-20", "2026-03-20", 1},
		{"from a month end, one month", "2026-01-31", "2026-02-27", 1},
		{"from a month end, two months", "2026-01-31", "2026-03-30", 2},
		{"ends before it starts", "2026-03-20", "2026-03-19", 0},
		{"no last day", "2026-03-20", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := window(tt.from, tt.until)
			if got := w.Months(); got != tt.want {
				t.Errorf("%s..%s: Months() = %d, want %d", tt.from, tt.until, got, tt.want)
			}
		})
	}
}

// TestPauseWindowTouches: a window touches a cycle when it starts on or before the cycle's
// end day and ends on or after its opening day.
func TestPauseWindowTouches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, until string
		want              bool
	}{
		{"inside", "2026-03-20", "2026-04-19", true},
		{"starts on the end day", "2026-04-05", "2026-05-04", true},
		{"starts the day after the end", "2026-04-06", "2026-05-05", false},
		{"ends on the opening day", "2026-02-05", "2026-03-05", true},
		{"ends the day before the opening", "2026-02-05", "2026-03-04", false},
		{"no pause", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := window(tt.from, tt.until).Touches(day("2026-03-05"), day("2026-04-05")); got != tt.want {
				t.Errorf("%s..%s touches 2026-03-05..04-05 = %v, want %v", tt.from, tt.until, got, tt.want)
			}
		})
	}
}

// TestCycleEndsOnPaused: a cycle the pause touches lasts its months plus the pause's, from
// its opening day (clamped at month ends); one the pause does not touch ends as before.
func TestCycleEndsOnPaused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, opened      string
		months            int
		from, until, want string
	}{
		{"no pause", "2026-03-05", 1, "", "", "2026-04-05"},
		{"seed 003, paused a month inside cycle 1", "2026-03-05", 1, "2026-03-20", "2026-04-19", "2026-05-05"},
		{"paused from the end day", "2026-03-05", 1, "2026-04-05", "2026-05-04", "2026-05-05"},
		{"paused from the day after the end", "2026-03-05", 1, "2026-04-06", "2026-05-05", "2026-04-05"},
		{"paused two months", "2026-03-05", 1, "2026-03-20", "2026-05-19", "2026-06-05"},
		{"a three-month cycle paused a month", "2026-03-05", 3, "2026-05-01", "2026-05-31", "2026-07-05"},
		{"a pause resumed after one of its months", "2026-03-05", 1, "2026-03-20", "2026-04-19", "2026-05-05"},
		// 01-31 + 2 months on day 31: 03-31 (without the pause, 02-28).
		{"opened on a month end", "2026-01-31", 1, "2026-02-10", "2026-03-09", "2026-03-31"},
		{"a leap year's month end, two months paused", "2028-01-31", 1, "2028-02-01", "2028-03-31", "2028-04-30"},
		{"a pause that ended before the cycle", "2026-03-05", 1, "2026-02-01", "2026-02-28", "2026-04-05"},
		{"a cycle opened inside the pause", "2026-03-05", 1, "2026-02-20", "2026-03-19", "2026-05-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.FormatDate(CycleEndsOnPaused(day(tt.opened), tt.months, window(tt.from, tt.until)))
			if got != tt.want {
				t.Errorf("CycleEndsOnPaused(%s, %d, %s..%s) = %s, want %s", tt.opened, tt.months, tt.from, tt.until, got, tt.want)
			}
		})
	}
}

// TestCyclesOwedPaused: the pause moves the end of the one cycle it touches, and the cycles
// after it count from their own opening; the sweep opens nothing on the old day.
func TestCyclesOwedPaused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, until, asOf string
		want                    []string
	}{
		{"the old end day", "2026-03-20", "2026-04-19", "2026-04-05", []string{}},
		{"the day before the new end", "2026-03-20", "2026-04-19", "2026-05-04", []string{}},
		{"the new end day", "2026-03-20", "2026-04-19", "2026-05-05", []string{"2026-05-05"}},
		{"missed runs after the pause", "2026-03-20", "2026-04-19", "2026-07-05", []string{"2026-05-05", "2026-06-05", "2026-07-05"}},
		// The pause falls in cycle 3 (opened 05-05): it ends 07-05, not 06-05.
		{"a pause in a later cycle", "2026-05-10", "2026-06-09", "2026-08-05", []string{"2026-04-05", "2026-05-05", "2026-07-05", "2026-08-05"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := dates(CyclesOwed(day("2026-03-05"), 1, day(tt.asOf), window(tt.from, tt.until))); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CyclesOwed as of %s, paused %s..%s = %q, want %q", tt.asOf, tt.from, tt.until, got, tt.want)
			}
		})
	}
}

// TestCyclesDuePaused: seed 003 (day 10), cycle 1 opened 2026-03-05 and paused
// 2026-03-20..04-19: cycle 2 opens 05-05, due 05-10; cycle 3 opens 06-05, due 06-10.
func TestCyclesDuePaused(t *testing.T) {
	t.Parallel()
	got := []string{}
	for _, c := range CyclesDue(billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, day("2026-03-02"), 1, day("2026-03-05"), 1,
		day("2026-06-05"), day("2026-03-10"), window("2026-03-20", "2026-04-19")) {
		got = append(got, fmt.Sprintf("%d %s %s", c.Cycle, billing.FormatDate(c.Opened), billing.FormatDate(c.NominalDue)))
	}
	if want := []string{"2 2026-05-05 2026-05-10", "3 2026-06-05 2026-06-10"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CyclesDue paused = %q, want %q", got, want)
	}
}
