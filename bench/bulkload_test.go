package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// bulkLoad runs load with the secondary indexes, unique constraints and foreign keys of
// tables dropped, then makes them again, by their own definitions and names (the primary
// keys stay): a load of tens of millions of rows then writes each table once, instead of
// each of its indexes and a foreign-key check a row, and every constraint is checked again
// when it is added back. It returns how long the indexes and constraints took to make.
func (h *harness) bulkLoad(tables []string, load func()) time.Duration {
	h.b.Helper()
	ctx := context.Background()
	rows, err := h.pool.Query(ctx, `
		SELECT 0, format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid)
		FROM pg_index
		WHERE indrelid = ANY ($1::regclass[]) AND NOT indisprimary
		  AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conindid <> 0)
		UNION ALL
		SELECT CASE contype WHEN 'u' THEN 1 ELSE 2 END,
			format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = ANY ($1::regclass[]) AND contype IN ('u', 'f')
		ORDER BY 1 DESC`, tables)
	if err != nil {
		h.b.Fatal(err)
	}
	type definition struct {
		order      int
		drop, make string
	}
	defs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (definition, error) {
		var d definition
		return d, r.Scan(&d.order, &d.drop, &d.make)
	})
	if err != nil {
		h.b.Fatal(err)
	}
	for _, d := range defs { // foreign keys first, then unique constraints, then indexes
		h.timeSQL(d.drop)
	}
	load()
	start := time.Now()
	for i := len(defs) - 1; i >= 0; i-- { // indexes first, then unique constraints, then foreign keys
		if _, err := h.pool.Exec(ctx, fmt.Sprintf("SET maintenance_work_mem = '512MB'; %s", defs[i].make)); err != nil {
			h.b.Fatalf("%s: %v", defs[i].make, err)
		}
	}
	return time.Since(start)
}
