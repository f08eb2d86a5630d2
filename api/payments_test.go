package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/billingd/billingd/postgres"
)

// TestPayments pays the first installment of a contract priced 99.90 with a 10.00 discount
// and a 5.00 on-time discount, due on Friday 2026-07-10: 84.90 is due through the due date,
// 89.90 and 1/30 of 1% a day of interest after it (89.99 on 07-13, 3 days late). More than
// that is refused unless the contract allows credit, and then the excess is the
// installment's credit; less is a partial payment, refused here (the store refuses partial
// payments, as BILLINGD_PARTIAL_PAYMENTS=false does; TestPartialThenRest pays in parts). A
// late settlement adds its late_interest line to the installment.
func TestPayments(t *testing.T) {
	t.Parallel()
	planLine := map[string]any{"kind": "plan", "description": "plan, term 1 installment 1: service 2026-07-01 to 2026-07-31",
		"quantity": "1", "unit_price": "99.90", "amount": "99.90"}
	discount := map[string]any{"kind": "discount", "description": "fixed discount", "quantity": "1", "unit_price": nil, "amount": "-10.00"}
	interest3 := map[string]any{"kind": "late_interest", "quantity": "3", "unit_price": nil, "amount": "0.09",
		"description": "interest of 1.00% a month pro rata die for 3 days on the principal outstanding (settled 2026-07-13)"}
	tests := []struct {
		name        string
		allowCredit bool
		payments    []string // bodies, in order; all but the last are refused with 422 on amount
		paidAt      string
		paidAmount  string
		credit      string
		amount      string // the installment's, with its late lines
		split       string // the payment's principal, fine, interest, credit
		late        bool
	}{
		{"on time with the discount", false, []string{`{"amount": "84.90", "paid_at": "2026-07-10"}`}, "2026-07-10", "84.90", "0.00",
			"99.90", "84.90 0.00 0.00 0.00", false},
		{"early with the discount", false, []string{`{"amount": "84.90", "paid_at": "2026-07-01"}`}, "2026-07-01", "84.90", "0.00",
			"99.90", "84.90 0.00 0.00 0.00", false},
		{"more than due refused without credit", false, []string{
			`{"amount": "100", "paid_at": "2026-07-10"}`,
			`{"amount": "84.91", "paid_at": "2026-07-10"}`,
			`{"amount": "89.90", "paid_at": "2026-07-10"}`,
			`{"amount": "84.90", "paid_at": "2026-07-10"}`,
		}, "2026-07-10", "84.90", "0.00", "99.90", "84.90 0.00 0.00 0.00", false},
		{"more than due kept as credit", true, []string{`{"amount": "100", "paid_at": "2026-07-10"}`}, "2026-07-10", "100.00", "15.10",
			"99.90", "84.90 0.00 0.00 15.10", false},
		{"late more than due kept as credit", true, []string{`{"amount": "99.90", "paid_at": "2026-07-13"}`}, "2026-07-13", "99.90", "9.91",
			"99.99", "89.90 0.00 0.09 9.91", true},
		{"exact with credit allowed", true, []string{`{"amount": "84.90", "paid_at": "2026-07-10"}`}, "2026-07-10", "84.90", "0.00",
			"99.90", "84.90 0.00 0.00 0.00", false},
		{"late without the discount, with 3 days of interest", false, []string{`{"amount": "89.99", "paid_at": "2026-07-13"}`},
			"2026-07-13", "89.99", "0.00", "99.99", "89.90 0.00 0.09 0.00", true},
		{"late underpayment refused", false, []string{
			`{"amount": "84.90", "paid_at": "2026-07-13"}`,
			`{"amount": "89.90", "paid_at": "2026-07-13"}`,
			`{"amount": "89.98", "paid_at": "2026-07-13"}`,
			`{"amount": "89.99", "paid_at": "2026-07-13"}`,
		}, "2026-07-13", "89.99", "0.00", "99.99", "89.90 0.00 0.09 0.00", true},
		{"on-time underpayment refused", true, []string{
			`{"amount": "84.89", "paid_at": "2026-07-10"}`,
			`{"amount": "84.9", "paid_at": "2026-07-10"}`,
		}, "2026-07-10", "84.90", "0.00", "99.90", "84.90 0.00 0.00 0.00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupStore(t, func(s *postgres.Store) { s.RefusePartialPayments = true })
			plan := b.plan("99.90", "")
			c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "discount": "10.00", "on_time_discount": "5.00",
				"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}, "allow_credit": tt.allowCredit}).id(t)
			b.generate("2026-07-20")
			inst := b.installmentID(c, "recurring", 1)
			path := fmt.Sprintf("/v1/installments/%d/payments", inst)
			for _, refused := range tt.payments[:len(tt.payments)-1] {
				before := b.snapshot()
				r := b.must(http.StatusUnprocessableEntity, "POST", path, refused)
				if e := r.err(t); e.Field != "amount" {
					t.Errorf("%s: field %q, want amount", refused, e.Field)
				}
				if b.snapshot() != before {
					t.Errorf("%s: a refused payment wrote to the database", refused)
				}
			}
			r := b.must(http.StatusOK, "POST", path, tt.payments[len(tt.payments)-1])
			lines := []any{planLine, discount}
			if tt.late {
				lines = append(lines, interest3)
			}
			payment, _ := r.body["payment"].(map[string]any)
			want := map[string]any{
				"id": float64(inst), "contract_id": float64(c), "kind": "recurring", "term": 1.0, "sequence": 1.0,
				"service_start": "2026-07-01", "service_end": "2026-07-31", "nominal_due": "2026-07-10", "due_date": "2026-07-10",
				"amount": tt.amount, "discount": "10.00", "on_time_discount": "5.00", "state": "paid",
				"paid_at": tt.paidAt, "paid_amount": tt.paidAmount, "paid": tt.paidAmount, "credit": tt.credit, "lines": lines,
				"balance": "0.00", "payment": payment, "instruments": nil,
			}
			if !reflect.DeepEqual(r.body, want) {
				t.Errorf("paid\n%v\nwant\n%v", r.body, want)
			}
			if got := fmt.Sprintf("%v %v %v %v", payment["principal"], payment["fine"], payment["interest"], payment["credit"]); got != tt.split {
				t.Errorf("payment imputed %s, want %s", got, tt.split)
			}
			if payment["amount"] != tt.paidAmount || payment["paid_at"] != tt.paidAt || payment["source"] != "api" ||
				payment["reference"] != nil || payment["reversed"] != false {
				t.Errorf("payment %v", payment)
			}
			if e := b.must(http.StatusConflict, "POST", path, `{"amount": "99.90", "paid_at": "2026-07-20"}`).err(t); e.Field != "id" ||
				e.Message != fmt.Sprintf("conflict: installment %d was already paid on %s", inst, tt.paidAt) {
				t.Errorf("second payment: %+v, want conflict on id", e)
			}
		})
	}
}

