package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/webhook"
)

const receiverSecret = "whsec-0123456789abcdef"

// receiver is a webhook endpoint in the test: it verifies each delivery as docs/api.md tells
// a receiver to (webhook.Verify), answers 503 to everything while down and 500 to the events
// of the contracts it refuses, and keeps, in the order received, the deliveries it took.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	down     bool
	refuse   map[int64]bool
	got      []webhook.Body
	failures int
	bad      []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{refuse: map[int64]bool{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.bad = append(rc.bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(receiverSecret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			rc.bad = append(rc.bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var b webhook.Body
		if err := json.Unmarshal(body, &b); err != nil || b.EventID != r.Header.Get(webhook.EventIDHeader) ||
			b.Kind != r.Header.Get(webhook.EventKindHeader) {
			rc.bad = append(rc.bad, fmt.Sprintf("body %s (%v) against headers %v", body, err, r.Header))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch {
		case rc.down:
			rc.failures++
			w.WriteHeader(http.StatusServiceUnavailable)
		case rc.refuse[b.ContractID]:
			rc.failures++
			w.WriteHeader(http.StatusInternalServerError)
		default:
			rc.got = append(rc.got, b)
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) set(f func(*receiver)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	f(rc)
}

func (rc *receiver) snapshot() (got []webhook.Body, failures int, bad []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got), rc.failures, slices.Clone(rc.bad)
}

// TestWebhooksDeliverEveryEventOnceInOrder is issue 16's must-show: a receiver that is down
// while real changes happen (contracts activated, installments generated, both contracts
// blocked, one paid and restored), then refuses one contract's events, then takes
// everything. Every event reaches it exactly once after de-duplication by event id, each
// contract's events in seq order, every signature verifies with the documented algorithm;
// a refused contract's events wait while the other contract's go out; and rerunning the
// sweeps writes no new event.
func TestWebhooksDeliverEveryEventOnceInOrder(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	rc := newReceiver(t)
	rc.set(func(r *receiver) { r.down = true })
	hook := b.must(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url": %q, "secret": %q}`, rc.URL+"/billingd", receiverSecret))
	if _, ok := hook["secret"]; ok {
		t.Errorf("the endpoint's answer shows its secret: %v", hook)
	}
	if list := b.must(200, "GET", "/v1/webhooks", ""); len(list["items"].([]any)) != 1 || list["items"].([]any)[0].(map[string]any)["secret"] != nil {
		t.Errorf("GET /v1/webhooks: %v", list)
	}

	a := b.contract("")
	c := b.contract("")
	b.sweep(jobs.GenerateInstallments, "2026-07-01")
	b.sweep(jobs.BlockDelinquent, "2026-07-20") // both blocked: 10 days after July 10
	inst := b.count("SELECT id FROM installments WHERE contract_id = $1 AND sequence = 1 AND kind = 'recurring'", a)
	b.must(200, "POST", fmt.Sprintf("/v1/installments/%d/payments", inst), `{"amount": "100.23", "paid_at": "2026-07-20"}`)
	b.waitFor("contract a restored", func() bool {
		return b.count("SELECT count(*) FROM events WHERE contract_id = $1 AND kind = 'contract.restored'", a) == 1
	})
	b.waitFor("deliveries failing while the receiver is down", func() bool { _, f, _ := rc.snapshot(); return f >= 3 })
	if got, _, _ := rc.snapshot(); len(got) != 0 {
		t.Fatalf("%d deliveries taken while down", len(got))
	}

	// Up, but refusing contract a's events: c's all go out, a's wait.
	rc.set(func(r *receiver) { r.down, r.refuse[a] = false, true })
	defer func() {
		if t.Failed() {
			rows, _ := b.pool.Query(b.ctx, `SELECT d.contract_id, d.seq, d.state, d.attempts, d.next_attempt_at - now(), coalesce(d.last_error, ''),
				w.failures, w.retry_at - now() FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id ORDER BY d.seq`)
			for rows.Next() {
				v, _ := rows.Values()
				t.Log(v...)
			}
			rows.Close()
			jr, _ := b.pool.Query(b.ctx, `SELECT kind, state, count(*), max(errors::text) FROM river.river_job GROUP BY 1, 2`)
			for jr.Next() {
				v, _ := jr.Values()
				t.Log(v...)
			}
			jr.Close()
		}
	}()
	b.waitFor("contract c's events delivered", func() bool {
		return b.count(`SELECT count(*) FROM webhook_deliveries WHERE contract_id = $1 AND state = 'pending'`, c) == 0 &&
			b.count(`SELECT count(*) FROM events WHERE contract_id = $1 AND seq IS NULL`, c) == 0
	})
	got, _, _ := rc.snapshot()
	for _, e := range got {
		if e.ContractID == a {
			t.Fatalf("event %d of the refused contract delivered: %+v", e.Seq, e)
		}
	}
	rc.set(func(r *receiver) { r.refuse[a] = false })
	total := b.count("SELECT count(*) FROM events")
	b.waitFor("every event delivered", func() bool {
		return b.count(`SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'`) == total
	})

	got, failures, bad := rc.snapshot()
	if len(bad) > 0 {
		t.Errorf("deliveries refused by the receiver's checks: %q", bad)
	}
	if failures < 3 {
		t.Errorf("%d failed deliveries, want some", failures)
	}
	seen := map[string]bool{}
	last := map[int64]int64{}
	kinds := map[string]int{}
	for _, e := range got {
		if seen[e.EventID] {
			continue // at least once: a receiver de-duplicates by event id
		}
		seen[e.EventID] = true
		kinds[e.Kind]++
		if e.Seq <= last[e.ContractID] {
			t.Errorf("contract %d: event %d after %d", e.ContractID, e.Seq, last[e.ContractID])
		}
		last[e.ContractID] = e.Seq
	}
	if len(seen) != total {
		t.Errorf("%d distinct events delivered, %d written", len(seen), total)
	}
	if b.count(`SELECT count(*) FROM events WHERE event_id::text <> ALL ($1::text[])`, slices.Collect(func(yield func(string) bool) {
		for id := range seen {
			if !yield(id) {
				return
			}
		}
	})) != 0 {
		t.Error("an event written was not delivered")
	}
	// Two contracts: activated; 12 installments each; both blocked; a paid and restored.
	want := map[string]int{"contract.activated": 2, "installment.issued": 24, "contract.suspended": 2, "installment.paid": 1,
		"contract.restored": 1}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("delivered kinds %v, want %v", kinds, want)
	}

	// Reruns record nothing new, so deliver nothing new.
	b.sweep(jobs.GenerateInstallments, "2026-07-01")
	b.sweep(jobs.BlockDelinquent, "2026-07-20")
	if n := b.count("SELECT count(*) FROM events"); n != total {
		t.Errorf("%d events after rerunning the sweeps, want still %d", n, total)
	}

	// Polling: every event, in seq order, pages by ?after=.
	var seqs []int64
	for after := int64(0); ; {
		page := b.must(200, "GET", fmt.Sprintf("/v1/events?after=%d&limit=10", after), "")
		for _, it := range page["items"].([]any) {
			seqs = append(seqs, int64(it.(map[string]any)["seq"].(float64)))
		}
		next, ok := page["next_after"].(float64)
		if !ok {
			break
		}
		after = int64(next)
	}
	if len(seqs) != total || !slices.IsSorted(seqs) || seqs[0] != 1 || seqs[len(seqs)-1] != int64(total) {
		t.Errorf("GET /v1/events pages: %v", seqs)
	}
	restored := b.must(200, "GET", fmt.Sprintf("/v1/events?kind=contract.restored&contract_id=%d", a), "")["items"].([]any)
	if len(restored) != 1 || restored[0].(map[string]any)["payload"].(map[string]any)["reason"] != "payment" {
		t.Errorf("restored events of contract a: %v", restored)
	}
	if n := b.deliveryMetric("failed"); n < 3 {
		t.Errorf("billingd_webhook_deliveries_total{outcome=failed} = %v", n)
	}
}

// setupWebhooks is setupMail without SMTP, with events published and delivered.
func setupWebhooks(t *testing.T) *mailBundle {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbtest.NewURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := &mailBundle{t: t, ctx: ctx, pool: pool, sink: smtptest.Start(t), hooks: true}
	b.start("")
	return b
}

// deliveryMetric sums billingd_webhook_deliveries_total over the endpoints, for outcome.
func (b *mailBundle) deliveryMetric(outcome string) float64 {
	b.t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		b.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "billingd_webhook_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// TestEventsOfEveryChange: each change another system acts on writes its event in its own
// transaction, keyed by its business identity: an activation (contract:<id>), a trust unlock
// (the lifted segment's episode:<id>:<n>), a renewal by hand (term:<contract>:<term>), a
// payment and its reversal (payment:<id>, once each), with the payload a receiver needs.
func TestEventsOfEveryChange(t *testing.T) {
	t.Parallel()
	b := setupMail(t, true)
	id := b.contract(`, "wait_activation": true`)
	if n := b.count("SELECT count(*) FROM events WHERE contract_id = $1", id); n != 0 {
		t.Fatalf("%d events of a contract waiting for activation", n)
	}
	b.must(200, "POST", fmt.Sprintf("/v1/contracts/%d/activate", id), `{"date": "2026-07-01"}`)
	b.sweep(jobs.GenerateInstallments, "2026-07-01")
	b.sweep(jobs.BlockDelinquent, "2026-07-20")
	b.must(200, "POST", fmt.Sprintf("/v1/contracts/%d/trust-unlock", id), `{"days": 3}`)
	b.must(200, "POST", fmt.Sprintf("/v1/contracts/%d/renew", id), `{"date": "2026-07-20"}`)
	inst := b.count("SELECT id FROM installments WHERE contract_id = $1 AND sequence = 2 AND kind = 'recurring'", id)
	pay := b.must(200, "POST", fmt.Sprintf("/v1/installments/%d/payments", inst), `{"amount": "99.90", "paid_at": "2026-07-20"}`)
	payment := int64(pay["payment"].(map[string]any)["id"].(float64))
	b.must(200, "POST", fmt.Sprintf("/v1/payments/%d/reverse", payment), `{"reason": "chargeback"}`)
	episode := b.count("SELECT id FROM block_episodes WHERE contract_id = $1", id)

	rows, err := b.pool.Query(b.ctx, `SELECT kind || ' ' || subject_key || ' ' || occurred_on || ' ' || payload::text FROM events
		WHERE contract_id = $1 AND kind <> 'installment.issued' ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	want := []string{
		fmt.Sprintf(`contract.activated contract:%d 2026-07-01 {"price": "99.90", "plan_id": %d, "customer_id": %d, "activation_date": "2026-07-01"}`,
			id, b.count("SELECT plan_id FROM contracts WHERE id = $1", id), b.count("SELECT customer_id FROM contracts WHERE id = $1", id)),
		fmt.Sprintf(`contract.suspended episode:%d:1 2026-07-20 {"level": "total", "episode_id": %d}`, episode, episode),
		fmt.Sprintf(`contract.restored episode:%d:1 2026-07-20 {"until": "2026-07-23", "reason": "trust_unlock", "episode_id": %d}`, episode, episode),
		fmt.Sprintf(`contract.renewed term:%d:2 2026-07-20 {"term": 2, "price": "99.90", "trigger": "manual", "term_end": "2028-06-30"}`, id),
		fmt.Sprintf(`installment.paid payment:%d 2026-07-20 {"amount": "99.90", "paid_on": "2026-07-20", "discount": "0.00", "due_date": "2026-08-10", "payment_id": %d, "paid_amount": "99.90", "installment_id": %d}`,
			payment, payment, inst),
		fmt.Sprintf(`installment.reversed payment:%d 2026-07-20 {"paid": "0.00", "state": "open", "amount": "99.90", "reason": "chargeback", "paid_on": "2026-07-20", "payment_id": %d, "state_before": "paid", "installment_id": %d}`,
			payment, payment, inst),
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// 12 installments of term 1 and 12 of term 2, one installment.issued each.
	if n := b.count("SELECT count(*) FROM events WHERE contract_id = $1 AND kind = 'installment.issued'", id); n != 24 {
		t.Errorf("%d installment.issued events, want 24", n)
	}
	var issued string
	if err := b.pool.QueryRow(b.ctx, `SELECT subject_key || ' ' || occurred_on || ' ' || payload::text FROM events
		WHERE contract_id = $1 AND kind = 'installment.issued' ORDER BY id LIMIT 1`, id).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	first := b.count("SELECT min(id) FROM installments WHERE contract_id = $1", id)
	if want := fmt.Sprintf(`installment:%d 2026-07-01 {"kind": "recurring", "term": 1, "amount": "99.90", "discount": "0.00", "due_date": "2026-07-10", "sequence": 1, "installment_id": %d, "on_time_discount": "0.00"}`,
		first, first); issued != want {
		t.Errorf("first installment.issued %q, want %q", issued, want)
	}
	// Every one of the 24, worked out by hand: issued on the generation (2026-07-01) or the
	// renewal (2026-07-20), 99.90 each, due on the 10th or the next business day (2026-10-10 a
	// Saturday and the 12th a holiday; 2027-01-10, 2027-10-10 Sundays; 2027-04-10, 2027-07-10,
	// 2028-06-10 Saturdays).
	const wantIssued = "1/1 2026-07-01 2026-07-10 99.90; 1/2 2026-07-01 2026-08-10 99.90; 1/3 2026-07-01 2026-09-10 99.90; " +
		"1/4 2026-07-01 2026-10-13 99.90; 1/5 2026-07-01 2026-11-10 99.90; 1/6 2026-07-01 2026-12-10 99.90; " +
		"1/7 2026-07-01 2027-01-11 99.90; 1/8 2026-07-01 2027-02-10 99.90; 1/9 2026-07-01 2027-03-10 99.90; " +
		"1/10 2026-07-01 2027-04-12 99.90; 1/11 2026-07-01 2027-05-10 99.90; 1/12 2026-07-01 2027-06-10 99.90; " +
		"2/13 2026-07-20 2027-07-12 99.90; 2/14 2026-07-20 2027-08-10 99.90; 2/15 2026-07-20 2027-09-10 99.90; " +
		"2/16 2026-07-20 2027-10-11 99.90; 2/17 2026-07-20 2027-11-10 99.90; 2/18 2026-07-20 2027-12-10 99.90; " +
		"2/19 2026-07-20 2028-01-10 99.90; 2/20 2026-07-20 2028-02-10 99.90; 2/21 2026-07-20 2028-03-10 99.90; " +
		"2/22 2026-07-20 2028-04-10 99.90; 2/23 2026-07-20 2028-05-10 99.90; 2/24 2026-07-20 2028-06-12 99.90"
	var allIssued string
	if err := b.pool.QueryRow(b.ctx, `SELECT string_agg(format('%s/%s %s %s %s', payload->>'term', payload->>'sequence', occurred_on,
			payload->>'due_date', payload->>'amount'), '; ' ORDER BY (payload->>'sequence')::int)
		FROM events WHERE contract_id = $1 AND kind = 'installment.issued'`, id).Scan(&allIssued); err != nil {
		t.Fatal(err)
	}
	if allIssued != wantIssued {
		t.Errorf("installment.issued events\n%s\nwant\n%s", allIssued, wantIssued)
	}
}
