// Package benefits holds the rules of benefit quotas: the benefit catalogue, the terms a
// plan grants and a contract overrides, the grace period (carência) counted from the
// settlement of the first charge, renewal periods anchored at that settlement, the reasons
// a use is refused, and when a package's next billing cycle falls due. It is plain Go: no
// I/O and no clock.
//
// Rules with comparisons are if chains rather than tagless switches on purpose: Go's
// coverage profile gives a switch's case conditions no counter, so gremlins (make
// mutation) reports every mutant in them NOT COVERED and never tests it
// (go-gremlins/gremlins#298).
package benefits

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// MaxQuantity bounds a grant's quantity per period and a use's quantity.
const MaxQuantity = 100000

// MaxGraceDays bounds a grant's grace period (ten years).
const MaxGraceDays = 3650

// Benefit is something the business provides per use, with its internal cost per use.
type Benefit struct {
	ID          int64
	Name        string
	UnitCost    decimal.Decimal
	Active      bool
	Description string
	CreatedAt   time.Time
}

// Validate checks a benefit's own rules.
func (b Benefit) Validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return billing.Fieldf("name", "required")
	}
	if strings.ContainsRune(b.Name, 0) {
		return billing.Fieldf("name", "must not contain NUL characters")
	}
	if strings.ContainsRune(b.Description, 0) {
		return billing.Fieldf("description", "must not contain NUL characters")
	}
	if b.UnitCost.IsNegative() {
		return billing.Fieldf("unit_cost", "must not be negative, got %s", billing.FormatMoney(b.UnitCost))
	}
	return nil
}

// Terms are the rules under which a contract may use a benefit: how many uses each
// renewal period holds, how long the period is, and the grace days before the first use.
// A package's terms have no Period: its quota renews with each billing cycle.
type Terms struct {
	Quantity  int
	Period    billing.Period // empty for a package
	GraceDays int
	// OverageUnitPrice is the price of one use beyond the period's quota; nil refuses such
	// uses (see ValidateOveragePrice and SplitUse).
	OverageUnitPrice *decimal.Decimal
}

// PerCycle reports whether the quota renews per package cycle rather than per period.
func (t Terms) PerCycle() bool { return t.Period == "" }

// PlanBenefit is a benefit granted by a plan.
type PlanBenefit struct {
	PlanID    int64
	BenefitID int64
	Terms
	// UnitPrice is a package's price per use of the service (nil: none listed), the
	// weight by which SplitPackagePrice itemises the package's price.
	UnitPrice *decimal.Decimal
}

// NewPlanTerms validates the terms a plan grants for a benefit. A plan (kind plan) needs a
// quantity and a renewal period; a package's service holds 1 to uses_per_cycle uses per
// cycle (omitted: uses_per_cycle) and it has no renewal period. Problems are field errors naming the JSON field.
func NewPlanTerms(plan billing.Plan, quantity *int, period *string, graceDays *int) (Terms, error) {
	var t Terms
	if graceDays != nil {
		t.GraceDays = *graceDays
	}
	if t.GraceDays < 0 || t.GraceDays > MaxGraceDays {
		return Terms{}, billing.Fieldf("grace_days", "must be between 0 and %d, got %d", MaxGraceDays, t.GraceDays)
	}
	if plan.Kind == billing.KindPackage {
		per := 0
		if plan.UsesPerCycle != nil {
			per = *plan.UsesPerCycle
		}
		if quantity != nil && (*quantity < 1 || *quantity > per) {
			return Terms{}, billing.Fieldf("quantity", "a package's service holds between 1 and its uses_per_cycle (%d) uses per cycle; omit quantity for %d, got %d", per, per, *quantity)
		}
		if period != nil {
			return Terms{}, billing.Fieldf("renewal_period", "a package renews with each billing cycle; omit renewal_period")
		}
		t.Quantity = per
		if quantity != nil {
			t.Quantity = *quantity
		}
		return t, nil
	}
	if quantity == nil {
		return Terms{}, billing.Fieldf("quantity", "required: how many uses each renewal period holds")
	}
	if *quantity < 1 || *quantity > MaxQuantity {
		return Terms{}, billing.Fieldf("quantity", "must be between 1 and %d, got %d", MaxQuantity, *quantity)
	}
	t.Quantity = *quantity
	if period == nil {
		return Terms{}, billing.Fieldf("renewal_period", "required: monthly, bimonthly, quarterly, semiannual or annual")
	}
	p, err := billing.ParsePeriod(*period)
	if err != nil {
		return Terms{}, billing.Fieldf("renewal_period", "%v", err)
	}
	t.Period = p
	return t, nil
}

