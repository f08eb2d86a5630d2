package records

import (
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// Installment is one stored amount a customer owes.
type Installment struct {
	ID             int64
	ContractID     int64
	Kind           billing.InstallmentKind
	Term           int
	Sequence       int
	ServiceStart   time.Time
	ServiceEnd     time.Time
	NominalDue     time.Time
	DueDate        time.Time
	Amount         decimal.Decimal
	Discount       decimal.Decimal
	OnTimeDiscount decimal.Decimal
	State          string
	PaidAt         time.Time
	PaidAmount     *decimal.Decimal
	// Paid is what its payments not reversed add up to (partial payments included), and
	// Credit what they paid beyond what settled it (allow_credit).
	Paid   decimal.Decimal
	Credit decimal.Decimal
	// Lines are what the installment is the sum of (Amount is the sum of the positive
	// lines, Discount minus the sum of the negative ones), in the order they were written;
	// nil when the read did not ask for them.
	Lines []billing.Line
	// Instruments are the installment's boleto and PIX, nil when it has none (no settings,
	// nothing to pay) or the read did not ask for them.
	Instruments *Instruments
}

// Installment states (billing's).
const (
	InstallmentOpen      = billing.InstallmentOpen
	InstallmentPaid      = billing.InstallmentPaid
	InstallmentCancelled = billing.InstallmentCancelled
)

// InstallmentStates are the states of an installment.
var InstallmentStates = []string{InstallmentOpen, InstallmentPaid, InstallmentCancelled}

// InstallmentFilter selects installments for a list; zero fields do not filter.
type InstallmentFilter struct {
	ContractID int64
	State      string
	DueFrom    time.Time
	DueTo      time.Time
}

// ContractFilter selects contracts for a list.
type ContractFilter struct {
	CustomerID int64
	Status     string
}
