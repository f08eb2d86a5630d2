package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/renewal"
)

// TestOverdueRule evaluates installment_overdue, the one statement of "overdue" every query
// uses, on the domain's cases: an open installment whose effective due date is before the
// as-of date; due that day is not overdue yet; paid and cancelled ones never are.
func TestOverdueRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	asOf := date("2026-07-10")
	tests := []struct {
		state string
		due   string
		want  bool
	}{
		{"open", "2026-07-09", true},
		{"open", "2026-01-01", true},
		{"open", "2026-07-10", false},
		{"open", "2026-07-11", false},
		{"paid", "2026-07-09", false},
		{"paid", "2026-07-11", false},
		{"cancelled", "2026-07-09", false},
		{"cancelled", "2026-07-10", false},
	}
	states := make([]string, len(tests))
	dues := make([]time.Time, len(tests))
	for i, tt := range tests {
		states[i], dues[i] = tt.state, date(tt.due)
	}
	rows, err := b.pool.Query(b.ctx, `SELECT installment_overdue(u.state, u.due, $3)
		FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS u(state, due, n) ORDER BY n`, states, dues, asOf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("%s installment due %s as of %s: overdue %t, want %t", tt.state, tt.due, billing.FormatDate(asOf), got[i], tt.want)
		}
	}
}

// TestAutomaticRenewalRuleMatchesSQL evaluates renewal.Contract.Automatic (the batch's rule)
// and contract_renews_automatically (the SQL that flags contracts when the thresholds
// change) on every combination of the columns they read, and requires both to give the
// answer of the rule as the test writes it down.
func TestAutomaticRenewalRuleMatchesSQL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var cases []renewal.Contract
	for _, status := range []string{billing.StatusPendingActivation, billing.StatusActive, billing.StatusBlocked,
		billing.StatusCancelled, billing.StatusFinished} {
		for _, method := range []string{billing.BillPerInstallment, billing.BillGrouped, billing.BillNone} {
			for _, auto := range []bool{false, true} {
				for _, ignore := range []bool{false, true} {
					for _, generated := range []int{1, 2, 3} {
						cases = append(cases, renewal.Contract{Status: status, BillingMethod: method, AutoRenew: auto,
							IgnoreAutoRenewal: ignore, TermNumber: 2, GeneratedTerm: generated})
					}
				}
			}
		}
	}
	var (
		statuses, methods []string
		autos, ignores    []bool
		terms, generated  []int32
	)
	for _, c := range cases {
		statuses, methods = append(statuses, c.Status), append(methods, c.BillingMethod)
		autos, ignores = append(autos, c.AutoRenew), append(ignores, c.IgnoreAutoRenewal)
		terms, generated = append(terms, int32(c.TermNumber)), append(generated, int32(c.GeneratedTerm))
	}
	rows, err := b.pool.Query(b.ctx, `SELECT contract_renews_automatically(u.status, u.method, u.auto, u.ignore, u.term, u.generated)
		FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[], $5::int[], $6::int[])
			WITH ORDINALITY AS u(status, method, auto, ignore, term, generated, n) ORDER BY n`,
		statuses, methods, autos, ignores, terms, generated)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		t.Fatal(err)
	}
	automatic := 0
	for i, c := range cases {
		// The rule as written down, not as either implementation computes it: active or
		// blocked, billed (per installment or grouped), auto on and not ignored, its term 2
		// generated (2 or 3).
		want := (c.Status == "active" || c.Status == "blocked") && (c.BillingMethod == "per_installment" || c.BillingMethod == "grouped") &&
			c.AutoRenew && !c.IgnoreAutoRenewal && c.GeneratedTerm >= 2
		if got[i] != want || c.Automatic() != want {
			t.Errorf("%+v: SQL says %t, renewal.Contract.Automatic says %t, want %t", c, got[i], c.Automatic(), want)
		}
		if got[i] {
			automatic++
		}
	}
	// active or blocked × per_installment or grouped × auto on, not ignored × term generated (2 or 3).
	if automatic != 2*2*1*1*2 {
		t.Errorf("%d of %d cases renew automatically, want 8", automatic, len(cases))
	}
}

// statementLog records the statements a pool runs, with their arguments.
type statementLog struct {
	mu    sync.Mutex
	stmts []tracedStatement
}

type tracedStatement struct {
	sql  string
	args []any
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stmts = append(l.stmts, tracedStatement{sql: data.SQL, args: data.Args})
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements recorded since the last take.
func (l *statementLog) take() []tracedStatement {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmts
	l.stmts = nil
	return out
}

// TestRuleFunctionsInline runs the sweeps whose SQL calls the rule functions on a small book
// and EXPLAINs every statement they ran, as they ran it: no plan may still call a rule
// function (the planner inlined it, so the plan is the one of the expression written out),
// and the plan steps keep their partial indexes even with sequential scans off.
func TestRuleFunctionsInline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := &statementLog{}
	pool, err := postgres.Open(ctx, dbtest.NewURL(t), func(c *pgxpool.Config) { c.ConnConfig.Tracer = log })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := &bundle{ctx: ctx, pool: pool, store: &postgres.Store{Pool: pool}}
	if _, err := dbtest.SeedContracts(ctx, pool, 5, date("2026-01-15")); err != nil {
		t.Fatal(err)
	}
	b.sweepAll(t, date("2026-01-15"), 1000)
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	asOf := date("2026-03-01")
	tests := []struct {
		name  string
		sweep sweeper
		// index is the partial index the plan step must use.
		index string
	}{
		{"block-delinquent", postgres.BlockSweep{}, "installments_open_due"},
		{"send-notices", postgres.NoticeSweep{DaysBeforeDue: 3}, "installments_notice_due"},
		{"renew-contracts", postgres.RenewSweep{Thresholds: renewal.Thresholds{Queue: 1, Renewal: 0}}, "contracts_renewal_check"},
	}
	for _, tt := range tests {
		log.take()
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tt.sweep.Plan(ctx, tx, asOf, 2)
			return err
		}); err != nil {
			t.Fatalf("%s: plan: %v", tt.name, err)
		}
		plan := log.take()
		b.runSweep(t, tt.sweep, asOf, 2)
		planned := false
		for _, s := range append(plan, log.take()...) {
			if verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(s.sql)), " "); verb != "SELECT" && verb != "WITH" &&
				verb != "INSERT" && verb != "UPDATE" && verb != "DELETE" {
				continue // begin, commit, SET
			}
			text := explain(t, pool, s)
			if strings.Contains(text, "installment_overdue") || strings.Contains(text, "contract_renews_automatically") {
				t.Errorf("%s: a rule function is not inlined in\n%s\nplan:\n%s", tt.name, s.sql, text)
			}
			if strings.Contains(s.sql, "row_number() OVER") { // planByIndex: the plan step
				planned = true
				if !strings.Contains(text, tt.index) {
					t.Errorf("%s: the plan step does not use %s:\n%s\nplan:\n%s", tt.name, tt.index, s.sql, text)
				}
			}
		}
		if !planned {
			t.Errorf("%s: no plan step recorded", tt.name)
		}
	}
}

// explain returns the verbose plan of a recorded statement with its arguments, sequential
// scans off, in a transaction rolled back.
func explain(t *testing.T, pool *pgxpool.Pool, s tracedStatement) string {
	t.Helper()
	var lines []string
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		rows, err := tx.Query(context.Background(), "EXPLAIN (VERBOSE, COSTS OFF) "+s.sql, s.args...)
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
		t.Fatalf("explain %s: %v", s.sql, err)
	}
	return strings.Join(lines, "\n")
}
