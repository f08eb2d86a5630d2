package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/delinquency"
)

// BlockSweep is the block-delinquent sweep, the collection ladder's: as of a date it moves
// each contract its blocking rule's ladder selects to its position (delinquency.DecideLadder):
// it records the reminders and the debt notice, suspends partially or totally (again after
// an expired trust unlock), terminates, and, as a safety net for the payment job, restores
// or takes off the ladder the contracts it no longer holds; it undoes or restarts the
// suspensions a run for a future date made, and attaches pending inactivity discounts.
//
// It plans over the open overdue installments of active, partially suspended and blocked
// contracts (the installments_open_due index), the contracts with a stored step
// (contracts_ladder_step), the suspended ones, the pending discount lines and, when a rule
// has reminders, the installments due within them; a batch reads its contracts and their
// rows in a few queries, decides each contract in Go and writes each kind of change with
// one set-based statement. Every write is keyed (one open episode per contract, notices by
// (contract, kind, reference), events by (kind, subject)), so a rerun changes nothing. The
// notices a batch records are handed to the follow-ups in the batch's transaction, all at
// once, so they are delivered as soon as it commits (within the dunning window).
type BlockSweep struct {
	// FollowUps takes the notices each batch records (the store's follow-ups); nil leaves
	// them to the send-notices sweep.
	FollowUps FollowUps
	// Today returns the business date now (in the business time zone): a step stored
	// after it was taken by a run for a future date. Nil takes each run's as-of date for
	// today, as if every run ran on its own date.
	Today func() time.Time
	// Location is the business time zone, in which a debt notice's sent_at is a day; nil
	// is UTC.
	Location *time.Location
}

func (s BlockSweep) today(asOf time.Time) time.Time {
	if s.Today == nil {
		return asOf
	}
	return s.Today()
}

// Plan implements jobs.Sweep.
func (s BlockSweep) Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error) {
	return planByIndex(ctx, tx, `SELECT i.contract_id AS id FROM installments i JOIN contracts c ON c.id = i.contract_id
			WHERE installment_overdue(i.state, i.due_date, $1) AND c.status IN ('active', 'suspended_partial', 'blocked')
		UNION SELECT id FROM contracts WHERE ladder_step IN ('debt_notice', 'partial_suspension', 'suspension')
			AND status IN ('active', 'suspended_partial', 'blocked')
		UNION SELECT id FROM contracts WHERE status IN ('suspended_partial', 'blocked')
		UNION SELECT contract_id FROM installment_discounts WHERE installment_id IS NULL
		UNION SELECT i.contract_id FROM installments i JOIN contracts c ON c.id = i.contract_id
			WHERE i.state = 'open' AND i.due_date > $1::date
				AND i.due_date <= $1::date + (SELECT coalesce(max(reminder_days[1]), 0) FROM blocking_rules) AND c.status = 'active'`,
		asOf, batchSize)
}

