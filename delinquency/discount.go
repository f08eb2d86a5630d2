package delinquency

import (
	"math/big"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Segment is a stretch of days a contract was blocked: From inclusive, To exclusive (the day
// the block was lifted). A segment blocked and lifted on the same day has no days.
type Segment struct {
	From, To time.Time
}

// Days returns the number of days in the segment.
func (s Segment) Days() int {
	if !s.To.After(s.From) {
		return 0
	}
	return int(s.To.Sub(s.From).Hours() / 24)
}

// BlockedDays returns the number of days in the segments.
func BlockedDays(segs []Segment) int {
	n := 0
	for _, s := range segs {
		n += s.Days()
	}
	return n
}

// InactivityDiscount returns the discount for the days a contract of monthly price price
// was blocked: for each calendar month, price ÷ the days of that month × the blocked days
// that fall in it, summed exactly and rounded half-up to the cent once. It is never below
// zero (a negative price counts as zero).
//
// Blocked 2026-02-20 to 2026-03-02 at 99.90: 99.90 × 9/28 + 99.90 × 1/31 = 35.33.
func InactivityDiscount(price decimal.Decimal, segs []Segment) decimal.Decimal {
	if price.Sign() <= 0 {
		return decimal.Zero
	}
	p := price.Rat()
	sum := new(big.Rat)
	for _, s := range segs {
		for d := s.From; d.Before(s.To); {
			next := billing.EndOfMonth(d).AddDate(0, 0, 1)
			end := next
			if s.To.Before(end) {
				end = s.To
			}
			days := int64(end.Sub(d).Hours() / 24)
			monthDays := int64(billing.EndOfMonth(d).Day())
			sum.Add(sum, new(big.Rat).Mul(p, big.NewRat(days, monthDays)))
			d = end
		}
	}
	// Half-up to the cent: floor((2·100·sum + 1) / 2) on the exact fraction.
	cents := new(big.Rat).Mul(sum, big.NewRat(100, 1))
	num := new(big.Int).Add(new(big.Int).Mul(cents.Num(), big.NewInt(2)), cents.Denom())
	den := new(big.Int).Mul(cents.Denom(), big.NewInt(2))
	return decimal.NewFromBigInt(new(big.Int).Div(num, den), -2)
}

// CapDiscount bounds an inactivity discount so that the installment's amount less all its
// discounts (the regular one, the on-time one and this) never falls below zero.
func CapDiscount(d, amount, discount, onTime decimal.Decimal) decimal.Decimal {
	room := billing.Charge{Amount: amount, Discount: discount, OnTimeDiscount: onTime}.DiscountRoom()
	if d.GreaterThan(room) {
		return room
	}
	if d.Sign() < 0 {
		return decimal.Zero
	}
	return d
}

// TrustUntil returns the last day of a trust unlock of days days granted on on: the day it
// is granted plus days more (granted on the 26th for 3 days: served through the 29th,
// blocked again as of the 30th if still unpaid), so a customer promised N days gets N full
// days after today's. days must be from 1 to maxDays.
func TrustUntil(on time.Time, days, maxDays int) (time.Time, error) {
	if days < 1 || days > maxDays {
		return time.Time{}, billing.Fieldf("days", "must be from 1 to %d (BILLINGD_TRUST_UNLOCK_MAX_DAYS), got %d", maxDays, days)
	}
	return on.AddDate(0, 0, days), nil
}
