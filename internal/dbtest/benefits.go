package dbtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedBenefitGrants grants a new benefit (10 uses a month, no carência) on plan and opens,
// for every contract of the plan, the balance of the monthly period starting on start
// (anchored there), due to be reset on the same day of the next month; one set-based
// statement per table. It returns the benefit's id.
func SeedBenefitGrants(ctx context.Context, pool *pgxpool.Pool, plan int64, start time.Time) (int64, error) {
	var benefit int64
	if err := pool.QueryRow(ctx, `INSERT INTO benefits (name, unit_cost) VALUES ('Seed benefit', 25.00) RETURNING id`).Scan(&benefit); err != nil {
		return 0, fmt.Errorf("seed benefit: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO plan_benefits (plan_id, benefit_id, quantity, renewal_period, grace_days)
		VALUES ($1, $2, 10, 'monthly', 0)`, plan, benefit); err != nil {
		return 0, fmt.Errorf("seed plan benefit: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, period_end, granted, next_reset_on)
		SELECT c.id, $2, $3, $3, ($3::date + interval '1 month')::date - 1, 10, ($3::date + interval '1 month')::date
		FROM contracts c WHERE c.plan_id = $1`, plan, benefit, start); err != nil {
		return 0, fmt.Errorf("seed benefit balances: %w", err)
	}
	return benefit, nil
}
