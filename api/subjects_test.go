package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/postgres"
)

// movableClock is a test server's clock that a test moves from day to day (noon in São Paulo).
type movableClock struct{ now atomic.Pointer[time.Time] }

func (c *movableClock) set(t *testing.T, day string) {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02 15:04", day+" 12:00", saoPaulo)
	if err != nil {
		t.Fatal(err)
	}
	c.now.Store(&d)
}

func (c *movableClock) read() time.Time { return *c.now.Load() }

// setupClock starts a test server whose clock is at day and moves with the returned clock.
func setupClock(t *testing.T, day string) (*bundle, *movableClock) {
	t.Helper()
	clock := &movableClock{}
	clock.set(t, day)
	return setupWith(t, nil, func(c *api.Config) { c.Now = clock.read }), clock
}

// namedPlan creates a monthly plan of 12 installments called name at price.
func (b *bundle) namedPlan(name, price string) int64 {
	b.t.Helper()
	return b.must(http.StatusCreated, "POST", "/v1/plans",
		map[string]any{"name": name, "price": price, "period": "monthly", "installments_per_term": 12}).id(b.t)
}

// installmentTotals returns an installment's amount and discount as the API shows them.
func (b *bundle) installmentTotals(contract int64, sequence int) string {
	b.t.Helper()
	it := b.installment(b.installmentID(contract, "recurring", sequence))
	return fmt.Sprintf("amount %v discount %v", it["amount"], it["discount"])
}

