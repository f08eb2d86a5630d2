package billing

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Installment states.
const (
	InstallmentOpen      = "open"
	InstallmentPaid      = "paid"
	InstallmentCancelled = "cancelled"
)

// Payment sources: where a payment comes from. Each source names its payments by its own
// reference, unique per source (the payments' idempotency key).
const (
	// SourceAPI is a payment posted to POST /v1/installments/{id}/payments; its reference
	// is the client's ("api:<reference>"), optional.
	SourceAPI = "api"
	// SourceBankFile is a settlement of a bank return file (CNAB 240):
	// "cnab:<bank>:<nosso número>:<movement>:<date paid>".
	SourceBankFile = "bank_file"
	// SourcePIX is a PIX notification: "pix:<endToEndId>".
	SourcePIX = "pix"
)

// PaymentSources are the payment sources, in the order documents list them.
var PaymentSources = []string{SourceAPI, SourceBankFile, SourcePIX}

// Charge is what one installment asks of the customer: its amount, the discount on every
// payment, the discount for paying by the effective due date, and that date.
type Charge struct {
	Amount         decimal.Decimal
	Discount       decimal.Decimal
	OnTimeDiscount decimal.Decimal
	DueDate        time.Time
}

// DiscountRoom returns how much more discount the charge can take: what is due when paid
// on time, never below zero. A discount added to an installment (the inactivity discount)
// is capped at it, so that what is due never falls below zero.
func (c Charge) DiscountRoom() decimal.Decimal {
	room := c.Amount.Sub(c.Discount).Sub(c.OnTimeDiscount)
	if room.Sign() < 0 {
		return decimal.Zero
	}
	return room
}

// Why a payment is refused (PaymentRefusal.Code), for the callers that keep refusals (a
// bank file's exceptions) and the API, which answers them.
const (
	// RefusedUnknownInstallment: no installment has the payment's id (404).
	RefusedUnknownInstallment = "unknown_installment"
	// RefusedInstallmentPaid: the installment is already paid (409).
	RefusedInstallmentPaid = "installment_paid"
	// RefusedInstallmentCancelled: the installment is cancelled: nothing is owed (409).
	RefusedInstallmentCancelled = "installment_cancelled"
	// RefusedReferenceReused: the source's reference names another payment (409).
	RefusedReferenceReused = "reference_reused"
	// RefusedAmountNotPositive: the amount is zero or negative (422, amount).
	RefusedAmountNotPositive = "amount_not_positive"
	// RefusedFutureDate: the payment date is after today in the business time zone (422, paid_at).
	RefusedFutureDate = "future_date"
	// RefusedOutOfOrder: the payment date is before the installment's latest payment
	// (422, paid_at): an installment's payments are recorded in date order.
	RefusedOutOfOrder = "out_of_order"
	// RefusedPartial: the amount does not cover what is due on its date and partial
	// payments are refused (BILLINGD_PARTIAL_PAYMENTS=false; 422, amount).
	RefusedPartial = "partial_refused"
	// RefusedAboveDue: the amount is above what is due on its date and the contract does
	// not allow credit (422, amount).
	RefusedAboveDue = "above_due"
)

// PaymentRefusal is why a payment was not recorded: a code (Refused*), the field of the
// payment at fault ("id", "amount", "paid_at", "reference") and the reason in words. It
// unwraps to ErrNotFound (unknown installment), ErrConflict (paid or cancelled installment,
// reused reference) or a *FieldError on the field, so the API answers it with 404, 409 or
// 422 through its one error adapter.
type PaymentRefusal struct {
	Code   string
	Field  string
	Reason string
}

func (r *PaymentRefusal) Error() string {
	switch r.Code {
	case RefusedUnknownInstallment:
		return ErrNotFound.Error() + ": " + r.Reason
	case RefusedInstallmentPaid, RefusedInstallmentCancelled, RefusedReferenceReused, RefusedChargeSettled:
		return ErrConflict.Error() + ": " + r.Reason
	}
	return r.Field + ": " + r.Reason
}

// Unwrap returns ErrNotFound, ErrConflict or the *FieldError the refusal stands for.
func (r *PaymentRefusal) Unwrap() error {
	switch r.Code {
	case RefusedUnknownInstallment:
		return ErrNotFound
	case RefusedInstallmentPaid, RefusedInstallmentCancelled, RefusedReferenceReused, RefusedChargeSettled:
		return ErrConflict
	}
	return &FieldError{Field: r.Field, Reason: r.Reason}
}

