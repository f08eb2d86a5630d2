package billing_test

import (
	"fmt"
	"testing"

	"github.com/billingd/billingd/billing"
)

// TestDueChangeProration pins the cents of a due-day change: days = new period start - old
// period start, amount = days × price / days of the old period, half-up to the cent, kept,
// cut to credits or dropped by the mode.
func TestDueChangeProration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		mode                       billing.ProrationMode
		price                      string
		oldStart, oldEnd, newStart string
		days, periodDays           int
		amount                     string
	}{
		{"10 to 25, a 31-day period, charged", billing.ProrationCharge, "99.90", "2026-08-10", "2026-09-09", "2026-08-25", 15, 31, "48.34"},
		{"25 to 10, credited", billing.ProrationCharge, "99.90", "2026-08-25", "2026-09-24", "2026-08-10", -15, 31, "-48.34"},
		{"10 to 25 in February, 28 days", billing.ProrationCharge, "99.90", "2026-02-10", "2026-03-09", "2026-02-25", 15, 28, "53.52"},
		{"credit mode: a later day is free", billing.ProrationCredit, "99.90", "2026-08-10", "2026-09-09", "2026-08-25", 15, 31, "0"},
		{"credit mode: an earlier day is credited", billing.ProrationCredit, "99.90", "2026-08-25", "2026-09-24", "2026-08-10", -15, 31, "-48.34"},
		{"none", billing.ProrationNone, "99.90", "2026-08-10", "2026-09-09", "2026-08-25", 15, 31, "0"},
		{"same start", billing.ProrationCharge, "99.90", "2026-08-10", "2026-09-09", "2026-08-10", 0, 31, "0"},
		{"half a cent rounds up", billing.ProrationCharge, "100.05", "2026-08-01", "2026-08-02", "2026-08-02", 1, 2, "50.03"},
		{"half a cent of credit rounds away from zero", billing.ProrationCharge, "100.05", "2026-08-02", "2026-08-03", "2026-08-01", -1, 2, "-50.03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.DueChangeProration(tt.mode, money(tt.price), day(tt.oldStart), day(tt.oldEnd), day(tt.newStart))
			if got.Days != tt.days || got.PeriodDays != tt.periodDays || !got.Amount.Equal(money(tt.amount)) {
				t.Errorf("got %d days of %d, %s; want %d of %d, %s", got.Days, got.PeriodDays, got.Amount, tt.days, tt.periodDays, tt.amount)
			}
		})
	}
}

// TestPlanChangeProration pins the cents of a plan change inside a period: the days from the
// effective day to the period's end at the price difference over the days of the period.
func TestPlanChangeProration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		oldPrice, newPrice    string
		effective, start, end string
		days, periodDays      int
		amount                string
	}{
		{"upgrade on day 12 of 30", "99.90", "149.90", "2026-06-12", "2026-06-01", "2026-06-30", 19, 30, "31.67"},
		{"downgrade on day 12 of 30", "149.90", "99.90", "2026-06-12", "2026-06-01", "2026-06-30", 19, 30, "-31.67"},
		{"on the first day: the whole period", "99.90", "149.90", "2026-06-01", "2026-06-01", "2026-06-30", 30, 30, "50.00"},
		{"on the last day: one day", "99.90", "149.90", "2026-06-30", "2026-06-01", "2026-06-30", 1, 30, "1.67"},
		{"a 31-day period", "89.90", "129.90", "2026-07-20", "2026-07-10", "2026-08-09", 21, 31, "27.10"},
		{"outside the period", "99.90", "149.90", "2026-07-01", "2026-06-01", "2026-06-30", 0, 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.PlanChangeProration(money(tt.oldPrice), money(tt.newPrice), day(tt.effective), day(tt.start), day(tt.end))
			if got.Days != tt.days || got.PeriodDays != tt.periodDays || !got.Amount.Equal(money(tt.amount)) {
				t.Errorf("got %d days of %d, %s; want %d of %d, %s", got.Days, got.PeriodDays, got.Amount, tt.days, tt.periodDays, tt.amount)
			}
		})
	}
}

