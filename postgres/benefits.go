package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

const benefitColumns = `id, name, unit_cost, active, description, created_at`

func scanBenefit(row pgx.Row) (benefits.Benefit, error) {
	var b benefits.Benefit
	err := row.Scan(&b.ID, &b.Name, &b.UnitCost, &b.Active, &b.Description, &b.CreatedAt)
	return b, err
}

// CreateBenefit stores a new benefit of the catalogue.
func (s *Store) CreateBenefit(ctx context.Context, b benefits.Benefit) (benefits.Benefit, error) {
	out, err := writeRow(ctx, s.Pool, scanBenefit, `INSERT INTO benefits (name, unit_cost, active, description)
		VALUES ($1, $2, $3, $4) RETURNING `+benefitColumns, b.Name, b.UnitCost, b.Active, b.Description)
	if err != nil {
		return benefits.Benefit{}, fmt.Errorf("create benefit: %w", err)
	}
	return out, nil
}

// UpdateBenefit replaces a benefit's name, unit cost, active flag and description. The new
// unit cost applies to uses recorded afterwards; recorded uses keep theirs.
func (s *Store) UpdateBenefit(ctx context.Context, b benefits.Benefit) (benefits.Benefit, error) {
	out, err := writeRow(ctx, s.Pool, scanBenefit, `UPDATE benefits SET name = $2, unit_cost = $3, active = $4,
			description = $5, updated_at = now()
		WHERE id = $1 RETURNING `+benefitColumns, b.ID, b.Name, b.UnitCost, b.Active, b.Description)
	return out, notFound(err, "benefit", b.ID)
}

// Benefit returns the benefit with the given id.
func (s *Store) Benefit(ctx context.Context, id int64) (benefits.Benefit, error) {
	b, err := scanBenefit(s.Pool.QueryRow(ctx, "SELECT "+benefitColumns+" FROM benefits WHERE id = $1", id))
	return b, notFound(err, "benefit", id)
}

// Benefits lists the catalogue by id.
func (s *Store) Benefits(ctx context.Context, page Page) ([]benefits.Benefit, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+benefitColumns+" FROM benefits WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list benefits: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (benefits.Benefit, error) { return scanBenefit(r) })
}

const planBenefitColumns = `pb.plan_id, pb.benefit_id, b.name, pb.quantity, coalesce(pb.renewal_period, ''), pb.grace_days,
	pb.overage_unit_price, pb.unit_price`

func scanPlanBenefit(row pgx.Row) (PlanBenefit, error) {
	var p PlanBenefit
	var overage decimal.NullDecimal
	err := row.Scan(&p.PlanID, &p.BenefitID, &p.BenefitName, &p.Quantity, &p.Period, &p.GraceDays, &overage, &p.UnitPrice)
	if overage.Valid {
		p.OverageUnitPrice = &overage.Decimal
	}
	return p, err
}

