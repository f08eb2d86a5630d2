package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// badInputFixture holds the rows the bad requests aim at.
type badInputFixture struct {
	plan, customer                 int64
	active, pending, cancelled     int64
	openInst, paidInst, cancelInst int64
	benefit, template, notice      int64
	payment                        int64
}

// newBadInputFixture creates a plan with a minimum price, a customer, an active contract with
// its first installment paid, a contract pending activation and a cancelled contract, a
// benefit the plan grants, an e-mail template and a notice of the active contract.
func newBadInputFixture(b *bundle) badInputFixture {
	b.t.Helper()
	var f badInputFixture
	f.plan = b.plan("99.90", "80.00")
	f.customer = b.customer()
	rule := map[string]any{"kind": "fixed_day", "day": 10}
	f.active = b.contract(f.plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule, "on_time_discount": "5.00"}).id(b.t)
	f.cancelled = b.contract(f.plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(b.t)
	f.pending = b.contract(f.plan, map[string]any{"adhesion_date": "2026-07-15", "due_date_rule": rule, "wait_activation": true}).id(b.t)
	b.generate("2026-07-20")
	f.paidInst = b.installmentID(f.active, "recurring", 1)
	f.openInst = b.installmentID(f.active, "recurring", 2)
	paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", f.paidInst), map[string]any{"amount": "94.90", "paid_at": "2026-07-10"})
	f.payment = int64(paid.body["payment"].(map[string]any)["id"].(float64))
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", f.cancelled), map[string]any{"date": "2026-07-20", "reason_code": "other"})
	f.cancelInst = b.installmentID(f.cancelled, "recurring", 2)
	b.must(http.StatusCreated, "POST", "/v1/holidays", map[string]any{"date": "2026-11-30", "name": "Feriado local"})
	f.benefit = b.benefit("Banho", "30.00", true)
	b.grant(f.plan, f.benefit, 4, 0)
	f.template = b.must(http.StatusCreated, "POST", "/v1/email-templates",
		map[string]any{"kind": "renewed", "subject": "Renovado", "html_body": "<p>Renovado</p>", "text_body": "Renovado"}).id(b.t)
	if err := b.pool.QueryRow(context.Background(), `INSERT INTO notices (contract_id, kind, reference)
		VALUES ($1, 'renewed', '2') RETURNING id`, f.active).Scan(&f.notice); err != nil {
		b.t.Fatal(err)
	}
	return f
}

type badCase struct {
	name         string
	method, path string
	body         any
	status       int
	field        string
}

