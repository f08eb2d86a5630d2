package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/records"
)

// TestRenewRunCountsTheSkippedContract (issue 20 item 2): renew-contracts, run by the
// daemon's River workers over five contracts due for renewal in one batch, skips the one
// whose renewal price (40.00) does not cover its discount (50.00) instead of failing the
// batch: the run succeeds, renews the four others, and counts the skipped contract in the
// run (GET /v1/runs reads these counts), in its "run finished" log line, and as a success
// in billingd_job_runs_total.
func TestRenewRunCountsTheSkippedContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	if _, err := dbtest.SeedContracts(ctx, pool, 5, day("2026-01-15")); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`UPDATE contracts SET discount = 50.00, renewal_price_mode = 'suggested', suggested_price = 40.00 WHERE id = 3`)
	var logs syncBuffer
	runner := newRunner(t, pool)
	runner.BatchSize = 100
	runner.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	reg := prometheus.NewRegistry()
	runner.Metrics = jobs.NewMetrics(reg, pool, slog.New(slog.DiscardHandler), nil)
	if run := runForReal(t, ctx, runner, jobs.GenerateInstallments, day("2026-01-15")); run.Counts["installments_created"] != 60 {
		t.Fatalf("generation counts %v, want 60 installments", run.Counts)
	}
	exec(`UPDATE installments SET state = 'paid', paid_at = '2026-07-20', paid_amount = amount - discount WHERE sequence <= 10`)

	run := renewOnce(t, ctx, runner)
	want := map[string]int64{"contracts": 5, "queued": 5, "renewed": 4, "installments_created": 48, "skipped": 1}
	if run.State != records.RunSucceeded || run.BatchesTotal != 1 || fmt.Sprint(run.Counts) != fmt.Sprint(want) {
		t.Fatalf("run %s (%s), %d batches, counts %v; want succeeded, 1 batch, %v", run.State, run.Error, run.BatchesTotal, run.Counts, want)
	}
	var logged []map[string]any
	for _, rec := range logs.records() {
		if rec["msg"] == "run finished" && rec["job"] == jobs.RenewContracts {
			logged = append(logged, rec)
		}
	}
	if len(logged) != 1 || logged[0]["outcome"] != "success" || fmt.Sprint(logged[0]["counts"]) != fmt.Sprint(map[string]any{
		"contracts": 5.0, "queued": 5.0, "renewed": 4.0, "installments_created": 48.0, "skipped": 1.0}) {
		t.Errorf("run finished log lines %v, want one, success, with skipped 1", logged)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "billingd_job_runs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] == jobs.RenewContracts {
				runs[labels["trigger"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
			}
		}
	}
	if runs["manual/success"] != 1 || runs["manual/failure"] != 0 {
		t.Errorf("billingd_job_runs_total of renew-contracts %v, want one manual success, no failure", runs)
	}
	var renewed, queued int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE renewed_on = '2026-07-20' AND contract_id <> 3),
			count(*) FILTER (WHERE contract_id = 3 AND term = 1 AND renewed_on IS NULL) FROM renewals`).Scan(&renewed, &queued); err != nil {
		t.Fatal(err)
	}
	if renewed != 4 || queued != 1 {
		t.Errorf("%d contracts renewed on 2026-07-20 and %d left queued, want 4 and contract 3", renewed, queued)
	}
}

// renewOnce runs renew-contracts as of 2026-07-20 on the daemon's River workers and returns
// the run once it has finished, or fails with the errors of its batch jobs when it has not
// within 30 seconds (a batch that fails is retried by River, so its run stays running).
func renewOnce(t *testing.T, ctx context.Context, runner *jobs.Runner) records.Run {
	t.Helper()
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	requested, err := runner.Store.RequestRun(ctx, jobs.RenewContracts, day("2026-07-20"))
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	run, err := jobs.WaitRun(waitCtx, runner.Pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil {
		var failures []string
		rows, qerr := runner.Pool.Query(ctx, `SELECT e->>'error' FROM river.river_job, jsonb_array_elements(to_jsonb(errors)) e
			WHERE kind = 'sweep_batch'`)
		if qerr == nil {
			for rows.Next() {
				var msg string
				if rows.Scan(&msg) == nil {
					failures = append(failures, msg)
				}
			}
			rows.Close()
		}
		t.Fatalf("renew-contracts as of 2026-07-20 did not finish (%v); its batch failed with %q", err, failures)
	}
	return run
}

// records returns the JSON log lines written so far.
func (s *syncBuffer) records() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(s.buf.Bytes()))
	for {
		var rec map[string]any
		if dec.Decode(&rec) != nil {
			break
		}
		out = append(out, rec)
	}
	return out
}
