package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

// Overage (issue 19 item 3): the units of a use beyond its quota, when the plan benefit has
// an overage_unit_price, are billed as an 'overage' line (source key 'overage:<use id>') on
// the contract's next open installment: the first one, by due date, falling due after the
// use. A use with no such installment yet stays unbilled (benefit_usages.overage_installment_id
// NULL) and is billed by the contract's next use or charge, whichever comes first.

// billPendingOverage bills every unbilled, unreversed overage of the contract on its next
// open installment after each use, in one statement per installment found, and returns the
// installment that billed the use usageID (0 when it is still unbilled). The caller holds
// the contract's lock; the source key makes a second call bill nothing twice.
func billPendingOverage(ctx context.Context, tx pgx.Tx, contractID, usageID int64) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT u.id, b.name, u.overage, u.overage_unit_price, u.used_at,
			(SELECT i.id FROM installments i WHERE i.contract_id = u.contract_id AND i.state = 'open' AND i.due_date > u.used_at
			 ORDER BY i.due_date, i.id LIMIT 1)
		FROM benefit_usages u JOIN benefits b ON b.id = u.benefit_id
		WHERE u.contract_id = $1 AND u.overage > 0 AND u.overage_installment_id IS NULL AND u.reversed_at IS NULL
		ORDER BY u.id`, contractID)
	if err != nil {
		return 0, fmt.Errorf("read unbilled overage of contract %d: %w", contractID, err)
	}
	var (
		change        LineChange
		uses, targets []int64
	)
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			id     int64
			name   string
			units  int
			price  decimal.Decimal
			usedOn time.Time
			target pgtype.Int8
		)
		if err := r.Scan(&id, &name, &units, &price, &usedOn, &target); err != nil {
			return struct{}{}, err
		}
		if target.Valid {
			change.Add = append(change.Add, NewLine{InstallmentID: target.Int64, Line: benefits.OverageLine(id, name, units, price, usedOn)})
			uses, targets = append(uses, id), append(targets, target.Int64)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("read unbilled overage of contract %d: %w", contractID, err)
	}
	if len(uses) == 0 {
		return 0, nil
	}
	if _, _, err := changeLines(ctx, tx, change); err != nil {
		return 0, fmt.Errorf("bill overage of contract %d: %w", contractID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE benefit_usages u SET overage_installment_id = t.installment_id
		FROM unnest($1::bigint[], $2::bigint[]) AS t(id, installment_id) WHERE u.id = t.id`, uses, targets); err != nil {
		return 0, fmt.Errorf("mark overage of contract %d billed: %w", contractID, err)
	}
	for i, id := range uses {
		if id == usageID {
			return targets[i], nil
		}
	}
	return 0, nil
}

// unbillOverage removes the overage line of a use being reversed from the installment that
// bills it, which must still be open (a paid one is a conflict: refund it instead). A use
// without billed overage changes nothing.
func unbillOverage(ctx context.Context, tx pgx.Tx, usageID int64) error {
	var (
		inst  pgtype.Int8
		state string
		line  pgtype.Int8
	)
	err := tx.QueryRow(ctx, `SELECT u.overage_installment_id, coalesce(i.state, ''),
			(SELECT l.id FROM installment_lines l WHERE l.installment_id = i.id AND l.source_key = $2)
		FROM benefit_usages u LEFT JOIN installments i ON i.id = u.overage_installment_id
		WHERE u.id = $1 FOR UPDATE OF u`, usageID, benefits.OverageSourceKey(usageID)).Scan(&inst, &state, &line)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !inst.Valid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read overage of benefit use %d: %w", usageID, err)
	}
	if state != "open" {
		return fmt.Errorf("%w: benefit use %d's overage is billed on installment %d, which is %s", billing.ErrConflict, usageID, inst.Int64, state)
	}
	if line.Valid {
		if _, _, err := changeLines(ctx, tx, LineChange{Remove: []int64{line.Int64}}); err != nil {
			return fmt.Errorf("remove overage line of benefit use %d: %w", usageID, err)
		}
	}
	return nil
}
