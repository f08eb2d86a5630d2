package delinquency_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// seg is a blocked segment of a test table: from inclusive, to exclusive.
func seg(from, to string) delinquency.Segment { return delinquency.Segment{From: d(from), To: d(to)} }

// TestSegmentDays checks that a segment counts the days from its first day up to, not
// including, the day the block was lifted, and none when lifted the day it began or before.
func TestSegmentDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    delinquency.Segment
		want int
	}{
		{"10 to 13 March: the 10th, 11th and 12th", seg("2026-03-10", "2026-03-13"), 3},
		{"one day", seg("2026-03-10", "2026-03-11"), 1},
		{"lifted the same day", seg("2026-03-10", "2026-03-10"), 0},
		{"lifted before it began", seg("2026-03-10", "2026-03-09"), 0},
		{"across the turn of the year: 30 Dec to 2 Jan", seg("2026-12-30", "2027-01-02"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.s.Days(); got != tt.want {
				t.Errorf("Days() = %d, want %d", got, tt.want)
			}
		})
	}
	// 3 + 0 + 5 (1 to 6 April) days.
	segs := []delinquency.Segment{seg("2026-03-10", "2026-03-13"), seg("2026-03-20", "2026-03-20"), seg("2026-04-01", "2026-04-06")}
	if got := delinquency.BlockedDays(segs); got != 8 {
		t.Errorf("BlockedDays = %d, want 8", got)
	}
	if got := delinquency.BlockedDays(nil); got != 0 {
		t.Errorf("BlockedDays(nil) = %d, want 0", got)
	}
}

// TestInactivityDiscountProratesEachMonth checks the inactivity discount against amounts
// worked out by hand: each month's blocked days at the price over that month's days,
// summed exactly, rounded half-up to the cent once.
func TestInactivityDiscountProratesEachMonth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		price string
		segs  []delinquency.Segment
		want  string
	}{
		// 20–28 Feb is 9 of 28 days, 1 Mar is 1 of 31: 99.90 × 9/28 = 32.1107…, 99.90 × 1/31
		// = 3.2225…; 35.3333… → 35.33.
		{"February into March", "99.90", []delinquency.Segment{seg("2026-02-20", "2026-03-02")}, "35.33"},
		// All 28 days of February 2026: the whole price.
		{"a whole February", "99.90", []delinquency.Segment{seg("2026-02-01", "2026-03-01")}, "99.90"},
		// All 29 days of February 2028 at 29.00: 29.00; one of them: 1.00.
		{"a whole leap February", "29.00", []delinquency.Segment{seg("2028-02-01", "2028-03-01")}, "29.00"},
		{"one day of a leap February", "29.00", []delinquency.Segment{seg("2028-02-10", "2028-02-11")}, "1.00"},
		// One of March's 31 days: 99.90 / 31 = 3.2225… → 3.22.
		{"one day of March", "99.90", []delinquency.Segment{seg("2026-03-10", "2026-03-11")}, "3.22"},
		// 15 of April's 30 days at 0.33: 0.165 exactly, half-up 0.17 (half-even would give 0.16).
		{"half a cent rounds up", "0.33", []delinquency.Segment{seg("2026-04-01", "2026-04-16")}, "0.17"},
		// 14 of 30 days at 0.33: 0.154 → 0.15.
		{"under half a cent rounds down", "0.33", []delinquency.Segment{seg("2026-04-01", "2026-04-15")}, "0.15"},
		// Two single days of March at 10.00: 10/31 + 10/31 = 0.6451… → 0.65 (0.32 + 0.32 =
		// 0.64 if each were rounded on its own).
		{"segments summed before rounding", "10.00", []delinquency.Segment{seg("2026-03-01", "2026-03-02"), seg("2026-03-05", "2026-03-06")}, "0.65"},
		// 31 Dec is 1 of 31 days, 1 Jan 1 of 31: 31.00/31 × 2 = 2.00.
		{"across the turn of the year", "31.00", []delinquency.Segment{seg("2026-12-31", "2027-01-02")}, "2.00"},
		{"a segment without days", "99.90", []delinquency.Segment{seg("2026-03-10", "2026-03-10")}, "0.00"},
		{"no segments", "99.90", nil, "0.00"},
		// At price 0 the discount is 0 whether InactivityDiscount returns early (Sign() <= 0)
		// or prorates 0 (the mutant Sign() < 0): that mutant is equivalent.
		{"price 0", "0", []delinquency.Segment{seg("2026-03-10", "2026-03-20")}, "0.00"},
		{"negative price counts as 0", "-99.90", []delinquency.Segment{seg("2026-03-10", "2026-03-20")}, "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := delinquency.InactivityDiscount(decimal.RequireFromString(tt.price), tt.segs)
			if got.StringFixed(2) != tt.want || !got.Equal(decimal.RequireFromString(tt.want)) {
				t.Errorf("InactivityDiscount(%s) = %s, want %s", tt.price, got.String(), tt.want)
			}
		})
	}
}

// TestCapDiscountKeepsTheAmountAtOrAboveZero checks that the inactivity discount never
// takes an installment below zero: at 100.00 less 10.00 and 5.00 there is room for 85.00.
// A discount of exactly 0 is returned as it is; CapDiscount's `d.Sign() < 0` read as
// `<= 0` would return decimal.Zero instead, the same amount: that mutant is equivalent.
func TestCapDiscountKeepsTheAmountAtOrAboveZero(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		d, amount, discount, onTime string
		want                        string
	}{
		{"within the room", "20.00", "100.00", "10.00", "5.00", "20.00"},
		{"exactly the room", "85.00", "100.00", "10.00", "5.00", "85.00"},
		{"a cent above the room", "85.01", "100.00", "10.00", "5.00", "85.00"},
		{"negative", "-1.00", "100.00", "10.00", "5.00", "0.00"},
		{"zero", "0", "100.00", "10.00", "5.00", "0.00"},
		{"no room: the discounts already exceed the amount", "3.00", "10.00", "8.00", "5.00", "0.00"},
	}
	d := decimal.RequireFromString
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := delinquency.CapDiscount(d(tt.d), d(tt.amount), d(tt.discount), d(tt.onTime))
			if billing.FormatMoney(got) != tt.want {
				t.Errorf("CapDiscount = %s, want %s", billing.FormatMoney(got), tt.want)
			}
		})
	}
}