// TestRefusedUnderpaymentMessage checks the reason a refused partial payment gives: the
// figure due on its date, with the interest of its day late (99.90 less 5.00 through
// 07-10; 99.90 and 0.03 on 07-11).
func TestRefusedUnderpaymentMessage(t *testing.T) {
	t.Parallel()
	b := setupStore(t, func(s *postgres.Store) { s.RefusePartialPayments = true })
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "on_time_discount": "5.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	r := b.must(http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "94.90", "paid_at": "2026-07-11"}`)
	want := apiErr{Error: "invalid", Field: "amount",
		Message:   "amount: 94.90 does not cover the 99.93 due on 2026-07-11 (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)",
		RequestID: r.header.Get("X-Request-Id")}
	if got := r.err(t); got != want {
		t.Errorf("error %+v, want %+v", got, want)
	}
}

// TestPaymentAboveWhatIsDue pays 999999999999.99 on an installment of 99.90 (issue 13 item
// 9): refused, naming amount and the figure due, and nothing written, while the contract
// does not allow credit; once PATCH sets allow_credit, the payment is stored as it came and
// the excess is the installment's credit.
func TestPaymentAboveWhatIsDue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}})
	if c.body["allow_credit"] != false {
		t.Fatalf("allow_credit %v, want false by default", c.body["allow_credit"])
	}
	id := c.id(t)
	b.generate("2026-07-20")
	path := fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(id, "recurring", 1))
	const huge = `{"amount": "999999999999.99", "paid_at": "2026-07-10"}`
	before := b.snapshot()
	r := b.must(http.StatusUnprocessableEntity, "POST", path, huge)
	want := apiErr{Error: "invalid", Field: "amount", RequestID: r.header.Get("X-Request-Id"),
		Message: fmt.Sprintf("amount: 999999999999.99 is above the 99.90 due on 2026-07-10: contract %d does not allow credit (allow_credit)", id)}
	if got := r.err(t); got != want {
		t.Errorf("error %+v, want %+v", got, want)
	}
	if b.snapshot() != before {
		t.Error("a refused payment wrote to the database")
	}
	if got := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/contracts/%d", id), `{"allow_credit": true}`).body["allow_credit"]; got != true {
		t.Fatalf("allow_credit %v after PATCH, want true", got)
	}
	paid := b.must(http.StatusOK, "POST", path, huge).body
	if paid["paid_amount"] != "999999999999.99" || paid["credit"] != "999999999900.09" || paid["state"] != "paid" {
		t.Errorf("paid %v, want paid_amount 999999999999.99 and credit 999999999900.09", paid)
	}
	// The credit stays on its installment: the next one is owed in full.
	if got := b.installments(id)[1]; got != "recurring 2 2026-08-10 99.90 open" {
		t.Errorf("second installment %q, want recurring 2 2026-08-10 99.90 open", got)
	}
}

