package billing

// The values of each of the domain's enumerations, in the order documents list them. The API
// validates against them, the OpenAPI document's enums are generated from them and the
// database's CHECK constraints are tested against them.
var (
	// ContractStatuses are a contract's statuses.
	ContractStatuses = []string{StatusPendingActivation, StatusActive, StatusSuspendedPartial, StatusBlocked, StatusCancelled, StatusFinished}
	// PlanKinds are the kinds of plan.
	PlanKinds = []string{KindPlan, KindPackage}
	// Periods are the billing periods.
	Periods = []string{string(Monthly), string(Bimonthly), string(Quarterly), string(Semiannual), string(Annual)}
	// DueRuleKinds are the due-date rules.
	DueRuleKinds = []string{string(FixedDay), string(Anniversary), string(PrepaidFixedDay)}
	// Shifts are the ways a due date on a non-business day moves.
	Shifts = []string{string(ShiftNext), string(ShiftPrevious), string(ShiftNone)}
	// BillingMethods are a contract's billing methods.
	BillingMethods = []string{BillPerInstallment, BillGrouped, BillNone}
	// PaymentMethods are the payment methods a contract may name.
	PaymentMethods = []string{"boleto", "credit_card", "bank_transfer", "pix"}
	// RenewalPriceModes say which price a renewed term takes.
	RenewalPriceModes = []string{RenewAtPlanPrice, RenewAtSuggested}
	// InstallmentKinds are the kinds of installment.
	InstallmentKinds = []string{string(Adhesion), string(Recurring)}
	// ContractEndReasons say why a contract ended.
	ContractEndReasons = []string{EndCancelled, EndTerminated}
)
