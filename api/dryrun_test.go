package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
)

// TestDryRunAPI: POST /v1/runs with dry_run answers 200 with what generate-installments
// would do for a contract adhering on 2026-07-01 (fixed day 10: twelve installments from
// 2026-07-10) and changes no table but the audit log, which records the request; the run
// window, the sample and the timeout bound it.
func TestDryRunAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "none"}}).id(t)
	ctx := context.Background()
	before, err := dbtest.Checksums(ctx, b.pool, "audit_log")
	if err != nil {
		t.Fatal(err)
	}
	r := b.must(http.StatusOK, "POST", "/v1/runs", `{"job": "generate-installments", "dry_run": true, "sample": 4}`)
	if d, ok := r.body["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %v", r.body["duration_ms"])
	}
	want := map[string]any{
		"job": "generate-installments", "as_of": "2026-07-20", "dry_run": true, "batches": 1.0,
		"counts": map[string]any{"contracts": 1.0, "installments_created": 12.0},
		"tables": []any{
			map[string]any{"table": "contracts", "inserted": 0.0, "updated": 1.0, "deleted": 0.0},
			map[string]any{"table": "events", "inserted": 12.0, "updated": 0.0, "deleted": 0.0},
			map[string]any{"table": "installment_lines", "inserted": 12.0, "updated": 0.0, "deleted": 0.0},
			map[string]any{"table": "installments", "inserted": 12.0, "updated": 0.0, "deleted": 0.0},
		},
		"effects": []any{
			map[string]any{"table": "contracts", "action": "updated", "key": fmt.Sprint(c), "contract_id": float64(c),
				"what": "contracts status=active", "amount": "99.90", "date": "2026-07-01"},
			map[string]any{"table": "events", "action": "inserted", "key": r.body["effects"].([]any)[1].(map[string]any)["key"],
				"contract_id": float64(c), "what": "events kind=installment.issued", "amount": nil, "date": "2026-07-20"},
			map[string]any{"table": "installment_lines", "action": "inserted", "key": r.body["effects"].([]any)[2].(map[string]any)["key"],
				"contract_id": float64(c), "what": "installment_lines kind=plan", "amount": "99.90", "date": nil},
			map[string]any{"table": "installments", "action": "inserted", "key": r.body["effects"].([]any)[3].(map[string]any)["key"],
				"contract_id": float64(c), "what": "installments kind=recurring term=1 sequence=1 state=open", "amount": "99.90", "date": "2026-07-10"},
		},
		"sample_limit": 4.0,
	}
	if got := without(r.body, "duration_ms"); !reflect.DeepEqual(got, want) {
		t.Errorf("dry run:\n got %v\nwant %v", got, want)
	}
	after, err := dbtest.Checksums(ctx, b.pool, "audit_log")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		for table := range before {
			if before[table] != after[table] {
				t.Errorf("the dry run changed %s", table)
			}
		}
	}
	rec := b.audit("?route=POST%20/v1/runs")
	if len(rec) != 1 || rec[0]["status"] != 200.0 || !reflect.DeepEqual(rec[0]["detail"],
		map[string]any{"job": "generate-installments", "as_of": "2026-07-20", "dry_run": true}) {
		t.Errorf("audit of the dry run: %v", rec)
	}

	// The window, the sample and the job are checked as for a run.
	for _, tc := range []struct{ body, field string }{
		{`{"job": "generate-installments", "dry_run": true, "as_of": "2026-07-21"}`, "as_of"},
		{`{"job": "generate-installments", "dry_run": true, "as_of": "2026-01-01"}`, "as_of"},
		{`{"job": "generate-installments", "dry_run": true, "sample": 51}`, "sample"},
		{`{"job": "generate-installments", "dry_run": true, "sample": -1}`, "sample"},
		{`{"job": "generate-installments", "sample": 5}`, "sample"},
		{`{"job": "generate-everything", "dry_run": true}`, "job"},
		{`{"job": "generate-installments", "dry_run": true, "reason": "a\u0000b"}`, "reason"},
	} {
		if r := b.send("POST", "/v1/runs", tc.body); r.status != http.StatusUnprocessableEntity || r.err(t).Field != tc.field {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.body, r.status, r.raw, tc.field)
		}
	}
	forced := b.must(http.StatusOK, "POST", "/v1/runs", `{"job": "send-notices", "dry_run": true, "as_of": "2026-08-01", "force": true, "sample": 0}`)
	if forced.body["as_of"] != "2026-08-01" || len(forced.body["effects"].([]any)) != 0 {
		t.Errorf("forced dry run: %s", forced.raw)
	}
	var runs int
	if err := b.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM job_runs) + (SELECT count(*) FROM river.river_job)").Scan(&runs); err != nil || runs != 0 {
		t.Errorf("%d runs and River jobs after dry runs (%v), want none", runs, err)
	}
}

// TestDryRunTimeout: a dry run that outlasts BILLINGD_DRY_RUN_TIMEOUT answers 504 naming the
// setting, and changes nothing.
func TestDryRunTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := api.New(api.Config{Store: b.store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler), CatchUpDays: 31,
		DryRunner: dryRunner(b.pool, b.store), DryRunTimeout: time.Nanosecond, DryRunSample: 50})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	b.server = ts
	r := b.send("POST", "/v1/runs", `{"job": "block-delinquent", "dry_run": true}`)
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d %s, want 504", r.status, r.raw)
	}
	if e := r.err(t); e.Error != "timeout" || !strings.Contains(e.Message, "did not finish within 1ns (BILLINGD_DRY_RUN_TIMEOUT)") {
		t.Errorf("error %+v", e)
	}
}

// TestDryRunOneAtATime: while a dry run waits for a contract another transaction holds, a
// second dry run in the same process is refused with 409; once the first ends, one runs.
func TestDryRunOneAtATimeAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	ctx := context.Background()
	lock, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // the test's own lock
	if _, err := lock.Exec(ctx, "SELECT 1 FROM contracts WHERE id = $1 FOR UPDATE", c); err != nil {
		t.Fatal(err)
	}
	first := make(chan int, 1)
	go func() {
		first <- b.send("POST", "/v1/runs", `{"job": "generate-installments", "dry_run": true}`).status
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first dry run never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := b.send("POST", "/v1/runs", `{"job": "send-notices", "dry_run": true}`)
	if r.status != http.StatusConflict || !strings.Contains(r.err(t).Message, "another dry run is in progress") {
		t.Errorf("second dry run: %d %s, want 409", r.status, r.raw)
	}
	_ = lock.Rollback(ctx)
	if got := <-first; got != http.StatusOK {
		t.Errorf("first dry run: %d, want 200 once the lock is gone", got)
	}
}
