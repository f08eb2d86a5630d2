// Package delinquency is the pure domain of collecting from the delinquent: blocking rules
// and the date a contract's open installments make it blocked (BlockOf, Decide), the
// collection ladder that replaces the single warn-then-block pair (Ladder, PositionAt,
// DecideLadder), the compliance profiles that fill a ladder's defaults and refuse what
// their rule forbids (ProfileOf, NewLadder), the health rule's days in default
// (DaysInDefault, DateOfDefaultDay, HealthGateOn), trust-unlock bounds and the inactivity
// discount. It does no I/O and never reads the clock.
//
// # The ladder
//
// A ladder is an ordered list of steps: reminders before each installment's due date
// (D−5, D−1), a debt notice some days after the trigger's effective due date, an optional
// partial suspension, the suspension, an optional termination. The steps after the notice
// count from the day the notice was sent — delivered to the SMTP server, never from when
// it was created — under every profile that RequiresSentNotice: no suspension without the
// notice sent the ladder's days earlier, a contract first seen already late gets its
// notice first, and a notice sent late (SMTP down, outside the dunning window) moves
// every date after it.
//
// # The generic profile keeps today's dates
//
// The blocking rules of before the ladder block a contract whose block date has passed
// with or without a warning. Issue 15 asks both that generic be "today's behaviour, every
// number a setting" and that existing rules migrate "to an equivalent ladder, with a test
// that their dates do not move". Both hold only if the generic profile does not require a
// sent notice, so RequiresSentNotice is false for generic and true for telecom_rgc765 and
// health_9656: under generic the warning is the debt notice (same day as today's
// warning), and the suspension and the steps after it count from the day the notice was
// due, sent or not — today's block date, never moved (TestLadderFromRuleKeepsTheDates
// proves it against Decide). A rule without a warning becomes a ladder without a notice
// whose suspension counts from the due date. An operator who wants the lawful order of
// notice-then-suspension picks a profile that requires it.
//
// # If chains, not tagless switches
//
// Rules whose conditions compare are written as if chains rather than tagless switches on
// purpose: Go's coverage profile gives a switch's case conditions no counter, so gremlins
// (make mutation) reports every mutant in them NOT COVERED and never tests it
// (go-gremlins/gremlins#298).
package delinquency
