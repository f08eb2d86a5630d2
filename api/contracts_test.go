package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestCreateContractFixedDay31 creates a contract due on day 31 with an adhesion fee of
// 100.00 in 3 and checks the contract and, after the generate sweep, every installment.
func TestCreateContractFixedDay31(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "80.00")
	customer := b.customer()
	created := b.must(http.StatusCreated, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d,
		"adhesion_date": "2026-07-20", "due_date_rule": {"kind": "fixed_day", "day": 31},
		"adhesion_fee": "100.00", "adhesion_installments": 3, "price": "89.90", "on_time_discount": "4.5"}`, customer, plan))
	want := map[string]any{
		"customer_id": float64(customer), "plan_id": float64(plan), "status": "active", "price": "89.90",
		"adhesion_date": "2026-07-20", "wait_activation": false, "activation_date": "2026-07-20",
		"due_date_rule":  map[string]any{"kind": "fixed_day", "day": 31.0, "shift": "next"},
		"billing_method": "per_installment", "payment_method": "boleto", "card_installments": 1.0,
		"discount": "0.00", "on_time_discount": "4.50", "adhesion_fee": "100.00", "adhesion_installments": 3.0,
		"generate_now": false, "auto_renew": true, "ignore_auto_renewal": false, "renewal_price_mode": "plan_price",
		"suggested_price": nil, "term_number": 1.0, "term_end": nil, "paid_through": nil, "cancelled_on": nil, "scheduled_changes": []any{}, "paused_from": nil, "paused_until": nil,
		"renewal_state": "none", "queued_on": nil,
		"blocking_rule_id": nil, "inactivity_discount": false, "allow_credit": false, "blocked": false, "trust_unlock_until": nil,
		"block_episodes": []any{}, "late_fine_percent": nil, "monthly_interest_percent": nil, "end_reason": nil, "ended_on": nil,
		"cancel_reason": nil, "activate_on_first_payment": false, "activation_deadline": nil,
		"ladder": map[string]any{"profile": "generic", "step": "none", "since": nil, "next_step": nil, "next_step_on": nil,
			"waiting": nil, "suspended": false, "trust_unlock_until": nil, "trigger_installment_id": nil, "notice_on": nil,
			"notice_sent_on": nil, "partial_suspension_on": nil, "suspension_on": nil, "termination_on": nil,
			"days_in_default": nil, "notice_deadline": nil, "reason": "not on the ladder: no open installment"},
	}
	if got := without(created.body, "id", "created_at"); !reflect.DeepEqual(got, want) {
		t.Errorf("created\n%v\nwant\n%v", got, want)
	}
	id := created.id(t)
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", id), nil); !reflect.DeepEqual(got.body, created.body) {
		t.Errorf("GET %v, want %v", got.body, created.body)
	}

	if got := b.generate("2026-07-20"); got["contracts"] != 1 || got["installments_created"] != 15 {
		t.Errorf("sweep counts %v, want 1 contract and 15 installments", got)
	}
	wantInst := []string{
		"adhesion 1 2026-07-20 33.34 open",
		"adhesion 2 2026-08-20 33.33 open",
		"adhesion 3 2026-09-21 33.33 open", // 20 Sep is a Sunday
		"recurring 1 2026-07-31 89.90 open",
		"recurring 2 2026-08-31 89.90 open",
		"recurring 3 2026-09-30 89.90 open", // day 31 clamped to 30
		"recurring 4 2026-11-03 89.90 open", // 31 Oct is a Saturday, 2 Nov Finados
		"recurring 5 2026-11-30 89.90 open",
		"recurring 6 2026-12-31 89.90 open",
		"recurring 7 2027-02-01 89.90 open", // 31 Jan 2027 is a Sunday
		"recurring 8 2027-03-01 89.90 open", // 28 Feb 2027 is a Sunday
		"recurring 9 2027-03-31 89.90 open",
		"recurring 10 2027-04-30 89.90 open",
		"recurring 11 2027-05-31 89.90 open",
		"recurring 12 2027-06-30 89.90 open",
	}
	if got := b.installments(id); !reflect.DeepEqual(got, wantInst) {
		t.Errorf("installments\n%q\nwant\n%q", got, wantInst)
	}
	// The installment's own fields, in full, for the first recurring one.
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments?contract_id=%d&due_from=2026-07-31&due_to=2026-07-31", id), nil)
	wantFirst := []map[string]any{{
		"contract_id": float64(id), "kind": "recurring", "term": 1.0, "sequence": 1.0,
		"service_start": "2026-07-20", "service_end": "2026-08-19", "nominal_due": "2026-07-31", "due_date": "2026-07-31",
		"amount": "89.90", "discount": "0.00", "on_time_discount": "4.50", "state": "open", "paid_at": nil, "paid_amount": nil,
		"paid": "0.00", "credit": nil, "lines": []any{map[string]any{"kind": "plan", "description": "plan, term 1 installment 1: service 2026-07-20 to 2026-08-19",
			"quantity": "1", "unit_price": "89.90", "amount": "89.90"}},
		"instruments": nil,
	}}
	items := r.items(t)
	for i := range items {
		items[i] = without(items[i], "id")
	}
	if !reflect.DeepEqual(items, wantFirst) || r.body["next_after"] != nil {
		t.Errorf("GET %s\nwant %v", r.raw, wantFirst)
	}
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", id), nil).body["term_end"]; got != "2027-07-19" {
		t.Errorf("term_end %v, want 2027-07-19", got)
	}
	// A second sweep creates nothing.
	if got := b.generate("2026-07-21"); got["installments_created"] != 0 {
		t.Errorf("second sweep counts %v, want nothing created", got)
	}
}

func TestListInstallmentFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	rule := map[string]any{"kind": "fixed_day", "day": 10}
	c1 := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	c2 := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	b.generate("2026-07-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c1, "recurring", 1)),
		`{"amount": "99.90", "paid_at": "2026-07-10"}`)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c2), `{"date": "2026-09-30", "reason_code": "other"}`)
	tests := []struct {
		query string
		want  []string // "contract sequence due_date state"
	}{
		{fmt.Sprintf("?contract_id=%d&state=paid", c1), []string{"1 1 2026-07-10 paid"}},
		{fmt.Sprintf("?contract_id=%d&due_from=2026-09-01&due_to=2026-10-31", c1), []string{"1 3 2026-09-10 open", "1 4 2026-10-13 open"}},
		{"?due_to=2026-08-10&state=open", []string{"1 2 2026-08-10 open", "2 1 2026-07-10 open", "2 2 2026-08-10 open"}},
		{"?due_from=2027-06-01&limit=500", []string{"1 12 2027-06-10 open", "2 12 2027-06-10 cancelled"}},
		{fmt.Sprintf("?contract_id=%d&state=cancelled&due_to=2026-12-31", c2), []string{"2 4 2026-10-13 cancelled", "2 5 2026-11-10 cancelled", "2 6 2026-12-10 cancelled"}},
		{"?contract_id=999999", nil},
	}
	for _, tt := range tests {
		r := b.must(http.StatusOK, "GET", "/v1/installments"+tt.query, nil)
		var got []string
		for _, it := range r.items(t) {
			got = append(got, fmt.Sprintf("%v %v %v %v", int64(it["contract_id"].(float64))-c1+1, it["sequence"], it["due_date"], it["state"]))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("GET /v1/installments%s = %q, want %q", tt.query, got, tt.want)
		}
	}
	// Pages of 10 over 24 installments.
	first := b.must(http.StatusOK, "GET", "/v1/installments?limit=10", nil)
	after := first.body["next_after"].(float64)
	second := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments?limit=10&after=%v", after), nil)
	third := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments?limit=10&after=%v", second.body["next_after"]), nil)
	if n := []int{len(first.items(t)), len(second.items(t)), len(third.items(t))}; !reflect.DeepEqual(n, []int{10, 10, 4}) || third.body["next_after"] != nil {
		t.Errorf("pages of %v, last next_after %v; want 10, 10, 4 and null", n, third.body["next_after"])
	}
	if got := second.items(t)[0]["id"].(float64); got <= after {
		t.Errorf("second page starts at id %v, want after %v", got, after)
	}
}

func TestActivateContract(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("120.00", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-10", "wait_activation": true,
		"due_date_rule": map[string]any{"kind": "anniversary"}, "adhesion_fee": "50.00", "adhesion_installments": 2})
	if c.body["status"] != "pending_activation" || c.body["activation_date"] != nil {
		t.Fatalf("created %s, want pending_activation without activation_date", c.raw)
	}
	id := c.id(t)
	if got := b.generate("2026-07-20"); got["installments_created"] != 0 {
		t.Errorf("sweep before activation: %v, want nothing created", got)
	}
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/activate", id), `{"date": "2026-07-15"}`)
	if r.body["status"] != "active" || r.body["activation_date"] != "2026-07-15" || r.body["adhesion_date"] != "2026-07-10" {
		t.Errorf("activated %s, want active from 2026-07-15", r.raw)
	}
	b.generate("2026-07-20")
	got := b.installments(id)
	want := []string{
		"adhesion 1 2026-07-10 25.00 open",
		"adhesion 2 2026-08-10 25.00 open",
		"recurring 1 2026-07-15 120.00 open",
		"recurring 2 2026-08-17 120.00 open", // 15 Aug is a Saturday
		"recurring 3 2026-09-15 120.00 open",
	}
	if len(got) != 14 || !reflect.DeepEqual(got[:5], want) {
		t.Errorf("installments %q, want 14 starting %q", got, want)
	}
	if e := b.must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/activate", id), `{"date": "2026-07-16"}`).err(t); e.Field != "id" {
		t.Errorf("second activation: %+v, want conflict on id", e)
	}
}

func TestCancelContract(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	rule := map[string]any{"kind": "fixed_day", "day": 10}
	id := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	today := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	b.generate("2026-07-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(id, "recurring", 1)),
		`{"amount": "99.90", "paid_at": "2026-07-10"}`)

	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", id), `{"date": "2026-08-10", "reason_code": "customer_request"}`)
	if r.body["status"] != "cancelled" || r.body["cancelled_on"] != "2026-08-10" || r.body["paid_through"] != "2026-07-31" {
		t.Errorf("cancelled %s, want cancelled on 2026-08-10, paid through 2026-07-31", r.raw)
	}
	got := b.installments(id)
	want := []string{
		"recurring 1 2026-07-10 99.90 paid",
		"recurring 2 2026-08-10 99.90 open", // due on the cancellation date: still owed
		"recurring 3 2026-09-10 99.90 cancelled",
		"recurring 4 2026-10-13 99.90 cancelled",
	}
	if len(got) != 12 || !reflect.DeepEqual(got[:4], want) || got[11] != "recurring 12 2027-06-10 99.90 cancelled" {
		t.Errorf("installments %q, want 12 starting %q", got, want)
	}

	// Without a body the contract is cancelled today (2026-07-20 in São Paulo).
	r = b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", today), `{"reason_code": "moved"}`)
	if r.body["cancelled_on"] != "2026-07-20" {
		t.Errorf("cancelled_on %v, want 2026-07-20", r.body["cancelled_on"])
	}
	if got := b.installments(today)[:2]; !reflect.DeepEqual(got, []string{"recurring 1 2026-07-10 99.90 open", "recurring 2 2026-08-10 99.90 cancelled"}) {
		t.Errorf("installments %q", got)
	}
	// A cancelled contract gets no more installments, and its list filter works.
	if got := b.generate("2027-08-01"); got["installments_created"] != 0 {
		t.Errorf("sweep after cancel: %v", got)
	}
	l := b.must(http.StatusOK, "GET", "/v1/contracts?status=cancelled", nil)
	if items := l.items(t); len(items) != 2 {
		t.Errorf("cancelled contracts: %s", l.raw)
	}
}

// TestLargeIDFilters filters lists by ids beyond 32 bits: nothing matches, and nothing fails.
func TestLargeIDFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{
		"/v1/contracts?customer_id=99999999999",
		"/v1/installments?contract_id=99999999999",
		"/v1/plans?after=99999999999",
	} {
		r := b.must(http.StatusOK, "GET", path, nil)
		if items := r.items(t); len(items) != 0 || r.body["next_after"] != nil {
			t.Errorf("GET %s: %s", path, r.raw)
		}
	}
}
