package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/records"
)

// TestRecordEventsOnce: an event is recorded once per (kind, subject), however many times the
// transaction that makes the change runs, and carries a unique event id and its payload.
func TestRecordEventsOnce(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	ctx := t.Context()
	var contract int64
	if err := pool.QueryRow(ctx, `WITH c AS (INSERT INTO customers (name, email) VALUES ('Ana', 'ana@example.com') RETURNING id),
			p AS (INSERT INTO plans (name, price, period, installments_per_term) VALUES ('Fibra', 99.90, 'monthly', 12) RETURNING id)
		INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, activation_date, due_rule_kind, due_day, status)
		SELECT c.id, p.id, 99.90, '2026-07-01', '2026-07-01', 'fixed_day', 10, 'active' FROM c, p RETURNING id`).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	events := []NewEvent{
		{Kind: records.EventContractSuspended, ContractID: contract, Subject: "episode:7:0", OccurredOn: day, Payload: map[string]string{"level": "total"}},
		{Kind: records.EventContractRestored, ContractID: contract, Subject: "episode:7:0", OccurredOn: day.AddDate(0, 0, 3)},
	}
	for run, want := range []int64{2, 0} {
		var got int64
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			got, err = recordEvents(ctx, tx, events)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("run %d recorded %d events, want %d", run+1, got, want)
		}
	}
	var n, ids int
	var level string
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT event_id), max(payload->>'level') FROM events WHERE contract_id = $1`,
		contract).Scan(&n, &ids, &level); err != nil {
		t.Fatal(err)
	}
	if n != 2 || ids != 2 || level != "total" {
		t.Errorf("events: %d rows, %d distinct event ids, level %q; want 2, 2, total", n, ids, level)
	}
}
