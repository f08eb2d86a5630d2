package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// Ledgers reads, through q (the caller's transaction or the pool), what the payment rules
// need of each of the given installments: billing.Ledger — its state, what it asks
// (Receivable: its amount without the late lines of its settlement, its discounts, on-time
// discount and effective due date), its contract's late rule and its payments not reversed,
// in date order — for billing.AmountDueOn (a collection notice's figures) or Ledger.Apply.
// Unknown ids are left out; nothing is locked.
func Ledgers(ctx context.Context, q Queryer, ids []int64) (map[int64]billing.Ledger, error) {
	rows, err := readLedgers(ctx, q, ids, false)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]billing.Ledger, len(rows))
	for id, l := range rows {
		out[id] = l.ledger
	}
	return out, nil
}

// ledgerRow is one installment read with what the payment rules need.
type ledgerRow struct {
	inst        Installment
	ledger      billing.Ledger
	allowCredit bool
	// payments are the ids of ledger.Payments, in the same order (a pending payment of
	// the batch is -(its place + 1) until written).
	payments []int64
	// late are the installment's late lines.
	late []lateLine
	// settledBy is the pending payment of the batch that settled it; -1 when none did.
	settledBy int
}

// lateLine is a late_fine or late_interest line as read.
type lateLine struct {
	id        int64
	sourceKey string
	amount    decimal.Decimal
}

// paid is what the installment's payments not reversed add up to.
func (l *ledgerRow) paid() decimal.Decimal {
	var sum decimal.Decimal
	for _, p := range l.ledger.Payments {
		sum = sum.Add(p.Amount)
	}
	return sum
}

// record returns the installment as it stands, with what its payments add up to.
func (l *ledgerRow) record() Installment {
	i := l.inst
	i.Paid = l.paid()
	return i
}

// readLedgers reads the installments with the given ids (locked FOR UPDATE in id order with
// lock, after their contracts), their contracts' late rule and allow_credit, their payments
// not reversed and their late lines.
func readLedgers(ctx context.Context, q Queryer, ids []int64, lock bool) (map[int64]*ledgerRow, error) {
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = ANY($1) ORDER BY id"+forUpdate, ids)
	if err != nil {
		return nil, fmt.Errorf("read installments: %w", err)
	}
	out := map[int64]*ledgerRow{}
	var contracts []int64
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		l := &ledgerRow{settledBy: -1}
		scan := installmentScan{i: &l.inst}
		if err := r.Scan(scan.dest()...); err != nil {
			return struct{}{}, err
		}
		scan.finish()
		out[l.inst.ID] = l
		contracts = append(contracts, l.inst.ContractID)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read installments: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// Their contracts' terms by the contracts' own key, in a statement of their own: joined
	// to the installments in one statement, the planner hashed the whole contracts table for
	// each call (68 of 96 ms of a 5,000-installment chunk of a return file at 100,000
	// contracts, growing with them).
	slices.Sort(contracts)
	contracts = slices.Compact(contracts)
	type terms struct {
		allowCredit bool
		rule        billing.LateRule
	}
	byContract := make(map[int64]terms, len(contracts))
	rows, err = q.Query(ctx, `SELECT c.id, c.allow_credit, c.late_fine_percent, c.monthly_interest_percent, p.late_fine_percent,
			p.monthly_interest_percent
		FROM contracts c JOIN plans p ON p.id = c.plan_id WHERE c.id = ANY($1)`, contracts)
	if err != nil {
		return nil, fmt.Errorf("read late rules: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var t terms
		var contract, plan billing.LateSettings
		if err := r.Scan(&id, &t.allowCredit, &contract.FinePercent, &contract.MonthlyInterestPercent, &plan.FinePercent,
			&plan.MonthlyInterestPercent); err != nil {
			return struct{}{}, err
		}
		t.rule = billing.ResolveLateRule(contract, plan)
		byContract[id] = t
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read late rules: %w", err)
	}
	for _, l := range out {
		t := byContract[l.inst.ContractID]
		l.allowCredit = t.allowCredit
		l.ledger = billing.Ledger{InstallmentID: l.inst.ID, ContractID: l.inst.ContractID, State: l.inst.State,
			PaidAt: l.inst.PaidAt, Rule: t.rule,
			Receivable: billing.Receivable{Amount: l.inst.Amount, Discount: l.inst.Discount,
				OnTimeDiscount: l.inst.OnTimeDiscount, EffectiveDue: l.inst.DueDate}}
	}
	rows, err = q.Query(ctx, `SELECT installment_id, id, source_key, amount FROM installment_lines
		WHERE installment_id = ANY($1) AND kind IN ('late_fine', 'late_interest') ORDER BY installment_id, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read late lines: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var inst int64
		var ll lateLine
		if err := r.Scan(&inst, &ll.id, &ll.sourceKey, &ll.amount); err != nil {
			return struct{}{}, err
		}
		l := out[inst]
		l.late = append(l.late, ll)
		// What the installment asks is its amount without the late charges its settlement added.
		l.ledger.Receivable.Amount = l.ledger.Receivable.Amount.Sub(ll.amount)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read late lines: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT installment_id, id, amount, paid_on FROM payments
		WHERE installment_id = ANY($1) AND reversed_at IS NULL ORDER BY installment_id, paid_on, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read payments: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var inst, id int64
		var p billing.PaymentOn
		if err := r.Scan(&inst, &id, &p.Amount, &p.On); err != nil {
			return struct{}{}, err
		}
		l := out[inst]
		l.ledger.Payments = append(l.ledger.Payments, p)
		l.payments = append(l.payments, id)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read payments: %w", err)
	}
	return out, nil
}

// InstallmentDue returns an installment with its lines and what it asks on date on
// (billing.AmountDueOn over its payments not reversed, under its contract's late rule):
// amount, discounts, the on-time discount, fine, interest, paid and balance.
func (s *Store) InstallmentDue(ctx context.Context, id int64, on time.Time) (Installment, billing.AmountDue, error) {
	var inst Installment
	var due billing.AmountDue
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		ledgers, err := readLedgers(ctx, tx, []int64{id}, false)
		if err != nil {
			return err
		}
		l, ok := ledgers[id]
		if !ok {
			return fmt.Errorf("%w: installment %d", billing.ErrNotFound, id)
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		if due, err = billing.AmountDueOn(l.ledger.Receivable, l.ledger.Rule, cal, l.ledger.Payments, on); err != nil {
			return fmt.Errorf("installment %d: %w", id, err)
		}
		insts := []Installment{l.inst}
		if err := fillLedger(ctx, tx, insts); err != nil {
			return err
		}
		inst = insts[0]
		return nil
	})
	return inst, due, err
}
