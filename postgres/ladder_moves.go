package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// ladderMoves are the changes one block-delinquent batch makes, gathered per kind so that
// each kind is one set-based statement (see ladderMoves.apply).
type ladderMoves struct {
	notice    []noticeMove
	open      []openMove
	resume    []levelMove
	change    []levelMove
	restore   []int64 // episodes
	restart   []int64 // episodes
	terminate []ladderContract
	steps     []stepMove
	reminders []reminderMove
}

// noticeMove records a contract's debt notice about its trigger installment.
type noticeMove struct{ contract, trigger int64 }

// openMove opens a block episode at a level.
type openMove struct {
	contract, trigger int64
	level, reason     string
}

// levelMove suspends an open episode at a level: again after a trust unlock (resume), or
// at another level than its open segment's (change).
type levelMove struct {
	episode int64
	level   string
}

// stepMove stores a contract's ladder position; notice is its debt notice (0: none).
type stepMove struct {
	contract int64
	step     delinquency.StepKind
	since    time.Time
	notice   int64
}

// reminderMove records a reminder of an installment, days before its due date.
type reminderMove struct {
	contract, installment int64
	days                  int
}

// apply writes the moves as of asOf and returns the counts and the ids of the notices it
// recorded (to be delivered).
func (m *ladderMoves) apply(ctx context.Context, tx pgx.Tx, asOf time.Time) (map[string]int64, []int64, error) {
	counts := map[string]int64{}
	var notices []int64
	add := func(key string, n int64, ids []int64) {
		if n > 0 {
			counts[key] += n
		}
		notices = append(notices, ids...)
	}
	warned, err := m.recordNotices(ctx, tx, asOf)
	if err != nil {
		return nil, nil, err
	}
	add("contracts_warned", int64(len(warned)), warned)
	partial, total, ids, err := m.openEpisodes(ctx, tx, asOf)
	if err != nil {
		return nil, nil, err
	}
	add("contracts_partially_suspended", partial, ids)
	add("contracts_blocked", total, nil)
	partial, total, ids, err = m.resumeEpisodes(ctx, tx, asOf)
	if err != nil {
		return nil, nil, err
	}
	add("contracts_partially_suspended", partial, ids)
	add("contracts_reblocked", total, nil)
	partial, total, ids, err = m.changeLevels(ctx, tx, asOf)
	if err != nil {
		return nil, nil, err
	}
	add("contracts_partially_suspended", partial, ids)
	add("contracts_blocked", total, nil)
	if len(m.restart) > 0 {
		// The suspension is in force (its one open segment started with the episode): both
		// start on the as-of date instead, so the days it counts are the days it was due.
		tag, err := tx.Exec(ctx, `WITH e AS (
				UPDATE block_episodes e SET started_on = $2 FROM unnest($1::bigint[]) AS u(id)
				WHERE e.id = u.id AND e.ended_on IS NULL AND e.started_on > $2
				RETURNING e.id)
			UPDATE block_segments s SET blocked_from = $2 FROM e
			WHERE s.episode_id = e.id AND s.blocked_to IS NULL AND s.blocked_from > $2`, m.restart, asOf)
		if err != nil {
			return nil, nil, fmt.Errorf("restart suspensions made by a run for a future date: %w", err)
		}
		add("blocks_restarted", tag.RowsAffected(), nil)
	}
	if len(m.restore) > 0 {
		ends := make([]time.Time, len(m.restore))
		for i := range ends {
			ends[i] = asOf
		}
		n, ids, err := closeEpisodes(ctx, tx, m.restore, ends, records.EndedByRule)
		if err != nil {
			return nil, nil, err
		}
		add("contracts_unblocked", n, ids)
	}
	n, ids, err := m.terminateContracts(ctx, tx, asOf)
	if err != nil {
		return nil, nil, err
	}
	add("contracts_terminated", n, ids)
	ids, err = m.recordReminders(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	add("reminders_recorded", int64(len(ids)), ids)
	if err := m.storeSteps(ctx, tx); err != nil {
		return nil, nil, err
	}
	return counts, notices, nil
}

// recordNotices records the debt notices (kind block_warning, keyed by the trigger
// installment) and moves their contracts to the debt_notice step since asOf, with the
// notice's id (one recorded earlier for the same installment counts: the customer was
// told of that debt), in one statement; it returns the ids recorded now.
func (m *ladderMoves) recordNotices(ctx context.Context, tx pgx.Tx, asOf time.Time) ([]int64, error) {
	if len(m.notice) == 0 {
		return nil, nil
	}
	contracts := make([]int64, len(m.notice))
	triggers := make([]string, len(m.notice))
	for i, n := range m.notice {
		contracts[i], triggers[i] = n.contract, strconv.FormatInt(n.trigger, 10)
	}
	var recorded []int64
	// The subquery reads the statement's snapshot: the notices recorded before it.
	if err := tx.QueryRow(ctx, `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS u(c, ref)),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT c, 'block_warning', ref FROM u
			ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id, contract_id),
		x AS (SELECT u.c, coalesce(n.id, (SELECT o.id FROM notices o WHERE o.contract_id = u.c AND o.kind = 'block_warning'
				AND o.reference = u.ref)) AS id
			FROM u LEFT JOIN n ON n.contract_id = u.c),
		k AS (UPDATE contracts c SET ladder_step = 'debt_notice', ladder_step_since = $3, ladder_notice_id = x.id
			FROM x WHERE c.id = x.c)
		SELECT array(SELECT id FROM n)`, contracts, triggers, asOf).Scan(&recorded); err != nil {
		return nil, fmt.Errorf("record debt notices: %w", err)
	}
	return recorded, nil
}

// suspendedTail is the end of the statements that suspend as of $1, given a CTE x of (id:
// the episode, contract_id, lvl, n: the segment's ordinal, reference: the notice's): the
// notice (partial_suspension or blocked), the event contract.suspended, and the contract's
// status and step (since $1 when the step changes); it selects the contracts suspended
// partially and totally, and the notices.
const suspendedTail = `,
	n AS (INSERT INTO notices (contract_id, kind, reference)
		SELECT contract_id, CASE lvl WHEN 'total' THEN 'blocked' ELSE 'partial_suspension' END, reference FROM x
		ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id),
	ev AS (INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
		SELECT 'contract.suspended', contract_id, 'episode:' || id || ':' || n, $1::date,
			jsonb_build_object('level', lvl, 'episode_id', id) FROM x
		ON CONFLICT (kind, subject_key) DO NOTHING),
	k AS (UPDATE contracts c SET status = CASE x.lvl WHEN 'total' THEN 'blocked' ELSE 'suspended_partial' END,
			ladder_step = CASE x.lvl WHEN 'total' THEN 'suspension' ELSE 'partial_suspension' END,
			ladder_step_since = CASE WHEN c.ladder_step = CASE x.lvl WHEN 'total' THEN 'suspension' ELSE 'partial_suspension' END
				THEN c.ladder_step_since ELSE $1::date END,
			updated_at = now()
		FROM x WHERE c.id = x.contract_id RETURNING x.lvl)
	SELECT (SELECT count(*) FROM k WHERE lvl = 'partial'), (SELECT count(*) FROM k WHERE lvl = 'total'), array(SELECT id FROM n)`

// runSuspension runs a suspending statement and scans what suspendedTail selects.
func runSuspension(ctx context.Context, tx pgx.Tx, what, sql string, args ...any) (partial, total int64, notices []int64, err error) {
	if err := tx.QueryRow(ctx, sql, args...).Scan(&partial, &total, &notices); err != nil {
		return 0, 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	return partial, total, notices, nil
}

// openEpisodes suspends contracts without an open episode: an episode, its first segment,
// the notice (blocked <episode>, or partial_suspension <episode>-1) and the event.
func (m *ladderMoves) openEpisodes(ctx context.Context, tx pgx.Tx, asOf time.Time) (int64, int64, []int64, error) {
	if len(m.open) == 0 {
		return 0, 0, nil, nil
	}
	var contracts, triggers []int64
	var levels, reasons []string
	for _, o := range m.open {
		contracts, triggers = append(contracts, o.contract), append(triggers, o.trigger)
		levels, reasons = append(levels, o.level), append(reasons, o.reason)
	}
	return runSuspension(ctx, tx, "suspend contracts", `WITH u AS (
			SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS u(c, i, lvl, r)),
		e AS (INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
			SELECT c, i, $1, r FROM u ON CONFLICT (contract_id) WHERE ended_on IS NULL DO NOTHING
			RETURNING id, contract_id, started_on),
		x AS (SELECT e.id, e.contract_id, u.lvl, 1 AS n,
				CASE u.lvl WHEN 'total' THEN e.id::text ELSE e.id || '-1' END AS reference
			FROM e JOIN u ON u.c = e.contract_id),
		s AS (INSERT INTO block_segments (episode_id, blocked_from, level) SELECT id, $1, lvl FROM x)`+suspendedTail,
		asOf, contracts, triggers, levels, reasons)
}

// resumeEpisodes suspends again the open episodes a trust unlock lifted: a new segment, the
// notice (blocked <episode>-reblock-<k>, or partial_suspension <episode>-<n>) and the event.
func (m *ladderMoves) resumeEpisodes(ctx context.Context, tx pgx.Tx, asOf time.Time) (int64, int64, []int64, error) {
	if len(m.resume) == 0 {
		return 0, 0, nil, nil
	}
	episodes, levels := levelArrays(m.resume)
	return runSuspension(ctx, tx, "suspend contracts again after a trust unlock", `WITH u AS (
			SELECT * FROM unnest($2::bigint[], $3::text[]) AS u(id, lvl)),
		e AS (UPDATE block_episodes e SET reblocks = reblocks + 1 FROM u
			WHERE e.id = u.id AND e.ended_on IS NULL
			  AND NOT EXISTS (SELECT 1 FROM block_segments s WHERE s.episode_id = e.id AND s.blocked_to IS NULL)
			RETURNING e.id, e.contract_id, e.reblocks, u.lvl,
				(SELECT count(*) FROM block_segments s WHERE s.episode_id = e.id) + 1 AS n),
		x AS (SELECT id, contract_id, lvl, n,
				CASE lvl WHEN 'total' THEN id || '-reblock-' || reblocks ELSE id || '-' || n END AS reference FROM e),
		s AS (INSERT INTO block_segments (episode_id, blocked_from, level) SELECT id, $1, lvl FROM x
			ON CONFLICT (episode_id, blocked_from) DO UPDATE SET blocked_to = NULL, level = EXCLUDED.level)`+suspendedTail,
		asOf, episodes, levels)
}

// changeLevels moves open segments to another level (a partial suspension that becomes
// total, or the other way when the trigger moved): the open segment ends on asOf and one
// of the new level begins (or, begun on asOf itself, takes the new level), with its notice
// (blocked or partial_suspension <episode>-<n>) and event.
func (m *ladderMoves) changeLevels(ctx context.Context, tx pgx.Tx, asOf time.Time) (int64, int64, []int64, error) {
	if len(m.change) == 0 {
		return 0, 0, nil, nil
	}
	episodes, levels := levelArrays(m.change)
	// Three statements: the unique index of one open segment per episode is checked row by
	// row, so the open segment must be closed before the next one is inserted, and the
	// notice counts the segments once both are there.
	rows, err := tx.Query(ctx, `UPDATE block_segments s SET
			blocked_to = CASE WHEN s.blocked_from < $3 THEN $3::date END,
			level = CASE WHEN s.blocked_from < $3 THEN s.level ELSE u.lvl END
		FROM unnest($1::bigint[], $2::text[]) AS u(id, lvl)
		WHERE s.episode_id = u.id AND s.blocked_to IS NULL AND s.level <> u.lvl
		RETURNING s.episode_id, u.lvl, s.blocked_to IS NOT NULL`, episodes, levels, asOf)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("end segments of another level: %w", err)
	}
	var changed, closed []int64
	var changedLevels, closedLevels []string
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var level string
		var ended bool
		err := r.Scan(&id, &level, &ended)
		changed, changedLevels = append(changed, id), append(changedLevels, level)
		if ended {
			closed, closedLevels = append(closed, id), append(closedLevels, level)
		}
		return struct{}{}, err
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("end segments of another level: %w", err)
	}
	if len(closed) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO block_segments (episode_id, blocked_from, level)
			SELECT id, $3, lvl FROM unnest($1::bigint[], $2::text[]) AS u(id, lvl)`, closed, closedLevels, asOf); err != nil {
			return 0, 0, nil, fmt.Errorf("begin segments of the new level: %w", err)
		}
	}
	if len(changed) == 0 {
		return 0, 0, nil, nil
	}
	return runSuspension(ctx, tx, "change the level of suspensions", `WITH u AS (
			SELECT * FROM unnest($2::bigint[], $3::text[]) AS u(id, lvl)),
		x AS (SELECT e.id, e.contract_id, u.lvl, k.n, e.id || '-' || k.n AS reference
			FROM u JOIN block_episodes e ON e.id = u.id
			CROSS JOIN LATERAL (SELECT count(*) AS n FROM block_segments o WHERE o.episode_id = e.id) k)`+suspendedTail,
		asOf, changed, changedLevels)
}

// levelArrays returns the episodes and levels of moves as arrays.
func levelArrays(moves []levelMove) ([]int64, []string) {
	episodes := make([]int64, len(moves))
	levels := make([]string, len(moves))
	for i, mv := range moves {
		episodes[i], levels[i] = mv.episode, mv.level
	}
	return episodes, levels
}

// terminateContracts terminates contracts: their open episode ends (end_reason
// terminated, its inactivity discount recorded), the contract is finished with end_reason
// terminated, its open installments due after asOf are cancelled (what was due stays
// owed), and its termination notice and contract.terminated event are recorded.
func (m *ladderMoves) terminateContracts(ctx context.Context, tx pgx.Tx, asOf time.Time) (int64, []int64, error) {
	if len(m.terminate) == 0 {
		return 0, nil, nil
	}
	var episodes, contracts []int64
	var ends []time.Time
	var subjects []string
	for _, c := range m.terminate {
		subject := "contract:" + strconv.FormatInt(c.id, 10)
		if e := c.episode; e != nil {
			episodes, ends = append(episodes, e.id), append(ends, asOf)
			subject = fmt.Sprintf("episode:%d:%d", e.id, e.segments)
		}
		contracts, subjects = append(contracts, c.id), append(subjects, subject)
	}
	if len(episodes) > 0 {
		if _, _, err := closeEpisodes(ctx, tx, episodes, ends, records.EndedByTermination); err != nil {
			return 0, nil, err
		}
	}
	var n int64
	var notices []int64
	if err := tx.QueryRow(ctx, `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS u(c, subject)),
		k AS (UPDATE contracts c SET status = 'finished', end_reason = 'terminated', ended_on = $3, generation_due_on = NULL,
				updated_at = now()
			FROM u WHERE c.id = u.c AND c.status IN ('active', 'suspended_partial', 'blocked') RETURNING c.id, u.subject),
		i AS (UPDATE installments i SET state = 'cancelled' FROM k WHERE i.contract_id = k.id AND i.state = 'open' AND i.due_date > $3),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT id, 'termination', 'terminated' FROM k
			ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id),
		ev AS (INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'contract.terminated', id, subject, $3, jsonb_build_object('end_reason', 'terminated') FROM k
			ON CONFLICT (kind, subject_key) DO NOTHING)
		SELECT (SELECT count(*) FROM k), array(SELECT id FROM n)`, contracts, subjects, asOf).Scan(&n, &notices); err != nil {
		return 0, nil, fmt.Errorf("terminate contracts: %w", err)
	}
	return n, notices, nil
}

// recordReminders records the reminders due (kind reminder, reference
// <installment>-<days>, once each).
func (m *ladderMoves) recordReminders(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	if len(m.reminders) == 0 {
		return nil, nil
	}
	contracts := make([]int64, len(m.reminders))
	refs := make([]string, len(m.reminders))
	for i, r := range m.reminders {
		contracts[i], refs[i] = r.contract, fmt.Sprintf("%d-%d", r.installment, r.days)
	}
	rows, err := tx.Query(ctx, `INSERT INTO notices (contract_id, kind, reference)
		SELECT c, 'reminder', ref FROM unnest($1::bigint[], $2::text[]) AS u(c, ref)
		ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id`, contracts, refs)
	if err != nil {
		return nil, fmt.Errorf("record reminders: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("record reminders: %w", err)
	}
	return ids, nil
}

// storeSteps stores the contracts' positions the moves' own statements do not.
func (m *ladderMoves) storeSteps(ctx context.Context, tx pgx.Tx) error {
	if len(m.steps) == 0 {
		return nil
	}
	ids := make([]int64, len(m.steps))
	steps := make([]string, len(m.steps))
	sinces := make([]pgtype.Date, len(m.steps))
	notices := make([]int64, len(m.steps))
	for i, s := range m.steps {
		ids[i], steps[i], notices[i] = s.contract, string(s.step), s.notice
		if s.step != delinquency.StepNone {
			sinces[i] = date(s.since)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE contracts c SET ladder_step = u.step, ladder_step_since = u.since,
			ladder_notice_id = nullif(u.notice, 0)
		FROM unnest($1::bigint[], $2::text[], $3::date[], $4::bigint[]) AS u(id, step, since, notice) WHERE c.id = u.id`,
		ids, steps, sinces, notices); err != nil {
		return fmt.Errorf("store ladder positions: %w", err)
	}
	return nil
}