// TestSubjectsSeed001 is issue 19 item 1's must-show scenario (seed 001, an assistance
// company): a customer's contract on the family plan (49.90) covers two beneficiaries on
// different plans (Maria on Essencial, 19.90; João on Plus, 29.90) and a vehicle on the
// tow plan (ABC1D23, 39.90), added on 2026-07-20 before the service starts on 2026-08-01.
// Each period is one installment itemised per subject (49.90 + 19.90 + 29.90 + 39.90 =
// 139.60). On 2026-08-16 a third beneficiary, Ana (Essencial), joins and João leaves: August
// is prorated like a plan change, 16 days of 31 (19.90 × 16 / 31 = 10.27 charged, 29.90 ×
// 16 / 31 = 15.43 credited), September on has Ana's line and not João's. The same requests
// again are refused or add nothing, and a rerun of every sweep changes nothing; the next
// term, renewed, carries the subjects covered then (129.60). The ledger invariant (lines =
// totals) is checked when the test ends.
func TestSubjectsSeed001(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t, "2026-07-20")
	if err := b.store.SetPaymentSettings(t.Context(), postgres.PaymentSettings{Boleto: &boleto.Settings{BankCode: "001",
		Agency: "1234", Account: "123456", Wallet: "17", Convenio: "1234567", FirstSequence: 1, LastSequence: 9_999_999_999}}); err != nil {
		t.Fatal(err)
	}
	family := b.namedPlan("Assistência Familiar", "49.90")
	essencial := b.namedPlan("Beneficiário Essencial", "19.90")
	plus := b.namedPlan("Beneficiário Plus", "29.90")
	tow := b.namedPlan("Auto Guincho 24h", "39.90")
	c := b.contract(family, map[string]any{"adhesion_date": "2026-08-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	path := fmt.Sprintf("/v1/contracts/%d/subjects", c)
	maria := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "person", "name": "Maria Souza",
		"document": "529.982.247-25", "birth_date": "1980-05-12", "plan_id": essencial}).body
	joao := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "person", "name": "João Souza",
		"document": "111.444.777-35", "birth_date": "2008-02-29", "plan_id": plus}).body
	b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "vehicle", "plate": "abc-1d23", "model": "Fiat Uno",
		"plan_id": tow})
	wantMaria := map[string]any{"id": maria["id"], "contract_id": float64(c), "kind": "person", "name": "Maria Souza",
		"document": "52998224725", "birth_date": "1980-05-12", "species": nil, "plate": nil, "model": nil,
		"plan_id": float64(essencial), "price": "19.90", "line_description": "person Maria Souza (CPF 52998224725): plan Beneficiário Essencial",
		"started_on": "2026-07-20", "ended_on": nil}
	if !reflect.DeepEqual(maria, wantMaria) {
		t.Errorf("Maria:\n%v\nwant\n%v", maria, wantMaria)
	}
	b.generate("2026-08-01")
	august := []string{
		"plan 49.90 × 1 at 49.90: plan, term 1 installment 1: service 2026-08-01 to 2026-08-31",
		"subject_plan 19.90 × 1 at 19.90: person Maria Souza (CPF 52998224725): plan Beneficiário Essencial",
		"subject_plan 29.90 × 1 at 29.90: person João Souza (CPF 11144477735): plan Beneficiário Plus",
		"subject_plan 39.90 × 1 at 39.90: vehicle ABC1D23 (Fiat Uno): plan Auto Guincho 24h",
	}
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 1), august)
	if got := b.installmentTotals(c, 1); got != "amount 139.60 discount 0.00" {
		t.Errorf("August: %s, want amount 139.60 discount 0.00", got)
	}
	if got := b.installmentTotals(c, 12); got != "amount 139.60 discount 0.00" {
		t.Errorf("July 2027: %s, want amount 139.60 discount 0.00", got)
	}
	b.rerunChangesNothing("2026-08-01")

	clock.set(t, "2026-08-16")
	ana := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "person", "name": "Ana Souza",
		"document": "123.456.789-09", "plan_id": essencial}).body
	ended := b.must(http.StatusOK, "DELETE", fmt.Sprintf("%s/%v", path, joao["id"]), nil).body
	if ended["ended_on"] != "2026-08-16" || ana["started_on"] != "2026-08-16" {
		t.Errorf("João ended on %v, Ana started on %v; want 2026-08-16 both", ended["ended_on"], ana["started_on"])
	}
	sameRows(t, "August's lines after the changes", b.linesOf(c, "recurring", 1), append(august,
		"proration 10.27 × 16 at <nil>: person Ana Souza (CPF 12345678909): plan Beneficiário Essencial added on 2026-08-16: 16 days of 31 at 19.90",
		"proration -15.43 × 16 at <nil>: person João Souza (CPF 11144477735): plan Beneficiário Plus ended on 2026-08-16: 16 days of 31 at 29.90"))
	if got := b.installmentTotals(c, 1); got != "amount 149.87 discount 15.43" {
		t.Errorf("August after the changes: %s, want amount 149.87 discount 15.43", got)
	}
	september := []string{
		"plan 49.90 × 1 at 49.90: plan, term 1 installment 2: service 2026-09-01 to 2026-09-30",
		"subject_plan 19.90 × 1 at 19.90: person Maria Souza (CPF 52998224725): plan Beneficiário Essencial",
		"subject_plan 39.90 × 1 at 39.90: vehicle ABC1D23 (Fiat Uno): plan Auto Guincho 24h",
		"subject_plan 19.90 × 1 at 19.90: person Ana Souza (CPF 12345678909): plan Beneficiário Essencial",
	}
	sameRows(t, "September's lines", b.linesOf(c, "recurring", 2), september)
	if got := b.installmentTotals(c, 2); got != "amount 129.60 discount 0.00" {
		t.Errorf("September: %s, want amount 129.60 discount 0.00", got)
	}
	// The boleto carries the new total.
	var boleto string
	if err := b.pool.QueryRow(t.Context(), `SELECT amount::text FROM payment_instruments WHERE installment_id = $1`,
		b.installmentID(c, "recurring", 2)).Scan(&boleto); err != nil {
		t.Fatal(err)
	}
	if boleto != "129.60" {
		t.Errorf("September's instruments carry %s, want 129.60", boleto)
	}
	// Ending João again is a conflict; the list shows the four subjects, João ended.
	again := b.send("DELETE", fmt.Sprintf("%s/%v", path, joao["id"]), nil)
	if again.status != http.StatusConflict {
		t.Errorf("ending João again: %d, want 409", again.status)
	}
	var rows []string
	for _, s := range b.must(http.StatusOK, "GET", path, nil).items(t) {
		rows = append(rows, fmt.Sprintf("%v %v %v→%v", s["kind"], s["price"], s["started_on"], s["ended_on"]))
	}
	sameRows(t, "subjects", rows, []string{"person 19.90 2026-07-20→<nil>", "person 29.90 2026-07-20→2026-08-16",
		"vehicle 39.90 2026-07-20→<nil>", "person 19.90 2026-08-16→<nil>"})
	b.rerunChangesNothing("2026-08-16")
	// The forecast, then renewal, write the next term's installments with the subjects
	// covered then: the same lines.
	var forecast13 string
	for _, it := range b.forecast(c, "2027-08-31").Installments {
		if it["sequence"] == 13.0 {
			_, forecast13, _ = strings.Cut(installmentKey(it), " | ")
			if it["amount"] != "129.60" {
				t.Errorf("forecast of August 2027: amount %v, want 129.60", it["amount"])
			}
		}
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/renew", c), nil)
	for _, it := range b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=500", c), nil).items(t) {
		if _, lines, _ := strings.Cut(installmentKey(it), " | "); it["sequence"] == 13.0 && lines != forecast13 {
			t.Errorf("August 2027's lines\n%s\nthe forecast's\n%s", lines, forecast13)
		}
	}
	sameRows(t, "the next term's first lines", b.linesOf(c, "recurring", 13), []string{
		"plan 49.90 × 1 at 49.90: plan, term 2 installment 13: service 2027-08-01 to 2027-08-31",
		"subject_plan 19.90 × 1 at 19.90: person Maria Souza (CPF 52998224725): plan Beneficiário Essencial",
		"subject_plan 39.90 × 1 at 39.90: vehicle ABC1D23 (Fiat Uno): plan Auto Guincho 24h",
		"subject_plan 19.90 × 1 at 19.90: person Ana Souza (CPF 12345678909): plan Beneficiário Essencial"})
	if got := b.installmentTotals(c, 13); got != "amount 129.60 discount 0.00" {
		t.Errorf("August 2027: %s, want amount 129.60 discount 0.00", got)
	}
}

