package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestPayments pays the first installment of a contract priced 99.90 with a 10.00 discount
// and a 5.00 on-time discount, due on Friday 2026-07-10.
func TestPayments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		payments   []string // bodies, in order; all but the last are refused with 422 on amount
		paidAt     string
		paidAmount string
	}{
		{"on time with the discount", []string{`{"amount": "84.90", "paid_at": "2026-07-10"}`}, "2026-07-10", "84.90"},
		{"early with the discount", []string{`{"amount": "84.90", "paid_at": "2026-07-01"}`}, "2026-07-01", "84.90"},
		{"more than due", []string{`{"amount": "100", "paid_at": "2026-07-10"}`}, "2026-07-10", "100.00"},
		{"late without the discount", []string{`{"amount": "89.90", "paid_at": "2026-07-13"}`}, "2026-07-13", "89.90"},
		{"late underpayment refused", []string{
			`{"amount": "84.90", "paid_at": "2026-07-13"}`,
			`{"amount": "89.89", "paid_at": "2026-07-13"}`,
			`{"amount": "89.90", "paid_at": "2026-07-13"}`,
		}, "2026-07-13", "89.90"},
		{"on-time underpayment refused", []string{
			`{"amount": "84.89", "paid_at": "2026-07-10"}`,
			`{"amount": "84.9", "paid_at": "2026-07-10"}`,
		}, "2026-07-10", "84.90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			plan := b.plan("99.90", "")
			c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "discount": "10.00", "on_time_discount": "5.00",
				"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
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
			want := map[string]any{
				"id": float64(inst), "contract_id": float64(c), "kind": "recurring", "term": 1.0, "sequence": 1.0,
				"service_start": "2026-07-01", "service_end": "2026-07-31", "nominal_due": "2026-07-10", "due_date": "2026-07-10",
				"amount": "99.90", "discount": "10.00", "on_time_discount": "5.00", "state": "paid",
				"paid_at": tt.paidAt, "paid_amount": tt.paidAmount,
			}
			if !reflect.DeepEqual(r.body, want) {
				t.Errorf("paid\n%v\nwant\n%v", r.body, want)
			}
			if e := b.must(http.StatusConflict, "POST", path, `{"amount": "99.90", "paid_at": "2026-07-20"}`).err(t); e.Field != "id" {
				t.Errorf("second payment: %+v, want conflict on id", e)
			}
		})
	}
}

// TestRefusedUnderpaymentMessage checks the reason a refused payment gives.
func TestRefusedUnderpaymentMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "on_time_discount": "5.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	r := b.must(http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "94.90", "paid_at": "2026-07-11"}`)
	want := apiErr{Error: "invalid", Field: "amount", Message: "amount: 94.90 does not cover the 99.90 due on 2026-07-11",
		RequestID: r.header.Get("X-Request-Id")}
	if got := r.err(t); got != want {
		t.Errorf("error %+v, want %+v", got, want)
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
