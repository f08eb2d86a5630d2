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

// TestReversalReopensAndReblocks: a contract priced 93.00 blocked on 2026-06-11 for its
// installment due 06-01 is paid 20 days late (93.62: 0.62 of interest, a late_interest
// line) and unblocked; the payment is then reversed (a chargeback): the installment is open
// again, without its late line, and the next block-delinquent run blocks the contract again
// as of its date. The inactivity discount of the days really blocked stands. A second
// reversal is a conflict and writes nothing.
func TestReversalReopensAndReblocks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.delinquent("2026-06-01", 0) // the default rule: blocked 10 days after the due date
	b.block("2026-06-11")
	first := b.installmentID(c, "recurring", 1)
	paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first), `{"amount": "93.62", "paid_at": "2026-06-21"}`)
	payment := int64(paid.body["payment"].(map[string]any)["id"].(float64))
	if paid.body["amount"] != "93.62" || paid.body["state"] != "paid" {
		t.Fatalf("paid: %s", paid.raw)
	}
	b.workUnblocks("2026-06-21 09:30")
	if got, want := b.contractState(c), "active; 2026-06-11..2026-06-21 payment 10d"; got != want {
		t.Fatalf("after the payment: %q, want %q", got, want)
	}
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/payments/%d/reverse", payment), `{"reason": "chargeback"}`)
	rp, ri := r.body["payment"].(map[string]any), r.body["installment"].(map[string]any)
	if rp["reversed"] != true || rp["reversal_reason"] != "chargeback" || rp["reversed_at"] == nil || rp["amount"] != "93.62" {
		t.Errorf("reversed payment %v", rp)
	}
	if ri["state"] != "open" || ri["paid_at"] != nil || ri["paid_amount"] != nil || ri["paid"] != "0.00" || ri["amount"] != "93.00" {
		t.Errorf("installment after the reversal %v", ri)
	}
	wantLines := []string{"plan 93.00 × 1 at 93.00: plan, term 1 installment 1: service 2026-06-01 to 2026-06-30"}
	if got := b.linesOf(c, "recurring", 1); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines after the reversal %q, want %q", got, wantLines)
	}
	if got := toDueRow(b.amountDue(first, "2026-06-22")); got.balance != "93.65" || got.paid != "0.00" {
		t.Errorf("amount_due after the reversal: %+v, want 93.65 (21 days of interest) with nothing paid", got)
	}
	before := b.fullSnapshot()
	if e := b.must(http.StatusConflict, "POST", fmt.Sprintf("/v1/payments/%d/reverse", payment), `{"reason": "again"}`).err(t); e.Field != "id" ||
		!strings.Contains(e.Message, "was already reversed") {
		t.Errorf("a second reversal: %+v", e)
	}
	if b.fullSnapshot() != before {
		t.Error("a refused reversal wrote to the database")
	}
	// Delinquency is judged by dates: the next run blocks the contract again as of its date.
	if got := fmt.Sprint(b.block("2026-06-22")); got != "map[contracts_blocked:1]" {
		t.Errorf("block-delinquent after the reversal: %s", got)
	}
	if got, want := b.contractState(c), "blocked; 2026-06-11..2026-06-21 payment 10d; 2026-06-22..open 28d"; got != want {
		t.Errorf("after the reversal: %q, want %q", got, want)
	}
	if got := b.discountOf(c, 2); got != "31.00" {
		t.Errorf("installment 2 discount %s, want the 31.00 of the 10 days really blocked", got)
	}
	if e := b.must(http.StatusNotFound, "POST", "/v1/payments/999999/reverse", `{"reason": "chargeback"}`).err(t); e.Field != "id" {
		t.Errorf("an unknown payment: %+v", e)
	}
}

// TestReversalStandsRenewal: a 12-installment contract renewed after its 10th payment keeps
// its renewal when that payment is reversed (billingd never un-bills): the installment is
// open again in term 1 and renew-contracts, which the reopening flags, changes nothing.
func TestReversalStandsRenewal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	for seq := 1; seq <= 10; seq++ {
		// The first, due 2026-07-10, is paid 10 days late: 99.90 and 99.90 × 1% ÷ 30 × 10 =
		// 0.333 → 0.33 of interest; the others, not yet due, 99.90.
		want := "99.90"
		if seq == 1 {
			want = "100.23"
		}
		if got := b.settle(b.installmentID(c, "recurring", seq), "99.90", "2026-07-20"); got != want {
			t.Errorf("installment %d paid %s on 2026-07-20, want %s", seq, got, want)
		}
	}
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 1, 1, 12)) {
		t.Fatalf("renewal: %v", got)
	}
	var payment float64
	tenth := b.installmentID(c, "recurring", 10)
	payment = b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payments?installment_id=%d", tenth), nil).items(t)[0]["id"].(float64)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/payments/%d/reverse", int64(payment)), `{"reason": "boleto devolvido"}`)
	var flagged bool
	if err := b.pool.QueryRow(context.Background(), "SELECT renewal_check FROM contracts WHERE id = $1", c).Scan(&flagged); err != nil || !flagged {
		t.Errorf("the reopened installment did not flag the contract for renew-contracts (%v)", err)
	}
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 0, 0, 0)) {
		t.Errorf("renew-contracts after the reversal: %v", got)
	}
	got := b.installments(c)
	if len(got) != 24 || got[9] != "recurring 10 2027-04-12 99.90 open" {
		t.Errorf("installments %q: want the 24 of both terms, the 10th open", got)
	}
	if r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body; r["term_number"] != 2.0 {
		t.Errorf("term %v, want 2: the renewal stands", r["term_number"])
	}
}

// TestReversalMovesGraceAnchor: a benefit's grace period (carência, 30 days) counts from the
// settlement of the contract's first charge (the earliest paid_at). Paid on 06-10 and 07-10,
// a use on 07-15 is past the grace; the reversal of the 06-10 payment leaves the contract
// delinquent (its first installment overdue again), and once that installment is paid again
// on 07-16 the earliest settlement is 07-10: the grace now runs to 08-08.
func TestReversalMovesGraceAnchor(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	bath := b.benefit("Banho", "30.00", true)
	b.grant(plan, bath, 4, 30)
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-06-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-06-01")
	b.settle(b.installmentID(c, "recurring", 1), "99.90", "2026-06-10")
	b.settle(b.installmentID(c, "recurring", 2), "99.90", "2026-07-10")
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", c), map[string]any{"benefit_id": bath, "used_at": "2026-07-15"})
	first := b.installmentID(c, "recurring", 1)
	payment := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payments?installment_id=%d", first), nil).items(t)[0]["id"].(float64)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/payments/%d/reverse", int64(payment)), `{"reason": "chargeback"}`)
	if got := refusal(t, b.use(c, bath, "2026-07-16", 1)); got.code != "delinquent" {
		t.Errorf("a use after the reversal: %+v, want delinquent", got)
	}
	// 36 days late: 99.90 and 1.20 of interest (99.90 × 1% ÷ 30 × 36 = 1.1988 → 1.20).
	if got := b.settle(first, "99.90", "2026-07-16"); got != "101.10" {
		t.Errorf("the first installment paid again %s on 2026-07-16, want 101.10", got)
	}
	if got := refusal(t, b.use(c, bath, "2026-07-20", 1)); got != (benefitErr{status: 409, code: "in_grace", grace: "2026-08-08"}) {
		t.Errorf("a use on 07-20: %+v, want in grace until 2026-08-08", got)
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
