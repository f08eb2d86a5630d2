package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// ChangeInstallment re-dates one open installment, changes what it asks, or both, and records
// each change (installment_changes; a re-dating also in installment_redates, for the
// contract's timeline) with the operator (the request's audit actor) and the reason, in one
// transaction. The new due date is the nominal one: its effective date is
// shifted over the banking calendar by the contract's shift, as generation does, so a
// holiday added or removed later moves it like any other; the ladder, the notices and
// delinquency read the effective date. A new total (amount less discount) is reached by an
// adjustment line of the difference (changeLines). A paid or cancelled installment is a
// conflict naming its state; a due date before today, a negative total, or one not above
// what its payments already paid are field errors. A change to what the installment already
// is records nothing.
func (s *Store) ChangeInstallment(ctx context.Context, id int64, p records.InstallmentPatch) (records.Installment, error) {
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		c, err := s.lockInstallmentContract(ctx, tx, id)
		if err != nil {
			return err
		}
		// The calendar's lock before the installment's row: the lock order of holidays.go.
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		in, paid, err := lockOpenInstallment(ctx, tx, id, "changed")
		if err != nil {
			return err
		}
		actor := auditActor(ctx)
		if !p.DueDate.IsZero() {
			if p.DueDate.Before(p.Today) {
				return billing.Fieldf("due_date", "%s is before today %s", billing.FormatDate(p.DueDate), billing.FormatDate(p.Today))
			}
			due := cal.Adjust(p.DueDate, c.Rule.EffectiveShift())
			if !due.Equal(in.DueDate) || !p.DueDate.Equal(in.NominalDue) {
				if _, err := tx.Exec(ctx, `UPDATE installments SET nominal_due = $2, due_date = $3 WHERE id = $1`,
					id, p.DueDate, due); err != nil {
					return fmt.Errorf("re-date installment %d: %w", id, err)
				}
				// The change is recorded twice: in the installment's history of operators'
				// changes, and among the re-datings of the contract's timeline.
				if _, err := tx.Exec(ctx, `WITH ch AS (INSERT INTO installment_changes (installment_id, contract_id, kind,
							old_due_date, new_due_date, reason, actor) VALUES ($1, $2, 'redate', $3, $4, $5, $6) RETURNING id)
						INSERT INTO installment_redates (installment_id, contract_id, cause, from_nominal, to_nominal, from_effective,
							to_effective, rule_kind, rule_day, rule_shift, installment_change_id, actor, reason)
						SELECT $1, $2, $7::text, $8::date, $9::date, $3::date, $4::date, c.due_rule_kind, c.due_day, c.due_shift, ch.id, $6, $5
						FROM ch, contracts c WHERE c.id = $2`,
					id, in.ContractID, in.DueDate, due, p.Reason, actor, records.RedateInstallmentPatch, in.NominalDue, p.DueDate); err != nil {
					return fmt.Errorf("record the re-dating of installment %d: %w", id, err)
				}
			}
		}
		if p.Total == nil {
			return nil
		}
		total := in.Amount.Sub(in.Discount)
		switch {
		case p.Total.IsNegative():
			return billing.Fieldf("amount", "must not be negative, got %s", billing.FormatMoney(*p.Total))
		case paid.IsPositive() && !p.Total.GreaterThan(paid):
			return billing.Fieldf("amount", "must be above the %s its payments already paid, got %s", billing.FormatMoney(paid), billing.FormatMoney(*p.Total))
		case p.Total.Equal(total):
			return nil
		}
		var change int64
		if err := tx.QueryRow(ctx, `INSERT INTO installment_changes (installment_id, contract_id, kind, old_total, new_total, reason, actor)
			VALUES ($1, $2, 'amount', $3, $4, $5, $6) RETURNING id`, id, in.ContractID, total, *p.Total, p.Reason, actor).Scan(&change); err != nil {
			return fmt.Errorf("record the change of amount of installment %d: %w", id, err)
		}
		_, _, err = changeLines(ctx, tx, LineChange{Add: []NewLine{{InstallmentID: id, Line: billing.Line{
			Kind: billing.LineAdjustment, Description: adjustmentDescription(total, *p.Total, p.Reason),
			Quantity: decimal.NewFromInt(1), Amount: p.Total.Sub(total), SourceKey: fmt.Sprintf("adjustment:%d", change),
		}}}})
		return err
	})
	if err != nil {
		return records.Installment{}, err
	}
	return s.installment(ctx, id)
}

// adjustmentDescription is the description of an adjustment line: the totals and the reason.
func adjustmentDescription(from, to decimal.Decimal, reason string) string {
	return fmt.Sprintf("adjustment from %s to %s: %s", billing.FormatMoney(from), billing.FormatMoney(to), reason)
}

