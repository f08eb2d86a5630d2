package api_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billingd/billingd/postgres"
)

// lateContract creates a contract priced 99.90 with a 10.00 discount and a 5.00 on-time
// discount on a plan with a 2.00% late fine (interest: the default 1.00% a month), due on
// day 10 from adhesion, with extra fields, generates its installments and returns it.
func (b *bundle) lateContract(adhesion string, extra map[string]any) int64 {
	b.t.Helper()
	plan := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Plano com multa", "price": "99.90",
		"period": "monthly", "installments_per_term": 12, "late_fine_percent": "2.00"}).id(b.t)
	body := map[string]any{"adhesion_date": adhesion, "discount": "10.00", "on_time_discount": "5.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}
	for k, v := range extra {
		body[k] = v
	}
	c := b.contract(plan, body).id(b.t)
	b.generate(adhesion)
	return c
}

// amountDue returns GET /v1/installments/{id}?on=on's amount_due as "field value" pairs.
func (b *bundle) amountDue(id int64, on string) map[string]any {
	b.t.Helper()
	return b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d?on=%s", id, on), nil).body["amount_due"].(map[string]any)
}

// dueRow is amount_due's parts as one comparable row.
type dueRow struct {
	amount, discount, onTime, fine, interest, paid, principal, balance string
	late                                                               bool
	daysLate                                                           float64
	graceDay                                                           string
}

func toDueRow(d map[string]any) dueRow {
	return dueRow{d["amount"].(string), d["discount"].(string), d["on_time_discount"].(string), d["fine"].(string),
		d["interest"].(string), d["paid"].(string), d["principal"].(string), d["balance"].(string), d["late"].(bool),
		d["days_late"].(float64), d["grace_day"].(string)}
}

