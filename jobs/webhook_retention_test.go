package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// TestPruneDeliveriesOnLeaderStart: with a retention of 30 days the leader's
// prune_webhook_deliveries job, run at its start, deletes the delivery delivered 31 days
// before now and keeps the one delivered 29 days before and a pending one of two months;
// with a retention of 0 no pruning job is scheduled and every delivery stays.
func TestPruneDeliveriesOnLeaderStart(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 20, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		retention time.Duration
		left      int
		pruneJobs int
	}{
		{"30 days", 30 * 24 * time.Hour, 2, 1},
		{"kept forever", 0, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := dbtest.NewPool(t)
			if _, err := dbtest.SeedContracts(ctx, pool, 1, day("2026-05-05")); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `
				INSERT INTO events (kind, contract_id, subject_key, occurred_on, seq)
					SELECT 'installment.issued', (SELECT min(id) FROM contracts), 'installment:' || n, '2026-05-05', n
					FROM generate_series(1, 3) n;
				INSERT INTO webhook_endpoints (url, secret, kinds, fanned_seq)
					VALUES ('https://erp.example/hook', 'sixteen-characters', '{installment.issued}', 3);
				INSERT INTO webhook_deliveries (endpoint_id, event_id, contract_id, seq, state, created_at, delivered_at,
						next_attempt_at)
					SELECT (SELECT id FROM webhook_endpoints), e.id, e.contract_id, e.seq, d.state, '2026-05-05', d.delivered_at,
						'2026-08-01'
					FROM events e JOIN (VALUES
						(1, 'delivered', '2026-06-19 11:00:00+00'::timestamptz),
						(2, 'delivered', '2026-06-21 13:00:00+00'),
						(3, 'pending', NULL)) d(seq, state, delivered_at) ON d.seq = e.seq`); err != nil {
				t.Fatal(err)
			}
			store := &postgres.Store{Pool: pool}
			runner := &jobs.Runner{Pool: pool, Store: store, Sweeps: map[string]jobs.Sweep{}, Location: saoPaulo,
				Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler), BatchSize: 100, BatchTimeout: time.Minute}
			client, err := runner.NewDaemonClient(jobs.DaemonOptions{SoftStopTimeout: time.Second,
				Webhooks: &jobs.Webhooks{Store: store, Logger: slog.New(slog.DiscardHandler), Client: jobs.NewWebhookClient(time.Second),
					Now: func() time.Time { return now }, PublishInterval: time.Hour, DeliveryRetention: tc.retention}})
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Stop(context.Background()) })
			// The publish job runs at the leader's start, with the pruning one when there is one.
			count := func(q string) int {
				t.Helper()
				var n int
				if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			deadline := time.Now().Add(60 * time.Second)
			for count(`SELECT count(*) FROM river.river_job WHERE kind IN ('publish_events', 'prune_webhook_deliveries')
					AND state = 'completed'`) < 1+tc.pruneJobs {
				if time.Now().After(deadline) {
					t.Fatal("the leader's start jobs did not complete within 60s")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := count(`SELECT count(*) FROM river.river_job WHERE kind = 'prune_webhook_deliveries'`); got != tc.pruneJobs {
				t.Errorf("%d pruning jobs, want %d", got, tc.pruneJobs)
			}
			if got := count("SELECT count(*) FROM webhook_deliveries"); got != tc.left {
				t.Errorf("%d deliveries left, want %d", got, tc.left)
			}
			if got := count("SELECT count(*) FROM webhook_deliveries WHERE seq IN (2, 3)"); got != 2 {
				t.Errorf("%d of the recent delivered and the pending delivery left, want both", got)
			}
		})
	}
}
