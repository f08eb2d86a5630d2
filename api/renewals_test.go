package api_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/renewal"
)

// defaultThresholds are the daemon's default renewal thresholds (BILLINGD_RENEWAL_QUEUE_THRESHOLD,
// BILLINGD_RENEWAL_THRESHOLD); the daemon passes them to RenewSweep.
var defaultThresholds = renewal.Thresholds{Queue: 3, Renewal: 2}

// renew runs the renew-contracts sweep as of asOf with the default thresholds, as River
// would: the plan in one transaction, then each batch in its own.
func (b *bundle) renew(asOf string) map[string]int64 {
	b.t.Helper()
	ctx := context.Background()
	day, err := billing.ParseDate(asOf)
	if err != nil {
		b.t.Fatal(err)
	}
	sweep := postgres.RenewSweep{Thresholds: defaultThresholds}
	var starts []int64
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		starts, err = sweep.Plan(ctx, tx, day, 2000)
		return err
	}); err != nil {
		b.t.Fatalf("plan renewal as of %s: %v", asOf, err)
	}
	total := map[string]int64{}
	for i, from := range starts {
		to := int64(math.MaxInt64)
		if i+1 < len(starts) {
			to = starts[i+1] - 1
		}
		if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			got, err := sweep.Batch(ctx, tx, day, from, to)
			for k, v := range got {
				total[k] += v
			}
			return err
		}); err != nil {
			b.t.Fatalf("renew as of %s: %v", asOf, err)
		}
	}
	return total
}

// pay pays a contract's recurring installments of sequences from..to on 2026-07-20 at amount,
// each for what paid, worked out by hand, lists for its sequence (paid[seq-1]).
func (b *bundle) pay(contract int64, from, to int, amount string, paid []string) {
	b.t.Helper()
	for seq := from; seq <= to; seq++ {
		if got := b.settle(b.installmentID(contract, "recurring", seq), amount, "2026-07-20"); got != paid[seq-1] {
			b.t.Errorf("contract %d installment %d paid %s on 2026-07-20, want %s", contract, seq, got, paid[seq-1])
		}
	}
}

// paidFixedDay10From0115 is what each of the first 10 installments of 99.90 of a contract
// from 2026-01-15, fixed day 10, asks on 2026-07-20: 99.90 and 1% a month of interest,
// 99.90 × 1% ÷ 30 = 0.0333 a day, for the days since its effective due date: 2026-02-10,
// 160 days (5.328 → 5.33); 03-10, 132 (4.3956 → 4.40); 04-10, 101 (3.3633 → 3.36); 05-11
// (the 10th a Sunday), 70 (2.331 → 2.33); 06-10, 40 (1.332 → 1.33); 07-10, 10 (0.333 →
// 0.33); those due from 08-10 on, 99.90.
var paidFixedDay10From0115 = []string{"105.23", "104.30", "103.26", "102.23", "101.23", "100.23", "99.90", "99.90", "99.90", "99.90"}

// paidQuarterlyFrom0115 is what each installment of 300.00 of a quarterly contract from
// 2026-01-15, due on the anniversary, asks on 2026-07-20: 300.00 × 1% ÷ 30 = 0.10 a day of
// interest since 01-15, 186 days (18.60); since 04-15, 96 (9.60); since 07-15, 5 (0.50);
// due 10-15, none.
var paidQuarterlyFrom0115 = []string{"318.60", "309.60", "300.50", "300.00"}

// settle pays installment id in full on paidAt: what it asks that day (amount_due's
// balance, with the interest of a late payment), checking that its amount is amount, and
// that the payment settled it. It returns what was paid, for the caller to check against
// its own arithmetic.
func (b *bundle) settle(id int64, amount, paidAt string) string {
	b.t.Helper()
	due := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d?on=%s", id, paidAt), nil).body["amount_due"].(map[string]any)
	if due["amount"] != amount {
		b.t.Fatalf("installment %d: amount %v, want %s", id, due["amount"], amount)
	}
	paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", id),
		fmt.Sprintf(`{"amount": %q, "paid_at": %q}`, due["balance"], paidAt))
	if paid.body["state"] != "paid" || paid.body["balance"] != "0.00" {
		b.t.Fatalf("installment %d paid %v on %s: %s", id, due["balance"], paidAt, paid.raw)
	}
	return fmt.Sprint(due["balance"])
}

