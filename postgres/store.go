package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Store keeps plans, customers, contracts, installments and holidays. It is built once, in
// cmd, and shared by the API and the job workers.
type Store struct {
	Pool *pgxpool.Pool
	// FollowUps takes the work that follows a change, inside the change's transaction; nil
	// enqueues nothing (for tests of the storage alone), and a run cannot be requested.
	FollowUps FollowUps
	// RefusePartialPayments refuses a payment below what is due on its date
	// (BILLINGD_PARTIAL_PAYMENTS=false); by default such a payment is recorded and leaves
	// its installment open with its balance.
	RefusePartialPayments bool
	// Location is the business time zone: the day a notice was sent, a payment received;
	// nil is UTC (for tests of the storage alone).
	Location *time.Location
	// ActivationWaitDays is how many days after its adhesion date a contract activated on
	// its first payment waits for that payment (BILLINGD_ACTIVATION_WAIT_DAYS); zero takes
	// DefaultActivationWaitDays.
	ActivationWaitDays int
}

// location is the store's business time zone (UTC when none is set).
func (s *Store) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

const planColumns = `id, name, kind, price, period, installments_per_term, min_price, uses_per_cycle, created_at,
	renewal_queue_threshold, renewal_threshold, late_fine_percent, monthly_interest_percent, cycle_months`

func scanPlan(row pgx.Row) (billing.Plan, error) {
	var p billing.Plan
	var uses, months *int32
	err := row.Scan(&p.ID, &p.Name, &p.Kind, &p.Price, &p.Period, &p.InstallmentsPerTerm, &p.MinPrice, &uses, &p.CreatedAt,
		&p.RenewalQueueThreshold, &p.RenewalThreshold, &p.Late.FinePercent, &p.Late.MonthlyInterestPercent, &months)
	if uses != nil {
		n := int(*uses)
		p.UsesPerCycle = &n
	}
	if months != nil {
		n := int(*months)
		p.CycleMonths = &n
	}
	return p, err
}

// CreatePlan stores a new plan.
func (s *Store) CreatePlan(ctx context.Context, p billing.Plan) (billing.Plan, error) {
	out, err := writeRow(ctx, s.Pool, scanPlan, `INSERT INTO plans (name, kind, price, period, installments_per_term, min_price, uses_per_cycle,
			renewal_queue_threshold, renewal_threshold, late_fine_percent, monthly_interest_percent, cycle_months)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+planColumns,
		p.Name, p.Kind, p.Price, p.Period, p.InstallmentsPerTerm, p.MinPrice, p.UsesPerCycle, p.RenewalQueueThreshold, p.RenewalThreshold,
		p.Late.FinePercent, p.Late.MonthlyInterestPercent, p.CycleMonths)
	if err != nil {
		return billing.Plan{}, fmt.Errorf("create plan: %w", err)
	}
	return out, nil
}

// Plan returns the plan with the given id.
func (s *Store) Plan(ctx context.Context, id int64) (billing.Plan, error) {
	p, err := scanPlan(s.Pool.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", id))
	return p, notFound(err, "plan", id)
}

// Plans lists plans by id.
func (s *Store) Plans(ctx context.Context, page Page) ([]billing.Plan, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+planColumns+" FROM plans WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Plan, error) { return scanPlan(r) })
}

// AddHoliday stores an operator's holiday and, in the same transaction, re-dates the open
// installments it moves (see redateAround); it returns how many moved. ErrConflict when the
// day already is one.
func (s *Store) AddHoliday(ctx context.Context, h billing.Holiday) (int64, error) {
	var moved int64
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := lockHolidaysForChange(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO holidays (day, name) VALUES ($1, $2)", h.Date, h.Name)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("%w: %s is already a holiday", billing.ErrConflict, billing.FormatDate(h.Date))
		}
		if err != nil {
			return fmt.Errorf("add holiday: %w", err)
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		moved, err = redateAround(ctx, tx, h.Date, cal, cal, records.RedateHolidayAdded, h.Name)
		return err
	})
	return moved, err
}

// DeleteHoliday removes an operator's holiday and, in the same transaction, re-dates the open
// installments its removal moves (see redateAround); it returns how many moved.
func (s *Store) DeleteHoliday(ctx context.Context, day time.Time) (int64, error) {
	var moved int64
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := lockHolidaysForChange(ctx, tx); err != nil {
			return err
		}
		before, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		var name string
		err = tx.QueryRow(ctx, "DELETE FROM holidays WHERE day = $1 RETURNING name", day).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: no operator holiday on %s", billing.ErrNotFound, billing.FormatDate(day))
		}
		if err != nil {
			return fmt.Errorf("delete holiday: %w", err)
		}
		after, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		moved, err = redateAround(ctx, tx, day, before, after, records.RedateHolidayRemoved, name)
		return err
	})
	return moved, err
}

// Holidays lists the operator's holidays in [from, to] (zero bounds are open).
func (s *Store) Holidays(ctx context.Context, from, to time.Time) ([]billing.Holiday, error) {
	rows, err := s.Pool.Query(ctx, `SELECT day, name FROM holidays
		WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2) ORDER BY day`, date(from), date(to))
	if err != nil {
		return nil, fmt.Errorf("list holidays: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Holiday, error) {
		var h billing.Holiday
		return h, r.Scan(&h.Date, &h.Name)
	})
}

func notFound(err error, what string, id int64) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s %d", billing.ErrNotFound, what, id)
	}
	if err != nil {
		return fmt.Errorf("read %s %d: %w", what, id, err)
	}
	return nil
}

func optDate(d pgtype.Date) time.Time {
	if d.Valid {
		return d.Time
	}
	return time.Time{}
}
