package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

const cancellationReasonColumns = `id, code, name, active, created_at, disabled_at`

func scanCancellationReason(row pgx.Row) (records.CancellationReason, error) {
	var r records.CancellationReason
	var disabled pgtype.Timestamptz
	err := row.Scan(&r.ID, &r.Code, &r.Name, &r.Active, &r.CreatedAt, &disabled)
	if disabled.Valid {
		r.DisabledAt = disabled.Time
	}
	return r, err
}

// CancellationReasons lists the catalogue of cancellation reasons by id, the disabled ones
// too when all is set.
func (s *Store) CancellationReasons(ctx context.Context, all bool) ([]records.CancellationReason, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+cancellationReasonColumns+" FROM cancellation_reasons WHERE active OR $1 ORDER BY id", all)
	if err != nil {
		return nil, fmt.Errorf("list cancellation reasons: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.CancellationReason, error) { return scanCancellationReason(r) })
	if err != nil {
		return nil, fmt.Errorf("list cancellation reasons: %w", err)
	}
	return out, nil
}

// CreateCancellationReason adds a reason to the catalogue; a code already taken (by an
// active or a disabled reason) is a conflict.
func (s *Store) CreateCancellationReason(ctx context.Context, code, name string) (records.CancellationReason, error) {
	out, err := writeRow(ctx, s.Pool, scanCancellationReason,
		`INSERT INTO cancellation_reasons (code, name) VALUES ($1, $2) RETURNING `+cancellationReasonColumns, code, name)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return records.CancellationReason{}, fmt.Errorf("%w: the code %q is already a cancellation reason's", billing.ErrConflict, code)
	}
	if err != nil {
		return records.CancellationReason{}, fmt.Errorf("create cancellation reason: %w", err)
	}
	return out, nil
}

// DisableCancellationReason disables a reason of the catalogue: the contracts cancelled for
// it keep it, and no new cancellation takes it. Disabling a disabled reason changes nothing.
func (s *Store) DisableCancellationReason(ctx context.Context, id int64) (records.CancellationReason, error) {
	out, err := writeRow(ctx, s.Pool, scanCancellationReason, `UPDATE cancellation_reasons
		SET active = false, disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING `+cancellationReasonColumns, id)
	if err := notFound(err, "cancellation reason", id); err != nil {
		return records.CancellationReason{}, err
	}
	return out, nil
}

// resolveCancellationReason returns the id of the active reason a cancellation names, nil
// when it names none; an unknown or disabled reason is a field error naming reason_id or
// reason_code. It takes the reason's row FOR KEY SHARE, so that it stays while the
// cancellation commits.
func resolveCancellationReason(ctx context.Context, tx pgx.Tx, ref records.CancellationReasonRef) (*int64, error) {
	if !ref.Given() {
		return nil, nil
	}
	field, what := "reason_id", fmt.Sprintf("id %d", ref.ID)
	if ref.ID == 0 {
		field, what = "reason_code", fmt.Sprintf("code %q", ref.Code)
	}
	var (
		id     int64
		active bool
	)
	err := tx.QueryRow(ctx, `SELECT id, active FROM cancellation_reasons WHERE CASE WHEN $1::bigint = 0 THEN code = $2 ELSE id = $1 END
		FOR KEY SHARE`, ref.ID, ref.Code).Scan(&id, &active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, billing.Fieldf(field, "no cancellation reason with %s (GET /v1/cancellation-reasons lists them)", what)
	case err != nil:
		return nil, fmt.Errorf("look up cancellation reason: %w", err)
	case !active:
		return nil, billing.Fieldf(field, "the cancellation reason with %s is disabled", what)
	}
	return &id, nil
}

// CancellationReport counts the contracts cancelled between from and to (their
// cancelled_on, both included; zero dates do not bound) by month and reason, in month and
// then reason order; contracts cancelled without a reason count under an empty code.
func (s *Store) CancellationReport(ctx context.Context, from, to time.Time) ([]records.CancellationReportLine, error) {
	rows, err := s.Pool.Query(ctx, `SELECT date_trunc('month', c.cancelled_on)::date AS month, r.id, coalesce(r.code, ''),
			coalesce(r.name, ''), count(*)
		FROM contracts c LEFT JOIN cancellation_reasons r ON r.id = c.cancel_reason_id
		WHERE c.status = 'cancelled' AND c.cancelled_on IS NOT NULL
		  AND ($1::date IS NULL OR c.cancelled_on >= $1) AND ($2::date IS NULL OR c.cancelled_on <= $2)
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 3`, date(from), date(to))
	if err != nil {
		return nil, fmt.Errorf("report cancellations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.CancellationReportLine, error) {
		var l records.CancellationReportLine
		err := r.Scan(&l.Month, &l.ReasonID, &l.Code, &l.Name, &l.Contracts)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("report cancellations: %w", err)
	}
	return out, nil
}
