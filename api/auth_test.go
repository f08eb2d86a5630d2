package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/billingd/billingd/api"
)

// concrete fills a route's path parameters.
func concrete(route string) (method, path string) {
	method, path, _ = strings.Cut(route, " ")
	if p, ok := authPaths[route]; ok {
		return method, p
	}
	return method, strings.NewReplacer("{id}", "1", "{date}", "2026-11-30").Replace(path)
}

// authPaths gives the concrete path of the routes whose fixture row is not id 1: a benefit
// use needs an active contract (contract 2, its installment 1 paid on 2026-07-20).
var authPaths = map[string]string{
	"POST /v1/contracts/{id}/benefit-usages": "/v1/contracts/2/benefit-usages",

	// Subjects: the fixture's contract 1 gets a pet on plan 1.
	"POST /v1/contracts/{id}/subjects":                    "/v1/contracts/2/subjects",
	"GET /v1/contracts/{id}/subjects":                     "/v1/contracts/2/subjects",
	"DELETE /v1/contracts/{id}/subjects/{subject_id}":     "/v1/contracts/2/subjects/1",
	"DELETE /v1/contracts/{id}/benefit-usages/{usage_id}": "/v1/contracts/2/benefit-usages/1",
	"PUT /v1/contracts/{id}/benefits/{benefit_id}":        "/v1/contracts/2/benefits/1",
	"GET /v1/contracts/{id}/benefits":                     "/v1/contracts/2/benefits",
	"GET /v1/contracts/{id}/benefit-usages":               "/v1/contracts/2/benefit-usages",
	"POST /v1/contracts/{id}/charges":                     "/v1/contracts/2/charges",
	"GET /v1/contracts/{id}/charges":                      "/v1/contracts/2/charges",
	"POST /v1/contracts/{id}/addons":                      "/v1/contracts/2/addons",
	"GET /v1/contracts/{id}/addons":                       "/v1/contracts/2/addons",
	"DELETE /v1/contracts/{id}/addons/{addon_id}":         "/v1/contracts/2/addons/1?until=2027-01-31",
	"DELETE /v1/contracts/{id}/changes/{change_id}":       "/v1/contracts/1/changes/1",
	"POST /v1/contracts/{id}/changes/{change_id}/cancel":  "/v1/contracts/1/changes/1/cancel",
}