func badCases(f badInputFixture) []badCase {
	// contract is a valid contract body with fields replaced (or, when nil, removed): JSON
	// objects with a repeated key are merged by encoding/json, so they cannot be appended.
	contract := func(fields map[string]any) map[string]any {
		body := map[string]any{"customer_id": f.customer, "plan_id": f.plan, "adhesion_date": "2026-07-01",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}
		for k, v := range fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	rule := func(kind string, day any) map[string]any { return map[string]any{"kind": kind, "day": day} }
	plan := func(fields string) string {
		return `{"name": "Plano", "price": "99.90", "period": "monthly", "installments_per_term": 12` + fields + `}`
	}
	pay := func(inst int64) string { return fmt.Sprintf("/v1/installments/%d/payments", inst) }
	activate := fmt.Sprintf("/v1/contracts/%d/activate", f.pending)
	return []badCase{
		// Unreadable bodies: 400.
		{"plan malformed JSON", "POST", "/v1/plans", `{"name": "Plano",`, 400, "body"},
		{"plan price also in capitals", "POST", "/v1/plans", plan(`, "PRICE": "1.00"`), 400, "PRICE"},
		{"payment amount twice", "POST", pay(f.openInst), `{"amount": "1.00", "paid_at": "2026-07-20", "amount": "99.90"}`, 400, "amount"},
		{"contract rule day in capitals", "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01",
			"due_date_rule": {"kind": "fixed_day", "Day": 10}}`, f.customer, f.plan), 400, "due_date_rule.Day"},
		{"plan syntax error", "POST", "/v1/plans", `{"name": Plano}`, 400, "body"},
		{"plan empty body", "POST", "/v1/plans", "", 400, "body"},
		{"plan array body", "POST", "/v1/plans", `[]`, 400, "body"},
		{"plan two objects", "POST", "/v1/plans", plan("") + plan(""), 400, "body"},
		{"plan unknown field", "POST", "/v1/plans", plan(`, "colour": "red"`), 400, "colour"},
		{"plan price as number", "POST", "/v1/plans", `{"name": "Plano", "price": 99.90, "period": "monthly", "installments_per_term": 12}`, 400, "price"},
		{"plan installments as string", "POST", "/v1/plans", `{"name": "Plano", "price": "99.90", "period": "monthly", "installments_per_term": "12"}`, 400, "installments_per_term"},
		{"plan installments fractional", "POST", "/v1/plans", `{"name": "Plano", "price": "99.90", "period": "monthly", "installments_per_term": 1.5}`, 400, "installments_per_term"},
		{"customer name as number", "POST", "/v1/customers", `{"name": 5, "email": "ana@example.com"}`, 400, "name"},
		{"contract customer_id as string", "POST", "/v1/contracts", contract(map[string]any{"customer_id": "1"}), 400, "customer_id"},
		{"contract due day as string", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("fixed_day", "10")}), 400, "due_date_rule.day"},
		{"contract rule not an object", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": 10}), 400, "due_date_rule"},
		{"contract wait_activation as string", "POST", "/v1/contracts", contract(map[string]any{"wait_activation": "yes"}), 400, "wait_activation"},
		{"contract unknown field", "POST", "/v1/contracts", contract(map[string]any{"due_day": 10}), 400, "due_day"},
		{"payment amount as number", "POST", pay(f.openInst), `{"amount": 99.90, "paid_at": "2026-07-20"}`, 400, "amount"},
		{"payment unknown field", "POST", pay(f.openInst), `{"amount": "99.90", "paid_at": "2026-07-20", "method": "pix"}`, 400, "method"},
		{"activate malformed", "POST", activate, `{"date": `, 400, "body"},
		{"holiday date as number", "POST", "/v1/holidays", `{"date": 20261130, "name": "x"}`, 400, "date"},
		{"run force as string", "POST", "/v1/runs", `{"job": "generate-installments", "force": "yes"}`, 400, "force"},
		{"run unknown field", "POST", "/v1/runs", `{"job": "generate-installments", "asof": "2026-07-20"}`, 400, "asof"},

		// Rule violations: 422.
		{"plan negative price", "POST", "/v1/plans", `{"name": "Plano", "price": "-1.00", "period": "monthly", "installments_per_term": 12}`, 422, "price"},
		{"plan price with three decimals", "POST", "/v1/plans", `{"name": "Plano", "price": "99.999", "period": "monthly", "installments_per_term": 12}`, 422, "price"},
		{"plan price with comma", "POST", "/v1/plans", `{"name": "Plano", "price": "99,90", "period": "monthly", "installments_per_term": 12}`, 422, "price"},
		{"plan price too large", "POST", "/v1/plans", `{"name": "Plano", "price": "12345678901234.00", "period": "monthly", "installments_per_term": 12}`, 422, "price"},
		{"plan price missing", "POST", "/v1/plans", `{"name": "Plano", "period": "monthly", "installments_per_term": 12}`, 422, "price"},
		{"plan price under its minimum", "POST", "/v1/plans", plan(`, "min_price": "100.00"`), 422, "price"},
		{"plan min_price negative", "POST", "/v1/plans", plan(`, "min_price": "-1"`), 422, "min_price"},
		{"plan name blank", "POST", "/v1/plans", `{"name": "  ", "price": "99.90", "period": "monthly", "installments_per_term": 12}`, 422, "name"},
		{"plan unknown period", "POST", "/v1/plans", `{"name": "Plano", "price": "99.90", "period": "weekly", "installments_per_term": 12}`, 422, "period"},
		{"plan zero installments", "POST", "/v1/plans", `{"name": "Plano", "price": "99.90", "period": "monthly"}`, 422, "installments_per_term"},
		{"plan unknown kind", "POST", "/v1/plans", plan(`, "kind": "bundle"`), 422, "kind"},
		{"package without uses", "POST", "/v1/plans", plan(`, "kind": "package"`), 422, "uses_per_cycle"},
		{"customer without name", "POST", "/v1/customers", `{"email": "ana@example.com"}`, 422, "name"},
		{"customer bad email", "POST", "/v1/customers", `{"name": "Ana", "email": "ana.example.com"}`, 422, "email"},
		{"customer null body", "POST", "/v1/customers", `null`, 422, "name"},
		{"customer name with NUL", "POST", "/v1/customers", `{"name": "Ana\u0000", "email": "ana@example.com"}`, 422, "name"},
		{"customer email with NUL", "POST", "/v1/customers", `{"name": "Ana", "email": "ana@exam\u0000ple.com"}`, 422, "email"},
		{"customer document with NUL", "POST", "/v1/customers", `{"name": "Ana", "email": "ana@example.com", "document": "1\u00002"}`, 422, "document"},
		{"plan name with NUL", "POST", "/v1/plans", `{"name": "P\u0000", "price": "99.90", "period": "monthly", "installments_per_term": 12}`, 422, "name"},
		{"holiday name with NUL", "POST", "/v1/holidays", `{"date": "2026-12-08", "name": "\u0000"}`, 422, "name"},
		{"contract due day 0", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("fixed_day", 0)}), 422, "due_date_rule.day"},
		{"contract due day 32", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("fixed_day", 32)}), 422, "due_date_rule.day"},
		{"contract prepaid day 32", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("prepaid_fixed_day", 32)}), 422, "due_date_rule.day"},
		{"contract anniversary with day", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("anniversary", 5)}), 422, "due_date_rule.day"},
		{"contract rule without kind", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": map[string]any{"day": 5}}), 422, "due_date_rule.kind"},
		{"contract unknown rule kind", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": rule("weekly", 5)}), 422, "due_date_rule.kind"},
		{"contract unknown shift", "POST", "/v1/contracts", contract(map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 5, "shift": "later"}}), 422, "due_date_rule.shift"},
		{"contract adhesion 2026-02-30", "POST", "/v1/contracts", contract(map[string]any{"adhesion_date": "2026-02-30"}), 422, "adhesion_date"},
		{"contract adhesion not ISO", "POST", "/v1/contracts", contract(map[string]any{"adhesion_date": "01/07/2026"}), 422, "adhesion_date"},
		{"contract activation 2026-02-30", "POST", "/v1/contracts", contract(map[string]any{"activation_date": "2026-02-30"}), 422, "activation_date"},
		{"contract activation before adhesion", "POST", "/v1/contracts", contract(map[string]any{"activation_date": "2026-06-30"}), 422, "activation_date"},
		{"contract waiting with activation date", "POST", "/v1/contracts", contract(map[string]any{"wait_activation": true, "activation_date": "2026-07-02"}), 422, "activation_date"},
		{"contract price under plan minimum", "POST", "/v1/contracts", contract(map[string]any{"price": "79.99"}), 422, "price"},
		{"contract negative price", "POST", "/v1/contracts", contract(map[string]any{"price": "-80.00"}), 422, "price"},
		{"contract price with three decimals", "POST", "/v1/contracts", contract(map[string]any{"price": "80.001"}), 422, "price"},
		{"contract negative discount", "POST", "/v1/contracts", contract(map[string]any{"discount": "-1"}), 422, "discount"},
		{"contract discounts over price", "POST", "/v1/contracts", contract(map[string]any{"discount": "60.00", "on_time_discount": "40.00"}), 422, "discount"},
		{"contract on-time discount with three decimals", "POST", "/v1/contracts", contract(map[string]any{"on_time_discount": "1.005"}), 422, "on_time_discount"},
		{"contract negative adhesion fee", "POST", "/v1/contracts", contract(map[string]any{"adhesion_fee": "-100.00", "adhesion_installments": 3}), 422, "adhesion_fee"},
		{"contract adhesion fee without installments", "POST", "/v1/contracts", contract(map[string]any{"adhesion_fee": "100.00"}), 422, "adhesion_installments"},
		{"contract 25 adhesion installments", "POST", "/v1/contracts", contract(map[string]any{"adhesion_fee": "100.00", "adhesion_installments": 25}), 422, "adhesion_installments"},
		{"contract unknown payment method", "POST", "/v1/contracts", contract(map[string]any{"payment_method": "cash"}), 422, "payment_method"},
		{"contract card installments on boleto", "POST", "/v1/contracts", contract(map[string]any{"card_installments": 3}), 422, "card_installments"},
		{"contract unknown billing method", "POST", "/v1/contracts", contract(map[string]any{"billing_method": "monthly"}), 422, "billing_method"},
		{"contract suggested renewal without price", "POST", "/v1/contracts", contract(map[string]any{"renewal_price_mode": "suggested"}), 422, "suggested_price"},
		{"contract unknown customer", "POST", "/v1/contracts", contract(map[string]any{"customer_id": 999999}), 422, "customer_id"},
		{"contract unknown plan", "POST", "/v1/contracts", contract(map[string]any{"plan_id": 999999}), 422, "plan_id"},
		{"contract without customer", "POST", "/v1/contracts", contract(map[string]any{"customer_id": nil}), 422, "customer_id"},
		{"activate 2026-02-30", "POST", activate, `{"date": "2026-02-30"}`, 422, "date"},
		{"activate without date", "POST", activate, `{}`, 422, "date"},
		{"activate before adhesion", "POST", activate, `{"date": "2026-07-14"}`, 422, "date"},
		{"cancel 2026-02-30", "POST", fmt.Sprintf("/v1/contracts/%d/cancel", f.active), `{"date": "2026-02-30"}`, 422, "date"},
		{"payment negative amount", "POST", pay(f.openInst), `{"amount": "-99.90", "paid_at": "2026-07-20"}`, 422, "amount"},
		{"payment amount with three decimals", "POST", pay(f.openInst), `{"amount": "99.901", "paid_at": "2026-07-20"}`, 422, "amount"},
		{"payment zero amount", "POST", pay(f.openInst), `{"amount": "0.00", "paid_at": "2026-07-20"}`, 422, "amount"},
		{"payment without amount", "POST", pay(f.openInst), `{"paid_at": "2026-07-20"}`, 422, "amount"},
		{"payment above what is due without credit", "POST", pay(f.openInst), `{"amount": "94.91", "paid_at": "2026-07-20"}`, 422, "amount"},
		{"payment reference with a colon", "POST", pay(f.openInst), `{"amount": "94.90", "paid_at": "2026-07-20", "reference": "api:1"}`, 422, "reference"},
		{"payment reference too long", "POST", pay(f.openInst), fmt.Sprintf(`{"amount": "94.90", "paid_at": "2026-07-20", "reference": %q}`,
			strings.Repeat("r", 101)), 422, "reference"},
		{"reversal without a reason", "POST", fmt.Sprintf("/v1/payments/%d/reverse", f.payment), `{"reason": " "}`, 422, "reason"},
		{"installment due on 2026-02-30", "GET", fmt.Sprintf("/v1/installments/%d?on=2026-02-30", f.openInst), nil, 400, "on"},
		{"payment 2026-02-30", "POST", pay(f.openInst), `{"amount": "99.90", "paid_at": "2026-02-30"}`, 422, "paid_at"},
		{"payment in the future", "POST", pay(f.openInst), `{"amount": "99.90", "paid_at": "2026-07-21"}`, 422, "paid_at"},
		{"holiday 2026-02-30", "POST", "/v1/holidays", `{"date": "2026-02-30", "name": "x"}`, 422, "date"},
		{"holiday without name", "POST", "/v1/holidays", `{"date": "2026-12-08"}`, 422, "name"},
		{"run unknown job", "POST", "/v1/runs", `{"job": "send-invoices"}`, 422, "job"},
		{"run as_of before the catch-up window", "POST", "/v1/runs", `{"job": "generate-installments", "as_of": "2026-06-18"}`, 422, "as_of"},
		{"run as_of in the future", "POST", "/v1/runs", `{"job": "generate-installments", "as_of": "2026-07-21"}`, 422, "as_of"},
		{"run as_of 2026-02-30", "POST", "/v1/runs", `{"job": "generate-installments", "as_of": "2026-02-30", "force": true}`, 422, "as_of"},

		// Unknown ids in the path: 404; bad path ids and query parameters: 400.
		{"unknown plan", "GET", "/v1/plans/999999", nil, 404, "id"},
		{"unknown customer", "GET", "/v1/customers/999999", nil, 404, "id"},
		{"unknown contract", "GET", "/v1/contracts/999999", nil, 404, "id"},
		{"unknown contract's installments", "GET", "/v1/contracts/999999/installments", nil, 404, "id"},
		{"activate unknown contract", "POST", "/v1/contracts/999999/activate", `{"date": "2026-07-20"}`, 404, "id"},
		{"cancel unknown contract", "POST", "/v1/contracts/999999/cancel", `{"reason_code": "other"}`, 404, "id"},
		{"pay unknown installment", "POST", pay(999999), `{"amount": "99.90", "paid_at": "2026-07-20"}`, 404, "id"},
		{"delete non-holiday", "DELETE", "/v1/holidays/2026-12-08", nil, 404, "date"},
		{"unknown run", "GET", "/v1/runs/999999", nil, 404, "id"},
		{"unknown route", "GET", "/v1/invoices", nil, 404, ""},
		{"override of unknown benefit", "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/999999", f.active), `{"quantity": 2}`, 404, "benefit_id"},
		{"override on unknown contract", "PUT", fmt.Sprintf("/v1/contracts/999999/benefits/%d", f.benefit), `{"quantity": 2}`, 404, "id"},
		{"reverse unknown use", "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/999999", f.active), nil, 404, "usage_id"},
		{"benefits of unknown contract", "GET", "/v1/contracts/999999/benefits", nil, 404, "id"},
		{"benefit uses of unknown contract", "GET", "/v1/contracts/999999/benefit-usages", nil, 404, "id"},
		{"benefits on 2026-02-30", "GET", fmt.Sprintf("/v1/contracts/%d/benefits?on=2026-02-30", f.active), nil, 400, "on"},
		{"benefit uses reversed maybe", "GET", fmt.Sprintf("/v1/contracts/%d/benefit-usages?reversed=maybe", f.active), nil, 400, "reversed"},
		{"benefit uses to before from", "GET", fmt.Sprintf("/v1/contracts/%d/benefit-usages?from=2026-07-20&to=2026-07-19", f.active), nil, 400, "to"},
		{"benefit uses benefit_id not a number", "GET", fmt.Sprintf("/v1/contracts/%d/benefit-usages?benefit_id=x", f.active), nil, 400, "benefit_id"},
		{"DELETE on a plan", "DELETE", fmt.Sprintf("/v1/plans/%d", f.plan), nil, 405, ""},
		{"PUT on the contract list", "PUT", "/v1/contracts", `{}`, 405, ""},
		{"contract id not a number", "GET", "/v1/contracts/abc", nil, 400, "id"},
		{"contract id zero", "GET", "/v1/contracts/0", nil, 400, "id"},
		{"pay installment id negative", "POST", pay(-1), `{"amount": "99.90", "paid_at": "2026-07-20"}`, 400, "id"},
		{"delete holiday 2026-02-30", "DELETE", "/v1/holidays/2026-02-30", nil, 400, "date"},
		{"limit over 500", "GET", "/v1/plans?limit=501", nil, 400, "limit"},
		{"negative limit", "GET", "/v1/customers?limit=-1", nil, 400, "limit"},
		{"after not a number", "GET", "/v1/contracts?after=x", nil, 400, "after"},
		{"unknown contract status", "GET", "/v1/contracts?status=late", nil, 400, "status"},
		{"unknown installment state", "GET", "/v1/installments?state=late", nil, 400, "state"},
		{"due_from 2026-02-30", "GET", "/v1/installments?due_from=2026-02-30", nil, 400, "due_from"},
		{"due_to not a date", "GET", "/v1/installments?due_to=tomorrow", nil, 400, "due_to"},
		{"contract_id not a number", "GET", "/v1/installments?contract_id=x", nil, 400, "contract_id"},
		{"holidays from 2026-02-30", "GET", "/v1/holidays?from=2026-02-30", nil, 400, "from"},
		{"runs of unknown job", "GET", "/v1/runs?job=x", nil, 400, "job"},
		{"runs in unknown state", "GET", "/v1/runs?state=late", nil, 400, "state"},

		// Conflicts with the current state: 409.
		{"pay cancelled installment", "POST", pay(f.cancelInst), `{"amount": "99.90", "paid_at": "2026-07-20"}`, 409, "id"},
		{"pay paid installment", "POST", pay(f.paidInst), `{"amount": "99.90", "paid_at": "2026-07-20"}`, 409, "id"},
		{"activate active contract", "POST", fmt.Sprintf("/v1/contracts/%d/activate", f.active), `{"date": "2026-07-20"}`, 409, "id"},
		{"cancel cancelled contract", "POST", fmt.Sprintf("/v1/contracts/%d/cancel", f.cancelled), `{"date": "2026-07-20", "reason_code": "other"}`, 409, "id"},
		{"duplicate holiday", "POST", "/v1/holidays", `{"date": "2026-11-30", "name": "Outro"}`, 409, "date"},
	}
}

// TestBadInput sends invalid requests to every writing route and checks the exact status,
// the field the JSON error names, and that nothing was written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	f := newBadInputFixture(fx)
	// The subtests share the database: each compares it before and after its own request,
	// and all of them together must leave it as they found it.
	start := fx.snapshot()
	t.Cleanup(func() {
		if end := fx.snapshot(); end != start {
			t.Errorf("the bad requests wrote to the database:\nbefore %s\nafter  %s", start, end)
		}
	})
	for _, tc := range badCases(f) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fx.with(t)
			before := b.snapshot()
			r := b.send(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.status, tc.status, r.raw)
			}
			e := r.err(t)
			if e.Field != tc.field {
				t.Errorf("field %q, want %q; body %s", e.Field, tc.field, r.raw)
			}
			if (tc.status == 400 || tc.status == 422) && !strings.Contains(e.Message, tc.field) {
				t.Errorf("message %q does not name the field %q", e.Message, tc.field)
			}
			if after := b.snapshot(); after != before {
				t.Errorf("the request wrote to the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestUnsupportedMediaType refuses a body that is not JSON.
func TestUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.counts()
	req, err := http.NewRequest("POST", b.server.URL+"/v1/customers", strings.NewReader(`{"name": "Ana", "email": "ana@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "text/plain")
	r := b.do(req)
	if r.status != http.StatusUnsupportedMediaType || r.err(t).Error != "unsupported_media_type" {
		t.Errorf("status %d, body %s; want 415 unsupported_media_type", r.status, r.raw)
	}
	if after := b.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("counts %v, want %v", after, before)
	}
}

// TestMethodNotAllowed answers a known path under a method it lacks with 405, the methods it
// has in the Allow header and the JSON error body; an unknown path stays a 404.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"DELETE", "/v1/plans/1", 405, "GET, PATCH"},
		{"PATCH", "/v1/contracts", 405, "GET, POST"},
		{"GET", "/v1/contracts/1/renew", 405, "POST"},
		{"POST", "/v1/holidays/2026-12-25", 405, "DELETE"},
		{"PUT", "/v1/contracts/1/benefit-usages", 405, "GET, POST"},
		{"POST", "/v1/contracts/1/benefits", 405, "GET"},
		{"DELETE", "/v1/invoices/1", 404, ""},
	}
	for _, tc := range cases {
		r := b.send(tc.method, tc.path, nil)
		if r.status != tc.status || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: status %d, Allow %q; want %d, %q (body %s)", tc.method, tc.path, r.status, r.header.Get("Allow"), tc.status, tc.allow, r.raw)
			continue
		}
		if want := map[int]string{405: "method_not_allowed", 404: "not_found"}[tc.status]; r.err(t).Error != want {
			t.Errorf("%s %s: error %q, want %q", tc.method, tc.path, r.err(t).Error, want)
		}
	}
}
