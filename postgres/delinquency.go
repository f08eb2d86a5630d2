package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

const ruleColumns = `id, name, block_after_days, min_overdue_installments, warning_days, is_default, created_at`

func scanRule(row pgx.Row) (delinquency.Rule, error) {
	var r delinquency.Rule
	err := row.Scan(&r.ID, &r.Name, &r.BlockAfterDays, &r.MinOverdue, &r.WarningDays, &r.Default, &r.CreatedAt)
	return r, err
}

// CreateBlockingRule stores a blocking rule; a rule marked default replaces the previous default.
func (s *Store) CreateBlockingRule(ctx context.Context, r delinquency.Rule) (delinquency.Rule, error) {
	if err := r.Validate(); err != nil {
		return delinquency.Rule{}, err
	}
	var out delinquency.Rule
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if r.Default {
			if _, err := tx.Exec(ctx, "UPDATE blocking_rules SET is_default = false WHERE is_default"); err != nil {
				return fmt.Errorf("unset the default blocking rule: %w", err)
			}
		}
		var err error
		out, err = scanRule(tx.QueryRow(ctx, `INSERT INTO blocking_rules (name, block_after_days, min_overdue_installments,
				warning_days, is_default) VALUES ($1, $2, $3, $4, $5) RETURNING `+ruleColumns,
			r.Name, r.BlockAfterDays, r.MinOverdue, r.WarningDays, r.Default))
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
// the days of a block still in force up to today.
func (s *Store) BlockEpisodes(ctx context.Context, contracts []int64, today time.Time) (map[int64][]BlockEpisode, error) {
	rows, err := s.Pool.Query(ctx, `SELECT e.id, e.contract_id, e.installment_id, e.started_on, e.ended_on, e.reason,
			coalesce(e.end_reason, ''), e.trust_unlock_until, e.trust_unlocks, e.reblocks,
			EXISTS (SELECT 1 FROM block_segments s WHERE s.episode_id = e.id AND s.blocked_to IS NULL),
			(SELECT coalesce(sum(greatest(coalesce(s.blocked_to, greatest($2::date, s.blocked_from)) - s.blocked_from, 0)), 0)
				FROM block_segments s WHERE s.episode_id = e.id)
		FROM block_episodes e WHERE e.contract_id = ANY($1) ORDER BY e.contract_id, e.id`, contracts, today)
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	out := map[int64][]BlockEpisode{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var e BlockEpisode
		var ended, trust pgtype.Date
		err := r.Scan(&e.ID, &e.ContractID, &e.InstallmentID, &e.StartedOn, &ended, &e.Reason, &e.EndReason, &trust,
			&e.TrustUnlocks, &e.Reblocks, &e.Blocked, &e.BlockedDays)
		e.EndedOn, e.TrustUnlockUntil = optDate(ended), optDate(trust)
		out[e.ContractID] = append(out[e.ContractID], e)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	return out, nil
}

// TrustUnlock lifts the block of a blocked contract from on for days days (see
// delinquency.TrustUntil); the block-delinquent sweep blocks it again after them when its
// rule still holds. billing.ErrConflict when the contract is not blocked or its episode has had
// all the trust unlocks it allows.
func (s *Store) TrustUnlock(ctx context.Context, id int64, on time.Time, days int, limits TrustLimits) (billing.Contract, error) {
	until, err := delinquency.TrustUntil(on, days, limits.MaxDays)
	if err != nil {
		return billing.Contract{}, err
	}
	return s.changeContract(ctx, id, func(tx pgx.Tx, c billing.Contract) error {
		if c.Status != billing.StatusBlocked {
			return fmt.Errorf("%w: contract %d is %s; only a blocked contract can be trust-unlocked", billing.ErrConflict, id, c.Status)
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
		if _, err := tx.Exec(ctx, `UPDATE block_segments SET blocked_to = greatest($2::date, blocked_from)
			WHERE episode_id = $1 AND blocked_to IS NULL`, episode, on); err != nil {
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

// UnblockAfterPayment closes the open block episode of a contract when its rule no longer
// holds as of paidAt, the date of the payment that triggered it (delinquency is judged by
// the payment's date, not by when it was recorded), lifting the block on today. A contract
// with nothing to close, or still delinquent as of paidAt, is left as it is.
func (s *Store) UnblockAfterPayment(ctx context.Context, contract int64, paidAt, today time.Time) (UnblockResult, error) {
	var res UnblockResult
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		res = UnblockResult{}
		states, err := loadStates(ctx, tx, contract, contract, paidAt, true)
		if err != nil || len(states) == 0 || states[0].state.Episode == nil {
			return err
		}
		st := states[0].state
		if delinquency.Holds(st.Rule, st.Prepaid, st.Open, paidAt) {
			return nil
		}
		n, notices, err := closeEpisodes(ctx, tx, []int64{st.Episode.ID}, []time.Time{today}, records.EndedByPayment)
		if err != nil {
			return err
		}
		if _, err := attachDiscounts(ctx, tx, contract, contract); err != nil {
			return err
		}
		res = UnblockResult{Episode: st.Episode.ID, Unblocked: n > 0}
		return noticesRecorded(ctx, tx, s.FollowUps, notices)
	})
	if err != nil {
		return UnblockResult{}, fmt.Errorf("unblock contract %d after a payment of %s: %w", contract, billing.FormatDate(paidAt), err)
	}
	return res, nil
}
