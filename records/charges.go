package records

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Charge is a one-off charge of a contract as stored, with the parts that bill it.
type Charge struct {
	ID         int64
	ContractID int64
	billing.OneOffCharge
	// IdempotencyKey is the key the request gave, empty when none.
	IdempotencyKey string
	CreatedAt      time.Time
	Parts          []ChargePart
}

// ChargePart is one 'charge' line of a charge: the installment that bills it, that
// installment's due date, the part's amount and its line's description.
type ChargePart struct {
	InstallmentID int64
	DueDate       time.Time
	Amount        decimal.Decimal
	Description   string
}

// Addon is a contract's recurring add-on as stored.
type Addon struct {
	ID         int64
	ContractID int64
	billing.Addon
	CreatedAt time.Time
}
