package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
)

// readOnly is the transaction a listing reads in: one snapshot, no writes.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// contractPlan returns the plan of a contract read inside tx, or billing.ErrNotFound.
func contractPlan(ctx context.Context, tx pgx.Tx, contractID int64) (int64, error) {
	var planID int64
	err := tx.QueryRow(ctx, "SELECT plan_id FROM contracts WHERE id = $1", contractID).Scan(&planID)
	return planID, notFound(err, "contract", contractID)
}

// ContractBenefits lists, by benefit id (page.After is a benefit id), the benefits a
// contract is granted — the plan's grant merged with the contract's override by
// benefits.Resolve, as a use resolves them — each with the balance containing on: for a
// renewal period the balance whose period holds on, for a package the latest cycle opened
// on or before on. Benefits withdrawn from the contract (quantity 0) are left out.
func (s *Store) ContractBenefits(ctx context.Context, contractID int64, on time.Time, page Page) ([]GrantedBenefit, error) {
	var out []GrantedBenefit
	err := pgx.BeginTxFunc(ctx, s.Pool, readOnly, func(tx pgx.Tx) error {
		planID, err := contractPlan(ctx, tx, contractID)
		if err != nil {
			return err
		}
		// Resolve may leave a candidate out: read pages of candidates until this page is full.
		after, limit := page.After, page.Size()
		for len(out) < limit {
			batch, last, err := grantCandidates(ctx, tx, contractID, planID, after, limit)
			if err != nil {
				return err
			}
			for _, g := range batch {
				if len(out) < limit {
					out = append(out, g)
				}
			}
			if last == 0 {
				break
			}
			after = last
		}
		return attachBalances(ctx, tx, contractID, on, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// grantCandidates reads up to limit benefits after the benefit id after that the contract's
// plan grants or the contract overrides, and returns those the contract is granted, with
// the id of the last candidate read when the page of candidates was full (0 otherwise).
func grantCandidates(ctx context.Context, tx pgx.Tx, contractID, planID, after int64, limit int) ([]GrantedBenefit, int64, error) {
	rows, err := tx.Query(ctx, `SELECT b.id, b.name, b.active, `+grantSelect+`
		FROM benefits b
		LEFT JOIN plan_benefits pb ON pb.plan_id = $2 AND pb.benefit_id = b.id
		LEFT JOIN contract_benefit_overrides o ON o.contract_id = $1 AND o.benefit_id = b.id
		WHERE b.id > $3 AND (pb.plan_id IS NOT NULL OR o.contract_id IS NOT NULL)
		ORDER BY b.id LIMIT $4`, contractID, planID, after, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read benefits of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	var (
		out       []GrantedBenefit
		last      int64
		candidate int
	)
	for rows.Next() {
		var (
			g     GrantedBenefit
			grant grantColumns
		)
		if err := rows.Scan(append([]any{&g.BenefitID, &g.BenefitName, &g.Active}, grant.dest()...)...); err != nil {
			return nil, 0, fmt.Errorf("scan benefit of contract %d: %w", contractID, err)
		}
		candidate++
		last = g.BenefitID
		plan, over := grant.terms()
		if over != nil {
			g.Overridden = over.Quantity != nil || over.Period != nil || over.GraceDays != nil
		}
		var granted bool
		if g.Terms, granted = benefits.Resolve(plan, over); granted {
			out = append(out, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read benefits of contract %d: %w", contractID, err)
	}
	if candidate < limit {
		last = 0
	}
	return out, last, nil
}

// attachBalances sets each granted benefit's balance containing on: the renewal period
// holding on, or (terms per package cycle) the latest cycle opened on or before on.
func attachBalances(ctx context.Context, tx pgx.Tx, contractID int64, on time.Time, gs []GrantedBenefit) error {
	if len(gs) == 0 {
		return nil
	}
	ids := make([]int64, len(gs))
	for i, g := range gs {
		ids[i] = g.BenefitID
	}
	// One row per benefit and kind of balance: the period holding on, the latest cycle by on;
	// the contract's own balances (a subject's are the subject's).
	rows, err := tx.Query(ctx, `SELECT DISTINCT ON (benefit_id, cycle IS NULL) benefit_id, cycle IS NOT NULL, `+balanceColumns+`
		FROM benefit_balances
		WHERE contract_id = $1 AND benefit_id = ANY($2) AND period_start <= $3 AND (cycle IS NOT NULL OR period_end >= $3)
			AND subject_id IS NULL
		ORDER BY benefit_id, cycle IS NULL, cycle DESC`, contractID, ids, on)
	if err != nil {
		return fmt.Errorf("read balances of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	type key struct {
		benefit int64
		cycle   bool
	}
	found := map[key]Balance{}
	for rows.Next() {
		var (
			k   key
			b   Balance
			end pgtype.Date
		)
		if err := rows.Scan(&k.benefit, &k.cycle, &b.ID, &b.PeriodStart, &end, &b.Cycle, &b.Granted, &b.Used); err != nil {
			return fmt.Errorf("scan balance of contract %d: %w", contractID, err)
		}
		b.PeriodEnd = optDate(end)
		found[k] = b
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read balances of contract %d: %w", contractID, err)
	}
	for i := range gs {
		if b, ok := found[key{gs[i].BenefitID, gs[i].Terms.PerCycle()}]; ok {
			gs[i].Balance = &b
		}
	}
	return nil
}

// Usages lists a contract's recorded uses by id (page.After is a use id), reversed ones
// included, each with the balance it counts against as that balance stands now. An unknown
// contract is billing.ErrNotFound.
func (s *Store) Usages(ctx context.Context, contractID int64, f UsageFilter, page Page) ([]Usage, error) {
	var out []Usage
	err := pgx.BeginTxFunc(ctx, s.Pool, readOnly, func(tx pgx.Tx) error {
		if _, err := contractPlan(ctx, tx, contractID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT u.id, u.contract_id, coalesce(u.subject_id, 0), u.benefit_id, u.used_at, u.quantity,
				u.unit_cost, u.reversed_at, u.overage, coalesce(u.overage_unit_price, 0), coalesce(u.overage_installment_id, 0),
				x.id, x.period_start, x.period_end, coalesce(x.cycle, 0), x.granted, x.used
			FROM benefit_usages u JOIN benefit_balances x ON x.id = u.balance_id
			WHERE u.contract_id = $1 AND u.id > $2 AND ($3::bigint = 0 OR u.benefit_id = $3)
			  AND ($4::date IS NULL OR u.used_at >= $4) AND ($5::date IS NULL OR u.used_at <= $5)
			  AND ($6::boolean IS NULL OR (u.reversed_at IS NOT NULL) = $6)
			ORDER BY u.id LIMIT $7`, contractID, page.After, f.BenefitID, date(f.From), date(f.To), f.Reversed, page.Size())
		if err != nil {
			return fmt.Errorf("list benefit uses of contract %d: %w", contractID, err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Usage, error) {
			var (
				u        Usage
				reversed pgtype.Timestamptz
				end      pgtype.Date
			)
			err := r.Scan(&u.ID, &u.ContractID, &u.SubjectID, &u.BenefitID, &u.UsedAt, &u.Quantity, &u.UnitCost, &reversed,
				&u.Overage, &u.OverageUnitPrice, &u.OverageInstallmentID,
				&u.Balance.ID, &u.Balance.PeriodStart, &end, &u.Balance.Cycle, &u.Balance.Granted, &u.Balance.Used)
			if reversed.Valid {
				u.ReversedAt = &reversed.Time
			}
			u.Balance.PeriodEnd = optDate(end)
			return u, err
		})
		if err != nil {
			return fmt.Errorf("list benefit uses of contract %d: %w", contractID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
