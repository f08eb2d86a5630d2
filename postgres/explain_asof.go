package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// installmentOn is one installment of a contract as it stood on a date: its effective due
// date then, and whether it was open, settled (on which day) or cancelled.
type installmentOn struct {
	inst Installment
	// due is the effective due date on the date: the date before the first re-dating
	// recorded after it (installment_redates), else the installment's due date now.
	due time.Time
	// state is open, paid or cancelled on the date; settledOn the day it was settled.
	state     string
	settledOn time.Time
	// asks is what it asked on its due date: its amount without late lines, less discounts.
	asks decimal.Decimal
}

// installmentsOn reads contract id's installments as they stood on date on, with the
// payment rules' own code (billing.Ledger.Restate over the payments of that date: paid on or
// before it and not reversed by it, a reversal counting from its business day in loc), so
// that an installment paid after the date is open on it and one whose payment was reversed
// after the date is paid on it. A cancelled installment is taken as cancelled whatever the
// date (no cancellation day is stored). They come in due date and id order.
func installmentsOn(ctx context.Context, tx pgx.Tx, id int64, on time.Time, loc *time.Location) ([]installmentOn, error) {
	var ids []int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM installments WHERE contract_id = $1`, id).Scan(&ids); err != nil {
		return nil, fmt.Errorf("read installments of contract %d: %w", id, err)
	}
	ledgers, err := readLedgers(ctx, tx, ids, false)
	if err != nil || len(ledgers) == 0 {
		return nil, err
	}
	for _, l := range ledgers {
		l.ledger.Payments, l.ledger.State = nil, billing.InstallmentOpen
	}
	rows, err := tx.Query(ctx, `SELECT installment_id, amount, paid_on FROM payments
		WHERE contract_id = $1 AND paid_on <= $2 AND (reversed_at IS NULL OR (reversed_at AT TIME ZONE $3)::date > $2)
		ORDER BY installment_id, paid_on, id`, id, date(on), loc.String())
	if err != nil {
		return nil, fmt.Errorf("read payments of contract %d on %s: %w", id, billing.FormatDate(on), err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var inst int64
		var p billing.PaymentOn
		if err := r.Scan(&inst, &p.Amount, &p.On); err != nil {
			return struct{}{}, err
		}
		if l := ledgers[inst]; l != nil {
			l.ledger.Payments = append(l.ledger.Payments, p)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read payments of contract %d on %s: %w", id, billing.FormatDate(on), err)
	}
	// The due date on the date is the one the first re-dating after it moved from.
	before := map[int64]time.Time{}
	rows, err = tx.Query(ctx, `SELECT DISTINCT ON (installment_id) installment_id, from_effective FROM installment_redates
		WHERE contract_id = $1 AND (at AT TIME ZONE $3)::date > $2 ORDER BY installment_id, at, id`, id, date(on), loc.String())
	if err != nil {
		return nil, fmt.Errorf("read re-datings of contract %d: %w", id, err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var inst int64
		var due pgtype.Date
		err := r.Scan(&inst, &due)
		before[inst] = due.Time
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read re-datings of contract %d: %w", id, err)
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make([]installmentOn, 0, len(ledgers))
	for _, l := range ledgers {
		x := installmentOn{inst: l.inst, due: l.inst.DueDate, state: l.inst.State}
		if d, ok := before[l.inst.ID]; ok {
			x.due = d
		}
		x.asks = l.ledger.Receivable.Amount.Sub(l.inst.Discount)
		l.ledger.Receivable.EffectiveDue = x.due
		if x.state != billing.InstallmentCancelled {
			state, due, err := l.ledger.Restate(on, cal)
			if err != nil {
				return nil, err
			}
			x.state, x.settledOn = state, due.SettledOn
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b installmentOn) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return cmp.Compare(a.inst.ID, b.inst.ID)
	})
	return out, nil
}

// ladderOn replaces a contract's ladder state's installments (loadLadder's, as they stand
// now) by those of the date: its open installments then, and, when its rule counts days in
// default (Lei 9.656/98), those settled late in the 12 months before it.
func ladderOn(state *delinquency.LadderState, all []installmentOn, on time.Time) {
	state.Open = nil
	for _, x := range all {
		if x.state == billing.InstallmentOpen {
			state.Open = append(state.Open, delinquency.Installment{ID: x.inst.ID, Kind: x.inst.Kind, Sequence: x.inst.Sequence,
				Due: x.due, ServiceStart: x.inst.ServiceStart})
		}
	}
	if _, counts := delinquency.BenefitGate(delinquency.LadderState{Ladder: state.Ladder}, on); !counts {
		return
	}
	state.History = nil
	for _, x := range all {
		if x.state == billing.InstallmentPaid && x.settledOn.After(x.due) && x.settledOn.After(on.AddDate(0, 0, -366)) {
			state.History = append(state.History, delinquency.DefaultSpell{Due: x.due, SettledOn: x.settledOn})
		}
	}
}

// overdueFrom lists the installments open on date on and due before it, oldest first.
func overdueFrom(all []installmentOn, on time.Time) []records.OverdueInstallment {
	var out []records.OverdueInstallment
	for _, x := range all {
		if x.state == billing.InstallmentOpen && x.due.Before(on) {
			out = append(out, records.OverdueInstallment{ID: x.inst.ID, Sequence: x.inst.Sequence, Term: x.inst.Term, DueDate: x.due,
				OverdueSince: x.due.AddDate(0, 0, 1), Amount: x.asks})
		}
	}
	return out
}
