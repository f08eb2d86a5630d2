package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

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

// TestGroupedChargePaidLate: a customer billed grouped with two contracts (99.90 and 49.95,
// on a plan with a 2.00% fine and the default 1% a month of interest) due Friday 2026-07-10
// pays the charge on 2026-07-20, ten days late. It asks 153.35 that day: 99.90 + 2.00 fine +
// 0.33 interest = 102.23 and 49.95 + 1.00 + 0.17 = 51.12. The on-time 149.85 is refused
// (422 naming amount and the 153.35 asked on 2026-07-20) and writes nothing; 153.35 pays
// each installment what it asks, both paid on 2026-07-20 with their late_fine and
// late_interest lines — for 99.90 the very lines of a per-installment contract of 99.90 on
// the same plan paid 102.23 that day; the same payment again answers the same payments and
// writes nothing.
func TestGroupedChargePaidLate(t *testing.T) {
	t.Parallel()
	b, _ := paymentsFixture(t)
	customer := b.customer()
	plan := func(price string) int64 {
		return b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Plano com multa", "price": price,
			"period": "monthly", "installments_per_term": 12, "late_fine_percent": "2.00"}).id(t)
	}
	p99, p49 := plan("99.90"), plan("49.95")
	contract := func(customer, plan int64, method string) int64 {
		return b.must(http.StatusCreated, "POST", "/v1/contracts", map[string]any{"customer_id": customer, "plan_id": plan,
			"billing_method": method, "adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	}
	c1, c2 := contract(customer, p99, "grouped"), contract(customer, p49, "grouped")
	control := contract(b.customer(), p99, "per_installment")
	b.generate("2026-07-20")
	id := int64(b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/customers/%d/grouped-charges", customer), nil).items(t)[0]["id"].(float64))
	path := fmt.Sprintf("/v1/grouped-charges/%d/payments", id)

	before := b.snapshot()
	r := b.send("POST", path, map[string]any{"amount": "149.85", "paid_at": "2026-07-20", "reference": "late-1"})
	if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != "amount" || e.Message != "amount: a grouped charge is paid whole: "+
		"want 153.35 on 2026-07-20 (149.85 of principal plus 3.50 of fine and interest accrued after the due date), got 149.85" {
		t.Errorf("the on-time amount paid late: %d %s", r.status, r.raw)
	}
	if b.snapshot() != before {
		t.Error("a refused charge payment wrote to the database")
	}

	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(control, "recurring", 1)),
		map[string]any{"amount": "102.23", "paid_at": "2026-07-20"})
	paid := b.must(http.StatusOK, "POST", path, map[string]any{"amount": "153.35", "paid_at": "2026-07-20", "reference": "late-1"})
	pays := paid.body["payments"].([]any)
	if paid.body["state"] != "paid" || paid.body["amount"] != "0.00" || len(pays) != 2 {
		t.Fatalf("paid charge %s", paid.raw)
	}
	total := decimal.Zero
	for i, want := range []struct {
		contract                              int64
		amount, principal, fine, interest, at string
	}{{c1, "102.23", "99.90", "2.00", "0.33", "2026-07-20"}, {c2, "51.12", "49.95", "1.00", "0.17", "2026-07-20"}} {
		p := pays[i].(map[string]any)
		inst := b.installmentID(want.contract, "recurring", 1)
		if int64(p["contract_id"].(float64)) != want.contract || p["amount"] != want.amount || p["principal"] != want.principal ||
			p["fine"] != want.fine || p["interest"] != want.interest || p["paid_at"] != want.at ||
			p["reference"] != fmt.Sprintf("api:late-1:installment:%d", inst) {
			t.Errorf("payment %d: %v, want %s (%s + %s + %s) of contract %d", i, p, want.amount, want.principal, want.fine, want.interest, want.contract)
		}
		total = total.Add(decimal.RequireFromString(p["amount"].(string)))
		got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", inst), nil).body
		if got["state"] != "paid" || got["paid_at"] != want.at || got["paid_amount"] != want.amount || got["amount"] != want.amount ||
			got["discount"] != "0.00" {
			t.Errorf("contract %d's installment after the charge's late payment: %v", want.contract, got)
		}
		wantLines := []string{
			fmt.Sprintf("late_fine %s: late fine of 2.00%% (settled 2026-07-20, late after 2026-07-10)", want.fine),
			fmt.Sprintf("late_interest %s × 10 at <nil>: interest of 1.00%% a month pro rata die for 10 days on the principal "+
				"outstanding (settled 2026-07-20)", want.interest),
		}
		lines := b.linesOf(want.contract, "recurring", 1)
		if len(lines) != 3 || !reflect.DeepEqual(lines[1:], wantLines) {
			t.Errorf("contract %d's lines\n%q\nwant the plan line and\n%q", want.contract, lines, wantLines)
		}
	}
	if !total.Equal(decimal.RequireFromString("153.35")) {
		t.Errorf("the charge's payments add up to %s, want 153.35", total)
	}
	if got, want := b.linesOf(c1, "recurring", 1)[1:], b.linesOf(control, "recurring", 1)[1:]; !reflect.DeepEqual(got, want) {
		t.Errorf("the grouped 99.90's late lines %q differ from the single 99.90's %q", got, want)
	}

	afterPay := b.snapshot()
	again := b.must(http.StatusOK, "POST", path, map[string]any{"amount": "153.35", "paid_at": "2026-07-20", "reference": "late-1"})
	if fmt.Sprint(again.body["payments"]) != fmt.Sprint(paid.body["payments"]) || b.snapshot() != afterPay {
		t.Errorf("the same payment again: %s", again.raw)
	}
}
