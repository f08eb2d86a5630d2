package api_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/billingd/billingd/postgres"
)

// without returns m without the keys, to compare answers that hold ids and timestamps.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestPlans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want map[string]any
	}{
		{
			name: "plan with minimum price",
			body: `{"name": " Plano Mensal ", "price": "99.9", "period": "monthly", "installments_per_term": 12, "min_price": "80"}`,
			want: map[string]any{"name": "Plano Mensal", "kind": "plan", "price": "99.90", "period": "monthly",
				"installments_per_term": 12.0, "min_price": "80.00", "uses_per_cycle": nil, "cycle_months": nil,
				"renewal_queue_threshold": nil, "renewal_threshold": nil, "late_fine_percent": nil, "monthly_interest_percent": nil},
		},
		{
			name: "package of uses",
			body: `{"name": "Pacote 10 aulas", "kind": "package", "price": "450.00", "period": "quarterly", "installments_per_term": 4, "uses_per_cycle": 10}`,
			want: map[string]any{"name": "Pacote 10 aulas", "kind": "package", "price": "450.00", "period": "quarterly",
				"installments_per_term": 4.0, "min_price": nil, "uses_per_cycle": 10.0, "cycle_months": nil,
				"renewal_queue_threshold": nil, "renewal_threshold": nil, "late_fine_percent": nil, "monthly_interest_percent": nil},
		},
		{
			name: "package whose cycle also ends after 3 months",
			body: `{"name": "Pacote Pet", "kind": "package", "price": "190.00", "period": "monthly", "installments_per_term": 1, "uses_per_cycle": 4, "cycle_months": 3}`,
			want: map[string]any{"name": "Pacote Pet", "kind": "package", "price": "190.00", "period": "monthly",
				"installments_per_term": 1.0, "min_price": nil, "uses_per_cycle": 4.0, "cycle_months": 3.0,
				"renewal_queue_threshold": nil, "renewal_threshold": nil, "late_fine_percent": nil, "monthly_interest_percent": nil},
		},
		{
			name: "free annual plan",
			body: `{"name": "Cortesia", "price": "0", "period": "annual", "installments_per_term": 1}`,
			want: map[string]any{"name": "Cortesia", "kind": "plan", "price": "0.00", "period": "annual",
				"installments_per_term": 1.0, "min_price": nil, "uses_per_cycle": nil, "cycle_months": nil,
				"renewal_queue_threshold": nil, "renewal_threshold": nil, "late_fine_percent": nil, "monthly_interest_percent": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			created := b.must(http.StatusCreated, "POST", "/v1/plans", tt.body)
			if got := without(created.body, "id", "created_at"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("created %v, want %v", got, tt.want)
			}
			got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/plans/%d", created.id(t)), nil)
			if !reflect.DeepEqual(got.body, created.body) {
				t.Errorf("GET %v, want the created %v", got.body, created.body)
			}
		})
	}
}

// TestPagination pages through each id-ordered list with ?limit= and ?after=.
func TestPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var plans, customers []float64
	for range 3 {
		plans = append(plans, float64(b.plan("10.00", "")))
		customers = append(customers, float64(b.customer()))
	}
	for _, list := range []struct {
		path string
		ids  []float64
	}{{"/v1/plans", plans}, {"/v1/customers", customers}} {
		t.Run(list.path, func(t *testing.T) {
			t.Parallel()
			b := b.with(t)
			pages := []struct {
				query     string
				ids       []float64
				nextAfter any
			}{
				{"?limit=2", list.ids[:2], list.ids[1]},
				{fmt.Sprintf("?limit=2&after=%v", list.ids[1]), list.ids[2:], nil},
				{"?limit=3", list.ids, list.ids[2]},
				{fmt.Sprintf("?after=%v", list.ids[2]), nil, nil},
				{"", list.ids, nil},
			}
			for _, p := range pages {
				r := b.must(http.StatusOK, "GET", list.path+p.query, nil)
				var ids []float64
				for _, it := range r.items(t) {
					ids = append(ids, it["id"].(float64))
				}
				if !reflect.DeepEqual(ids, p.ids) || r.body["next_after"] != p.nextAfter {
					t.Errorf("%s: ids %v next_after %v, want %v and %v", p.query, ids, r.body["next_after"], p.ids, p.nextAfter)
				}
				if _, ok := r.body["next_after"]; !ok {
					t.Errorf("%s: no next_after in %s", p.query, r.raw)
				}
			}
		})
	}
}

