//go:build faults

package faults

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/postgres"
)

// seedPrice is the price of dbtest.SeedContracts' plan, in cents.
const seedPrice = 9990

// checkGenerated checks, over the whole database, that the generate-installments runs
// left every one of the contracts seeded by seedContracts with exactly the installments it
// should have — no more, no fewer: 12 recurring ones, and the 3 of its adhesion fee when it
// has one, none due on a weekend or a holiday — and that the run ledger and the queue agree
// with what was written.
func checkGenerated(t *testing.T, pool *pgxpool.Pool, contracts int64, asOf string) {
	t.Helper()
	fees := feeContracts(contracts)
	expectEqual(t, pool, "the seeded contracts are all there", contracts, `SELECT count(*) FROM contracts`)
	invariant(t, pool, "every contract has exactly 12 recurring installments, sequences 1..12, on 12 distinct due dates",
		`SELECT count(*) FROM contracts c
		 LEFT JOIN (SELECT contract_id, count(*) AS n, count(DISTINCT sequence) AS seqs, min(sequence) AS lo, max(sequence) AS hi,
		                   count(DISTINCT due_date) AS dues
		            FROM installments WHERE kind = 'recurring' GROUP BY contract_id) s ON s.contract_id = c.id
		 WHERE s.contract_id IS NULL OR NOT (s.n = 12 AND s.seqs = 12 AND s.lo = 1 AND s.hi = 12 AND s.dues = 12)`)
	invariant(t, pool, "every third contract (id 3, 6, 9…) has exactly 3 adhesion installments, sequences 1..3, summing to 100.00, "+
		"split to the cent (33.33 or 33.34 each); the others have none",
		`SELECT count(*) FROM contracts c
		 LEFT JOIN (SELECT contract_id, count(*) AS n, count(DISTINCT sequence) AS seqs, min(sequence) AS lo, max(sequence) AS hi,
		                   sum(amount) AS total, min(amount) AS least, max(amount) AS most
		            FROM installments WHERE kind = 'adhesion' GROUP BY contract_id) s ON s.contract_id = c.id
		 WHERE CASE WHEN c.id % 3 = 0
		       THEN s.contract_id IS NULL OR NOT (s.n = 3 AND s.seqs = 3 AND s.lo = 1 AND s.hi = 3 AND s.total = 100.00
		                                          AND s.least >= 33.33 AND s.most <= 33.34)
		       ELSE s.contract_id IS NOT NULL END`)
	expectEqual(t, pool, "installments in the database = 12 × contracts + 3 × the contracts with a fee (no duplicate, none missing)",
		12*contracts+feeInstallments*fees, `SELECT count(*) FROM installments`)
	expectEqual(t, pool, "total billed in cents = contracts × 12 × 99.90 + the contracts with a fee × 100.00",
		12*contracts*seedPrice+fees*feeCents, `SELECT coalesce(sum(amount) * 100, 0)::bigint FROM installments`)
	invariant(t, pool, "no installment is due on a weekend or a holiday (every contract shifts to the next business day)",
		`SELECT count(*) FROM installments WHERE extract(isodow FROM due_date) IN (6, 7) OR due_date IN (SELECT day FROM holidays)`)
	expectEqual(t, pool, "each contract's 3 recurring installments due on a seeded holiday moved to a later business day",
		holidayMonths*contracts, `SELECT count(*) FROM installments
		 WHERE kind = 'recurring' AND nominal_due IN (SELECT day FROM holidays) AND due_date > nominal_due`)
	checkLedger(t, pool)
	invariant(t, pool, "no contract is still due for generation as of "+asOf,
		`SELECT count(*) FROM contracts WHERE generation_due_on <= $1::date`, asOf)
	invariant(t, pool, "every run in job_runs succeeded (none queued, running or failed)",
		`SELECT count(*) FROM job_runs WHERE state <> 'succeeded'`)
	invariant(t, pool, "every run's batches were each counted once (batches_done = batches_total)",
		`SELECT count(*) FROM job_runs WHERE batches_done <> batches_total`)
	expectEqual(t, pool, "installments_created summed over every run = installments in the database (each batch's effect committed once, with its count)",
		12*contracts+feeInstallments*fees, `SELECT coalesce(sum((counts->>'installments_created')::bigint), 0) FROM job_runs`)
	invariant(t, pool, "every River job completed (none left available, running, retryable or discarded), and no periodic one discarded",
		`SELECT count(*) FROM river.river_job WHERE (state <> 'completed' AND `+notPeriodic+`) OR state = 'discarded'`)
}

// notPeriodic leaves out of the River job invariants the events queue's periodic work: the
// leader enqueues publish_events every BILLINGD_EVENTS_PUBLISH_INTERVAL and deliver_webhooks
// per endpoint with events due, so some are always waiting or running while a daemon lives;
// and every newly elected leader enqueues prune_webhook_deliveries on start (RunOnStart), so
// one may be waiting just after a leader was stopped, whatever the sweeps did.
const notPeriodic = "kind NOT IN ('publish_events', 'deliver_webhooks', 'prune_webhook_deliveries')"

// checkLedger checks, over the whole database, that every installment is the sum of its
// lines: its amount the sum of the positive lines, its discount minus the sum of the
// negative ones (postgres.LinesOffTotals), whatever was killed or restarted while they were
// written.
func checkLedger(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	invariant(t, pool, "every installment's lines sum to its amount and discount (installment_lines, issue 19 item 4)",
		postgres.LinesOffTotals)
}
