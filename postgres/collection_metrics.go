package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

var (
	ladderStepDesc = prometheus.NewDesc("billingd_collection_contracts",
		"Contracts at each step of the collection ladder (the stored step; none is not exported), read from the database.",
		[]string{"step"}, nil)
	unsentPastStepDesc = prometheus.NewDesc("billingd_collection_notices_unsent_past_step",
		"Contracts whose debt notice is still unsent on or after the date the next step would have come had it gone out the day it was recorded.",
		nil, nil)
)

// collectionCollector reads the collection ladder's gauges at scrape time: the contracts at
// each step (the partial index contracts_ladder_step holds only the contracts on the
// ladder, so the count reads them alone) and the debt notices stuck unsent.
type collectionCollector struct {
	pool   *pgxpool.Pool
	loc    *time.Location
	now    func() time.Time
	logger *slog.Logger
}

// RegisterCollectionMetrics registers billingd_collection_contracts{step} and
// billingd_collection_notices_unsent_past_step on reg, read at scrape time with the
// business date of now in loc.
func RegisterCollectionMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, loc *time.Location, now func() time.Time, logger *slog.Logger) {
	reg.MustRegister(&collectionCollector{pool: pool, loc: loc, now: now, logger: logger})
}

// Describe implements prometheus.Collector.
func (c *collectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- ladderStepDesc
	ch <- unsentPastStepDesc
}

// Collect implements prometheus.Collector.
func (c *collectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts := map[string]int64{}
	rows, err := c.pool.Query(ctx, `SELECT ladder_step, count(*) FROM contracts WHERE ladder_step <> 'none' GROUP BY ladder_step`)
	if err != nil {
		c.logger.WarnContext(ctx, "metrics: collection ladder steps", slog.String("error", err.Error()))
		return
	}
	for rows.Next() {
		var step string
		var n int64
		if err := rows.Scan(&step, &n); err != nil {
			rows.Close()
			c.logger.WarnContext(ctx, "metrics: collection ladder steps", slog.String("error", err.Error()))
			return
		}
		counts[step] = n
	}
	rows.Close()
	for _, step := range delinquency.StoredSteps[1:] {
		ch <- prometheus.MustNewConstMetric(ladderStepDesc, prometheus.GaugeValue, float64(counts[step]), step)
	}
	var unsent int64
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM contracts c
			JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
			JOIN notices n ON n.id = c.ladder_notice_id
		WHERE c.ladder_step = 'debt_notice' AND n.state <> 'sent'
		  AND c.ladder_step_since + CASE WHEN r.partial_suspension_after_days > 0 THEN r.partial_suspension_after_days
				ELSE r.suspension_after_days END <= $1`, billing.DateOf(c.now(), c.loc)).Scan(&unsent); err != nil {
		c.logger.WarnContext(ctx, "metrics: unsent debt notices", slog.String("error", err.Error()))
		return
	}
	ch <- prometheus.MustNewConstMetric(unsentPastStepDesc, prometheus.GaugeValue, float64(unsent))
}
