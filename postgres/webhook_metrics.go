package postgres

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	webhookOldestDesc = prometheus.NewDesc("billingd_webhook_oldest_undelivered_seconds",
		"Age of the oldest event not yet delivered to a live webhook endpoint (0 when none waits), by endpoint id.",
		[]string{"endpoint"}, nil)
	webhookPendingDesc = prometheus.NewDesc("billingd_webhook_pending_deliveries",
		"Deliveries to a live webhook endpoint not yet acknowledged, by endpoint id.", []string{"endpoint"}, nil)
	eventsUnpublishedDesc = prometheus.NewDesc("billingd_events_unpublished",
		"Events written and not yet published (without a seq).", nil, nil)
)

// webhookCollector reads the webhook gauges from the database at scrape time.
type webhookCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// RegisterWebhookMetrics registers the gauges of event publication and webhook delivery on
// reg, read from the database at scrape time (every replica reports the same values).
func RegisterWebhookMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	reg.MustRegister(&webhookCollector{pool: pool, logger: logger})
}

// Describe implements prometheus.Collector.
func (c *webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- webhookOldestDesc
	ch <- webhookPendingDesc
	ch <- eventsUnpublishedDesc
}

// Collect implements prometheus.Collector.
func (c *webhookCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT w.id, count(d.event_id),
			coalesce(extract(epoch FROM now() - min(e.created_at)), 0)::float8
		FROM webhook_endpoints w
		LEFT JOIN webhook_deliveries d ON d.endpoint_id = w.id AND d.state = 'pending'
		LEFT JOIN events e ON e.id = d.event_id
		WHERE w.deleted_at IS NULL GROUP BY w.id ORDER BY w.id`)
	if err != nil {
		c.warn(ctx, err)
		return
	}
	for rows.Next() {
		var id, pending int64
		var age float64
		if err := rows.Scan(&id, &pending, &age); err != nil {
			rows.Close()
			c.warn(ctx, err)
			return
		}
		label := strconv.FormatInt(id, 10)
		ch <- prometheus.MustNewConstMetric(webhookOldestDesc, prometheus.GaugeValue, age, label)
		ch <- prometheus.MustNewConstMetric(webhookPendingDesc, prometheus.GaugeValue, float64(pending), label)
	}
	rows.Close()
	var unpublished int64
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE seq IS NULL`).Scan(&unpublished); err != nil {
		c.warn(ctx, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(eventsUnpublishedDesc, prometheus.GaugeValue, float64(unpublished))
}

func (c *webhookCollector) warn(ctx context.Context, err error) {
	if !errors.Is(err, context.Canceled) {
		c.logger.WarnContext(ctx, "metrics: read webhook deliveries", slog.String("error", err.Error()))
	}
}
