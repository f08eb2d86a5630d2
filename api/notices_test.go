package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestEmailTemplateRefusedAtSave: a template that does not parse or names a field that does
// not exist is refused by POST and PUT with 422 naming the part and the reason; nothing is
// written.
func TestEmailTemplateRefusedAtSave(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	id := b.must(http.StatusCreated, "POST", "/v1/email-templates",
		`{"kind": "overdue", "subject": "Vencida: {{.Installment.DueDate}}", "html_body": "<p>{{.Customer.Name}}</p>", "text_body": "{{.Customer.Name}}"}`).id(t)
	// A valid plan template is stored; PUT replaces it.
	pt := b.must(http.StatusCreated, "POST", "/v1/email-templates",
		`{"kind": "welcome", "scope": "plan", "plan_id": `+itoa(plan)+`, "subject": "Oi", "html_body": "<p>Oi</p>", "text_body": "Oi"}`).id(t)
	r := b.must(http.StatusOK, "PUT", "/v1/email-templates/"+itoa(pt),
		`{"kind": "welcome", "scope": "plan", "plan_id": `+itoa(plan)+`, "subject": "Olá {{.Plan.Name}}", "html_body": "<p>Oi</p>", "text_body": "Oi"}`)
	if r.body["subject"] != "Olá {{.Plan.Name}}" || r.body["scope"] != "plan" {
		t.Errorf("PUT answered %v", r.body)
	}
	if items := b.must(http.StatusOK, "GET", "/v1/email-templates?scope=plan&kind=welcome", nil).items(t); len(items) != 1 {
		t.Errorf("list %v", items)
	}
	tests := []struct {
		name, body, field, reason string
		status                    int
	}{
		{"syntax error", `{"kind": "welcome", "subject": "Olá {{.Customer.Name", "html_body": "x", "text_body": "x"}`, "subject", "unclosed action", 422},
		{"unknown field", `{"kind": "welcome", "subject": "x", "html_body": "<p>{{.Contract.Preco}}</p>", "text_body": "x"}`, "html_body", "unknown field Preco in ContractData", 422},
		{"unknown field in an if", `{"kind": "welcome", "subject": "x", "html_body": "x", "text_body": "{{if .Installment.ID}}{{.Installment.Valor}}{{end}}"}`, "text_body", "unknown field Valor", 422},
		{"unknown kind", `{"kind": "birthday", "subject": "x", "html_body": "x", "text_body": "x"}`, "kind", "birthday", 422},
		{"plan scope without plan", `{"kind": "welcome", "scope": "plan", "subject": "x", "html_body": "x", "text_body": "x"}`, "plan_id", "required", 422},
		{"unknown plan", `{"kind": "welcome", "scope": "plan", "plan_id": 999, "subject": "x", "html_body": "x", "text_body": "x"}`, "plan_id", "no plan with id 999", 422},
		{"unknown contract", `{"kind": "welcome", "scope": "contract", "contract_id": 5, "subject": "x", "html_body": "x", "text_body": "x"}`, "contract_id", "no contract", 422},
		{"second default of a kind", `{"kind": "overdue", "subject": "x", "html_body": "x", "text_body": "x"}`, "", "already exists", 409},
		{"unknown JSON field", `{"kind": "welcome", "subject": "x", "html_body": "x", "text_body": "x", "body": "x"}`, "body", "unknown field", 400},
	}
	before := b.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := b.with(t)
			for _, req := range []struct{ method, path string }{{"POST", "/v1/email-templates"}, {"PUT", "/v1/email-templates/" + itoa(id)}} {
				if tt.status == 409 && req.method == "PUT" {
					continue
				}
				r := b.send(req.method, req.path, tt.body)
				e := r.err(t)
				if r.status != tt.status || e.Field != tt.field || !strings.Contains(e.Message, tt.reason) {
					t.Errorf("%s: %d %+v, want %d on %q mentioning %q", req.method, r.status, e, tt.status, tt.field, tt.reason)
				}
			}
		})
	}
	t.Cleanup(func() {
		if after := b.snapshot(); after != before {
			t.Errorf("refused templates wrote:\n%s\n%s", before, after)
		}
		got := b.must(http.StatusOK, "GET", "/v1/email-templates/"+itoa(id), nil).body
		if got["subject"] != "Vencida: {{.Installment.DueDate}}" {
			t.Errorf("template changed: %v", got)
		}
	})
}

// TestNotificationsListFilters checks the filters of GET /v1/notifications and their
// validation.
func TestNotificationsListFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "anniversary"},
		"welcome_email": true, "welcome_email_to": "outro@example.com"}).id(t)
	b.exec("INSERT INTO notices (contract_id, kind, reference, state) VALUES ($1, 'renewed', '2', 'pending')", c)
	for q, want := range map[string]int{"": 2, "?kind=welcome": 1, "?state=pending": 2, "?contract_id=" + itoa(c) + "&kind=renewed": 1,
		"?contract_id=999": 0, "?limit=1": 1} {
		if got := b.must(http.StatusOK, "GET", "/v1/notifications"+q, nil).items(t); len(got) != want {
			t.Errorf("%s: %d items, want %d", q, len(got), want)
		}
	}
	w := b.must(http.StatusOK, "GET", "/v1/notifications?kind=welcome", nil).items(t)[0]
	if w["recipient"] != "outro@example.com" || w["reference"] != "welcome" || w["state"] != "pending" {
		t.Errorf("welcome notice %v", w)
	}
	for q, field := range map[string]string{"?kind=x": "kind", "?state=sending": "state", "?contract_id=x": "contract_id"} {
		if e := b.send("GET", "/v1/notifications"+q, nil).err(t); e.Field != field {
			t.Errorf("%s: %+v", q, e)
		}
	}
	for body, field := range map[string]string{`"welcome_email_to": "a@b.com"`: "welcome_email_to",
		`"welcome_email": true, "welcome_email_to": "nope"`:           "welcome_email_to",
		`"welcome_email": true, "welcome_email_subject": "a\nBcc: x"`: "welcome_email_subject",
		`"welcome_email": true, "welcome_email_template_id": 77`:      "welcome_email_template_id"} {
		r := b.send("POST", "/v1/contracts", `{"customer_id": 1, "plan_id": `+itoa(plan)+`, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}, `+body+`}`)
		if e := r.err(t); r.status != 422 || e.Field != field {
			t.Errorf("%s: %d %+v", body, r.status, e)
		}
	}
}
