package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// TableChange and Effect describe what a transaction wrote (TxEffects).
type (
	TableChange = records.TableChange
	Effect      = records.Effect
)

// The columns TxEffects.Read describes a row by, by name, in order of preference. A table a new
// sweep writes is described by whichever of them it has, with no code of its own.
var (
	// effectAmountColumns: the row's money amount (the first numeric one present).
	effectAmountColumns = []string{"amount", "computed", "price", "paid_amount"}
	// effectDateColumns: the row's business date (the first date one present; else the
	// table's first date column).
	effectDateColumns = []string{"due_date", "occurred_on", "started_on", "blocked_from", "renewed_on", "queued_on",
		"period_start", "next_reset_on", "as_of", "paid_at"}
	// effectWhatColumns: the columns that say what the row is, each shown as name=value.
	effectWhatColumns = []string{"kind", "term", "sequence", "state", "status", "step", "reason", "end_reason",
		"trigger", "reference", "new_term", "granted", "used", "queue", "args"}
)

// TxEffects reads what a transaction writes (see Read). Start it first in the transaction.
type TxEffects struct {
	// base is each table's counts before the transaction wrote anything (see StartEffects).
	base map[int64][3]int64
}

// StartEffects starts reading what tx writes from now on. PostgreSQL's
// pg_stat_xact_user_tables counts the rows a backend inserted, updated and deleted that it
// has not yet reported to the statistics, and a backend reports them only between
// transactions, so its counts at the start of tx, taken away from its counts at the end, are
// what tx did.
func StartEffects(ctx context.Context, tx pgx.Tx) (*TxEffects, error) {
	changes, err := tableCounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	base := map[int64][3]int64{}
	for _, c := range changes {
		base[c.relid] = [3]int64{c.Inserted, c.Updated, c.Deleted}
	}
	return &TxEffects{base: base}, nil
}

// tableCount is a table's row counts in pg_stat_xact_user_tables.
type tableCount struct {
	TableChange
	relid        int64
	schema, name string
}

