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

// contractPackageServices reads, in one query, the services the packages of contracts list
// as each contract resolves them (as packageServices, without balances), by contract.
func contractPackageServices(ctx context.Context, tx pgx.Tx, contracts []int64) (map[int64][]benefits.PackageService, error) {
	if len(contracts) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT c.id, pb.benefit_id, b.name, coalesce(o.quantity, pb.quantity), pb.unit_price, b.active
		FROM contracts c
		JOIN plan_benefits pb ON pb.plan_id = c.plan_id
		JOIN benefits b ON b.id = pb.benefit_id
		LEFT JOIN contract_benefit_overrides o ON o.contract_id = c.id AND o.benefit_id = pb.benefit_id
		WHERE c.id = ANY($1) ORDER BY c.id, pb.benefit_id`, contracts)
	if err != nil {
		return nil, fmt.Errorf("read the package services of %d contracts: %w", len(contracts), err)
	}
	defer rows.Close()
	out := make(map[int64][]benefits.PackageService, len(contracts))
	for rows.Next() {
		var contract int64
		var s benefits.PackageService
		if err := rows.Scan(&contract, &s.BenefitID, &s.Name, &s.Quantity, &s.UnitPrice, &s.Active); err != nil {
			return nil, fmt.Errorf("read a package service: %w", err)
		}
		out[contract] = append(out[contract], s)
	}
	return out, wrap(rows.Err(), "read the package services")
}
