package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// closeEpisodes ends the given open episodes on the given dates (never before they
// started) for reason and records the inactivity discount (of the days of total
// suspension) of contracts that have the option. For a restoration (payment, rule) it
// lifts their suspension with the event contract.restored, and makes their partially
// suspended or blocked contracts active with an `unblocked` notice; for a termination
// (records.EndedByTermination) the contract's status is the terminator's to change. It
// returns how many contracts it made active and the ids of the notices it recorded.
func closeEpisodes(ctx context.Context, tx pgx.Tx, episodes []int64, ends []time.Time, reason string) (int64, []int64, error) {
	endDates := make([]pgtype.Date, len(ends))
	for i, e := range ends {
		endDates[i] = date(e)
	}
	restore := reason != records.EndedByTermination
	// The restored event is the open segment's: episode:<id>:<n>, n its ordinal.
	if _, err := tx.Exec(ctx, `WITH s AS (
			UPDATE block_segments s SET blocked_to = greatest(u.ended, s.blocked_from)
			FROM unnest($1::bigint[], $2::date[]) AS u(id, ended) WHERE s.episode_id = u.id AND s.blocked_to IS NULL
			RETURNING s.episode_id, s.blocked_to)
		INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
		SELECT 'contract.restored', e.contract_id,
			'episode:' || e.id || ':' || (SELECT count(*) FROM block_segments x WHERE x.episode_id = e.id), s.blocked_to,
			jsonb_build_object('episode_id', e.id, 'reason', $3::text)
		FROM s JOIN block_episodes e ON e.id = s.episode_id WHERE $4
		ON CONFLICT (kind, subject_key) DO NOTHING`, episodes, endDates, reason, restore); err != nil {
		return 0, nil, fmt.Errorf("lift suspensions: %w", err)
	}
	rows, err := tx.Query(ctx, `WITH e AS (
			UPDATE block_episodes e SET ended_on = greatest(u.ended, e.started_on), end_reason = $3
			FROM unnest($1::bigint[], $2::date[]) AS u(id, ended) WHERE e.id = u.id AND e.ended_on IS NULL
			RETURNING e.id, e.contract_id),
		c AS (UPDATE contracts c SET status = 'active', updated_at = now() FROM e
			WHERE c.id = e.contract_id AND c.status IN ('suspended_partial', 'blocked') AND $4 RETURNING c.id),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT e.contract_id, 'unblocked', e.id::text FROM e
			JOIN c ON c.id = e.contract_id ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id, contract_id)
		SELECT e.id, e.contract_id, k.price, c.id IS NOT NULL, k.inactivity_discount AND p.period = 'monthly',
			array(SELECT s.blocked_from FROM block_segments s WHERE s.episode_id = e.id AND s.level = 'total' ORDER BY s.blocked_from),
			array(SELECT s.blocked_to FROM block_segments s WHERE s.episode_id = e.id AND s.level = 'total' ORDER BY s.blocked_from), n.id
		FROM e JOIN contracts k ON k.id = e.contract_id JOIN plans p ON p.id = k.plan_id
		LEFT JOIN c ON c.id = e.contract_id LEFT JOIN n ON n.contract_id = e.contract_id`, episodes, endDates, reason, restore)
	if err != nil {
		return 0, nil, fmt.Errorf("close block episodes: %w", err)
	}
	var (
		unblocked                           int64
		notices                             []int64
		discEpisode, discContract, discDays []int64
		discComputed                        []decimal.Decimal
		discReason                          []string
	)
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			episode, contract      int64
			price                  decimal.Decimal
			wasBlocked, discounted bool
			froms, tos             []time.Time
			notice                 *int64
		)
		// Segments were all closed above, so blocked_to is never NULL here.
		if err := r.Scan(&episode, &contract, &price, &wasBlocked, &discounted, &froms, &tos, &notice); err != nil {
			return struct{}{}, err
		}
		if wasBlocked {
			unblocked++
		}
		if notice != nil {
			notices = append(notices, *notice)
		}
		if !discounted {
			return struct{}{}, nil
		}
		segs := make([]delinquency.Segment, len(froms))
		for i := range froms {
			segs[i] = delinquency.Segment{From: froms[i], To: tos[i]}
		}
		days := delinquency.BlockedDays(segs)
		if days == 0 {
			// Lifted the day it began (or a block a run for a future date opened, undone):
			// nothing to discount, so no line.
			return struct{}{}, nil
		}
		amount := delinquency.InactivityDiscount(price, segs)
		discEpisode = append(discEpisode, episode)
		discContract = append(discContract, contract)
		discDays = append(discDays, int64(days))
		discComputed = append(discComputed, amount)
		discReason = append(discReason, fmt.Sprintf("inactivity discount: %d days blocked in block episode %d at %s a month (price ÷ days of each month × blocked days in it) = %s",
			days, episode, billing.FormatMoney(price), billing.FormatMoney(amount)))
		return struct{}{}, nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("close block episodes: %w", err)
	}
	if len(discEpisode) == 0 {
		return unblocked, notices, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO installment_discounts (contract_id, episode_id, blocked_days, computed, reason)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::numeric[], $5::text[])
		ON CONFLICT (episode_id) DO NOTHING`, discContract, discEpisode, discDays, discComputed, discReason); err != nil {
		return 0, nil, fmt.Errorf("record inactivity discounts: %w", err)
	}
	return unblocked, notices, nil
}

// attachDiscounts puts each pending inactivity discount of the contracts in [from, to] on
// the contract's earliest open recurring installment due on or after the episode's end
// (for a terminated contract, which has none, its latest open recurring installment: the
// suspended days are not charged), capped so that the installment's amount less its discounts stays at or above zero, as an
// inactivity_discount line (source "inactivity:<episode id>", the discount's reason as its
// description) that moves the installment's discount (changeLines). A discount with no such
// installment yet waits for the next one generated. It returns how many it attached.
func attachDiscounts(ctx context.Context, tx pgx.Tx, from, to int64) (int64, error) {
	return attachDiscountsWhere(ctx, tx, "d.contract_id BETWEEN $1 AND $2", from, to)
}

// attachDiscountsWhere is attachDiscounts for the pending discounts whose contracts match
// where (a condition on d.contract_id, with its arguments).
func attachDiscountsWhere(ctx context.Context, tx pgx.Tx, where string, args ...any) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT d.id, d.episode_id, d.reason, d.computed, n.id, n.amount, n.discount, n.on_time_discount
		FROM installment_discounts d JOIN block_episodes e ON e.id = d.episode_id
		JOIN LATERAL (SELECT i.id, i.amount, i.discount, i.on_time_discount FROM installments i
			WHERE i.contract_id = d.contract_id AND i.state = 'open' AND i.kind = 'recurring'
			  AND (i.due_date >= e.ended_on OR e.end_reason = 'terminated')
			ORDER BY i.due_date >= e.ended_on DESC, CASE WHEN i.due_date >= e.ended_on THEN i.due_date END, i.due_date DESC, i.id
			LIMIT 1) n ON true
		WHERE d.installment_id IS NULL AND `+where+`
		ORDER BY d.id FOR UPDATE OF d`, args...)
	if err != nil {
		return 0, fmt.Errorf("read pending discounts: %w", err)
	}
	type pending struct {
		id, episode, installment           int64
		reason                             string
		computed, amount, discount, onTime decimal.Decimal
	}
	discounts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		return p, r.Scan(&p.id, &p.episode, &p.reason, &p.computed, &p.installment, &p.amount, &p.discount, &p.onTime)
	})
	if err != nil {
		return 0, fmt.Errorf("read pending discounts: %w", err)
	}
	if len(discounts) == 0 {
		return 0, nil
	}
	added := map[int64]decimal.Decimal{}
	var ids, insts []int64
	var amounts []decimal.Decimal
	var lines []NewLine
	one := decimal.NewFromInt(1)
	for _, p := range discounts {
		got := delinquency.CapDiscount(p.computed, p.amount, p.discount.Add(added[p.installment]), p.onTime)
		added[p.installment] = added[p.installment].Add(got)
		ids, insts, amounts = append(ids, p.id), append(insts, p.installment), append(amounts, got)
		lines = append(lines, NewLine{InstallmentID: p.installment, Line: billing.Line{Kind: billing.LineInactivityDiscount,
			Description: p.reason, Quantity: one, Amount: got.Neg(), SourceKey: fmt.Sprintf("inactivity:%d", p.episode)}})
	}
	if _, err := tx.Exec(ctx, `UPDATE installment_discounts d SET installment_id = u.inst, amount = u.amount
		FROM unnest($1::bigint[], $2::bigint[], $3::numeric[]) AS u(id, inst, amount) WHERE d.id = u.id`,
		ids, insts, amounts); err != nil {
		return 0, fmt.Errorf("attach discounts: %w", err)
	}
	if _, _, err := changeLines(ctx, tx, LineChange{Add: lines}); err != nil {
		return 0, fmt.Errorf("apply discounts: %w", err)
	}
	return int64(len(discounts)), nil
}
