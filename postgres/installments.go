package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Installment is one stored amount a customer owes.
type Installment struct {
	ID             int64
	ContractID     int64
	Kind           billing.InstallmentKind
	Term           int
	Sequence       int
	ServiceStart   time.Time
	ServiceEnd     time.Time
	NominalDue     time.Time
	DueDate        time.Time
	Amount         decimal.Decimal
	Discount       decimal.Decimal
	OnTimeDiscount decimal.Decimal
	State          string
	PaidAt         time.Time
	PaidAmount     *decimal.Decimal
}

// Installment states.
const (
	InstallmentOpen      = "open"
	InstallmentPaid      = "paid"
	InstallmentCancelled = "cancelled"
)

// AmountDue is what the customer owes when paying on paidAt: the amount less the discount,
// and less the on-time discount when paid on or before the effective due date.
func (i Installment) AmountDue(paidAt time.Time) decimal.Decimal {
	due := i.Amount.Sub(i.Discount)
	if !paidAt.After(i.DueDate) {
		due = due.Sub(i.OnTimeDiscount)
	}
	return due
}

const installmentColumns = `id, contract_id, kind, term, sequence, service_start, service_end, nominal_due, due_date,
	amount, discount, on_time_discount, state, paid_at, paid_amount`

func scanInstallment(row pgx.Row) (Installment, error) {
	var i Installment
	var start, end, paid pgtype.Date
	err := row.Scan(&i.ID, &i.ContractID, &i.Kind, &i.Term, &i.Sequence, &start, &end, &i.NominalDue, &i.DueDate,
		&i.Amount, &i.Discount, &i.OnTimeDiscount, &i.State, &paid, &i.PaidAmount)
	i.ServiceStart, i.ServiceEnd, i.PaidAt = optDate(start), optDate(end), optDate(paid)
	return i, err
}

// InstallmentFilter selects installments for a list; zero fields do not filter.
type InstallmentFilter struct {
	ContractID int64
	State      string
	DueFrom    time.Time
	DueTo      time.Time
}

// Installments lists installments by id.
func (s *Store) Installments(ctx context.Context, f InstallmentFilter, page Page) ([]Installment, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+installmentColumns+` FROM installments
		WHERE id > $1 AND ($2::bigint = 0 OR contract_id = $2) AND ($3 = '' OR state = $3)
		  AND ($4::date IS NULL OR due_date >= $4) AND ($5::date IS NULL OR due_date <= $5)
		ORDER BY id LIMIT $6`, page.After, f.ContractID, f.State, date(f.DueFrom), date(f.DueTo), page.limit())
	if err != nil {
		return nil, fmt.Errorf("list installments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Installment, error) { return scanInstallment(r) })
}

// RecordPayment marks an open installment paid on paidAt with amount, which must cover what
// is due on that date. It returns the installment as stored. The after hook runs in the
// same transaction (to enqueue follow-up work), and runs again if the transaction is
// retried (see RetryTx).
func (s *Store) RecordPayment(ctx context.Context, id int64, amount decimal.Decimal, paidAt time.Time,
	after func(pgx.Tx, Installment) error,
) (Installment, error) {
	var out Installment
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		// The contract first, then the installment (see the lock order in doc.go): marking a
		// recurring installment paid flags its contract for renewal in the same statement.
		var contract int64
		err := tx.QueryRow(ctx, "SELECT contract_id FROM installments WHERE id = $1", id).Scan(&contract)
		if err := notFound(err, "installment", id); err != nil {
			return err
		}
		if err := lockContract(ctx, tx, contract); err != nil {
			return err
		}
		inst, err := scanInstallment(tx.QueryRow(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = $1 FOR UPDATE", id))
		if err := notFound(err, "installment", id); err != nil {
			return err
		}
		switch inst.State {
		case InstallmentPaid:
			return fmt.Errorf("%w: installment %d was already paid on %s", ErrConflict, id, billing.FormatDate(inst.PaidAt))
		case InstallmentCancelled:
			return fmt.Errorf("%w: installment %d is cancelled and cannot be paid", ErrConflict, id)
		}
		if due := inst.AmountDue(paidAt); amount.LessThan(due) {
			return billing.Fieldf("amount", "%s does not cover the %s due on %s", billing.FormatMoney(amount),
				billing.FormatMoney(due), billing.FormatDate(paidAt))
		}
		out, err = scanInstallment(tx.QueryRow(ctx, `UPDATE installments SET state = 'paid', paid_at = $2, paid_amount = $3
			WHERE id = $1 RETURNING `+installmentColumns, id, paidAt, amount))
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		if after != nil {
			return after(tx, out)
		}
		return nil
	})
	return out, err
}
