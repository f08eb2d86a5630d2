package records

import (
	"time"

	"github.com/billingd/billingd/delinquency"
)

// Why a block episode ended.
const (
	// EndedByPayment: a payment ended the contract's delinquency.
	EndedByPayment = "payment"
	// EndedByRule: the block-delinquent sweep found the rule no longer holds.
	EndedByRule = "rule"
	// EndedByCancellation: the contract was cancelled while blocked.
	EndedByCancellation = "cancelled"
	// EndedByTermination: the collection ladder terminated the contract.
	EndedByTermination = "terminated"
)

// EpisodeEndReasons are the reasons a block episode ends.
var EpisodeEndReasons = []string{EndedByPayment, EndedByRule, EndedByCancellation, EndedByTermination}

// Levels of a block segment: how much service the contract keeps while it lasts.
const (
	// LevelPartial is a partial suspension: reduced service.
	LevelPartial = "partial"
	// LevelTotal is a total suspension: no service (the contract is blocked).
	LevelTotal = "total"
)

// SegmentLevels are the levels of a block segment.
var SegmentLevels = []string{LevelPartial, LevelTotal}

// BlockEpisode is one stored block episode of a contract.
type BlockEpisode struct {
	ID            int64
	ContractID    int64
	InstallmentID int64
	StartedOn     time.Time
	EndedOn       time.Time // zero while open
	Reason        string
	EndReason     string
	Blocked       bool // an open episode not lifted by a trust unlock
	// Level is the open segment's level (LevelPartial, LevelTotal); "" when none is open.
	Level            string
	TrustUnlockUntil time.Time
	TrustUnlocks     int
	Reblocks         int
	// BlockedDays counts the days of total suspension, up to today for one still in force.
	BlockedDays int
}

// TrustLimits bound trust unlocks.
type TrustLimits struct {
	// MaxDays is the longest trust unlock.
	MaxDays int
	// PerEpisode is how many trust unlocks one block episode allows.
	PerEpisode int
}

// CollectionFilter selects contracts by their stored step on the collection ladder.
type CollectionFilter struct {
	// Step is the stored step (delinquency.StepNames but none); empty: every step.
	Step string
	// From and To bound the date the step was taken (zero: unbounded).
	From, To time.Time
}

// CollectionEntry is one contract on the collection ladder: its stored step and the date
// it was taken (what GET /v1/collections filters on) and its position today.
type CollectionEntry struct {
	ContractID int64
	CustomerID int64
	Status     string
	Step       string
	Since      time.Time
	Position   delinquency.Position
	Profile    string
}

// LadderPosition is a contract's position on its rule's collection ladder and the ladder's
// compliance profile.
type LadderPosition struct {
	Profile  string
	Position delinquency.Position
}