// SetPlanBenefit creates or replaces the terms under which a plan grants a benefit, and
// the price per use a package lists for it (nil: none); new terms apply to the balances
// opened afterwards. build validates both against the plan. A package lists several
// services (issue 19 item 2).
func (s *Store) SetPlanBenefit(ctx context.Context, planID, benefitID int64,
	build func(billing.Plan) (benefits.Terms, *decimal.Decimal, error),
) (PlanBenefit, error) {
	var out PlanBenefit
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1 FOR NO KEY UPDATE", planID))
		if err := notFound(err, "plan", planID); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM benefits WHERE id = $1)", benefitID).Scan(&exists); err != nil {
			return fmt.Errorf("look up benefit: %w", err)
		}
		if !exists {
			return billing.Fieldf("benefit_id", "no benefit with id %d", benefitID)
		}
		terms, unitPrice, err := build(plan)
		if err != nil {
			return err
		}
		var period *string
		if !terms.PerCycle() {
			p := string(terms.Period)
			period = &p
		}
		if err := benefits.ValidateOveragePrice(terms.PerCycle(), terms.OverageUnitPrice); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_benefits (plan_id, benefit_id, quantity, renewal_period, grace_days, overage_unit_price, unit_price)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (plan_id, benefit_id) DO UPDATE SET quantity = excluded.quantity,
				renewal_period = excluded.renewal_period, grace_days = excluded.grace_days,
				overage_unit_price = excluded.overage_unit_price, unit_price = excluded.unit_price, updated_at = now()`,
			planID, benefitID, terms.Quantity, period, terms.GraceDays, terms.OverageUnitPrice, unitPrice); err != nil {
			return fmt.Errorf("set plan benefit: %w", err)
		}
		out, err = scanPlanBenefit(tx.QueryRow(ctx, "SELECT "+planBenefitColumns+` FROM plan_benefits pb
			JOIN benefits b ON b.id = pb.benefit_id WHERE pb.plan_id = $1 AND pb.benefit_id = $2`, planID, benefitID))
		return err
	})
	return out, err
}

// PlanBenefits lists the benefits a plan grants, by benefit id (page.After is a benefit id).
func (s *Store) PlanBenefits(ctx context.Context, planID int64, page Page) ([]PlanBenefit, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1)", planID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up plan: %w", err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: plan %d", billing.ErrNotFound, planID)
	}
	rows, err := s.Pool.Query(ctx, "SELECT "+planBenefitColumns+` FROM plan_benefits pb JOIN benefits b ON b.id = pb.benefit_id
		WHERE pb.plan_id = $1 AND pb.benefit_id > $2 ORDER BY pb.benefit_id LIMIT $3`, planID, page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list plan benefits: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlanBenefit, error) { return scanPlanBenefit(r) })
}

// grantColumns receives the columns a query reads with grantSelect from plan_benefits pb
// and contract_benefit_overrides o, both LEFT JOINed, and turns them into the plan's terms
// and the contract's override that benefits.Resolve merges.
type grantColumns struct {
	planQuantity, planGrace *int32
	planPeriod, overPeriod  *string
	hasOverride             bool
	over                    benefits.Override
}

// grantSelect is the select list grantColumns.dest scans, in its order.
const grantSelect = `pb.quantity, pb.renewal_period, pb.grace_days,
	o.contract_id IS NOT NULL, o.quantity, o.renewal_period, o.grace_days`

// dest returns the scan destinations of grantSelect.
func (g *grantColumns) dest() []any {
	return []any{&g.planQuantity, &g.planPeriod, &g.planGrace, &g.hasOverride, &g.over.Quantity, &g.overPeriod, &g.over.GraceDays}
}

// terms returns the plan's terms (nil when the plan does not grant the benefit) and the
// contract's override (nil when there is none).
func (g *grantColumns) terms() (*benefits.Terms, *benefits.Override) {
	var plan *benefits.Terms
	if g.planQuantity != nil {
		plan = &benefits.Terms{Quantity: int(*g.planQuantity), GraceDays: int(*g.planGrace)}
		if g.planPeriod != nil {
			plan.Period = billing.Period(*g.planPeriod)
		}
	}
	if !g.hasOverride {
		return plan, nil
	}
	o := g.over
	if g.overPeriod != nil {
		p := billing.Period(*g.overPeriod)
		o.Period = &p
	}
	return plan, &o
}

// grantOf reads a contract's plan terms and override for a benefit inside tx.
func grantOf(ctx context.Context, tx pgx.Tx, contractID, planID, benefitID int64) (*benefits.Terms, *benefits.Override, error) {
	var plan *benefits.Terms
	var t benefits.Terms
	var overage decimal.NullDecimal
	err := tx.QueryRow(ctx, `SELECT quantity, coalesce(renewal_period, ''), grace_days, overage_unit_price FROM plan_benefits
		WHERE plan_id = $1 AND benefit_id = $2`, planID, benefitID).Scan(&t.Quantity, &t.Period, &t.GraceDays, &overage)
	switch {
	case err == nil:
		if overage.Valid {
			t.OverageUnitPrice = &overage.Decimal
		}
		plan = &t
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, nil, fmt.Errorf("read plan benefit: %w", err)
	}
	var o benefits.Override
	var period *string
	err = tx.QueryRow(ctx, `SELECT quantity, renewal_period, grace_days FROM contract_benefit_overrides
		WHERE contract_id = $1 AND benefit_id = $2`, contractID, benefitID).Scan(&o.Quantity, &period, &o.GraceDays)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return plan, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read contract benefit override: %w", err)
	}
	if period != nil {
		p := billing.Period(*period)
		o.Period = &p
	}
	return plan, &o, nil
}

// SetContractBenefit stores a contract's override of a benefit's terms (replacing any
// earlier one) and returns the resulting terms; they apply to balances opened afterwards.
func (s *Store) SetContractBenefit(ctx context.Context, contractID, benefitID int64, o benefits.Override) (ContractBenefit, error) {
	out := ContractBenefit{ContractID: contractID, BenefitID: benefitID, Override: o}
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var planID int64
		var kind string
		err := tx.QueryRow(ctx, `SELECT c.plan_id, p.kind FROM contracts c JOIN plans p ON p.id = c.plan_id
			WHERE c.id = $1 FOR NO KEY UPDATE OF c`, contractID).Scan(&planID, &kind)
		if err := notFound(err, "contract", contractID); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM benefits WHERE id = $1)", benefitID).Scan(&exists); err != nil {
			return fmt.Errorf("look up benefit: %w", err)
		}
		if !exists {
			return fmt.Errorf("%w: %d", billing.ErrBenefitNotFound, benefitID)
		}
		plan, _, err := grantOf(ctx, tx, contractID, planID, benefitID)
		if err != nil {
			return err
		}
		if err := benefits.ValidateOverride(kind, plan, o); err != nil {
			return err
		}
		var period *string
		if o.Period != nil {
			p := string(*o.Period)
			period = &p
		}
		if _, err := tx.Exec(ctx, `INSERT INTO contract_benefit_overrides (contract_id, benefit_id, quantity, renewal_period, grace_days)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (contract_id, benefit_id) DO UPDATE SET quantity = excluded.quantity,
				renewal_period = excluded.renewal_period, grace_days = excluded.grace_days, updated_at = now()`,
			contractID, benefitID, o.Quantity, period, o.GraceDays); err != nil {
			return fmt.Errorf("set contract benefit: %w", err)
		}
		out.Plan = plan
		out.Terms, out.Granted = benefits.Resolve(plan, &o)
		return nil
	})
	if err != nil {
		return ContractBenefit{}, err
	}
	return out, nil
}