func TestCustomers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.must(http.StatusCreated, "POST", "/v1/customers",
		`{"name": "  Ana Souza ", "email": " ana@example.com ", "document": "123.456.789-09"}`)
	want := map[string]any{"name": "Ana Souza", "email": "ana@example.com", "document": "123.456.789-09", "document_kind": "cpf",
		"phone": "", "address": map[string]any{"street": "", "number": "", "complement": "", "district": "", "city": "", "state": "",
			"postal_code": "", "municipality_code": ""}}
	if got := without(created.body, "id", "created_at", "updated_at"); !reflect.DeepEqual(got, want) {
		t.Errorf("created %v, want %v", got, want)
	}
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/customers/%d", created.id(t)), nil)
	if !reflect.DeepEqual(got.body, created.body) {
		t.Errorf("GET %v, want %v", got.body, created.body)
	}
	noDocument := b.must(http.StatusCreated, "POST", "/v1/customers", `{"name": "Bruno", "email": "bruno@example.com.br"}`)
	if noDocument.body["document"] != "" {
		t.Errorf("document %v, want empty", noDocument.body["document"])
	}
}

func TestHolidays(t *testing.T) {
	t.Parallel()
	b := setup(t)
	added := b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-11-30", "name": " Aniversário da cidade "}`)
	if want := map[string]any{"date": "2026-11-30", "name": "Aniversário da cidade"}; !reflect.DeepEqual(added.body, want) {
		t.Errorf("added %v, want %v", added.body, want)
	}
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2027-01-25", "name": "Aniversário de São Paulo"}`)

	dup := b.must(http.StatusConflict, "POST", "/v1/holidays", `{"date": "2026-11-30", "name": "Outro"}`)
	if e := dup.err(t); e.Error != "conflict" || e.Field != "date" {
		t.Errorf("duplicate: %+v, want conflict on date", e)
	}

	lists := []struct {
		query string
		want  []string
	}{
		{"", []string{"2026-11-30 Aniversário da cidade", "2027-01-25 Aniversário de São Paulo"}},
		{"?from=2027-01-01", []string{"2027-01-25 Aniversário de São Paulo"}},
		{"?to=2026-11-30", []string{"2026-11-30 Aniversário da cidade"}},
		{"?from=2026-12-01&to=2027-01-24", nil},
	}
	for _, l := range lists {
		r := b.must(http.StatusOK, "GET", "/v1/holidays"+l.query, nil)
		var got []string
		for _, h := range r.items(t) {
			got = append(got, fmt.Sprintf("%s %s", h["date"], h["name"]))
		}
		if !reflect.DeepEqual(got, l.want) {
			t.Errorf("GET /v1/holidays%s = %q, want %q", l.query, got, l.want)
		}
	}

	del := b.must(http.StatusNoContent, "DELETE", "/v1/holidays/2026-11-30", nil)
	if len(del.raw) != 0 {
		t.Errorf("DELETE body %q, want none", del.raw)
	}
	if e := b.must(http.StatusNotFound, "DELETE", "/v1/holidays/2026-11-30", nil).err(t); e.Field != "date" {
		t.Errorf("second DELETE: field %q, want date", e.Field)
	}
	r := b.must(http.StatusOK, "GET", "/v1/holidays", nil)
	if items := r.items(t); len(items) != 1 || items[0]["date"] != "2027-01-25" {
		t.Errorf("after DELETE: %s", r.raw)
	}
}

// TestHolidayMovesDueDate checks that an operator's holiday moves the due dates generated
// after it is added, and the open installments generated before it.
func TestHolidayMovesDueDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-08-10", "name": "Feriado municipal"}`)
	plan := b.plan("50.00", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-09-10", "name": "Tarde"}`)
	got := b.installments(c)[:3]
	want := []string{
		"recurring 1 2026-07-10 50.00 open",
		"recurring 2 2026-08-11 50.00 open",
		"recurring 3 2026-09-11 50.00 open",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installments %q, want %q", got, want)
	}
}

