package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// FieldError is a rule broken by one field of an input: the API answers it with a 4xx that
// names the field.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Fieldf returns a FieldError for field with a formatted reason.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Plan kinds.
const (
	KindPlan    = "plan"
	KindPackage = "package"
)

// Plan is what a customer subscribes to: a price per period and a term of installments.
type Plan struct {
	ID                  int64
	Name                string
	Kind                string
	Price               decimal.Decimal
	Period              Period
	InstallmentsPerTerm int
	MinPrice            *decimal.Decimal
	UsesPerCycle        *int
	// CycleMonths is, for a package, the months after which a cycle ends if its services are
	// not used up before (whichever comes first); nil: a cycle ends only by use.
	CycleMonths *int
	// RenewalQueueThreshold and RenewalThreshold override the global renewal thresholds
	// together; nil means the defaults.
	RenewalQueueThreshold *int
	RenewalThreshold      *int
	// Late is the plan's late fine and interest; nil settings take the defaults
	// (DefaultLateRule), and a contract may override them.
	Late      LateSettings
	CreatedAt time.Time
}

// Validate checks a plan's own rules.
func (p Plan) Validate() error {
	switch {
	case p.Name == "":
		return Fieldf("name", "required")
	case p.Kind != KindPlan && p.Kind != KindPackage:
		return Fieldf("kind", "want plan or package, got %q", p.Kind)
	case p.InstallmentsPerTerm < 1 || p.InstallmentsPerTerm > 120:
		return Fieldf("installments_per_term", "must be between 1 and 120, got %d", p.InstallmentsPerTerm)
	case p.MinPrice != nil && p.Price.LessThan(*p.MinPrice):
		return Fieldf("price", "below the plan's own minimum price %s", FormatMoney(*p.MinPrice))
	case p.Kind == KindPackage && (p.UsesPerCycle == nil || *p.UsesPerCycle < 1):
		return Fieldf("uses_per_cycle", "required for a package: how many uses one installment holds")
	case p.Kind == KindPlan && p.UsesPerCycle != nil:
		return Fieldf("uses_per_cycle", "only a package has uses per cycle")
	}
	if p.Period.Months() == 0 {
		return Fieldf("period", "want monthly, bimonthly, quarterly, semiannual or annual, got %q", p.Period)
	}
	if err := p.validCycleMonths(); err != nil {
		return err
	}
	return ResolveLateRule(LateSettings{}, p.Late).Validate()
}

// Bounds of a package's cycle_months.
const (
	MinCycleMonths = 1
	MaxCycleMonths = 24
)

// validCycleMonths checks a plan's cycle_months: only a package sets it, from
// MinCycleMonths to MaxCycleMonths.
func (p Plan) validCycleMonths() error {
	if p.CycleMonths == nil {
		return nil
	}
	if p.Kind != KindPackage {
		return Fieldf("cycle_months", "only a package's cycle ends on a date; omit cycle_months for a plan")
	}
	if n := *p.CycleMonths; n < MinCycleMonths || n > MaxCycleMonths {
		return Fieldf("cycle_months", "must be between %d and %d months, got %d", MinCycleMonths, MaxCycleMonths, n)
	}
	return nil
}

