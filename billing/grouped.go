package billing

import "github.com/shopspring/decimal"

// RefusedChargeAmount: a payment of a grouped charge is not the charge's amount (422, amount):
// a grouped charge is paid whole, never split partially or with a surplus.
const RefusedChargeAmount = "charge_amount_mismatch"

// RefusedChargeSettled: the grouped charge has no open installment left to pay (409).
const RefusedChargeSettled = "charge_settled"

// ChargeMember is one open installment of a grouped charge as its payment sees it: the
// installment and what it asks on or before the charge's due date.
type ChargeMember struct {
	InstallmentID int64
	Asks          decimal.Decimal
}

// ChargeTotal returns what a grouped charge asks: the sum of its members' asks.
func ChargeTotal(members []ChargeMember) decimal.Decimal {
	total := decimal.Zero
	for _, m := range members {
		total = total.Add(m.Asks)
	}
	return total
}

// SplitChargePayment returns each member's share of a payment of a grouped charge, in
// member order: exactly what the member asks. Only a payment of the charge's whole amount
// is split; a charge without members is refused as settled, and a payment of any other
// amount (partial, or above the charge) is refused, because nothing says which installment
// a partial payment would pay or where a surplus would go.
func SplitChargePayment(paid decimal.Decimal, members []ChargeMember) ([]decimal.Decimal, error) {
	if len(members) == 0 {
		return nil, refusef(RefusedChargeSettled, "id", "the grouped charge has no open installment")
	}
	total := ChargeTotal(members)
	if !paid.Equal(total) {
		return nil, refusef(RefusedChargeAmount, "amount", "a grouped charge is paid whole: want %s, got %s",
			total.StringFixed(2), paid.StringFixed(2))
	}
	shares := make([]decimal.Decimal, len(members))
	for i, m := range members {
		shares[i] = m.Asks
	}
	return shares, nil
}