// tableCounts reads pg_stat_xact_user_tables: user tables only (River's included, temporary
// ones not), public first.
func tableCounts(ctx context.Context, tx pgx.Tx) ([]tableCount, error) {
	rows, err := tx.Query(ctx, `SELECT relid::bigint, schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del
		FROM pg_stat_xact_user_tables
		WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 AND schemaname NOT LIKE 'pg\_temp%'
		ORDER BY schemaname <> 'public', schemaname, relname`)
	if err != nil {
		return nil, fmt.Errorf("read the transaction's table counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tableCount, error) {
		var c tableCount
		err := r.Scan(&c.relid, &c.schema, &c.name, &c.Inserted, &c.Updated, &c.Deleted)
		c.Table = qualifiedName(c.schema, c.name)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the transaction's table counts: %w", err)
	}
	return out, nil
}

// Read lists what tx has written since StartEffects. Per table it touched, the rows it
// inserted, updated and deleted; and a sample of at most sample of the rows it inserted or
// updated, found by xmin = the transaction's id and described from the table's columns
// (contract_id, the amount, date and descriptive columns above), so that a table a new sweep
// writes needs no code to be described. A row's Action is inserted or updated by whether its
// created_at is the transaction's start, or written for a table without created_at. The
// sample is shared among the tables (a table with fewer rows leaves its share to the next)
// and ordered by table (public first) and primary key. Rows a subtransaction wrote (a
// SAVEPOINT) carry the subtransaction's id: they are counted but not sampled; the sweeps use
// none.
func (w *TxEffects) Read(ctx context.Context, tx pgx.Tx, sample int) ([]TableChange, []Effect, error) {
	counts, err := tableCounts(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	var changes []TableChange
	var written []tableCount
	for _, c := range counts {
		base := w.base[c.relid]
		c.Inserted, c.Updated, c.Deleted = c.Inserted-base[0], c.Updated-base[1], c.Deleted-base[2]
		if c.Inserted == 0 && c.Updated == 0 && c.Deleted == 0 {
			continue
		}
		changes = append(changes, c.TableChange)
		if c.Inserted+c.Updated > 0 {
			written = append(written, c)
		}
	}
	var effects []Effect
	for i, t := range written {
		left := sample - len(effects)
		if left <= 0 {
			break
		}
		share := (left + len(written) - i - 1) / (len(written) - i)
		found, err := readTableEffects(ctx, tx, t.relid, t.schema, t.name, share)
		if err != nil {
			return nil, nil, err
		}
		effects = append(effects, found...)
	}
	return changes, effects, nil
}

func qualifiedName(schema, name string) string {
	if schema == "public" {
		return name
	}
	return schema + "." + name
}

// effectColumn is a column of a table TxEffects.Read reads.
type effectColumn struct {
	name, typ string
	// pkPos is the column's position in the primary key (1-based), 0 outside it.
	pkPos int
}

// readTableEffects reads at most limit rows of one table that the transaction wrote.
func readTableEffects(ctx context.Context, tx pgx.Tx, relid int64, schema, name string, limit int) ([]Effect, error) {
	table := qualifiedName(schema, name)
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, NULL),
			coalesce((SELECT k.n FROM unnest(i.indkey) WITH ORDINALITY AS k(att, n) WHERE k.att = a.attnum), 0)
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, relid)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (effectColumn, error) {
		var c effectColumn
		err := r.Scan(&c.name, &c.typ, &c.pkPos)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	sql, what := effectQuery(schema, name, cols)
	rows, err = tx.Query(ctx, sql, limit)
	if err != nil {
		return nil, fmt.Errorf("read the rows %s would get: %w", table, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Effect, error) {
		e := Effect{Table: table}
		var amount, day *string
		var values []*string
		if err := r.Scan(&e.Key, &e.ContractID, &amount, &day, &e.Action, &values); err != nil {
			return Effect{}, err
		}
		parts := []string{table}
		for i, v := range values {
			if v != nil {
				parts = append(parts, what[i]+"="+clip(*v, 120))
			}
		}
		e.What = strings.Join(parts, " ")
		if amount != nil {
			d, err := decimal.NewFromString(*amount)
			if err != nil {
				return Effect{}, fmt.Errorf("%s %s: amount %q: %w", table, e.Key, *amount, err)
			}
			e.Amount = &d
		}
		if day != nil {
			d, err := billing.ParseDate(*day)
			if err != nil {
				return Effect{}, fmt.Errorf("%s %s: date %q: %w", table, e.Key, *day, err)
			}
			e.Date = &d
		}
		return e, nil
	})
}

// effectQuery builds the statement that reads, described, the rows of a table the current
// transaction wrote ($1: how many), and returns it with the names of the descriptive columns
// it reads. Every identifier comes from pg_catalog and is quoted.
func effectQuery(schema, name string, cols []effectColumn) (string, []string) {
	byName := map[string]effectColumn{}
	var pk []effectColumn
	for _, c := range cols {
		byName[c.name] = c
		if c.pkPos > 0 {
			pk = append(pk, c)
		}
	}
	slices.SortFunc(pk, func(a, b effectColumn) int { return a.pkPos - b.pkPos })
	q := func(col string) string { return pgx.Identifier{col}.Sanitize() }

	key, order := "ctid::text", "ctid"
	if len(pk) > 0 {
		var keys, orders []string
		for _, c := range pk {
			keys = append(keys, q(c.name)+"::text")
			orders = append(orders, q(c.name))
		}
		key, order = "concat_ws(',', "+strings.Join(keys, ", ")+")", strings.Join(orders, ", ")
	}
	contract := "NULL::bigint"
	switch c, ok := byName["contract_id"]; {
	case ok && c.typ == "bigint":
		contract = q("contract_id")
	case schema == "public" && name == "contracts":
		contract = q("id")
	case byName["args"].typ == "jsonb":
		contract = `CASE WHEN jsonb_typeof(args -> 'contract_id') = 'number' THEN (args ->> 'contract_id')::bigint END`
	}
	amount := "NULL::text"
	for _, n := range effectAmountColumns {
		if c, ok := byName[n]; ok && c.typ == "numeric" {
			amount = q(n) + "::text"
			break
		}
	}
	day := "NULL::text"
	for _, n := range effectDateColumns {
		if c, ok := byName[n]; ok && c.typ == "date" {
			day = q(n) + "::text"
			break
		}
	}
	if day == "NULL::text" {
		for _, c := range cols {
			if c.typ == "date" {
				day = q(c.name) + "::text"
				break
			}
		}
	}
	action := "'" + records.EffectWritten + "'"
	if c, ok := byName["created_at"]; ok && strings.HasPrefix(c.typ, "timestamp") {
		action = "CASE WHEN created_at >= now() THEN '" + records.EffectInserted + "' ELSE '" + records.EffectUpdated + "' END"
	}
	var what, values []string
	for _, n := range effectWhatColumns {
		if _, ok := byName[n]; ok {
			what = append(what, n)
			values = append(values, q(n)+"::text")
		}
	}
	valuesExpr := "ARRAY[]::text[]"
	if len(values) > 0 {
		valuesExpr = "ARRAY[" + strings.Join(values, ", ") + "]"
	}
	return fmt.Sprintf(`SELECT %s, %s, %s, %s, %s, %s FROM %s WHERE xmin = pg_current_xact_id()::xid ORDER BY %s LIMIT $1`,
		key, contract, amount, day, action, valuesExpr, pgx.Identifier{schema, name}.Sanitize(), order), what
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
