package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/migrations"
)

// This file holds every metric billingd reads from the database at scrape time (but the
// business dashboards' gauges, in business_metrics.go), so that every replica reports the
// same values from its first scrape and counters backed by append-only tables never go
// backwards. Each Register function below registers one sqlCollector: the
// metrics' descriptions and one read of the database that yields their values.

// sqlCollector is a Prometheus collector whose metrics are read from the database when
// Prometheus scrapes: read returns them, or an error that is logged (the scrape then goes
// on without them). With cacheFor set, a read is reused for that long.
type sqlCollector struct {
	// name says what is read, for the log.
	name     string
	descs    []*prometheus.Desc
	read     func(ctx context.Context) ([]prometheus.Metric, error)
	timeout  time.Duration
	cacheFor time.Duration
	logger   *slog.Logger

	mu     sync.Mutex
	readAt time.Time
	cached []prometheus.Metric
}

// Describe implements prometheus.Collector.
func (c *sqlCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sqlCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached == nil || time.Since(c.readAt) >= c.cacheFor {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		ms, err := c.read(ctx)
		cancel()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				c.logger.Warn("metrics: "+c.name, slog.String("error", err.Error()))
			}
			return
		}
		c.cached, c.readAt = ms, time.Now()
	}
	for _, m := range c.cached {
		ch <- m
	}
}

// register registers a collector reading name's metrics with a 3-second timeout and no cache.
func register(reg prometheus.Registerer, logger *slog.Logger, name string, read func(context.Context) ([]prometheus.Metric, error), descs ...*prometheus.Desc) {
	reg.MustRegister(&sqlCollector{name: name, descs: descs, read: read, timeout: 3 * time.Second, logger: logger})
}

func gauge(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

func counter(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

// countsBy reads a query of (label, count) rows into a map.
func countsBy(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) (map[string]int64, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var label string
		var n int64
		if err := rows.Scan(&label, &n); err != nil {
			return nil, err
		}
		out[label] = n
	}
	return out, rows.Err()
}

var (
	contractsDesc = prometheus.NewDesc("billingd_contracts", "Contracts by status.", []string{"status"}, nil)
	overdueDesc   = prometheus.NewDesc("billingd_installments_overdue",
		"Open installments whose effective due date is before today in the business time zone.", nil, nil)
	dueNotGeneratedDesc = prometheus.NewDesc("billingd_contracts_due_not_generated",
		"Contracts whose installments were due to be generated before today and are not (0 after generate-installments).", nil, nil)
	paidButBlockedDesc = prometheus.NewDesc("billingd_contracts_paid_but_blocked",
		"Blocked or partially suspended contracts with nothing overdue (0 once payments are processed).", nil, nil)
)

// RegisterInvariants registers the billing invariant gauges on reg, each read from an index
// with the business date of now in loc, at most every 10 seconds.
func RegisterInvariants(reg prometheus.Registerer, pool *pgxpool.Pool, loc *time.Location, now func() time.Time, logger *slog.Logger) {
	read := func(ctx context.Context) ([]prometheus.Metric, error) {
		today := billing.DateOf(now(), loc)
		counts, err := countsBy(ctx, pool, `SELECT status, count(*) FROM contracts GROUP BY status`)
		if err != nil {
			return nil, fmt.Errorf("contracts by status: %w", err)
		}
		var overdue, notGenerated, paidBlocked int64
		err = pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM installments WHERE installment_overdue(state, due_date, $1)),
			(SELECT count(*) FROM contracts WHERE generation_due_on < $1),
			(SELECT count(*) FROM contracts c WHERE c.status IN ('suspended_partial', 'blocked') AND NOT EXISTS (
				SELECT 1 FROM installments i WHERE i.contract_id = c.id AND installment_overdue(i.state, i.due_date, $1)))`,
			today).Scan(&overdue, &notGenerated, &paidBlocked)
		if err != nil {
			return nil, fmt.Errorf("overdue installments: %w", err)
		}
		out := []prometheus.Metric{gauge(overdueDesc, overdue), gauge(dueNotGeneratedDesc, notGenerated), gauge(paidButBlockedDesc, paidBlocked)}
		for _, s := range billing.ContractStatuses {
			out = append(out, gauge(contractsDesc, counts[s], s))
		}
		return out, nil
	}
	reg.MustRegister(&sqlCollector{name: "billing invariants", read: read, timeout: 5 * time.Second, cacheFor: 10 * time.Second, logger: logger,
		descs: []*prometheus.Desc{contractsDesc, overdueDesc, dueNotGeneratedDesc, paidButBlockedDesc}})
}

var (
	renewalQueueDesc = prometheus.NewDesc("billingd_contracts_in_renewal_queue",
		"Active or blocked contracts whose current term is in the renewal queue, not yet renewed.", nil, nil)
	renewalsDesc = prometheus.NewDesc("billingd_renewals_total",
		"Renewals carried out, by trigger (sweep or manual), read from the renewals ledger (never decreases).", []string{"trigger"}, nil)
)

// RegisterRenewalMetrics registers the renewal queue gauge and the renewals counter on reg.
// The counter is backed by the append-only renewals ledger, so it never goes backwards.
func RegisterRenewalMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	register(reg, logger, "read renewals", func(ctx context.Context) ([]prometheus.Metric, error) {
		var queued, sweep, manual int64
		err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM renewals r JOIN contracts c ON c.id = r.contract_id
			 WHERE r.renewed_on IS NULL AND r.term = c.term_number AND c.status IN ('active', 'blocked')),
			(SELECT count(*) FROM renewals WHERE renewed_on IS NOT NULL AND trigger = 'sweep'),
			(SELECT count(*) FROM renewals WHERE renewed_on IS NOT NULL AND trigger = 'manual')`).Scan(&queued, &sweep, &manual)
		if err != nil {
			return nil, err
		}
		return []prometheus.Metric{gauge(renewalQueueDesc, queued), counter(renewalsDesc, sweep, "sweep"), counter(renewalsDesc, manual, "manual")}, nil
	}, renewalQueueDesc, renewalsDesc)
}