// Customer is who contracts and pays.
type Customer struct {
	ID    int64
	Name  string
	Email string
	// Document is the customer's CPF or CNPJ as given (ParseDocument checks it), or "".
	Document string
	Phone    string
	Address  Address
	// CreatedAt and UpdatedAt are when the customer was created and last changed.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Address is a customer's address; MunicipalityCode is the IBGE code of its municipality
// (seven digits, see ValidMunicipalityCode), which municipal holidays will use.
type Address struct {
	Street     string `json:"street"`
	Number     string `json:"number"`
	Complement string `json:"complement"`
	District   string `json:"district"`
	City       string `json:"city"`
	// State is the federative unit's two capital letters (SP, RJ…).
	State string `json:"state"`
	// PostalCode is the CEP, eight digits.
	PostalCode       string `json:"postal_code"`
	MunicipalityCode string `json:"municipality_code"`
}

// Renewal price modes.
const (
	RenewAtPlanPrice = "plan_price"
	RenewAtSuggested = "suggested"
)

// Contract binds a customer to a plan at a negotiated price.
type Contract struct {
	ID                   int64
	CustomerID           int64
	PlanID               int64
	Price                decimal.Decimal
	AdhesionDate         time.Time
	WaitActivation       bool
	ActivationDate       time.Time // zero while pending activation
	Rule                 DueDateRule
	BillingMethod        string
	PaymentMethod        string
	CardInstallments     int
	Discount             decimal.Decimal
	OnTimeDiscount       decimal.Decimal
	AdhesionFee          decimal.Decimal
	AdhesionInstallments int
	GenerateNow          bool
	AutoRenew            bool
	IgnoreAutoRenewal    bool
	RenewalPriceMode     string
	SuggestedPrice       *decimal.Decimal
	Status               string
	TermNumber           int
	TermEnd              time.Time
	CancelledOn          time.Time
	// EndReason says why the contract ended (EndCancelled, EndTerminated; "" while it has
	// not), EndedOn the day it ended.
	EndReason string
	EndedOn   time.Time
	CreatedAt time.Time
	// PaidThrough is the last day the contract's payments cover; zero when nothing is paid.
	PaidThrough time.Time
	// RenewalState is none, queued (its term is in the renewal queue) or renewed (its term
	// was created by a renewal); QueuedOn is when the term entered the queue.
	RenewalState string
	QueuedOn     time.Time
	// BlockingRuleID is the contract's blocking rule; nil: the default rule.
	BlockingRuleID *int64
	// InactivityDiscount discounts the days the contract stayed blocked from its next
	// installment (monthly plans only).
	InactivityDiscount bool
	// AllowCredit accepts a payment above what is due, the excess kept as the customer's
	// credit on the installment; without it such a payment is refused (see Ledger.Apply).
	AllowCredit bool
	// Late is the contract's own late fine and interest; nil settings take the plan's.
	Late LateSettings
	// CancelReason is the code of the catalogue's reason the contract was cancelled for
	// ("" when it was not, or was cancelled before reasons were recorded).
	CancelReason string
	// ActivateOnFirstPayment: the contract waits for activation with its first installment
	// (the first adhesion one, or else the first recurring one) issued at once, and is
	// active from the day that installment is paid; ActivationDeadline is the last day it
	// waits (a contract still waiting the day after is cancelled as not paid).
	ActivateOnFirstPayment bool
	ActivationDeadline     time.Time
}

// Prepare validates a new contract against its plan and fills what follows from it: the
// status, the activation date of a contract that does not wait for activation, and the
// first date on which installments are due to be generated (zero: none yet).
func (c *Contract) Prepare(plan Plan) (generationDue time.Time, err error) {
	if err := c.Rule.Validate(); err != nil {
		return time.Time{}, err
	}
	if plan.MinPrice != nil && c.Price.LessThan(*plan.MinPrice) {
		return time.Time{}, Fieldf("price", "%s is below the plan's minimum price %s", FormatMoney(c.Price), FormatMoney(*plan.MinPrice))
	}
	if !slices.Contains(PaymentMethods, c.PaymentMethod) {
		return time.Time{}, Fieldf("payment_method", "want boleto, credit_card, bank_transfer or pix, got %q", c.PaymentMethod)
	}
	if c.CardInstallments < 1 || c.CardInstallments > 24 || (c.PaymentMethod != "credit_card" && c.CardInstallments != 1) {
		return time.Time{}, Fieldf("card_installments", "must be 1, or up to 24 for credit_card, got %d", c.CardInstallments)
	}
	switch c.BillingMethod {
	case BillPerInstallment, BillGrouped, BillNone:
	default:
		return time.Time{}, Fieldf("billing_method", "want per_installment, grouped or no_billing, got %q", c.BillingMethod)
	}
	if c.Discount.Add(c.OnTimeDiscount).GreaterThan(c.Price) {
		return time.Time{}, Fieldf("discount", "discount plus on_time_discount exceed the price %s", FormatMoney(c.Price))
	}
	if err := ResolveLateRule(c.Late, plan.Late).Validate(); err != nil {
		return time.Time{}, err
	}
	if c.InactivityDiscount && plan.Period != Monthly {
		return time.Time{}, Fieldf("inactivity_discount", "only for a monthly plan; plan %d is %s", plan.ID, plan.Period)
	}
	if c.AdhesionInstallments < 0 || c.AdhesionInstallments > 24 {
		return time.Time{}, Fieldf("adhesion_installments", "must be between 0 and 24, got %d", c.AdhesionInstallments)
	}
	if c.AdhesionFee.IsPositive() && c.AdhesionInstallments == 0 {
		return time.Time{}, Fieldf("adhesion_installments", "must be at least 1 when adhesion_fee is set")
	}
	switch c.RenewalPriceMode {
	case RenewAtPlanPrice:
	case RenewAtSuggested:
		if c.SuggestedPrice == nil {
			return time.Time{}, Fieldf("suggested_price", "required when renewal_price_mode is suggested")
		}
	default:
		return time.Time{}, Fieldf("renewal_price_mode", "want plan_price or suggested, got %q", c.RenewalPriceMode)
	}
	c.TermNumber = 1
	if c.ActivateOnFirstPayment {
		if c.BillingMethod == BillNone {
			return time.Time{}, Fieldf("activate_on_first_payment", "a contract without billing (no_billing) has no first payment to wait for")
		}
		if !c.ActivationDate.IsZero() {
			return time.Time{}, Fieldf("activation_date", "a contract activated on its first payment is active from the day of that payment")
		}
		// It waits for activation, its first installment issued at once: the adhesion one
		// when it has an adhesion fee (generated from the adhesion date), else the first
		// recurring one (the store writes it with the contract, see FirstInstallment).
		c.WaitActivation = true
		if c.AdhesionFee.IsPositive() {
			c.GenerateNow = true
		}
	}
	if c.WaitActivation {
		if !c.ActivationDate.IsZero() {
			return time.Time{}, Fieldf("activation_date", "a contract that waits for activation is activated later (POST /v1/contracts/{id}/activate)")
		}
		c.Status = StatusPendingActivation
		if c.GenerateNow && c.AdhesionFee.IsPositive() {
			generationDue = c.AdhesionDate
		}
	} else {
		if c.ActivationDate.IsZero() {
			c.ActivationDate = c.AdhesionDate
		}
		if c.ActivationDate.Before(c.AdhesionDate) {
			return time.Time{}, Fieldf("activation_date", "must not be before adhesion_date")
		}
		c.Status = StatusActive
		generationDue = c.AdhesionDate
	}
	if c.BillingMethod == BillNone {
		generationDue = time.Time{}
	}
	return generationDue, nil
}