// Override is a contract's own terms for a benefit; a nil field keeps the plan's.
// Quantity 0 withdraws the benefit from the contract.
type Override struct {
	Quantity  *int
	Period    *billing.Period
	GraceDays *int
}

// ValidateOverride checks an override against the contract's plan kind and the plan's own
// terms (nil when the plan does not grant the benefit, in which case the override must give
// every term).
func ValidateOverride(planKind string, plan *Terms, o Override) error {
	if o.Quantity != nil && (*o.Quantity < 0 || *o.Quantity > MaxQuantity) {
		return billing.Fieldf("quantity", "must be between 0 (withdraws the benefit) and %d, got %d", MaxQuantity, *o.Quantity)
	}
	if o.GraceDays != nil && (*o.GraceDays < 0 || *o.GraceDays > MaxGraceDays) {
		return billing.Fieldf("grace_days", "must be between 0 and %d, got %d", MaxGraceDays, *o.GraceDays)
	}
	if o.Period != nil && o.Period.Months() == 0 {
		return billing.Fieldf("renewal_period", "want monthly, bimonthly, quarterly, semiannual or annual, got %q", string(*o.Period))
	}
	if planKind == billing.KindPackage {
		if plan == nil {
			return billing.Fieldf("benefit_id", "the contract's package does not carry this benefit; a package's uses are its own benefit's")
		}
		if o.Period != nil {
			return billing.Fieldf("renewal_period", "a package renews with each billing cycle; omit renewal_period")
		}
		if o.Quantity != nil && *o.Quantity != 0 && *o.Quantity != plan.Quantity {
			return billing.Fieldf("quantity", "the package holds %d uses of this service per cycle; give 0 to withdraw it or omit quantity", plan.Quantity)
		}
		return nil
	}
	if plan == nil && (o.Quantity == nil || o.Period == nil) {
		field := "quantity"
		if o.Quantity != nil {
			field = "renewal_period"
		}
		return billing.Fieldf(field, "required: the plan does not grant this benefit, so the contract must give quantity and renewal_period")
	}
	return nil
}

// Resolve returns a contract's terms for a benefit from the plan's terms (nil: the plan
// does not grant it) and the contract's override (nil: none). It reports false when the
// contract is not granted the benefit: neither grants it, or the override's quantity is 0.
func Resolve(plan *Terms, o *Override) (Terms, bool) {
	var t Terms
	if plan != nil {
		t = *plan
	}
	if o != nil {
		if o.Quantity != nil {
			t.Quantity = *o.Quantity
		}
		if o.Period != nil {
			t.Period = *o.Period
		}
		if o.GraceDays != nil {
			t.GraceDays = *o.GraceDays
		}
	}
	if plan == nil && (o == nil || o.Quantity == nil || o.Period == nil) {
		return Terms{}, false
	}
	return t, t.Quantity > 0
}

// Reason is the machine-readable reason a use is refused.
type Reason string

// The reasons a use is refused.
const (
	// InGrace: the grace period after the first charge's settlement has not run out, or
	// the first charge is not settled yet.
	InGrace Reason = "in_grace"
	// ContractBlocked: the contract is blocked for delinquency ("invalid wallet").
	ContractBlocked Reason = "contract_blocked"
	// Paused: the use falls inside the contract's pause (its benefits are suspended with it).
	Paused Reason = "paused"
	// Delinquent: the contract has an open installment past its effective due date.
	Delinquent Reason = "delinquent"
	// QuotaExhausted: the period's (or package cycle's) quantity is used up.
	QuotaExhausted Reason = "quota_exhausted"
	// BenefitInactive: the benefit is switched off in the catalogue.
	BenefitInactive Reason = "benefit_inactive"
	// NotGranted: neither the contract's plan nor the contract grants the benefit.
	NotGranted Reason = "not_granted"
)

// Refusal is a use refused for a Reason; the API answers it with the reason as its error
// code. GraceEndsOn (the last day of the grace period) and NextResetOn (the day the quota
// starts afresh) are set where they are known.
type Refusal struct {
	Reason      Reason
	Message     string
	GraceEndsOn time.Time
	NextResetOn time.Time
}

func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Message }

func refuse(reason Reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Message: fmt.Sprintf(format, args...)}
}
