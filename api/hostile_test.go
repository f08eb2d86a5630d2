package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// hostileCase is an injection-shaped or wrong-typed request to one route.
type hostileCase struct {
	route, kind  string // kind: "injection" or "wrong type"
	method, path string
	body         any
	status       int
	field        string
}

const sqlInjection = `1' OR '1'='1'; DROP TABLE contracts; --`

// hostileCases gives every route of Routes() at least one injection-shaped and one
// wrong-typed request, each refused with a 4xx naming the field.
func hostileCases(f badInputFixture) []hostileCase {
	inj := url.PathEscape(sqlInjection)
	q := func(name, value string) string { return "?" + url.Values{name: {value}}.Encode() }
	contract := func(field string, value any) map[string]any {
		body := map[string]any{"customer_id": f.customer, "plan_id": f.plan, "adhesion_date": "2026-07-01",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}
		body[field] = value
		return body
	}
	activate := fmt.Sprintf("/v1/contracts/%d/activate", f.pending)
	cancel := fmt.Sprintf("/v1/contracts/%d/cancel", f.active)
	pay := fmt.Sprintf("/v1/installments/%d/payments", f.openInst)
	plan := `{"name": "Plano", "price": "99.90", "period": %s, "installments_per_term": 12}`
	id := func(format string, ids ...any) string { return fmt.Sprintf(format, ids...) }
	planPath, contractPath := id("/v1/plans/%d", f.plan), id("/v1/contracts/%d", f.active)
	benefitPath, templatePath := id("/v1/benefits/%d", f.benefit), id("/v1/email-templates/%d", f.template)
	grant := id("/v1/contracts/%d/benefits/%d", f.active, f.benefit)
	usages := id("/v1/contracts/%d/benefit-usages", f.active)
	charges, addons := id("/v1/contracts/%d/charges", f.active), id("/v1/contracts/%d/addons", f.active)
	template := func(field string, value any) map[string]any {
		body := map[string]any{"kind": "welcome", "subject": "Olá", "html_body": "<p>Olá</p>", "text_body": "Olá"}
		body[field] = value
		return body
	}
	return []hostileCase{
		{"POST /v1/plans", "injection", "POST", "/v1/plans", fmt.Sprintf(plan, `"monthly'; DROP TABLE plans; --"`), 422, "period"},
		{"POST /v1/plans", "wrong type", "POST", "/v1/plans", fmt.Sprintf(plan, `["monthly"]`), 400, "period"},
		{"GET /v1/plans", "injection", "GET", "/v1/plans" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/plans", "wrong type", "GET", "/v1/plans?limit=1.5", nil, 400, "limit"},
		{"GET /v1/plans/{id}", "injection", "GET", "/v1/plans/" + inj, nil, 400, "id"},
		{"GET /v1/plans/{id}", "wrong type", "GET", "/v1/plans/true", nil, 400, "id"},
		{"POST /v1/customers", "injection", "POST", "/v1/customers", map[string]any{"name": "Ana", "email": sqlInjection}, 422, "email"},
		{"POST /v1/customers", "wrong type", "POST", "/v1/customers", `{"name": "Ana", "email": {"$ne": null}}`, 400, "email"},
		{"GET /v1/customers", "injection", "GET", "/v1/customers" + q("limit", sqlInjection), nil, 400, "limit"},
		{"GET /v1/customers", "wrong type", "GET", "/v1/customers?after=1e3", nil, 400, "after"},
		{"GET /v1/customers/{id}", "injection", "GET", "/v1/customers/" + inj, nil, 400, "id"},
		{"GET /v1/customers/{id}", "wrong type", "GET", "/v1/customers/1.0", nil, 400, "id"},
		{"POST /v1/contracts", "injection", "POST", "/v1/contracts", contract("payment_method", "pix'; DROP TABLE contracts; --"), 422, "payment_method"},
		{"POST /v1/contracts", "injection in a date", "POST", "/v1/contracts", contract("adhesion_date", "2026-07-01' OR '1'='1"), 422, "adhesion_date"},
		{"POST /v1/contracts", "wrong type", "POST", "/v1/contracts", contract("adhesion_date", 20260701), 400, "adhesion_date"},
		{"GET /v1/contracts", "injection", "GET", "/v1/contracts" + q("status", "active' OR '1'='1"), nil, 400, "status"},
		{"GET /v1/contracts", "wrong type", "GET", "/v1/contracts?customer_id=true", nil, 400, "customer_id"},
		{"GET /v1/contracts/{id}", "injection", "GET", "/v1/contracts/" + inj, nil, 400, "id"},
		{"GET /v1/contracts/{id}", "wrong type", "GET", "/v1/contracts/%5B1%5D", nil, 400, "id"},
		{"POST /v1/contracts/{id}/activate", "injection", "POST", activate, map[string]any{"date": "2026-07-20' OR '1'='1"}, 422, "date"},
		{"POST /v1/contracts/{id}/activate", "injection in the path", "POST", "/v1/contracts/" + inj + "/activate", `{"date": "2026-07-20"}`, 400, "id"},
		{"POST /v1/contracts/{id}/activate", "wrong type", "POST", activate, `{"date": true}`, 400, "date"},
		{"POST /v1/contracts/{id}/cancel", "injection", "POST", cancel, map[string]any{"date": "2026-07-20'; UPDATE contracts SET status = 'cancelled'; --"}, 422, "date"},
		{"POST /v1/contracts/{id}/cancel", "wrong type", "POST", cancel, `{"date": ["2026-07-20"]}`, 400, "date"},
		{"GET /v1/contracts/{id}/installments", "injection", "GET", "/v1/contracts/" + inj + "/installments", nil, 400, "id"},
		{"GET /v1/contracts/{id}/installments", "wrong type", "GET", "/v1/contracts/-1/installments", nil, 400, "id"},
		{"GET /v1/contracts/{id}/timeline", "injection", "GET", "/v1/contracts/1/timeline" + q("limit", "1; DROP TABLE events"), nil, 400, "limit"},
		{"GET /v1/contracts/{id}/timeline", "wrong type", "GET", "/v1/contracts/1/timeline?limit=1.5", nil, 400, "limit"},
		{"GET /v1/contracts/{id}/explain", "injection", "GET", "/v1/contracts/" + inj + "/explain", nil, 400, "id"},
		{"GET /v1/contracts/{id}/explain", "wrong type", "GET", "/v1/contracts/1/explain?on=true", nil, 400, "on"},
		{"GET /v1/installments", "injection", "GET", "/v1/installments" + q("contract_id", "1 OR 1=1"), nil, 400, "contract_id"},
		{"GET /v1/installments", "injection in a date", "GET", "/v1/installments" + q("due_from", "2026-07-01' --"), nil, 400, "due_from"},
		{"GET /v1/installments", "wrong type", "GET", "/v1/installments?due_to=20260701", nil, 400, "due_to"},
		{"POST /v1/installments/{id}/payments", "injection", "POST", pay, map[string]any{"amount": "99.90; UPDATE installments SET state = 'paid'", "paid_at": "2026-07-20"}, 422, "amount"},
		{"POST /v1/installments/{id}/payments", "wrong type", "POST", pay, `{"amount": "99.90", "paid_at": 20260720}`, 400, "paid_at"},
		{"POST /v1/holidays", "injection", "POST", "/v1/holidays", map[string]any{"date": "2026-12-08'); DELETE FROM holidays; --", "name": "x"}, 422, "date"},
		{"POST /v1/holidays", "wrong type", "POST", "/v1/holidays", `{"date": "2026-12-08", "name": false}`, 400, "name"},
		{"GET /v1/holidays", "injection", "GET", "/v1/holidays" + q("from", "2026-01-01'; DROP TABLE holidays; --"), nil, 400, "from"},
		{"GET /v1/holidays", "wrong type", "GET", "/v1/holidays?to=true", nil, 400, "to"},
		{"DELETE /v1/holidays/{date}", "injection", "DELETE", "/v1/holidays/" + url.PathEscape("2026-11-30' OR '1'='1"), nil, 400, "date"},
		{"DELETE /v1/holidays/{date}", "wrong type", "DELETE", "/v1/holidays/20261130", nil, 400, "date"},
		{"POST /v1/runs", "injection", "POST", "/v1/runs", map[string]any{"job": "generate-installments'; DROP TABLE job_runs; --"}, 422, "job"},
		{"POST /v1/runs", "wrong type", "POST", "/v1/runs", `{"job": "generate-installments", "as_of": 20260720}`, 400, "as_of"},
		{"GET /v1/runs", "injection", "GET", "/v1/runs" + q("job", "generate-installments' OR '1'='1"), nil, 400, "job"},
		{"GET /v1/runs", "wrong type", "GET", "/v1/runs?state=1", nil, 400, "state"},
		{"GET /v1/runs/{id}", "injection", "GET", "/v1/runs/" + inj, nil, 400, "id"},
		{"GET /v1/runs/{id}", "wrong type", "GET", "/v1/runs/0x10", nil, 400, "id"},
		{"PATCH /v1/plans/{id}", "injection", "PATCH", planPath, map[string]any{"price": "0.01'; UPDATE plans SET price = 0; --"}, 422, "price"},
		{"PATCH /v1/plans/{id}", "injection in the path", "PATCH", "/v1/plans/" + inj, `{"name": "Plano"}`, 400, "id"},
		{"PATCH /v1/plans/{id}", "wrong type", "PATCH", planPath, `{"renewal_threshold": "2"}`, 400, "renewal_threshold"},
		{"PATCH /v1/contracts/{id}", "injection", "PATCH", contractPath, map[string]any{"renewal_price_mode": "suggested' OR '1'='1"}, 422, "renewal_price_mode"},
		{"PATCH /v1/contracts/{id}", "wrong type", "PATCH", contractPath, `{"auto_renew": "false"}`, 400, "auto_renew"},
		{"POST /v1/contracts/{id}/renew", "injection", "POST", contractPath + "/renew", map[string]any{"date": "2026-07-20'; UPDATE contracts SET term = term + 1; --"}, 422, "date"},
		{"POST /v1/contracts/{id}/renew", "injection in the path", "POST", "/v1/contracts/" + inj + "/renew", nil, 400, "id"},
		{"POST /v1/contracts/{id}/renew", "wrong type", "POST", contractPath + "/renew", `{"date": 20260720}`, 400, "date"},
		{"GET /v1/renewals", "injection", "GET", "/v1/renewals" + q("state", "queued' OR '1'='1"), nil, 400, "state"},
		{"GET /v1/renewals", "injection in a date", "GET", "/v1/renewals" + q("from", "2026-07-01'; --"), nil, 400, "from"},
		{"GET /v1/renewals", "wrong type", "GET", "/v1/renewals?contract_id=true", nil, 400, "contract_id"},
		{"POST /v1/blocking-rules", "injection", "POST", "/v1/blocking-rules", map[string]any{"name": "R", "block_after_days": "10; DROP TABLE blocking_rules; --"}, 400, "block_after_days"},
		{"POST /v1/blocking-rules", "injection with NUL", "POST", "/v1/blocking-rules", map[string]any{"name": "R\x00'; --", "block_after_days": 10}, 422, "name"},
		{"POST /v1/blocking-rules", "wrong type", "POST", "/v1/blocking-rules", `{"name": "R", "block_after_days": 10, "default": "true"}`, 400, "default"},
		{"GET /v1/blocking-rules", "injection", "GET", "/v1/blocking-rules" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/blocking-rules", "wrong type", "GET", "/v1/blocking-rules?limit=true", nil, 400, "limit"},
		{"GET /v1/blocking-rules/{id}", "injection", "GET", "/v1/blocking-rules/" + inj, nil, 400, "id"},
		{"GET /v1/blocking-rules/{id}", "wrong type", "GET", "/v1/blocking-rules/1.5", nil, 400, "id"},
		{"POST /v1/contracts/{id}/trust-unlock", "injection", "POST", contractPath + "/trust-unlock", map[string]any{"days": "3; UPDATE contracts SET status = 'active'; --"}, 400, "days"},
		{"POST /v1/contracts/{id}/trust-unlock", "injection in the path", "POST", "/v1/contracts/" + inj + "/trust-unlock", `{"days": 3}`, 400, "id"},
		{"POST /v1/contracts/{id}/trust-unlock", "wrong type", "POST", contractPath + "/trust-unlock", `{"days": 1.5}`, 400, "days"},
		{"GET /v1/collections", "injection", "GET", "/v1/collections" + q("step", sqlInjection), nil, 400, "step"},
		{"GET /v1/collections", "wrong type", "GET", "/v1/collections?from=true", nil, 400, "from"},
		{"POST /v1/benefits", "injection", "POST", "/v1/benefits", map[string]any{"name": "Banho", "unit_cost": "30.00'; DROP TABLE benefits; --"}, 422, "unit_cost"},
		{"POST /v1/benefits", "wrong type", "POST", "/v1/benefits", `{"name": "Banho", "unit_cost": "30.00", "active": "yes"}`, 400, "active"},
		{"GET /v1/benefits", "injection", "GET", "/v1/benefits" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/benefits", "wrong type", "GET", "/v1/benefits?limit=1e2", nil, 400, "limit"},
		{"GET /v1/benefits/{id}", "injection", "GET", "/v1/benefits/" + inj, nil, 400, "id"},
		{"GET /v1/benefits/{id}", "wrong type", "GET", "/v1/benefits/true", nil, 400, "id"},
		{"PUT /v1/benefits/{id}", "injection", "PUT", benefitPath, map[string]any{"name": "Banho", "unit_cost": "0 WHERE 1=1; --"}, 422, "unit_cost"},
		{"PUT /v1/benefits/{id}", "wrong type", "PUT", benefitPath, `{"name": ["Banho"], "unit_cost": "30.00"}`, 400, "name"},
		{"POST /v1/plans/{id}/benefits", "injection", "POST", planPath + "/benefits",
			map[string]any{"benefit_id": f.benefit, "quantity": 4, "renewal_period": "monthly'; DROP TABLE plan_benefits; --"}, 422, "renewal_period"},
		{"POST /v1/plans/{id}/benefits", "wrong type", "POST", planPath + "/benefits", fmt.Sprintf(`{"benefit_id": "%d", "quantity": 4, "renewal_period": "monthly"}`, f.benefit), 400, "benefit_id"},
		{"GET /v1/plans/{id}/benefits", "injection", "GET", "/v1/plans/" + inj + "/benefits", nil, 400, "id"},
		{"GET /v1/plans/{id}/benefits", "wrong type", "GET", planPath + "/benefits?after=x", nil, 400, "after"},
		{"GET /v1/contracts/{id}/benefits", "injection", "GET", contractPath + "/benefits" + q("on", "2026-07-20' OR '1'='1"), nil, 400, "on"},
		{"GET /v1/contracts/{id}/benefits", "injection in the path", "GET", "/v1/contracts/" + inj + "/benefits", nil, 400, "id"},
		{"GET /v1/contracts/{id}/benefits", "wrong type", "GET", contractPath + "/benefits?on=20260720", nil, 400, "on"},
		{"PUT /v1/contracts/{id}/benefits/{benefit_id}", "injection", "PUT", grant, map[string]any{"renewal_period": "monthly' OR '1'='1"}, 422, "renewal_period"},
		{"PUT /v1/contracts/{id}/benefits/{benefit_id}", "injection in the path", "PUT", contractPath + "/benefits/" + inj, `{"quantity": 0}`, 400, "benefit_id"},
		{"PUT /v1/contracts/{id}/benefits/{benefit_id}", "wrong type", "PUT", grant, `{"quantity": "0"}`, 400, "quantity"},
		{"POST /v1/contracts/{id}/benefit-usages", "injection", "POST", usages, map[string]any{"benefit_id": f.benefit, "used_at": "2026-07-20'); DELETE FROM benefit_usages; --"}, 422, "used_at"},
		{"POST /v1/contracts/{id}/benefit-usages", "wrong type", "POST", usages, fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-20", "quantity": [1]}`, f.benefit), 400, "quantity"},
		{"GET /v1/contracts/{id}/benefit-usages", "injection", "GET", usages + q("benefit_id", "1 OR 1=1"), nil, 400, "benefit_id"},
		{"GET /v1/contracts/{id}/benefit-usages", "injection in a date", "GET", usages + q("from", "2026-07-01'; DELETE FROM benefit_usages; --"), nil, 400, "from"},
		{"GET /v1/contracts/{id}/benefit-usages", "injection in a flag", "GET", usages + q("reversed", "true' OR '1'='1"), nil, 400, "reversed"},
		{"GET /v1/contracts/{id}/benefit-usages", "wrong type", "GET", usages + "?reversed=1", nil, 400, "reversed"},
		{"DELETE /v1/contracts/{id}/benefit-usages/{usage_id}", "injection", "DELETE", usages + "/" + inj, nil, 400, "usage_id"},
		{"DELETE /v1/contracts/{id}/benefit-usages/{usage_id}", "wrong type", "DELETE", usages + "/1.0", nil, 400, "usage_id"},
		{"POST /v1/contracts/{id}/charges", "injection", "POST", charges, map[string]any{"description": "Visita", "amount": "10.00'; DELETE FROM installment_lines; --"}, 422, "amount"},
		{"POST /v1/contracts/{id}/charges", "wrong type", "POST", charges, `{"description": "Visita", "amount": "10.00", "installments": "3"}`, 400, "installments"},
		{"GET /v1/contracts/{id}/charges", "injection", "GET", charges + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/contracts/{id}/charges", "wrong type", "GET", charges + "?limit=1.5", nil, 400, "limit"},
		{"POST /v1/contracts/{id}/addons", "injection", "POST", addons, map[string]any{"description": "IP", "price": "30.00", "from": "2026-07-20'); DROP TABLE contract_addons; --"}, 422, "from"},
		{"POST /v1/contracts/{id}/addons", "wrong type", "POST", addons, `{"description": "IP", "price": 30}`, 400, "price"},
		{"GET /v1/contracts/{id}/addons", "injection", "GET", addons + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/contracts/{id}/addons", "wrong type", "GET", addons + "?after=1e3", nil, 400, "after"},
		{"DELETE /v1/contracts/{id}/addons/{addon_id}", "injection", "DELETE", addons + "/" + inj, nil, 400, "addon_id"},
		{"DELETE /v1/contracts/{id}/addons/{addon_id}", "wrong type", "DELETE", addons + "/1" + q("until", "2026-07-20' OR '1'='1"), nil, 400, "until"},
		{"GET /v1/reports/benefit-usage", "injection", "GET", "/v1/reports/benefit-usage" + q("group_by", "customer' OR '1'='1"), nil, 400, "group_by"},
		{"GET /v1/reports/benefit-usage", "injection in a date", "GET", "/v1/reports/benefit-usage" + q("from", "2026-07-01' OR '1'='1"), nil, 400, "from"},
		{"GET /v1/reports/benefit-usage", "wrong type", "GET", "/v1/reports/benefit-usage?benefit_id=1.5", nil, 400, "benefit_id"},
		{"POST /v1/email-templates", "injection", "POST", "/v1/email-templates", template("kind", "welcome'; DROP TABLE email_templates; --"), 422, "kind"},
		{"POST /v1/email-templates", "template injection", "POST", "/v1/email-templates", template("subject", `{{.Customer.Password}}`), 422, "subject"},
		{"POST /v1/email-templates", "wrong type", "POST", "/v1/email-templates", template("plan_id", "1"), 400, "plan_id"},
		{"GET /v1/email-templates", "injection", "GET", "/v1/email-templates" + q("kind", "welcome' OR '1'='1"), nil, 400, "kind"},
		{"GET /v1/email-templates", "wrong type", "GET", "/v1/email-templates?after=true", nil, 400, "after"},
		{"GET /v1/email-templates/{id}", "injection", "GET", "/v1/email-templates/" + inj, nil, 400, "id"},
		{"GET /v1/email-templates/{id}", "wrong type", "GET", "/v1/email-templates/%5B1%5D", nil, 400, "id"},
		{"PUT /v1/email-templates/{id}", "injection", "PUT", templatePath, template("scope", "plan' OR '1'='1"), 422, "scope"},
		{"PUT /v1/email-templates/{id}", "wrong type", "PUT", templatePath, template("contract_id", true), 400, "contract_id"},
		{"GET /v1/notifications", "injection", "GET", "/v1/notifications" + q("state", "sent' OR '1'='1"), nil, 400, "state"},
		{"GET /v1/notifications", "wrong type", "GET", "/v1/notifications?contract_id=1.5", nil, 400, "contract_id"},
		{"GET /v1/notifications/{id}", "injection", "GET", "/v1/notifications/" + inj, nil, 400, "id"},
		{"GET /v1/notifications/{id}", "wrong type", "GET", id("/v1/notifications/%d.0", f.notice), nil, 400, "id"},
		{"POST /v1/tokens", "injection", "POST", "/v1/tokens", map[string]any{"name": "ops'); DELETE FROM api_tokens; --"}, 422, "name"},
		{"POST /v1/tokens", "wrong type", "POST", "/v1/tokens", `{"name": ["ops"]}`, 400, "name"},
		{"GET /v1/tokens", "injection", "GET", "/v1/tokens" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/tokens", "wrong type", "GET", "/v1/tokens?limit=true", nil, 400, "limit"},
		{"DELETE /v1/tokens/{id}", "injection", "DELETE", "/v1/tokens/" + inj, nil, 400, "id"},
		{"DELETE /v1/tokens/{id}", "wrong type", "DELETE", "/v1/tokens/1.5", nil, 400, "id"},
		{"GET /v1/events", "injection", "GET", "/v1/events" + q("kind", sqlInjection), nil, 400, "kind"},
		{"GET /v1/events", "wrong type", "GET", "/v1/events?contract_id=true", nil, 400, "contract_id"},
		{"POST /v1/webhooks", "injection", "POST", "/v1/webhooks", map[string]any{"url": "https://x.example.com/'); DROP TABLE events; --",
			"secret": "0123456789abcdef", "kinds": []string{"contract.restored'; DELETE FROM events; --"}}, 422, "kinds[0]"},
		{"POST /v1/webhooks", "wrong type", "POST", "/v1/webhooks", `{"url": "https://x.example.com/", "secret": 1234567890123456}`, 400, "secret"},
		{"GET /v1/webhooks", "injection", "GET", "/v1/webhooks" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/webhooks", "wrong type", "GET", "/v1/webhooks?limit=true", nil, 400, "limit"},
		{"DELETE /v1/webhooks/{id}", "injection", "DELETE", "/v1/webhooks/" + inj, nil, 400, "id"},
		{"DELETE /v1/webhooks/{id}", "wrong type", "DELETE", "/v1/webhooks/1.5", nil, 400, "id"},
		{"GET /v1/audit", "injection", "GET", "/v1/audit" + q("route", "POST /v1/runs' OR '1'='1"), nil, 400, "route"},
		{"GET /v1/audit", "injection in a date", "GET", "/v1/audit" + q("from", "2026-07-01'; DELETE FROM audit_log; --"), nil, 400, "from"},
		{"GET /v1/audit", "wrong type", "GET", "/v1/audit?to=20260720", nil, 400, "to"},
		{"GET /v1/installments/{id}", "injection", "GET", id("/v1/installments/%d", f.openInst) + q("on", "2026-07-20' OR '1'='1"), nil, 400, "on"},
		{"GET /v1/installments/{id}", "wrong type", "GET", "/v1/installments/" + inj, nil, 400, "id"},
		{"GET /v1/payments", "injection", "GET", "/v1/payments" + q("installment_id", sqlInjection), nil, 400, "installment_id"},
		{"GET /v1/payments", "wrong type", "GET", "/v1/payments?contract_id=1.5", nil, 400, "contract_id"},
		{"GET /v1/payments/{id}", "injection", "GET", "/v1/payments/" + inj, nil, 400, "id"},
		{"GET /v1/payments/{id}", "wrong type", "GET", "/v1/payments/true", nil, 400, "id"},
		{"POST /v1/payments/{id}/reverse", "injection", "POST", "/v1/payments/" + inj + "/reverse", `{"reason": "chargeback"}`, 400, "id"},
		{"POST /v1/payments/{id}/reverse", "wrong type", "POST", id("/v1/payments/%d/reverse", f.payment), `{"reason": ["chargeback"]}`, 400, "reason"},
		{"POST /v1/contracts/{id}/due-date-rule", "injection", "POST", contractPath + "/due-date-rule",
			map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day'; DROP TABLE contracts; --", "day": 25}}, 422, "due_date_rule.kind"},
		{"POST /v1/contracts/{id}/due-date-rule", "wrong type", "POST", contractPath + "/due-date-rule", `{"due_date_rule": {"kind": "fixed_day", "day": "25"}}`, 400, "due_date_rule.day"},
		{"POST /v1/contracts/{id}/plan-change", "injection", "POST", contractPath + "/plan-change", map[string]any{"plan_id": 1, "effective": "now' OR '1'='1"}, 422, "effective"},
		{"POST /v1/contracts/{id}/plan-change", "wrong type", "POST", contractPath + "/plan-change", `{"plan_id": "1"}`, 400, "plan_id"},
		{"POST /v1/contracts/{id}/subjects", "injection", "POST", contractPath + "/subjects",
			map[string]any{"kind": "vehicle", "plate": "ABC1234'; DROP TABLE contract_subjects; --", "model": "Gol", "plan_id": 1}, 422, "plate"},
		{"POST /v1/contracts/{id}/subjects", "wrong type", "POST", contractPath + "/subjects", `{"kind": "pet", "plan_id": "1"}`, 400, "plan_id"},
		{"GET /v1/contracts/{id}/subjects", "injection", "GET", contractPath + "/subjects" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/contracts/{id}/subjects", "wrong type", "GET", "/v1/contracts/1.5/subjects", nil, 400, "id"},
		{"DELETE /v1/contracts/{id}/subjects/{subject_id}", "injection", "DELETE", contractPath + "/subjects/" + inj, nil, 400, "subject_id"},
		{"DELETE /v1/contracts/{id}/subjects/{subject_id}", "wrong type", "DELETE", contractPath + "/subjects/1.5", nil, 400, "subject_id"},
		{"POST /v1/contracts/{id}/pause", "injection", "POST", contractPath + "/pause", map[string]any{"months": 2, "from": "2026-08-01'; --"}, 422, "from"},
		{"POST /v1/contracts/{id}/pause", "wrong type", "POST", contractPath + "/pause", `{"months": 1.5}`, 400, "months"},
		{"POST /v1/contracts/{id}/resume", "injection", "POST", contractPath + "/resume", map[string]any{"on": "2026-08-01' OR '1'='1"}, 422, "on"},
		{"POST /v1/contracts/{id}/resume", "wrong type", "POST", contractPath + "/resume", `{"on": 20260801}`, 400, "on"},
		{"GET /v1/contracts/{id}/changes", "injection", "GET", contractPath + "/changes" + q("after", sqlInjection), nil, 400, "after"},
		{"GET /v1/contracts/{id}/changes", "wrong type", "GET", "/v1/contracts/1.5/changes", nil, 400, "id"},
		{"DELETE /v1/contracts/{id}/changes/{change_id}", "injection", "DELETE", contractPath + "/changes/" + inj, nil, 400, "change_id"},
		{"DELETE /v1/contracts/{id}/changes/{change_id}", "wrong type", "DELETE", contractPath + "/changes/1.5", nil, 400, "change_id"},
		{"POST /v1/contracts/{id}/changes/{change_id}/cancel", "injection", "POST", contractPath + "/changes/" + inj + "/cancel", nil, 400, "change_id"},
		{"POST /v1/contracts/{id}/changes/{change_id}/cancel", "wrong type", "POST", contractPath + "/changes/1/cancel", `{"reason": 7}`, 400, "reason"},
		{"GET /v1/installments/overdue", "injection", "GET", "/v1/installments/overdue" + q("on", "2026-07-20' OR '1'='1"), nil, 400, "on"},
		{"GET /v1/installments/overdue", "wrong type", "GET", "/v1/installments/overdue?format=1", nil, 400, "format"},
		{"GET /v1/contracts/{id}/forecast", "injection", "GET", contractPath + "/forecast" + q("until", "2027-01-01'; DROP TABLE installments; --"), nil, 400, "until"},
		{"GET /v1/contracts/{id}/forecast", "injection in the path", "GET", "/v1/contracts/" + inj + "/forecast?until=2027-01-01", nil, 400, "id"},
		{"GET /v1/contracts/{id}/forecast", "wrong type", "GET", contractPath + "/forecast?until=20270101", nil, 400, "until"},
		{"POST /v1/simulations", "injection", "POST", "/v1/simulations?until=2027-01-01", contract("billing_method", "grouped'; DROP TABLE contracts; --"), 422, "billing_method"},
		{"POST /v1/simulations", "wrong type", "POST", "/v1/simulations?until=2027-01-01", contract("price", 99.9), 400, "price"},
		{"POST /v1/payment-files", "injection", "POST", "/v1/payment-files" + q("filename", sqlInjection), "x", 400, "filename"},
		{"POST /v1/payment-files", "wrong type", "POST", "/v1/payment-files?filename=a.ret", `{"file": 1}`, 422, "file"},
		{"GET /v1/payment-files/{id}", "injection", "GET", "/v1/payment-files/" + inj, nil, 400, "id"},
		{"GET /v1/payment-files/{id}", "wrong type", "GET", "/v1/payment-files/true", nil, 400, "id"},
		{"GET /v1/payment-exceptions", "injection", "GET", "/v1/payment-exceptions" + q("reason", sqlInjection), nil, 400, "reason"},
		{"GET /v1/payment-exceptions", "wrong type", "GET", "/v1/payment-exceptions?from=1.5", nil, 400, "from"},
		{"PATCH /v1/installments/{id}", "injection", "PATCH", id("/v1/installments/%d", f.openInst), map[string]any{"due_date": "2026-08-10' OR '1'='1", "reason": "x"}, 422, "due_date"},
		{"PATCH /v1/installments/{id}", "wrong type", "PATCH", id("/v1/installments/%d", f.openInst), `{"amount": 79.9, "reason": "x"}`, 400, "amount"},
		{"POST /v1/installments/{id}/cancel", "injection", "POST", "/v1/installments/" + inj + "/cancel", `{"reason": "x"}`, 400, "id"},
		{"POST /v1/installments/{id}/cancel", "wrong type", "POST", id("/v1/installments/%d/cancel", f.openInst), `{"reason": ["x"]}`, 400, "reason"},
		{"GET /v1/installments/{id}/changes", "injection", "GET", "/v1/installments/" + inj + "/changes", nil, 400, "id"},
		{"GET /v1/installments/{id}/changes", "wrong type", "GET", "/v1/installments/1.5/changes", nil, 400, "id"},
		{"GET /v1/grouped-charges/{id}", "injection", "GET", "/v1/grouped-charges/" + inj, nil, 400, "id"},
		{"GET /v1/grouped-charges/{id}", "wrong type", "GET", "/v1/grouped-charges/1.5", nil, 400, "id"},
		{"POST /v1/grouped-charges/{id}/payments", "injection", "POST", "/v1/grouped-charges/1/payments", map[string]any{"amount": "149.85; UPDATE installments SET state = 'paid'", "paid_at": "2026-07-20"}, 422, "amount"},
		{"POST /v1/grouped-charges/{id}/payments", "wrong type", "POST", "/v1/grouped-charges/1/payments", `{"amount": "149.85", "paid_at": 20260720}`, 400, "paid_at"},
		{"GET /v1/customers/{id}/grouped-charges", "injection", "GET", "/v1/customers/" + inj + "/grouped-charges", nil, 400, "id"},
		{"GET /v1/customers/{id}/grouped-charges", "wrong type", "GET", "/v1/customers/true/grouped-charges", nil, 400, "id"},
		{"PATCH /v1/customers/{id}", "injection", "PATCH", id("/v1/customers/%d", f.customer), map[string]any{"document": sqlInjection}, 422, "document"},
		{"PATCH /v1/customers/{id}", "wrong type", "PATCH", id("/v1/customers/%d", f.customer), `{"phone": 11912345678}`, 400, "phone"},
		{"GET /v1/cancellation-reasons", "injection", "GET", "/v1/cancellation-reasons" + q("all", sqlInjection), nil, 400, "all"},
		{"GET /v1/cancellation-reasons", "wrong type", "GET", "/v1/cancellation-reasons?all=1", nil, 400, "all"},
		{"POST /v1/cancellation-reasons", "injection", "POST", "/v1/cancellation-reasons", map[string]any{"code": "x'; DROP TABLE cancellation_reasons; --", "name": "x"}, 422, "code"},
		{"POST /v1/cancellation-reasons", "wrong type", "POST", "/v1/cancellation-reasons", `{"code": 1, "name": "x"}`, 400, "code"},
		{"DELETE /v1/cancellation-reasons/{id}", "injection", "DELETE", "/v1/cancellation-reasons/" + inj, nil, 400, "id"},
		{"DELETE /v1/cancellation-reasons/{id}", "wrong type", "DELETE", "/v1/cancellation-reasons/true", nil, 400, "id"},
		{"GET /v1/reports/cancellations", "injection", "GET", "/v1/reports/cancellations" + q("from", "2026-01-01' --"), nil, 400, "from"},
		{"GET /v1/reports/cancellations", "wrong type", "GET", "/v1/reports/cancellations?to=20260101", nil, 400, "to"},
		{"POST /v1/installments/{id}/payments", "injection in the reference", "POST", pay,
			map[string]any{"amount": "94.90", "paid_at": "2026-07-20", "reference": "x'; DELETE FROM payments; --"}, 422, "reference"},
	}
}

// TestHostileRequestsEveryRoute sends an injection-shaped and a wrong-typed request to
// every route: each gets a 4xx JSON error naming the field, and the database is unchanged.
func TestHostileRequestsEveryRoute(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	f := newBadInputFixture(fx)
	cases := hostileCases(f)
	covered := map[string]map[string]bool{}
	for _, tc := range cases {
		kind := "injection"
		if tc.kind == "wrong type" {
			kind = tc.kind
		}
		if covered[tc.route] == nil {
			covered[tc.route] = map[string]bool{}
		}
		covered[tc.route][kind] = true
	}
	for _, route := range fx.api.Routes() {
		for _, kind := range []string{"injection", "wrong type"} {
			if !covered[route][kind] {
				t.Errorf("%s has no %s request in hostileCases", route, kind)
			}
		}
		delete(covered, route)
	}
	for route := range covered {
		t.Errorf("hostileCases names %s, which is not a route", route)
	}

	start := fx.snapshot()
	t.Cleanup(func() {
		if end := fx.snapshot(); end != start {
			t.Errorf("the hostile requests wrote to the database:\nbefore %s\nafter  %s", start, end)
		}
	})
	for _, tc := range cases {
		t.Run(tc.route+" "+tc.kind, func(t *testing.T) {
			t.Parallel()
			b := fx.with(t)
			before := b.snapshot()
			r := b.send(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.status, tc.status, r.raw)
			}
			if e := r.err(t); e.Field != tc.field || !strings.Contains(e.Message, tc.field) {
				t.Errorf("field %q, message %q: want the field %q named; body %s", e.Field, e.Message, tc.field, r.raw)
			}
			if after := b.snapshot(); after != before {
				t.Errorf("the request wrote to the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestInjectionShapedTextIsStoredVerbatim creates a customer and a holiday whose free text
// looks like SQL: it is data, stored and returned exactly, and every table is still there.
func TestInjectionShapedTextIsStoredVerbatim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := `Robert'); DROP TABLE customers; --`
	id := b.must(http.StatusCreated, "POST", "/v1/customers", map[string]any{"name": name, "email": "bobby@example.com",
		"address": map[string]any{"street": `" OR ""="`}}).id(t)
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/customers/%d", id), nil)
	if got.body["name"] != name || got.body["address"].(map[string]any)["street"] != `" OR ""="` {
		t.Errorf("customer came back as %s", got.raw)
	}
	b.must(http.StatusCreated, "POST", "/v1/holidays", map[string]any{"date": "2026-12-08", "name": `x'; DELETE FROM holidays; --`})
	if items := b.must(http.StatusOK, "GET", "/v1/holidays", nil).items(t); len(items) != 1 || items[0]["name"] != `x'; DELETE FROM holidays; --` {
		t.Errorf("holidays: %v", items)
	}
	if c := b.counts(); c["customers"] != 1 || c["holidays"] != 1 {
		t.Errorf("counts after the requests: %v", c)
	}
}
