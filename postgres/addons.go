package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Add-ons (issue 19 item 6): a recurring add-on is an 'addon' line (source key
// 'addon:<id>', billing.AddonLine) on every recurring installment whose service period it
// is active in. Installments created while it is active get it in the statement that
// creates them (installmentBatch.insert: generation, renewal, activation); the open ones
// already there when it starts or ends get it, or have it re-prorated, through changeLines.
// Paid installments keep the line they were paid with.

const addonColumns = `id, contract_id, description, price, active_from, active_until, created_at`

func scanAddon(row pgx.Row) (records.Addon, error) {
	var (
		a     records.Addon
		until pgtype.Date
	)
	err := row.Scan(&a.ID, &a.ContractID, &a.Description, &a.Price, &a.From, &until, &a.CreatedAt)
	a.Until = optDate(until)
	return a, err
}

// CreateAddon starts a recurring add-on on a contract that is not closed and charges it on
// the contract's open recurring installments whose service period ends on or after its
// first day (prorated for a period it covers in part), in one transaction.
func (s *Store) CreateAddon(ctx context.Context, contractID int64, a billing.Addon) (records.Addon, error) {
	var out records.Addon
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := lockOpenContract(ctx, tx, contractID); err != nil {
			return err
		}
		var err error
		out, err = scanAddon(tx.QueryRow(ctx, `INSERT INTO contract_addons (contract_id, description, price, active_from, active_until)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+addonColumns, contractID, a.Description, a.Price, a.From, date(a.Until)))
		if err != nil {
			return fmt.Errorf("record add-on: %w", err)
		}
		return reprorateAddon(ctx, tx, out)
	})
	return out, err
}

// EndAddon ends a contract's add-on on until (its last active day): the open installments
// whose service period starts after it lose its line, the one containing it gets it
// prorated. An add-on already ended is a conflict; an unknown one billing.ErrNotFound.
func (s *Store) EndAddon(ctx context.Context, contractID, addonID int64, until time.Time) (records.Addon, error) {
	var out records.Addon
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := lockContract(ctx, tx, contractID); err != nil {
			return err
		}
		a, err := scanAddon(tx.QueryRow(ctx, "SELECT "+addonColumns+` FROM contract_addons WHERE id = $1 AND contract_id = $2
			FOR UPDATE`, addonID, contractID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: contract %d has no add-on %d", billing.ErrNotFound, contractID, addonID)
		}
		if err != nil {
			return fmt.Errorf("read add-on %d: %w", addonID, err)
		}
		if !a.Until.IsZero() {
			return fmt.Errorf("%w: add-on %d already ended on %s", billing.ErrConflict, addonID, billing.FormatDate(a.Until))
		}
		a.Until = until
		if err := a.Validate(); err != nil {
			return err
		}
		if out, err = scanAddon(tx.QueryRow(ctx, `UPDATE contract_addons SET active_until = $2 WHERE id = $1 RETURNING `+addonColumns,
			addonID, until)); err != nil {
			return fmt.Errorf("end add-on %d: %w", addonID, err)
		}
		return reprorateAddon(ctx, tx, out)
	})
	return out, err
}

// Addons lists a contract's add-ons by id, ended ones included. An unknown contract is
// billing.ErrNotFound.
func (s *Store) Addons(ctx context.Context, contractID int64, page Page) ([]records.Addon, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM contracts WHERE id = $1)", contractID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up contract %d: %w", contractID, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: contract %d", billing.ErrNotFound, contractID)
	}
	rows, err := s.Pool.Query(ctx, "SELECT "+addonColumns+` FROM contract_addons WHERE contract_id = $1 AND id > $2
		ORDER BY id LIMIT $3`, contractID, page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list add-ons of contract %d: %w", contractID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.Addon, error) { return scanAddon(r) })
}

// reprorateAddon makes the add-on's line on each of its contract's open recurring
// installments what billing.AddonLine says for its service period: replacing the line it
// has, adding a missing one, removing one the add-on is no longer active in. The caller
// holds the contract's lock.
func reprorateAddon(ctx context.Context, tx pgx.Tx, a records.Addon) error {
	rows, err := tx.Query(ctx, `SELECT i.id, i.service_start, i.service_end,
			(SELECT l.id FROM installment_lines l WHERE l.installment_id = i.id AND l.source_key = $2)
		FROM installments i WHERE i.contract_id = $1 AND i.kind = 'recurring' AND i.state = 'open' AND i.service_end IS NOT NULL
		ORDER BY i.id FOR UPDATE`, a.ContractID, fmt.Sprintf("addon:%d", a.ID))
	if err != nil {
		return fmt.Errorf("read open installments of contract %d: %w", a.ContractID, err)
	}
	var change LineChange
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			id         int64
			start, end time.Time
			line       pgtype.Int8
		)
		if err := r.Scan(&id, &start, &end, &line); err != nil {
			return struct{}{}, err
		}
		if line.Valid {
			change.Remove = append(change.Remove, line.Int64)
		}
		if l, ok := billing.AddonLine(a.ID, a.Addon, start, end); ok {
			change.Add = append(change.Add, NewLine{InstallmentID: id, Line: l})
		}
		return struct{}{}, nil
	})
	if err != nil {
		return fmt.Errorf("read open installments of contract %d: %w", a.ContractID, err)
	}
	if _, _, err := changeLines(ctx, tx, change); err != nil {
		return fmt.Errorf("charge add-on %d: %w", a.ID, err)
	}
	return nil
}

// addAddonLines adds to the batch's recurring installments the lines of their contracts'
// add-ons active in their service periods (billing.AddonLine), moving each installment's
// amount with them, so insert writes them in its one statement. It reads the add-ons of
// the batch's contracts in one query.
func (c *installmentBatch) addAddonLines(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, "SELECT "+addonColumns+" FROM contract_addons WHERE contract_id = ANY($1) ORDER BY id", c.contract)
	if err != nil {
		return fmt.Errorf("read add-ons: %w", err)
	}
	addons, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.Addon, error) { return scanAddon(r) })
	if err != nil {
		return fmt.Errorf("read add-ons: %w", err)
	}
	if len(addons) == 0 {
		return nil
	}
	byContract := map[int64][]records.Addon{}
	for _, a := range addons {
		byContract[a.ContractID] = append(byContract[a.ContractID], a)
	}
	for i, contract := range c.contract {
		if c.kind[i] != string(billing.Recurring) || !c.serviceEnd[i].Valid {
			continue
		}
		for _, a := range byContract[contract] {
			if l, ok := billing.AddonLine(a.ID, a.Addon, c.serviceStart[i].Time, c.serviceEnd[i].Time); ok {
				c.lines.add(int64(i+1), l)
				c.amount[i] = c.amount[i].Add(l.Amount)
			}
		}
	}
	return nil
}
