package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// ReversePayment reverses a payment (a chargeback, a returned PIX) on reason, received at
// now: it marks the payment reversed and, in the same transaction, recomputes its
// installment from the remaining payments (billing.Ledger.Restate, as of today in loc): paid
// on the date of the payment that still covers it, or open again with its balance (a
// cancelled installment stays cancelled). The installment's late lines follow its
// settlement: those of the old settlement are removed and, when it is still settled late,
// those of the new one written, keyed by the payment that settles it now (changeLines). It
// locks the contract, then the installment, then the payment, and hands the reversal to the
// follow-ups (PaymentReversed). billing.ErrNotFound for an unknown payment, ErrConflict
// for one already reversed.
func (s *Store) ReversePayment(ctx context.Context, id int64, reason string, now time.Time, loc *time.Location) (Payment, Installment, error) {
	today := billing.DateOf(now, loc)
	var payment Payment
	var inst Installment
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var installment, contract int64
		err := tx.QueryRow(ctx, "SELECT installment_id, contract_id FROM payments WHERE id = $1", id).Scan(&installment, &contract)
		if err := notFound(err, "payment", id); err != nil {
			return err
		}
		if err := lockContract(ctx, tx, contract); err != nil {
			return err
		}
		ledgers, err := readLedgers(ctx, tx, []int64{installment}, true)
		if err != nil {
			return err
		}
		l := ledgers[installment]
		if payment, err = scanPayment(tx.QueryRow(ctx, "SELECT "+paymentColumns+" FROM payments WHERE id = $1 FOR UPDATE", id)); err != nil {
			return fmt.Errorf("read payment %d: %w", id, err)
		}
		if payment.Reversed() {
			return fmt.Errorf("%w: payment %d was already reversed on %s (%s)", billing.ErrConflict, id,
				payment.ReversedAt.In(loc).Format(time.DateOnly), payment.ReversalReason)
		}
		if payment, err = scanPayment(tx.QueryRow(ctx, `UPDATE payments SET reversed_at = $2, reversal_reason = $3
			WHERE id = $1 RETURNING `+paymentColumns, id, now, reason)); err != nil {
			return fmt.Errorf("reverse payment %d: %w", id, err)
		}
		// The installment without the reversed payment.
		remaining := l.ledger
		remaining.Payments = nil
		var ids []int64
		for k, p := range l.ledger.Payments {
			if l.payments[k] != id {
				remaining.Payments = append(remaining.Payments, p)
				ids = append(ids, l.payments[k])
			}
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		state, due, err := remaining.Restate(today, cal)
		if err != nil {
			return err
		}
		was := l.inst.State
		l.ledger, l.payments = remaining, ids
		if err := restate(ctx, tx, l, state, due); err != nil {
			return err
		}
		// The installment as restate left it, its totals moved with its late lines.
		if inst, err = scanInstallment(tx.QueryRow(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = $1", installment)); err != nil {
			return fmt.Errorf("read installment %d: %w", installment, err)
		}
		insts := []Installment{inst}
		if err := fillLedger(ctx, tx, insts); err != nil {
			return err
		}
		inst = insts[0]
		if _, err := recordEvents(ctx, tx, []NewEvent{reversedEvent(payment, inst, was, today)}); err != nil {
			return err
		}
		if s.FollowUps == nil {
			return nil
		}
		return s.FollowUps.PaymentReversed(ctx, tx, PaymentReversed{Payment: payment, Installment: inst,
			Reopened: was == billing.InstallmentPaid && state == billing.InstallmentOpen, ReversedAt: now})
	})
	if err != nil {
		return Payment{}, Installment{}, err
	}
	return payment, inst, nil
}

// restate stores an installment's recomputed state: its state, settlement date and paid
// amount, and its late lines, which follow the settlement (removed when it is no longer
// settled late, or by another payment or for other amounts; written for the new one).
func restate(ctx context.Context, tx pgx.Tx, l *ledgerRow, state string, due billing.AmountDue) error {
	var want []billing.Line
	paidAt, paid := date(time.Time{}), (*decimal.Decimal)(nil)
	if state == billing.InstallmentPaid {
		settling := l.payments[due.SettledBy]
		want = billing.LateLines(due, l.ledger.Rule, settling)
		total := l.paid()
		paidAt, paid = date(due.SettledOn), &total
	}
	var change LineChange
	keep := map[string]bool{}
	for _, w := range want {
		for _, have := range l.late {
			if have.sourceKey == w.SourceKey && have.amount.Equal(w.Amount) {
				keep[w.SourceKey] = true
			}
		}
	}
	for _, have := range l.late {
		if !keep[have.sourceKey] {
			change.Remove = append(change.Remove, have.id)
		}
	}
	for _, w := range want {
		if !keep[w.SourceKey] {
			change.Add = append(change.Add, NewLine{InstallmentID: l.inst.ID, Line: w})
		}
	}
	if state != billing.InstallmentCancelled {
		tag, err := tx.Exec(ctx, `UPDATE installments SET state = $2, paid_at = $3, paid_amount = $4 WHERE id = $1`,
			l.inst.ID, state, paidAt, paid)
		if err != nil {
			return fmt.Errorf("restate installment %d: %w", l.inst.ID, err)
		}
		if tag.RowsAffected() != 1 {
			return errors.New("restate: the installment is gone") // unreachable: it is locked
		}
		l.inst.State, l.inst.PaidAt, l.inst.PaidAmount = state, optDate(paidAt), paid
	}
	if _, _, err := changeLines(ctx, tx, change); err != nil {
		return fmt.Errorf("late lines of installment %d: %w", l.inst.ID, err)
	}
	return nil
}

// reversedEvent is the installment.reversed event of a payment's reversal (subject
// payment:<id>), on the day it was received: the installment as the reversal left it.
func reversedEvent(p Payment, inst Installment, was string, today time.Time) NewEvent {
	return NewEvent{Kind: records.EventInstallmentReversed, ContractID: inst.ContractID, Subject: fmt.Sprintf("payment:%d", p.ID),
		OccurredOn: today, Payload: map[string]any{"installment_id": inst.ID, "payment_id": p.ID,
			"amount": billing.FormatMoney(p.Amount), "paid_on": billing.FormatDate(p.PaidOn), "reason": p.ReversalReason,
			"state_before": was, "state": inst.State, "paid": billing.FormatMoney(inst.Paid)}}
}
