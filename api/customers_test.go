package api_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestPatchCustomer: a customer's name, e-mail, CNPJ, phone and address change; the notices
// of its contracts written but not sent (pending or rendered: here a welcome e-mail)
// go to the new e-mail in the same transaction, a sent one keeps the address it went to, and
// a welcome addressed elsewhere (welcome_email_to) stays so. A rerun of every sweep changes
// nothing.
func TestPatchCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	customer := b.customer()
	plan := b.plan("99.90", "")
	contract := func() int64 {
		return b.must(http.StatusCreated, "POST", "/v1/contracts", map[string]any{"customer_id": customer, "plan_id": plan,
			"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}, "welcome_email": true}).id(t)
	}
	c1, c2 := contract(), contract()
	other := b.must(http.StatusCreated, "POST", "/v1/contracts", map[string]any{"customer_id": customer, "plan_id": plan,
		"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}, "welcome_email": true,
		"welcome_email_to": "financeiro@example.com"}).id(t)
	b.exec(`UPDATE notices SET state = 'sent', message_id = 'm1', sent_at = now(), recipient = 'ana@example.com' WHERE contract_id = $1`, c2)
	r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/customers/%d", customer), `{"name": "Ana Souza Lima", "email": "ana.lima@example.com",
		"document": "11.222.333/0001-81", "phone": "+55 (11) 91234-5678", "address": {"street": "Av. Paulista", "number": "1000",
		"district": "Bela Vista", "city": "São Paulo", "state": "sp", "postal_code": "01310-100", "municipality_code": "3550308"}}`)
	want := map[string]any{"name": "Ana Souza Lima", "email": "ana.lima@example.com", "document": "11.222.333/0001-81",
		"document_kind": "cnpj", "phone": "+55 (11) 91234-5678", "address": map[string]any{"street": "Av. Paulista", "number": "1000",
			"complement": "", "district": "Bela Vista", "city": "São Paulo", "state": "SP", "postal_code": "01310100",
			"municipality_code": "3550308"}}
	if got := without(r.body, "id", "created_at", "updated_at"); !reflect.DeepEqual(got, want) {
		t.Errorf("patched\n%v\nwant\n%v", got, want)
	}
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/customers/%d", customer), nil).body; !reflect.DeepEqual(got, r.body) {
		t.Errorf("GET %v, want %v", got, r.body)
	}
	recipients := func() string {
		var s string
		if err := b.pool.QueryRow(context.Background(), `SELECT string_agg(contract_id || ' ' || state || ' ' || coalesce(recipient, '-'), ', ' ORDER BY contract_id)
			FROM notices`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	wantRecipients := fmt.Sprintf("%d pending ana.lima@example.com, %d sent ana@example.com, %d pending financeiro@example.com", c1, c2, other)
	if got := recipients(); got != wantRecipients {
		t.Errorf("notices %q, want %q", got, wantRecipients)
	}
	if rec := b.audit("?route=PATCH%20/v1/customers/%7Bid%7D"); len(rec) != 1 || rec[0]["detail"].(map[string]any)["notices_readdressed"] != 1.0 {
		t.Errorf("audit %v", rec)
	}
	// Only the phone: the rest stays.
	r = b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/customers/%d", customer), `{"phone": "11 3333-4444"}`)
	if r.body["phone"] != "11 3333-4444" || r.body["email"] != "ana.lima@example.com" || r.body["address"].(map[string]any)["city"] != "São Paulo" {
		t.Errorf("after the phone: %v", r.body)
	}
	b.rerunChangesNothing("2026-07-20")
}

// TestCustomerRefusals: a CPF with a wrong check digit, on creation or on a change, is
// refused with 422 naming document and saying which digit; so are a bad CNPJ, a repeated
// digit, a bad municipality code, state, postal code or phone, each naming its field; a
// refused change writes nothing.
func TestCustomerRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	customer := b.customer()
	path := fmt.Sprintf("/v1/customers/%d", customer)
	before := b.snapshot()
	for _, tc := range []struct {
		name, method, path, body, field, says string
	}{
		{"CPF with a wrong check digit", "PATCH", path, `{"document": "123.456.789-08"}`, "document", "CPF 12345678908: check digit 2 is 8, want 9"},
		{"CPF with a wrong check digit on creation", "POST", "/v1/customers", `{"name": "Bia", "email": "bia@example.com", "document": "529.982.247-35"}`, "document", "check digit 1 is 3, want 2"},
		{"CNPJ with a wrong check digit", "PATCH", path, `{"document": "11.222.333/0001-82"}`, "document", "CNPJ 11222333000182: check digit 2"},
		{"a repeated digit", "PATCH", path, `{"document": "111.111.111-11"}`, "document", "one repeated digit"},
		{"twelve digits", "PATCH", path, `{"document": "123456789012"}`, "document", "got 12 digits"},
		{"a municipality code of no state", "PATCH", path, `{"address": {"municipality_code": "9950308"}}`, "address.municipality_code", "IBGE"},
		{"a municipality code of six digits", "PATCH", path, `{"address": {"municipality_code": "355030"}}`, "address.municipality_code", "7 digits"},
		{"a state that is none", "PATCH", path, `{"address": {"state": "XX"}}`, "address.state", "federative unit"},
		{"a postal code of seven digits", "PATCH", path, `{"address": {"postal_code": "0131010"}}`, "address.postal_code", "8 digits"},
		{"a phone of letters", "PATCH", path, `{"phone": "ligue-me"}`, "phone", "8 to 15 digits"},
		{"an e-mail without @", "PATCH", path, `{"email": "ana.example.com"}`, "email", "e-mail address"},
		{"an empty name", "PATCH", path, `{"name": " "}`, "name", "required"},
		{"an unknown customer", "PATCH", "/v1/customers/999999", `{"phone": "11 3333-4444"}`, "id", "customer 999999"},
	} {
		r := b.send(tc.method, tc.path, tc.body)
		want := http.StatusUnprocessableEntity
		if tc.field == "id" {
			want = http.StatusNotFound
		}
		if e := r.err(t); r.status != want || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: %d %+v, want %d naming %s saying %q", tc.name, r.status, e, want, tc.field, tc.says)
		}
	}
	if after := b.snapshot(); after != before {
		t.Errorf("refused changes wrote something")
	}
	var doc string
	if err := b.pool.QueryRow(context.Background(), `SELECT document FROM customers WHERE id = $1`, customer).Scan(&doc); err != nil || doc != "123.456.789-09" {
		t.Errorf("document %q (%v), want the one before", doc, err)
	}
	b.rerunChangesNothing("2026-07-20")
}
