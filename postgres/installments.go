package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

const installmentColumns = `id, contract_id, kind, term, sequence, service_start, service_end, nominal_due, due_date,
	amount, discount, on_time_discount, state, paid_at, paid_amount`

// installmentScan receives the columns of installmentColumns into an Installment.
type installmentScan struct {
	i                *Installment
	start, end, paid pgtype.Date
}

// dest returns the scan destinations of installmentColumns, in their order.
func (s *installmentScan) dest() []any {
	i := s.i
	return []any{&i.ID, &i.ContractID, &i.Kind, &i.Term, &i.Sequence, &s.start, &s.end, &i.NominalDue, &i.DueDate,
		&i.Amount, &i.Discount, &i.OnTimeDiscount, &i.State, &s.paid, &i.PaidAmount}
}

// finish sets the installment's optional dates once the row is scanned.
func (s *installmentScan) finish() {
	s.i.ServiceStart, s.i.ServiceEnd, s.i.PaidAt = optDate(s.start), optDate(s.end), optDate(s.paid)
}

func scanInstallment(row pgx.Row) (Installment, error) {
	var i Installment
	s := installmentScan{i: &i}
	err := row.Scan(s.dest()...)
	s.finish()
	return i, err
}

// Installments lists installments by id, each with its lines and what its payments add up to.
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
	return out, fillLedger(ctx, s.Pool, out)
}

// fillLedger reads the lines of the installments, what their payments not reversed add up
// to (paid, and the credit they left) and their payment instruments, and sets them on each.
func fillLedger(ctx context.Context, q Queryer, insts []Installment) error {
	if len(insts) == 0 {
		return nil
	}
	ids := make([]int64, len(insts))
	for i, in := range insts {
		ids[i] = in.ID
	}
	lines, err := installmentLines(ctx, q, ids)
	if err != nil {
		return err
	}
	rows, err := q.Query(ctx, `SELECT installment_id, sum(amount), sum(credit) FROM payments
		WHERE installment_id = ANY($1) AND reversed_at IS NULL GROUP BY installment_id`, ids)
	if err != nil {
		return fmt.Errorf("read payments of %d installments: %w", len(ids), err)
	}
	type sums struct{ paid, credit decimal.Decimal }
	paid := map[int64]sums{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var s sums
		err := r.Scan(&id, &s.paid, &s.credit)
		paid[id] = s
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("read payments of %d installments: %w", len(ids), err)
	}
	instruments, err := readInstruments(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range insts {
		id := insts[i].ID
		insts[i].Lines, insts[i].Paid, insts[i].Credit = lines[id], paid[id].paid, paid[id].credit
		insts[i].Instruments = instruments[id]
	}
	return nil
}
