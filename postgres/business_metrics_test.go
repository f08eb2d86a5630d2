package postgres_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// TestBusinessMetrics scrapes the business gauges on a small book on 2026-03-10: five
// contracts of 99.90 due on the 10th, one of March's installments cancelled, two of
// February's paid (by payments dated 10 March, and one more dated the 9th), one renewal that
// day; each gauge reads exactly the day's figures.
func TestBusinessMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedBusinessDay(t, b)
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	now := time.Date(2026, 3, 10, 23, 30, 0, 0, loc) // 02:30 UTC on the 11th: the business day is still the 10th
	postgres.RegisterBusinessMetrics(reg, b.pool, loc, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		got[f.GetName()] = f.GetMetric()[0].GetGauge().GetValue()
	}
	want := map[string]float64{
		"billingd_business_billed_amount":        399.60, // 4 × 99.90: one of five cancelled
		"billingd_business_billed_installments":  4,
		"billingd_business_collected_amount":     199.80, // the payment of the 9th is not today's
		"billingd_business_collected_payments":   2,
		"billingd_business_overdue_amount":       299.70, // February's five, two paid
		"billingd_business_overdue_installments": 3,
		"billingd_business_renewals_today":       1,
		"billingd_business_bank_file_exceptions": 0,
	}
	for name, w := range want {
		if v, ok := got[name]; !ok || v != w {
			t.Errorf("%s = %v (exported: %v), want %v", name, v, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("exported %v, want exactly %v", got, want)
	}
}

// seedBusinessDay writes the book TestBusinessMetrics and TestBusinessMetricsUseIndexes read.
func seedBusinessDay(t *testing.T, b *bundle) {
	t.Helper()
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 5, date("2026-01-15")); err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2026-01-15"), 1000); got != 60 {
		t.Fatalf("generated %d installments, want 60", got)
	}
	for _, sql := range []string{
		`UPDATE installments SET state = 'cancelled' WHERE id = (SELECT min(id) FROM installments WHERE due_date = '2026-03-10')`,
		`UPDATE installments SET state = 'paid', paid_at = '2026-03-10', paid_amount = amount
			WHERE id IN (SELECT id FROM installments WHERE due_date = '2026-02-10' ORDER BY id LIMIT 2)`,
		`INSERT INTO payments (installment_id, contract_id, amount, paid_on, source, principal, fine, interest)
			SELECT id, contract_id, 99.90, '2026-03-10', 'api', 99.90, 0, 0 FROM installments WHERE state = 'paid'`,
		`INSERT INTO payments (installment_id, contract_id, amount, paid_on, source, principal, fine, interest)
			SELECT id, contract_id, 10.00, '2026-03-09', 'api', 10.00, 0, 0 FROM installments WHERE due_date = '2026-04-10' LIMIT 1`,
		`INSERT INTO renewals (contract_id, term, queued_on, open_installments, renewed_on, new_term, price_mode, price, trigger)
			SELECT min(id), 1, '2026-03-09', 2, '2026-03-10', 2, 'plan_price', 99.90, 'sweep' FROM contracts`,
		`INSERT INTO renewals (contract_id, term, queued_on, open_installments, renewed_on, new_term, price_mode, price, trigger)
			SELECT max(id), 1, '2026-03-08', 2, '2026-03-09', 2, 'plan_price', 99.90, 'sweep' FROM contracts`,
		`ANALYZE`,
	} {
		if _, err := b.pool.Exec(b.ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// TestBusinessMetricsUseIndexes EXPLAINs the scrape's statement: every part reads the
// business day's rows (or the open overdue ones) through its index, so the scrape's cost does
// not grow with the history of installments, payments and renewals.
func TestBusinessMetricsUseIndexes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedBusinessDay(t, b)
	var lines []string
	err := pgx.BeginFunc(context.Background(), b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(b.ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		rows, err := tx.Query(b.ctx, "EXPLAIN (COSTS OFF) "+postgres.BusinessMetricsQuery, date("2026-03-10"))
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		return context.Canceled
	})
	if err != context.Canceled {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	for _, index := range []string{"installments_due_billed", "payments_paid_on", "installments_open_due_amounts", "renewals_renewed"} {
		if !strings.Contains(plan, index) {
			t.Errorf("the scrape does not read %s:\n%s", index, plan)
		}
	}
	if strings.Contains(plan, "Seq Scan") {
		t.Errorf("the scrape scans a table:\n%s", plan)
	}
}
