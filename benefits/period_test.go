package benefits

import (
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

// TestPeriodAtAcrossYears checks periods days and years away from their anchor, before and
// after it, where the period's index is a negative or positive multiple of its length and
// where it is not. Worked out by hand from the rule "period k starts on the anchor's day k
// periods later, clamped; it ends the day before period k+1 starts".
func TestPeriodAtAcrossYears(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, anchor string
		period       billing.Period
		d            string
		start, end   string
	}{
		// Anchor 10 Mar 2026, bimonthly: …, 10 Nov 2025, 10 Jan 2026, 10 Mar 2026, 10 May …
		{"bimonthly, one period back exactly", "2026-03-10", billing.Bimonthly, "2026-01-15", "2026-01-10", "2026-03-09"},
		{"bimonthly, one month back", "2026-03-10", billing.Bimonthly, "2026-02-15", "2026-01-10", "2026-03-09"},
		{"bimonthly, two periods back, the day before a start", "2026-03-10", billing.Bimonthly, "2026-01-09", "2025-11-10", "2026-01-09"},
		{"bimonthly, three months on", "2026-03-10", billing.Bimonthly, "2026-06-20", "2026-05-10", "2026-07-09"},
		{"bimonthly, the next year", "2026-03-10", billing.Bimonthly, "2027-02-01", "2027-01-10", "2027-03-09"},
		// Anchor 31 Aug 2026, quarterly: 30 Nov 2026, 28 Feb 2027, 31 May 2027; 31 May 2026 back.
		{"quarterly 31st, clamped into February", "2026-08-31", billing.Quarterly, "2027-03-15", "2027-02-28", "2027-05-30"},
		{"quarterly 31st, the day before a clamped start", "2026-08-31", billing.Quarterly, "2027-02-27", "2026-11-30", "2027-02-27"},
		{"quarterly 31st, a period back", "2026-08-31", billing.Quarterly, "2026-07-01", "2026-05-31", "2026-08-30"},
		// Anchor 15 Jun 2026, annual: years away on either side.
		{"annual, three years back", "2026-06-15", billing.Annual, "2023-06-14", "2022-06-15", "2023-06-14"},
		{"annual, three years back on the day", "2026-06-15", billing.Annual, "2023-06-15", "2023-06-15", "2024-06-14"},
		{"annual, ten years on", "2026-06-15", billing.Annual, "2036-12-31", "2036-06-15", "2037-06-14"},
		// Anchor 20 Jan 2026, monthly: December before it, and a year on.
		{"monthly, the December before", "2026-01-20", billing.Monthly, "2025-12-31", "2025-12-20", "2026-01-19"},
		{"monthly, a year on", "2026-01-20", billing.Monthly, "2027-01-19", "2026-12-20", "2027-01-19"},
		{"semiannual, the year before", "2026-01-20", billing.Semiannual, "2025-03-01", "2025-01-20", "2025-07-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, end := PeriodAt(day(tt.anchor), tt.period, day(tt.d))
			if got := billing.FormatDate(start) + " " + billing.FormatDate(end); got != tt.start+" "+tt.end {
				t.Errorf("PeriodAt = %s, want %s %s", got, tt.start, tt.end)
			}
		})
	}
}

// TestPeriodAtMatchesWalkingThePeriods checks PeriodAt against walking the periods one at a
// time from the anchor, for anchors on every day of a leap year and days from 800 before to
// 800 after each (13 days apart), for every period length.
func TestPeriodAtMatchesWalkingThePeriods(t *testing.T) {
	t.Parallel()
	for _, p := range []billing.Period{billing.Monthly, billing.Bimonthly, billing.Quarterly, billing.Semiannual, billing.Annual} {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			for anchor := day("2028-01-01"); anchor.Before(day("2029-01-01")); anchor = anchor.AddDate(0, 0, 1) {
				for offset := -800; offset <= 800; offset += 13 {
					d := anchor.AddDate(0, 0, offset)
					wantStart, wantEnd := walkPeriods(anchor, p, d)
					start, end := PeriodAt(anchor, p, d)
					if !start.Equal(wantStart) || !end.Equal(wantEnd) {
						t.Fatalf("PeriodAt(%s, %s, %s) = %s–%s, walking the periods gives %s–%s", billing.FormatDate(anchor), p,
							billing.FormatDate(d), billing.FormatDate(start), billing.FormatDate(end), billing.FormatDate(wantStart),
							billing.FormatDate(wantEnd))
					}
				}
			}
		})
	}
}

// walkPeriods finds the period of p anchored at anchor that holds d by stepping from period
// 0 one period at a time, forwards or backwards.
func walkPeriods(anchor time.Time, p billing.Period, d time.Time) (time.Time, time.Time) {
	startOf := func(k int) time.Time { return billing.AddMonthsClamped(anchor, k*p.Months(), anchor.Day()) }
	k := 0
	for startOf(k).After(d) {
		k--
	}
	for !startOf(k + 1).After(d) {
		k++
	}
	return startOf(k), startOf(k+1).AddDate(0, 0, -1)
}

// TestNextCycleDueAtMonthEnds checks the next package cycle's due date where the rule's day
// has passed in the month of the use or is clamped in it: the next month's day, clamped.
func TestNextCycleDueAtMonthEnds(t *testing.T) {
	t.Parallel()
	activation := day("2026-01-31")
	tests := []struct {
		name         string
		rule         billing.DueDateRule
		usedOn, prev string
		want         string
	}{
		{"day 31 used on 31 January: that day", billing.DueDateRule{Kind: billing.FixedDay, Day: 31}, "2026-01-31", "", "2026-01-31"},
		{"day 30 used on 31 January: 28 February", billing.DueDateRule{Kind: billing.FixedDay, Day: 30}, "2026-01-31", "", "2026-02-28"},
		{"day 1 used on 31 December: 1 January", billing.DueDateRule{Kind: billing.FixedDay, Day: 1}, "2026-12-31", "", "2027-01-01"},
		{"anniversary on the 31st used on 1 February: 28 February", billing.DueDateRule{Kind: billing.Anniversary}, "2026-02-01", "", "2026-02-28"},
		{"anniversary on the 31st used on 28 February after a due that day: 31 March", billing.DueDateRule{Kind: billing.Anniversary}, "2026-02-28", "2026-02-28", "2026-03-31"},
		{"a previous due after the use moves it past that due", billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, "2026-03-01", "2026-04-10", "2026-05-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var prev time.Time
			if tt.prev != "" {
				prev = day(tt.prev)
			}
			if got := billing.FormatDate(NextCycleDue(tt.rule, activation, day(tt.usedOn), prev)); got != tt.want {
				t.Errorf("NextCycleDue = %s, want %s", got, tt.want)
			}
		})
	}
}
