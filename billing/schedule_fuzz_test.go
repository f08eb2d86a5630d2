package billing_test

import (
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

var (
	fuzzKinds   = []billing.DueRuleKind{billing.FixedDay, billing.Anniversary, billing.PrepaidFixedDay}
	fuzzShifts  = []billing.Shift{"", billing.ShiftNext, billing.ShiftPrevious, billing.ShiftNone}
	fuzzPeriods = []billing.Period{billing.Monthly, billing.Bimonthly, billing.Quarterly, billing.Semiannual, billing.Annual}
	fuzzEpoch   = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzDays    = uint32(time.Date(2101, 1, 1, 0, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Hours() / 24)
)

// FuzzRecurringTerm checks the invariants of terms 1..term of any valid rule starting in 2000..2100.
func FuzzRecurringTerm(f *testing.F) {
	f.Add(uint8(2), uint8(14), uint8(0), uint8(0), uint32(9648), uint8(2), uint8(11)) // seed 004: 2026-06-01, day 15
	f.Add(uint8(0), uint8(30), uint8(2), uint8(0), uint32(9862), uint8(1), uint8(3))  // day 31 from 2027-01-01
	f.Add(uint8(1), uint8(0), uint8(1), uint8(2), uint32(9527), uint8(4), uint8(3))   // anniversary on 2026-01-31
	f.Add(uint8(0), uint8(9), uint8(3), uint8(4), uint32(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, kind, dayN, shift, period uint8, offset uint32, termN, perTermN uint8) {
		rule := billing.DueDateRule{Kind: fuzzKinds[int(kind)%len(fuzzKinds)], Shift: fuzzShifts[int(shift)%len(fuzzShifts)]}
		if rule.Kind != billing.Anniversary {
			rule.Day = int(dayN)%31 + 1
		}
		if err := rule.Validate(); err != nil {
			t.Fatalf("generated an invalid rule: %v", err)
		}
		spec := billing.RecurringSpec{
			Rule:    rule,
			Period:  fuzzPeriods[int(period)%len(fuzzPeriods)],
			Start:   fuzzEpoch.AddDate(0, 0, int(offset%fuzzDays)),
			PerTerm: int(perTermN)%24 + 1,
			Price:   money("10.00"),
		}
		terms := int(termN)%5 + 1
		var all []billing.ScheduledInstallment
		for term := 1; term <= terms; term++ {
			got := billing.RecurringTerm(spec, term, nationalCalendar)
			if len(got) != spec.PerTerm {
				t.Fatalf("term %d: %d installments, want %d", term, len(got), spec.PerTerm)
			}
			for _, in := range got {
				if in.Term != term {
					t.Fatalf("installment %d has term %d, want %d", in.Sequence, in.Term, term)
				}
			}
			all = append(all, got...)
		}
		for i, in := range all {
			checkInstallment(t, spec, in)
			if in.Sequence != i+1 {
				t.Fatalf("installment %d has sequence %d, want %d", i, in.Sequence, i+1)
			}
			if i == 0 {
				if !in.ServiceStart.Equal(spec.Start) {
					t.Fatalf("first service period starts %s, want the activation %s", fmtDates(in.ServiceStart)[0], fmtDates(spec.Start)[0])
				}
				continue
			}
			prev := all[i-1]
			if !in.ServiceStart.Equal(prev.ServiceEnd.AddDate(0, 0, 1)) {
				t.Fatalf("gap or overlap: %s then %s", row(prev), row(in))
			}
			if !in.NominalDue.After(prev.NominalDue) || in.EffectiveDue.Before(prev.EffectiveDue) {
				t.Fatalf("due dates go backwards: %s then %s", row(prev), row(in))
			}
		}
	})
}

// checkInstallment checks one installment against its rule.
func checkInstallment(t *testing.T, spec billing.RecurringSpec, in billing.ScheduledInstallment) {
	t.Helper()
	for _, d := range []time.Time{in.ServiceStart, in.ServiceEnd, in.NominalDue, in.EffectiveDue} {
		if d.Location() != time.UTC || !d.Equal(d.Truncate(24*time.Hour)) {
			t.Fatalf("%s: %v is not a civil date at 00:00 UTC", row(in), d)
		}
	}
	if in.ServiceEnd.Before(in.ServiceStart) {
		t.Fatalf("%s: service ends before it starts", row(in))
	}
	if in.Kind != billing.Recurring || !in.Amount.Equal(spec.Price) {
		t.Fatalf("%s: kind %q amount %s", row(in), in.Kind, in.Amount)
	}
	clamped := min(spec.Rule.Day, billing.EndOfMonth(in.NominalDue).Day())
	switch spec.Rule.Kind {
	case billing.Anniversary:
		if !in.NominalDue.Equal(in.ServiceStart) {
			t.Fatalf("%s: anniversary due date is not the service start", row(in))
		}
	case billing.FixedDay:
		// The fixed day of every period-th month from the first one on or after activation.
		offset := 0
		if spec.Rule.Day < spec.Start.Day() {
			offset = 1
		}
		want := billing.AddMonthsClamped(spec.Start, (in.Sequence-1)*spec.Period.Months()+offset, spec.Rule.Day)
		if in.NominalDue.Day() != clamped || !in.NominalDue.Equal(want) || in.NominalDue.Before(spec.Start) {
			t.Fatalf("%s: want day %d of its month, %s, on or after activation", row(in), spec.Rule.Day, fmtDates(want)[0])
		}
	case billing.PrepaidFixedDay:
		if in.Sequence > 1 && (in.NominalDue.Day() != clamped || !in.NominalDue.Before(in.ServiceStart) || in.ServiceStart.Day() != 1) {
			t.Fatalf("%s: want due on day %d before a service period starting on the 1st", row(in), spec.Rule.Day)
		}
		if !in.ServiceEnd.Equal(billing.EndOfMonth(in.ServiceEnd)) {
			t.Fatalf("%s: prepaid service must end on a month's last day", row(in))
		}
	}
	cal := nationalCalendar
	switch spec.Rule.EffectiveShift() {
	case billing.ShiftNone:
		if !in.EffectiveDue.Equal(in.NominalDue) {
			t.Fatalf("%s: shift none moved the due date", row(in))
		}
	case billing.ShiftNext, billing.ShiftPrevious:
		if !cal.IsBusinessDay(in.EffectiveDue) {
			t.Fatalf("%s: effective due date is not a business day", row(in))
		}
		step := 1
		if spec.Rule.EffectiveShift() == billing.ShiftPrevious {
			step = -1
		}
		for d := in.NominalDue; !d.Equal(in.EffectiveDue); d = d.AddDate(0, 0, step) {
			if cal.IsBusinessDay(d) {
				t.Fatalf("%s: skipped business day %s", row(in), fmtDates(d)[0])
			}
		}
	}
}

func BenchmarkRecurringTerm(b *testing.B) {
	cal := billing.NewCalendar()
	spec := billing.RecurringSpec{
		Rule:     billing.DueDateRule{Kind: billing.FixedDay, Day: 31},
		Period:   billing.Monthly,
		Start:    day("2026-01-15"),
		PerTerm:  12,
		Price:    money("99.90"),
		Discount: money("5.00"),
	}
	for b.Loop() {
		if got := billing.RecurringTerm(spec, 3, cal); len(got) != 12 {
			b.Fatalf("got %d installments", len(got))
		}
	}
}