// TestInstallmentAmountDue: GET /v1/installments/{id}?on=D shows what the installment asks
// on D with its parts, to the cent. 99.90 less 10.00, due Wednesday 2026-06-10: 84.90 with
// the on-time discount through the due date; after it the 2.00% fine of the plan (1.80) and
// 1/30 of 1% a day of interest on 89.90. Due Saturday 2026-06-13 without a business-day
// shift: payable at no cost through Monday 06-15 (Lei 7.089/83), late from 06-16 with three
// days of interest.
func TestInstallmentAmountDue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wednesday := b.installmentID(b.lateContract("2026-06-01", nil), "recurring", 1)
	saturday := b.installmentID(b.lateContract("2026-06-01", map[string]any{
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 13, "shift": "none"}}), "recurring", 1)
	tests := []struct {
		name string
		id   int64
		on   string
		want dueRow
	}{
		{"before the due date", wednesday, "2026-06-01", dueRow{"99.90", "10.00", "5.00", "0.00", "0.00", "0.00", "89.90", "84.90", false, 0, "2026-06-10"}},
		{"on the due date", wednesday, "2026-06-10", dueRow{"99.90", "10.00", "5.00", "0.00", "0.00", "0.00", "89.90", "84.90", false, 0, "2026-06-10"}},
		{"1 day late: fine 1.80, interest 0.03", wednesday, "2026-06-11", dueRow{"99.90", "10.00", "0.00", "1.80", "0.03", "0.00", "89.90", "91.73", true, 1, "2026-06-10"}},
		{"10 days late: interest 0.30", wednesday, "2026-06-20", dueRow{"99.90", "10.00", "0.00", "1.80", "0.30", "0.00", "89.90", "92.00", true, 10, "2026-06-10"}},
		{"40 days late, across a month end: interest 1.20", wednesday, "2026-07-20", dueRow{"99.90", "10.00", "0.00", "1.80", "1.20", "0.00", "89.90", "92.90", true, 40, "2026-06-10"}},
		{"due on a Saturday, asked on Monday", saturday, "2026-06-15", dueRow{"99.90", "10.00", "5.00", "0.00", "0.00", "0.00", "89.90", "84.90", false, 0, "2026-06-15"}},
		{"due on a Saturday, asked on Tuesday: 3 days", saturday, "2026-06-16", dueRow{"99.90", "10.00", "0.00", "1.80", "0.09", "0.00", "89.90", "91.79", true, 3, "2026-06-15"}},
	}
	for _, tt := range tests {
		if got := toDueRow(b.amountDue(tt.id, tt.on)); got != tt.want {
			t.Errorf("%s: amount_due %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
	// Without ?on= it is today (2026-07-20), and an unknown installment is a 404.
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", wednesday), nil).body["amount_due"].(map[string]any)["on"]; got != "2026-07-20" {
		t.Errorf("amount_due on %v, want today 2026-07-20", got)
	}
	if e := b.must(http.StatusNotFound, "GET", "/v1/installments/999999", nil).err(t); e.Field != "id" {
		t.Errorf("unknown installment: %+v", e)
	}
}

// TestPartialThenRest pays an installment due 2026-06-10 (99.90 less 10.00, a 2.00% fine)
// in two parts: 50.00 on 06-20 pays the fine (1.80) and the interest (0.30) accrued then, and
// 47.90 of principal, leaving 42.00 open; 10 days later the rest is 42.14 (0.14 of interest
// on the 42.00). The payment that settles it writes the late fine and interest lines (1.80
// and 0.44 for 20 days), keyed by it; the installment's amount is then what was charged.
func TestPartialThenRest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.lateContract("2026-06-01", nil)
	id := b.installmentID(c, "recurring", 1)
	path := fmt.Sprintf("/v1/installments/%d/payments", id)
	first := b.must(http.StatusOK, "POST", path, `{"amount": "50.00", "paid_at": "2026-06-20"}`).body
	if first["state"] != "open" || first["balance"] != "42.00" || first["paid"] != "50.00" || first["paid_at"] != nil || first["credit"] != nil {
		t.Errorf("after 50.00: %v", first)
	}
	p1 := first["payment"].(map[string]any)
	if got := fmt.Sprint(p1["principal"], " ", p1["fine"], " ", p1["interest"], " ", p1["credit"]); got != "47.90 1.80 0.30 0.00" {
		t.Errorf("the first payment imputed %s, want 47.90 1.80 0.30 0.00", got)
	}
	// Out of date order, above the balance: refused, nothing written.
	before := b.snapshot()
	if e := b.must(http.StatusUnprocessableEntity, "POST", path, `{"amount": "10.00", "paid_at": "2026-06-15"}`).err(t); e.Field != "paid_at" ||
		!strings.Contains(e.Message, "before 2026-06-20, the date of installment") {
		t.Errorf("a payment dated before the latest: %+v", e)
	}
	if e := b.must(http.StatusUnprocessableEntity, "POST", path, `{"amount": "42.15", "paid_at": "2026-06-30"}`).err(t); e.Field != "amount" ||
		e.Message != fmt.Sprintf("amount: 42.15 is above the 42.14 due on 2026-06-30: contract %d does not allow credit (allow_credit)", c) {
		t.Errorf("one cent above the rest: %+v", e)
	}
	if b.snapshot() != before {
		t.Error("a refused payment wrote to the database")
	}
	if got := toDueRow(b.amountDue(id, "2026-06-30")); got != (dueRow{"99.90", "10.00", "0.00", "1.80", "0.44", "50.00", "42.00", "42.14", true, 20, "2026-06-10"}) {
		t.Errorf("amount_due on 06-30: %+v", got)
	}
	rest := b.must(http.StatusOK, "POST", path, `{"amount": "42.14", "paid_at": "2026-06-30"}`).body
	p2 := rest["payment"].(map[string]any)
	if rest["state"] != "paid" || rest["paid_at"] != "2026-06-30" || rest["paid_amount"] != "92.14" || rest["paid"] != "92.14" ||
		rest["balance"] != "0.00" || rest["credit"] != "0.00" || rest["amount"] != "102.14" || rest["discount"] != "10.00" {
		t.Errorf("after the rest: %v", rest)
	}
	if got := fmt.Sprint(p2["principal"], " ", p2["fine"], " ", p2["interest"], " ", p2["credit"]); got != "42.00 0.00 0.14 0.00" {
		t.Errorf("the second payment imputed %s, want 42.00 0.00 0.14 0.00", got)
	}
	wantLines := []string{
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 1: service 2026-06-01 to 2026-06-30",
		"discount -10.00: fixed discount",
		"late_fine 1.80: late fine of 2.00% (settled 2026-06-30, late after 2026-06-10)",
		"late_interest 0.44 × 20 at <nil>: interest of 1.00% a month pro rata die for 20 days on the principal outstanding (settled 2026-06-30)",
	}
	if got := b.linesOf(c, "recurring", 1); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines\n%q\nwant\n%q", got, wantLines)
	}
	var keys string
	if err := b.pool.QueryRow(context.Background(), `SELECT string_agg(source_key, ' ' ORDER BY id) FROM installment_lines
		WHERE installment_id = $1`, id).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("plan discount late_fine:%v late_interest:%v", p2["id"], p2["id"]); keys != want {
		t.Errorf("source keys %q, want %q", keys, want)
	}
	// Paid: the payments list, and no third payment.
	items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payments?installment_id=%d", id), nil).items(t)
	if len(items) != 2 || items[0]["id"] != p1["id"] || items[1]["id"] != p2["id"] {
		t.Errorf("payments of the installment: %v", items)
	}
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payments/%v", p2["id"]), nil).body; !reflect.DeepEqual(got, p2) {
		t.Errorf("GET payment %v, want %v", got, p2)
	}
	if e := b.must(http.StatusConflict, "POST", path, `{"amount": "1.00", "paid_at": "2026-07-01"}`).err(t); e.Field != "id" {
		t.Errorf("a payment of a paid installment: %+v", e)
	}
}