// renewalCounts builds the counts of a renew-contracts batch.
func renewalCounts(contracts, queued, renewed, created int64) map[string]int64 {
	return map[string]int64{"contracts": contracts, "queued": queued, "renewed": renewed, "installments_created": created, "skipped": 0}
}

// TestRenewalMustShow follows the issue: a 12-installment monthly contract is queued after 9
// payments and renewed after 10 with 12 more installments due on the same rule, at the
// plan's current price after a price change, or at the suggested value per its mode.
func TestRenewalMustShow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(b *bundle, contract int64) // before the 10th payment
		price string
		mode  string
	}{
		{"plan price after a price change", func(b *bundle, _ int64) {}, "119.90", "plan_price"},
		{"suggested value", func(b *bundle, c int64) {
			r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"renewal_price_mode": "suggested", "suggested_price": "109.9"}`)
			if r.body["renewal_price_mode"] != "suggested" || r.body["suggested_price"] != "109.90" {
				t.Errorf("PATCH contract: %s", r.raw)
			}
		}, "109.90", "suggested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t).with(t)
			plan := b.plan("99.90", "")
			c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-15", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
			b.generate("2026-07-20")
			path := fmt.Sprintf("/v1/contracts/%d", c)

			b.pay(c, 1, 8, "99.90", paidFixedDay10From0115)
			if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 0, 0)) {
				t.Errorf("after 8 payments: %v", got)
			}
			b.pay(c, 9, 9, "99.90", paidFixedDay10From0115)
			if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 1, 0, 0)) {
				t.Errorf("after 9 payments: %v, want one contract queued", got)
			}
			r := b.must(http.StatusOK, "GET", path, nil)
			if r.body["renewal_state"] != "queued" || r.body["queued_on"] != "2026-07-20" || r.body["term_number"] != 1.0 {
				t.Errorf("queued contract %s", r.raw)
			}
			q := b.must(http.StatusOK, "GET", "/v1/renewals?state=queued&from=2026-07-20&to=2026-07-20", nil).items(t)
			wantQ := []map[string]any{{"contract_id": float64(c), "term": 1.0, "state": "queued", "queued_on": "2026-07-20",
				"open_installments": 3.0, "renewed_on": nil, "new_term": nil, "price_mode": nil, "price": nil, "trigger": nil}}
			if len(q) == 1 {
				q[0] = without(q[0], "id")
			}
			if !reflect.DeepEqual(q, wantQ) {
				t.Errorf("queue %v, want %v", q, wantQ)
			}

			// The plan's price changes; then the 10th payment.
			if r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"price": "119.90"}`); r.body["price"] != "119.90" {
				t.Errorf("PATCH plan: %s", r.raw)
			}
			tt.setup(b, c)
			b.pay(c, 10, 10, "99.90", paidFixedDay10From0115)
			if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 1, 12)) {
				t.Errorf("after 10 payments: %v, want one contract renewed with 12 installments", got)
			}
			r = b.must(http.StatusOK, "GET", path, nil)
			if r.body["renewal_state"] != "renewed" || r.body["queued_on"] != nil || r.body["term_number"] != 2.0 ||
				r.body["term_end"] != "2028-01-14" || r.body["price"] != tt.price {
				t.Errorf("renewed contract %s", r.raw)
			}
			got := b.installments(c)
			want := []string{
				"recurring 13 2027-02-10 " + tt.price + " open", // Ash Wednesday: banks open
				"recurring 14 2027-03-10 " + tt.price + " open",
				"recurring 15 2027-04-12 " + tt.price + " open", // 10 Apr is a Saturday
				"recurring 16 2027-05-10 " + tt.price + " open",
				"recurring 17 2027-06-10 " + tt.price + " open",
				"recurring 18 2027-07-12 " + tt.price + " open", // 10 Jul is a Saturday
				"recurring 19 2027-08-10 " + tt.price + " open",
				"recurring 20 2027-09-10 " + tt.price + " open",
				"recurring 21 2027-10-11 " + tt.price + " open", // 10 Oct is a Sunday
				"recurring 22 2027-11-10 " + tt.price + " open",
				"recurring 23 2027-12-10 " + tt.price + " open",
				"recurring 24 2028-01-10 " + tt.price + " open",
			}
			if len(got) != 24 || !reflect.DeepEqual(got[12:], want) || got[11] != "recurring 12 2027-01-11 99.90 open" {
				t.Errorf("installments %q\nwant 12 of term 1 then %q", got, want)
			}
			items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments?contract_id=%d&due_from=2027-02-10&due_to=2027-02-10", c), nil).items(t)
			if len(items) != 1 || items[0]["term"] != 2.0 || items[0]["service_start"] != "2027-01-15" || items[0]["service_end"] != "2027-02-14" {
				t.Errorf("first installment of term 2: %v", items)
			}
			rn := b.must(http.StatusOK, "GET", "/v1/renewals?state=renewed&from=2026-07-20", nil).items(t)
			wantR := []map[string]any{{"contract_id": float64(c), "term": 1.0, "state": "renewed", "queued_on": "2026-07-20",
				"open_installments": 3.0, "renewed_on": "2026-07-20", "new_term": 2.0, "price_mode": tt.mode, "price": tt.price, "trigger": "sweep"}}
			if len(rn) == 1 {
				rn[0] = without(rn[0], "id")
			}
			if !reflect.DeepEqual(rn, wantR) {
				t.Errorf("renewals %v, want %v", rn, wantR)
			}
			if n := b.count("SELECT count(*) FROM notices WHERE contract_id = $1 AND kind = 'renewed' AND reference = '2'", c); n != 1 {
				t.Errorf("%d renewed notices, want 1", n)
			}

			// Rerunning either sweep creates nothing; the queue is empty.
			if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, map[string]int64{}) {
				t.Errorf("rerun: %v, want nothing planned", got)
			}
			if got := b.generate("2026-07-21"); got["installments_created"] != 0 {
				t.Errorf("generate after renewal: %v", got)
			}
			if q := b.must(http.StatusOK, "GET", "/v1/renewals?state=queued", nil).items(t); len(q) != 0 {
				t.Errorf("queue after renewal: %v", q)
			}
			if n := b.count("SELECT count(*) FROM installments WHERE contract_id = $1", c); n != 24 {
				t.Errorf("%d installments, want 24", n)
			}
		})
	}
}