// TestHolidayRedatesOpenInstallments: four contracts due on day 10 from 2026-07-10 (12
// installments), shift next, previous and none, and one (next) whose installment due
// Wednesday 2027-03-10 is paid. Adding 2027-03-10 as a holiday moves the open ones due that
// day from their nominal date by their shift: to 2027-03-11 (next), 2027-03-09 (previous),
// not at all (none), and leaves the paid one alone. Adding Monday 2027-04-12 moves the
// installment nominally due Saturday 2027-04-10 from 04-12 to 04-13 under next, and not
// under previous (04-09). Removing each holiday moves them back. A coming_due notice still
// pending when its installment moves renders the new date.
func TestHolidayRedatesOpenInstallments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("50.00", "")
	contract := func(shift string) int64 {
		return b.contract(plan, map[string]any{"adhesion_date": "2026-07-10",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": shift}}).id(t)
	}
	next, previous, none, paid := contract("next"), contract("previous"), contract("none"), contract("next")
	b.generate("2026-07-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(paid, "recurring", 9)),
		`{"amount": "50.00", "paid_at": "2026-07-20"}`)
	notice := b.exec1(`INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'coming_due', $2) RETURNING id`,
		next, fmt.Sprint(b.installmentID(next, "recurring", 9)))
	// Installments 8 to 11 of each contract: nominally due 2027-02-10 (Wed), 03-10 (Wed),
	// 04-10 (Sat) and 05-10 (Mon).
	dues := func() map[string][]string {
		out := map[string][]string{}
		for name, c := range map[string]int64{"next": next, "previous": previous, "none": none, "paid": paid} {
			out[name] = b.installments(c)[7:11]
		}
		return out
	}
	row := func(seq int, due, state string) string {
		return fmt.Sprintf("recurring %d %s 50.00 %s", seq, due, state)
	}
	before := map[string][]string{
		"next":     {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "open"), row(10, "2027-04-12", "open"), row(11, "2027-05-10", "open")},
		"previous": {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "open"), row(10, "2027-04-09", "open"), row(11, "2027-05-10", "open")},
		"none":     {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "open"), row(10, "2027-04-10", "open"), row(11, "2027-05-10", "open")},
		"paid":     {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "paid"), row(10, "2027-04-12", "open"), row(11, "2027-05-10", "open")},
	}
	if got := dues(); !reflect.DeepEqual(got, before) {
		t.Fatalf("before any holiday: %q, want %q", got, before)
	}
	holiday := map[string][]string{
		"next":     {row(8, "2027-02-10", "open"), row(9, "2027-03-11", "open"), row(10, "2027-04-12", "open"), row(11, "2027-05-10", "open")},
		"previous": {row(8, "2027-02-10", "open"), row(9, "2027-03-09", "open"), row(10, "2027-04-09", "open"), row(11, "2027-05-10", "open")},
		"none":     before["none"],
		"paid":     before["paid"],
	}
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2027-03-10", "name": "Aniversário da cidade"}`)
	if got := dues(); !reflect.DeepEqual(got, holiday) {
		t.Errorf("after adding 2027-03-10: %q, want %q", got, holiday)
	}
	var nominal string
	if err := b.pool.QueryRow(context.Background(), `SELECT nominal_due::text FROM installments WHERE id = $1`,
		b.installmentID(next, "recurring", 9)).Scan(&nominal); err != nil || nominal != "2027-03-10" {
		t.Errorf("nominal due date %s %v, want 2027-03-10 kept", nominal, err)
	}
	if subject := b.renderNotice(notice); subject != "Sua parcela de R$ 50,00 vence em 11/03/2027" {
		t.Errorf("pending coming_due notice renders %q, want the new due date 11/03/2027", subject)
	}
	monday := map[string][]string{
		"next":     {row(8, "2027-02-10", "open"), row(9, "2027-03-11", "open"), row(10, "2027-04-13", "open"), row(11, "2027-05-10", "open")},
		"previous": holiday["previous"],
		"none":     before["none"],
		"paid":     {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "paid"), row(10, "2027-04-13", "open"), row(11, "2027-05-10", "open")},
	}
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2027-04-12", "name": "Padroeiro"}`)
	if got := dues(); !reflect.DeepEqual(got, monday) {
		t.Errorf("after adding 2027-04-12: %q, want %q", got, monday)
	}
	b.must(http.StatusNoContent, "DELETE", "/v1/holidays/2027-03-10", nil)
	back := map[string][]string{
		"next":     {row(8, "2027-02-10", "open"), row(9, "2027-03-10", "open"), row(10, "2027-04-13", "open"), row(11, "2027-05-10", "open")},
		"previous": before["previous"],
		"none":     before["none"],
		"paid":     monday["paid"],
	}
	if got := dues(); !reflect.DeepEqual(got, back) {
		t.Errorf("after removing 2027-03-10: %q, want %q", got, back)
	}
	b.must(http.StatusNoContent, "DELETE", "/v1/holidays/2027-04-12", nil)
	if got := dues(); !reflect.DeepEqual(got, before) {
		t.Errorf("after removing both: %q, want %q", got, before)
	}
}

// exec1 runs sql, which returns one id, and returns it.
func (b *bundle) exec1(sql string, args ...any) int64 {
	b.t.Helper()
	var id int64
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

// renderNotice renders the notice as delivery would, in a transaction it rolls back, and
// returns its subject.
func (b *bundle) renderNotice(id int64) string {
	b.t.Helper()
	ctx := context.Background()
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rolled back on purpose
	n, err := postgres.LockNotice(ctx, tx, id)
	if err != nil {
		b.t.Fatal(err)
	}
	if n, err = postgres.RenderNotice(ctx, tx, n, time.Now(), time.UTC); err != nil {
		b.t.Fatal(err)
	}
	return n.Subject
}
