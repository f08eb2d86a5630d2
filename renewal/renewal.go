// Package renewal holds the renewal rules of the ISP ERPs billingd's users come from (seed
// 002): a contract's term is renewed by counting the open installments left in it. At or
// below the queue threshold the contract enters the renewal queue; at or below the renewal
// threshold the next term is created at the renewal price. The package is pure: no I/O, no
// clock.
//
// Its rules are chains of if statements rather than tagless switches on purpose: Go's
// coverage profile gives a switch's case conditions no counter, so gremlins (make
// mutation) reports every mutant in them NOT COVERED and never tests it
// (go-gremlins/gremlins#298).
package renewal

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Thresholds are the counts of open installments of a term at or below which a contract
// enters the renewal queue (Queue) and is renewed (Renewal). The global ones are settings
// (BILLINGD_RENEWAL_QUEUE_THRESHOLD and BILLINGD_RENEWAL_THRESHOLD, defaults 3 and 2, in
// cmd/billingd's settings table); a plan may override both.
type Thresholds struct {
	Queue   int
	Renewal int
}

// Field names of the thresholds in the API and in errors.
const (
	FieldQueue   = "renewal_queue_threshold"
	FieldRenewal = "renewal_threshold"
)

// Validate checks that both thresholds are at least 0 and that the renewal threshold is at
// most the queue threshold.
func (t Thresholds) Validate() error {
	if t.Queue < 0 {
		return billing.Fieldf(FieldQueue, "must be 0 or more, got %d", t.Queue)
	}
	if t.Renewal < 0 {
		return billing.Fieldf(FieldRenewal, "must be 0 or more, got %d", t.Renewal)
	}
	if t.Renewal > t.Queue {
		return billing.Fieldf(FieldRenewal, "%d is above the queue threshold %d: a contract is queued before it is renewed", t.Renewal, t.Queue)
	}
	return nil
}

// ValidateFor checks the thresholds of a plan whose terms hold perTerm installments: besides
// Validate, the queue threshold must be below perTerm, or a fresh term would be due at once.
func (t Thresholds) ValidateFor(perTerm int) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.Queue >= perTerm {
		return billing.Fieldf(FieldQueue, "must be below the plan's %d installments per term, got %d", perTerm, t.Queue)
	}
	return nil
}

// For returns the thresholds that apply to terms of perTerm installments: the global
// defaults are lowered to perTerm-1 for plans with short terms, so that a term just created
// is never due for renewal (a 1-installment term renews once its installment is paid).
func (t Thresholds) For(perTerm int) Thresholds {
	limit := max(perTerm-1, 0)
	return Thresholds{Queue: min(t.Queue, limit), Renewal: min(t.Renewal, limit)}
}

// Step is what a term's open installments call for.
type Step int

// The steps, in order.
const (
	// Nothing: more installments are open than the queue threshold.
	Nothing Step = iota
	// Queue: the contract enters the renewal queue.
	Queue
	// Renew: the next term is created.
	Renew
)

// Decide returns the step due for a term with open open installments.
func Decide(open int, t Thresholds) Step {
	if open <= t.Renewal {
		return Renew
	}
	if open <= t.Queue {
		return Queue
	}
	return Nothing
}

// Contract is what the renewal rules need to know about a contract.
type Contract struct {
	Status            string
	BillingMethod     string
	AutoRenew         bool
	IgnoreAutoRenewal bool
	TermNumber        int
	GeneratedTerm     int
	// RenewedIntoCurrent says that the current term was created by a renewal.
	RenewedIntoCurrent bool
	// QueuedForCurrent says that the current term is in the renewal queue.
	QueuedForCurrent bool
	// Package says that the contract's plan is a package (issue 19 item 2): its charges come
	// from its cycles, opened by use or by date, never from a renewal by the calendar.
	Package bool
}

