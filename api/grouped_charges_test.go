package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/billingd/billingd/boleto"
)

// TestGroupedChargeEndToEnd is issue 19 item 5's must-show: a customer billed grouped with
// two contracts (99.90 and 49.95) due on the 10th has one charge for 2026-07-10 of 149.85
// with one boleto (its barcode carries 149.85 and the due date) and one PIX payload (txid
// BLDG<id>), and its installments have no instruments of their own; a partial payment is
// refused with 422 naming amount and writes nothing; paying 149.85 pays both installments,
// each its own amount; the same payment again answers the same payments; a settled charge
// is 409 and an unknown one 404; a rerun of generation changes nothing; the customer billed
// per installment keeps its own instruments.
func TestGroupedChargeEndToEnd(t *testing.T) {
	t.Parallel()
	b, single := paymentsFixture(t)
	customer := b.customer()
	contract := func(price string) int64 {
		return b.must(http.StatusCreated, "POST", "/v1/contracts", map[string]any{"customer_id": customer, "plan_id": b.plan(price, ""),
			"billing_method": "grouped", "adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	}
	c1, c2 := contract("99.90"), contract("49.95")
	b.generate("2026-07-20")

	list := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/customers/%d/grouped-charges", customer), nil).items(t)
	if len(list) != 12 {
		t.Fatalf("%d grouped charges, want 12 (one per due date of the term)", len(list))
	}
	first := list[0]
	id := int64(first["id"].(float64))
	insts := first["installments"].([]any)
	if first["due_date"] != "2026-07-10" || first["amount"] != "149.85" || first["state"] != "open" || len(insts) != 2 {
		t.Fatalf("first charge %v", first)
	}
	for i, want := range []struct {
		contract int64
		amount   string
	}{{c1, "99.90"}, {c2, "49.95"}} {
		m := insts[i].(map[string]any)
		if int64(m["contract_id"].(float64)) != want.contract || m["amount"] != want.amount || m["state"] != "open" {
			t.Errorf("installment %d of the charge: %v, want contract %d asking %s", i, m, want.contract, want.amount)
		}
	}
	in := first["instruments"].(map[string]any)
	if in["amount"] != "149.85" || in["due_date"] != "2026-07-10" || in["txid"] != fmt.Sprintf("BLDG%d", id) {
		t.Errorf("charge instruments %v", in)
	}
	code, err := boleto.ParseBarcode(fmt.Sprint(in["barcode"]))
	if err != nil || !code.DueDate.Equal(time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)) || code.Amount.StringFixed(2) != "149.85" {
		t.Errorf("charge barcode reads %+v, %v", code, err)
	}
	for _, c := range []int64{c1, c2} {
		inst := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 1)), nil)
		if inst.body["instruments"] != nil {
			t.Errorf("grouped contract %d's installment has instruments of its own: %v", c, inst.body["instruments"])
		}
	}
	own := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", b.installmentID(single, "recurring", 1)), nil)
	if ins, _ := own.body["instruments"].(map[string]any); ins == nil || ins["amount"] != "99.90" {
		t.Errorf("per-installment contract's instruments: %v", own.body["instruments"])
	}

	before := b.snapshot()
	path := fmt.Sprintf("/v1/grouped-charges/%d/payments", id)
	r := b.send("POST", path, map[string]any{"amount": "149.84", "paid_at": "2026-07-10"})
	if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != "amount" || e.Message != "amount: a grouped charge is paid whole: want 149.85 on 2026-07-10, got 149.84" {
		t.Errorf("partial payment: %d %s", r.status, r.raw)
	}
	if b.snapshot() != before {
		t.Error("a refused charge payment wrote to the database")
	}
	paid := b.must(http.StatusOK, "POST", path, map[string]any{"amount": "149.85", "paid_at": "2026-07-10", "reference": "g-1"})
	pays := paid.body["payments"].([]any)
	if paid.body["state"] != "paid" || paid.body["amount"] != "0.00" || len(pays) != 2 {
		t.Fatalf("paid charge %s", paid.raw)
	}
	for i, want := range []struct {
		contract int64
		amount   string
	}{{c1, "99.90"}, {c2, "49.95"}} {
		p := pays[i].(map[string]any)
		if int64(p["contract_id"].(float64)) != want.contract || p["amount"] != want.amount || p["principal"] != want.amount ||
			p["paid_at"] != "2026-07-10" || p["reference"] != fmt.Sprintf("api:g-1:installment:%d", b.installmentID(want.contract, "recurring", 1)) {
			t.Errorf("payment %d: %v, want %s of contract %d", i, p, want.amount, want.contract)
		}
	}
	for _, c := range []int64{c1, c2} {
		inst := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 1)), nil)
		if inst.body["state"] != "paid" || inst.body["paid_at"] != "2026-07-10" {
			t.Errorf("contract %d's installment after the charge's payment: %s %v", c, inst.body["state"], inst.body["paid_at"])
		}
	}
	afterPay := b.snapshot()
	again := b.must(http.StatusOK, "POST", path, map[string]any{"amount": "149.85", "paid_at": "2026-07-10", "reference": "g-1"})
	if fmt.Sprint(again.body["payments"]) != fmt.Sprint(paid.body["payments"]) || b.snapshot() != afterPay {
		t.Errorf("the same payment again: %s", again.raw)
	}
	if r := b.send("POST", path, map[string]any{"amount": "149.85", "paid_at": "2026-07-10", "reference": "g-2"}); r.status != http.StatusConflict {
		t.Errorf("paying a settled charge: %d %s", r.status, r.raw)
	}
	if r := b.send("POST", "/v1/grouped-charges/999999/payments", map[string]any{"amount": "1.00", "paid_at": "2026-07-10"}); r.status != http.StatusNotFound {
		t.Errorf("unknown charge: %d %s", r.status, r.raw)
	}
	if r := b.send("GET", "/v1/grouped-charges/999999", nil); r.status != http.StatusNotFound {
		t.Errorf("GET unknown charge: %d %s", r.status, r.raw)
	}
	if r := b.send("GET", "/v1/customers/999999/grouped-charges", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown customer's charges: %d %s", r.status, r.raw)
	}

	charges := func() string {
		var s string
		if err := b.pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM grouped_charges) || '/' ||
				(SELECT count(*) FROM grouped_charge_installments) || '/' ||
				(SELECT string_agg(charge_id || ':' || amount || ':' || made_at, ',' ORDER BY charge_id) FROM grouped_charge_instruments)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	beforeRerun, snap := charges(), b.snapshot()
	b.generate("2026-07-20")
	b.generate("2026-07-21")
	if charges() != beforeRerun || b.snapshot() != snap {
		t.Errorf("a rerun of generation changed something:\n%s\n%s", beforeRerun, charges())
	}
	one := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/grouped-charges/%d", id), nil)
	if one.body["state"] != "paid" || one.body["due_date"] != "2026-07-10" {
		t.Errorf("GET the paid charge: %s", one.raw)
	}
}
