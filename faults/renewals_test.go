//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
)

// apiRun is the part of a run, as GET /v1/runs/{id} answers it, that the test reads.
type apiRun struct {
	ID           int64            `json:"id"`
	Trigger      string           `json:"trigger"`
	AsOf         string           `json:"as_of"`
	State        string           `json:"state"`
	BatchesTotal int              `json:"batches_total"`
	BatchesDone  int              `json:"batches_done"`
	Counts       map[string]int64 `json:"counts"`
}

// TestReplicasRenewEachContractOnce runs renew-contracts four times at once over the same
// 3,000 contracts, all due for renewal, on three daemons with batches of 100: the elected
// leader catches up the renew-contracts slot it missed, while manual runs for the same date
// are sent through the three daemons' APIs at the same moment. A row lock on
// renewal_settings, which every run's planning takes, holds the four plans until all four
// wait, so that they plan the same 30 id ranges; with 16 sweep workers per daemon more
// batches are in flight than one run has, so batches of different runs work the same range
// at the same time. A daemon is then SIGKILLed while it works batches and a fourth one
// joins; the killed batches' transactions roll back and River rescues them. Every contract
// must be renewed exactly once, by whichever batch locked it first, and the runs' counts
// must add up to the contracts.
func TestReplicasRenewEachContractOnce(t *testing.T) {
	t.Parallel()
	const (
		contracts = 3000
		batchSize = 100
		manual    = 3
		job       = "renew-contracts"
	)
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	// The schedule fires twelve hours away from now, so the only slot in play is the last
	// one, which the leader catches up (a job that never ran gets only its latest slot); the
	// manual runs are for the same date.
	now := time.Now().In(loc)
	hour := (now.Hour() + 12) % 24
	slot := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, loc)
	if slot.After(now) {
		slot = slot.AddDate(0, 0, -1)
	}
	asOfDate := billing.DateOf(slot, loc)
	asOf := billing.FormatDate(asOfDate)
	// The first term began on the 5th, ten months before the as-of month: its tenth
	// installment fell due on the 10th of the month before.
	activation := time.Date(asOfDate.Year(), asOfDate.Month()-10, 5, 0, 0, 0, 0, time.UTC)

	url, pool := migratedDB(t)
	ctx := context.Background()
	seedRenewalDue(t, pool, contracts, activation)
	env := baseEnv(url, "BILLINGD_TIMEZONE=America/Sao_Paulo", "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false",
		"BILLINGD_RENEW_CONTRACTS_ENABLED=true", fmt.Sprintf("BILLINGD_RENEW_CONTRACTS_SCHEDULE=0 %d * * *", hour),
		fmt.Sprintf("BILLINGD_BATCH_SIZE=%d", batchSize), "BILLINGD_SWEEP_WORKERS=16", "BILLINGD_SHUTDOWN_TIMEOUT=5s",
		"BILLINGD_BATCH_TIMEOUT=10s", "BILLINGD_RESCUE_AFTER=12s")

	// The gate: every run's plan upserts renewal_settings first and waits for this lock.
	gate, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = gate.Rollback(ctx) }()
	if _, err := gate.Exec(ctx, "SELECT 1 FROM renewal_settings FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	daemons := make([]*daemon, manual)
	for i := range daemons {
		daemons[i] = startDaemon(t, fmt.Sprintf("renewer-%d", i+1), env)
	}
	posted := make([]apiRun, len(daemons))
	codes := make([]int, len(daemons))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range daemons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var body []byte
			codes[i], body = d.Request(http.MethodPost, "/v1/runs", testToken, map[string]any{"job": job, "as_of": asOf})
			_ = json.Unmarshal(body, &posted[i])
		}()
	}
	close(start)
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusAccepted || posted[i].ID == 0 {
			t.Fatalf("POST /v1/runs through %s: %d %+v", daemons[i].Name(), code, posted[i])
		}
	}
	waitFor(t, time.Minute, "the catch-up and the three manual runs to wait at the gate", func() bool {
		return count(t, pool, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO renewal_settings%'`) == manual+1
	})
	if err := gate.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("the catch-up and %d manual runs as of %s plan at once over %d contracts", manual, asOf, contracts)

	// SIGKILL a daemon that is working a batch once a quarter of the contracts are renewed,
	// and start another; again (at most three times) until a kill leaves a batch running.
	all := append([]*daemon{}, daemons...)
	var left []int64
	for k := 1; len(left) == 0; k++ {
		if k > 3 {
			t.Fatalf("three SIGKILLs caught no batch mid-transaction")
		}
		var victim *daemon
		waitFor(t, time.Minute, "a quarter of the contracts renewed and a daemon working a batch", func() bool {
			if count(t, pool, "SELECT count(*) FROM job_runs WHERE state <> 'succeeded'") == 0 {
				t.Fatalf("the runs finished before the kill: make them longer")
			}
			if count(t, pool, "SELECT count(*) FROM renewals WHERE renewed_on IS NOT NULL") < contracts/4 {
				return false
			}
			for _, d := range all {
				if d.Running() && len(runningBatches(t, pool, d)) > 0 {
					victim = d
					return true
				}
			}
			return false
		})
		victim.Kill()
		left = runningBatches(t, pool, victim)
		t.Logf("SIGKILL %d: %s, %d of %d contracts renewed; it left %d batch jobs running %v", k, victim.Name(),
			count(t, pool, "SELECT count(*) FROM renewals WHERE renewed_on IS NOT NULL"), contracts, len(left), left)
		all = append(all, startDaemon(t, fmt.Sprintf("renewer-%d", len(all)+1), env))
	}

	// Follow every run through the API of a live daemon until it finishes.
	var catchUp int64
	waitFor(t, time.Minute, "the catch-up run to be recorded", func() bool {
		n, err := tryCount(pool, "SELECT id FROM job_runs WHERE trigger = 'catch-up'")
		catchUp = n
		return err == nil
	})
	api := all[len(all)-1]
	ids := []int64{catchUp}
	for _, r := range posted {
		ids = append(ids, r.ID)
	}
	runs := make([]apiRun, len(ids))
	for i, id := range ids {
		waitFor(t, 3*time.Minute, fmt.Sprintf("run %d to finish", id), func() bool {
			code, body := api.Request(http.MethodGet, fmt.Sprintf("/v1/runs/%d", id), testToken, nil)
			return code == http.StatusOK && json.Unmarshal(body, &runs[i]) == nil &&
				(runs[i].State == "succeeded" || runs[i].State == "failed")
		})
	}
	// The renewed notices' delivery jobs (enqueued with each batch) that the SIGKILL caught
	// running wait for River's rescuer (every 30s, once BILLINGD_RESCUE_AFTER has passed),
	// which may come after the runs have finished.
	waitFor(t, 2*time.Minute, "every River job to complete", func() bool {
		return count(t, pool, "SELECT count(*) FROM river.river_job WHERE state <> 'completed' AND "+notPeriodic) == 0
	})
	overlapped := count(t, pool, `SELECT count(DISTINCT a.args->>'from_id') FROM river.river_job a JOIN river.river_job b
		ON a.kind = 'sweep_batch' AND b.kind = 'sweep_batch' AND a.args->>'from_id' = b.args->>'from_id'
		 AND a.args->>'run_id' <> b.args->>'run_id' AND a.attempted_at < b.finalized_at AND b.attempted_at < a.finalized_at`)
	ranges := count(t, pool, `SELECT count(DISTINCT args->>'from_id') FROM river.river_job WHERE kind = 'sweep_batch'`)
	t.Logf("%d of the %d id ranges were worked by batches of two or more runs at the same time", overlapped, ranges)
	if overlapped == 0 {
		t.Errorf("no id range was worked by two runs at the same time: the scenario did not race")
	}
	var renewed int64
	for _, r := range runs {
		t.Logf("run %d (%s as of %s): %s, %d/%d batches, counts %v", r.ID, r.Trigger, r.AsOf, r.State,
			r.BatchesDone, r.BatchesTotal, r.Counts)
		renewed += r.Counts["renewed"]
	}

	if renewed != contracts {
		broken(t, "renewed summed over the 4 runs as GET /v1/runs/{id} reports them = %d, want %d", renewed, contracts)
	} else {
		holds(t, "renewed summed over the 4 runs as GET /v1/runs/{id} reports them = contracts (%d)", contracts)
	}
	invariant(t, pool, "every River job the killed daemons left running was rescued and then completed",
		`SELECT count(*) FROM river.river_job WHERE id = ANY($1)
		 AND NOT (state = 'completed' AND errors::text LIKE '%Stuck job rescued%')`, left)
	expectEqual(t, pool, "the missed slot was caught up once (one catch-up run as of "+asOf+")", 1,
		`SELECT count(*) FROM job_runs WHERE trigger = 'catch-up' AND slot = $1 AND as_of = $2`, slot.UTC(), asOf)
	// job_runs' unique (job, slot) index would hide a second enqueue of the slot (by a new
	// leader after the SIGKILL): River's own jobs show it.
	expectEqual(t, pool, "the missed slot was enqueued once in River, whichever daemon led (one sweep job for it)", 1,
		`SELECT count(*) FROM river.river_job WHERE kind = 'sweep' AND args->>'job' = $1 AND (args->>'slot')::timestamptz = $2`,
		job, slot.UTC())
	expectEqual(t, pool, "each manual run sent through the three APIs was recorded once", manual,
		`SELECT count(*) FROM job_runs WHERE trigger = 'manual' AND id = ANY($1)`, ids[1:])
	invariant(t, pool, "no batch (run, id range) was enqueued more than once",
		`SELECT count(*) FROM (SELECT args->>'run_id', args->>'from_id' FROM river.river_job WHERE kind = 'sweep_batch'
		 GROUP BY 1, 2 HAVING count(*) > 1) d`)
	finished := map[string]int{}
	for _, d := range all {
		for _, l := range d.LogsWith("run finished") {
			finished[fmt.Sprint(l["run_id"])]++
		}
	}
	for id, n := range finished {
		if n != 1 {
			broken(t, "run %s finished %d times across the daemons", id, n)
		}
	}
	if len(finished) != len(ids) {
		broken(t, "%d runs finished in the daemons' logs, want %d", len(finished), len(ids))
	} else {
		holds(t, "each of the %d runs finished exactly once across the daemons' logs", len(ids))
	}
	checkRenewed(t, pool, contracts, manual+1, asOf)
	for _, d := range all {
		if d.Running() {
			if code, took := d.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
				t.Errorf("%s: exit %d after %s", d.Name(), code, took)
			}
		}
	}
}

