package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/benefits"
)

// packageServices reads, by benefit id, the services a contract's package lists (issue 19
// item 2) as the contract resolves them — the quantity its override gives (0: withdrawn) or
// the plan's — with their listed unit price, whether they are active, and how many uses
// of package cycle cycle each has counted against what its balance grants (0 while it is
// not open).
func packageServices(ctx context.Context, tx pgx.Tx, contractID, planID int64, cycle int) ([]benefits.PackageService, error) {
	rows, err := tx.Query(ctx, `SELECT pb.benefit_id, b.name,
			coalesce(o.quantity, pb.quantity), coalesce(bb.granted, 0), pb.unit_price, b.active, coalesce(bb.used, 0)
		FROM plan_benefits pb
		JOIN benefits b ON b.id = pb.benefit_id
		LEFT JOIN contract_benefit_overrides o ON o.contract_id = $1 AND o.benefit_id = pb.benefit_id
		LEFT JOIN benefit_balances bb ON bb.contract_id = $1 AND bb.benefit_id = pb.benefit_id AND bb.cycle = $3
		WHERE pb.plan_id = $2 ORDER BY pb.benefit_id`, contractID, planID, cycle)
	if err != nil {
		return nil, fmt.Errorf("read the package services of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	var out []benefits.PackageService
	for rows.Next() {
		var s benefits.PackageService
		if err := rows.Scan(&s.BenefitID, &s.Name, &s.Quantity, &s.Granted, &s.UnitPrice, &s.Active, &s.Used); err != nil {
			return nil, fmt.Errorf("read a package service of contract %d: %w", contractID, err)
		}
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "read the package services")
}
