package records

import (
	"time"

	"github.com/shopspring/decimal"
)

// GroupedCharge is one grouped charge: a customer's installments falling due on one day,
// collected with one boleto and PIX payload.
type GroupedCharge struct {
	ID         int64
	CustomerID int64
	DueDate    time.Time
	// Amount is what the charge asks by its due date: the sum of what its open installments ask.
	Amount decimal.Decimal
	// State is open while an installment of the charge is open, then paid.
	State        string
	Installments []GroupedChargeInstallment
	// Instruments are the charge's boleto and PIX, nil when it has none (no settings).
	Instruments *Instruments
}

// GroupedChargeInstallment is one installment of a grouped charge.
type GroupedChargeInstallment struct {
	InstallmentID int64
	ContractID    int64
	State         string
	// Asks is what the installment asks by its due date (amount − discount − on-time discount).
	Asks decimal.Decimal
}

// GroupedChargeStates are the states of a grouped charge: open while one of its installments
// is open, then paid.
var GroupedChargeStates = []string{InstallmentOpen, InstallmentPaid}