// authRoutes gives each route a request body and the status it answers with the right
// token on the authFixture, in the order of Routes().
var authRoutes = map[string]struct {
	body   string
	status int
}{
	"POST /v1/plans":                       {`{"name": "P", "price": "1.00", "period": "monthly", "installments_per_term": 1}`, 201},
	"GET /v1/plans":                        {"", 200},
	"GET /v1/plans/{id}":                   {"", 200},
	"POST /v1/customers":                   {`{"name": "Ana", "email": "ana@example.com"}`, 201},
	"GET /v1/customers":                    {"", 200},
	"GET /v1/customers/{id}":               {"", 200},
	"POST /v1/contracts":                   {`{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}}`, 201},
	"GET /v1/contracts":                    {"", 200},
	"GET /v1/contracts/{id}":               {"", 200},
	"POST /v1/contracts/{id}/activate":     {`{"date": "2026-07-20"}`, 200},
	"POST /v1/contracts/{id}/cancel":       {`{"date": "2026-07-20", "reason_code": "other"}`, 200},
	"GET /v1/contracts/{id}/installments":  {"", 200},
	"GET /v1/contracts/{id}/timeline":      {"", 200},
	"GET /v1/contracts/{id}/explain":       {"", 200},
	"GET /v1/installments":                 {"", 200},
	"POST /v1/installments/{id}/payments":  {`{"amount": "100.23", "paid_at": "2026-07-20"}`, 200}, // 10 days late: 0.33 of interest
	"POST /v1/holidays":                    {`{"date": "2026-12-08", "name": "Feriado"}`, 201},
	"GET /v1/holidays":                     {"", 200},
	"DELETE /v1/holidays/{date}":           {"", 204},
	"POST /v1/runs":                        {`{"job": "generate-installments"}`, 202},
	"GET /v1/runs":                         {"", 200},
	"GET /v1/runs/{id}":                    {"", 200},
	"POST /v1/blocking-rules":              {`{"name": "R", "block_after_days": 5}`, 201},
	"GET /v1/blocking-rules":               {"", 200},
	"GET /v1/blocking-rules/{id}":          {"", 200},
	"POST /v1/contracts/{id}/trust-unlock": {`{"days": 3}`, 409},
	"GET /v1/collections":                  {"", 200},
	// Contract changes: contract 1 is cancelled by then, and has no change 1.
	"POST /v1/contracts/{id}/due-date-rule":              {`{"due_date_rule": {"kind": "fixed_day", "day": 25}}`, 409},
	"POST /v1/contracts/{id}/plan-change":                {`{"plan_id": 1}`, 409},
	"POST /v1/contracts/{id}/pause":                      {`{"months": 2}`, 409},
	"POST /v1/contracts/{id}/resume":                     {"", 409},
	"GET /v1/contracts/{id}/changes":                     {"", 200},
	"DELETE /v1/contracts/{id}/changes/{change_id}":      {"", 404},
	"POST /v1/contracts/{id}/changes/{change_id}/cancel": {"", 404},
	"PATCH /v1/plans/{id}":                               {`{"price": "109.90", "renewal_queue_threshold": 4, "renewal_threshold": 2}`, 200},
	"PATCH /v1/contracts/{id}":                           {`{"renewal_price_mode": "suggested", "suggested_price": "95.00"}`, 200},
	"POST /v1/contracts/{id}/renew":                      {`{"date": "2026-07-20"}`, 409}, // contract 1 is cancelled by then
	"GET /v1/renewals":                                   {"", 200},
	// Benefits (authPaths): benefit 1 granted on plan 1, used by contract 2.
	"POST /v1/benefits":                                   {`{"name": "Banho", "unit_cost": "30.00"}`, 201},
	"GET /v1/benefits":                                    {"", 200},
	"GET /v1/benefits/{id}":                               {"", 200},
	"PUT /v1/benefits/{id}":                               {`{"name": "Banho e tosa", "unit_cost": "35.00"}`, 200},
	"POST /v1/plans/{id}/benefits":                        {`{"benefit_id": 1, "quantity": 4, "renewal_period": "monthly"}`, 201},
	"GET /v1/plans/{id}/benefits":                         {"", 200},
	"GET /v1/contracts/{id}/benefits":                     {"", 200},
	"PUT /v1/contracts/{id}/benefits/{benefit_id}":        {`{"grace_days": 0}`, 200},
	"POST /v1/contracts/{id}/benefit-usages":              {`{"benefit_id": 1, "used_at": "2026-07-20"}`, 201},
	"GET /v1/contracts/{id}/benefit-usages":               {"", 200},
	"DELETE /v1/contracts/{id}/benefit-usages/{usage_id}": {"", 200},
	"GET /v1/reports/benefit-usage":                       {"", 200},
	"POST /v1/contracts/{id}/charges":                     {`{"description": "Visita", "amount": "10.00"}`, 201},
	"GET /v1/contracts/{id}/charges":                      {"", 200},
	"POST /v1/contracts/{id}/addons":                      {`{"description": "IP fixo", "price": "30.00", "from": "2027-01-01"}`, 201},
	"GET /v1/contracts/{id}/addons":                       {"", 200},
	"DELETE /v1/contracts/{id}/addons/{addon_id}":         {"", 200},
	"POST /v1/email-templates":                            {`{"kind": "welcome", "subject": "Olá {{.Customer.Name}}", "html_body": "<p>Olá</p>", "text_body": "Olá"}`, 201},
	"GET /v1/email-templates":                             {"", 200},
	"GET /v1/email-templates/{id}":                        {"", 200},
	"PUT /v1/email-templates/{id}":                        {`{"kind": "overdue", "subject": "Vencida", "html_body": "<p>Vencida</p>", "text_body": "Vencida"}`, 200},
	"GET /v1/notifications":                               {"", 200},
	"GET /v1/notifications/{id}":                          {"", 200},
	"POST /v1/tokens":                                     {`{"name": "ops"}`, 201},
	"GET /v1/tokens":                                      {"", 200},
	"DELETE /v1/tokens/{id}":                              {"", 200},
	"GET /v1/audit":                                       {"", 200},
	"GET /v1/events":                                      {"", 200},
	"POST /v1/webhooks":                                   {`{"url": "https://erp.example.com/hook", "secret": "0123456789abcdef"}`, 201},
	"GET /v1/webhooks":                                    {"", 200},
	"DELETE /v1/webhooks/{id}":                            {"", 200},
	// The ledger: installment 1 and payment 1 (recorded above).
	"GET /v1/installments/{id}":      {"", 200},
	"GET /v1/payments":               {"", 200},
	"GET /v1/payments/{id}":          {"", 200},
	"POST /v1/payments/{id}/reverse": {`{"reason": "chargeback"}`, 200},
	// The forecast, the simulation and the overdue list (exports).
	"GET /v1/installments/overdue":    {"", 200},
	"GET /v1/contracts/{id}/forecast": {"", 422},                                                                                                          // without ?until=
	"POST /v1/simulations":            {`{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}}`, 422}, // without ?until=
	"POST /v1/payment-files":          {"not a return file", 422},
	"GET /v1/payment-files/{id}":      {"", 404},
	"GET /v1/payment-exceptions":      {"", 200},
	// Contract changes: installment 1 is open again after the reversal.
	"PATCH /v1/installments/{id}":          {`{"due_date": "2026-08-14", "reason": "o cliente pediu"}`, 200},
	"POST /v1/installments/{id}/cancel":    {`{"reason": "cobrada por engano"}`, 200},
	"GET /v1/installments/{id}/changes":    {"", 200},
	"PATCH /v1/customers/{id}":             {`{"phone": "+55 11 91234-5678"}`, 200},
	"GET /v1/cancellation-reasons":         {"", 200},
	"POST /v1/cancellation-reasons":        {`{"code": "price", "name": "price too high"}`, 201},
	"DELETE /v1/cancellation-reasons/{id}": {"", 200},
	"GET /v1/reports/cancellations":        {"", 200},
	// Grouped billing: the fixture bills nobody grouped.
	"GET /v1/grouped-charges/{id}":                    {"", 404},
	"POST /v1/grouped-charges/{id}/payments":          {`{"amount": "1.00", "paid_at": "2026-07-20"}`, 404},
	"GET /v1/customers/{id}/grouped-charges":          {"", 200},
	"POST /v1/contracts/{id}/subjects":                {`{"kind": "pet", "name": "Rex", "species": "dog", "plan_id": 1}`, 201},
	"GET /v1/contracts/{id}/subjects":                 {"", 200},
	"DELETE /v1/contracts/{id}/subjects/{subject_id}": {"", 200},
}

