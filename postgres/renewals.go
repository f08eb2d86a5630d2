package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
)

// fillRenewalStates sets each contract's renewal state: queued while its current term is in
// the renewal queue (with the date it entered), renewed when its current term was created by
// a renewal, none otherwise.
func fillRenewalStates(ctx context.Context, q Queryer, cs []billing.Contract) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	terms := make([]int32, len(cs))
	for i, c := range cs {
		ids[i], terms[i] = c.ID, int32(c.TermNumber)
	}
	rows, err := q.Query(ctx, `SELECT u.ord, q.queued_on,
			EXISTS (SELECT 1 FROM renewals r WHERE r.contract_id = u.id AND r.term = u.term - 1 AND r.renewed_on IS NOT NULL)
		FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS u(id, term, ord)
		LEFT JOIN renewals q ON q.contract_id = u.id AND q.term = u.term AND q.renewed_on IS NULL`, ids, terms)
	if err != nil {
		return fmt.Errorf("read renewal states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var queued pgtype.Date
		var renewed bool
		if err := rows.Scan(&ord, &queued, &renewed); err != nil {
			return fmt.Errorf("read renewal states: %w", err)
		}
		c := &cs[ord-1]
		switch {
		case queued.Valid:
			c.RenewalState, c.QueuedOn = RenewalQueued, queued.Time
		case renewed:
			c.RenewalState = RenewalRenewed
		default:
			c.RenewalState = RenewalNone
		}
	}
	return rows.Err()
}

// UpdatePlan locks a plan, applies change (which validates) and stores the plan's name,
// price, minimum price, renewal thresholds, late settings and a package's cycle_months. The
// plan's active contracts are flagged for renew-contracts, whose thresholds and plan price
// may have changed. A plan price change applies to existing contracts at their next renewal
// (renewal_price_mode plan_price); a new cycle_months, to each contract's current cycle,
// counted from its opening day, at the next reset-benefit-quotas run.
func (s *Store) UpdatePlan(ctx context.Context, id int64, change func(*billing.Plan) error) (billing.Plan, error) {
	var out billing.Plan
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1 FOR NO KEY UPDATE", id))
		if err := notFound(err, "plan", id); err != nil {
			return err
		}
		if err := change(&p); err != nil {
			return err
		}
		out, err = scanPlan(tx.QueryRow(ctx, `UPDATE plans SET name = $2, price = $3, min_price = $4,
				renewal_queue_threshold = $5, renewal_threshold = $6, late_fine_percent = $7, monthly_interest_percent = $8,
				cycle_months = $9, updated_at = now()
			WHERE id = $1 RETURNING `+planColumns, id, p.Name, p.Price, p.MinPrice, p.RenewalQueueThreshold, p.RenewalThreshold,
			p.Late.FinePercent, p.Late.MonthlyInterestPercent, p.CycleMonths))
		if err != nil {
			return fmt.Errorf("update plan %d: %w", id, err)
		}
		if err := checkPlanLateSettings(ctx, tx, id); err != nil {
			return err
		}
		const flag = `plan_id = $1 AND NOT renewal_check AND status IN ('active', 'blocked')`
		if _, err := lockContracts(ctx, tx, flag, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE contracts SET renewal_check = true WHERE `+flag, id); err != nil {
			return fmt.Errorf("flag contracts of plan %d: %w", id, err)
		}
		return nil
	})
	return out, err
}

// UpdateContractRenewal changes a contract's renewal settings, allow_credit and late
// settings: change gets the contract and its plan and validates. The contract is flagged
// for renew-contracts.
func (s *Store) UpdateContractRenewal(ctx context.Context, id int64, change func(*billing.Contract, billing.Plan) error) (billing.Contract, error) {
	return s.changeContract(ctx, id, func(tx pgx.Tx, c billing.Contract) error {
		plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", c.PlanID))
		if err != nil {
			return fmt.Errorf("read plan of contract %d: %w", id, err)
		}
		if err := change(&c, plan); err != nil {
			return err
		}
		if err := checkContractLateSettings(ctx, tx, c, plan); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE contracts SET auto_renew = $2, ignore_auto_renewal = $3, renewal_price_mode = $4,
				suggested_price = $5, allow_credit = $6, late_fine_percent = $7, monthly_interest_percent = $8,
				renewal_check = true, updated_at = now()
			WHERE id = $1`, id, c.AutoRenew, c.IgnoreAutoRenewal, c.RenewalPriceMode, c.SuggestedPrice, c.AllowCredit,
			c.Late.FinePercent, c.Late.MonthlyInterestPercent)
		if err != nil {
			return fmt.Errorf("update renewal settings of contract %d: %w", id, err)
		}
		return nil
	})
}

// Renewals lists renewals by id. Queued rows of contracts no longer active or blocked are
// left out: they will not be renewed.
func (s *Store) Renewals(ctx context.Context, f RenewalFilter, page Page) ([]Renewal, error) {
	rows, err := s.Pool.Query(ctx, `SELECT r.id, r.contract_id, r.term, r.queued_on, r.open_installments, r.renewed_on,
			coalesce(r.new_term, 0), coalesce(r.price_mode, ''), r.price, coalesce(r.trigger, '')
		FROM renewals r JOIN contracts c ON c.id = r.contract_id
		WHERE r.id > $1 AND ($2::bigint = 0 OR r.contract_id = $2)
		  AND (r.renewed_on IS NOT NULL OR c.status IN ('active', 'blocked'))
		  AND ($3 = '' OR ($3 = 'queued') = (r.renewed_on IS NULL))
		  AND ($4::date IS NULL OR CASE WHEN $3 = 'renewed' THEN r.renewed_on ELSE r.queued_on END >= $4)
		  AND ($5::date IS NULL OR CASE WHEN $3 = 'renewed' THEN r.renewed_on ELSE r.queued_on END <= $5)
		ORDER BY r.id LIMIT $6`, page.After, f.ContractID, f.State, date(f.From), date(f.To), page.Size())
	if err != nil {
		return nil, fmt.Errorf("list renewals: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Renewal, error) {
		var x Renewal
		var renewed pgtype.Date
		err := r.Scan(&x.ID, &x.ContractID, &x.Term, &x.QueuedOn, &x.OpenInstallments, &renewed, &x.NewTerm,
			&x.PriceMode, &x.Price, &x.Trigger)
		x.RenewedOn, x.State = optDate(renewed), RenewalQueued
		if renewed.Valid {
			x.State = RenewalRenewed
		}
		return x, err
	})
}
