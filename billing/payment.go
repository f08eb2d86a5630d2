package billing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Installment states.
const (
	InstallmentOpen      = "open"
	InstallmentPaid      = "paid"
	InstallmentCancelled = "cancelled"
)

// Charge is what one installment asks of the customer: its amount, the discount on every
// payment, the discount for paying by the effective due date, and that date.
type Charge struct {
	Amount         decimal.Decimal
	Discount       decimal.Decimal
	OnTimeDiscount decimal.Decimal
	DueDate        time.Time
}

// DueOn returns what is due when paying on paidAt: the amount less the discount, and less
// the on-time discount when paid on or before the effective due date (99.90 less 5.00 on
// time: 94.90 through the due date, 99.90 from the day after).
func (c Charge) DueOn(paidAt time.Time) decimal.Decimal {
	due := c.Amount.Sub(c.Discount)
	if !paidAt.After(c.DueDate) {
		due = due.Sub(c.OnTimeDiscount)
	}
	return due
}

// DiscountRoom returns how much more discount the charge can take: what is due when paid
// on time, never below zero. A discount added to an installment (the inactivity discount)
// is capped at it, so that what is due never falls below zero.
func (c Charge) DiscountRoom() decimal.Decimal {
	room := c.Amount.Sub(c.Discount).Sub(c.OnTimeDiscount)
	if room.Sign() < 0 {
		return decimal.Zero
	}
	return room
}

// Payable is an installment as the payment rules see it.
type Payable struct {
	ID         int64
	ContractID int64
	State      string
	// PaidAt is the day it was paid; zero unless paid.
	PaidAt time.Time
	Charge
}

// PaymentRefusal returns why the installment cannot take a payment at all, or "" when it
// is open: a paid installment is not paid twice, a cancelled one is owed no more.
func (p Payable) PaymentRefusal() string {
	switch p.State {
	case InstallmentPaid:
		return fmt.Sprintf("installment %d was already paid on %s", p.ID, FormatDate(p.PaidAt))
	case InstallmentCancelled:
		return fmt.Sprintf("installment %d is cancelled and cannot be paid", p.ID)
	}
	return ""
}

// CheckAmount checks a payment of amount on paidAt against what is due that day: less is
// refused; more is refused unless the contract allows credit (allowCredit), in which case
// the payment is kept as it came and the excess is the customer's credit (see Credit).
func (p Payable) CheckAmount(amount decimal.Decimal, paidAt time.Time, allowCredit bool) error {
	due := p.DueOn(paidAt)
	switch {
	case amount.LessThan(due):
		return Fieldf("amount", "%s does not cover the %s due on %s", FormatMoney(amount), FormatMoney(due), FormatDate(paidAt))
	case amount.GreaterThan(due) && !allowCredit:
		return Fieldf("amount", "%s is above the %s due on %s: contract %d does not allow credit (allow_credit)",
			FormatMoney(amount), FormatMoney(due), FormatDate(paidAt), p.ContractID)
	}
	return nil
}

// Credit returns the part of a payment of paid on paidAt above what was due that day: the
// customer's credit, kept on the paid installment (zero when the payment was exact).
func (p Payable) Credit(paid decimal.Decimal, paidAt time.Time) decimal.Decimal {
	excess := paid.Sub(p.DueOn(paidAt))
	if excess.Sign() < 0 {
		return decimal.Zero
	}
	return excess
}

// CheckPaymentAmount checks the amount of a payment as it arrives: more than zero.
func CheckPaymentAmount(amount decimal.Decimal) error {
	if !amount.IsPositive() {
		return Fieldf("amount", "must be more than zero")
	}
	return nil
}

// CheckPaymentDate checks the date of a payment as it arrives: not after today in the
// business time zone (zone names it in the error).
func CheckPaymentDate(paidAt, today time.Time, zone string) error {
	if paidAt.After(today) {
		return Fieldf("paid_at", "%s is in the future (today is %s in %s)", FormatDate(paidAt), FormatDate(today), zone)
	}
	return nil
}