// TestPaidThrough follows seed example 004: a prepaid_fixed_day contract on day 15 activated
// on 2026-06-01, whose first payment buys service to the end of July.
func TestPaidThrough(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("150.00", "")
	id := b.contract(plan, map[string]any{"adhesion_date": "2026-06-01",
		"due_date_rule": map[string]any{"kind": "prepaid_fixed_day", "day": 15}}).id(t)
	b.generate("2026-07-20")
	got := b.installments(id)[:4]
	want := []string{
		"recurring 1 2026-06-01 150.00 open",
		"recurring 2 2026-07-15 150.00 open",
		"recurring 3 2026-08-17 150.00 open", // 15 Aug is a Saturday
		"recurring 4 2026-09-15 150.00 open",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installments %q, want %q", got, want)
	}
	contract := fmt.Sprintf("/v1/contracts/%d", id)
	pay := func(seq int, paidAt string) {
		t.Helper()
		b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(id, "recurring", seq)),
			fmt.Sprintf(`{"amount": "150.00", "paid_at": %q}`, paidAt))
	}
	steps := []struct {
		pay         func()
		paidThrough any
	}{
		{func() {}, nil},
		{func() { pay(1, "2026-06-01") }, "2026-07-31"},
		{func() { pay(3, "2026-07-20") }, "2026-07-31"}, // the second is still unpaid
		{func() { pay(2, "2026-07-15") }, "2026-09-30"},
	}
	for i, s := range steps {
		s.pay()
		r := b.must(http.StatusOK, "GET", contract, nil)
		if r.body["paid_through"] != s.paidThrough {
			t.Errorf("step %d: paid_through %v, want %v", i, r.body["paid_through"], s.paidThrough)
		}
		if r.body["status"] != "active" || r.body["activation_date"] != "2026-06-01" {
			t.Errorf("step %d: %s", i, r.raw)
		}
	}
}