// authFixture makes the rows the requests of authRoutes find: plan 1, customer 1, contract 1
// pending activation, installment 1 open (of contract 2), the holiday 2026-11-30, e-mail
// template 1, notice 1 and the named token 1.
func authFixture(b *bundle) {
	b.t.Helper()
	plan := b.plan("99.90", "")
	b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "wait_activation": true,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}})
	b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}})
	b.generate("2026-07-20")
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-11-30", "name": "Feriado"}`)
	b.must(http.StatusCreated, "POST", "/v1/email-templates", `{"kind": "renewed", "subject": "Renovado", "html_body": "<p>Renovado</p>", "text_body": "Renovado"}`)
	b.exec("INSERT INTO notices (contract_id, kind, reference) VALUES (1, 'renewed', '2')")
	b.must(http.StatusCreated, "POST", "/v1/tokens", `{"name": "fixture"}`)
	b.must(http.StatusCreated, "POST", "/v1/webhooks", `{"url": "https://erp.example.com/fixture", "secret": "0123456789abcdef"}`)
}

// body returns a route's request body from authRoutes; nil for none.
func authBody(route string) any {
	if s := authRoutes[route].body; s != "" {
		return s
	}
	return nil
}

// TestAuth sends every route without a token and with wrong ones: each gets 401 and writes nothing.
func TestAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	authFixture(b)
	auths := []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer test-token-0123456780"},
		{"token prefix", "Bearer test-token"},
		{"token with suffix", "Bearer " + testToken + "x"},
		{"lower-case scheme", "bearer " + testToken},
		{"basic scheme", "Basic " + testToken},
		{"bare token", testToken},
		{"empty bearer", "Bearer "},
		{"two spaces", "Bearer  " + testToken},
	}
	before := b.snapshot()
	t.Cleanup(func() {
		if after := b.snapshot(); after != before {
			t.Errorf("unauthenticated requests wrote to the database:\nbefore %s\nafter  %s", before, after)
		}
	})
	for _, route := range append(b.api.Routes(), "GET /v1/unknown", "GET /") {
		for _, a := range auths {
			t.Run(route+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				b := b.with(t)
				method, path := concrete(route)
				r := b.sendAs(method, path, authBody(route), a.header)
				if r.status != http.StatusUnauthorized {
					t.Fatalf("%s %s: status %d, want 401; body %s", method, path, r.status, r.raw)
				}
				if e := r.err(t); e.Error != "unauthorized" || e.Field != "" {
					t.Errorf("error %+v", e)
				}
				if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="billingd"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			})
		}
	}
}

