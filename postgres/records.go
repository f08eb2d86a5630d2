package postgres

import "github.com/billingd/billingd/records"

// The records the store reads and writes are declared in package records, free of any
// database driver, so that the API can name them; the storage code names them here.
type (
	Page              = records.Page
	ContractFilter    = records.ContractFilter
	Installment       = records.Installment
	InstallmentFilter = records.InstallmentFilter
	BlockEpisode      = records.BlockEpisode
	TrustLimits       = records.TrustLimits
	PlanBenefit       = records.PlanBenefit
	ContractBenefit   = records.ContractBenefit
	GrantedBenefit    = records.GrantedBenefit
	Balance           = records.Balance
	Usage             = records.Usage
	UsageFilter       = records.UsageFilter
	UsageReportFilter = records.UsageReportFilter
	UsageReportLine   = records.UsageReportLine
	Notice            = records.Notice
	NoticeFilter      = records.NoticeFilter
	Welcome           = records.Welcome
	EmailTemplate     = records.EmailTemplate
	TemplateFilter    = records.TemplateFilter
	Renewal           = records.Renewal
	RenewalFilter     = records.RenewalFilter
	Run               = records.Run
	RunFilter         = records.RunFilter
)

// States and scopes of the records, as stored.
const (
	InstallmentOpen      = records.InstallmentOpen
	InstallmentPaid      = records.InstallmentPaid
	InstallmentCancelled = records.InstallmentCancelled
	NoticePending        = records.NoticePending
	NoticeRendered       = records.NoticeRendered
	NoticeSent           = records.NoticeSent
	NoticeFailed         = records.NoticeFailed
	ScopeDefault         = records.ScopeDefault
	ScopePlan            = records.ScopePlan
	ScopeContract        = records.ScopeContract
	RenewalNone          = records.RenewalNone
	RenewalQueued        = records.RenewalQueued
	RenewalRenewed       = records.RenewalRenewed
)
