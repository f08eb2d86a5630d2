package api

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/forecast"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// Store is everything the API reads and writes, in the domain's and package records' terms;
// *records.Store implements it. A change that must be followed by work (a payment's
// unblock, a welcome e-mail, a manual run) is handed on by the store, inside the change's
// transaction: the API never sees a transaction or the job queue. Missing records are
// billing.ErrNotFound and contradicting changes billing.ErrConflict (wrapped).
type Store interface {
	ChangeStore
	SubjectStore
	GroupedChargeStore

	// CreateCharge bills a one-off charge on the contract's next open installments due from
	// today; created is false when the idempotency key made it before.
	CreateCharge(ctx context.Context, contractID int64, c billing.OneOffCharge, key string, today time.Time) (records.Charge, bool, error)
	Charges(ctx context.Context, contractID int64, page records.Page) ([]records.Charge, error)
	CreateAddon(ctx context.Context, contractID int64, a billing.Addon) (records.Addon, error)
	EndAddon(ctx context.Context, contractID, addonID int64, until time.Time) (records.Addon, error)
	Addons(ctx context.Context, contractID int64, page records.Page) ([]records.Addon, error)

	CreatePlan(ctx context.Context, p billing.Plan) (billing.Plan, error)
	Plan(ctx context.Context, id int64) (billing.Plan, error)
	Plans(ctx context.Context, page records.Page) ([]billing.Plan, error)
	UpdatePlan(ctx context.Context, id int64, change func(*billing.Plan) error) (billing.Plan, error)

	CreateCustomer(ctx context.Context, c billing.Customer) (billing.Customer, error)
	Customer(ctx context.Context, id int64) (billing.Customer, error)
	Customers(ctx context.Context, page records.Page) ([]billing.Customer, error)
	// UpdateCustomer applies change to a customer; unsent notices follow a new e-mail (it
	// returns how many were re-addressed).
	UpdateCustomer(ctx context.Context, id int64, change func(*billing.Customer) error) (billing.Customer, int64, error)

	CreateContract(ctx context.Context, c billing.Contract, usePlanPrice bool, welcome *records.Welcome) (billing.Contract, error)
	Contract(ctx context.Context, id int64) (billing.Contract, error)
	Contracts(ctx context.Context, f records.ContractFilter, page records.Page) ([]billing.Contract, error)
	ActivateContract(ctx context.Context, id int64, on time.Time) (billing.Contract, error)
	CancelContract(ctx context.Context, id int64, on time.Time, reason records.CancellationReasonRef) (billing.Contract, error)
	CancellationReasons(ctx context.Context, all bool) ([]records.CancellationReason, error)
	CreateCancellationReason(ctx context.Context, code, name string) (records.CancellationReason, error)
	DisableCancellationReason(ctx context.Context, id int64) (records.CancellationReason, error)
	CancellationReport(ctx context.Context, from, to time.Time) ([]records.CancellationReportLine, error)
	UpdateContractRenewal(ctx context.Context, id int64, change func(*billing.Contract, billing.Plan) error) (billing.Contract, error)
	RenewContract(ctx context.Context, id int64, on time.Time) (billing.Contract, error)
	Renewals(ctx context.Context, f records.RenewalFilter, page records.Page) ([]records.Renewal, error)

	Installments(ctx context.Context, f records.InstallmentFilter, page records.Page) ([]records.Installment, error)
	InstallmentDue(ctx context.Context, id int64, on time.Time) (records.Installment, billing.AmountDue, error)
	ChangeInstallment(ctx context.Context, id int64, p records.InstallmentPatch) (records.Installment, error)
	CancelInstallment(ctx context.Context, id int64, reason string) (records.Installment, error)
	InstallmentChanges(ctx context.Context, id int64) ([]records.InstallmentChange, error)
	RecordPayments(ctx context.Context, now time.Time, loc *time.Location, in []records.PaymentIn) ([]records.PaymentResult, error)
	ReversePayment(ctx context.Context, id int64, reason string, now time.Time, loc *time.Location) (records.Payment, records.Installment, error)
	Payment(ctx context.Context, id int64) (records.Payment, error)
	Payments(ctx context.Context, f records.PaymentFilter, page records.Page) ([]records.Payment, error)
	StorePaymentFile(ctx context.Context, name string, content []byte, asOf time.Time) (records.PaymentFile, bool, error)
	PaymentFile(ctx context.Context, id int64) (records.PaymentFile, error)
	PaymentExceptions(ctx context.Context, f records.PaymentExceptionFilter, page records.Page) ([]records.PaymentException, error)
	RecordPixNotifications(ctx context.Context, now time.Time, ns []records.PixNotification) (records.PixOutcome, error)

	AddHoliday(ctx context.Context, h billing.Holiday) (redated int64, err error)
	DeleteHoliday(ctx context.Context, day time.Time) (redated int64, err error)
	Holidays(ctx context.Context, from, to time.Time) ([]billing.Holiday, error)

	CreateBlockingRule(ctx context.Context, r delinquency.Rule) (delinquency.Rule, error)
	BlockingRule(ctx context.Context, id int64) (delinquency.Rule, error)
	BlockingRules(ctx context.Context, page records.Page) ([]delinquency.Rule, error)
	BlockEpisodes(ctx context.Context, contracts []int64, today time.Time) (map[int64][]records.BlockEpisode, error)
	TrustUnlock(ctx context.Context, id int64, on time.Time, days int, limits records.TrustLimits) (billing.Contract, error)
	LadderPositions(ctx context.Context, ids []int64, on time.Time) (map[int64]records.LadderPosition, error)
	Collections(ctx context.Context, f records.CollectionFilter, on time.Time, page records.Page) ([]records.CollectionEntry, error)

	CreateBenefit(ctx context.Context, b benefits.Benefit) (benefits.Benefit, error)
	Benefit(ctx context.Context, id int64) (benefits.Benefit, error)
	Benefits(ctx context.Context, page records.Page) ([]benefits.Benefit, error)
	UpdateBenefit(ctx context.Context, b benefits.Benefit) (benefits.Benefit, error)
	SetPlanBenefit(ctx context.Context, planID, benefitID int64, build func(billing.Plan) (benefits.Terms, *decimal.Decimal, error)) (records.PlanBenefit, error)
	PlanBenefits(ctx context.Context, planID int64, page records.Page) ([]records.PlanBenefit, error)
	SetContractBenefit(ctx context.Context, contractID, benefitID int64, o benefits.Override) (records.ContractBenefit, error)
	ContractBenefits(ctx context.Context, contractID int64, on time.Time, page records.Page) ([]records.GrantedBenefit, error)
	RecordUse(ctx context.Context, contractID, benefitID int64, usedAt time.Time, quantity int) (records.Usage, error)
	ReverseUse(ctx context.Context, contractID, usageID int64, at time.Time) (records.Usage, error)
	Usages(ctx context.Context, contractID int64, f records.UsageFilter, page records.Page) ([]records.Usage, error)
	UsageReport(ctx context.Context, f records.UsageReportFilter) ([]records.UsageReportLine, error)

	CreateTemplate(ctx context.Context, t records.EmailTemplate) (records.EmailTemplate, error)
	GetTemplate(ctx context.Context, id int64) (records.EmailTemplate, error)
	Templates(ctx context.Context, f records.TemplateFilter, page records.Page) ([]records.EmailTemplate, error)
	UpdateTemplate(ctx context.Context, t records.EmailTemplate) (records.EmailTemplate, error)
	GetNotice(ctx context.Context, id int64) (records.Notice, error)
	Notices(ctx context.Context, f records.NoticeFilter, page records.Page) ([]records.Notice, error)

	// ForecastBasis reads what a forecast of a contract starts from, and SimulationBasis
	// validates a contract as CreateContract does and returns the basis of its forecast
	// without saving it; both return the banking calendar and write nothing.
	ForecastBasis(ctx context.Context, id int64) (forecast.Basis, *billing.Calendar, error)
	SimulationBasis(ctx context.Context, c billing.Contract, usePlanPrice bool) (forecast.Basis, *billing.Calendar, error)

	RequestRun(ctx context.Context, job string, asOf time.Time) (records.Run, error)
	Run(ctx context.Context, id int64) (records.Run, error)
	Runs(ctx context.Context, f records.RunFilter) ([]records.Run, error)

	CreateAPIToken(ctx context.Context, name string, hash []byte, createdBy string) (records.APIToken, error)
	APITokenByHash(ctx context.Context, hash []byte) (records.APIToken, error)
	APITokens(ctx context.Context, page records.Page) ([]records.APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64, by string) (records.APIToken, error)

	// Events lists published events in seq order after page.After (a seq).
	Events(ctx context.Context, f records.EventFilter, page records.Page) ([]records.Event, error)
	CreateWebhookEndpoint(ctx context.Context, w records.WebhookEndpoint) (records.WebhookEndpoint, error)
	WebhookEndpoints(ctx context.Context, page records.Page) ([]records.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id int64) (records.WebhookEndpoint, error)

	// RecordAudit writes an audit record on its own and sets its ID; FinishAudit writes the
	// status and detail of one a transaction wrote. AuditEntries lists them, newest first.
	RecordAudit(ctx context.Context, e *records.AuditEntry) error
	FinishAudit(ctx context.Context, e *records.AuditEntry) error
	AuditEntries(ctx context.Context, f records.AuditFilter) ([]records.AuditEntry, error)

	// Timeline lists a contract's events in order, at most limit (the oldest); Explain says
	// its state on a date and why, judging renewal by the global thresholds given.
	Timeline(ctx context.Context, id int64, limit int, today time.Time) (records.Timeline, error)
	Explain(ctx context.Context, id int64, on time.Time, global renewal.Thresholds) (records.Explanation, error)
	// DayFigures are a day's collection figures, for the operator page /ui/today.
	DayFigures(ctx context.Context, on time.Time) (records.DayFigures, error)
}