func refusef(code, field, format string, args ...any) *PaymentRefusal {
	return &PaymentRefusal{Code: code, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// UnknownInstallment is the refusal of a payment of an installment that does not exist.
func UnknownInstallment(id int64) *PaymentRefusal {
	return refusef(RefusedUnknownInstallment, "id", "installment %d", id)
}

// PaymentPolicy is what the payment rules need besides the installment: today in the
// business time zone (Zone names it in messages), whether the contract allows credit and
// whether partial payments are refused (BILLINGD_PARTIAL_PAYMENTS=false).
type PaymentPolicy struct {
	Today         time.Time
	Zone          string
	AllowCredit   bool
	RefusePartial bool
}

// Ledger is one installment as the payment rules see it: its state, what it asks
// (Receivable: its amount without late lines, its discount, on-time discount and effective
// due date), the late rule of its contract and its payments not reversed, in date order.
type Ledger struct {
	InstallmentID int64
	ContractID    int64
	State         string
	// PaidAt is the settlement date of a paid installment.
	PaidAt     time.Time
	Receivable Receivable
	Rule       LateRule
	Payments   []PaymentOn
}

// AppliedPayment is a payment the rules accepted: how it was imputed, what was due on its
// date before it, and the installment's state on that date with it (After.SettledOn is
// its date when it settled the installment).
type AppliedPayment struct {
	Imputation Imputation
	Before     AmountDue
	After      AmountDue
}

// Settled reports whether the payment settled the installment.
func (a AppliedPayment) Settled() bool { return !a.After.SettledOn.IsZero() }

// Apply checks payment p of the installment against the rules and returns how it applies
// (Código Civil art. 354 through AmountDueOn: the fine and interest accrued on its date
// first, then principal), or the *PaymentRefusal that says why not, in this order: the
// amount is not positive; its date is after today; the installment is paid or cancelled;
// its date is before the installment's latest payment (payments are recorded in date order,
// so a recorded payment's imputation never changes when a later one arrives); it does not
// cover what is due on its date and partial payments are refused; it is above what is due
// and the contract does not allow credit. A payment below what is due is partial: the
// installment stays open with its balance.
func (l Ledger) Apply(p PaymentOn, pol PaymentPolicy, cal *Calendar) (AppliedPayment, error) {
	switch {
	case !p.Amount.IsPositive():
		return AppliedPayment{}, refusef(RefusedAmountNotPositive, "amount", "must be more than zero, got %s", p.Amount.String())
	case p.On.After(pol.Today):
		return AppliedPayment{}, refusef(RefusedFutureDate, "paid_at", "%s is in the future (today is %s in %s)",
			FormatDate(p.On), FormatDate(pol.Today), pol.Zone)
	case l.State == InstallmentPaid:
		return AppliedPayment{}, refusef(RefusedInstallmentPaid, "id", "installment %d was already paid on %s",
			l.InstallmentID, FormatDate(l.PaidAt))
	case l.State == InstallmentCancelled:
		return AppliedPayment{}, refusef(RefusedInstallmentCancelled, "id", "installment %d is cancelled and cannot be paid", l.InstallmentID)
	}
	if n := len(l.Payments); n > 0 && p.On.Before(l.Payments[n-1].On) {
		return AppliedPayment{}, refusef(RefusedOutOfOrder, "paid_at",
			"%s is before %s, the date of installment %d's latest payment: an installment's payments are recorded in date order",
			FormatDate(p.On), FormatDate(l.Payments[n-1].On), l.InstallmentID)
	}
	before, err := AmountDueOn(l.Receivable, l.Rule, cal, l.Payments, p.On)
	if err != nil {
		return AppliedPayment{}, fmt.Errorf("installment %d: %w", l.InstallmentID, err)
	}
	switch {
	case p.Amount.LessThan(before.Balance) && pol.RefusePartial:
		return AppliedPayment{}, refusef(RefusedPartial, "amount",
			"%s does not cover the %s due on %s (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)",
			FormatMoney(p.Amount), FormatMoney(before.Balance), FormatDate(p.On))
	case p.Amount.GreaterThan(before.Balance) && !pol.AllowCredit:
		return AppliedPayment{}, refusef(RefusedAboveDue, "amount", "%s is above the %s due on %s: contract %d does not allow credit (allow_credit)",
			FormatMoney(p.Amount), FormatMoney(before.Balance), FormatDate(p.On), l.ContractID)
	}
	payments := append(append(make([]PaymentOn, 0, len(l.Payments)+1), l.Payments...), p)
	after, err := AmountDueOn(l.Receivable, l.Rule, cal, payments, p.On)
	if err != nil {
		return AppliedPayment{}, fmt.Errorf("installment %d: %w", l.InstallmentID, err)
	}
	if len(after.Imputations) != len(payments) {
		return AppliedPayment{}, errors.New("amount due: a payment dated on or before its date was left out") // unreachable
	}
	return AppliedPayment{Imputation: after.Imputations[len(payments)-1], Before: before, After: after}, nil
}

// Add returns the ledger with an applied payment: its payments grow by p and, when p
// settled it, the installment is paid on p's date.
func (l Ledger) Add(p PaymentOn, a AppliedPayment) Ledger {
	l.Payments = append(append(make([]PaymentOn, 0, len(l.Payments)+1), l.Payments...), p)
	if a.Settled() {
		l.State, l.PaidAt = InstallmentPaid, a.After.SettledOn
	}
	return l
}

// Restate recomputes an installment's state from its payments not reversed (after a
// reversal), as of today: paid on the date of the payment that covers what was due on its
// date, or open with its balance; a cancelled installment stays cancelled. The AmountDue
// says which payment settled it (SettledBy), and the fine and interest charged up to the
// settlement.
func (l Ledger) Restate(today time.Time, cal *Calendar) (state string, due AmountDue, err error) {
	on := today
	if n := len(l.Payments); n > 0 && l.Payments[n-1].On.After(on) {
		on = l.Payments[n-1].On
	}
	due, err = AmountDueOn(l.Receivable, l.Rule, cal, l.Payments, on)
	if err != nil {
		return "", AmountDue{}, fmt.Errorf("installment %d: %w", l.InstallmentID, err)
	}
	switch {
	case l.State == InstallmentCancelled:
		return InstallmentCancelled, due, nil
	case !due.SettledOn.IsZero():
		return InstallmentPaid, due, nil
	}
	return InstallmentOpen, due, nil
}

// LateLines returns the late_fine and late_interest lines an installment settled late
// carries (zero amounts left out), written when the payment that settles it is recorded
// and keyed by that payment ("late_fine:<payment id>", "late_interest:<payment id>"): the
// fine, and the interest for due.DaysLate days, charged up to the settlement. An open
// installment, or one settled on time, has none: its amount stays what it asks on time,
// and what it asks late is AmountDueOn's.
func LateLines(due AmountDue, rule LateRule, paymentID int64) []Line {
	if due.SettledOn.IsZero() || !due.Late {
		return nil
	}
	var out []Line
	if due.Fine.IsPositive() {
		out = append(out, Line{Kind: LineLateFine, Quantity: decimal.NewFromInt(1), Amount: due.Fine,
			SourceKey: fmt.Sprintf("%s:%d", LineLateFine, paymentID),
			Description: fmt.Sprintf("late fine of %s%% (settled %s, late after %s)", rule.FinePercent.StringFixed(2),
				FormatDate(due.SettledOn), FormatDate(due.GraceDay))})
	}
	if due.Interest.IsPositive() {
		out = append(out, Line{Kind: LineLateInterest, Quantity: decimal.NewFromInt(int64(due.DaysLate)), Amount: due.Interest,
			SourceKey: fmt.Sprintf("%s:%d", LineLateInterest, paymentID),
			Description: fmt.Sprintf("interest of %s%% a month pro rata die for %d days on the principal outstanding (settled %s)",
				rule.MonthlyInterestPercent.StringFixed(2), due.DaysLate, FormatDate(due.SettledOn))})
	}
	return out
}

// CheckPaymentAmount checks the amount of a payment as it arrives: more than zero.
func CheckPaymentAmount(amount decimal.Decimal) error {
	if !amount.IsPositive() {
		return Fieldf("amount", "must be more than zero")
	}
	return nil
}

// CheckPaymentDate checks the date of a payment as it arrives: not after today in the
// business time zone (zone names it in the error).
func CheckPaymentDate(paidAt, today time.Time, zone string) error {
	if paidAt.After(today) {
		return Fieldf("paid_at", "%s is in the future (today is %s in %s)", FormatDate(paidAt), FormatDate(today), zone)
	}
	return nil
}
