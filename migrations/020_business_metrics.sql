-- The business dashboards' SQL exporter (issue 17 item 5, postgres/business_metrics.go) reads
-- only the business day's rows at each scrape, through these indexes, so that a scrape costs
-- the same whatever the history: the installments due on a day (billed) and the payments
-- made on a day (collected), each with the amounts in the index (index-only scans).
-- The overdue total reads installments_open_due (002) and the renewals of the day
-- renewals_renewed (004).
CREATE INDEX installments_due_billed ON installments (due_date) INCLUDE (amount, discount) WHERE state <> 'cancelled';
CREATE INDEX payments_paid_on ON payments (paid_on) INCLUDE (amount) WHERE reversed_at IS NULL;