// TestChangeAnchors: a due-day change to fixed_day moves the periods' start to the new day
// of the anchor's month; a pause moves it by its months.
func TestChangeAnchors(t *testing.T) {
	t.Parallel()
	fixed25 := billing.DueDateRule{Kind: billing.FixedDay, Day: 25}
	if got := billing.DueChangeAnchor(day("2026-01-10"), fixed25); !got.Equal(day("2026-01-25")) {
		t.Errorf("fixed day 25 from 2026-01-10: %s", billing.FormatDate(got))
	}
	if got := billing.DueChangeAnchor(day("2026-01-10"), billing.DueDateRule{Kind: billing.FixedDay, Day: 31}); !got.Equal(day("2026-01-31")) {
		t.Errorf("fixed day 31 from 2026-01-10: %s", billing.FormatDate(got))
	}
	if got := billing.DueChangeAnchor(day("2026-01-10"), billing.DueDateRule{Kind: billing.Anniversary}); !got.Equal(day("2026-01-10")) {
		t.Errorf("anniversary keeps the anchor: %s", billing.FormatDate(got))
	}
	if got := billing.PauseAnchor(day("2026-01-10"), 2); !got.Equal(day("2026-03-10")) {
		t.Errorf("a pause of 2 months from 2026-01-10: %s", billing.FormatDate(got))
	}
	spec := billing.RecurringSpec{Rule: fixed25, Period: billing.Monthly, Start: day("2026-01-25"), PerTerm: 12, Price: money("99.90")}
	it, ok := billing.RecurringAt(spec, 8, nil)
	if !ok || it.Term != 1 || !it.ServiceStart.Equal(day("2026-08-25")) || !it.ServiceEnd.Equal(day("2026-09-24")) || !it.NominalDue.Equal(day("2026-08-25")) {
		t.Errorf("sequence 8: %+v", it)
	}
	if it, ok := billing.RecurringAt(spec, 13, nil); !ok || it.Term != 2 || !it.ServiceStart.Equal(day("2027-01-25")) {
		t.Errorf("sequence 13: %+v", it)
	}
	for _, m := range []int{0, 5} {
		if billing.CheckPauseMonths(m) == nil {
			t.Errorf("a pause of %d months accepted", m)
		}
	}
}

// TestProrateDays: price × days / period days, half-up to the cent; nothing for no day or a
// period of no day; a one-day period prorates the whole price per day.
func TestProrateDays(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		price            string
		days, periodDays int
		want             string
	}{
		{"99.90", 1, 1, "99.90"},
		{"99.90", 2, 1, "199.80"},
		{"99.90", -1, 1, "-99.90"},
		{"99.90", 10, 30, "33.30"},
		{"99.90", 0, 30, "0"},
		{"99.90", 5, 0, "0"},
		{"99.90", 5, -30, "0"},
	} {
		if got := billing.ProrateDays(money(tt.price), tt.days, tt.periodDays); !got.Equal(money(tt.want)) {
			t.Errorf("ProrateDays(%s, %d, %d) = %s, want %s", tt.price, tt.days, tt.periodDays, got, tt.want)
		}
	}
}

// TestRecurringAt: the first and the last installment of a term, the first of the next, and
// none below sequence 1, for a term of no installment or for a spec RecurringTerm refuses.
func TestRecurringAt(t *testing.T) {
	t.Parallel()
	spec := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 25}, Period: billing.Monthly,
		Start: day("2026-01-25"), PerTerm: 12, Price: money("99.90")}
	for _, tt := range []struct {
		sequence, term int
		start, end     string
	}{
		{1, 1, "2026-01-25", "2026-02-24"},
		{12, 1, "2026-12-25", "2027-01-24"},
		{13, 2, "2027-01-25", "2027-02-24"},
		{24, 2, "2027-12-25", "2028-01-24"},
	} {
		it, ok := billing.RecurringAt(spec, tt.sequence, nil)
		if got := fmtDates(it.ServiceStart, it.ServiceEnd); !ok || it.Sequence != tt.sequence || it.Term != tt.term || got[0] != tt.start || got[1] != tt.end {
			t.Errorf("sequence %d: %t term %d sequence %d %v, want term %d %s to %s", tt.sequence, ok, it.Term, it.Sequence, got, tt.term, tt.start, tt.end)
		}
	}
	one := spec
	one.PerTerm = 1
	if it, ok := billing.RecurringAt(one, 1, nil); !ok || it.Term != 1 || billing.FormatDate(it.ServiceStart) != "2026-01-25" {
		t.Errorf("one installment a term, sequence 1: %t %+v", ok, it)
	}
	if it, ok := billing.RecurringAt(one, 2, nil); !ok || it.Term != 2 || billing.FormatDate(it.ServiceStart) != "2026-02-25" {
		t.Errorf("one installment a term, sequence 2: %t %+v", ok, it)
	}
	weekly := spec
	weekly.Period = "weekly"
	none := spec
	none.PerTerm = 0
	for name, c := range map[string]struct {
		spec     billing.RecurringSpec
		sequence int
	}{"sequence 0": {spec, 0}, "sequence -1": {spec, -1}, "no installment a term": {none, 1}, "a refused spec": {weekly, 1}} {
		if it, ok := billing.RecurringAt(c.spec, c.sequence, nil); ok {
			t.Errorf("%s: %+v", name, it)
		}
	}
}

// TestCheckPauseMonths: 1 to 4 months.
func TestCheckPauseMonths(t *testing.T) {
	t.Parallel()
	for m := 1; m <= 4; m++ {
		if err := billing.CheckPauseMonths(m); err != nil {
			t.Errorf("%d months: %v", m, err)
		}
	}
	for _, m := range []int{-1, 0, 5} {
		want := fmt.Sprintf("months: must be between 1 and 4, got %d", m)
		if err := billing.CheckPauseMonths(m); err == nil || err.Error() != want {
			t.Errorf("%d months: %v, want %s", m, err, want)
		}
	}
}
