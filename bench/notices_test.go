package bench

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// seedInstallments gives every seeded contract its 12 monthly installments due on day 10
// (March 2026 to February 2027), in one statement.
func (h *harness) seedInstallments() {
	h.b.Helper()
	h.timeSQL(`INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
			nominal_due, due_date, amount, discount, on_time_discount)
		SELECT c.id, 'recurring', 1, k + 1, (c.activation_date + make_interval(months => k))::date,
			(c.activation_date + make_interval(months => k + 1))::date - 1,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			c.price, c.discount, c.on_time_discount
		FROM contracts c CROSS JOIN generate_series(0, 11) k`)
	h.timeSQL("UPDATE contracts SET generation_due_on = NULL, generated_term = 1, adhesion_generated = true")
	h.timeSQL("VACUUM ANALYZE")
}

// sweepPaused runs job through River with the e-mail queue paused, so that the sweep is
// timed with its delivery enqueuing but without the deliveries.
func (h *harness) sweepPaused(job string, asOf time.Time) (time.Duration, map[string]int64) {
	h.b.Helper()
	ctx := context.Background()
	client, err := h.runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second,
		Delivery: &jobs.Delivery{Pool: h.pool, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		h.b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		h.b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for client.QueuePause(ctx, jobs.QueueEvents, nil) != nil {
		if time.Now().After(deadline) {
			h.b.Fatal("could not pause the e-mail queue")
		}
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	requested, err := h.store.RequestRun(ctx, job, asOf)
	if err != nil {
		h.b.Fatal(err)
	}
	run, err := jobs.WaitRun(ctx, h.pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil || run.State != records.RunSucceeded {
		h.b.Fatalf("run %d %s: %v %s", requested.ID, run.State, err, run.Error)
	}
	return time.Since(start), run.Counts
}

// BenchmarkSendNotices times send-notices on the day each contract has one installment
// overdue and one coming due (2 notices per contract, and 2 delivery jobs enqueued) against
// the floor (one statement writing the same marks, notices and delivery jobs), then a day
// with nothing due.
func BenchmarkSendNotices(b *testing.B) {
	h := setup(b)
	h.seedInstallments()
	h.runner.Sweeps[jobs.SendNotices] = postgres.NoticeSweep{DaysBeforeDue: 3, FollowUps: h.store.FollowUps}
	asOf := time.Date(2026, 4, 8, 0, 0, 0, 0, time.UTC)
	// The floor: the same rows in one statement — the installments' notice marks, the
	// notices, and one delivery job per notice as River writes it (args, queue, attempts,
	// and the sha256 unique key and state bitmask of unique-by-args jobs).
	floor, rows := h.timeSQL(`WITH due AS (
			UPDATE installments SET notice_stage = CASE WHEN due_date < $1 THEN 2 ELSE 1 END
			WHERE state = 'open' AND notice_stage < 2 AND due_date <= $1::date + 3
			RETURNING id, contract_id, CASE WHEN due_date < $1 THEN 'overdue' ELSE 'coming_due' END AS kind),
		created AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, kind, id::text FROM due RETURNING id)
		INSERT INTO river.river_job (args, kind, max_attempts, queue, state, unique_key, unique_states)
		SELECT jsonb_build_object('notice_id', id), 'deliver_notice', 10, $2, 'available',
			sha256(convert_to('&kind=deliver_notice&args={"notice_id":' || id || '}', 'UTF8')), B'11110101'
		FROM created`, asOf, jobs.QueueEvents)
	if rows != int64(h.n)*2 {
		b.Fatalf("floor enqueued %d notices, want %d", rows, h.n*2)
	}
	h.timeSQL("TRUNCATE notices")
	h.timeSQL("UPDATE installments SET notice_stage = 0 WHERE notice_stage > 0")
	h.timeSQL("DELETE FROM river.river_job WHERE kind = 'deliver_notice'")
	h.timeSQL("VACUUM ANALYZE")
	b.ResetTimer()
	sweep, counts := h.sweepPaused(jobs.SendNotices, asOf)
	b.StopTimer()
	// As if delivered: the next run has nothing due.
	h.timeSQL("UPDATE notices SET state = 'sent', message_id = 'bench', sent_at = now()")
	h.timeSQL("DELETE FROM river.river_job WHERE kind = 'deliver_notice'")
	h.timeSQL("VACUUM ANALYZE")
	b.StartTimer()
	idle, idleCounts := h.sweepPaused(jobs.SendNotices, asOf)
	b.StopTimer()
	if counts["notices_created"] != int64(h.n)*2 || counts["notices_undelivered"] != int64(h.n)*2 || len(idleCounts) != 0 {
		b.Fatalf("sweep counts %v, nothing-due counts %v", counts, idleCounts)
	}
	report(b, "send-notices", h.n, floor, sweep, idle, counts)
}

// BenchmarkDeliverNotices measures the River throughput of the per-notice delivery job
// (lock, render, SMTP to an in-process server on loopback, record sent) in jobs/s, for up to
// 5,000 welcome notices.
func BenchmarkDeliverNotices(b *testing.B) {
	h := setup(b)
	ctx := context.Background()
	n := min(h.n, 5000)
	h.timeSQL(`INSERT INTO notices (contract_id, kind, reference) SELECT id, 'welcome', 'welcome' FROM contracts ORDER BY id LIMIT $1`, n)
	sink := smtptest.Start(b)
	sink.Discard()
	cfg, err := mail.ParseURL(sink.URL())
	if err != nil {
		b.Fatal(err)
	}
	sender, err := mail.New(cfg, "cobranca@billingd.test")
	if err != nil {
		b.Fatal(err)
	}
	client, err := h.runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second,
		Delivery: &jobs.Delivery{Pool: h.pool, Mailer: sender, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		b.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT id FROM notices ORDER BY id")
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		return jobs.EnqueueNotices(ctx, client, tx, ids)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	for {
		var left int
		if err := h.pool.QueryRow(ctx, "SELECT count(*) FROM notices WHERE state <> 'sent'").Scan(&left); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := sink.Count(); got != n {
		b.Fatalf("SMTP server got %d e-mails, want %d", got, n)
	}
	rate := float64(n) / elapsed.Seconds()
	fmt.Printf("%-22s notices=%d elapsed=%s rate=%.0f jobs/s peak_rss=%.0fMiB\n", "deliver-notices", n,
		elapsed.Round(time.Millisecond), rate, peakRSS())
	b.ReportMetric(rate, "jobs/s")
	b.ReportMetric(elapsed.Seconds(), "elapsed_s")
}