// TestPaymentReferenceIsIdempotent: a payment posted twice with its reference is recorded
// once, the second answer the same; the reference with another amount is a 409 naming it.
func TestPaymentReferenceIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.lateContract("2026-06-01", nil)
	path := fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1))
	const body = `{"amount": "50.00", "paid_at": "2026-06-20", "reference": "erp-2026-000123"}`
	first := b.must(http.StatusOK, "POST", path, body)
	before := b.snapshot()
	again := b.must(http.StatusOK, "POST", path, body)
	if b.snapshot() != before {
		t.Error("the same payment posted again wrote to the database")
	}
	if !reflect.DeepEqual(again.body, first.body) {
		t.Errorf("the second answer\n%v\nwant the first\n%v", again.body, first.body)
	}
	if ref := first.body["payment"].(map[string]any)["reference"]; ref != "api:erp-2026-000123" {
		t.Errorf("reference %v", ref)
	}
	e := b.must(http.StatusConflict, "POST", path, `{"amount": "42.00", "paid_at": "2026-06-20", "reference": "erp-2026-000123"}`).err(t)
	if e.Field != "reference" || !strings.Contains(e.Message, `api reference "api:erp-2026-000123" is payment`) {
		t.Errorf("a reference reused: %+v", e)
	}
	if b.snapshot() != before {
		t.Error("a refused payment wrote to the database")
	}
	// Without a reference, each post is a payment.
	b.must(http.StatusOK, "POST", path, `{"amount": "1.00", "paid_at": "2026-06-20"}`)
	b.must(http.StatusOK, "POST", path, `{"amount": "1.00", "paid_at": "2026-06-20"}`)
	if n := count(t, b, "SELECT count(*) FROM payments"); n != 3 {
		t.Errorf("%d payments, want 3", n)
	}
}

// TestPartialPaymentsRefused: with the setting off (BILLINGD_PARTIAL_PAYMENTS=false) a
// payment below what is due on its date is refused naming amount and the figure, and
// nothing is written; the full amount is recorded.
func TestPartialPaymentsRefused(t *testing.T) {
	t.Parallel()
	b := setupStore(t, func(s *postgres.Store) { s.RefusePartialPayments = true })
	c := b.lateContract("2026-06-01", nil)
	path := fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1))
	before := b.snapshot()
	e := b.must(http.StatusUnprocessableEntity, "POST", path, `{"amount": "91.99", "paid_at": "2026-06-20"}`).err(t)
	if e.Field != "amount" || e.Message != "amount: 91.99 does not cover the 92.00 due on 2026-06-20 (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)" {
		t.Errorf("a partial payment: %+v", e)
	}
	if b.snapshot() != before {
		t.Error("a refused payment wrote to the database")
	}
	if got := b.must(http.StatusOK, "POST", path, `{"amount": "92.00", "paid_at": "2026-06-20"}`).body["state"]; got != "paid" {
		t.Errorf("92.00 left the installment %v", got)
	}
}

