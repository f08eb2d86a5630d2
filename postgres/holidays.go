package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
)

// holidaysLock is the key of the transaction-level advisory lock that orders a change of the
// operator's holidays (exclusive) with every transaction that computes due dates from them
// (shared, taken by LoadCalendar): an installment is never created from a calendar a
// concurrent holiday change is replacing, so the change's re-dating sees every installment
// of the calendar it replaces. The holiday change takes it before any row lock and locks
// only installments after it; the due-date writers lock only contracts and balances before
// it, so the two never wait on each other in a cycle.
const holidaysLock int64 = 0x62696c6c686f6c // "billhol"

// LoadCalendar returns the Brazilian banking calendar with the operator's holidays, holding
// the holidays lock (shared) until tx ends.
func LoadCalendar(ctx context.Context, tx pgx.Tx) (*billing.Calendar, error) {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared($1)", holidaysLock); err != nil {
		return nil, fmt.Errorf("lock holidays: %w", err)
	}
	rows, err := tx.Query(ctx, "SELECT day, name FROM holidays ORDER BY day")
	if err != nil {
		return nil, fmt.Errorf("load holidays: %w", err)
	}
	extra, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (billing.Holiday, error) {
		var h billing.Holiday
		err := row.Scan(&h.Date, &h.Name)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("load holidays: %w", err)
	}
	return billing.NewCalendar(extra...), nil
}

// lockHolidaysForChange takes the holidays lock exclusively until tx ends.
func lockHolidaysForChange(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", holidaysLock); err != nil {
		return fmt.Errorf("lock holidays: %w", err)
	}
	return nil
}

// redateAround re-dates, after day became or stopped being a holiday, the open installments
// whose effective due date that can change: those nominally due in the run of non-business
// days around day under withDay (the calendar in which day is a holiday). Their new
// effective date is their nominal due date moved by their contract's shift under after (the
// calendar from now on), the rule generation applies (billing.Calendar.Adjust). The few
// (nominal date, shift) → due date pairs are computed here and written by one set-based
// UPDATE, which locks the installments by contract and id and leaves paid and cancelled
// installments, and those already on their date, alone; the moved installments' payment
// instruments are re-made for their new date (makeInstruments). The same statement records
// each re-dating (installment_redates, cause records.RedateHolidayAdded or
// RedateHolidayRemoved, the holiday's name) from the UPDATE's rows. It returns how many moved.
func redateAround(ctx context.Context, tx pgx.Tx, day time.Time, withDay, after *billing.Calendar, cause, name string) (int64, error) {
	from, to := day, day
	for !withDay.IsBusinessDay(from.AddDate(0, 0, -1)) {
		from = from.AddDate(0, 0, -1)
	}
	for !withDay.IsBusinessDay(to.AddDate(0, 0, 1)) {
		to = to.AddDate(0, 0, 1)
	}
	var (
		nominal, due []pgtype.Date
		shift        []string
	)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		// ShiftNone never moves a date: its installments stay as they are.
		for _, s := range []billing.Shift{billing.ShiftNext, billing.ShiftPrevious} {
			nominal, shift, due = append(nominal, date(d)), append(shift, string(s)), append(due, date(after.Adjust(d, s)))
		}
	}
	// Under either calendar a date nominally in [from, to] is due within a day of the run:
	// the bound lets the open-installments index (due_date) find them.
	var ids []int64
	err := tx.QueryRow(ctx, `WITH moved AS (
			SELECT i.id, i.contract_id, i.nominal_due, i.due_date AS old_due, u.due,
				c.due_rule_kind, c.due_day, c.due_shift FROM installments i
			JOIN contracts c ON c.id = i.contract_id
			JOIN unnest($1::date[], $2::text[], $3::date[]) AS u(nominal, shift, due)
				ON u.nominal = i.nominal_due AND u.shift = c.due_shift
			WHERE i.state = 'open' AND i.due_date BETWEEN $4 AND $5 AND i.due_date <> u.due
			ORDER BY i.contract_id, i.id FOR UPDATE OF i)
		, u AS (UPDATE installments i SET due_date = m.due FROM moved m WHERE i.id = m.id RETURNING i.id)
		, r AS (INSERT INTO installment_redates (installment_id, contract_id, cause, from_nominal, to_nominal,
				from_effective, to_effective, rule_kind, rule_day, rule_shift, holiday, holiday_name)
			SELECT m.id, m.contract_id, $6::text, m.nominal_due, m.nominal_due, m.old_due, m.due,
				m.due_rule_kind, m.due_day, m.due_shift, $7::date, $8::text
			FROM moved m JOIN u ON u.id = m.id ORDER BY m.id)
		SELECT coalesce(array_agg(id), '{}') FROM u`,
		nominal, shift, due, date(from.AddDate(0, 0, -1)), date(to.AddDate(0, 0, 1)), cause, date(day), name).Scan(&ids)
	if err != nil {
		return 0, fmt.Errorf("re-date open installments around %s: %w", billing.FormatDate(day), err)
	}
	if _, err := makeInstruments(ctx, tx, ids); err != nil {
		return 0, fmt.Errorf("re-make the instruments of installments re-dated around %s: %w", billing.FormatDate(day), err)
	}
	return int64(len(ids)), nil
}