// TestSubjectQuotas: benefit quotas are per subject where the subject's plan grants them
// (seed 003's pet shop): a contract on the club plan (10.00, one bath a month of its own)
// covers two dogs on the bath plan (79.90, 2 baths a month). The first charge (169.80)
// settled on 2026-08-05 opens the periods from that day: Rex's two baths use up Rex's quota
// and not Mel's, nor the contract's own one; a subject of another contract, or Mel after she left on
// 2026-08-20, is refused naming subject_id. Mel's leaving credits 12 days of 31 (79.90 × 12 /
// 31 = 30.93) on September, the first open installment. The reset on 2026-09-05 opens
// Rex's next period and not Mel's, and a rerun of every sweep changes nothing.
func TestSubjectQuotas(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t, "2026-07-20")
	club := b.namedPlan("Clube Pet", "10.00")
	bathPlan := b.namedPlan("Banho Mensal", "79.90")
	bath := b.benefit("Banho", "25.00", true)
	b.grant(bathPlan, bath, 2, 0)
	b.grant(club, bath, 1, 0)
	c := b.contract(club, map[string]any{"adhesion_date": "2026-08-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	other := b.contract(club, map[string]any{"adhesion_date": "2026-08-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	path := fmt.Sprintf("/v1/contracts/%d/subjects", c)
	rex := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "pet", "name": "Rex", "species": "dog", "plan_id": bathPlan}).id(t)
	mel := b.must(http.StatusCreated, "POST", path, map[string]any{"kind": "pet", "name": "Mel", "species": "dog", "plan_id": bathPlan}).id(t)
	stranger := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/subjects", other),
		map[string]any{"kind": "pet", "name": "Tom", "species": "cat", "plan_id": bathPlan}).id(t)
	b.generate("2026-08-01")
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 1), []string{
		"plan 10.00 × 1 at 10.00: plan, term 1 installment 1: service 2026-08-01 to 2026-08-31",
		"subject_plan 79.90 × 1 at 79.90: pet Rex (dog): plan Banho Mensal",
		"subject_plan 79.90 × 1 at 79.90: pet Mel (dog): plan Banho Mensal"})
	// The other contract, generated in the same batch, has its own cat's line only.
	sameRows(t, "the other contract's August", b.linesOf(other, "recurring", 1), []string{
		"plan 10.00 × 1 at 10.00: plan, term 1 installment 1: service 2026-08-01 to 2026-08-31",
		"subject_plan 79.90 × 1 at 79.90: pet Tom (cat): plan Banho Mensal"})
	clock.set(t, "2026-08-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		map[string]any{"amount": "169.80", "paid_at": "2026-08-05"})
	usePath := fmt.Sprintf("/v1/contracts/%d/benefit-usages", c)
	useBy := func(subject int64, usedAt string, quantity int) response {
		body := map[string]any{"benefit_id": bath, "used_at": usedAt, "quantity": quantity}
		if subject != 0 {
			body["subject_id"] = subject
		}
		return b.send("POST", usePath, body)
	}
	tests := []struct {
		name       string
		subject    int64
		usedAt     string
		quantity   int
		wantStatus int
		want       string // "used/granted period" or the refused field and words
	}{
		{"Rex's two baths", rex, "2026-08-10", 2, 201, "2/2 2026-08-05..2026-09-04"},
		{"Rex's third bath", rex, "2026-08-12", 1, 409, "quota"},
		{"Mel's own quota", mel, "2026-08-12", 1, 201, "1/2 2026-08-05..2026-09-04"},
		{"the contract's own bath, on its own quota", 0, "2026-08-12", 1, 201, "1/1 2026-08-05..2026-09-04"},
		{"the contract's second bath", 0, "2026-08-13", 1, 409, "quota"},
		{"another contract's cat", stranger, "2026-08-12", 1, 422, "subject_id: contract " + fmt.Sprint(c) + " has no subject"},
	}
	for _, tt := range tests {
		r := useBy(tt.subject, tt.usedAt, tt.quantity)
		if r.status != tt.wantStatus {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.raw, tt.wantStatus)
			continue
		}
		var got string
		if r.status == http.StatusCreated {
			got = fmt.Sprintf("%v/%v %v..%v", r.body["used"], r.body["granted"], r.body["period_start"], r.body["period_end"])
			if want := any(float64(tt.subject)); (tt.subject == 0 && r.body["subject_id"] != nil) || (tt.subject != 0 && r.body["subject_id"] != want) {
				t.Errorf("%s: subject_id %v, want %d", tt.name, r.body["subject_id"], tt.subject)
			}
		} else {
			e := r.err(t)
			got = e.Field + ": " + e.Message + " " + e.Error
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to say %q", tt.name, got, tt.want)
		}
	}
	// The contract's own benefits show its own bath balance, whatever its dogs used.
	items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/benefits?on=2026-08-12", c), nil).items(t)
	if len(items) != 1 || fmt.Sprint(items[0]["balance"].(map[string]any)["used"], "/", items[0]["balance"].(map[string]any)["granted"]) != "1/1" {
		t.Errorf("the contract's own benefits: %v, want its bath 1/1", items)
	}
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("%s/%d", path, mel), nil)
	if r := useBy(mel, "2026-08-20", 1); r.status != 422 || !strings.Contains(string(r.raw),
		fmt.Sprintf("subject %d is not covered on 2026-08-20 (covered from 2026-07-20 to 2026-08-19)", mel)) {
		t.Errorf("Mel after leaving: %d %s", r.status, r.raw)
	}
	sameRows(t, "September's lines", b.linesOf(c, "recurring", 2), []string{
		"plan 10.00 × 1 at 10.00: plan, term 1 installment 2: service 2026-09-01 to 2026-09-30",
		"subject_plan 79.90 × 1 at 79.90: pet Rex (dog): plan Banho Mensal",
		"proration -30.93 × 12 at <nil>: pet Mel (dog): plan Banho Mensal ended on 2026-08-20: 12 days of 31 at 79.90"})
	if got := b.installmentTotals(c, 2); got != "amount 89.90 discount 30.93" {
		t.Errorf("September: %s, want amount 89.90 discount 30.93", got)
	}
	b.resetQuotas("2026-09-05")
	var balances []string
	rows, err := b.pool.Query(t.Context(), `SELECT coalesce(subject_id, 0), period_start::text, period_end::text, granted, used
		FROM benefit_balances WHERE contract_id = $1 ORDER BY subject_id, period_start`, c)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var subject int64
		var start, end string
		var granted, used int
		if err := rows.Scan(&subject, &start, &end, &granted, &used); err != nil {
			t.Fatal(err)
		}
		name := map[int64]string{0: "contract", rex: "Rex", mel: "Mel"}[subject]
		balances = append(balances, fmt.Sprintf("%s %s..%s %d/%d", name, start, end, used, granted))
	}
	sameRows(t, "balances", balances, []string{"Rex 2026-08-05..2026-09-04 2/2", "Rex 2026-09-05..2026-10-04 0/2",
		"Mel 2026-08-05..2026-09-04 1/2", "contract 2026-08-05..2026-09-04 1/1", "contract 2026-09-05..2026-10-04 0/1"})
	b.rerunChangesNothing("2026-09-05")
}