// count runs a count query.
func (b *bundle) count(sql string, args ...any) int64 {
	b.t.Helper()
	var n int64
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestRenewalSwitches pays 10 of 12 installments of contracts the sweep must leave alone.
func TestRenewalSwitches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra map[string]any
		patch string
	}{
		{"ignore_auto_renewal at creation", map[string]any{"ignore_auto_renewal": true}, ""},
		{"ignore_auto_renewal set later", nil, `{"ignore_auto_renewal": true}`},
		{"auto_renew off", map[string]any{"auto_renew": false}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t).with(t)
			plan := b.plan("99.90", "")
			extra := map[string]any{"adhesion_date": "2026-01-15", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}
			for k, v := range tt.extra {
				extra[k] = v
			}
			c := b.contract(plan, extra).id(t)
			b.generate("2026-07-20")
			if tt.patch != "" {
				b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/contracts/%d", c), tt.patch)
			}
			b.pay(c, 1, 10, "99.90", paidFixedDay10From0115)
			if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 0, 0)) {
				t.Errorf("sweep: %v, want nothing queued or renewed", got)
			}
			r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil)
			if r.body["term_number"] != 1.0 || r.body["renewal_state"] != "none" {
				t.Errorf("contract %s", r.raw)
			}
			// The operator renews by hand; a second click is refused.
			r = b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/renew", c), nil)
			if r.body["term_number"] != 2.0 || r.body["renewal_state"] != "renewed" || r.body["price"] != "99.90" {
				t.Errorf("renewed by hand: %s", r.raw)
			}
			if n := b.count("SELECT count(*) FROM installments WHERE contract_id = $1 AND term = 2", c); n != 12 {
				t.Errorf("%d installments of term 2, want 12", n)
			}
			b.must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/renew", c), nil)
		})
	}
}

