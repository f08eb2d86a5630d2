package records

import (
	"time"

	"github.com/billingd/billingd/billing"
)

// ContractChange is one change asked of a contract (a due day, a plan, a pause, a resume),
// kept as its history: what it changes (From, To), when it takes effect, who asked and
// why, and whether it is scheduled, applied or cancelled.
type ContractChange struct {
	ID          int64
	ContractID  int64
	Kind        string
	RequestedAt time.Time
	RequestedOn time.Time
	EffectiveOn time.Time
	From, To    map[string]any
	Status      string
	AppliedOn   time.Time // zero unless applied
	CancelledAt time.Time // zero unless cancelled
	Actor       string
	Reason      string
}

// ChangeSettings are the settings of contract changes.
type ChangeSettings struct {
	// DueChangeProration is what a due-day change does with the days it moves the service
	// periods by (BILLINGD_DUE_CHANGE_PRORATION).
	DueChangeProration billing.ProrationMode
	// DueChangeMinDays is the fewest days between two due-day changes of a contract,
	// counted between the days they were asked (BILLINGD_DUE_CHANGE_MIN_DAYS; 0: no limit).
	DueChangeMinDays int
	// PauseMinMonths is the fewest months between the starts of two pauses of a contract
	// (BILLINGD_PAUSE_MIN_MONTHS; 0: no limit).
	PauseMinMonths int
}

// ChangeRequest is what every change request carries: the business day it is asked on,
// the operator (the audit actor) and the operator's reason.
type ChangeRequest struct {
	Today  time.Time
	Actor  string
	Reason string
}

// DueRuleChange asks for a new due-date rule for the installments due after EffectiveOn.
type DueRuleChange struct {
	ChangeRequest
	Rule        billing.DueDateRule
	EffectiveOn time.Time
}

// Plan change effective modes (PlanChange.Effective): now, on a date, at the end of the term.
const (
	EffectiveNow     = "now"
	EffectiveTermEnd = "term_end"
	EffectiveDate    = "date"
)

// PlanChange asks for another plan, now, on a date or at the end of the term (empty: now for
// an upgrade, term_end for a downgrade).
type PlanChange struct {
	ChangeRequest
	PlanID    int64
	Effective string
	On        time.Time // the date of EffectiveDate
}

// PauseRequest asks to pause a contract for Months months from the first service period
// starting on or after From.
type PauseRequest struct {
	ChangeRequest
	From   time.Time
	Months int
}

// ResumeRequest ends a contract's pause on On.
type ResumeRequest struct {
	ChangeRequest
	On time.Time
}

// ChangeState is what a contract's JSON shows of its changes: the scheduled ones, and its
// latest pause window (zero when it never paused).
type ChangeState struct {
	Scheduled   []ContractChange
	PausedFrom  time.Time
	PausedUntil time.Time
}
