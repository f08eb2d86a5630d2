package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/jobs"
)

// latencies collects the payment-to-unblock latency that the unblock job logs (and
// observes in billingd_payment_unblock_seconds) for each payment that unblocked a contract;
// every other record is dropped.
type latencies struct {
	mu  sync.Mutex
	got []time.Duration
	bad atomic.Int64 // records of the message without a parsable latency
}

func (l *latencies) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelInfo }
func (l *latencies) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *latencies) WithGroup(string) slog.Handler                    { return l }

func (l *latencies) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "contract unblocked after payment" {
		return nil
	}
	var latency time.Duration
	blocked, ok := false, false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "was_blocked":
			blocked = a.Value.Bool()
		case "latency":
			d, err := time.ParseDuration(a.Value.String())
			latency, ok = d, err == nil
		}
		return true
	})
	if !ok {
		l.bad.Add(1)
		return nil
	}
	if blocked {
		l.mu.Lock()
		l.got = append(l.got, latency)
		l.mu.Unlock()
	}
	return nil
}

// BenchmarkUnblockAfterPayment measures the River throughput of the per-event "unblock
// after payment" job in jobs/s, for up to 5,000 blocked contracts (an open block episode
// on the first installment, due 2026-03-10 and unpaid 10 days later, each). Each contract's
// overdue installment is paid through the API's payment endpoint (api.New, in process),
// which enqueues the unblock job in the payment's transaction, while a started daemon
// client works the jobs; the time runs from the first payment to the last contract
// unblocked. p50/p99 are of the payment-to-unblock latency the job observes.
func BenchmarkUnblockAfterPayment(b *testing.B) {
	const payers = 8
	h := setup(b)
	ctx := context.Background()
	n := min(h.n, 5000)
	h.seedInstallments()
	// Block the first n contracts as the block-delinquent sweep does on 2026-03-20.
	_, rows := h.timeSQL(`WITH d AS (
			SELECT i.contract_id, i.id, i.due_date FROM installments i
			WHERE i.sequence = 1 AND i.contract_id IN (SELECT id FROM contracts ORDER BY id LIMIT $2)),
		e AS (INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
			SELECT contract_id, id, $1, format('first installment %s due %s unpaid 10 days after its due date', id, due_date) FROM d
			RETURNING id, contract_id, started_on),
		s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, started_on FROM e),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id::text FROM e)
		UPDATE contracts c SET status = 'blocked', updated_at = now() FROM e WHERE c.id = e.contract_id`,
		time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), n)
	if rows != int64(n) {
		b.Fatalf("blocked %d contracts, want %d", rows, n)
	}
	h.timeSQL("VACUUM ANALYZE")
	type payment struct {
		installment int64
		amount      string
	}
	var pays []payment
	err := pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		// What settles each on 2026-03-20 under the default late rule (no fine, 1% a month of
		// interest, 1/30 of it a day from the day after the due date; billing.AmountDueOn).
		rows, err := tx.Query(ctx, `SELECT i.id, (i.amount - i.discount
				+ round((i.amount - i.discount) * 1.00 / 100 / 30 * ('2026-03-20'::date - i.due_date), 2))::text
			FROM block_episodes e JOIN installments i ON i.id = e.installment_id ORDER BY e.contract_id`)
		if err != nil {
			return err
		}
		pays, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (payment, error) {
			var p payment
			return p, r.Scan(&p.installment, &p.amount)
		})
		return err
	})
	if err != nil || len(pays) != n {
		b.Fatalf("read %d overdue installments, want %d: %v", len(pays), n, err)
	}

	// The daemon and the API share one pool and one store, as in `billingd serve`.
	lat := &latencies{}
	h.runner.Logger = slog.New(lat)
	h.runner.Metrics = jobs.NewMetrics(prometheus.NewRegistry(), h.pool, h.runner.Logger, nil)
	client, err := h.runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	const token = "bench-token"
	srv := api.New(api.Config{Store: h.store, Jobs: jobs.Names(), Token: token, Location: h.runner.Location, Now: time.Now,
		Logger: slog.New(slog.DiscardHandler), CatchUpDays: 31})
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()

	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	failed := make(chan string, payers)
	var wg sync.WaitGroup
	for range payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				p := pays[i]
				req := httptest.NewRequest("POST", fmt.Sprintf("/v1/installments/%d/payments", p.installment),
					strings.NewReader(fmt.Sprintf(`{"amount": %q, "paid_at": "2026-03-20"}`, p.amount)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					failed <- fmt.Sprintf("payment of installment %d: %d %s", p.installment, w.Code, w.Body.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	paying := time.Since(start)
	close(failed)
	for msg := range failed {
		b.Fatal(msg)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var left, dead int
		if err := h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM contracts WHERE status = 'blocked'),
			(SELECT count(*) FROM river.river_job WHERE kind = 'unblock_after_payment' AND state IN ('discarded', 'cancelled', 'retryable'))`).
			Scan(&left, &dead); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		if dead > 0 || time.Now().After(deadline) {
			b.Fatalf("%d contracts still blocked, %d unblock jobs failed", left, dead)
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	// Every contract unblocked exactly once: one episode each, closed by the payment, and
	// one unblocked notice.
	var contracts, episodes, closed, notices, active int
	if err := h.pool.QueryRow(ctx, `SELECT count(DISTINCT contract_id), count(*),
			count(*) FILTER (WHERE ended_on IS NOT NULL AND end_reason = 'payment'),
			(SELECT count(*) FROM notices WHERE kind = 'unblocked'),
			(SELECT count(*) FROM contracts k WHERE k.status = 'active' AND k.id IN (SELECT contract_id FROM block_episodes))
		FROM block_episodes`).Scan(&contracts, &episodes, &closed, &notices, &active); err != nil {
		b.Fatal(err)
	}
	if contracts != n || episodes != n || closed != n || notices != n || active != n {
		b.Fatalf("contracts with episodes %d, episodes %d, closed by payment %d, unblocked notices %d, active %d; want %d each",
			contracts, episodes, closed, notices, active, n)
	}
	// The job logs its latency, and River marks it completed, just after its commit: wait
	// (untimed) for the last ones.
	var jobsDone int
	var got []time.Duration
	for settle := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM river.river_job WHERE kind = 'unblock_after_payment' AND state = 'completed'`).
			Scan(&jobsDone); err != nil {
			b.Fatal(err)
		}
		lat.mu.Lock()
		got = slices.Clone(lat.got)
		lat.mu.Unlock()
		if (jobsDone == n && len(got) == n) || time.Now().After(settle) {
			break
		}
	}
	if jobsDone != n || len(got) != n || lat.bad.Load() != 0 {
		b.Fatalf("completed unblock jobs %d, observed unblocks %d (unparsable %d), want %d", jobsDone, len(got), lat.bad.Load(), n)
	}
	slices.Sort(got)
	pct := func(p float64) time.Duration { return got[min(len(got)-1, int(p*float64(len(got))))] }
	rate := float64(n) / elapsed.Seconds()
	fmt.Printf("%-22s payments=%d elapsed=%s rate=%.0f jobs/s p50=%s p99=%s peak_rss=%.0fMiB\n", "unblock-after-payment", n,
		elapsed.Round(time.Millisecond), rate, pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), peakRSS())
	b.ReportMetric(rate, "jobs/s")
	b.ReportMetric(elapsed.Seconds(), "elapsed_s")
	b.ReportMetric(paying.Seconds(), "payments_s")
	b.ReportMetric(pct(0.50).Seconds(), "p50_s")
	b.ReportMetric(pct(0.99).Seconds(), "p99_s")
}
