package postgres_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
)

// linesMigration returns the migration that creates installment_lines and the ones before it.
func linesMigration(t *testing.T) (before []migrations.Migration, lines migrations.Migration) {
	t.Helper()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range all {
		if strings.HasSuffix(m.Name, "_installment_lines.sql") {
			return all[:i], m
		}
	}
	t.Fatal("no *_installment_lines.sql migration")
	return nil, migrations.Migration{}
}

// preLinesDatabase returns a pool on a database migrated up to (not including) the lines
// migration, holding: a contract with a fixed discount of 10.00 (three recurring
// installments, one of them carrying an attached inactivity discount of 12.34, one a
// package-like cycle without a service end), an adhesion installment, and a pending
// inactivity discount (no installment yet).
func preLinesDatabase(t *testing.T) (*pgxpool.Pool, migrations.Migration) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	before, lines := linesMigration(t)
	for _, m := range before {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	seed := `
		INSERT INTO plans (id, name, price, period, installments_per_term) VALUES (1, 'Plano', 99.90, 'monthly', 12);
		INSERT INTO customers (id, name, email) VALUES (1, 'Ana', 'ana@example.com');
		INSERT INTO contracts (id, customer_id, plan_id, price, adhesion_date, activation_date, due_rule_kind, due_day,
			status, discount, on_time_discount, adhesion_fee, adhesion_installments, inactivity_discount)
		VALUES (1, 1, 1, 99.90, '2026-01-01', '2026-01-01', 'fixed_day', 10, 'active', 10.00, 5.00, 100.00, 3, true);
		INSERT INTO installments (id, contract_id, kind, term, sequence, service_start, service_end, nominal_due, due_date,
			amount, discount, on_time_discount, state, paid_at, paid_amount) VALUES
			(1, 1, 'recurring', 1, 1, '2026-01-01', '2026-01-31', '2026-01-10', '2026-01-12', 99.90, 10.00, 5.00, 'paid', '2026-01-12', 84.90),
			(2, 1, 'recurring', 1, 2, '2026-02-01', '2026-02-28', '2026-02-10', '2026-02-10', 99.90, 22.34, 5.00, 'open', NULL, NULL),
			(3, 1, 'recurring', 1, 3, '2026-03-05', NULL, '2026-03-10', '2026-03-10', 99.90, 10.00, 5.00, 'open', NULL, NULL),
			(4, 1, 'adhesion', 1, 1, NULL, NULL, '2026-01-01', '2026-01-02', 33.34, 0, 0, 'open', NULL, NULL);
		INSERT INTO block_episodes (id, contract_id, installment_id, started_on, ended_on, reason, end_reason) VALUES
			(7, 1, 1, '2026-01-22', '2026-01-26', 'overdue', 'payment'),
			(8, 1, 1, '2026-02-20', '2026-02-21', 'overdue', 'payment');
		INSERT INTO installment_discounts (contract_id, installment_id, episode_id, blocked_days, computed, amount, reason) VALUES
			(1, 2, 7, 4, 12.34, 12.34, 'inactivity discount: 4 days blocked in block episode 7'),
			(1, NULL, 8, 1, 3.22, NULL, 'inactivity discount: 1 day blocked in block episode 8');`
	if _, err := pool.Exec(ctx, seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return pool, lines
}

// TestLinesMigrationKeepsAmounts loads data with the migrations before installment_lines,
// applies it, and checks that every installment became its lines with its amount and
// discount unchanged: a plan or adhesion line of the amount, an inactivity_discount line per
// attached inactivity discount, and a discount line for the rest of the discount.
func TestLinesMigrationKeepsAmounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, lines := preLinesDatabase(t)
	const snapshot = `SELECT string_agg(i::text, '|' ORDER BY id) FROM installments i`
	var before string
	if err := pool.QueryRow(ctx, snapshot).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, lines.SQL); err != nil {
		t.Fatalf("%s: %v", lines.Name, err)
	}
	var after string
	if err := pool.QueryRow(ctx, snapshot).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("installments changed:\n%s\nwant\n%s", after, before)
	}
	var off int64
	if err := pool.QueryRow(ctx, postgres.LinesOffTotals).Scan(&off); err != nil {
		t.Fatal(err)
	}
	if off != 0 {
		t.Errorf("%d installments whose lines do not sum to their totals", off)
	}
	rows, err := pool.Query(ctx, `SELECT installment_id || ' ' || contract_id || ' ' || kind || ' ' || source_key || ' ' ||
			amount || ' ' || coalesce(unit_price::text, '-') || ' ' || quantity::numeric(4, 0) || ' ' || description
		FROM installment_lines ORDER BY installment_id, kind, source_key`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 1 discount discount -10.00 - 1 fixed discount",
		"1 1 plan plan 99.90 99.90 1 plan, term 1 installment 1: service 2026-01-01 to 2026-01-31",
		"2 1 discount discount -10.00 - 1 fixed discount",
		"2 1 inactivity_discount inactivity:7 -12.34 - 1 inactivity discount: 4 days blocked in block episode 7",
		"2 1 plan plan 99.90 99.90 1 plan, term 1 installment 2: service 2026-02-01 to 2026-02-28",
		"3 1 discount discount -10.00 - 1 fixed discount",
		"3 1 plan plan 99.90 99.90 1 plan, package cycle 3: uses from 2026-03-05",
		"4 1 adhesion adhesion 33.34 33.34 1 adhesion fee, installment 1 of 3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLinesMigrationRefusesInconsistentTotals: an installment whose attached inactivity
// discounts exceed its discount cannot become lines that sum to its totals; the migration
// stops with the count and changes nothing.
func TestLinesMigrationRefusesInconsistentTotals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, lines := preLinesDatabase(t)
	if _, err := pool.Exec(ctx, `UPDATE installments SET discount = 5.00 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, lines.SQL)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "1 installment(s) whose lines would not sum to their amount and discount") {
		t.Fatalf("migration: %v, want it refused for 1 installment", err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('installment_lines') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("the refused migration left installment_lines behind")
	}
}
