package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// DayFigures returns the collection figures of date on: the installments due that day
// (billed), the payments dated that day (collected), the installments overdue on it with
// what they still ask, and the contracts at each stored step of the ladder. It runs on an
// operator's request (the page /ui/today), not on a scrape: billed and collected read the
// day's rows of installments and payments, which have no index by date (a scan at scale),
// overdue reads the partial index of open installments, the steps the partial index of
// contracts on the ladder. All in one read-only snapshot.
func (s *Store) DayFigures(ctx context.Context, on time.Time) (records.DayFigures, error) {
	out := records.DayFigures{On: on}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(amount - discount), 0) FROM installments
			WHERE due_date = $1 AND state <> 'cancelled'`, on).Scan(&out.Billed.Count, &out.Billed.Amount); err != nil {
			return fmt.Errorf("read billed on %s: %w", on.Format(time.DateOnly), err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(amount), 0) FROM payments
			WHERE paid_on = $1 AND reversed_at IS NULL`, on).Scan(&out.Collected.Count, &out.Collected.Amount); err != nil {
			return fmt.Errorf("read collected on %s: %w", on.Format(time.DateOnly), err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(i.amount - i.discount - coalesce(p.paid, 0)), 0)
			FROM installments i
			LEFT JOIN LATERAL (SELECT sum(principal) AS paid FROM payments p
				WHERE p.installment_id = i.id AND p.reversed_at IS NULL) p ON true
			WHERE installment_overdue(i.state, i.due_date, $1)`, on).Scan(&out.Overdue.Count, &out.Overdue.Amount); err != nil {
			return fmt.Errorf("read overdue on %s: %w", on.Format(time.DateOnly), err)
		}
		rows, err := tx.Query(ctx, `SELECT ladder_step, count(*) FROM contracts WHERE ladder_step <> 'none' GROUP BY ladder_step`)
		if err != nil {
			return fmt.Errorf("count contracts per ladder step: %w", err)
		}
		out.Steps, err = pgx.CollectRows(rows, pgx.RowToStructByPos[records.StepCount])
		if err != nil {
			return fmt.Errorf("count contracts per ladder step: %w", err)
		}
		slices.SortFunc(out.Steps, func(a, b records.StepCount) int {
			return slices.Index(delinquency.StepNames, a.Step) - slices.Index(delinquency.StepNames, b.Step)
		})
		return nil
	})
	return out, err
}