var (
	blocksDesc = prometheus.NewDesc("billingd_contract_blocks_total",
		"Blocks of contracts ever made, read from the block episodes: episodes opened plus re-blocks after a trust unlock.", nil, nil)
	unblocksDesc = prometheus.NewDesc("billingd_contract_unblocks_total",
		"Unblocks of contracts ever made, read from the block episodes, by reason: payment, rule (the sweep's safety net) or trust_unlock.",
		[]string{"reason"}, nil)
)

// RegisterDelinquencyMetrics registers the block and unblock counters on reg, read from the
// block episodes, so they count every replica's work and survive restarts.
func RegisterDelinquencyMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	register(reg, logger, "block episodes", func(ctx context.Context) ([]prometheus.Metric, error) {
		var blocks, payment, rule, trust int64
		err := pool.QueryRow(ctx, `SELECT count(*) + coalesce(sum(reblocks), 0),
				count(*) FILTER (WHERE end_reason = 'payment'), count(*) FILTER (WHERE end_reason = 'rule'),
				coalesce(sum(trust_unlocks), 0)
			FROM block_episodes`).Scan(&blocks, &payment, &rule, &trust)
		if err != nil {
			return nil, err
		}
		return []prometheus.Metric{counter(blocksDesc, blocks), counter(unblocksDesc, payment, "payment"),
			counter(unblocksDesc, rule, "rule"), counter(unblocksDesc, trust, "trust_unlock")}, nil
	}, blocksDesc, unblocksDesc)
}

var (
	undeliveredDesc = prometheus.NewDesc("billingd_notices_undelivered",
		"Notices waiting for delivery (pending or rendered), read from the outbox.", nil, nil)
	retryingDesc = prometheus.NewDesc("billingd_notices_retrying",
		"Notices waiting for delivery after at least one failed attempt (SMTP server down, TLS or AUTH refused, a timeout, a 4xx), read from the outbox.", nil, nil)
	oldestUndeliveredDesc = prometheus.NewDesc("billingd_notices_oldest_undelivered_age_seconds",
		"Age of the oldest notice waiting for delivery, read from the outbox (0: none waits).", nil, nil)
)

// RegisterNoticeMetrics registers the outbox gauges on reg; billingd registers them while an
// SMTP server is configured (without one every notice waits, by design).
func RegisterNoticeMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	register(reg, logger, "undelivered notices", func(ctx context.Context) ([]prometheus.Metric, error) {
		var undelivered, retrying int64
		var oldest float64
		// The partial index notices_undelivered holds exactly these rows.
		err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE attempts > 0),
				coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
			FROM notices WHERE state IN ('pending', 'rendered')`).Scan(&undelivered, &retrying, &oldest)
		if err != nil {
			return nil, err
		}
		return []prometheus.Metric{gauge(undeliveredDesc, undelivered), gauge(retryingDesc, retrying),
			prometheus.MustNewConstMetric(oldestUndeliveredDesc, prometheus.GaugeValue, oldest)}, nil
	}, undeliveredDesc, retryingDesc, oldestUndeliveredDesc)
}

var (
	ladderStepDesc = prometheus.NewDesc("billingd_collection_contracts",
		"Contracts at each step of the collection ladder (the stored step; none is not exported), read from the database.",
		[]string{"step"}, nil)
	unsentPastStepDesc = prometheus.NewDesc("billingd_collection_notices_unsent_past_step",
		"Contracts whose debt notice is still unsent on or after the date the next step would have come had it gone out the day it was recorded.",
		nil, nil)
)

// RegisterCollectionMetrics registers billingd_collection_contracts{step} and
// billingd_collection_notices_unsent_past_step on reg, read with the business date of now in
// loc. The partial index contracts_ladder_step holds only the contracts on the ladder, so the
// count by step reads them alone.
func RegisterCollectionMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, loc *time.Location, now func() time.Time, logger *slog.Logger) {
	register(reg, logger, "collection ladder", func(ctx context.Context) ([]prometheus.Metric, error) {
		counts, err := countsBy(ctx, pool, `SELECT ladder_step, count(*) FROM contracts WHERE ladder_step <> 'none' GROUP BY ladder_step`)
		if err != nil {
			return nil, fmt.Errorf("contracts by step: %w", err)
		}
		var out []prometheus.Metric
		for _, step := range delinquency.StoredSteps[1:] {
			out = append(out, gauge(ladderStepDesc, counts[step], step))
		}
		var unsent int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM contracts c
				JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
				JOIN notices n ON n.id = c.ladder_notice_id
			WHERE c.ladder_step = 'debt_notice' AND n.state <> 'sent'
			  AND c.ladder_step_since + CASE WHEN r.partial_suspension_after_days > 0 THEN r.partial_suspension_after_days
					ELSE r.suspension_after_days END <= $1`, billing.DateOf(now(), loc)).Scan(&unsent); err != nil {
			return nil, fmt.Errorf("unsent debt notices: %w", err)
		}
		return append(out, gauge(unsentPastStepDesc, unsent)), nil
	}, ladderStepDesc, unsentPastStepDesc)
}

