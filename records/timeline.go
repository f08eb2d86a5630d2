package records

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Kinds of timeline entries. Events of the outbox (records.Event*) that no other table
// records (a suspension, a restore, a termination) appear under their own kind.
const (
	TimelineIssued         = "installment.issued"
	TimelineLineAdded      = "installment.line_added"
	TimelineRedated        = "installment.redated"
	TimelinePaid           = "payment.recorded"
	TimelineReversed       = "payment.reversed"
	TimelineNoticeWritten  = "notice.written"
	TimelineNoticeSent     = "notice.sent"
	TimelineNoticeFailed   = "notice.failed"
	TimelineBlockStarted   = "block.started"
	TimelineBlockEnded     = "block.ended"
	TimelineTrustUnlock    = "block.trust_unlock"
	TimelineRenewalQueued  = "renewal.queued"
	TimelineRenewed        = "renewal.renewed"
	TimelineBenefitUsed    = "benefit.used"
	TimelineBenefitRevoked = "benefit.use_reversed"
	TimelineChangeAsked    = "change.requested"
	TimelineChangeApplied  = "change.applied"
	TimelineChangeDropped  = "change.cancelled"
	TimelineRun            = "run"
	TimelineOperator       = "operator"
)

// TimelineOwnKinds are the kinds of timeline entries read from billingd's own tables, in the
// order the documentation lists them (TimelineTrustUnlock is not written by any read yet).
var TimelineOwnKinds = []string{TimelineIssued, TimelineLineAdded, TimelineRedated, TimelinePaid, TimelineReversed,
	TimelineNoticeWritten, TimelineNoticeSent, TimelineNoticeFailed, TimelineBlockStarted, TimelineBlockEnded,
	TimelineRenewalQueued, TimelineRenewed, TimelineBenefitUsed, TimelineBenefitRevoked, TimelineChangeAsked, TimelineChangeApplied,
	TimelineChangeDropped, TimelineRun, TimelineOperator}

// TimelineSkippedEvents are the outbox's event kinds a timeline leaves out, because another
// table records them (installments, payments, renewals) or the contract's own field does
// (its activation date); every other event kind is an entry of its own.
var TimelineSkippedEvents = []string{EventInstallmentIssued, EventInstallmentPaid, EventInstallmentReversed,
	EventContractRenewed, EventContractActivated}

// TimelineKinds returns every kind a timeline entry can have: TimelineOwnKinds, then the
// event kinds of the outbox not in TimelineSkippedEvents.
func TimelineKinds() []string {
	out := slices.Clone(TimelineOwnKinds)
	for _, k := range EventKinds {
		if !slices.Contains(TimelineSkippedEvents, k) {
			out = append(out, k)
		}
	}
	return out
}

// DefaultTimelineLimit and MaxTimelineLimit bound a timeline: the oldest entries up to the
// limit are returned and Truncated says whether more exist.
const (
	DefaultTimelineLimit = 500
	MaxTimelineLimit     = 5000
)

// TimelineEntry is one event of a contract's life, with the words that say what happened,
// why, and which rule or setting decided it.
type TimelineEntry struct {
	// On is the business date of the event; At the instant it was recorded, when known.
	On time.Time
	At *time.Time
	// Kind is one of the Timeline* kinds or an event kind of the outbox.
	Kind   string
	What   string
	Reason string
	// Rule names the rule or the setting that decided the event ("" when none did: an
	// operator's request, a customer's payment).
	Rule string
	// IDs are the records the entry is about, by name ("installment", "payment", "notice"…).
	IDs map[string]int64
	// Amount is the money the entry moves, when it moves any.
	Amount *decimal.Decimal
	// Source is where a payment came from, as stored (api, bank_file, pix…).
	Source string
	// Lines are an issued installment's lines.
	Lines []billing.Line
}

// Timeline is a contract's timeline: its entries in order (business date, then instant),
// at most the limit asked for.
type Timeline struct {
	ContractID int64
	Entries    []TimelineEntry
	Limit      int
	// Truncated says that more entries exist after the last one returned.
	Truncated bool
}

// Explanation is a contract's state on a date and why.
type Explanation struct {
	ContractID int64
	On         time.Time
	Status     string
	// Verdicts answer the questions an operator asks, one each: blocked, renewal,
	// installments, benefits.
	Verdicts []Verdict
	// Overdue are the installments overdue on the date (effective due date before it).
	Overdue []OverdueInstallment
}

// Topics of an explanation's verdicts.
const (
	ExplainCollection   = "collection"
	ExplainRenewal      = "renewal"
	ExplainInstallments = "installments"
	ExplainBenefits     = "benefits"
)

// ExplainTopics are the topics of an explanation's verdicts, in the order they come.
var ExplainTopics = []string{ExplainCollection, ExplainRenewal, ExplainInstallments, ExplainBenefits}

// Verdict is the answer to one question about a contract on a date: a short state
// ("suspended", "not renewed"), the words of why, and the rule or setting that decides it.
type Verdict struct {
	Topic  string
	State  string
	Reason string
	Rule   string
	// Since is the date the state began, when known.
	Since time.Time
}

// OverdueInstallment is an installment overdue on a date.
type OverdueInstallment struct {
	ID       int64
	Sequence int
	Term     int
	DueDate  time.Time
	// OverdueSince is the first day it was overdue (the day after its effective due date).
	OverdueSince time.Time
	Amount       decimal.Decimal
}

// DayFigures are the collection figures of a business day, for the operator page /ui/today.
type DayFigures struct {
	On time.Time
	// Billed are the installments due on the day (not cancelled), net of discounts.
	Billed Figure
	// Collected are the payments dated the day, not reversed.
	Collected Figure
	// Overdue are the installments overdue on the day (effective due date before it), with
	// what they still ask of their principal (net of discounts, less their payments).
	Overdue Figure
	// Steps count the contracts at each stored step of the collection ladder now, in
	// ladder order (steps with none are left out).
	Steps []StepCount
}

// Figure is a count of records and the money they add up to.
type Figure struct {
	Count  int64
	Amount decimal.Decimal
}

// StepCount is how many contracts are at a stored step of the collection ladder.
type StepCount struct {
	Step      string
	Contracts int64
}
