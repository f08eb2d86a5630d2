package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NoticeSweep is send-notices: for each contract it records a coming_due notice for every
// open installment due within DaysBeforeDue days of the as-of date (due today included) and
// an overdue notice for every open installment past its due date, each keyed by
// (contract, kind, installment id) — for a grouped charge only on its first open installment,
// the charge getting one notice — then enqueues delivery of every notice of the range
// still undelivered, whatever its kind (the notices other sweeps record included).
//
// installments.notice_stage remembers which of the two notices an installment already has,
// so the index of open installments with a notice to come holds only a few days of rows
// after a run: a day with nothing due reads an almost empty range.
type NoticeSweep struct {
	// DaysBeforeDue is how many days before its due date an installment is announced.
	DaysBeforeDue int
	// Deliver says an SMTP server is configured: rendered notices are enqueued too. Without
	// one only pending notices are enqueued (to be rendered and kept in the outbox).
	Deliver bool
	// FollowUps takes the undelivered notices of each batch, in the batch's transaction (the
	// store's follow-ups); nil records the notices without handing them on.
	FollowUps FollowUps
}

func (s NoticeSweep) states() []string {
	if s.Deliver {
		return []string{NoticePending, NoticeRendered}
	}
	return []string{NoticePending}
}

// Plan implements jobs.Sweep.
func (s NoticeSweep) Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error) {
	// planByIndex passes asOf as $1 and the batch size as $2; the states are a literal list.
	states := "'pending'"
	if s.Deliver {
		states = "'pending', 'rendered'"
	}
	return planByIndex(ctx, tx, fmt.Sprintf(`SELECT contract_id AS id FROM installments
		WHERE state = 'open' AND notice_stage < 2 AND due_date <= $1::date + %d
			AND (notice_stage = 0 OR installment_overdue(state, due_date, $1::date))
		UNION SELECT contract_id FROM notices WHERE state IN (%s)`, s.DaysBeforeDue, states), asOf, batchSize)
}

// laterInItsCharge is true for an installment (due.id) of a grouped charge that has an open
// installment of a lower id: a grouped charge gets one notice, on its first open installment,
// which states the charge (RenderNotice). One primary-key probe per installment announced.
const laterInItsCharge = `SELECT 1 FROM grouped_charge_installments m
	JOIN grouped_charge_installments o ON o.charge_id = m.charge_id AND o.installment_id < m.installment_id
	JOIN installments oi ON oi.id = o.installment_id AND oi.state = 'open'
	WHERE m.installment_id = due.id`

// Batch implements jobs.Sweep.
func (s NoticeSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	var created, marked int64
	// The contracts first, then their installments (see the lock order in doc.go).
	const due = `contract_id BETWEEN $1 AND $2 AND state = 'open' AND notice_stage < 2
				AND due_date <= $3::date + $4::int AND (notice_stage = 0 OR installment_overdue(state, due_date, $3))`
	if _, err := lockContracts(ctx, tx, `id IN (SELECT contract_id FROM installments WHERE `+due+`)`,
		fromID, toID, asOf, s.DaysBeforeDue); err != nil {
		return nil, err
	}
	// The UPDATE drives the statement: it locks and marks each installment with one write
	// and re-checks state = 'open' against a concurrent payment before its notice is recorded.
	if err := tx.QueryRow(ctx, `WITH due AS (
			UPDATE installments SET notice_stage = CASE WHEN installment_overdue(state, due_date, $3) THEN 2 ELSE 1 END
			WHERE `+due+`
			RETURNING id, contract_id, CASE WHEN installment_overdue(state, due_date, $3) THEN 'overdue' ELSE 'coming_due' END AS kind
		), created AS (
			INSERT INTO notices (contract_id, kind, reference)
			SELECT contract_id, kind, id::text FROM due
			WHERE NOT EXISTS (`+laterInItsCharge+`)
			ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING 1
		)
		SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM due)`,
		fromID, toID, asOf, s.DaysBeforeDue).Scan(&created, &marked); err != nil {
		return nil, fmt.Errorf("record installment notices: %w", err)
	}
	counts := map[string]int64{"notices_created": created, "notices_undelivered": 0}
	if s.FollowUps == nil {
		return counts, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM notices WHERE contract_id BETWEEN $1 AND $2 AND state = ANY($3) ORDER BY id`,
		fromID, toID, s.states())
	if err != nil {
		return nil, fmt.Errorf("read undelivered notices: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("read undelivered notices: %w", err)
	}
	if len(ids) > 0 {
		if err := s.FollowUps.NoticesRecorded(ctx, tx, ids); err != nil {
			return nil, fmt.Errorf("enqueue %d deliveries: %w", len(ids), err)
		}
	}
	counts["notices_undelivered"] = int64(len(ids))
	return counts, nil
}
