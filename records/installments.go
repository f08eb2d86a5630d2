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
	// Lines are what the installment is the sum of (Amount is the sum of the positive
	// lines, Discount minus the sum of the negative ones), in the order they were written;
	// nil when the read did not ask for them.
	Lines []billing.Line
}

// Installment states (billing's).
const (
	InstallmentOpen      = billing.InstallmentOpen
	InstallmentPaid      = billing.InstallmentPaid
	InstallmentCancelled = billing.InstallmentCancelled
)

// InstallmentStates are the states of an installment.
var InstallmentStates = []string{InstallmentOpen, InstallmentPaid, InstallmentCancelled}

// Payable returns the installment as the payment rules (billing.Payable) see it.
func (i Installment) Payable() billing.Payable {
	return billing.Payable{ID: i.ID, ContractID: i.ContractID, State: i.State, PaidAt: i.PaidAt,
		Charge: billing.Charge{Amount: i.Amount, Discount: i.Discount, OnTimeDiscount: i.OnTimeDiscount, DueDate: i.DueDate}}
}

// Credit returns the part of the installment's payment above what was due on its paid_at:
// the customer's credit (zero when unpaid or paid exactly).
func (i Installment) Credit() decimal.Decimal {
	if i.State != InstallmentPaid || i.PaidAmount == nil {
		return decimal.Zero
	}
	return i.Payable().Credit(*i.PaidAmount, i.PaidAt)
}

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