// CancelInstallment cancels one open installment without payments and records why and by
// whom. A cancelled installment is not owed: it is not overdue (installment_overdue reads
// the open state), so it neither blocks nor moves the collection ladder, and it is not an
// open installment for renewal (the installments_renewal_check trigger flags the contract
// for renew-contracts to count again). A paid or cancelled installment is a conflict naming
// its state, as is one with payments (reverse them first).
func (s *Store) CancelInstallment(ctx context.Context, id int64, reason string) (records.Installment, error) {
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := s.lockInstallmentContract(ctx, tx, id); err != nil {
			return err
		}
		in, paid, err := lockOpenInstallment(ctx, tx, id, "cancelled")
		if err != nil {
			return err
		}
		if paid.IsPositive() {
			return fmt.Errorf("%w: installment %d has payments of %s; reverse them before cancelling it", billing.ErrConflict, id, billing.FormatMoney(paid))
		}
		if _, err := tx.Exec(ctx, `UPDATE installments SET state = 'cancelled' WHERE id = $1`, id); err != nil {
			return fmt.Errorf("cancel installment %d: %w", id, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO installment_changes (installment_id, contract_id, kind, old_due_date, old_total, reason, actor)
			VALUES ($1, $2, 'cancel', $3, $4, $5, $6)`, id, in.ContractID, in.DueDate, in.Amount.Sub(in.Discount), reason, auditActor(ctx))
		if err != nil {
			return fmt.Errorf("record the cancellation of installment %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return records.Installment{}, err
	}
	return s.installment(ctx, id)
}

// InstallmentChanges lists the recorded changes of an installment, oldest first.
func (s *Store) InstallmentChanges(ctx context.Context, id int64) ([]records.InstallmentChange, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM installments WHERE id = $1)`, id).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read installment %d: %w", id, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: installment %d", billing.ErrNotFound, id)
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, installment_id, contract_id, kind, old_due_date, new_due_date, old_total, new_total,
			reason, actor, created_at
		FROM installment_changes WHERE installment_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read the changes of installment %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.InstallmentChange, error) {
		var c records.InstallmentChange
		var oldDue, newDue pgtype.Date
		err := r.Scan(&c.ID, &c.InstallmentID, &c.ContractID, &c.Kind, &oldDue, &newDue, &c.OldTotal, &c.NewTotal,
			&c.Reason, &c.Actor, &c.CreatedAt)
		c.OldDueDate, c.NewDueDate = optDate(oldDue), optDate(newDue)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the changes of installment %d: %w", id, err)
	}
	return out, nil
}

// lockInstallmentContract locks the contract of an installment (the lock order in doc.go:
// the contract before its installments) and returns it.
func (s *Store) lockInstallmentContract(ctx context.Context, tx pgx.Tx, id int64) (billing.Contract, error) {
	var contract int64
	err := tx.QueryRow(ctx, `SELECT contract_id FROM installments WHERE id = $1`, id).Scan(&contract)
	if err := notFound(err, "installment", id); err != nil {
		return billing.Contract{}, err
	}
	c, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1 FOR NO KEY UPDATE", contract))
	if err != nil {
		return billing.Contract{}, fmt.Errorf("lock contract %d of installment %d: %w", contract, id, err)
	}
	return c, nil
}

// lockOpenInstallment locks an installment and returns it with what its payments not
// reversed paid; a paid or cancelled one is a conflict saying it cannot be what (changed,
// cancelled).
func lockOpenInstallment(ctx context.Context, tx pgx.Tx, id int64, what string) (records.Installment, decimal.Decimal, error) {
	in, err := scanInstallment(tx.QueryRow(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = $1 FOR NO KEY UPDATE", id))
	if err := notFound(err, "installment", id); err != nil {
		return records.Installment{}, decimal.Zero, err
	}
	if in.State != records.InstallmentOpen {
		return records.Installment{}, decimal.Zero, fmt.Errorf("%w: installment %d is %s; only an open installment can be %s",
			billing.ErrConflict, id, in.State, what)
	}
	var paid decimal.Decimal
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM payments WHERE installment_id = $1 AND reversed_at IS NULL`,
		id).Scan(&paid); err != nil {
		return records.Installment{}, decimal.Zero, fmt.Errorf("read the payments of installment %d: %w", id, err)
	}
	return in, paid, nil
}

// installment reads one installment with its lines and payments.
func (s *Store) installment(ctx context.Context, id int64) (records.Installment, error) {
	in, err := scanInstallment(s.Pool.QueryRow(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = $1", id))
	if err := notFound(err, "installment", id); err != nil {
		return records.Installment{}, err
	}
	out := []records.Installment{in}
	if err := fillLedger(ctx, s.Pool, out); err != nil {
		return records.Installment{}, err
	}
	return out[0], nil
}

// auditActor is the actor of the request's audit record (the operator's token name), or ""
// outside a request.
func auditActor(ctx context.Context) string {
	if e := records.AuditOf(ctx); e != nil {
		return e.Actor
	}
	return ""
}