// runningBatches returns the ids of the sweep batches River holds as running on d (its
// client being the last to attempt them); none until d has logged its River client id,
// which River does once its services are up, possibly after the daemon listens.
func runningBatches(t *testing.T, pool *pgxpool.Pool, d *daemon) []int64 {
	t.Helper()
	started := d.LogsWith("River client started")
	if len(started) == 0 {
		return nil
	}
	var ids []int64
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM river.river_job
		WHERE kind = 'sweep_batch' AND state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`,
		started[0]["client_id"]).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

// seedRenewalDue seeds n contracts with dbtest.SeedContracts, activated on activation, and
// puts them at the renewal point as BenchmarkRenewContracts does: their first term's 12
// installments generated, the first 10 paid (the trigger flags renewal_check as a payment
// does), and the default thresholds recorded in renewal_settings, so that renew-contracts
// renews every one of them and its plan changes no setting.
func seedRenewalDue(t *testing.T, pool *pgxpool.Pool, n int, activation time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, n, activation); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{sql: `INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
				nominal_due, due_date, amount, discount, on_time_discount)
			SELECT c.id, 'recurring', 1, k + 1, (c.activation_date + make_interval(months => k))::date,
				(c.activation_date + make_interval(months => k + 1))::date - 1,
				(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
				(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
				c.price, c.discount, c.on_time_discount
			FROM contracts c CROSS JOIN generate_series(0, 11) k`},
		// Each installment's plan line, as generation writes it (billing.ScheduledLines).
		{sql: `INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT id, contract_id, 'plan', 'plan, term ' || term || ' installment ' || sequence || ': service '
				|| to_char(service_start, 'YYYY-MM-DD') || ' to ' || to_char(service_end, 'YYYY-MM-DD'), 1, amount, amount, 'plan'
			FROM installments`},
		{sql: `UPDATE contracts SET generated_term = 1, generation_due_on = NULL,
			term_end = (activation_date + interval '12 months')::date - 1`},
		{sql: "UPDATE installments SET state = 'paid', paid_at = due_date, paid_amount = amount WHERE sequence <= 10"},
		{sql: "INSERT INTO renewal_settings (queue_threshold, renew_threshold) VALUES ($1, $2)",
			args: []any{3, 2}}, // the daemon's defaults: BILLINGD_RENEWAL_QUEUE_THRESHOLD, BILLINGD_RENEWAL_THRESHOLD
	} {
		if _, err := pool.Exec(ctx, s.sql, s.args...); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
	}
	if got := count(t, pool, "SELECT count(*) FROM contracts WHERE renewal_check"); got != int64(n) {
		t.Fatalf("%d contracts flagged renewal_check after the payments, want %d", got, n)
	}
	if got := count(t, pool, "SELECT count(*) FROM installments WHERE state = 'open'"); got != 2*int64(n) {
		t.Fatalf("%d open installments after the payments, want %d", got, 2*n)
	}
}

// checkRenewed checks, over the whole database, that renew-contracts as of asOf renewed
// each of the contracts seeded by seedRenewalDue exactly once into a second term of 12
// installments, left nothing in the renewal queue, and that the runs' counts add up.
func checkRenewed(t *testing.T, pool *pgxpool.Pool, contracts, runs int64, asOf string) {
	t.Helper()
	expectEqual(t, pool, "the seeded contracts are all there", contracts, `SELECT count(*) FROM contracts`)
	invariant(t, pool, "every contract has exactly one renewal in the ledger: term 1 into term 2, queued and renewed on "+
		asOf+" by the sweep at the plan price 99.90, 2 installments open",
		`SELECT count(*) FROM contracts c WHERE (SELECT count(*) FROM renewals r WHERE r.contract_id = c.id
		   AND r.term = 1 AND r.new_term = 2 AND r.queued_on = $1 AND r.renewed_on = $1 AND r.open_installments = 2
		   AND r.trigger = 'sweep' AND r.price_mode = 'plan_price' AND r.price = 99.90) <> 1`, asOf)
	expectEqual(t, pool, "rows in the renewals ledger = contracts (no term renewed twice, no second renewal)", contracts,
		`SELECT count(*) FROM renewals`)
	invariant(t, pool, "the renewal queue holds no stale entry (no renewals row without renewed_on)",
		`SELECT count(*) FROM renewals WHERE renewed_on IS NULL`)
	invariant(t, pool, "no contract is still flagged renewal_check",
		`SELECT count(*) FROM contracts WHERE renewal_check`)
	invariant(t, pool, "every contract has exactly 12 installments of term 2: recurring, open, 99.90, sequences 13..24 "+
		"(12 distinct, so consecutive), each service period continuing the first term's",
		`SELECT count(*) FROM contracts c LEFT JOIN LATERAL (
		   SELECT count(*) AS n, count(DISTINCT i.sequence) AS seqs, min(i.sequence) AS lo, max(i.sequence) AS hi,
		          count(*) FILTER (WHERE i.kind = 'recurring' AND i.state = 'open' AND i.amount = 99.90
		            AND i.service_start = (c.activation_date + make_interval(months => i.sequence - 1))::date
		            AND i.service_end = (c.activation_date + make_interval(months => i.sequence))::date - 1) AS good
		   FROM installments i WHERE i.contract_id = c.id AND i.term = 2) s ON true
		 WHERE NOT (s.n = 12 AND s.seqs = 12 AND s.lo = 13 AND s.hi = 24 AND s.good = 12)`)
	invariant(t, pool, "every contract still has its first term as seeded: 12 installments, sequences 1..12, 10 paid, 2 open",
		`SELECT count(*) FROM contracts c LEFT JOIN (
		   SELECT contract_id, count(*) AS n, count(DISTINCT sequence) AS seqs, min(sequence) AS lo, max(sequence) AS hi,
		          count(*) FILTER (WHERE state = 'paid' AND sequence <= 10) AS paid,
		          count(*) FILTER (WHERE state = 'open' AND sequence > 10) AS open
		   FROM installments WHERE term = 1 GROUP BY contract_id) s ON s.contract_id = c.id
		 WHERE s.contract_id IS NULL OR NOT (s.n = 12 AND s.seqs = 12 AND s.lo = 1 AND s.hi = 12 AND s.paid = 10 AND s.open = 2)`)
	expectEqual(t, pool, "installments in the database = 24 × contracts (term 1 as seeded, term 2 created once)",
		24*contracts, `SELECT count(*) FROM installments`)
	checkLedger(t, pool)
	invariant(t, pool, "no (contract, kind, sequence) appears twice in installments",
		`SELECT count(*) FROM (SELECT 1 FROM installments GROUP BY contract_id, kind, sequence HAVING count(*) > 1) d`)
	invariant(t, pool, "every contract moved on once: term_number = generated_term = 2, term_end = activation + 24 months - 1, price 99.90",
		`SELECT count(*) FROM contracts WHERE NOT (term_number = 2 AND generated_term = 2 AND price = 99.90
		   AND term_end = (activation_date + interval '24 months')::date - 1)`)
	expectEqual(t, pool, "notices = one 'renewed' notice per contract, reference '2' (the new term)", contracts,
		`SELECT count(*) FROM notices WHERE kind = 'renewed' AND reference = '2'`)
	invariant(t, pool, "no notice is recorded twice for the same contract, kind and reference, and none other than 'renewed'",
		`SELECT (SELECT count(*) FROM (SELECT 1 FROM notices GROUP BY contract_id, kind, reference HAVING count(*) > 1) d)
		      + (SELECT count(*) FROM notices WHERE kind <> 'renewed')`)
	expectEqual(t, pool, "runs in job_runs = the catch-up and the manual runs, nothing else", runs,
		`SELECT count(*) FROM job_runs`)
	invariant(t, pool, "every run in job_runs succeeded with each batch counted once (batches_done = batches_total)",
		`SELECT count(*) FROM job_runs WHERE state <> 'succeeded' OR batches_done <> batches_total`)
	sum := func(key string) string {
		return fmt.Sprintf("SELECT coalesce(sum((counts->>'%s')::bigint), 0) FROM job_runs", key)
	}
	expectEqual(t, pool, "renewed summed over every run = contracts (each renewal counted by the one batch that committed it)",
		contracts, sum("renewed"))
	expectEqual(t, pool, "installments_created summed over every run = 12 × contracts = the term-2 installments",
		12*contracts, sum("installments_created"))
	expectEqual(t, pool, "queued summed over every run = contracts (each ledger row inserted once)", contracts, sum("queued"))
	expectEqual(t, pool, "contracts examined summed over every run = contracts (a batch that locks a contract another run "+
		"renewed finds it no longer flagged)", contracts, sum("contracts"))
	invariant(t, pool, "no run skipped a contract", sum("skipped"))
	invariant(t, pool, "every River job completed (none left available, running, retryable or discarded), and no periodic one discarded",
		`SELECT count(*) FROM river.river_job WHERE (state <> 'completed' AND `+notPeriodic+`) OR state = 'discarded'`)
}
