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

// BlockSweep is the block-delinquent sweep: as of a date it warns, blocks, re-blocks after
// an expired trust unlock and (as a safety net for the payment job) unblocks the contracts
// their blocking rules select, undoes or restarts the blocks a run for a future date
// opened (see delinquency.Decide), and attaches pending inactivity discounts. It plans over
// the open overdue installments of active contracts (the installments_open_due index),
// the blocked contracts (contracts_status) and the pending discount lines; a batch reads
// its contracts and their overdue installments in two queries, decides each contract with
// delinquency.Decide and writes each kind of change with one set-based statement. Every
// write is keyed (one open episode per contract, notices by (contract, kind, reference)),
// so a rerun changes nothing. The notices a batch records (block_warning, blocked,
// unblocked) are handed to the follow-ups in the batch's transaction, all at once, so they
// are delivered as soon as it commits.
type BlockSweep struct {
	// FollowUps takes the notices each batch records (the store's follow-ups); nil leaves
	// them to the send-notices sweep.
	FollowUps FollowUps
	// Today returns the business date now (in the business time zone): a block that
	// started after it was opened by a run for a future date. Nil takes each run's as-of
	// date for today, as if every run ran on its own date.
	Today func() time.Time
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
			WHERE installment_overdue(i.state, i.due_date, $1) AND c.status = 'active'
		UNION SELECT id FROM contracts WHERE status = 'blocked'
		UNION SELECT contract_id FROM installment_discounts WHERE installment_id IS NULL`, asOf, batchSize)
}

// sweepContract is one contract as a delinquency batch reads it.
type sweepContract struct {
	id    int64
	state delinquency.State
}

// loadStates reads, locked, the active contracts in [from, to] with an open installment due
// before asOf and the blocked ones (every active or blocked contract in the range when
// all), with their rule, open episode and open installments due before asOf. It also locks,
// in the same ascending pass, the contracts in the range with an inactivity discount
// waiting for an installment (attachDiscounts changes their installments), without
// returning them.
func loadStates(ctx context.Context, tx pgx.Tx, from, to int64, asOf time.Time, all bool) ([]sweepContract, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.due_rule_kind = 'prepaid_fixed_day', r.id, r.block_after_days,
			r.min_overdue_installments, r.warning_days, d.decide
		FROM contracts c
		JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
		CROSS JOIN LATERAL (SELECT c.status = 'blocked' OR (c.status = 'active' AND ($4 OR EXISTS (
			SELECT 1 FROM installments i WHERE i.contract_id = c.id AND installment_overdue(i.state, i.due_date, $3)))) AS decide) d
		WHERE c.id BETWEEN $1 AND $2 AND (d.decide OR c.id IN (SELECT contract_id FROM installment_discounts
			WHERE installment_id IS NULL AND contract_id BETWEEN $1 AND $2))
		ORDER BY c.id FOR NO KEY UPDATE OF c`, from, to, asOf, all)
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	var out []sweepContract
	index := map[int64]int{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var c sweepContract
		var decide bool
		rule := &c.state.Rule
		if err := r.Scan(&c.id, &c.state.Prepaid, &rule.ID, &rule.BlockAfterDays, &rule.MinOverdue, &rule.WarningDays,
			&decide); err != nil {
			return struct{}{}, err
		}
		if !decide {
			return struct{}{}, nil // locked for attachDiscounts only
		}
		index[c.id] = len(out)
		out = append(out, c)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(out))
	for i, c := range out {
		ids[i] = c.id
	}
	// Episodes and their open segments are read by id lists, not joined: the plan stays
	// linear even while the planner still believes the delinquency tables empty.
	rows, err = tx.Query(ctx, `SELECT contract_id, id, started_on, trust_unlock_until FROM block_episodes
		WHERE contract_id = ANY($1) AND ended_on IS NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	byEpisode := map[int64]*delinquency.Episode{}
	var episodes []int64
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var contract int64
		var e delinquency.Episode
		var trust pgtype.Date
		if err := r.Scan(&contract, &e.ID, &e.StartedOn, &trust); err != nil {
			return struct{}{}, err
		}
		e.TrustUntil = optDate(trust)
		out[index[contract]].state.Episode = &e
		byEpisode[e.ID] = &e
		episodes = append(episodes, e.ID)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read block episodes: %w", err)
	}
	if len(episodes) > 0 {
		rows, err = tx.Query(ctx, `SELECT episode_id FROM block_segments WHERE episode_id = ANY($1) AND blocked_to IS NULL`, episodes)
		if err != nil {
			return nil, fmt.Errorf("read block segments: %w", err)
		}
		blocked, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, fmt.Errorf("read block segments: %w", err)
		}
		for _, id := range blocked {
			byEpisode[id].Blocked = true
		}
	}
	rows, err = tx.Query(ctx, `SELECT contract_id, id, kind, sequence, due_date, service_start FROM installments
		WHERE contract_id = ANY($1) AND installment_overdue(state, due_date, $2)`, ids, asOf)
	if err != nil {
		return nil, fmt.Errorf("read open installments: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var contract int64
		var in delinquency.Installment
		var start pgtype.Date
		if err := r.Scan(&contract, &in.ID, &in.Kind, &in.Sequence, &in.Due, &start); err != nil {
			return struct{}{}, err
		}
		in.ServiceStart = optDate(start)
		c := &out[index[contract]]
		c.state.Open = append(c.state.Open, in)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read open installments: %w", err)
	}
	return out, nil
}

// Batch implements jobs.Sweep.
func (s BlockSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	contracts, err := loadStates(ctx, tx, fromID, toID, asOf, false)
	if err != nil {
		return nil, err
	}
	today := s.today(asOf)
	var (
		warnContract, warnInstallment   []int64
		blockContract, blockInstallment []int64
		blockReason                     []string
		reblockEpisode, unblocks        []int64
		restartEpisode                  []int64
	)
	for _, c := range contracts {
		d := delinquency.Decide(c.state, asOf, today)
		switch d.Action {
		case delinquency.Warn:
			warnContract = append(warnContract, c.id)
			warnInstallment = append(warnInstallment, d.Block.Trigger.ID)
		case delinquency.BlockNow:
			blockContract = append(blockContract, c.id)
			blockInstallment = append(blockInstallment, d.Block.Trigger.ID)
			blockReason = append(blockReason, d.Block.Reason)
		case delinquency.Reblock:
			reblockEpisode = append(reblockEpisode, c.state.Episode.ID)
		case delinquency.Unblock:
			unblocks = append(unblocks, c.state.Episode.ID)
		case delinquency.Restart:
			restartEpisode = append(restartEpisode, c.state.Episode.ID)
		}
	}
	counts := map[string]int64{}
	var notices []int64 // recorded by this batch, to be delivered
	if len(warnContract) > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO notices (contract_id, kind, reference)
			SELECT c, 'block_warning', i::text FROM unnest($1::bigint[], $2::bigint[]) AS u(c, i)
			ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id`, warnContract, warnInstallment)
		if err != nil {
			return nil, fmt.Errorf("record warnings: %w", err)
		}
		warned, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, fmt.Errorf("record warnings: %w", err)
		}
		counts["contracts_warned"] = int64(len(warned))
		notices = append(notices, warned...)
	}
	if len(blockContract) > 0 {
		var blocked int64
		var recorded []int64
		if err := tx.QueryRow(ctx, `WITH e AS (
				INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
				SELECT c, i, $4, r FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(c, i, r)
				ON CONFLICT (contract_id) WHERE ended_on IS NULL DO NOTHING
				RETURNING id, contract_id, started_on),
			s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, started_on FROM e),
			n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id::text FROM e
				ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id),
			c AS (UPDATE contracts c SET status = 'blocked', updated_at = now() FROM e WHERE c.id = e.contract_id RETURNING 1)
			SELECT (SELECT count(*) FROM c), array(SELECT id FROM n)`,
			blockContract, blockInstallment, blockReason, asOf).Scan(&blocked, &recorded); err != nil {
			return nil, fmt.Errorf("block contracts: %w", err)
		}
		counts["contracts_blocked"] = blocked
		notices = append(notices, recorded...)
	}
	if len(reblockEpisode) > 0 {
		var reblocked int64
		var recorded []int64
		if err := tx.QueryRow(ctx, `WITH e AS (
				UPDATE block_episodes e SET reblocks = reblocks + 1 FROM unnest($1::bigint[]) AS u(id)
				WHERE e.id = u.id AND e.ended_on IS NULL
				  AND NOT EXISTS (SELECT 1 FROM block_segments s WHERE s.episode_id = e.id AND s.blocked_to IS NULL)
				RETURNING e.id, e.contract_id, e.reblocks),
			s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, $2 FROM e),
			n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id || '-reblock-' || reblocks FROM e
				ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id),
			c AS (UPDATE contracts c SET status = 'blocked', updated_at = now() FROM e WHERE c.id = e.contract_id RETURNING 1)
			SELECT (SELECT count(*) FROM c), array(SELECT id FROM n)`,
			reblockEpisode, asOf).Scan(&reblocked, &recorded); err != nil {
			return nil, fmt.Errorf("block contracts again: %w", err)
		}
		counts["contracts_reblocked"] = reblocked
		notices = append(notices, recorded...)
	}
	if len(restartEpisode) > 0 {
		// The block is in force (its one open segment started with the episode): both start
		// on the as-of date instead, so the days it counts are the days it was due.
		tag, err := tx.Exec(ctx, `WITH e AS (
				UPDATE block_episodes e SET started_on = $2 FROM unnest($1::bigint[]) AS u(id)
				WHERE e.id = u.id AND e.ended_on IS NULL AND e.started_on > $2
				RETURNING e.id)
			UPDATE block_segments s SET blocked_from = $2 FROM e
			WHERE s.episode_id = e.id AND s.blocked_to IS NULL AND s.blocked_from > $2`,
			restartEpisode, asOf)
		if err != nil {
			return nil, fmt.Errorf("restart blocks opened by a run for a future date: %w", err)
		}
		counts["blocks_restarted"] = tag.RowsAffected()
	}
	if len(unblocks) > 0 {
		ends := make([]time.Time, len(unblocks))
		for i := range ends {
			ends[i] = asOf
		}
		n, recorded, err := closeEpisodes(ctx, tx, unblocks, ends, records.EndedByRule)
		if err != nil {
			return nil, err
		}
		counts["contracts_unblocked"] = n
		notices = append(notices, recorded...)
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

// closeEpisodes ends the given open episodes on the given dates (never before they
// started) for reason: it lifts their blocks, makes their blocked contracts active with an
// `unblocked` notice, and records the inactivity discount of contracts that have the
// option. It returns how many contracts it unblocked and the ids of the notices it recorded.
func closeEpisodes(ctx context.Context, tx pgx.Tx, episodes []int64, ends []time.Time, reason string) (int64, []int64, error) {
	endDates := make([]pgtype.Date, len(ends))
	for i, e := range ends {
		endDates[i] = date(e)
	}
	if _, err := tx.Exec(ctx, `UPDATE block_segments s SET blocked_to = greatest(u.ended, s.blocked_from)
		FROM unnest($1::bigint[], $2::date[]) AS u(id, ended) WHERE s.episode_id = u.id AND s.blocked_to IS NULL`,
		episodes, endDates); err != nil {
		return 0, nil, fmt.Errorf("lift blocks: %w", err)
	}
	rows, err := tx.Query(ctx, `WITH e AS (
			UPDATE block_episodes e SET ended_on = greatest(u.ended, e.started_on), end_reason = $3
			FROM unnest($1::bigint[], $2::date[]) AS u(id, ended) WHERE e.id = u.id AND e.ended_on IS NULL
			RETURNING e.id, e.contract_id),
		c AS (UPDATE contracts c SET status = 'active', updated_at = now() FROM e
			WHERE c.id = e.contract_id AND c.status = 'blocked' RETURNING c.id),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT e.contract_id, 'unblocked', e.id::text FROM e
			JOIN c ON c.id = e.contract_id ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id, contract_id)
		SELECT e.id, e.contract_id, k.price, c.id IS NOT NULL, k.inactivity_discount AND p.period = 'monthly',
			array(SELECT s.blocked_from FROM block_segments s WHERE s.episode_id = e.id ORDER BY s.blocked_from),
			array(SELECT s.blocked_to FROM block_segments s WHERE s.episode_id = e.id ORDER BY s.blocked_from), n.id
		FROM e JOIN contracts k ON k.id = e.contract_id JOIN plans p ON p.id = k.plan_id
		LEFT JOIN c ON c.id = e.contract_id LEFT JOIN n ON n.contract_id = e.contract_id`, episodes, endDates, reason)
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
// the contract's earliest open recurring installment due on or after the episode's end,
// capped so that the installment's amount less its discounts stays at or above zero, as an
// inactivity_discount line (source "inactivity:<episode id>", the discount's reason as its
// description) that moves the installment's discount (changeLines). A discount with no such
// installment yet waits for the next one generated. It returns how many it attached.
func attachDiscounts(ctx context.Context, tx pgx.Tx, from, to int64) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT d.id, d.episode_id, d.reason, d.computed, n.id, n.amount, n.discount, n.on_time_discount
		FROM installment_discounts d JOIN block_episodes e ON e.id = d.episode_id
		JOIN LATERAL (SELECT i.id, i.amount, i.discount, i.on_time_discount FROM installments i
			WHERE i.contract_id = d.contract_id AND i.state = 'open' AND i.kind = 'recurring' AND i.due_date >= e.ended_on
			ORDER BY i.due_date, i.id LIMIT 1) n ON true
		WHERE d.installment_id IS NULL AND d.contract_id BETWEEN $1 AND $2
		ORDER BY d.id FOR UPDATE OF d`, from, to)
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
