package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/billingd/billingd/jobs"
)

// TestFirstCatchUpRunsJobsInDependencyOrder starts a daemon, every job enabled, on a new
// database holding the demo data of `make run` (scripts/demo.sql: Ana's contract has been
// active for 20 days with its first adhesion installment unpaid, overdue past the default
// rule's 10 days). The first catch-up enqueues every job's latest slot at once; each run
// must start only after the runs of the jobs before it (generate-installments →
// renew-contracts → reset-benefit-quotas → block-delinquent → send-notices) for the same or
// earlier dates have finished, so block-delinquent sees the installments generate-installments
// created and blocks Ana's contract in that same catch-up.
func TestFirstCatchUpRunsJobsInDependencyOrder(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	// As `make run` loads it: psql, in the business time zone.
	if out, err := exec.Command("psql", url, "-q", "-v", "timezone=America/Sao_Paulo", "-f", "../../scripts/demo.sql").CombinedOutput(); err != nil {
		t.Fatalf("load the demo data: psql -f scripts/demo.sql: %v\n%s", err, out)
	}
	var ana int64
	if err := pool.QueryRow(ctx, `SELECT k.id FROM contracts k JOIN customers c ON c.id = k.customer_id
		WHERE c.email = 'ana.souza@example.com' AND k.billing_method <> 'no_billing'`).Scan(&ana); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url, "BILLINGD_RENEW_CONTRACTS_ENABLED=true", "BILLINGD_BLOCK_DELINQUENT_ENABLED=true",
		"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED=true", "BILLINGD_SEND_NOTICES_ENABLED=true", "BILLINGD_IMPORT_PAYMENTS_ENABLED=true",
		"BILLINGD_PAYMENT_DROP_DIR="+t.TempDir()) // import-payments is scheduled only with a drop directory
	startDaemon(t, env)
	waitFor(t, 2*time.Minute, "the first catch-up of every job to finish", func() bool {
		return count(t, pool, `SELECT count(*) FROM job_runs WHERE trigger = 'catch-up' AND state IN ('succeeded', 'failed')`) == len(jobs.Catalogue)
	})
	if n := count(t, pool, `SELECT count(*) FROM job_runs WHERE trigger = 'catch-up' AND state <> 'succeeded'`); n != 0 {
		t.Fatalf("%d catch-up runs failed", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM contracts WHERE id = $1 AND status = 'blocked'`, ana); n != 1 {
		t.Errorf("the overdue demo contract %d is not blocked after the first catch-up", ana)
	}
	// Each run started after every run of an earlier job, for the same or an earlier date,
	// had finished.
	rank := map[string]int{}
	for i, name := range jobs.DependencyOrder {
		rank[name] = i
	}
	type run struct {
		job               string
		asOf              time.Time
		started, finished time.Time
	}
	rows, err := pool.Query(ctx, `SELECT job, as_of, started_at, finished_at FROM job_runs WHERE trigger = 'catch-up'`)
	if err != nil {
		t.Fatal(err)
	}
	var runs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.job, &r.asOf, &r.started, &r.finished); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Logf("%s as of %s: %s .. %s", r.job, r.asOf.Format(time.DateOnly), r.started.Format(time.TimeOnly+".000"), r.finished.Format(time.TimeOnly+".000"))
	}
	for _, later := range runs {
		for _, earlier := range runs {
			if rank[earlier.job] < rank[later.job] && !earlier.asOf.After(later.asOf) && later.started.Before(earlier.finished) {
				t.Errorf("%s as of %s started at %s, before %s as of %s finished at %s", later.job, later.asOf.Format(time.DateOnly),
					later.started.Format(time.RFC3339Nano), earlier.job, earlier.asOf.Format(time.DateOnly), earlier.finished.Format(time.RFC3339Nano))
			}
		}
	}
}
