package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/billing"
)

var (
	contractsDesc = prometheus.NewDesc("billingd_contracts", "Contracts by status.", []string{"status"}, nil)
	overdueDesc   = prometheus.NewDesc("billingd_installments_overdue",
		"Open installments whose effective due date is before today in the business time zone.", nil, nil)
	dueNotGeneratedDesc = prometheus.NewDesc("billingd_contracts_due_not_generated",
		"Contracts whose installments were due to be generated before today and are not (0 after generate-installments).", nil, nil)
	paidButBlockedDesc = prometheus.NewDesc("billingd_contracts_paid_but_blocked",
		"Blocked or partially suspended contracts with nothing overdue (0 once payments are processed).", nil, nil)
)

// invariantCollector computes the billing invariants at scrape time, at most every
// cacheFor, each from an index.
type invariantCollector struct {
	pool     *pgxpool.Pool
	loc      *time.Location
	now      func() time.Time
	logger   *slog.Logger
	cacheFor time.Duration

	mu      sync.Mutex
	at      time.Time
	metrics []prometheus.Metric
}

// RegisterInvariants registers the billing invariant gauges on reg.
func RegisterInvariants(reg prometheus.Registerer, pool *pgxpool.Pool, loc *time.Location, now func() time.Time, logger *slog.Logger) {
	reg.MustRegister(&invariantCollector{pool: pool, loc: loc, now: now, logger: logger, cacheFor: 10 * time.Second})
}

// Describe implements prometheus.Collector.
func (c *invariantCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- contractsDesc
	ch <- overdueDesc
	ch <- dueNotGeneratedDesc
	ch <- paidButBlockedDesc
}

// Collect implements prometheus.Collector.
func (c *invariantCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > c.cacheFor {
		ms, err := c.compute()
		if err != nil {
			c.logger.Warn("metrics: billing invariants", slog.String("error", err.Error()))
			return
		}
		c.metrics, c.at = ms, time.Now()
	}
	for _, m := range c.metrics {
		ch <- m
	}
}

func (c *invariantCollector) compute() ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	today := billing.DateOf(c.now(), c.loc)
	counts := map[string]float64{}
	for _, s := range billing.ContractStatuses {
		counts[s] = 0
	}
	rows, err := c.pool.Query(ctx, `SELECT status, count(*) FROM contracts GROUP BY status`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return nil, err
		}
		counts[s] = float64(n)
	}
	rows.Close()
	var overdue, notGenerated, paidBlocked int64
	err = c.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM installments WHERE installment_overdue(state, due_date, $1)),
		(SELECT count(*) FROM contracts WHERE generation_due_on < $1),
		(SELECT count(*) FROM contracts c WHERE c.status IN ('suspended_partial', 'blocked') AND NOT EXISTS (
			SELECT 1 FROM installments i WHERE i.contract_id = c.id AND installment_overdue(i.state, i.due_date, $1)))`,
		today).Scan(&overdue, &notGenerated, &paidBlocked)
	if err != nil {
		return nil, err
	}
	out := []prometheus.Metric{
		prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(overdue)),
		prometheus.MustNewConstMetric(dueNotGeneratedDesc, prometheus.GaugeValue, float64(notGenerated)),
		prometheus.MustNewConstMetric(paidButBlockedDesc, prometheus.GaugeValue, float64(paidBlocked)),
	}
	for s, n := range counts {
		out = append(out, prometheus.MustNewConstMetric(contractsDesc, prometheus.GaugeValue, n, s))
	}
	return out, nil
}
