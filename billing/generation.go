package billing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Contract statuses.
const (
	StatusPendingActivation = "pending_activation"
	StatusActive            = "active"
	// StatusSuspendedPartial: the collection ladder reduced the service (a partial
	// suspension, which the network reads as reduced service); blocked is no service.
	StatusSuspendedPartial = "suspended_partial"
	StatusBlocked          = "blocked"
	StatusCancelled        = "cancelled"
	StatusFinished         = "finished"
)

// Billing methods.
const (
	BillPerInstallment = "per_installment"
	BillGrouped        = "grouped"
	BillNone           = "no_billing"
)

// GenerationState is what installment generation needs to know about a contract.
type GenerationState struct {
	Status         string
	BillingMethod  string
	Price          decimal.Decimal
	Discount       decimal.Decimal
	AdhesionDate   time.Time
	ActivationDate time.Time // zero while pending activation
	// ServiceAnchor is the day service periods count from: the activation date (zero) unless
	// a due-day change or a pause moved it.
	ServiceAnchor        time.Time
	Rule                 DueDateRule
	Period               Period
	PerTerm              int
	AdhesionFee          decimal.Decimal
	AdhesionInstallments int
	GenerateNow          bool
	TermNumber           int
	AdhesionGenerated    bool
	GeneratedTerm        int
}

// Generation is what generating a contract's installments as of a date produced.
type Generation struct {
	// Installments are the installments that should exist and may not yet.
	Installments []ScheduledInstallment
	// AdhesionGenerated and GeneratedTerm are the contract's progress afterwards.
	AdhesionGenerated bool
	GeneratedTerm     int
	// TermEnd is the last service day of the latest generated term, zero if none.
	TermEnd time.Time
	// NextDue is the next date on which generation has work for the contract, zero if none.
	NextDue time.Time
}

// Generate returns the installments a contract should have as of asOf and its progress.
//
// Adhesion installments exist from the adhesion date once the contract is active, or at
// once when it is created with generate-now; a term's recurring installments exist once
// the contract is active on or before asOf; contracts without billing, cancelled or
// finished get nothing. Only what is missing by the progress markers is returned, and the
// store's unique keys make returning an existing installment harmless.
func Generate(c GenerationState, asOf time.Time, cal *Calendar) (Generation, error) {
	g := Generation{AdhesionGenerated: c.AdhesionGenerated, GeneratedTerm: c.GeneratedTerm}
	if c.BillingMethod == BillNone || c.Status == StatusCancelled || c.Status == StatusFinished {
		return g, nil
	}
	active := (c.Status == StatusActive || c.Status == StatusSuspendedPartial || c.Status == StatusBlocked) && !c.ActivationDate.IsZero()
	wantsAdhesion := !c.AdhesionGenerated && c.AdhesionInstallments > 0 && c.AdhesionFee.IsPositive()
	if wantsAdhesion && (active || c.GenerateNow) {
		if asOf.Before(c.AdhesionDate) {
			g.NextDue = c.AdhesionDate
		} else {
			adhesion, err := AdhesionInstallments(c.AdhesionFee, c.AdhesionInstallments, c.AdhesionDate, c.Rule.EffectiveShift(), cal)
			if err != nil {
				return Generation{}, err
			}
			g.Installments = append(g.Installments, adhesion...)
			g.AdhesionGenerated = true
		}
	}
	if active && c.GeneratedTerm < c.TermNumber {
		if asOf.Before(c.ActivationDate) {
			if g.NextDue.IsZero() || c.ActivationDate.Before(g.NextDue) {
				g.NextDue = c.ActivationDate
			}
			return g, nil
		}
		start := c.ActivationDate
		if !c.ServiceAnchor.IsZero() {
			start = c.ServiceAnchor
		}
		spec := RecurringSpec{
			Rule: c.Rule, Period: c.Period, Start: start, PerTerm: c.PerTerm,
			Price: c.Price, Discount: c.Discount,
		}
		for term := c.GeneratedTerm + 1; term <= c.TermNumber; term++ {
			items := RecurringTerm(spec, term, cal)
			if len(items) == 0 {
				return Generation{}, fmt.Errorf("no installments for term %d: check the plan's period and the due-date rule", term)
			}
			g.Installments = append(g.Installments, items...)
			g.TermEnd = items[len(items)-1].ServiceEnd
		}
		g.GeneratedTerm = c.TermNumber
	}
	return g, nil
}

// Why a contract ended (its end_reason).
const (
	// EndCancelled: the operator cancelled it.
	EndCancelled = "cancelled"
	// EndTerminated: the collection ladder terminated it for non-payment; what it owes
	// stays owed.
	EndTerminated = "terminated"
)

// FirstInstallment is the recurring installment a contract activated on its first payment
// issues at once when it has no adhesion fee: the first of its first term, its service
// period and due date computed as if it were activated on its adhesion date (under the
// prepaid rule, due on that day). ok is false when the contract pays an adhesion fee (its
// first adhesion installment is the one it waits for) or has no billing.
func FirstInstallment(c GenerationState, cal *Calendar) (it ScheduledInstallment, ok bool) {
	if c.BillingMethod == BillNone || (c.AdhesionInstallments > 0 && c.AdhesionFee.IsPositive()) {
		return ScheduledInstallment{}, false
	}
	items := RecurringTerm(RecurringSpec{Rule: c.Rule, Period: c.Period, Start: c.AdhesionDate, PerTerm: c.PerTerm,
		Price: c.Price, Discount: c.Discount}, 1, cal)
	if len(items) == 0 {
		return ScheduledInstallment{}, false
	}
	return items[0], true
}

// ActivatedFirstPeriod is the service period of a contract's first recurring installment
// once the contract is activated on activation (the day its first payment was made): the
// first installment's period of the schedule that starts that day, from which generation
// computes the later ones.
func ActivatedFirstPeriod(c GenerationState, activation time.Time) (start, end time.Time, ok bool) {
	items := RecurringTerm(RecurringSpec{Rule: c.Rule, Period: c.Period, Start: activation, PerTerm: c.PerTerm,
		Price: c.Price, Discount: c.Discount}, 1, nil)
	if len(items) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return items[0].ServiceStart, items[0].ServiceEnd, true
}