// TestLateSettings: a plan's and a contract's late_fine_percent and
// monthly_interest_percent, set on POST, changed or reset to inherit (null) on PATCH,
// validated (422 naming the field and the rule), and used by amount_due.
func TestLateSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := map[string]any{"name": "Plano", "price": "99.90", "period": "monthly", "installments_per_term": 12}
	with := func(k, v string) map[string]any {
		out := map[string]any{k: v}
		for key, val := range plan {
			out[key] = val
		}
		return out
	}
	for _, tt := range []struct {
		field, value, reason string
	}{
		{"late_fine_percent", "2.01", "CDC, Lei 8.078/90, art. 52 §1"},
		{"late_fine_percent", "-1", "must not be negative"},
		{"late_fine_percent", "1.005", "at most two decimal places"},
		{"monthly_interest_percent", "12.00", "from 0.00 to 10.00 a month"},
	} {
		before := b.snapshot()
		e := b.must(http.StatusUnprocessableEntity, "POST", "/v1/plans", with(tt.field, tt.value)).err(t)
		if e.Field != tt.field || !strings.Contains(e.Message, tt.reason) {
			t.Errorf("%s %s: %+v, want %s", tt.field, tt.value, e, tt.reason)
		}
		if b.snapshot() != before {
			t.Errorf("%s %s: a refused plan was written", tt.field, tt.value)
		}
	}
	p := b.must(http.StatusCreated, "POST", "/v1/plans", with("late_fine_percent", "2.00"))
	if p.body["late_fine_percent"] != "2.00" || p.body["monthly_interest_percent"] != nil {
		t.Errorf("plan %s", p.raw)
	}
	planID := p.id(t)
	cr := b.contract(planID, map[string]any{"adhesion_date": "2026-06-01", "monthly_interest_percent": "0.50",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}})
	if cr.body["late_fine_percent"] != nil || cr.body["monthly_interest_percent"] != "0.50" {
		t.Errorf("contract %s", cr.raw)
	}
	c := cr.id(t)
	b.generate("2026-06-01")
	inst := b.installmentID(c, "recurring", 1)
	// 30 days late on 99.90: the plan's fine 2.00 (2.00), the contract's 0.50% a month (0.50).
	due := func() string {
		d := b.amountDue(inst, "2026-07-10")
		return fmt.Sprint(d["fine"], " ", d["interest"], " ", d["balance"])
	}
	if got := due(); got != "2.00 0.50 102.40" {
		t.Errorf("contract 0.50%%, plan 2.00%%: %s", got)
	}
	contract := fmt.Sprintf("/v1/contracts/%d", c)
	if e := b.must(http.StatusUnprocessableEntity, "PATCH", contract, `{"late_fine_percent": "3"}`).err(t); e.Field != "late_fine_percent" {
		t.Errorf("PATCH a 3%% fine: %+v", e)
	}
	r := b.must(http.StatusOK, "PATCH", contract, `{"monthly_interest_percent": null, "auto_renew": true}`).body
	if r["monthly_interest_percent"] != nil || r["late_fine_percent"] != nil {
		t.Errorf("PATCH null: %v", r)
	}
	if got := due(); got != "2.00 1.00 102.90" { // the default 1.00% a month, 1.00 in 30 days
		t.Errorf("after the contract's reset: %s", got)
	}
	b.must(http.StatusOK, "PATCH", contract, `{"late_fine_percent": "0.00"}`)
	r = b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", planID), `{"late_fine_percent": null, "monthly_interest_percent": "2.00"}`).body
	if r["late_fine_percent"] != nil || r["monthly_interest_percent"] != "2.00" {
		t.Errorf("PATCH plan: %v", r)
	}
	if got := due(); got != "0.00 2.00 101.90" { // the contract's 0.00 fine, the plan's 2.00% a month
		t.Errorf("after the plan's change: %s", got)
	}
	if got := b.must(http.StatusOK, "PATCH", contract, `{"auto_renew": false}`).body["late_fine_percent"]; got != "0.00" {
		t.Errorf("a PATCH without the field changed it: %v", got)
	}
}
