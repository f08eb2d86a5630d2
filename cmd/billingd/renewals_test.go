package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/daemontest"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/renewal"
)

// lookupOf returns a settings lookup over env.
func lookupOf(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := env[name]; return v, ok }
}

func TestRenewalSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    renewal.Thresholds
		enabled bool
		setting string // the configError's setting; "" for none
	}{
		{"defaults", nil, renewal.Thresholds{Queue: 3, Renewal: 2}, true, ""},
		{"switched off", map[string]string{"BILLINGD_RENEW_CONTRACTS_ENABLED": "false"}, renewal.Thresholds{Queue: 3, Renewal: 2}, false, ""},
		{"thresholds", map[string]string{"BILLINGD_RENEWAL_QUEUE_THRESHOLD": "5", "BILLINGD_RENEWAL_THRESHOLD": "0"}, renewal.Thresholds{Queue: 5}, true, ""},
		{"renewal above queue", map[string]string{"BILLINGD_RENEWAL_THRESHOLD": "4"}, renewal.Thresholds{}, true, "BILLINGD_RENEWAL_THRESHOLD"},
		{"negative", map[string]string{"BILLINGD_RENEWAL_QUEUE_THRESHOLD": "-1"}, renewal.Thresholds{}, true, "BILLINGD_RENEWAL_QUEUE_THRESHOLD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := loadConfig(lookupOf(env))
			var ce *configError
			if tt.setting != "" {
				if !errors.As(err, &ce) || ce.setting != tt.setting {
					t.Fatalf("error %v, want one naming %s", err, tt.setting)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Renewal != tt.want {
				t.Errorf("thresholds %+v, want %+v", cfg.Renewal, tt.want)
			}
			for _, s := range cfg.Schedules {
				if s.Spec.Name == jobs.RenewContracts && (s.Enabled != tt.enabled || s.Expr != "0 3 * * *") {
					t.Errorf("renew-contracts schedule %q enabled %t, want 0 3 * * * enabled %t", s.Expr, s.Enabled, tt.enabled)
				}
			}
		})
	}
}

// TestRenewContractsSwitchedOff starts a leader's catch-up with BILLINGD_RENEW_CONTRACTS_ENABLED
// false: generate-installments is enqueued, renew-contracts is not, and a contract due for
// renewal stays in its first term. The runner's clock stands still at the tests' injected
// start (daemontest.Now), so the catch-up finds the same one slot however long the test
// takes, and generate-installments is scheduled twelve hours away from the host's hour, so
// River's real-time schedule cannot add a slot of its own while the test runs.
func TestRenewContractsSwitchedOff(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, 3, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE contracts SET generated_term = 1, renewal_check = true`); err != nil {
		t.Fatal(err)
	}
	now := daemontest.Now(t)
	t.Logf("the runner's clock stands at %s", now.Format(time.RFC3339Nano))
	away := fmt.Sprintf("0 %d * * *", (time.Now().In(saoPauloLoc(t)).Hour()+12)%24)
	cfg, err := loadConfig(lookupOf(map[string]string{"DATABASE_URL": url, "BILLINGD_RENEW_CONTRACTS_ENABLED": "false",
		"BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE": away}))
	if err != nil {
		t.Fatal(err)
	}
	store, err := newStore(cfg, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runner := &jobs.Runner{Pool: pool, Store: store, Sweeps: sweeps(cfg, store, slog.New(slog.DiscardHandler)), Location: cfg.Location,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler), BatchSize: 10, BatchTimeout: time.Minute}
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{Schedules: cfg.Schedules, CatchUpDays: 31, SweepWorkers: 1, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(ctx, client, cfg.Schedules, 31); err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
	waitFor(t, 60*time.Second, "generate-installments to succeed", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE job = 'generate-installments' AND state = 'succeeded'") == 1
	})
	if n := count(t, pool, "SELECT count(*) FROM river.river_job WHERE args->>'job' = 'renew-contracts'"); n != 0 {
		t.Errorf("%d renew-contracts jobs enqueued, want 0", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM contracts WHERE term_number <> 1"); n != 0 {
		t.Errorf("%d contracts renewed, want 0", n)
	}
}
