-- The business dashboards' SQL exporter (issue 17 item 5, postgres/business_metrics.go) reads
-- only the business day's rows at each scrape, through these indexes, so that a scrape costs
-- the same whatever the history: the installments due on a day (billed), the payments made on
-- a day (collected) and the open installments by due date (overdue: those due before the day),
-- each with the amounts in the index, so that the sums are index-only scans (read through
-- installments_open_due, which lacks the amounts, the planner would rather scan the table).
-- The renewals of the day are read through renewals_renewed (004).
CREATE INDEX installments_due_billed ON installments (due_date) INCLUDE (amount, discount) WHERE state <> 'cancelled';
CREATE INDEX installments_open_due_amounts ON installments (due_date) INCLUDE (amount, discount) WHERE state = 'open';
CREATE INDEX payments_paid_on ON payments (paid_on) INCLUDE (amount) WHERE reversed_at IS NULL;
