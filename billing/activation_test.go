package billing

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestFirstInstallment: a contract activated on its first payment without an adhesion fee
// issues the first recurring installment of its first term, dated from its adhesion date
// (fixed day 10 from 1 July: due 10 July for July; prepaid day 15: due on the adhesion date,
// for July and August); with an adhesion fee, or without billing, none.
func TestFirstInstallment(t *testing.T) {
	t.Parallel()
	base := GenerationState{BillingMethod: BillPerInstallment, Price: decimal.RequireFromString("99.90"),
		AdhesionDate: testDate("2026-07-01"), Period: Monthly, PerTerm: 12, TermNumber: 1}
	cal := NewCalendar()
	tests := []struct {
		name                   string
		change                 func(*GenerationState)
		ok                     bool
		due, start, end, price string
	}{
		{"fixed day 10", func(s *GenerationState) { s.Rule = DueDateRule{Kind: FixedDay, Day: 10, Shift: ShiftNext} }, true,
			"2026-07-10", "2026-07-01", "2026-07-31", "99.90"},
		{"prepaid day 15", func(s *GenerationState) { s.Rule = DueDateRule{Kind: PrepaidFixedDay, Day: 15, Shift: ShiftNext} }, true,
			"2026-07-01", "2026-07-01", "2026-08-31", "99.90"},
		{"an adhesion fee", func(s *GenerationState) {
			s.Rule, s.AdhesionFee, s.AdhesionInstallments = DueDateRule{Kind: Anniversary}, decimal.RequireFromString("60.00"), 2
		}, false, "", "", "", ""},
		{"no billing", func(s *GenerationState) { s.Rule, s.BillingMethod = DueDateRule{Kind: Anniversary}, BillNone }, false, "", "", "", ""},
		{"an adhesion fee in no installment: the first recurring one", func(s *GenerationState) {
			s.Rule, s.AdhesionFee = DueDateRule{Kind: FixedDay, Day: 10, Shift: ShiftNext}, decimal.RequireFromString("60.00")
		}, true, "2026-07-10", "2026-07-01", "2026-07-31", "99.90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			tt.change(&s)
			it, ok := FirstInstallment(s, cal)
			if ok != tt.ok {
				t.Fatalf("ok %t, want %t", ok, tt.ok)
			}
			if !ok {
				return
			}
			if FormatDate(it.EffectiveDue) != tt.due || FormatDate(it.ServiceStart) != tt.start || FormatDate(it.ServiceEnd) != tt.end ||
				FormatMoney(it.Amount) != tt.price || it.Sequence != 1 || it.Term != 1 || it.Kind != Recurring {
				t.Errorf("got %+v, want due %s service %s to %s at %s", it, tt.due, tt.start, tt.end, tt.price)
			}
		})
	}
}

// TestActivatedFirstPeriod: the first service period of a contract activated on the day of
// its first payment starts that day (fixed day 10, paid 6 July: 6 July to 5 August; prepaid
// day 15, paid 6 July: 6 July to 31 August).
func TestActivatedFirstPeriod(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rule       DueDateRule
		start, end string
	}{
		{DueDateRule{Kind: FixedDay, Day: 10, Shift: ShiftNext}, "2026-07-06", "2026-08-05"},
		{DueDateRule{Kind: PrepaidFixedDay, Day: 15, Shift: ShiftNext}, "2026-07-06", "2026-08-31"},
		{DueDateRule{Kind: Anniversary}, "2026-07-06", "2026-08-05"},
	} {
		s := GenerationState{Rule: tt.rule, Period: Monthly, PerTerm: 12, Price: decimal.RequireFromString("99.90")}
		start, end, ok := ActivatedFirstPeriod(s, testDate("2026-07-06"))
		if !ok || FormatDate(start) != tt.start || FormatDate(end) != tt.end {
			t.Errorf("%s: %s to %s (%t), want %s to %s", tt.rule.Kind, FormatDate(start), FormatDate(end), ok, tt.start, tt.end)
		}
	}
}

// TestPrepareActivateOnFirstPayment: the option makes the contract wait (pending activation,
// generate-now with an adhesion fee); with an activation date or without billing it is
// refused naming the field.
func TestPrepareActivateOnFirstPayment(t *testing.T) {
	t.Parallel()
	plan := Plan{ID: 1, Price: decimal.RequireFromString("99.90"), Period: Monthly, InstallmentsPerTerm: 12}
	c := Contract{Price: plan.Price, AdhesionDate: testDate("2026-07-01"), Rule: DueDateRule{Kind: Anniversary},
		BillingMethod: BillPerInstallment, PaymentMethod: "boleto", CardInstallments: 1, RenewalPriceMode: RenewAtPlanPrice,
		ActivateOnFirstPayment: true, AdhesionFee: decimal.RequireFromString("60.00"), AdhesionInstallments: 2}
	got := c
	due, err := got.Prepare(plan)
	if err != nil || got.Status != StatusPendingActivation || !got.WaitActivation || !got.GenerateNow || FormatDate(due) != "2026-07-01" {
		t.Errorf("prepared %s wait %t generate-now %t due %s (%v)", got.Status, got.WaitActivation, got.GenerateNow, FormatDate(due), err)
	}
	dated := c
	dated.ActivationDate = testDate("2026-07-05")
	if _, err := dated.Prepare(plan); !isField(err, "activation_date") {
		t.Errorf("with an activation date: %v", err)
	}
	none := c
	none.BillingMethod = BillNone
	if _, err := none.Prepare(plan); !isField(err, "activate_on_first_payment") {
		t.Errorf("without billing: %v", err)
	}
}

// isField reports whether err is a field error naming field.
func isField(err error, field string) bool {
	fe, ok := err.(*FieldError)
	return ok && fe.Field == field
}

// testDate parses a YYYY-MM-DD test date and panics on a typo in the test table.
func testDate(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
