package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	blocksDesc = prometheus.NewDesc("billingd_contract_blocks_total",
		"Blocks of contracts ever made, read from the block episodes: episodes opened plus re-blocks after a trust unlock.", nil, nil)
	unblocksDesc = prometheus.NewDesc("billingd_contract_unblocks_total",
		"Unblocks of contracts ever made, read from the block episodes, by reason: payment, rule (the sweep's safety net) or trust_unlock.",
		[]string{"reason"}, nil)
)

// delinquencyCollector reads the block and unblock counters from the block episodes at
// scrape time, so they count every replica's work and survive restarts.
type delinquencyCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// RegisterDelinquencyMetrics registers the block and unblock counters on reg.
func RegisterDelinquencyMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	reg.MustRegister(&delinquencyCollector{pool: pool, logger: logger})
}

// Describe implements prometheus.Collector.
func (c *delinquencyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- blocksDesc
	ch <- unblocksDesc
}

// Collect implements prometheus.Collector.
func (c *delinquencyCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var blocks, payment, rule, trust int64
	err := c.pool.QueryRow(ctx, `SELECT count(*) + coalesce(sum(reblocks), 0),
			count(*) FILTER (WHERE end_reason = 'payment'), count(*) FILTER (WHERE end_reason = 'rule'),
			coalesce(sum(trust_unlocks), 0)
		FROM block_episodes`).Scan(&blocks, &payment, &rule, &trust)
	if err != nil {
		c.logger.WarnContext(ctx, "metrics: block episodes", slog.String("error", err.Error()))
		return
	}
	ch <- prometheus.MustNewConstMetric(blocksDesc, prometheus.CounterValue, float64(blocks))
	ch <- prometheus.MustNewConstMetric(unblocksDesc, prometheus.CounterValue, float64(payment), "payment")
	ch <- prometheus.MustNewConstMetric(unblocksDesc, prometheus.CounterValue, float64(rule), "rule")
	ch <- prometheus.MustNewConstMetric(unblocksDesc, prometheus.CounterValue, float64(trust), "trust_unlock")
}