// renewable returns why the contract cannot be renewed at all, or "".
func (c Contract) renewable() string {
	if c.Status == billing.StatusCancelled || c.Status == billing.StatusFinished {
		return "it is " + c.Status
	}
	if c.Status == billing.StatusPendingActivation {
		return "it is pending activation: its first term has not started"
	}
	if c.BillingMethod == billing.BillNone {
		return "it has no billing (no_billing): it has no installments to renew"
	}
	if c.Package {
		return "it is a package contract: a new cycle's charge comes when the cycle's services are used up (or on its date), not from a renewal"
	}
	if c.GeneratedTerm < c.TermNumber {
		return fmt.Sprintf("the installments of its term %d are not generated yet", c.TermNumber)
	}
	return ""
}

// Automatic reports whether the renew-contracts sweep looks after the contract: active or
// blocked, not a package's, automatic renewal on and not ignored, its current term generated.
func (c Contract) Automatic() bool {
	return c.renewable() == "" && c.AutoRenew && !c.IgnoreAutoRenewal
}

// ManualRefusal returns why an operator's renewal of the contract is refused, or "" when it
// may go ahead. Beyond what makes a contract not renewable at all, a contract is already
// renewed for its term when its current term was itself created by a renewal and has not
// yet entered the renewal queue: renewing again would bill a third term ahead. Manual renewal
// ignores the thresholds, auto_renew and ignore_auto_renewal.
func (c Contract) ManualRefusal() string {
	if why := c.renewable(); why != "" {
		return why
	}
	if c.RenewedIntoCurrent && !c.QueuedForCurrent {
		return fmt.Sprintf("it was already renewed for its term: term %d was created by a renewal and has not entered the renewal queue yet", c.TermNumber)
	}
	return ""
}

// Price returns the price of the renewed term: the plan's current price, or the suggested
// value recorded on the contract, per the contract's mode. The price must cover the
// contract's discounts.
func Price(mode string, planPrice decimal.Decimal, suggested *decimal.Decimal, discount, onTimeDiscount decimal.Decimal) (decimal.Decimal, error) {
	var p decimal.Decimal
	switch mode {
	case billing.RenewAtPlanPrice:
		p = planPrice
	case billing.RenewAtSuggested:
		if suggested == nil {
			return decimal.Zero, billing.Fieldf("suggested_price", "required when renewal_price_mode is suggested")
		}
		p = *suggested
	default:
		return decimal.Zero, billing.Fieldf("renewal_price_mode", "want plan_price or suggested, got %q", mode)
	}
	if discount.Add(onTimeDiscount).GreaterThan(p) {
		return decimal.Zero, billing.Fieldf("price", "renewal price %s does not cover the discounts %s + %s", billing.FormatMoney(p),
			billing.FormatMoney(discount), billing.FormatMoney(onTimeDiscount))
	}
	return p, nil
}

// NextTerm returns the installments of the term after current, continuing the contract's
// due-date rule and sequence (with 12 per term, term 2 holds sequences 13..24), at
// spec.Price, and the last service day of that term.
func NextTerm(spec billing.RecurringSpec, current int, cal *billing.Calendar) ([]billing.ScheduledInstallment, time.Time, error) {
	items := billing.RecurringTerm(spec, current+1, cal)
	if len(items) == 0 {
		return nil, time.Time{}, fmt.Errorf("no installments for term %d: check the plan's period and the due-date rule", current+1)
	}
	return items, items[len(items)-1].ServiceEnd, nil
}

// PlanOverride checks a plan's own thresholds: both or neither (nil: the global defaults),
// valid for terms of perTerm installments.
func PlanOverride(queue, renewal *int, perTerm int) error {
	if queue == nil && renewal == nil {
		return nil
	}
	if queue == nil {
		return billing.Fieldf(FieldQueue, "required with %s: a plan overrides both thresholds or neither", FieldRenewal)
	}
	if renewal == nil {
		return billing.Fieldf(FieldRenewal, "required with %s: a plan overrides both thresholds or neither", FieldQueue)
	}
	return Thresholds{Queue: *queue, Renewal: *renewal}.ValidateFor(perTerm)
}