// Batch implements jobs.Sweep.
func (s BlockSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	var reminderDays int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(reminder_days[1]), 0) FROM blocking_rules`).Scan(&reminderDays); err != nil {
		return nil, fmt.Errorf("read the longest reminder: %w", err)
	}
	contracts, err := loadLadder(ctx, tx, ladderQuery{from: fromID, to: toID, asOf: asOf, lock: true,
		reminderDays: reminderDays, loc: s.Location})
	if err != nil {
		return nil, err
	}
	today := s.today(asOf)
	var m ladderMoves
	for _, c := range contracts {
		m.decide(c, asOf, today)
	}
	counts, notices, err := m.apply(ctx, tx, asOf)
	if err != nil {
		return nil, err
	}
	attached, err := attachDiscounts(ctx, tx, fromID, toID)
	if err != nil {
		return nil, err
	}
	if attached > 0 {
		counts["discounts_attached"] = attached
	}
	if err := noticesRecorded(ctx, tx, s.FollowUps, notices); err != nil {
		return nil, fmt.Errorf("hand on %d notices: %w", len(notices), err)
	}
	return counts, nil
}

// decide adds to m what brings contract c to its position on the ladder as of asOf,
// today being the business date now:
//   - the move delinquency.DecideLadder returns, except a termination in a run for a date
//     after today (a termination is not undone, so only a run for a date already reached
//     terminates; the run for that date will);
//   - a step stored after today and after asOf was taken by a run for a future date (a
//     forced run with a typo in the year): the contract is judged as of asOf as if that
//     run had not stored it, so that a suspension it made is undone when the ladder does
//     not hold as of asOf (ended on the day it began: no day counts), and starts on asOf
//     instead when it does (blocks_restarted);
//   - the position's step and date are stored when they change (for a move to another
//     step, the day it took effect; overdue is stored as none, see
//     delinquency.StepKind.Stored), and the debt notice is forgotten below debt_notice.
func (m *ladderMoves) decide(c ladderContract, asOf, today time.Time) {
	st := c.state
	future := !st.StepSince.IsZero() && st.StepSince.After(today) && st.StepSince.After(asOf)
	switch {
	case future:
		st.StepSince = time.Time{}
	case !st.StepSince.IsZero() && st.StepSince.After(asOf):
		return // a rerun for a date before the stored step was taken changes nothing
	}
	d := delinquency.DecideLadder(st, asOf)
	p := d.Position
	step, since := p.Step.Stored(), p.Since
	if d.Move != delinquency.MoveNone && step != st.Step {
		since = asOf
	}
	if step == delinquency.StepNone {
		since = time.Time{}
	}
	notice := c.noticeID
	stored := false // the move's statement stores the step
	switch d.Move {
	case delinquency.MoveRecordNotice:
		m.notice = append(m.notice, noticeMove{contract: c.id, trigger: p.Trigger.ID})
		stored = true
	case delinquency.MovePartialSuspend, delinquency.MoveSuspend:
		stored = m.suspend(c, p, asOf)
	case delinquency.MoveTerminate:
		if asOf.After(today) {
			return
		}
		m.terminate = append(m.terminate, c)
	case delinquency.MoveRestore:
		if c.episode != nil {
			m.restore = append(m.restore, c.episode.id)
		}
	}
	if future && d.Move == delinquency.MoveNone && p.Suspended && c.episode != nil && c.episode.startedOn.After(asOf) {
		m.restart = append(m.restart, c.episode.id)
		since = asOf
	}
	if p.Step.Rank() < delinquency.StepDebtNotice.Rank() {
		notice = 0
	}
	if !stored && (step != c.state.Step || !since.Equal(c.state.StepSince) || notice != c.noticeID) {
		m.steps = append(m.steps, stepMove{contract: c.id, step: step, since: since, notice: notice})
	}
	for _, r := range delinquency.RemindersDue(c.state.Ladder, c.state.Open, asOf) {
		m.reminders = append(m.reminders, reminderMove{contract: c.id, installment: r.Installment.ID, days: r.Days})
	}
}

// suspend adds the suspension (partial or total, as position p says) of contract c: a new
// episode, a new segment of the open episode after a trust unlock, or the open segment's
// level changed, whose statement also stores the contract's step; nothing when the
// contract is already suspended at that level (and it reports false: the step is left to
// storeSteps).
func (m *ladderMoves) suspend(c ladderContract, p delinquency.Position, asOf time.Time) bool {
	level := levelOf(p.Step)
	e := c.episode
	switch {
	case e == nil:
		m.open = append(m.open, openMove{contract: c.id, trigger: p.Trigger.ID, level: level,
			reason: suspensionReason(c.state, p)})
	case e.openFrom.IsZero():
		m.resume = append(m.resume, levelMove{episode: e.id, level: level})
	case e.openLevel != level:
		m.change = append(m.change, levelMove{episode: e.id, level: level})
	default:
		return false
	}
	return true
}

// suspensionReason says why a contract is suspended, for its block episode: under the
// generic profile the words of before the ladder (BlockOf's reason), else the position's
// reason.
func suspensionReason(st delinquency.LadderState, p delinquency.Position) string {
	if !delinquency.RequiresSentNotice(st.Ladder.Profile) {
		days, warning := st.Ladder.Reading()
		rule := delinquency.Rule{BlockAfterDays: days, WarningDays: warning, MinOverdue: st.Ladder.MinOverdue}
		if b, ok := delinquency.BlockOf(rule, st.Prepaid, st.Open); ok {
			return b.Reason
		}
	}
	return p.Reason
}
