package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestWebhookEndpoints: an endpoint is registered with its URL, secret and kinds (every kind
// when none is named), listed and answered without its secret, audited without it, and
// deleted (its pending deliveries dropped, a second delete changing nothing); bad input is a
// 4xx naming the field and writes nothing.
func TestWebhookEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const secret = "whsec-do-not-show-0123"
	r := b.must(http.StatusCreated, "POST", "/v1/webhooks", fmt.Sprintf(`{"url": "https://erp.example.com/billingd", "secret": %q}`, secret))
	id := r.id(t)
	if r.header.Get("Location") != fmt.Sprintf("/v1/webhooks/%d", id) || len(r.body["kinds"].([]any)) != 10 ||
		r.body["pending"] != float64(0) || r.body["oldest_pending_at"] != nil || r.body["deleted_at"] != nil {
		t.Errorf("created: %s (Location %q)", r.raw, r.header.Get("Location"))
	}
	other := b.must(http.StatusCreated, "POST", "/v1/webhooks",
		`{"url": "http://10.0.0.5:8080/hook?x=1", "secret": "0123456789abcdef", "kinds": ["contract.suspended", "contract.restored"]}`)
	if got := fmt.Sprint(other.body["kinds"]); got != "[contract.suspended contract.restored]" {
		t.Errorf("kinds %s", got)
	}
	list := b.must(http.StatusOK, "GET", "/v1/webhooks", nil)
	if items := list.items(t); len(items) != 2 || strings.Contains(string(list.raw), secret) || strings.Contains(string(list.raw), "secret") {
		t.Errorf("list: %s", list.raw)
	}
	var audited string
	if err := b.pool.QueryRow(context.Background(), `SELECT string_agg(detail::text, ' ') FROM audit_log WHERE route = 'POST /v1/webhooks'`).
		Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(audited, secret) || !strings.Contains(audited, "erp.example.com") {
		t.Errorf("audit detail %s", audited)
	}

	// A pending delivery is dropped with its endpoint.
	b.exec(`INSERT INTO customers (name, email) VALUES ('Ana', 'ana@example.com')`)
	b.exec(`INSERT INTO plans (name, price, period, installments_per_term) VALUES ('Fibra', 99.90, 'monthly', 12)`)
	b.exec(`INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, activation_date, due_rule_kind, due_day, status)
		SELECT max(c.id), max(p.id), 99.90, '2026-07-01', '2026-07-01', 'fixed_day', 10, 'active' FROM customers c, plans p`)
	b.exec(`INSERT INTO events (kind, contract_id, subject_key, occurred_on, seq) SELECT 'contract.activated', max(id), 'contract:' || max(id),
		'2026-07-01', 1 FROM contracts`)
	b.exec(`INSERT INTO webhook_deliveries (endpoint_id, event_id, contract_id, seq) SELECT $1, id, contract_id, seq FROM events`, id)
	if r := b.must(http.StatusOK, "GET", "/v1/webhooks", nil); r.items(t)[0]["pending"] != float64(1) || r.items(t)[0]["oldest_pending_at"] == nil {
		t.Errorf("pending: %s", r.raw)
	}
	del := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/webhooks/%d", id), nil)
	if del.body["deleted_at"] == nil || del.body["pending"] != float64(0) {
		t.Errorf("deleted: %s", del.raw)
	}
	again := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/webhooks/%d", id), nil)
	if again.body["deleted_at"] != del.body["deleted_at"] {
		t.Errorf("deleted again: %s, then %s", del.raw, again.raw)
	}
	if items := b.must(http.StatusOK, "GET", "/v1/webhooks", nil).items(t); len(items) != 1 {
		t.Errorf("%d live endpoints after a delete, want 1", len(items))
	}
	if e := b.send("DELETE", "/v1/webhooks/999", nil); e.status != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d %s", e.status, e.raw)
	}
	if r := b.must(http.StatusOK, "GET", "/v1/events?after=0&kind=contract.activated", nil); len(r.items(t)) != 1 {
		t.Errorf("events: %s", r.raw)
	}

	before := b.counts()
	for _, tc := range []struct {
		body, field string
		status      int
	}{
		{`{"secret": "0123456789abcdef"}`, "url", 422},
		{`{"url": "ftp://erp.example.com/x", "secret": "0123456789abcdef"}`, "url", 422},
		{`{"url": "https:///x", "secret": "0123456789abcdef"}`, "url", 422},
		{`{"url": "https://user:pass@erp.example.com/x", "secret": "0123456789abcdef"}`, "url", 422},
		{`{"url": "https://erp.example.com/x#frag", "secret": "0123456789abcdef"}`, "url", 422},
		{`{"url": "https://erp.example.com/x", "secret": "short"}`, "secret", 422},
		{`{"url": "https://erp.example.com/x"}`, "secret", 422},
		{`{"url": "https://erp.example.com/x", "secret": "0123456789abcdef", "kinds": ["contract.blocked"]}`, "kinds[0]", 422},
		{`{"url": "https://erp.example.com/x", "secret": "0123456789abcdef", "kinds": ["contract.restored", "contract.restored"]}`, "kinds[1]", 422},
		{`{"url": "https://erp.example.com/x", "secret": "0123456789abcdef", "events": []}`, "events", 400},
		{`{"url": 7, "secret": "0123456789abcdef"}`, "url", 400},
	} {
		r := b.send("POST", "/v1/webhooks", tc.body)
		if r.status != tc.status || r.err(t).Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.body, r.status, r.raw, tc.status, tc.field)
		}
	}
	for path, field := range map[string]string{"/v1/events?kind=contract.blocked": "kind", "/v1/events?after=-1": "after",
		"/v1/events?contract_id=x": "contract_id", "/v1/events?since=1": "since"} {
		if r := b.send("GET", path, nil); r.status != http.StatusBadRequest || r.err(t).Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", path, r.status, r.raw, field)
		}
	}
	if after := b.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused requests wrote: %v, then %v", before, after)
	}
}
