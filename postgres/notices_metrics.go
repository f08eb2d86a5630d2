package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	undeliveredDesc = prometheus.NewDesc("billingd_notices_undelivered",
		"Notices waiting for delivery (pending or rendered), read from the outbox.", nil, nil)
	retryingDesc = prometheus.NewDesc("billingd_notices_retrying",
		"Notices waiting for delivery after at least one failed attempt (SMTP server down, TLS or AUTH refused, a timeout, a 4xx), read from the outbox.", nil, nil)
	oldestUndeliveredDesc = prometheus.NewDesc("billingd_notices_oldest_undelivered_age_seconds",
		"Age of the oldest notice waiting for delivery, read from the outbox (0: none waits).", nil, nil)
)

// noticeCollector reads the outbox's undelivered notices at scrape time, so every replica
// reports the same values, right from its first scrape.
type noticeCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// RegisterNoticeMetrics registers the outbox gauges on reg; billingd registers them while an
// SMTP server is configured (without one every notice waits, by design).
func RegisterNoticeMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	reg.MustRegister(&noticeCollector{pool: pool, logger: logger})
}

// Describe implements prometheus.Collector.
func (c *noticeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- undeliveredDesc
	ch <- retryingDesc
	ch <- oldestUndeliveredDesc
}

// Collect implements prometheus.Collector.
func (c *noticeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var undelivered, retrying int64
	var oldest float64
	// The partial index notices_undelivered holds exactly these rows.
	err := c.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE attempts > 0),
			coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM notices WHERE state IN ('pending', 'rendered')`).Scan(&undelivered, &retrying, &oldest)
	if err != nil {
		c.logger.WarnContext(ctx, "metrics: undelivered notices", slog.String("error", err.Error()))
		return
	}
	ch <- prometheus.MustNewConstMetric(undeliveredDesc, prometheus.GaugeValue, float64(undelivered))
	ch <- prometheus.MustNewConstMetric(retryingDesc, prometheus.GaugeValue, float64(retrying))
	ch <- prometheus.MustNewConstMetric(oldestUndeliveredDesc, prometheus.GaugeValue, oldest)
}