// TestManualRenewRefusals checks each case POST /v1/contracts/{id}/renew refuses, with its
// message, and that a refusal writes nothing.
func TestManualRenewRefusals(t *testing.T) {
	t.Parallel()
	rule := map[string]any{"kind": "fixed_day", "day": 10}
	tests := []struct {
		name    string
		extra   map[string]any
		prepare func(b *bundle, c int64)
		body    any
		status  int
		field   string
		message string
	}{
		{"cancelled", nil, func(b *bundle, c int64) {
			b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c), `{"date": "2026-07-20", "reason_code": "other"}`)
		}, nil, http.StatusConflict, "id", "conflict: contract %d cannot be renewed: it is cancelled"},
		{"finished", nil, func(b *bundle, c int64) {
			b.exec("UPDATE contracts SET status = 'finished' WHERE id = $1", c)
		}, nil, http.StatusConflict, "id", "conflict: contract %d cannot be renewed: it is finished"},
		{"pending activation", map[string]any{"wait_activation": true}, nil, nil, http.StatusConflict, "id",
			"conflict: contract %d cannot be renewed: it is pending activation: its first term has not started"},
		{"no billing", map[string]any{"billing_method": "no_billing"}, nil, nil, http.StatusConflict, "id",
			"conflict: contract %d cannot be renewed: it has no billing (no_billing): it has no installments to renew"},
		{"term not generated", nil, func(b *bundle, c int64) {
			b.exec("DELETE FROM installment_lines WHERE contract_id = $1", c)
			b.exec("DELETE FROM installments WHERE contract_id = $1", c)
			b.exec("UPDATE contracts SET generated_term = 0 WHERE id = $1", c)
		}, nil, http.StatusConflict, "id", "conflict: contract %d cannot be renewed: the installments of its term 1 are not generated yet"},
		{"already renewed", nil, func(b *bundle, c int64) {
			b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/renew", c), `{"date": "2026-07-19"}`)
		}, nil, http.StatusConflict, "id",
			"conflict: contract %d cannot be renewed: it was already renewed for its term: term 2 was created by a renewal and has not entered the renewal queue yet"},
		{"suggested price below the discounts", map[string]any{"discount": "50.00", "renewal_price_mode": "suggested", "suggested_price": "60.00"},
			func(b *bundle, c int64) { b.exec("UPDATE contracts SET suggested_price = 40 WHERE id = $1", c) }, nil, http.StatusConflict, "id",
			"conflict: contract %d cannot be renewed: renewal price 40.00 does not cover the discounts 50.00 + 0.00"},
		{"future date", nil, nil, `{"date": "2026-07-21"}`, http.StatusUnprocessableEntity, "date",
			"date: 2026-07-21 is in the future (today is 2026-07-20 in America/Sao_Paulo)"},
		{"unknown contract", nil, func(b *bundle, c int64) {}, nil, http.StatusNotFound, "id", "not found: contract 999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t).with(t)
			plan := b.plan("99.90", "")
			extra := map[string]any{"adhesion_date": "2026-01-15", "due_date_rule": rule}
			for k, v := range tt.extra {
				extra[k] = v
			}
			c := b.contract(plan, extra).id(t)
			b.generate("2026-07-20")
			if tt.prepare != nil {
				tt.prepare(b, c)
			}
			id := c
			if tt.status == http.StatusNotFound {
				id = 999
			}
			before := b.snapshot()
			r := b.must(tt.status, "POST", fmt.Sprintf("/v1/contracts/%d/renew", id), tt.body)
			msg := tt.message
			if tt.status == http.StatusConflict {
				msg = fmt.Sprintf(tt.message, c)
			}
			if e := r.err(t); e.Field != tt.field || e.Message != msg {
				t.Errorf("error %+v, want field %s and message %q", e, tt.field, msg)
			}
			if b.snapshot() != before {
				t.Errorf("a refused renewal wrote to the database")
			}
		})
	}
}

