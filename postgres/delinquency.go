package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

const ruleColumns = `id, name, block_after_days, min_overdue_installments, warning_days, is_default, created_at, profile,
	reminder_days, notice_after_days, partial_suspension_after_days, suspension_after_days, termination_after_days`

func scanRule(row pgx.Row) (delinquency.Rule, error) {
	var r delinquency.Rule
	var profile string
	var reminders []int32
	l := &r.Ladder
	err := row.Scan(&r.ID, &r.Name, &r.BlockAfterDays, &r.MinOverdue, &r.WarningDays, &r.Default, &r.CreatedAt, &profile,
		&reminders, &l.NoticeDays, &l.PartialSuspensionDays, &l.SuspensionDays, &l.TerminationDays)
	l.Profile, l.MinOverdue = delinquency.ProfileName(profile), r.MinOverdue
	l.ReminderDays = []int{}
	for _, d := range reminders {
		l.ReminderDays = append(l.ReminderDays, int(d))
	}
	return r, err
}

// CreateBlockingRule stores a blocking rule with its ladder (r.Ladder, validated against
// its profile; its generic reading is stored beside it as block_after_days and
// warning_days); a rule marked default replaces the previous default.
func (s *Store) CreateBlockingRule(ctx context.Context, r delinquency.Rule) (delinquency.Rule, error) {
	if err := r.Ladder.Validate(); err != nil {
		return delinquency.Rule{}, err
	}
	r.BlockAfterDays, r.WarningDays = r.Ladder.Reading()
	r.MinOverdue = r.Ladder.MinOverdue
	if err := r.Validate(); err != nil {
		return delinquency.Rule{}, err
	}
	if r.Ladder.Profile == "" {
		r.Ladder.Profile = delinquency.Generic
	}
	reminders := append([]int{}, r.Ladder.ReminderDays...)
	var out delinquency.Rule
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if r.Default {
			p, err := delinquency.ProfileOf(string(r.Ladder.Profile))
			if err != nil {
				return err
			}
			if err := checkNewDefaultRule(ctx, tx, p); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE blocking_rules SET is_default = false WHERE is_default"); err != nil {
				return fmt.Errorf("unset the default blocking rule: %w", err)
			}
		}
		l := r.Ladder
		var err error
		out, err = scanRule(tx.QueryRow(ctx, `INSERT INTO blocking_rules (name, block_after_days, min_overdue_installments,
				warning_days, is_default, profile, reminder_days, notice_after_days, partial_suspension_after_days,
				suspension_after_days, termination_after_days)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+ruleColumns,
			r.Name, r.BlockAfterDays, r.MinOverdue, r.WarningDays, r.Default, string(l.Profile), reminders, l.NoticeDays,
			l.PartialSuspensionDays, l.SuspensionDays, l.TerminationDays))
		if err != nil {
			return fmt.Errorf("create blocking rule: %w", err)
		}
		return nil
	})
	return out, err
}

// BlockingRule returns the blocking rule with the given id.
func (s *Store) BlockingRule(ctx context.Context, id int64) (delinquency.Rule, error) {
	r, err := scanRule(s.Pool.QueryRow(ctx, "SELECT "+ruleColumns+" FROM blocking_rules WHERE id = $1", id))
	return r, notFound(err, "blocking rule", id)
}

// BlockingRules lists blocking rules by id.
func (s *Store) BlockingRules(ctx context.Context, page Page) ([]delinquency.Rule, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+ruleColumns+" FROM blocking_rules WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list blocking rules: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (delinquency.Rule, error) { return scanRule(r) })
}

// BlockEpisodes returns the block episodes of the given contracts, oldest first, counting
// the days of total suspension (those the inactivity discount counts) up to today for a
// suspension still in force.
func (s *Store) BlockEpisodes(ctx context.Context, contracts []int64, today time.Time) (map[int64][]BlockEpisode, error) {
	return readBlockEpisodes(ctx, s.Pool, contracts, today)
}

// readBlockEpisodes is BlockEpisodes with q (the pool, or a transaction's snapshot).
func readBlockEpisodes(ctx context.Context, q Queryer, contracts []int64, today time.Time) (map[int64][]BlockEpisode, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.contract_id, e.installment_id, e.started_on, e.ended_on, e.reason,
			coalesce(e.end_reason, ''), e.trust_unlock_until, e.trust_unlocks, e.reblocks,
			coalesce((SELECT s.level FROM block_segments s WHERE s.episode_id = e.id AND s.blocked_to IS NULL), ''),
			(SELECT coalesce(sum(greatest(coalesce(s.blocked_to, greatest($2::date, s.blocked_from)) - s.blocked_from, 0)), 0)
				FROM block_segments s WHERE s.episode_id = e.id AND s.level = 'total')
		FROM block_episodes e WHERE e.contract_id = ANY($1) ORDER BY e.contract_id, e.id`, contracts, today)
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	out := map[int64][]BlockEpisode{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var e BlockEpisode
		var ended, trust pgtype.Date
		err := r.Scan(&e.ID, &e.ContractID, &e.InstallmentID, &e.StartedOn, &ended, &e.Reason, &e.EndReason, &trust,
			&e.TrustUnlocks, &e.Reblocks, &e.Level, &e.BlockedDays)
		e.EndedOn, e.TrustUnlockUntil, e.Blocked = optDate(ended), optDate(trust), e.Level != ""
		out[e.ContractID] = append(out[e.ContractID], e)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	return out, nil
}

// TrustUnlock lifts the suspension (total or partial) of a contract from on for days days
// (see delinquency.TrustUntil); the block-delinquent sweep suspends it again after them
// when its ladder still holds it there. billing.ErrConflict when the contract is not
// suspended or its episode has had all the trust unlocks it allows.
func (s *Store) TrustUnlock(ctx context.Context, id int64, on time.Time, days int, limits TrustLimits) (billing.Contract, error) {
	until, err := delinquency.TrustUntil(on, days, limits.MaxDays)
	if err != nil {
		return billing.Contract{}, err
	}
	return s.changeContract(ctx, id, func(tx pgx.Tx, c billing.Contract) error {
		if c.Status != billing.StatusBlocked && c.Status != billing.StatusSuspendedPartial {
			return fmt.Errorf("%w: contract %d is %s; only a blocked (or partially suspended) contract can be trust-unlocked",
				billing.ErrConflict, id, c.Status)
		}
		var episode int64
		var unlocks int
		err := tx.QueryRow(ctx, `SELECT id, trust_unlocks FROM block_episodes WHERE contract_id = $1 AND ended_on IS NULL`, id).
			Scan(&episode, &unlocks)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: contract %d is blocked without an open block episode", billing.ErrConflict, id)
		}
		if err != nil {
			return fmt.Errorf("read block episode of contract %d: %w", id, err)
		}
		if unlocks >= limits.PerEpisode {
			return fmt.Errorf("%w: contract %d already had %d trust unlock(s) in block episode %d; BILLINGD_TRUST_UNLOCKS_PER_EPISODE allows %d",
				billing.ErrConflict, id, unlocks, episode, limits.PerEpisode)
		}
		// The restored event is the lifted segment's, as closeEpisodes names it: episode:<id>:<n>.
		if _, err := tx.Exec(ctx, `WITH s AS (UPDATE block_segments SET blocked_to = greatest($2::date, blocked_from)
				WHERE episode_id = $1 AND blocked_to IS NULL RETURNING blocked_to)
			INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'contract.restored', $3, 'episode:' || $1 || ':' || (SELECT count(*) FROM block_segments x WHERE x.episode_id = $1),
				s.blocked_to, jsonb_build_object('episode_id', $1::bigint, 'reason', 'trust_unlock', 'until', $4::date)
			FROM s ON CONFLICT (kind, subject_key) DO NOTHING`, episode, on, id, until); err != nil {
			return fmt.Errorf("lift block: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE block_episodes SET trust_unlocks = trust_unlocks + 1, trust_unlock_until = $2
			WHERE id = $1`, episode, until); err != nil {
			return fmt.Errorf("record trust unlock: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE contracts SET status = 'active', updated_at = now() WHERE id = $1`, id); err != nil {
			return fmt.Errorf("unblock contract: %w", err)
		}
		var notices []int64
		rows, err := tx.Query(ctx, `INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'unblocked', $2)
			ON CONFLICT DO NOTHING RETURNING id`, id, strconv.FormatInt(episode, 10)+"-trust-"+strconv.Itoa(unlocks+1))
		if err == nil {
			notices, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil {
			return fmt.Errorf("record unblocked notice: %w", err)
		}
		return noticesRecorded(ctx, tx, s.FollowUps, notices)
	})
}

// UnblockResult says what UnblockAfterPayment did.
type UnblockResult struct {
	// Episode is the block episode it closed, zero when none.
	Episode int64
	// Unblocked is true when the contract was blocked and now is active.
	Unblocked bool
}

// UnblockAfterPayment closes the open block episode of a contract when its ladder no longer
// holds it suspended as of paidAt, the date of the payment that triggered it (delinquency
// is judged by the payment's date, not by when it was recorded), lifting the suspension on
// today, and stores the contract's position as of paidAt (forgetting its debt notice when
// it is off the ladder). A contract with nothing to close, or still suspended as of paidAt,
// is left as it is.
func (s *Store) UnblockAfterPayment(ctx context.Context, contract int64, paidAt, today time.Time) (UnblockResult, error) {
	res, err := s.UnblockAfterPayments(ctx, []int64{contract}, paidAt, today)
	if err != nil {
		return UnblockResult{}, err
	}
	return res[contract], nil
}

// UnblockAfterPayments is UnblockAfterPayment for many contracts paid on the same date, in
// one transaction: their contracts locked in id order, one ladder read, one close of the
// episodes that end, one attach of their discounts and one store of their positions
// (a return file's chunk settles thousands of blocked contracts at once). It returns what it
// did of each contract; a contract left as it is has the zero UnblockResult.
func (s *Store) UnblockAfterPayments(ctx context.Context, contracts []int64, paidAt, today time.Time) (map[int64]UnblockResult, error) {
	ids := slices.Clone(contracts)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var res map[int64]UnblockResult
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		res = make(map[int64]UnblockResult, len(ids))
		states, err := loadLadder(ctx, tx, ladderQuery{ids: ids, asOf: paidAt, lock: true, loc: s.location()})
		if err != nil {
			return err
		}
		var (
			episodes, closing []int64
			ends              []time.Time
			m                 ladderMoves
		)
		for _, c := range states {
			if c.episode == nil {
				continue
			}
			st := c.state
			st.StepSince = time.Time{}
			st.Suspended, st.SuspendedSince = false, time.Time{}
			p := delinquency.PositionAt(st, paidAt)
			if p.Step.Suspends() || p.Step == delinquency.StepTermination {
				continue
			}
			notice := c.noticeID
			if p.Step.Rank() < delinquency.StepDebtNotice.Rank() {
				notice = 0
			}
			step, since := p.Step.Stored(), p.Since
			if step == delinquency.StepNone {
				since = time.Time{}
			}
			episodes, ends, closing = append(episodes, c.episode.id), append(ends, today), append(closing, c.id)
			m.steps = append(m.steps, stepMove{contract: c.id, step: step, since: since, notice: notice})
			// closeEpisodes makes a partially suspended or blocked contract active.
			res[c.id] = UnblockResult{Episode: c.episode.id,
				Unblocked: c.status == string(billing.StatusBlocked) || c.status == string(billing.StatusSuspendedPartial)}
		}
		if len(episodes) == 0 {
			return nil
		}
		_, notices, err := closeEpisodes(ctx, tx, episodes, ends, records.EndedByPayment)
		if err != nil {
			return err
		}
		if _, err := attachDiscountsWhere(ctx, tx, "d.contract_id = ANY($1)", closing); err != nil {
			return err
		}
		if err := m.storeSteps(ctx, tx); err != nil {
			return err
		}
		return noticesRecorded(ctx, tx, s.FollowUps, notices)
	})
	if err != nil {
		return nil, fmt.Errorf("unblock %d contracts after payments of %s: %w", len(ids), billing.FormatDate(paidAt), err)
	}
	return res, nil
}