// TestAuthAccepted sends the requests of TestAuth with the right token: each succeeds.
func TestAuthAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	authFixture(b)
	for _, route := range b.api.Routes() {
		method, path := concrete(route)
		want, ok := authRoutes[route]
		if !ok {
			t.Errorf("%s: not in authRoutes", route)
			continue
		}
		if r := b.send(method, path, authBody(route)); r.status != want.status {
			t.Errorf("%s: status %d, want %d; body %s", route, r.status, want.status, r.raw)
		}
	}
}

// TestEmptyTokenRefusesAll checks that a server configured without a token refuses every request.
func TestEmptyTokenRefusesAll(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := api.New(api.Config{Store: b.store, Token: "", Location: saoPaulo})
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		req, err := http.NewRequest("GET", "/v1/plans", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, w.Code)
		}
	}
}

// TestOversizedBody sends every route that reads a body one byte more than api.MaxBodyBytes.
func TestOversizedBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	authFixture(b) // the rows exist: only the size stops the requests
	before := b.snapshot()
	t.Cleanup(func() {
		if after := b.snapshot(); after != before {
			t.Errorf("oversized requests wrote to the database")
		}
	})
	for _, route := range b.api.Routes() {
		method, path := concrete(route)
		if method != "POST" || route == "POST /v1/payment-files" { // a return file may have 64 MiB
			continue
		}
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			b := b.with(t)
			prefix := `{"name": "`
			body := prefix + strings.Repeat("a", api.MaxBodyBytes+1-len(prefix)-2) + `"}`
			if len(body) != api.MaxBodyBytes+1 {
				t.Fatalf("body of %d bytes", len(body))
			}
			r := b.send(method, path, body)
			if r.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413; body %s", r.status, r.raw)
			}
			if e := r.err(t); e.Error != "too_large" || e.Field != "body" || e.Message != fmt.Sprintf("body: larger than %d bytes", api.MaxBodyBytes) {
				t.Errorf("error %+v", e)
			}
		})
	}
}

// TestBodyOfMaxSize reads a body of exactly api.MaxBodyBytes.
func TestBodyOfMaxSize(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The document of 65,000-odd spaces is trimmed away.
	prefix := `{"name": "Ana", "email": "ana@example.com", "document": "`
	body := prefix + strings.Repeat(" ", api.MaxBodyBytes-len(prefix)-2) + `"}`
	if r := b.send("POST", "/v1/customers", body); r.status != http.StatusCreated {
		t.Errorf("body of exactly %d bytes: status %d, want 201; body %s", len(body), r.status, r.raw)
	}
}

// TestRequestID checks that a client's X-Request-Id is echoed in the header and in errors.
func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req, err := http.NewRequest("GET", b.server.URL+"/v1/plans/999", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("X-Request-Id", "req-42")
	r := b.do(req)
	if r.header.Get("X-Request-Id") != "req-42" || r.err(t).RequestID != "req-42" {
		t.Errorf("request id: header %q, body %s", r.header.Get("X-Request-Id"), r.raw)
	}
	r = b.sendAs("GET", "/v1/plans", nil, "")
	if id := r.header.Get("X-Request-Id"); len(id) != 16 || r.err(t).RequestID != id {
		t.Errorf("generated request id: header %q, body %s", id, r.raw)
	}
}
