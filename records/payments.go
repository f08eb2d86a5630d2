package records

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Payment is one payment of an installment, as recorded: append-only but for its reversal.
type Payment struct {
	ID            int64
	InstallmentID int64
	ContractID    int64
	Amount        decimal.Decimal
	// PaidOn is the customer's payment date (a boleto's date paid, a PIX's horário in the
	// business time zone), by which fine and interest are computed.
	PaidOn time.Time
	// Source is billing.SourceAPI, SourceBankFile or SourcePIX; Reference is unique per
	// source ("" for an API payment posted without one).
	Source    string
	Reference string
	// Principal, Fine, Interest and Credit say how the amount was imputed when the payment
	// was recorded (fine and interest first, Código Civil art. 354); they sum to Amount.
	Principal decimal.Decimal
	Fine      decimal.Decimal
	Interest  decimal.Decimal
	Credit    decimal.Decimal
	// RecordedAt is when billingd recorded it.
	RecordedAt time.Time
	// ReversedAt and ReversalReason are set when the payment was reversed (a chargeback, a
	// returned PIX); zero while it stands.
	ReversedAt     time.Time
	ReversalReason string
}

// Reversed reports whether the payment was reversed.
func (p Payment) Reversed() bool { return !p.ReversedAt.IsZero() }

// PaymentFilter selects payments for a list; zero fields do not filter.
type PaymentFilter struct {
	InstallmentID int64
	ContractID    int64
}

// PaymentIn is one payment to record, from any source.
type PaymentIn struct {
	InstallmentID int64
	Amount        decimal.Decimal
	// PaidOn is the customer's payment date: a boleto's date paid, a PIX's horário in the
	// business time zone, the date an API client gives.
	PaidOn time.Time
	// Source is billing.SourceAPI, SourceBankFile or SourcePIX.
	Source string
	// Reference is the payment's name at its source, unique per source and the key that
	// makes recording it idempotent: "cnab:<bank>:<nosso número>:<movement>:<date paid>",
	// "pix:<endToEndId>", "api:<client reference>". Required but for the API, whose payment
	// without a reference is recorded each time it is posted.
	Reference string
}

// PaymentResult is what became of one PaymentIn, in the order given.
type PaymentResult struct {
	// Payment is the payment as recorded; for a duplicate, as recorded before; zero when
	// refused.
	Payment Payment
	// Duplicate says the (source, reference) was already recorded, for the same
	// installment, amount and date: nothing was written.
	Duplicate bool
	// Refused says why the payment was not recorded (a bank file's exception, the API's
	// 404, 409 or 422); nil when it was recorded or is a duplicate.
	Refused *billing.PaymentRefusal
	// Installment is the paid installment's state after the batch (zero when refused for
	// an unknown installment): State, PaidAt and PaidAmount as stored, Paid the sum of its
	// payments not reversed; without its lines.
	Installment Installment
	// Balance is what settles the installment on the payment's date after it: zero when it
	// settled it, what a partial payment left otherwise.
	Balance decimal.Decimal
}

// PaymentFile is a bank return file billingd received (an upload or the drop directory),
// kept once by its content's SHA-256.
type PaymentFile struct {
	ID     int64
	Name   string
	SHA256 string
	Size   int64
	// Origin is "upload" or "drop_dir".
	Origin string
	// Status is "pending" until imported, then "imported".
	Status   string
	BankCode string
	// Settlements is how many payment settlements (movements 06 and 17) the file holds;
	// Recorded how many became payments, Duplicates how many were recorded before (a second
	// import), Exceptions how many went to the reconciliation list.
	Settlements, Recorded, Duplicates, Exceptions int
	ReceivedAt, ImportedAt                        time.Time
}

// PaymentException is one entry of the reconciliation list: a settlement of a return file or
// a PIX notification that recorded no payment, and why.
type PaymentException struct {
	ID int64
	// Source is billing.SourceBankFile (FileID and Line set) or billing.SourcePIX
	// (EndToEndID set).
	Source     string
	FileID     int64
	Line       int
	EndToEndID string
	// Reference is the settlement's nosso número or the PIX txid.
	Reference string
	// InstallmentID is the matched installment; zero when none matched.
	InstallmentID int64
	Amount        decimal.Decimal
	PaidOn        time.Time
	// Reason is a code (ExceptionUnknownReference, or a billing.PaymentRefusal code such
	// as installment_cancelled, installment_paid, above_due); Detail says it in words.
	Reason    string
	Detail    string
	CreatedAt time.Time
}

// Payment file origins, statuses and exception sources (the CHECK constraints of
// payment_files and payment_exceptions list the same).
const (
	PaymentFileUpload   = "upload"
	PaymentFileDropDir  = "drop_dir"
	PaymentFilePending  = "pending"
	PaymentFileImported = "imported"
)

// PaymentFileOrigins are where a payment file comes from.
var PaymentFileOrigins = []string{PaymentFileUpload, PaymentFileDropDir}

// PaymentFileStatuses are a payment file's statuses.
var PaymentFileStatuses = []string{PaymentFilePending, PaymentFileImported}

// PaymentExceptionSources are the sources an exception comes from.
var PaymentExceptionSources = []string{billing.SourceBankFile, billing.SourcePIX}

// ExceptionUnknownReference is the reason of a settlement whose nosso número (or a PIX
// notification whose txid) names no installment.
const ExceptionUnknownReference = "unknown_reference"

// PaymentExceptionFilter selects reconciliation entries: created from (inclusive) and to
// (exclusive of the next day) as dates in the business time zone, and by reason; zero fields
// do not filter.
type PaymentExceptionFilter struct {
	From, To time.Time
	Reason   string
}

// PixNotification is one received PIX of a PSP's webhook (the BCB PIX API's "pix" array):
// its endToEndId, the txid it names, the amount and when it was paid.
type PixNotification struct {
	EndToEndID string
	TxID       string
	Amount     decimal.Decimal
	PaidAt     time.Time
}

// PixOutcome counts what a webhook call did: payments recorded, notifications already
// recorded (by endToEndId), and exceptions listed.
type PixOutcome struct {
	Recorded, Duplicates, Exceptions int
}
