package billing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// RefusedChargeAmount: a payment of a grouped charge is not what the charge asks on the
// payment's date (422, amount): a grouped charge is paid whole, never split partially or with
// a surplus.
const RefusedChargeAmount = "charge_amount_mismatch"

// RefusedChargeSettled: the grouped charge has no open installment left to pay (409).
const RefusedChargeSettled = "charge_settled"

// ChargeMember is one open installment of a grouped charge as a payment of the charge on a
// given date sees it (ChargeMemberOn).
type ChargeMember struct {
	InstallmentID int64
	// Asks is what the installment asks on the payment's date: its balance (AmountDueOn),
	// the fine and interest accrued by then included when it is late.
	Asks decimal.Decimal
	// LateCharges is the part of Asks that is fine and interest; zero when the payment's
	// date is not after the grace day.
	LateCharges decimal.Decimal
}

// ChargeMemberOn returns what installment l asks as a member of a grouped charge paid on
// date on, under the payment rules of a single installment (AmountDueOn over its payments
// not reversed): on or before its grace day, its amount less its discounts and payments;
// after it, its outstanding principal plus the fine and interest accrued by on. A payment of
// exactly that settles it on on with the same fine and interest (LateLines) as a single
// installment paid in full that day. It fails, naming the installment, when AmountDueOn does.
func ChargeMemberOn(l Ledger, cal *Calendar, on time.Time) (ChargeMember, error) {
	due, err := AmountDueOn(l.Receivable, l.Rule, cal, l.Payments, on)
	if err != nil {
		return ChargeMember{}, fmt.Errorf("installment %d: %w", l.InstallmentID, err)
	}
	m := ChargeMember{InstallmentID: l.InstallmentID, Asks: due.Balance}
	if due.Late {
		m.LateCharges = due.Balance.Sub(due.Principal)
	}
	return m, nil
}

// ChargeTotal returns what a grouped charge asks: the sum of its members' asks.
func ChargeTotal(members []ChargeMember) decimal.Decimal {
	total := decimal.Zero
	for _, m := range members {
		total = total.Add(m.Asks)
	}
	return total
}

// SplitChargePayment returns each member's share of a payment of a grouped charge made on
// date on, in member order: exactly what the member asks that day (ChargeMemberOn). Only a
// payment of what the whole charge asks on on is split; a charge without members is refused
// as settled, and a payment of any other amount (partial, above the charge, or the on-time
// amount paid late) is refused naming the amount asked on on and, when late, its fine and
// interest, because nothing says which installment a partial payment would pay or where a
// surplus would go.
func SplitChargePayment(paid decimal.Decimal, on time.Time, members []ChargeMember) ([]decimal.Decimal, error) {
	if len(members) == 0 {
		return nil, refusef(RefusedChargeSettled, "id", "the grouped charge has no open installment")
	}
	total := ChargeTotal(members)
	if !paid.Equal(total) {
		late := decimal.Zero
		for _, m := range members {
			late = late.Add(m.LateCharges)
		}
		if late.IsPositive() {
			return nil, refusef(RefusedChargeAmount, "amount",
				"a grouped charge is paid whole: want %s on %s (%s of principal plus %s of fine and interest accrued after the due date), got %s",
				FormatMoney(total), FormatDate(on), FormatMoney(total.Sub(late)), FormatMoney(late), FormatMoney(paid))
		}
		return nil, refusef(RefusedChargeAmount, "amount", "a grouped charge is paid whole: want %s on %s, got %s",
			FormatMoney(total), FormatDate(on), FormatMoney(paid))
	}
	shares := make([]decimal.Decimal, len(members))
	for i, m := range members {
		shares[i] = m.Asks
	}
	return shares, nil
}