var (
	lastSuccessDesc = prometheus.NewDesc("billingd_job_last_success_timestamp_seconds",
		"When the job's latest successful run finished, from job_runs (0: never).", []string{"job"}, nil)
	queueJobsDesc = prometheus.NewDesc("billingd_queue_jobs",
		"River jobs by queue and state.", []string{"queue", "state"}, nil)
)

// RegisterJobMetrics registers, for the jobs named, when each last succeeded (from job_runs),
// and River's jobs by queue and state. For the queues watched it reports the states an alert
// watches (available, running, retryable) as 0 when no job is in them, so a drained queue
// reads 0, not absent.
func RegisterJobMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, jobs, watchedQueues []string, logger *slog.Logger) {
	register(reg, logger, "jobs and queues", func(ctx context.Context) ([]prometheus.Metric, error) {
		last, err := LastSuccesses(ctx, pool)
		if err != nil {
			return nil, err
		}
		var out []prometheus.Metric
		for _, name := range jobs {
			v := 0.0
			if t, ok := last[name]; ok {
				v = float64(t.UnixNano()) / 1e9
			}
			out = append(out, prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, v, name))
		}
		rows, err := pool.Query(ctx, `SELECT queue, state::text, count(*) FROM `+migrations.RiverSchema+`.river_job GROUP BY 1, 2`)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		defer rows.Close()
		seen := map[[2]string]bool{}
		for rows.Next() {
			var queue, state string
			var n int64
			if err := rows.Scan(&queue, &state, &n); err != nil {
				return nil, fmt.Errorf("scan queue: %w", err)
			}
			seen[[2]string{queue, state}] = true
			out = append(out, gauge(queueJobsDesc, n, queue, state))
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		for _, queue := range watchedQueues {
			for _, state := range []string{"available", "running", "retryable"} {
				if !seen[[2]string{queue, state}] {
					out = append(out, gauge(queueJobsDesc, 0, queue, state))
				}
			}
		}
		return out, nil
	}, lastSuccessDesc, queueJobsDesc)
}

var (
	webhookOldestDesc = prometheus.NewDesc("billingd_webhook_oldest_undelivered_seconds",
		"Age of the oldest event not yet delivered to a live webhook endpoint (0 when none waits), by endpoint id.",
		[]string{"endpoint"}, nil)
	webhookPendingDesc = prometheus.NewDesc("billingd_webhook_pending_deliveries",
		"Deliveries to a live webhook endpoint not yet acknowledged, by endpoint id.", []string{"endpoint"}, nil)
	eventsUnpublishedDesc = prometheus.NewDesc("billingd_events_unpublished",
		"Events written and not yet published (without a seq).", nil, nil)
)

// RegisterWebhookMetrics registers the gauges of event publication and webhook delivery:
// per live endpoint its pending deliveries and the age of its oldest undelivered event, and
// the events not yet published.
func RegisterWebhookMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, logger *slog.Logger) {
	register(reg, logger, "read webhook deliveries", func(ctx context.Context) ([]prometheus.Metric, error) {
		// The oldest pending event is the first pending seq's (by webhook_deliveries_pending).
		rows, err := pool.Query(ctx, `SELECT w.id::text,
				(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = 'pending'),
				coalesce((SELECT extract(epoch FROM now() - e.created_at) FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
					WHERE d.endpoint_id = w.id AND d.state = 'pending' ORDER BY d.seq LIMIT 1), 0)::float8
			FROM webhook_endpoints w WHERE w.deleted_at IS NULL ORDER BY w.id`)
		if err != nil {
			return nil, err
		}
		var out []prometheus.Metric
		for rows.Next() {
			var id string
			var pending int64
			var age float64
			if err := rows.Scan(&id, &pending, &age); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, prometheus.MustNewConstMetric(webhookOldestDesc, prometheus.GaugeValue, age, id),
				gauge(webhookPendingDesc, pending, id))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		var unpublished int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE seq IS NULL`).Scan(&unpublished); err != nil {
			return nil, err
		}
		return append(out, gauge(eventsUnpublishedDesc, unpublished)), nil
	}, webhookOldestDesc, webhookPendingDesc, eventsUnpublishedDesc)
}
