package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/billingd/billingd/api"
)

// keyCase is a body with a repeated or case-variant key for one route that reads a body.
type keyCase struct {
	route        string // "METHOD /pattern" as Routes() has it
	method, path string
	body         string
	field        string // the key the error names
	reason       string // in the message
}

// keyCases gives every route that reads a JSON body a repeated key and a key that differs
// from a field only in case, each of which encoding/json would accept (the last one winning).
func keyCases(f badInputFixture) []keyCase {
	id := func(format string, ids ...any) string { return fmt.Sprintf(format, ids...) }
	pay := id("/v1/installments/%d/payments", f.openInst)
	contract := `{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01", %s}`
	cases := []keyCase{
		{"POST /v1/contracts", "POST", "/v1/contracts",
			fmt.Sprintf(contract, f.customer, f.plan, `"due_date_rule": {"kind": "fixed_day", "DAY": 10}`), "due_date_rule.DAY", "day"},
		{"POST /v1/contracts", "POST", "/v1/contracts",
			fmt.Sprintf(contract, f.customer, f.plan, `"due_date_rule": {"kind": "fixed_day", "day": 31, "day": 10}`), "due_date_rule.day", "repeated"},
		{"POST /v1/contracts", "POST", "/v1/contracts",
			fmt.Sprintf(contract, f.customer, f.plan, `"due_date_rule": {"kind": "anniversary"}, "Plan_Id": 1`), "Plan_Id", "plan_id"},
		{"POST /v1/contracts", "POST", "/v1/contracts",
			fmt.Sprintf(contract, f.customer, f.plan, `"due_date_rule": {"kind": "anniversary"}, "customer_id": 1`), "customer_id", "repeated"},
	}
	// Each of the other routes: one base body, and the key to repeat and to change the case of.
	for _, r := range []struct {
		route, path, body, key, variant, value string
	}{
		{"POST /v1/plans", "/v1/plans", `"name": "Plano", "period": "monthly", "installments_per_term": 12`, "price", "PRICE", `"99.90"`},
		{"POST /v1/customers", "/v1/customers", `"name": "Ana"`, "email", "Email", `"ana@example.com"`},
		{"POST /v1/contracts/{id}/activate", id("/v1/contracts/%d/activate", f.pending), ``, "date", "Date", `"2026-07-20"`},
		{"POST /v1/contracts/{id}/cancel", id("/v1/contracts/%d/cancel", f.active), ``, "date", "DATE", `"2026-07-20"`},
		{"POST /v1/installments/{id}/payments", pay, `"paid_at": "2026-07-20"`, "amount", "AMOUNT", `"99.90"`},
		{"POST /v1/grouped-charges/{id}/payments", "/v1/grouped-charges/1/payments", `"paid_at": "2026-07-20"`, "amount", "AMOUNT", `"149.85"`},
		{"POST /v1/holidays", "/v1/holidays", `"name": "Feriado"`, "date", "dATE", `"2026-12-01"`},
		{"POST /v1/runs", "/v1/runs", `"as_of": "2026-07-20"`, "job", "Job", `"generate-installments"`},
		{"PATCH /v1/plans/{id}", id("/v1/plans/%d", f.plan), ``, "name", "NAME", `"Plano B"`},
		{"PATCH /v1/contracts/{id}", id("/v1/contracts/%d", f.active), ``, "auto_renew", "Auto_Renew", `false`},
		{"POST /v1/contracts/{id}/renew", id("/v1/contracts/%d/renew", f.active), ``, "date", "Date", `"2026-07-20"`},
		{"POST /v1/blocking-rules", "/v1/blocking-rules", `"name": "Regra"`, "block_after_days", "BLOCK_AFTER_DAYS", `10`},
		{"POST /v1/contracts/{id}/trust-unlock", id("/v1/contracts/%d/trust-unlock", f.active), ``, "days", "Days", `3`},
		{"POST /v1/contracts/{id}/due-date-rule", id("/v1/contracts/%d/due-date-rule", f.active), `"due_date_rule": {"kind": "anniversary"}`, "effective_on", "Effective_On", `"2026-08-01"`},
		{"POST /v1/contracts/{id}/plan-change", id("/v1/contracts/%d/plan-change", f.active), ``, "plan_id", "Plan_ID", `1`},
		{"POST /v1/contracts/{id}/subjects", id("/v1/contracts/%d/subjects", f.active), `"kind": "pet", "name": "Rex", "species": "dog"`, "plan_id", "Plan_ID", `1`},
		{"POST /v1/contracts/{id}/pause", id("/v1/contracts/%d/pause", f.active), `"from": "2026-08-01"`, "months", "Months", `2`},
		{"POST /v1/contracts/{id}/resume", id("/v1/contracts/%d/resume", f.active), ``, "on", "ON", `"2026-08-01"`},
		{"POST /v1/contracts/{id}/changes/{change_id}/cancel", id("/v1/contracts/%d/changes/1/cancel", f.active), ``, "reason", "Reason", `"x"`},
		{"POST /v1/benefits", "/v1/benefits", `"name": "Tosa"`, "unit_cost", "Unit_Cost", `"10.00"`},
		{"PUT /v1/benefits/{id}", id("/v1/benefits/%d", f.benefit), `"name": "Banho"`, "unit_cost", "UNIT_COST", `"30.00"`},
		{"POST /v1/plans/{id}/benefits", id("/v1/plans/%d/benefits", f.plan), `"benefit_id": 1`, "quantity", "Quantity", `4`},
		{"PUT /v1/contracts/{id}/benefits/{benefit_id}", id("/v1/contracts/%d/benefits/%d", f.active, f.benefit), ``, "quantity", "QUANTITY", `2`},
		{"POST /v1/contracts/{id}/benefit-usages", id("/v1/contracts/%d/benefit-usages", f.active), `"benefit_id": 1`, "quantity", "quantitY", `1`},
		{"POST /v1/contracts/{id}/charges", id("/v1/contracts/%d/charges", f.active), `"description": "Visita"`, "amount", "Amount", `"10.00"`},
		{"POST /v1/contracts/{id}/addons", id("/v1/contracts/%d/addons", f.active), `"description": "IP fixo"`, "price", "PRICE", `"30.00"`},
		{"POST /v1/email-templates", "/v1/email-templates", `"kind": "renewed", "html_body": "<p>x</p>", "text_body": "x"`, "subject", "Subject", `"Olá"`},
		{"PUT /v1/email-templates/{id}", id("/v1/email-templates/%d", f.template), `"kind": "renewed", "html_body": "<p>x</p>", "text_body": "x"`, "subject", "SUBJECT", `"Olá"`},
		{"POST /v1/tokens", "/v1/tokens", ``, "name", "Name", `"ops-ana"`},
		{"POST /v1/payments/{id}/reverse", id("/v1/payments/%d/reverse", f.payment), ``, "reason", "Reason", `"chargeback"`},
		{"POST /v1/simulations", "/v1/simulations?until=2027-07-20", fmt.Sprintf(`"customer_id": %d, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}`, f.customer),
			"plan_id", "Plan_ID", fmt.Sprint(f.plan)},
		{"POST /v1/webhooks", "/v1/webhooks", `"url": "https://erp.example.com/hook"`, "secret", "Secret", `"0123456789abcdef"`},
		{"PATCH /v1/installments/{id}", id("/v1/installments/%d", f.openInst), `"reason": "x"`, "due_date", "Due_Date", `"2026-08-10"`},
		{"POST /v1/installments/{id}/cancel", id("/v1/installments/%d/cancel", f.openInst), ``, "reason", "REASON", `"x"`},
		{"PATCH /v1/customers/{id}", id("/v1/customers/%d", f.customer), ``, "phone", "Phone", `"11912345678"`},
		{"POST /v1/cancellation-reasons", "/v1/cancellation-reasons", `"name": "x"`, "code", "Code", `"price"`},
	} {
		method, _, _ := strings.Cut(r.route, " ")
		sep := ""
		if r.body != "" {
			sep = ", "
		}
		cases = append(cases,
			keyCase{r.route, method, r.path, "{" + r.body + sep + fmt.Sprintf(`%q: %s, %q: %s`, r.key, r.value, r.key, r.value) + "}", r.key, "repeated"},
			keyCase{r.route, method, r.path, "{" + r.body + sep + fmt.Sprintf(`%q: %s`, r.variant, r.value) + "}", r.variant, r.key})
	}
	return cases
}

