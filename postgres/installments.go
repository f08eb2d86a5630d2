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

// Installments lists installments by id.
func (s *Store) Installments(ctx context.Context, f InstallmentFilter, page Page) ([]Installment, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+installmentColumns+` FROM installments
		WHERE id > $1 AND ($2::bigint = 0 OR contract_id = $2) AND ($3 = '' OR state = $3)
		  AND ($4::date IS NULL OR due_date >= $4) AND ($5::date IS NULL OR due_date <= $5)
		ORDER BY id LIMIT $6`, page.After, f.ContractID, f.State, date(f.DueFrom), date(f.DueTo), page.Size())
	if err != nil {
		return nil, fmt.Errorf("list installments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Installment, error) { return scanInstallment(r) })
	if err != nil {
		return nil, fmt.Errorf("list installments: %w", err)
	}
	return out, fillLines(ctx, s.Pool, out)
}

// fillLines reads the lines of the installments and sets them on each.
func fillLines(ctx context.Context, q querier, insts []Installment) error {
	ids := make([]int64, len(insts))
	for i, in := range insts {
		ids[i] = in.ID
	}
	lines, err := installmentLines(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range insts {
		insts[i].Lines = lines[insts[i].ID]
	}
	return nil
}

// RecordPayment marks an open installment paid on paidAt with amount, by the payment rules
// of billing.Payable: billing.ErrConflict when it is paid or cancelled; a *billing.FieldError
// on amount when it does not cover what is due on that date, or exceeds it and the contract
// does not allow credit. It hands the payment, received at receivedAt, to the follow-ups in
// the same transaction (again in the new transaction when it is retried, see RetryTx), and
// returns the installment as stored.
func (s *Store) RecordPayment(ctx context.Context, id int64, amount decimal.Decimal, paidAt, receivedAt time.Time) (Installment, error) {
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
		p := inst.Payable()
		if why := p.PaymentRefusal(); why != "" {
			return fmt.Errorf("%w: %s", billing.ErrConflict, why)
		}
		var allowCredit bool
		if err := tx.QueryRow(ctx, "SELECT allow_credit FROM contracts WHERE id = $1", inst.ContractID).Scan(&allowCredit); err != nil {
			return fmt.Errorf("read allow_credit of contract %d: %w", inst.ContractID, err)
		}
		if err := p.CheckAmount(amount, paidAt, allowCredit); err != nil {
			return err
		}
		out, err = scanInstallment(tx.QueryRow(ctx, `UPDATE installments SET state = 'paid', paid_at = $2, paid_amount = $3
			WHERE id = $1 RETURNING `+installmentColumns, id, paidAt, amount))
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		lines, err := installmentLines(ctx, tx, []int64{id})
		if err != nil {
			return err
		}
		out.Lines = lines[id]
		if s.FollowUps == nil {
			return nil
		}
		var open bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM block_episodes WHERE contract_id = $1 AND ended_on IS NULL)`,
			out.ContractID).Scan(&open); err != nil {
			return fmt.Errorf("look up block episode: %w", err)
		}
		return s.FollowUps.PaymentRecorded(ctx, tx, PaymentRecorded{Installment: out, ReceivedAt: receivedAt, BlockEpisodeOpen: open})
	})
	return out, err
}
