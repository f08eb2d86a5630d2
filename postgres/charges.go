package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// One-off charges (issue 19 item 6): a charge is billed as 'charge' lines on the contract's
// next open installments, those falling due on or after the day it is made, in due-date
// order, one part each (billing.ChargeLines: the remainder cents on the first).

// lockOpenContract locks a contract (the lock order in doc.go) and refuses one that is
// closed (cancelled or finished): a conflict.
func lockOpenContract(ctx context.Context, tx pgx.Tx, id int64) error {
	var status string
	err := tx.QueryRow(ctx, "SELECT status FROM contracts WHERE id = $1 FOR NO KEY UPDATE", id).Scan(&status)
	if err := notFound(err, "contract", id); err != nil {
		return err
	}
	if status == billing.StatusCancelled || status == billing.StatusFinished {
		return fmt.Errorf("%w: contract %d is %s; nothing more is billed on it", billing.ErrConflict, id, status)
	}
	return nil
}

// CreateCharge bills a one-off charge on the contract's next c.Installments open
// installments due on or after today, in one transaction, and reports whether it created
// it: a request repeating an idempotency key (key not empty) gets the charge that key made,
// unchanged, or a conflict when its charge differs. A contract with fewer open
// installments due from today is a field error naming installments; a closed one a conflict.
func (s *Store) CreateCharge(ctx context.Context, contractID int64, c billing.OneOffCharge, key string, today time.Time) (records.Charge, bool, error) {
	var (
		out     records.Charge
		created bool
	)
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		created = false
		if err := lockOpenContract(ctx, tx, contractID); err != nil {
			return err
		}
		if key != "" {
			prev, err := readCharge(ctx, tx, `c.contract_id = $1 AND c.idempotency_key = $2`, contractID, key)
			switch {
			case err == nil:
				if prev.Description != c.Description || !prev.Amount.Equal(c.Amount) || prev.Installments != c.Installments {
					return fmt.Errorf("%w: idempotency_key %q already made charge %d, a different one", billing.ErrConflict, key, prev.ID)
				}
				out = prev
				return nil
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT id FROM installments WHERE contract_id = $1 AND state = 'open' AND due_date >= $2
			ORDER BY due_date, id LIMIT $3 FOR UPDATE`, contractID, today, c.Installments)
		if err != nil {
			return fmt.Errorf("read open installments of contract %d: %w", contractID, err)
		}
		targets, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("read open installments of contract %d: %w", contractID, err)
		}
		if len(targets) < c.Installments {
			return billing.Fieldf("installments", "contract %d has %d open installment(s) due from %s; a charge is split in at most that many",
				contractID, len(targets), billing.FormatDate(today))
		}
		var id int64
		var optKey *string
		if key != "" {
			optKey = &key
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contract_charges (contract_id, description, amount, installments, idempotency_key)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, contractID, c.Description, c.Amount, c.Installments, optKey).Scan(&id); err != nil {
			return fmt.Errorf("record charge: %w", err)
		}
		lines, err := billing.ChargeLines(id, c)
		if err != nil {
			return err
		}
		var change LineChange
		for i, l := range lines {
			change.Add = append(change.Add, NewLine{InstallmentID: targets[i], Line: l})
		}
		if _, _, err := changeLines(ctx, tx, change); err != nil {
			return fmt.Errorf("bill charge %d: %w", id, err)
		}
		if _, err := billPendingOverage(ctx, tx, contractID, 0); err != nil {
			return err
		}
		created = true
		out, err = readCharge(ctx, tx, `c.id = $1`, id)
		return err
	})
	return out, created, err
}

// Charges lists a contract's one-off charges by id (page.After is a charge id), each with
// its parts. An unknown contract is billing.ErrNotFound.
func (s *Store) Charges(ctx context.Context, contractID int64, page Page) ([]records.Charge, error) {
	var out []records.Charge
	err := pgx.BeginTxFunc(ctx, s.Pool, readOnly, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM contracts WHERE id = $1)", contractID).Scan(&exists); err != nil {
			return fmt.Errorf("look up contract %d: %w", contractID, err)
		}
		if !exists {
			return fmt.Errorf("%w: contract %d", billing.ErrNotFound, contractID)
		}
		rows, err := tx.Query(ctx, `SELECT id FROM contract_charges WHERE contract_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
			contractID, page.After, page.Size())
		if err != nil {
			return fmt.Errorf("list charges of contract %d: %w", contractID, err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("list charges of contract %d: %w", contractID, err)
		}
		out = make([]records.Charge, 0, len(ids))
		for _, id := range ids { // at most a page
			ch, err := readCharge(ctx, tx, `c.id = $1`, id)
			if err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// readCharge reads the one charge where selects (over contract_charges c), with its parts
// in due-date order; pgx.ErrNoRows when there is none.
func readCharge(ctx context.Context, q Queryer, where string, args ...any) (records.Charge, error) {
	var (
		ch  records.Charge
		key *string
	)
	err := q.QueryRow(ctx, `SELECT c.id, c.contract_id, c.description, c.amount, c.installments, c.idempotency_key, c.created_at
		FROM contract_charges c WHERE `+where, args...).Scan(&ch.ID, &ch.ContractID, &ch.Description, &ch.Amount,
		&ch.Installments, &key, &ch.CreatedAt)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ch, err
		}
		return ch, fmt.Errorf("read charge: %w", err)
	}
	if key != nil {
		ch.IdempotencyKey = *key
	}
	rows, err := q.Query(ctx, `SELECT l.installment_id, i.due_date, l.amount, l.description FROM installment_lines l
		JOIN installments i ON i.id = l.installment_id
		WHERE l.contract_id = $1 AND l.kind = 'charge' AND l.source_key LIKE $2 ORDER BY i.due_date, l.id`,
		ch.ContractID, fmt.Sprintf("charge:%d:%%", ch.ID))
	if err != nil {
		return ch, fmt.Errorf("read parts of charge %d: %w", ch.ID, err)
	}
	ch.Parts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.ChargePart, error) {
		var p records.ChargePart
		err := r.Scan(&p.InstallmentID, &p.DueDate, &p.Amount, &p.Description)
		return p, err
	})
	if err != nil {
		return ch, fmt.Errorf("read parts of charge %d: %w", ch.ID, err)
	}
	return ch, nil
}
