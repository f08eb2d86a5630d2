package billing_test

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// TestLineTotals: amount is the sum of the positive lines and discount minus the sum of the
// negative ones, to the cent; a zero line counts in neither.
func TestLineTotals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		amounts          []string
		amount, discount string
	}{
		{"none", nil, "0", "0"},
		{"plan", []string{"99.90"}, "99.90", "0"},
		{"plan and fixed discount", []string{"99.90", "-10.00"}, "99.90", "10.00"},
		{"inactivity discount capped to zero", []string{"93.00", "-0.00"}, "93.00", "0"},
		{"plan, discounts, late fine and interest", []string{"99.90", "-10.00", "-31.00", "1.17", "0.53"}, "101.60", "41.00"},
		{"proration either way", []string{"100.00", "-33.33", "16.67"}, "116.67", "33.33"},
		{"cents that add up", []string{"33.34", "33.33", "33.33", "-0.01"}, "100.00", "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var lines []billing.Line
			for _, a := range tt.amounts {
				lines = append(lines, billing.Line{Amount: money(a)})
			}
			amount, discount := billing.LineTotals(lines)
			if !amount.Equal(money(tt.amount)) || !discount.Equal(money(tt.discount)) {
				t.Errorf("totals %s, %s; want %s, %s", amount, discount, tt.amount, tt.discount)
			}
		})
	}
}

// TestLineValidate: a line names a known kind, says why, has its source key, a positive
// quantity and an amount in cents whose sign its kind allows.
func TestLineValidate(t *testing.T) {
	t.Parallel()
	one := money("1")
	ok := billing.Line{Kind: billing.LinePlan, Description: "plan", Quantity: one, Amount: money("99.90"), SourceKey: "plan"}
	with := func(f func(*billing.Line)) billing.Line { l := ok; f(&l); return l }
	tests := []struct {
		name  string
		line  billing.Line
		field string
	}{
		{"a plan line", ok, ""},
		{"a discount line", with(func(l *billing.Line) { l.Kind, l.Amount = billing.LineDiscount, money("-10.00") }), ""},
		{"a zero inactivity discount", with(func(l *billing.Line) { l.Kind, l.Amount = billing.LineInactivityDiscount, money("0") }), ""},
		{"a negative proration", with(func(l *billing.Line) { l.Kind, l.Amount = billing.LineProration, money("-16.67") }), ""},
		{"interest for 10 days", with(func(l *billing.Line) {
			l.Kind, l.Quantity, l.Amount = billing.LineLateInterest, money("10"), money("0.33")
		}), ""},
		{"unknown kind", with(func(l *billing.Line) { l.Kind = "tip" }), "kind"},
		{"no description", with(func(l *billing.Line) { l.Description = "" }), "description"},
		{"no source key", with(func(l *billing.Line) { l.SourceKey = "" }), "source_key"},
		{"zero quantity", with(func(l *billing.Line) { l.Quantity = decimal.Zero }), "quantity"},
		{"fractions of a cent", with(func(l *billing.Line) { l.Amount = money("99.901") }), "amount"},
		{"a positive discount", with(func(l *billing.Line) { l.Kind = billing.LineDiscount }), "amount"},
		{"a negative late fine", with(func(l *billing.Line) { l.Kind, l.Amount = billing.LineLateFine, money("-2.00") }), "amount"},
		{"a negative plan", with(func(l *billing.Line) { l.Amount = money("-0.01") }), "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.line.Validate()
			var field string
			if fe, ok := err.(*billing.FieldError); ok {
				field = fe.Field
			} else if err != nil {
				t.Fatalf("error %v is not a field error", err)
			}
			if field != tt.field {
				t.Errorf("Validate() = %v, want field %q", err, tt.field)
			}
		})
	}
}

// TestScheduledLines: a scheduled installment's lines sum to its amount and discount.
func TestScheduledLines(t *testing.T) {
	t.Parallel()
	d := day
	price, fee := money("99.90"), money("33.34")
	tests := []struct {
		name string
		it   billing.ScheduledInstallment
		n    int
		want []billing.Line
	}{
		{"recurring with a fixed discount",
			billing.ScheduledInstallment{Kind: billing.Recurring, Term: 2, Sequence: 15, ServiceStart: d("2027-09-01"),
				ServiceEnd: d("2027-09-30"), Amount: price, Discount: money("10.00")}, 0,
			[]billing.Line{
				{Kind: "plan", Description: "plan, term 2 installment 15: service 2027-09-01 to 2027-09-30", Quantity: money("1"),
					UnitPrice: &price, Amount: price, SourceKey: "plan"},
				{Kind: "discount", Description: "fixed discount", Quantity: money("1"), Amount: money("-10.00"), SourceKey: "discount"},
			}},
		{"a package cycle", billing.ScheduledInstallment{Kind: billing.Recurring, Term: 2, Sequence: 2,
			ServiceStart: d("2026-04-11"), Amount: price}, 0,
			[]billing.Line{{Kind: "plan", Description: "plan, package cycle 2: uses from 2026-04-11", Quantity: money("1"),
				UnitPrice: &price, Amount: price, SourceKey: "plan"}}},
		{"adhesion", billing.ScheduledInstallment{Kind: billing.Adhesion, Term: 1, Sequence: 1, Amount: fee}, 3,
			[]billing.Line{{Kind: "adhesion", Description: "adhesion fee, installment 1 of 3", Quantity: money("1"),
				UnitPrice: &fee, Amount: fee, SourceKey: "adhesion"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.ScheduledLines(tt.it, tt.n)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines\n%+v\nwant\n%+v", got, tt.want)
			}
			amount, discount := billing.LineTotals(got)
			if !amount.Equal(tt.it.Amount) || !discount.Equal(tt.it.Discount) {
				t.Errorf("totals %s, %s; want the installment's %s, %s", amount, discount, tt.it.Amount, tt.it.Discount)
			}
			for _, l := range got {
				if err := l.Validate(); err != nil {
					t.Errorf("%s: %v", l.Kind, err)
				}
			}
		})
	}
}

// TestLineDescriptions pins the words of the plan, package-cycle and adhesion lines; an
// adhesion line says "of N" only when the count is known (at least 1).
func TestLineDescriptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{billing.PlanLineDescription(2, 14, day("2027-02-10"), day("2027-03-09")), "plan, term 2 installment 14: service 2027-02-10 to 2027-03-09"},
		{billing.CycleLineDescription(3, day("2026-07-05")), "plan, package cycle 3: uses from 2026-07-05"},
		{billing.AdhesionLineDescription(1, 3), "adhesion fee, installment 1 of 3"},
		{billing.AdhesionLineDescription(1, 1), "adhesion fee, installment 1 of 1"},
		{billing.AdhesionLineDescription(2, 0), "adhesion fee, installment 2"},
		{billing.AdhesionLineDescription(1, -1), "adhesion fee, installment 1"},
	} {
		if tt.got != tt.want {
			t.Errorf("%q, want %q", tt.got, tt.want)
		}
	}
}
