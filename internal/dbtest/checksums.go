package dbtest

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Checksums returns, for every table of the database's own schemas (public and River's, but
// not PostgreSQL's) except those named in except ("audit_log", "river.river_leader"), its row
// count and an MD5 of its rows' text in a stable order, as "count:md5". Two equal results
// mean no row of those tables was inserted, updated or deleted in between.
func Checksums(ctx context.Context, pool *pgxpool.Pool, except ...string) (map[string]string, error) {
	rows, err := pool.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
		ORDER BY table_schema, table_name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	type table struct{ schema, name string }
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		err := r.Scan(&t.schema, &t.name)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := map[string]string{}
	for _, t := range tables {
		key := t.name
		if t.schema != "public" {
			key = t.schema + "." + t.name
		}
		if slices.Contains(except, key) {
			continue
		}
		var sum string
		ident := pgx.Identifier{t.schema, t.name}.Sanitize()
		if err := pool.QueryRow(ctx, `SELECT count(*) || ':' || md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), ''))
			FROM `+ident+` r`).Scan(&sum); err != nil {
			return nil, fmt.Errorf("checksum %s: %w", key, err)
		}
		out[key] = sum
	}
	return out, nil
}
