package records

import "time"

// Why a block episode ended.
const (
	// EndedByPayment: a payment ended the contract's delinquency.
	EndedByPayment = "payment"
	// EndedByRule: the block-delinquent sweep found the rule no longer holds.
	EndedByRule = "rule"
	// EndedByCancellation: the contract was cancelled while blocked.
	EndedByCancellation = "cancelled"
)

// EpisodeEndReasons are the reasons a block episode ends.
var EpisodeEndReasons = []string{EndedByPayment, EndedByRule, EndedByCancellation}

// BlockEpisode is one stored block episode of a contract.
type BlockEpisode struct {
	ID               int64
	ContractID       int64
	InstallmentID    int64
	StartedOn        time.Time
	EndedOn          time.Time // zero while open
	Reason           string
	EndReason        string
	Blocked          bool // an open episode not lifted by a trust unlock
	TrustUnlockUntil time.Time
	TrustUnlocks     int
	Reblocks         int
	// BlockedDays counts the days blocked, up to today for a block still in force.
	BlockedDays int
}

// TrustLimits bound trust unlocks.
type TrustLimits struct {
	// MaxDays is the longest trust unlock.
	MaxDays int
	// PerEpisode is how many trust unlocks one block episode allows.
	PerEpisode int
}
