package records

import (
	"time"

	"github.com/billingd/billingd/benefits"
	"github.com/shopspring/decimal"
)

// PlanBenefit is a benefit a plan grants, with the benefit's name.
type PlanBenefit struct {
	benefits.PlanBenefit
	BenefitName string
}

// ContractBenefit is a contract's terms for a benefit: the plan's, the contract's override
// and the result.
type ContractBenefit struct {
	ContractID int64
	BenefitID  int64
	Plan       *benefits.Terms
	Override   benefits.Override
	Terms      benefits.Terms
	Granted    bool
}

// GrantedBenefit is a benefit a contract is granted, with its resolved terms and the
// balance of the period (or package cycle) containing a given day.
type GrantedBenefit struct {
	BenefitID   int64
	BenefitName string
	Active      bool
	Terms       benefits.Terms
	// Overridden says whether the contract overrides at least one of the plan's terms.
	Overridden bool
	// Balance is the balance containing the day asked about; nil when none is open.
	Balance *Balance
}

// UsageFilter selects a contract's uses; zero fields do not filter. From and To bound the
// use date (inclusive); Reversed, when set, keeps only reversed (true) or counted (false) uses.
type UsageFilter struct {
	BenefitID int64
	From, To  time.Time
	Reversed  *bool
}

// Usage is one recorded use of a benefit, with the balance it was counted against as it
// stands after the use (or its reversal).
type Usage struct {
	ID         int64
	ContractID int64
	// SubjectID is the contract's subject that used the benefit, counted on its own quota;
	// 0 for a use by the contract, counted on the contract's.
	SubjectID  int64
	BenefitID  int64
	UsedAt     time.Time
	Quantity   int
	UnitCost   decimal.Decimal
	ReversedAt *time.Time
	Balance    Balance
	// NextInstallment is the installment of the package's next cycle that this use created;
	// nil when it created none.
	NextInstallment *Installment
	// Overage is how many of the use's units went beyond the quota (billed, not counted in
	// the balance); OverageUnitPrice their price; OverageInstallmentID the installment whose
	// overage line bills them (0 while none is open after the use).
	Overage              int
	OverageUnitPrice     decimal.Decimal
	OverageInstallmentID int64
}

// Balance is one contract's quota of a benefit for a renewal period or a package cycle.
type Balance struct {
	ID          int64
	PeriodStart time.Time
	PeriodEnd   time.Time // zero for a package cycle
	Cycle       int       // 0 for a renewal period
	Granted     int
	Used        int
}

// UsageReportFilter selects the uses a report counts; zero fields do not filter. From and
// To bound the use date (inclusive). ByCustomer splits each benefit's line per customer.
type UsageReportFilter struct {
	From, To   time.Time
	CustomerID int64
	BenefitID  int64
	ByCustomer bool
}

// UsageReportLine is one line of the usage report: the uses of one benefit (by one
// customer when asked) at one unit cost, and their total cost.
type UsageReportLine struct {
	BenefitID    int64
	BenefitName  string
	CustomerID   int64 // 0 unless the report is by customer
	CustomerName string
	Uses         int64
	UnitCost     decimal.Decimal
	TotalCost    decimal.Decimal
	// Overage is the units of the uses beyond their quota; OverageAmount what they bill.
	Overage       int64
	OverageAmount decimal.Decimal
}
