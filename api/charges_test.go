package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestChargeSplitOnNextInstallments: a technical visit of 100.00 in 3 on 2026-07-20 is
// billed as 'charge' lines of 33.34 (the remainder cent on the first), 33.33 and 33.33 on
// the three next open installments falling due from that day (due 2026-08-10, 2026-09-10
// and 2026-10-13), not on the one due 2026-07-10; repeating the idempotency key answers 200
// with the same charge and changes nothing, a different charge under it is a 409.
func TestChargeSplitOnNextInstallments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	path := fmt.Sprintf("/v1/contracts/%d/charges", c)
	body := map[string]any{"description": "Visita técnica", "amount": "100.00", "installments": 3, "idempotency_key": "os-4711"}
	r := b.must(http.StatusCreated, "POST", path, body)
	type part struct{ due, amount, description string }
	var got []part
	for _, raw := range r.body["parts"].([]any) {
		p := raw.(map[string]any)
		got = append(got, part{p["due_date"].(string), p["amount"].(string), p["description"].(string)})
	}
	want := []part{{"2026-08-10", "33.34", "Visita técnica (part 1 of 3)"}, {"2026-09-10", "33.33", "Visita técnica (part 2 of 3)"},
		{"2026-10-13", "33.33", "Visita técnica (part 3 of 3)"}}
	if !reflect.DeepEqual(got, want) || r.body["amount"] != "100.00" || r.body["idempotency_key"] != "os-4711" {
		t.Errorf("charge %s, want parts %v", r.raw, want)
	}
	rows := b.installments(c)[:5]
	wantRows := []string{"recurring 1 2026-07-10 99.90 open", "recurring 2 2026-08-10 133.24 open",
		"recurring 3 2026-09-10 133.23 open", "recurring 4 2026-10-13 133.23 open", "recurring 5 2026-11-10 99.90 open"}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("installments\n%q\nwant\n%q", rows, wantRows)
	}
	wantLines := []string{"plan 99.90 × 1 at 99.90: plan, term 1 installment 2: service 2026-08-01 to 2026-08-31",
		"charge 33.34: Visita técnica (part 1 of 3)"}
	if got := b.linesOf(c, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("installment 2 lines\n%q\nwant\n%q", got, wantLines)
	}
	before := b.snapshot()
	again := b.must(http.StatusOK, "POST", path, body)
	if again.body["id"] != r.body["id"] {
		t.Errorf("repeated key answered charge %v, want %v", again.body["id"], r.body["id"])
	}
	body["amount"] = "120.00"
	if e := b.send("POST", path, body); e.status != http.StatusConflict {
		t.Errorf("a different charge under the same key: %d %s, want 409", e.status, e.raw)
	}
	b.generate("2026-07-20")
	if b.snapshot() != before {
		t.Error("a repeated request or a rerun of generation changed the installments or their lines")
	}
	list := b.must(http.StatusOK, "GET", path, nil).items(t)
	if len(list) != 1 || list[0]["id"] != r.body["id"] {
		t.Errorf("charges list %v, want the one charge", list)
	}
	// Without a split the charge is one line on the next installment.
	one := b.must(http.StatusCreated, "POST", path, map[string]any{"description": "Roteador", "amount": "250.00"})
	if parts := one.body["parts"].([]any); len(parts) != 1 || parts[0].(map[string]any)["due_date"] != "2026-08-10" ||
		parts[0].(map[string]any)["description"] != "Roteador" {
		t.Errorf("one-part charge %s", one.raw)
	}
}

// TestChargeRefusals: bad input is a 4xx naming the field and writes nothing; a closed
// contract is a 409 and an unknown one a 404.
func TestChargeRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	closed := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.exec("UPDATE contracts SET status = 'cancelled' WHERE id = $1", closed)
	path := fmt.Sprintf("/v1/contracts/%d/charges", c)
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"no description", path, map[string]any{"amount": "10.00"}, 422, "description"},
		{"blank description", path, map[string]any{"description": "  ", "amount": "10.00"}, 422, "description"},
		{"no amount", path, map[string]any{"description": "Visita"}, 422, "amount"},
		{"zero amount", path, map[string]any{"description": "Visita", "amount": "0.00"}, 422, "amount"},
		{"negative amount", path, map[string]any{"description": "Visita", "amount": "-10.00"}, 422, "amount"},
		{"fractions of a cent", path, map[string]any{"description": "Visita", "amount": "10.005"}, 422, "amount"},
		{"zero installments", path, map[string]any{"description": "Visita", "amount": "10.00", "installments": 0}, 422, "installments"},
		{"61 installments", path, map[string]any{"description": "Visita", "amount": "10.00", "installments": 61}, 422, "installments"},
		{"fewer cents than parts", path, map[string]any{"description": "Visita", "amount": "0.02", "installments": 3}, 422, "installments"},
		{"more parts than open installments ahead", path, map[string]any{"description": "Visita", "amount": "120.00", "installments": 12}, 422, "installments"},
		{"blank idempotency key", path, map[string]any{"description": "Visita", "amount": "10.00", "idempotency_key": " "}, 422, "idempotency_key"},
		{"closed contract", fmt.Sprintf("/v1/contracts/%d/charges", closed), map[string]any{"description": "Visita", "amount": "10.00"}, 409, "id"},
		{"unknown contract", "/v1/contracts/999999/charges", map[string]any{"description": "Visita", "amount": "10.00"}, 404, "id"},
	}
	before := b.snapshot()
	for _, tt := range tests {
		r := b.send("POST", tt.path, tt.body)
		if r.status != tt.status || r.err(t).Field != tt.field {
			t.Errorf("%s: %d %s, want %d naming %s", tt.name, r.status, r.raw, tt.status, tt.field)
		}
	}
	if b.snapshot() != before {
		t.Error("a refused charge wrote something")
	}
}