// TestRenewalSettingsBadInput refuses bad plan and contract renewal settings with 422
// naming the field, writing nothing.
func TestRenewalSettingsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "80.00")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-15", "discount": "10.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	tests := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/v1/plans", `{"name": "P", "price": "1.00", "period": "monthly", "installments_per_term": 12, "renewal_queue_threshold": 3}`, 422, "renewal_threshold"},
		{"POST", "/v1/plans", `{"name": "P", "price": "1.00", "period": "monthly", "installments_per_term": 12, "renewal_queue_threshold": 2, "renewal_threshold": 3}`, 422, "renewal_threshold"},
		{"POST", "/v1/plans", `{"name": "P", "price": "1.00", "period": "monthly", "installments_per_term": 3, "renewal_queue_threshold": 3, "renewal_threshold": 2}`, 422, "renewal_queue_threshold"},
		{"POST", "/v1/plans", `{"name": "P", "price": "1.00", "period": "monthly", "installments_per_term": 12, "renewal_queue_threshold": -1, "renewal_threshold": 0}`, 422, "renewal_queue_threshold"},
		{"PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"renewal_threshold": 1}`, 422, "renewal_queue_threshold"},
		{"PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"price": "79.99"}`, 422, "price"},
		{"PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"price": "1,00"}`, 422, "price"},
		{"PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"period": "annual"}`, 400, "period"},
		{"PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"reset_renewal_thresholds": true, "renewal_threshold": 1}`, 422, "reset_renewal_thresholds"},
		{"PATCH", "/v1/plans/999", `{"price": "100.00"}`, 404, "id"},
		{"PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"renewal_price_mode": "suggested"}`, 422, "suggested_price"},
		{"PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"renewal_price_mode": "cheapest"}`, 422, "renewal_price_mode"},
		{"PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"suggested_price": "79.00"}`, 422, "suggested_price"},
		{"PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"price": "79.00"}`, 400, "price"},
		{"PATCH", fmt.Sprintf("/v1/contracts/%d", c), `{"auto_renew": "yes"}`, 400, "auto_renew"},
		{"GET", "/v1/renewals?state=done", "", 400, "state"},
		{"GET", "/v1/renewals?from=2026-02-30", "", 400, "from"},
	}
	for _, tt := range tests {
		before := b.snapshot()
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := b.must(tt.status, tt.method, tt.path, body)
		if e := r.err(t); e.Field != tt.field {
			t.Errorf("%s %s %s: field %q, want %q (%s)", tt.method, tt.path, tt.body, e.Field, tt.field, e.Message)
		}
		if b.snapshot() != before {
			t.Errorf("%s %s %s wrote to the database", tt.method, tt.path, tt.body)
		}
	}
	// A plan's thresholds are set, used and reset.
	r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"renewal_queue_threshold": 1, "renewal_threshold": 0}`)
	if r.body["renewal_queue_threshold"] != 1.0 || r.body["renewal_threshold"] != 0.0 || r.body["price"] != "99.90" {
		t.Errorf("thresholds set: %s", r.raw)
	}
	r = b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"reset_renewal_thresholds": true}`)
	if r.body["renewal_queue_threshold"] != nil || r.body["renewal_threshold"] != nil {
		t.Errorf("thresholds reset: %s", r.raw)
	}
}

// TestPlanThresholdsOverrideDefaults renews a contract of a plan with thresholds 1 and 0
// only once every installment is paid.
func TestPlanThresholdsOverrideDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.must(http.StatusCreated, "POST", "/v1/plans", `{"name": "Trimestral", "price": "300.00", "period": "quarterly",
		"installments_per_term": 4, "renewal_queue_threshold": 1, "renewal_threshold": 0}`).id(t)
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-15", "due_date_rule": map[string]any{"kind": "anniversary"}}).id(t)
	b.generate("2026-07-20")
	b.pay(c, 1, 2, "300.00", paidQuarterlyFrom0115)
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 0, 0)) {
		t.Errorf("2 open: %v", got)
	}
	b.pay(c, 3, 3, "300.00", paidQuarterlyFrom0115)
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 1, 0, 0)) {
		t.Errorf("1 open: %v", got)
	}
	b.pay(c, 4, 4, "300.00", paidQuarterlyFrom0115)
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 1, 4)) {
		t.Errorf("0 open: %v", got)
	}
	got := b.installments(c)
	want := []string{
		"recurring 5 2027-01-15 300.00 open",
		"recurring 6 2027-04-15 300.00 open",
		"recurring 7 2027-07-15 300.00 open",
		"recurring 8 2027-10-15 300.00 open",
	}
	if len(got) != 8 || !reflect.DeepEqual(got[4:], want) {
		t.Errorf("installments %q, want term 2 %q", got, want)
	}
}
