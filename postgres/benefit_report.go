package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// UsageReport counts the uses recorded in the filter's range, reversed ones left out, per
// benefit and unit cost (a benefit whose cost changed has one line per cost), and per
// customer when asked. Uses count the quantity of each use; the total cost is uses times
// the unit cost copied at each use, exact to the cent.
func (s *Store) UsageReport(ctx context.Context, f UsageReportFilter) ([]UsageReportLine, error) {
	rows, err := s.Pool.Query(ctx, `SELECT u.benefit_id, b.name,
			CASE WHEN $5 THEN c.customer_id ELSE 0 END, CASE WHEN $5 THEN cu.name ELSE '' END,
			sum(u.quantity), u.unit_cost, sum(u.quantity * u.unit_cost),
			sum(u.overage), coalesce(sum(u.overage * u.overage_unit_price), 0)
		FROM benefit_usages u
		JOIN benefits b ON b.id = u.benefit_id
		JOIN contracts c ON c.id = u.contract_id
		JOIN customers cu ON cu.id = c.customer_id
		WHERE u.reversed_at IS NULL AND ($1::date IS NULL OR u.used_at >= $1) AND ($2::date IS NULL OR u.used_at <= $2)
		  AND ($3::bigint = 0 OR c.customer_id = $3) AND ($4::bigint = 0 OR u.benefit_id = $4)
		GROUP BY 1, 2, 3, 4, 6
		ORDER BY 1, 3, 6`, date(f.From), date(f.To), f.CustomerID, f.BenefitID, f.ByCustomer)
	if err != nil {
		return nil, fmt.Errorf("usage report: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (UsageReportLine, error) {
		var l UsageReportLine
		err := r.Scan(&l.BenefitID, &l.BenefitName, &l.CustomerID, &l.CustomerName, &l.Uses, &l.UnitCost, &l.TotalCost, &l.Overage, &l.OverageAmount)
		return l, err
	})
}
