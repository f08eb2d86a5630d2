package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
)

// TestPruneWebhookDeliveries: only deliveries delivered before the cut-off are deleted,
// oldest first and at most the limit per call; a pending one (failing for two months) and a
// dropped one (of a deleted endpoint) are kept however old; the publisher makes no pruned
// delivery again.
func TestPruneWebhookDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 1, date("2026-01-05")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(b.ctx, `
		INSERT INTO events (kind, contract_id, subject_key, occurred_on, seq)
			SELECT 'installment.issued', (SELECT min(id) FROM contracts), 'installment:' || n, '2026-01-05', n
			FROM generate_series(1, 6) n;
		INSERT INTO webhook_endpoints (url, secret, kinds, fanned_seq) VALUES ('https://erp.example/hook', 'sixteen-characters', '{installment.issued}', 6);
		INSERT INTO webhook_deliveries (endpoint_id, event_id, contract_id, seq, state, attempts, created_at, delivered_at)
			SELECT (SELECT id FROM webhook_endpoints), e.id, e.contract_id, e.seq, d.state, d.attempts, '2026-01-05', d.delivered_at
			FROM events e JOIN (VALUES
				(1, 'delivered', 1, '2026-03-01 10:00:00+00'::timestamptz),
				(2, 'delivered', 1, '2026-03-10 10:00:00+00'),
				(3, 'delivered', 1, '2026-03-12 10:00:00+00'),
				(4, 'pending', 9, NULL),
				(5, 'dropped', 3, NULL),
				(6, 'delivered', 2, '2026-02-20 10:00:00+00')) d(seq, state, attempts, delivered_at) ON d.seq = e.seq`); err != nil {
		t.Fatal(err)
	}
	left := func() string {
		t.Helper()
		rows, err := b.pool.Query(b.ctx, "SELECT seq || ' ' || state FROM webhook_deliveries ORDER BY seq")
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ", ")
	}
	cutoff := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		limit  int
		pruned int64
		left   string
	}{
		{2, 2, "2 delivered, 3 delivered, 4 pending, 5 dropped"}, // the oldest two: 6 (02-20) and 1 (03-01)
		{2, 1, "3 delivered, 4 pending, 5 dropped"},
		{2, 0, "3 delivered, 4 pending, 5 dropped"},
	}
	for i, st := range steps {
		n, err := b.store.PruneWebhookDeliveries(b.ctx, cutoff, st.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := left(); n != st.pruned || got != st.left {
			t.Errorf("step %d: pruned %d leaving %q, want %d leaving %q", i, n, got, st.pruned, st.left)
		}
	}
	if _, err := b.store.PublishEvents(b.ctx, 100); err != nil {
		t.Fatal(err)
	}
	if got, want := left(), "3 delivered, 4 pending, 5 dropped"; got != want {
		t.Errorf("after publishing: %q, want %q", got, want)
	}
}