// TestRepeatedAndCaseVariantKeys sends every route that reads a body a repeated key and a
// key that matches a field only when case is ignored: 400 naming the key (and, for a case
// variant, the field meant), and nothing written. A payment of "1.00" followed by
// "amount": "99.90" used to be recorded as 99.90.
func TestRepeatedAndCaseVariantKeys(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	f := newBadInputFixture(fx)
	start := fx.snapshot()
	t.Cleanup(func() {
		if end := fx.snapshot(); end != start {
			t.Errorf("the refused requests wrote to the database:\nbefore %s\nafter  %s", start, end)
		}
	})
	cases := append(keyCases(f), keyCase{"POST /v1/installments/{id}/payments", "POST",
		fmt.Sprintf("/v1/installments/%d/payments", f.openInst),
		`{"amount": "1.00", "paid_at": "2026-07-20", "amount": "99.90"}`, "amount", "repeated"})
	for _, tc := range cases {
		t.Run(tc.field+" "+tc.route, func(t *testing.T) {
			t.Parallel()
			b := fx.with(t)
			r := b.send(tc.method, tc.path, tc.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("%s %s %s: status %d, want 400; body %s", tc.method, tc.path, tc.body, r.status, r.raw)
			}
			e := r.err(t)
			if e.Error != "invalid" || e.Field != tc.field || !strings.HasPrefix(e.Message, tc.field+": ") || !strings.Contains(e.Message, tc.reason) {
				t.Errorf("%s: error %+v, want invalid naming %q and %q", tc.body, e, tc.field, tc.reason)
			}
		})
	}
}

// TestKeyCasesCoverEveryBodyRoute keeps keyCases in step with the routes that read a body
// (every route but GET and DELETE).
func TestKeyCasesCoverEveryBodyRoute(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, c := range keyCases(badInputFixture{}) {
		covered[c.route] = true
	}
	for _, r := range (&api.Server{}).Routes() {
		if strings.HasPrefix(r, "GET ") || strings.HasPrefix(r, "DELETE ") || r == "POST /v1/payment-files" { // a file, not JSON
			continue
		}
		if !covered[r] {
			t.Errorf("keyCases has no case for %s", r)
		}
	}
}
