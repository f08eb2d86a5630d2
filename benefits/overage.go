package benefits

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Overage ("beneficiário paga excedente", seed 001): a plan may let a benefit be used beyond
// its period's quota at a unit price. The uses beyond the quota are accepted, not refused,
// and billed as an overage line on the contract's next open installment.

// ValidateOveragePrice checks the price of one use beyond the quota a plan grants (nil: uses
// beyond the quota are refused). It must be positive and in cents, and a package has none:
// its quota renews with the next cycle, which the use that exhausts it opens.
func ValidateOveragePrice(perCycle bool, price *decimal.Decimal) error {
	switch {
	case price == nil:
		return nil
	case perCycle:
		return billing.Fieldf("overage_unit_price", "a package opens its next cycle when its uses run out; omit overage_unit_price")
	case !price.IsPositive():
		return billing.Fieldf("overage_unit_price", "must be more than zero, got %s", price.String())
	case !price.Equal(price.Round(2)):
		return billing.Fieldf("overage_unit_price", "must be in cents, got %s", price.String())
	}
	return nil
}

// SplitUse decides how a use of quantity counts against a balance that grants granted uses
// of which used are counted: inQuota uses count against the quota and overage uses go
// beyond it. Without an overage price (nil) a use the quota cannot hold is refused whole
// (CheckQuota); with one, the quota takes what it has left and the rest is overage.
func SplitUse(granted, used, quantity int, overagePrice *decimal.Decimal, periodEnd time.Time) (inQuota, overage int, refusal *Refusal) {
	if used+quantity <= granted {
		return quantity, 0, nil
	}
	if overagePrice == nil {
		return 0, 0, CheckQuota(granted, used, quantity, periodEnd)
	}
	left := max(granted-used, 0)
	return left, quantity - left, nil
}

// OverageSourceKey is the source key of the overage line of the use usageID: one line per
// use, so billing it again writes nothing.
func OverageSourceKey(usageID int64) string { return "overage:" + strconv.FormatInt(usageID, 10) }

// OverageLine returns the line that bills the overage units of the use usageID of benefit
// name on usedOn, at price each: "overage: Reboque (km), 20 beyond the quota, used on
// 2026-08-12", quantity 20 at 3.50, amount 70.00.
func OverageLine(usageID int64, name string, units int, price decimal.Decimal, usedOn time.Time) billing.Line {
	p := price
	return billing.Line{Kind: billing.LineOverage, SourceKey: OverageSourceKey(usageID),
		Description: fmt.Sprintf("overage: %s, %d beyond the quota, used on %s", name, units, billing.FormatDate(usedOn)),
		Quantity:    decimal.NewFromInt(int64(units)), UnitPrice: &p,
		Amount: billing.RoundCents(price.Mul(decimal.NewFromInt(int64(units))))}
}