// TestSubjectRefusals: a refused subject request answers a 4xx naming the field and writes
// nothing.
func TestSubjectRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.namedPlan("Assistência", "49.90")
	pkg := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Pacote Banho", "kind": "package",
		"price": "120.00", "period": "monthly", "installments_per_term": 12, "uses_per_cycle": 4}).id(t)
	yearly := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Anual", "price": "499.00",
		"period": "annual", "installments_per_term": 1}).id(t)
	rule := map[string]any{"kind": "fixed_day", "day": 10}
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	onPackage := b.contract(pkg, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	cancelled := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": rule}).id(t)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", cancelled), `{"date": "2026-07-20", "reason_code": "moved"}`)
	path := fmt.Sprintf("/v1/contracts/%d/subjects", c)
	car := map[string]any{"kind": "vehicle", "plate": "ABC1D23", "model": "Gol", "plan_id": plan}
	b.must(http.StatusCreated, "POST", path, car)
	with := func(base map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range base {
			out[key] = val
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	person := map[string]any{"kind": "person", "name": "Maria", "document": "529.982.247-25", "plan_id": plan}
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantField, wantIn  string
	}{
		{"unknown kind", "POST", path, with(person, "kind", "boat"), 422, "kind", "boat"},
		{"a CPF's check digit", "POST", path, with(person, "document", "529.982.247-26"), 422, "document", "check digit"},
		{"no document", "POST", path, with(person, "document", nil), 422, "document", "required for a person"},
		{"born tomorrow", "POST", path, with(person, "birth_date", "2026-07-21"), 422, "birth_date", "after today"},
		{"not a date", "POST", path, with(person, "birth_date", "12/05/1980"), 422, "birth_date", ""},
		{"a person's plate", "POST", path, with(person, "plate", "ABC1234"), 422, "plate", "a person has no plate"},
		{"a bad plate", "POST", path, with(car, "plate", "12-ABC"), 422, "plate", "Brazilian plate"},
		{"no plan", "POST", path, with(person, "plan_id", nil), 422, "plan_id", "required"},
		{"unknown plan", "POST", path, with(person, "plan_id", 999), 422, "plan_id", "no plan with id 999"},
		{"a package", "POST", path, with(person, "plan_id", pkg), 422, "plan_id", "is a package"},
		{"another period", "POST", path, with(person, "plan_id", yearly), 422, "plan_id", "annual"},
		{"unknown field", "POST", path, with(person, "colour", "blue"), 400, "colour", ""},
		{"a plate covered", "POST", path, with(car, "plate", "abc-1d23"), 409, "id", "already covers the vehicle ABC1D23"},
		{"a contract on a package", "POST", fmt.Sprintf("/v1/contracts/%d/subjects", onPackage), person, 409, "id", "on a package"},
		{"a cancelled contract", "POST", fmt.Sprintf("/v1/contracts/%d/subjects", cancelled), person, 409, "id", "cancelled"},
		{"unknown contract", "POST", "/v1/contracts/999/subjects", person, 404, "id", "contract 999"},
		{"unknown contract's list", "GET", "/v1/contracts/999/subjects", nil, 404, "id", "contract 999"},
		{"unknown subject", "DELETE", path + "/999", nil, 404, "subject_id", "subject 999"},
		{"unknown contract's subject", "DELETE", "/v1/contracts/999/subjects/1", nil, 404, "id", "contract 999"},
		{"subject zero", "DELETE", path + "/0", nil, 400, "subject_id", "positive"},
	}
	for _, tt := range tests {
		before := b.snapshot()
		r := b.send(tt.method, tt.path, tt.body)
		if r.status != tt.wantStatus {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.raw, tt.wantStatus)
			continue
		}
		if e := r.err(t); e.Field != tt.wantField || !strings.Contains(e.Message, tt.wantIn) {
			t.Errorf("%s: field %q message %q, want field %q saying %q", tt.name, e.Field, e.Message, tt.wantField, tt.wantIn)
		}
		if b.snapshot() != before {
			t.Errorf("%s: the refused request wrote something", tt.name)
		}
	}
}
