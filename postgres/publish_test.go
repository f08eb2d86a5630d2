package postgres

import (
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/records"
)

// TestPublishEventsWaitsForEarlierTransactions: an event written by a transaction still
// open holds back the publication of every event written after it began, so a reader
// paging by seq never skips it; once it commits, all are published in id order, each once,
// and only the events of the kinds an endpoint takes, published after it was created, are
// copied into its deliveries, once however often the publisher runs.
func TestPublishEventsWaitsForEarlierTransactions(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	ctx := t.Context()
	s := &Store{Pool: pool}
	var contract int64
	if err := pool.QueryRow(ctx, `WITH c AS (INSERT INTO customers (name, email) VALUES ('Ana', 'ana@example.com') RETURNING id),
			p AS (INSERT INTO plans (name, price, period, installments_per_term) VALUES ('Fibra', 99.90, 'monthly', 12) RETURNING id)
		INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, activation_date, due_rule_kind, due_day, status)
		SELECT c.id, p.id, 99.90, '2026-07-01', '2026-07-01', 'fixed_day', 10, 'active' FROM c, p RETURNING id`).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	ev := func(kind, subject string) []NewEvent {
		return []NewEvent{{Kind: kind, ContractID: contract, Subject: subject, OccurredOn: day}}
	}
	publish := func(want int64) {
		t.Helper()
		got, err := s.PublishEvents(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("published %d events, want %d", got, want)
		}
	}
	if _, err := s.CreateWebhookEndpoint(ctx, records.WebhookEndpoint{URL: "http://127.0.0.1:1/hook", Secret: "0123456789abcdef",
		Kinds: []string{records.EventInstallmentPaid, records.EventContractSuspended}}); err != nil {
		t.Fatal(err)
	}

	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	if _, err := recordEvents(ctx, slow, ev(records.EventContractSuspended, "episode:1:1")); err != nil {
		t.Fatal(err)
	}
	fast, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordEvents(ctx, fast, ev(records.EventInstallmentPaid, "payment:1")); err != nil {
		t.Fatal(err)
	}
	if err := fast.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	publish(0) // the slow transaction is still open: neither is published
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO events (kind, contract_id, subject_key, occurred_on)
		VALUES ('installment.issued', $1, 'installment:1', '2026-07-01')`, contract); err != nil {
		t.Fatal(err)
	}
	// The cluster's oldest running transaction decides (another test's, in another
	// database, too): publish until all three are out.
	var total int64
	for deadline := time.Now().Add(30 * time.Second); total < 3; {
		n, err := s.PublishEvents(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if total += n; time.Now().After(deadline) {
			t.Fatalf("published %d events in 30s, want 3", total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if total != 3 {
		t.Fatalf("published %d events, want 3", total)
	}
	publish(0)
	var got string
	if err := pool.QueryRow(ctx, `SELECT string_agg(seq || ' ' || kind, ', ' ORDER BY seq) FROM events`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "1 contract.suspended, 2 installment.paid, 3 installment.issued"; got != want {
		t.Errorf("published %q, want %q", got, want)
	}
	if err := pool.QueryRow(ctx, `SELECT string_agg(seq::text, ', ' ORDER BY seq) FROM webhook_deliveries`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "1, 2"; got != want {
		t.Errorf("deliveries of seqs %q, want %q", got, want)
	}
	// An endpoint created now gets only what is published after it.
	if _, err := s.CreateWebhookEndpoint(ctx, records.WebhookEndpoint{URL: "https://erp.example.com/hook", Secret: "0123456789abcdef",
		Kinds: records.EventKinds}); err != nil {
		t.Fatal(err)
	}
	publish(0)
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d deliveries after a second endpoint, want still 2", n)
	}
	evs, err := s.Events(ctx, records.EventFilter{}, Page{After: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Seq != 2 || evs[1].Seq != 3 || evs[0].EventID == "" {
		t.Errorf("events after 1: %+v", evs)
	}
}
