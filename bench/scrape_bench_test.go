package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// scrapeDay is the business day BenchmarkScrape scrapes on: installment 16 of every contract
// is due that day, after fifteen months of history.
var scrapeDay = time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC)

// BenchmarkScrape times a scrape of /metrics with every SQL collector the daemon registers,
// on a book with history: two 12-installment terms per contract, every installment due
// before the business day paid by a payment dated its due date but for one contract in
// twenty, which owes its last two; half of the day's installments paid that day; every
// contract renewed once (in January 2027) and one in a hundred on the day. It reports the
// median and the slowest of 20 scrapes of the whole /metrics, and of the business gauges
// (billingd_business_*) alone.
func BenchmarkScrape(b *testing.B) {
	h := setup(b)
	// The history is written set-based and in its final state: each term's installments in
	// one INSERT … SELECT over generate_series, already paid or open (no second write of 24
	// installments a contract), with their plan lines and installment.issued events in the
	// same statement, then the payments in one INSERT … SELECT, all with the tables'
	// secondary indexes and foreign keys made after (bulkLoad).
	term := func(first, last, termNo int) string {
		return withLines(fmt.Sprintf(`INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
				nominal_due, due_date, amount, discount, on_time_discount, state, paid_at, paid_amount)
			SELECT c.id, 'recurring', %d, k + 1, (c.activation_date + make_interval(months => k))::date,
				(c.activation_date + make_interval(months => k + 1))::date - 1, d.due, d.due, c.price, c.discount, c.on_time_discount,
				CASE WHEN p.paid THEN 'paid' ELSE 'open' END, CASE WHEN p.paid THEN d.due END, CASE WHEN p.paid THEN c.price END
			FROM contracts c CROSS JOIN generate_series(%d, %d) k
			CROSS JOIN LATERAL (SELECT (date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date
				AS due) d
			CROSS JOIN LATERAL (SELECT (d.due < '%s' AND (c.id %% 20 <> 0 OR k + 1 < 14)) OR (d.due = '%s' AND c.id %% 2 = 0)
				AS paid) p`, termNo, first, last, scrapeDay.Format(time.DateOnly), scrapeDay.Format(time.DateOnly)))
	}
	start := time.Now()
	var terms, paying time.Duration
	constraints := h.bulkLoad([]string{"installments", "installment_lines", "events", "payments"}, func() {
		first, _ := h.timeSQL(term(0, 11, 1))
		second, _ := h.timeSQL(term(12, 23, 2))
		terms = first + second
		paying, _ = h.timeSQL(`INSERT INTO payments (installment_id, contract_id, amount, paid_on, source, principal, fine, interest)
			SELECT id, contract_id, amount, paid_at, 'api', amount, 0, 0 FROM installments WHERE state = 'paid'`)
	})
	h.timeSQL(`UPDATE contracts SET term_number = 2, generated_term = 2, generation_due_on = NULL,
		term_end = (activation_date + interval '24 months')::date - 1`)
	h.timeSQL(`INSERT INTO renewals (contract_id, term, queued_on, open_installments, renewed_on, new_term, price_mode, price, trigger)
		SELECT id, 1, '2026-12-10', 3, CASE WHEN id % 100 = 0 THEN $1 ELSE '2027-01-10'::date END, 2, 'plan_price', price, 'sweep'
		FROM contracts`, scrapeDay)
	vacuum, _ := h.timeSQL("VACUUM ANALYZE")
	var installments, payments int64
	if err := h.pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM installments), (SELECT count(*) FROM payments)").
		Scan(&installments, &payments); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("history: %d installments, %d payments in %s (terms with lines and events %s, payments %s, indexes and "+
		"constraints made after %s, vacuum %s)\n", installments, payments, time.Since(start).Round(time.Millisecond),
		terms.Round(time.Millisecond), paying.Round(time.Millisecond), constraints.Round(time.Millisecond), vacuum.Round(time.Millisecond))

	logger := slog.New(slog.DiscardHandler)
	now := func() time.Time { return scrapeDay.Add(15 * time.Hour) } // noon in São Paulo
	loc := h.runner.Location
	all := prometheus.NewRegistry()
	jobs.NewMetrics(all, h.pool, logger, nil)
	jobs.NewNoticeMetrics(all)
	postgres.RegisterInvariants(all, h.pool, loc, now, logger)
	postgres.RegisterRenewalMetrics(all, h.pool, logger)
	postgres.RegisterDelinquencyMetrics(all, h.pool, logger)
	postgres.RegisterNoticeMetrics(all, h.pool, logger)
	postgres.RegisterCollectionMetrics(all, h.pool, loc, now, logger)
	postgres.RegisterBusinessMetrics(all, h.pool, loc, now, logger)
	business := prometheus.NewRegistry()
	postgres.RegisterBusinessMetrics(business, h.pool, loc, now, logger)

	b.ResetTimer()
	whole := h.scrapes(all, "billingd_business_billed_installments", 20)
	alone := h.scrapes(business, "billingd_business_billed_installments", 20)
	b.StopTimer()
	fmt.Printf("%-22s contracts=%d installments=%d payments=%d scrape_median=%s scrape_max=%s business_median=%s business_max=%s\n",
		"scrape", h.n, installments, payments, whole[len(whole)/2].Round(time.Microsecond), whole[len(whole)-1].Round(time.Microsecond),
		alone[len(alone)/2].Round(time.Microsecond), alone[len(alone)-1].Round(time.Microsecond))
	var plan []string
	err := pgx.BeginFunc(context.Background(), h.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil { // as the scrape
			return err
		}
		rows, err := tx.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+postgres.BusinessMetricsQuery, scrapeDay)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("business statement plan:\n  %s\n", strings.Join(plan, "\n  "))
	b.ReportMetric(whole[len(whole)/2].Seconds()*1000, "scrape_ms")
	b.ReportMetric(alone[len(alone)/2].Seconds()*1000, "business_ms")
}

// scrapes GETs /metrics of reg n times over HTTP and returns the durations, sorted; each
// answer must carry metric.
func (h *harness) scrapes(reg *prometheus.Registry, metric string, n int) []time.Duration {
	h.b.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	defer srv.Close()
	out := make([]time.Duration, n)
	for i := range out {
		start := time.Now()
		resp, err := http.Get(srv.URL)
		if err != nil {
			h.b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			h.b.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		out[i] = time.Since(start)
		if !bytes.Contains(body, []byte("\n"+metric+" ")) {
			h.b.Fatalf("scrape lacks %s:\n%s", metric, body)
		}
	}
	slices.Sort(out)
	return out
}
