package postgres

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
)

// TestChangeLinesMovesTotals: changeLines adds and removes lines and moves the
// installment's cached totals in the same statement; a line already written (same source
// key) is skipped with its totals; a line that breaks its rules writes nothing.
func TestChangeLinesMovesTotals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	if _, err := dbtest.SeedContracts(ctx, pool, 1, start); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := GenerateSweep{}.Batch(ctx, tx, start, 0, math.MaxInt64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var inst int64
	if err := pool.QueryRow(ctx, "SELECT id FROM installments WHERE sequence = 1").Scan(&inst); err != nil {
		t.Fatal(err)
	}
	one := decimal.NewFromInt(1)
	line := func(kind, amount, key string) NewLine {
		return NewLine{InstallmentID: inst, Line: billing.Line{Kind: kind, Description: kind + " " + key, Quantity: one,
			Amount: decimal.RequireFromString(amount), SourceKey: key}}
	}
	totals := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT amount || ' ' || discount || ' ' ||
				(SELECT count(*) FROM installment_lines WHERE installment_id = $1) FROM installments WHERE id = $1`, inst).Scan(&s); err != nil {
			t.Fatal(err)
		}
		var off int64
		if err := pool.QueryRow(ctx, LinesOffTotals).Scan(&off); err != nil || off != 0 {
			t.Fatalf("ledger invariant: %d off (%v)", off, err)
		}
		return s
	}
	change := func(c LineChange) (int64, int64, error) {
		var removed, added int64
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			removed, added, err = changeLines(ctx, tx, c)
			return err
		})
		return removed, added, err
	}
	if got := totals(); got != "99.90 0.00 1" {
		t.Fatalf("generated: %s", got)
	}
	steps := []struct {
		name           string
		change         LineChange
		removed, added int64
		totals         string
	}{
		{"an inactivity discount", LineChange{Add: []NewLine{line("inactivity_discount", "-31.00", "inactivity:7")}}, 0, 1, "99.90 31.00 2"},
		{"the same again", LineChange{Add: []NewLine{line("inactivity_discount", "-31.00", "inactivity:7")}}, 0, 0, "99.90 31.00 2"},
		{"late fine and interest", LineChange{Add: []NewLine{line("late_fine", "1.38", "late_fine:5"),
			line("late_interest", "0.23", "late_interest:5")}}, 0, 2, "101.51 31.00 4"},
	}
	for _, st := range steps {
		removed, added, err := change(st.change)
		if err != nil || removed != st.removed || added != st.added {
			t.Fatalf("%s: removed %d, added %d, %v; want %d, %d", st.name, removed, added, err, st.removed, st.added)
		}
		if got := totals(); got != st.totals {
			t.Errorf("%s: totals %s, want %s", st.name, got, st.totals)
		}
	}
	// Replace the interest line by one of the same source key: removed first, then added.
	var interest int64
	if err := pool.QueryRow(ctx, "SELECT id FROM installment_lines WHERE source_key = 'late_interest:5'").Scan(&interest); err != nil {
		t.Fatal(err)
	}
	if removed, added, err := change(LineChange{Remove: []int64{interest}, Add: []NewLine{line("late_interest", "0.46", "late_interest:5")}}); err != nil || removed != 1 || added != 1 {
		t.Fatalf("replace: removed %d, added %d, %v", removed, added, err)
	}
	if got := totals(); got != "101.74 31.00 4" {
		t.Errorf("after the replacement: totals %s, want 101.74 31.00 4", got)
	}
	// A bad line (a positive discount) refuses the whole change.
	_, _, err := change(LineChange{Add: []NewLine{line("plan", "1.00", "charge:1"), line("discount", "5.00", "discount:2")}})
	if err == nil {
		t.Fatal("a positive discount line was accepted")
	}
	if got := totals(); got != "101.74 31.00 4" {
		t.Errorf("after a refused change: totals %s, want 101.74 31.00 4", got)
	}
}
