package delinquency

import (
	"time"
)

// Action is what the block-delinquent sweep does to one contract.
type Action string

// The sweep's actions.
const (
	// None leaves the contract as it is.
	None Action = ""
	// Warn records the warning before the block.
	Warn Action = "warn"
	// BlockNow blocks an active contract and opens a block episode.
	BlockNow Action = "block"
	// Reblock blocks again a contract whose trust unlock has ended while it is still delinquent.
	Reblock Action = "reblock"
	// Unblock closes the episode of a contract its rule no longer blocks.
	Unblock Action = "unblock"
	// Restart moves the start of a block opened by a run for a future date back to the
	// as-of date of a run that finds the contract delinquent: it is blocked from then on.
	Restart Action = "restart"
)

// Episode is what the sweep needs to know about a contract's open block episode.
type Episode struct {
	ID        int64
	StartedOn time.Time
	// Blocked is false while a trust unlock lifts the block.
	Blocked bool
	// TrustUntil is the last day of the latest trust unlock; zero when none was granted.
	TrustUntil time.Time
}

// State is one contract as the sweep sees it.
type State struct {
	Rule    Rule
	Prepaid bool
	// Episode is the contract's open block episode, nil when it has none.
	Episode *Episode
	// Open are the contract's open installments (those due on or after asOf may be left out).
	Open []Installment
}

// Decision is what to do with one contract as of a date, and why.
type Decision struct {
	Action Action
	Block  Block
}

// Decide returns what the sweep does, as of asOf, to an active contract (or a blocked one,
// which has an open episode), today being the business date now:
//   - without an open episode: block it when its rule holds, else warn it when the warning
//     date has come (the warning is recorded once, so deciding Warn again changes nothing);
//   - with an episode started after asOf by a run for a date already reached (on or before
//     today): nothing, so a rerun for an earlier date never undoes today's block;
//   - with an episode started after today (a run for a future date opened it, such as a
//     forced run with a typo in the year): level-triggered, the contract is blocked as of
//     asOf only if its rule holds as of asOf. Unblock when it does not; Restart (start the
//     block on asOf) when it does and the block is in force;
//   - blocked: unblock it when its rule no longer holds (a missed payment job's safety net);
//   - trust-unlocked: after the unlock's last day, block it again when its rule still holds,
//     close the episode when it does not.
func Decide(s State, asOf, today time.Time) Decision {
	b, ok := BlockOf(s.Rule, s.Prepaid, s.Open)
	holds := ok && !b.On.After(asOf)
	e := s.Episode
	if e == nil && holds {
		return Decision{Action: BlockNow, Block: b}
	}
	if e == nil && ok && !b.WarnOn.IsZero() && !b.WarnOn.After(asOf) {
		return Decision{Action: Warn, Block: b}
	}
	if e == nil {
		return Decision{}
	}
	if e.StartedOn.After(asOf) && e.StartedOn.After(today) && !holds {
		return Decision{Action: Unblock}
	}
	if e.StartedOn.After(asOf) && e.StartedOn.After(today) && e.Blocked {
		return Decision{Action: Restart, Block: b}
	}
	if e.StartedOn.After(asOf) {
		return Decision{}
	}
	if e.Blocked && !holds {
		return Decision{Action: Unblock}
	}
	if !e.Blocked && asOf.After(e.TrustUntil) && holds {
		return Decision{Action: Reblock, Block: b}
	}
	if !e.Blocked && asOf.After(e.TrustUntil) {
		return Decision{Action: Unblock}
	}
	return Decision{}
}
