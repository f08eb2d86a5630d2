package dbtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedContracts inserts n active monthly contracts of one plan (12 installments per term,
// fixed day 10, no adhesion fee), all with their installments due to be generated from
// adhesion, in one set-based statement per table. It returns the plan's id.
func SeedContracts(ctx context.Context, pool *pgxpool.Pool, n int, adhesion time.Time) (int64, error) {
	var plan int64
	if err := pool.QueryRow(ctx, `INSERT INTO plans (name, price, period, installments_per_term)
		VALUES ('Seed plan', 99.90, 'monthly', 12) RETURNING id`).Scan(&plan); err != nil {
		return 0, fmt.Errorf("seed plan: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO customers (name, email)
		SELECT 'Customer ' || g, 'customer' || g || '@example.com' FROM generate_series(1, $1) g`, n); err != nil {
		return 0, fmt.Errorf("seed customers: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation,
			activation_date, due_rule_kind, due_day, status, generation_due_on)
		SELECT c.id, $1, 99.90, $2, false, $2, 'fixed_day', 10, 'active', $2
		FROM customers c WHERE NOT EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id)`, plan, adhesion); err != nil {
		return 0, fmt.Errorf("seed contracts: %w", err)
	}
	return plan, nil
}
