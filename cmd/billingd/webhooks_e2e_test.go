package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/webhook"
)

// TestWebhooksEndToEnd drives the binary: a receiver registered through the API is down
// while a contract is created and its installments generated (`billingd run`), the daemon
// is stopped and started again, and once the receiver is up it gets every event of the
// contract, once each after de-duplication, in seq order, each signature verified; the 12
// installments it is told of carry their hand-worked due dates and 93.00.
func TestWebhooksEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "e2e-webhook-secret-0123"
	var (
		mu   sync.Mutex
		up   bool
		seen = map[string]int64{}
		seqs []int64
		bad  []string
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var b webhook.Body
		if err := json.Unmarshal(body, &b); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, dup := seen[b.EventID]; !dup {
			seen[b.EventID] = b.Seq
			seqs = append(seqs, b.Seq)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rc.Close()

	url, pool := migratedDB(t)
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_WEBHOOK_MAX_BACKOFF=1s")
	d := startDaemon(t, env)
	var created struct {
		ID int64 `json:"id"`
	}
	if code := d.send("POST", "/v1/webhooks", fmt.Sprintf(`{"url": %q, "secret": %q}`, rc.URL, secret), &created); code != 201 {
		t.Fatalf("register webhook: %d", code)
	}
	if code := d.send("POST", "/v1/plans", `{"name": "Fibra", "price": "93.00", "period": "monthly", "installments_per_term": 12}`, &created); code != 201 {
		t.Fatalf("create plan: %d", code)
	}
	plan := created.ID
	if code := d.send("POST", "/v1/customers", `{"name": "Ana Souza", "email": "ana@example.com"}`, &created); code != 201 {
		t.Fatalf("create customer: %d", code)
	}
	if code := d.send("POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01",
		"due_date_rule": {"kind": "fixed_day", "day": 10}}`, created.ID, plan), &created); code != 201 {
		t.Fatalf("create contract: %d", code)
	}
	if code, stdout, stderr := cli(t, env, "run", "generate-installments", "--as-of", "2026-07-01", "--force", "--wait"); code != 0 {
		t.Fatalf("run generate-installments: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, 30*time.Second, "deliveries tried and failing", func() bool {
		return count(t, pool, `SELECT count(*) FROM webhook_deliveries WHERE attempts > 0`) > 0
	})
	if code, _ := d.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	startDaemon(t, env)
	const events = 13 // contract.activated and 12 installment.issued
	waitFor(t, 60*time.Second, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == events
	})
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("deliveries refused: %q", bad)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("received seqs %v: not in order", seqs)
			break
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM events"); n != events {
		t.Errorf("%d events written, want %d", n, events)
	}
	// The 12 installments the receiver was told of, worked out by hand: 93.00 each, due on the
	// 10th from July 2026 or the next business day (2026-10-10 a Saturday and the 12th a
	// holiday; 2027-01-10 a Sunday; 2027-04-10 a Saturday).
	const wantIssued = "1 2026-07-10 93.00; 2 2026-08-10 93.00; 3 2026-09-10 93.00; 4 2026-10-13 93.00; 5 2026-11-10 93.00; " +
		"6 2026-12-10 93.00; 7 2027-01-11 93.00; 8 2027-02-10 93.00; 9 2027-03-10 93.00; 10 2027-04-12 93.00; " +
		"11 2027-05-10 93.00; 12 2027-06-10 93.00"
	var issued string
	if err := pool.QueryRow(t.Context(), `SELECT string_agg(format('%s %s %s', payload->>'sequence', payload->>'due_date', payload->>'amount'),
		'; ' ORDER BY (payload->>'sequence')::int) FROM events WHERE kind = 'installment.issued'`).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	if issued != wantIssued {
		t.Errorf("installment.issued events\n%s\nwant\n%s", issued, wantIssued)
	}
}
