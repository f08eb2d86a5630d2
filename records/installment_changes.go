package records

import (
	"time"

	"github.com/shopspring/decimal"
)

// Kinds of an operator's change of one installment (installment_changes.kind).
const (
	// InstallmentRedated: its due date moved (PATCH /v1/installments/{id} with due_date).
	InstallmentRedated = "redate"
	// InstallmentRepriced: what it asks changed (PATCH with amount), through an adjustment line.
	InstallmentRepriced = "amount"
	// InstallmentCancelledByOperator: it was cancelled (POST /v1/installments/{id}/cancel).
	InstallmentCancelledByOperator = "cancel"
)

// InstallmentChangeKinds are the kinds of an installment change, as stored.
var InstallmentChangeKinds = []string{InstallmentRedated, InstallmentRepriced, InstallmentCancelledByOperator}

// InstallmentPatch is an operator's change of one open installment: a new nominal due date
// (shifted over the banking calendar by the contract's shift, as generation does), a new
// total (what the installment asks: amount less discount), or both, and why.
type InstallmentPatch struct {
	// DueDate is the new nominal due date; zero keeps it.
	DueDate time.Time
	// Total is the new total; nil keeps it.
	Total *decimal.Decimal
	// Reason says why, in the operator's words (required).
	Reason string
	// Today is the business date of the change: a new due date before it is refused.
	Today time.Time
}

// InstallmentChange is one recorded change of an installment, with who made it and why.
type InstallmentChange struct {
	ID            int64
	InstallmentID int64
	ContractID    int64
	Kind          string
	// OldDueDate and NewDueDate are the effective due dates before and after a re-dating.
	OldDueDate, NewDueDate time.Time
	// OldTotal and NewTotal are what the installment asked before and after a change of amount.
	OldTotal, NewTotal *decimal.Decimal
	Reason             string
	// Actor is the operator (the audit log's actor) who made the change.
	Actor     string
	CreatedAt time.Time
}
