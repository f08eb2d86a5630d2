package notifications

import (
	"time"

	"github.com/shopspring/decimal"
)

// ChargeData is the grouped charge an installment notice's installment is collected by (a
// customer billed grouped: one charge per due date for the installments of all its contracts);
// zero otherwise (test it with {{if .Charge.ID}}).
type ChargeData struct {
	ID      int64
	DueDate string
	// Amount is what the charge asks by its due date: the sum of its installments' amounts.
	Amount       string
	Installments []ChargeInstallmentData
	// DigitableLine (formatted) and PixCopyPaste are the charge's instruments, "" without them.
	DigitableLine string
	PixCopyPaste  string
}

// ChargeInstallmentData is one installment of a grouped charge: its contract and what it asks.
type ChargeInstallmentData struct {
	ContractID int64
	Amount     string
}

// Charge is what NewChargeData formats.
type Charge struct {
	ID            int64
	DueDate       time.Time
	Installments  []ChargeInstallment
	DigitableLine string
	PixCopyPaste  string
}

// ChargeInstallment is one open installment of a grouped charge and what it asks by the due date.
type ChargeInstallment struct {
	ContractID int64
	Asks       decimal.Decimal
}

// NewChargeData formats a grouped charge for a template: dates dd/mm/yyyy, amounts in reais,
// the charge's amount the sum of what its installments ask.
func NewChargeData(c Charge) ChargeData {
	d := ChargeData{ID: c.ID, DueDate: BRDate(c.DueDate), DigitableLine: c.DigitableLine, PixCopyPaste: c.PixCopyPaste}
	total := decimal.Zero
	for _, in := range c.Installments {
		total = total.Add(in.Asks)
		d.Installments = append(d.Installments, ChargeInstallmentData{ContractID: in.ContractID, Amount: BRL(in.Asks)})
	}
	d.Amount = BRL(total)
	return d
}
