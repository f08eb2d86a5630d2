package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billingd/billingd/api"
)

// TestCancellationReasons: the catalogue is seeded with five reasons; a contract's cancel
// without a reason is refused (422 naming reason) and writes nothing; with reason_code
// moved or reason_id of customer_request it is cancelled for that reason, shown on the
// contract; a reason added is listed and taken, a code taken twice is a conflict, a disabled
// reason is taken by no cancellation (422 naming reason_id) but stays on the contracts
// cancelled for it and in the list with ?all=true; the report counts by month and reason.
func TestCancellationReasons(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var codes []string
	for _, it := range b.must(http.StatusOK, "GET", "/v1/cancellation-reasons", nil).items(t) {
		codes = append(codes, fmt.Sprintf("%v %v %v %v", it["id"], it["code"], it["name"], it["active"]))
	}
	want := []string{"1 not_paid not paid true", "2 customer_request customer request true", "3 moved moved true",
		"4 deceased deceased true", "5 other other true"}
	if !reflect.DeepEqual(codes, want) {
		t.Errorf("catalogue %q, want %q", codes, want)
	}
	plan := b.plan("99.90", "")
	contract := func() int64 {
		return b.contract(plan, map[string]any{"adhesion_date": "2026-06-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	}
	c1, c2, c3, c4 := contract(), contract(), contract(), contract()
	before := b.snapshot()
	for _, tc := range []struct{ body, field, says string }{
		{`{"date": "2026-07-20"}`, "reason", "required"},
		{``, "reason", "required"},
		{`{"reason": "a pedido"}`, "reason", "reason_id or reason_code"},
		{`{"reason_code": "bankrupt"}`, "reason_code", `no cancellation reason with code "bankrupt"`},
		{`{"reason_id": 99}`, "reason_id", "no cancellation reason with id 99"},
		{`{"reason_id": 2, "reason_code": "moved"}`, "reason_code", "not both"},
	} {
		r := b.send("POST", fmt.Sprintf("/v1/contracts/%d/cancel", c1), tc.body)
		if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
			t.Errorf("cancel %s: %d %+v, want 422 naming %s saying %q", tc.body, r.status, e, tc.field, tc.says)
		}
	}
	if b.snapshot() != before {
		t.Errorf("refused cancellations wrote something")
	}
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c1), `{"date": "2026-07-20", "reason_code": "moved", "reason": "mudou para Recife"}`)
	if r.body["cancel_reason"] != "moved" || r.body["status"] != "cancelled" || r.body["cancelled_on"] != "2026-07-20" {
		t.Errorf("cancelled: %v %v %v", r.body["cancel_reason"], r.body["status"], r.body["cancelled_on"])
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c2), `{"date": "2026-06-30", "reason_id": 2}`)
	price := b.must(http.StatusCreated, "POST", "/v1/cancellation-reasons", `{"code": "price", "name": "price too high"}`)
	if price.body["code"] != "price" || price.body["active"] != true || price.body["disabled_at"] != nil {
		t.Errorf("created %v", price.body)
	}
	if r := b.send("POST", "/v1/cancellation-reasons", `{"code": "price", "name": "again"}`); r.status != http.StatusConflict {
		t.Errorf("a code taken twice: %d %s", r.status, r.raw)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c3), fmt.Sprintf(`{"date": "2026-07-01", "reason_id": %d}`, price.id(t)))
	disabled := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/cancellation-reasons/%d", price.id(t)), nil)
	if disabled.body["active"] != false || disabled.body["disabled_at"] == nil {
		t.Errorf("disabled %v", disabled.body)
	}
	if r := b.send("POST", fmt.Sprintf("/v1/contracts/%d/cancel", c4), `{"reason_code": "price"}`); r.status != 422 || r.err(t).Field != "reason_code" ||
		!strings.Contains(r.err(t).Message, "disabled") {
		t.Errorf("cancel for a disabled reason: %d %s", r.status, r.raw)
	}
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c3), nil).body["cancel_reason"]; got != "price" {
		t.Errorf("contract cancelled for the disabled reason shows %v", got)
	}
	if n := len(b.must(http.StatusOK, "GET", "/v1/cancellation-reasons", nil).items(t)); n != 5 {
		t.Errorf("%d active reasons, want 5", n)
	}
	if n := len(b.must(http.StatusOK, "GET", "/v1/cancellation-reasons?all=true", nil).items(t)); n != 6 {
		t.Errorf("%d reasons with ?all=true, want 6", n)
	}
	report := b.must(http.StatusOK, "GET", "/v1/reports/cancellations?from=2026-06-01&to=2026-07-31", nil).body
	wantReport := map[string]any{"from": "2026-06-01", "to": "2026-07-31", "items": []any{
		map[string]any{"month": "2026-06", "reason_id": 2.0, "reason_code": "customer_request", "reason_name": "customer request", "contracts": 1.0},
		map[string]any{"month": "2026-07", "reason_id": 3.0, "reason_code": "moved", "reason_name": "moved", "contracts": 1.0},
		map[string]any{"month": "2026-07", "reason_id": 6.0, "reason_code": "price", "reason_name": "price too high", "contracts": 1.0},
	}}
	if !reflect.DeepEqual(report, wantReport) {
		t.Errorf("report\n%v\nwant\n%v", report, wantReport)
	}
	if items := b.must(http.StatusOK, "GET", "/v1/reports/cancellations?from=2026-07-02", nil).body["items"].([]any); len(items) != 1 {
		t.Errorf("report from 2026-07-02: %v", items)
	}
	if r := b.send("GET", "/v1/reports/cancellations?from=2026-08-01&to=2026-07-01", nil); r.status != 400 || r.err(t).Field != "to" {
		t.Errorf("to before from: %d %s", r.status, r.raw)
	}
	b.rerunChangesNothing("2026-07-20")
}

// TestCancelReasonOptional: with BILLINGD_CANCEL_REASON_REQUIRED=false a contract is
// cancelled without a reason (cancel_reason null), and a reason given is still checked.
func TestCancelReasonOptional(t *testing.T) {
	t.Parallel()
	b := setupWith(t, nil, func(c *api.Config) { c.CancelReasonOptional = true })
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-06-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	if r := b.send("POST", fmt.Sprintf("/v1/contracts/%d/cancel", c), `{"reason_code": "bankrupt"}`); r.status != 422 || r.err(t).Field != "reason_code" {
		t.Errorf("an unknown reason: %d %s", r.status, r.raw)
	}
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c), nil)
	if r.body["status"] != "cancelled" || r.body["cancel_reason"] != nil {
		t.Errorf("cancelled without a reason: %v %v", r.body["status"], r.body["cancel_reason"])
	}
}
