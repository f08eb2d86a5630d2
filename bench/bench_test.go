// Package bench measures the sweeps at scale against their set-based floor: `make bench`
// loads BENCH_CONTRACTS active contracts (default 1,000,000) into a scratch database and
// times each sweep through River, the floor (one plain INSERT … SELECT of the same rows),
// their ratio, a sweep on a day with nothing due, and the process's peak memory.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// defaultThresholds are the daemon's default renewal thresholds (BILLINGD_RENEWAL_QUEUE_THRESHOLD,
// BILLINGD_RENEWAL_THRESHOLD).
var defaultThresholds = renewal.Thresholds{Queue: 3, Renewal: 2}

func contracts(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("BENCH_CONTRACTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BENCH_CONTRACTS=%q: want a positive number", v)
		}
	}
	return n
}

// harness is a scratch database with seeded contracts and a daemon-like River client.
type harness struct {
	b      *testing.B
	pool   *pgxpool.Pool
	store  *postgres.Store
	runner *jobs.Runner
	n      int
}

func setup(b *testing.B) *harness {
	b.Helper()
	ctx := context.Background()
	n := contracts(b)
	pool, err := postgres.Open(ctx, dbtest.NewURL(b), func(c *pgxpool.Config) { c.MaxConns = 20 })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	start := time.Now()
	if _, err := dbtest.SeedContracts(ctx, pool, n, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("seeded %d contracts in %s\n", n, time.Since(start).Round(time.Millisecond))
	loc, _ := time.LoadLocation("America/Sao_Paulo")
	followUps, err := jobs.NewFollowUps(slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	store := &postgres.Store{Pool: pool, FollowUps: followUps}
	runner := &jobs.Runner{
		Pool: pool, Store: store, Sweeps: map[string]jobs.Sweep{
			jobs.GenerateInstallments: postgres.GenerateSweep{},
			jobs.BlockDelinquent:      postgres.BlockSweep{FollowUps: followUps, Location: loc},
			jobs.ResetBenefitQuotas:   postgres.ResetBenefitQuotasSweep{},
		},
		Location: loc, Now: time.Now, Logger: slog.New(slog.DiscardHandler), BatchSize: 2000, BatchTimeout: 10 * time.Minute,
	}
	return &harness{b: b, pool: pool, store: store, runner: runner, n: n}
}

// sweep runs job as of asOf through River as the daemon would, and returns its duration
// and counts.
func (h *harness) sweep(job string, asOf time.Time) (time.Duration, map[string]int64) {
	h.b.Helper()
	ctx := context.Background()
	client, err := h.runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		h.b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		h.b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	start := time.Now()
	requested, err := h.store.RequestRun(ctx, job, asOf)
	if err != nil {
		h.b.Fatal(err)
	}
	run, err := jobs.WaitRun(ctx, h.pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil {
		h.b.Fatal(err)
	}
	if run.State != records.RunSucceeded {
		h.b.Fatalf("run %d %s: %s", run.ID, run.State, run.Error)
	}
	return time.Since(start), run.Counts
}

// timeSQL runs one statement and returns how long it took and the rows it touched.
func (h *harness) timeSQL(sql string, args ...any) (time.Duration, int64) {
	h.b.Helper()
	start := time.Now()
	tag, err := h.pool.Exec(context.Background(), sql, args...)
	if err != nil {
		h.b.Fatalf("%s: %v", strings.Fields(sql)[0], err)
	}
	return time.Since(start), tag.RowsAffected()
}

// timeCount runs one statement that answers a count and returns how long it took and the count.
func (h *harness) timeCount(sql string, args ...any) (time.Duration, int64) {
	h.b.Helper()
	start := time.Now()
	var n int64
	if err := h.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.b.Fatalf("%s: %v", strings.Fields(sql)[0], err)
	}
	return time.Since(start), n
}

// peakRSS returns the process's peak resident memory in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func report(b *testing.B, name string, n int, floor, sweep, idle time.Duration, counts map[string]int64) {
	ratio := sweep.Seconds() / floor.Seconds()
	fmt.Printf("%-22s contracts=%d floor=%s sweep=%s ratio=%.2f nothing-due=%s peak_rss=%.0fMiB counts=%v\n",
		name, n, floor.Round(time.Millisecond), sweep.Round(time.Millisecond), ratio, idle.Round(time.Millisecond), peakRSS(), counts)
	b.ReportMetric(floor.Seconds(), "floor_s")
	b.ReportMetric(sweep.Seconds(), "sweep_s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(idle.Seconds(), "nothing_due_s")
	b.ReportMetric(peakRSS(), "peak_rss_MiB")
}

// withLines wraps an INSERT INTO installments … SELECT of recurring installments without a
// discount so that the same statement writes each one's plan line (billing.ScheduledLines,
// billing.PlanLineDescription) and its installment.issued event, as the sweeps do; the
// statement reports the installments it inserted.
func withLines(insert string) string {
	return `WITH ins AS (` + insert + `
			RETURNING id, contract_id, kind, term, sequence, service_start, service_end, due_date, amount, discount, on_time_discount),
		l AS (INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT id, contract_id, 'plan', 'plan, term ' || term || ' installment ' || sequence || ': service '
				|| to_char(service_start, 'YYYY-MM-DD') || ' to ' || to_char(service_end, 'YYYY-MM-DD'), 1, amount, amount, 'plan'
			FROM ins),
		ev AS (INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'installment.issued', contract_id, 'installment:' || id, service_start,
				jsonb_build_object('installment_id', id, 'kind', kind, 'term', term, 'sequence', sequence, 'due_date', due_date,
					'amount', amount::text, 'discount', discount::text, 'on_time_discount', on_time_discount::text)
			FROM ins ORDER BY id)
		SELECT count(*) FROM ins`
}

// BenchmarkGenerateInstallments times generate-installments for a month of 12-installment
// terms against the floor, then a sweep on a day with nothing due.
func BenchmarkGenerateInstallments(b *testing.B) {
	h := setup(b)
	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	// The floor: the same rows (12 monthly installments due on day 10, each with its plan
	// line) in one statement.
	floor, rows := h.timeCount(withLines(`INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
			nominal_due, due_date, amount, discount, on_time_discount)
		SELECT c.id, 'recurring', 1, k + 1, (c.activation_date + make_interval(months => k))::date,
			(c.activation_date + make_interval(months => k + 1))::date - 1,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			c.price, c.discount, c.on_time_discount
		FROM contracts c CROSS JOIN generate_series(0, 11) k`))
	if rows != int64(h.n)*12 {
		b.Fatalf("floor inserted %d rows, want %d", rows, h.n*12)
	}
	h.timeSQL("TRUNCATE installments, events CASCADE")
	h.timeSQL("VACUUM ANALYZE installments")
	h.timeSQL("VACUUM ANALYZE events")
	b.ResetTimer()
	sweep, counts := h.sweep(jobs.GenerateInstallments, asOf)
	idle, idleCounts := h.sweep(jobs.GenerateInstallments, asOf)
	b.StopTimer()
	if counts["installments_created"] != int64(h.n)*12 || len(idleCounts) != 0 {
		b.Fatalf("sweep counts %v, nothing-due counts %v", counts, idleCounts)
	}
	report(b, "generate-installments", h.n, floor, sweep, idle, counts)
}

// BenchmarkRenewContracts times renew-contracts renewing every contract (10 of 12
// installments paid, flagged as payments flag them) against the floor, one INSERT … SELECT of
// the renewed terms' rows, then a run with nothing due. The sweeps run with the e-mail queue
// paused: timed with the enqueuing of the renewed notices' deliveries, not the deliveries.
func BenchmarkRenewContracts(b *testing.B) {
	h := setup(b)
	h.runner.Sweeps[jobs.RenewContracts] = postgres.RenewSweep{Thresholds: defaultThresholds, FollowUps: h.store.FollowUps}
	asOf := time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC)
	term := func(first, last, termNo int) string {
		return withLines(fmt.Sprintf(`INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
				nominal_due, due_date, amount, discount, on_time_discount)
			SELECT c.id, 'recurring', %d, k + 1, (c.activation_date + make_interval(months => k))::date,
				(c.activation_date + make_interval(months => k + 1))::date - 1,
				(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
				(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
				c.price, c.discount, c.on_time_discount
			FROM contracts c CROSS JOIN generate_series(%d, %d) k`, termNo, first, last))
	}
	// The first term, generated and 10 installments paid (the trigger's flag is set in one go).
	h.timeSQL(term(0, 11, 1))
	h.timeSQL(`UPDATE contracts SET generated_term = 1, generation_due_on = NULL,
		term_end = (activation_date + interval '12 months')::date - 1, renewal_check = true`)
	h.timeSQL("ALTER TABLE installments DISABLE TRIGGER installments_renewal_check")
	h.timeSQL("UPDATE installments SET state = 'paid', paid_at = due_date, paid_amount = amount WHERE sequence <= 10")
	h.timeSQL("ALTER TABLE installments ENABLE TRIGGER installments_renewal_check")
	h.timeSQL("INSERT INTO renewal_settings (queue_threshold, renew_threshold) VALUES ($1, $2)", defaultThresholds.Queue, defaultThresholds.Renewal)
	h.timeSQL("VACUUM ANALYZE")
	// The floor: the renewed terms' rows in one statement.
	floor, rows := h.timeCount(term(12, 23, 2))
	if rows != int64(h.n)*12 {
		b.Fatalf("floor inserted %d rows, want %d", rows, h.n*12)
	}
	h.timeSQL("DELETE FROM installment_lines l USING installments i WHERE i.id = l.installment_id AND i.term = 2")
	h.timeSQL("DELETE FROM installments WHERE term = 2")
	h.timeSQL("DELETE FROM events WHERE kind = 'installment.issued' AND (payload->>'term')::int = 2")
	h.timeSQL("VACUUM ANALYZE installments")
	h.timeSQL("VACUUM ANALYZE events")
	b.ResetTimer()
	sweep, counts := h.sweepPaused(jobs.RenewContracts, asOf)
	idle, idleCounts := h.sweepPaused(jobs.RenewContracts, asOf)
	b.StopTimer()
	if counts["renewed"] != int64(h.n) || counts["installments_created"] != int64(h.n)*12 || len(idleCounts) != 0 {
		b.Fatalf("sweep counts %v, nothing-due counts %v", counts, idleCounts)
	}
	report(b, "renew-contracts", h.n, floor, sweep, idle, counts)
}

// BenchmarkResetBenefitQuotas times reset-benefit-quotas opening the next monthly balance of
// one benefit for every contract against the floor, then a sweep with nothing due.
func BenchmarkResetBenefitQuotas(b *testing.B) {
	h := setup(b)
	ctx := context.Background()
	var plan int64
	if err := h.pool.QueryRow(ctx, "SELECT id FROM plans ORDER BY id LIMIT 1").Scan(&plan); err != nil {
		b.Fatal(err)
	}
	start, asOf := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)
	if _, err := dbtest.SeedBenefitGrants(ctx, h.pool, plan, start); err != nil {
		b.Fatal(err)
	}
	h.timeSQL("VACUUM ANALYZE benefit_balances")
	// The floor: the same new balances and cleared markers in one statement.
	floor, rows := h.timeSQL(`WITH due AS (
			UPDATE benefit_balances SET next_reset_on = NULL WHERE next_reset_on <= $1
			RETURNING contract_id, benefit_id, anchor, period_end, granted)
		INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, period_end, granted, next_reset_on)
		SELECT contract_id, benefit_id, anchor, period_end + 1, (period_end + 1 + interval '1 month')::date - 1, granted,
			(period_end + 1 + interval '1 month')::date
		FROM due`, asOf)
	if rows != int64(h.n) {
		b.Fatalf("floor opened %d balances, want %d", rows, h.n)
	}
	h.timeSQL("DELETE FROM benefit_balances WHERE period_start = $1", asOf)
	h.timeSQL("UPDATE benefit_balances SET next_reset_on = $1", asOf)
	h.timeSQL("VACUUM ANALYZE benefit_balances")
	b.ResetTimer()
	sweep, counts := h.sweep(jobs.ResetBenefitQuotas, asOf)
	idle, idleCounts := h.sweep(jobs.ResetBenefitQuotas, asOf)
	b.StopTimer()
	if counts["balances_opened"] != int64(h.n) || len(idleCounts) != 0 {
		b.Fatalf("sweep counts %v, nothing-due counts %v", counts, idleCounts)
	}
	report(b, "reset-benefit-quotas", h.n, floor, sweep, idle, counts)
}
