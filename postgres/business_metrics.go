package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// The business dashboards' gauges (issue 17 item 5). Amounts are in reais; a gauge is a
// float64 by Prometheus's format, so they are for reading, not for accounting (the API and
// its CSV exports give the exact decimal amounts).
var (
	billedAmountDesc = prometheus.NewDesc("billingd_business_billed_amount",
		"Amount billed on the business day: what the installments due today (not cancelled) ask, amount minus discount, in reais.", nil, nil)
	billedCountDesc = prometheus.NewDesc("billingd_business_billed_installments",
		"Installments due on the business day (not cancelled).", nil, nil)
	collectedAmountDesc = prometheus.NewDesc("billingd_business_collected_amount",
		"Amount collected on the business day: the payments (API, bank file, PIX) dated today and not reversed, in reais.", nil, nil)
	collectedCountDesc = prometheus.NewDesc("billingd_business_collected_payments",
		"Payments dated on the business day and not reversed.", nil, nil)
	overdueAmountDesc = prometheus.NewDesc("billingd_business_overdue_amount",
		"Amount overdue on the business day: what the open installments due before today ask, amount minus discount, in reais.", nil, nil)
	overdueCountDesc = prometheus.NewDesc("billingd_business_overdue_installments",
		"Open installments due before the business day.", nil, nil)
	renewedTodayDesc = prometheus.NewDesc("billingd_business_renewals_today",
		"Renewals carried out on the business day (sweep and manual), read from the renewals ledger.", nil, nil)
	exceptionsTodayDesc = prometheus.NewDesc("billingd_business_bank_file_exceptions",
		"Bank-file exceptions recorded on the business day (0 until billingd keeps bank-file exceptions).", nil, nil)
)

// BusinessMetricsQuery is the one statement a scrape of the business gauges runs, with the
// business day as $1. Each part reads through an index holding the amounts (an index-only
// scan): installments_due_billed and payments_paid_on for the day's rows,
// installments_open_due_amounts for the open installments due before the day, and
// renewals_renewed for the day's renewals; so its cost does not grow with the history of
// installments, payments or renewals (migrations/020_business_metrics.sql).
const BusinessMetricsQuery = `SELECT billed.amount, billed.n, collected.amount, collected.n, overdue.amount, overdue.n, renewed.n
FROM (SELECT coalesce(sum(amount - discount), 0) AS amount, count(*) AS n FROM installments
		WHERE due_date = $1 AND state <> 'cancelled') billed,
	(SELECT coalesce(sum(amount), 0) AS amount, count(*) AS n FROM payments WHERE paid_on = $1 AND reversed_at IS NULL) collected,
	(SELECT coalesce(sum(amount - discount), 0) AS amount, count(*) AS n FROM installments
		WHERE due_date < $1 AND state = 'open') overdue,
	(SELECT count(*) AS n FROM renewals WHERE renewed_on = $1) renewed`

// BusinessFigures are the business gauges' values for one day.
type BusinessFigures struct {
	BilledAmount, CollectedAmount, OverdueAmount decimal.Decimal
	Billed, Collected, Overdue, Renewed          int64
	// BankFileExceptions stays 0 until bank-file exceptions are stored: the hook for them is
	// BusinessFigures and BusinessMetricsQuery (add a part counting the day's exceptions).
	BankFileExceptions int64
}

// ReadBusinessFigures reads the business gauges' values for day, in one read-only
// transaction with parallel workers off: the planner cannot tell from the table's statistics
// that the open installments due before the day are few, and starting workers for them
// costs more than reading them (30 ms against 0.1 ms at 20,000 contracts under load). The
// statement is planned for the day at each scrape (pgx.QueryExecModeExec: an unnamed
// statement), never with a cached generic plan, which cannot tell the day's rows
// (due_date = day) from the history (due_date < day).
func ReadBusinessFigures(ctx context.Context, db interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}, day time.Time) (BusinessFigures, error) {
	var f BusinessFigures
	err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
			return fmt.Errorf("turn parallel workers off: %w", err)
		}
		if err := tx.QueryRow(ctx, BusinessMetricsQuery, pgx.QueryExecModeExec, day).Scan(&f.BilledAmount, &f.Billed,
			&f.CollectedAmount, &f.Collected, &f.OverdueAmount, &f.Overdue, &f.Renewed); err != nil {
			return fmt.Errorf("read the business figures of %s: %w", billing.FormatDate(day), err)
		}
		return nil
	})
	return f, err
}

// RegisterBusinessMetrics registers the business dashboards' gauges (billingd_business_*) on
// reg: billed, collected and overdue amounts of the business day of now in loc, renewals of
// the day and bank-file exceptions, read with one statement (BusinessMetricsQuery) at each
// scrape, like the other SQL collectors of metrics.go.
func RegisterBusinessMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, loc *time.Location, now func() time.Time, logger *slog.Logger) {
	register(reg, logger, "business figures", func(ctx context.Context) ([]prometheus.Metric, error) {
		f, err := ReadBusinessFigures(ctx, pool, billing.DateOf(now(), loc))
		if err != nil {
			return nil, err
		}
		amount := func(d *prometheus.Desc, v decimal.Decimal) prometheus.Metric {
			return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v.InexactFloat64())
		}
		return []prometheus.Metric{
			amount(billedAmountDesc, f.BilledAmount), gauge(billedCountDesc, f.Billed),
			amount(collectedAmountDesc, f.CollectedAmount), gauge(collectedCountDesc, f.Collected),
			amount(overdueAmountDesc, f.OverdueAmount), gauge(overdueCountDesc, f.Overdue),
			gauge(renewedTodayDesc, f.Renewed), gauge(exceptionsTodayDesc, f.BankFileExceptions),
		}, nil
	}, billedAmountDesc, billedCountDesc, collectedAmountDesc, collectedCountDesc, overdueAmountDesc, overdueCountDesc,
		renewedTodayDesc, exceptionsTodayDesc)
}
