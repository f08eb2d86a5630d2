package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
)

// TestMultiServicePackage is seed 003's own example end to end: a pet's package lists bath
// ×4 (35.00 a use), nail trim ×2 (15.00) and ear cleaning ×2 (10.00) for 190.00 a cycle.
// Each service is accepted while its quantity lasts; the use that uses up the cycle's last
// service opens cycle 2, whose installment (due on the fixed day 10 after the use) charges
// the 190.00 itemised, one line per service, quantity × unit price; a rerun of every sweep
// changes nothing.
func TestMultiServicePackage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Pacote Pet", "kind": "package",
		"price": "190.00", "period": "monthly", "installments_per_term": 1, "uses_per_cycle": 4}).id(t)
	bath, nails, ears := b.benefit("Banho", "20.00", true), b.benefit("Corte de Unhas", "5.00", true), b.benefit("Limpeza de Ouvido", "4.00", true)
	path := fmt.Sprintf("/v1/plans/%d/benefits", pkg)
	for _, g := range []struct {
		benefit  int64
		quantity int
		price    string
	}{{bath, 4, "35.00"}, {nails, 2, "15.00"}, {ears, 2, "10.00"}} {
		r := b.must(http.StatusCreated, "POST", path, map[string]any{"benefit_id": g.benefit, "quantity": g.quantity, "unit_price": g.price})
		if r.body["quantity"] != float64(g.quantity) || r.body["unit_price"] != g.price || r.body["renewal_period"] != nil {
			t.Errorf("package service %d: %s", g.benefit, r.raw)
		}
	}
	if got := len(b.must(http.StatusOK, "GET", path, nil).items(t)); got != 3 {
		t.Errorf("the package lists %d services, want 3", got)
	}
	plan := b.plan("100.00", "")
	for _, bad := range []struct {
		name  string
		path  string
		body  map[string]any
		field string
	}{
		{"a negative price", path, map[string]any{"benefit_id": ears, "quantity": 2, "unit_price": "-1.00"}, "unit_price"},
		{"a price in fractions of a cent", path, map[string]any{"benefit_id": ears, "quantity": 2, "unit_price": "1.005"}, "unit_price"},
		{"more than uses_per_cycle", path, map[string]any{"benefit_id": ears, "quantity": 5}, "quantity"},
		{"no uses", path, map[string]any{"benefit_id": ears, "quantity": 0}, "quantity"},
		{"a plan's benefit with a price", fmt.Sprintf("/v1/plans/%d/benefits", plan),
			map[string]any{"benefit_id": ears, "quantity": 2, "renewal_period": "monthly", "unit_price": "10.00"}, "unit_price"},
	} {
		r := b.send("POST", bad.path, bad.body)
		if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != bad.field {
			t.Errorf("%s: %d %s, want 422 naming %s", bad.name, r.status, r.raw, bad.field)
		}
	}

	contract := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	// Cycle 1's installment, made by the generation at activation, is itemised too.
	wantLines := []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 1: uses from 2026-03-02",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 1: uses from 2026-03-02",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 1: uses from 2026-03-02",
	}
	if got := b.linesOf(contract, "recurring", 1); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of cycle 1's installment %q, want %q", got, wantLines)
	}
	uses := []struct {
		benefit   int64
		usedAt    string
		remaining float64
	}{
		{bath, "2026-03-05", 3}, {nails, "2026-03-05", 1}, {bath, "2026-03-12", 2}, {ears, "2026-03-12", 1},
		{bath, "2026-03-19", 1}, {nails, "2026-03-19", 0}, {bath, "2026-03-26", 0},
	}
	var first int64
	for i, u := range uses {
		r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
			map[string]any{"benefit_id": u.benefit, "used_at": u.usedAt})
		if r.body["cycle"] != 1.0 || r.body["remaining"] != u.remaining || r.body["next_installment_id"] != nil {
			t.Errorf("use %d: %s", i+1, r.raw)
		}
		if i == 0 {
			first = r.id(t)
		}
	}
	// A third nail trim in the cycle is refused; bath and nail trim used up do not end the
	// cycle while one ear cleaning is left.
	if got := refusal(t, b.use(contract, nails, "2026-03-27", 1)); got != (benefitErr{status: 409, code: "quota_exhausted"}) {
		t.Errorf("a third nail trim: %+v", got)
	}
	want := []string{"recurring 1 2026-03-10 190.00 paid"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments before the cycle is used up %q, want %q", got, want)
	}
	last := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
		map[string]any{"benefit_id": ears, "used_at": "2026-04-02"})
	if last.body["cycle"] != 1.0 || last.body["remaining"] != 0.0 || last.body["next_installment_due"] != "2026-04-10" ||
		last.body["next_installment_id"] == nil {
		t.Errorf("the use that used up the cycle: %s", last.raw)
	}
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-04-10 190.00 open"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments %q, want %q", got, want)
	}
	wantLines = []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 2: uses from 2026-04-02",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 2: uses from 2026-04-02",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 2: uses from 2026-04-02",
	}
	if got := b.linesOf(contract, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of cycle 2's installment %q, want %q", got, wantLines)
	}
	b.linesSumToTotals(contract, "190.00")

	// Cycle 2 holds every service afresh from the day it opened; cycle 1's uses are closed.
	for _, u := range []struct {
		benefit   int64
		remaining float64
	}{{nails, 1}, {bath, 3}, {ears, 1}} {
		r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
			map[string]any{"benefit_id": u.benefit, "used_at": "2026-04-03"})
		if r.body["cycle"] != 2.0 || r.body["remaining"] != u.remaining || r.body["period_start"] != "2026-04-02" || r.body["next_installment_id"] != nil {
			t.Errorf("a use of cycle 2: %s", r.raw)
		}
	}
	b.must(http.StatusConflict, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", contract, first), nil)
	var balances []string
	for _, g := range b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/benefits?on=2026-04-03", contract), nil).items(t) {
		bal := g["balance"].(map[string]any)
		balances = append(balances, fmt.Sprintf("%s cycle %v from %v: %v of %v used", g["benefit_name"], bal["cycle"], bal["period_start"], bal["used"], bal["granted"]))
	}
	wantBalances := []string{"Banho cycle 2 from 2026-04-02: 1 of 4 used", "Corte de Unhas cycle 2 from 2026-04-02: 1 of 2 used",
		"Limpeza de Ouvido cycle 2 from 2026-04-02: 1 of 2 used"}
	if !reflect.DeepEqual(balances, wantBalances) {
		t.Errorf("balances on 2026-04-03 %q, want %q", balances, wantBalances)
	}

	// A second pet's contract without ear cleaning (withdrawn by its override): bath and nail
	// trim used up end the cycle, and its next charge splits the 190.00 between the two by
	// their listed prices (140 : 30): 156.47 and 33.53.
	other := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	b.must(http.StatusOK, "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/%d", other, ears), map[string]any{"quantity": 0})
	if got := refusal(t, b.use(other, ears, "2026-03-05", 1)); got != (benefitErr{status: 422, code: "not_granted", field: "benefit_id"}) {
		t.Errorf("a withdrawn service: %+v", got)
	}
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", other), map[string]any{"benefit_id": bath, "used_at": "2026-03-05", "quantity": 4})
	r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", other), map[string]any{"benefit_id": nails, "used_at": "2026-03-06", "quantity": 2})
	if r.body["next_installment_due"] != "2026-04-10" {
		t.Errorf("the use that used up the other contract's cycle: %s", r.raw)
	}
	wantLines = []string{
		"plan 156.47 × 4 at <nil>: Banho ×4, package cycle 2: uses from 2026-03-06",
		"plan 33.53 × 2 at <nil>: Corte de Unhas ×2, package cycle 2: uses from 2026-03-06",
	}
	if got := b.linesOf(other, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of the other contract's cycle 2 %q, want %q", got, wantLines)
	}

	// A contract activated on its first payment gets its first cycle's installment at once,
	// itemised like the generation's.
	waiting := b.contract(pkg, map[string]any{"adhesion_date": "2026-04-01", "activate_on_first_payment": true,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	wantLines = []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 1: uses from 2026-04-01",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 1: uses from 2026-04-01",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 1: uses from 2026-04-01",
	}
	if got := b.linesOf(waiting, "recurring", 1); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of the first installment at creation %q, want %q", got, wantLines)
	}

	b.rerunChangesNothing("2026-04-03")
	b.rerunChangesNothing("2026-04-11")
	for _, c := range []int64{contract, other, waiting} {
		b.linesSumToTotals(c, "190.00")
	}
}

// linesSumToTotals fails unless each of a contract's installments has the amount want and
// its lines, as the API shows them, sum to its amount less its discount to the cent.
func (b *bundle) linesSumToTotals(contract int64, want string) {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=500", contract), nil)
	for _, it := range r.items(b.t) {
		sum := decimal.Zero
		for _, raw := range it["lines"].([]any) {
			sum = sum.Add(decimal.RequireFromString(raw.(map[string]any)["amount"].(string)))
		}
		net := decimal.RequireFromString(it["amount"].(string)).Sub(decimal.RequireFromString(it["discount"].(string)))
		if it["amount"] != want || !sum.Equal(net) {
			b.t.Errorf("installment %v: amount %v, discount %v, lines sum to %s; want amount %s and the lines its net", it["sequence"], it["amount"], it["discount"], sum, want)
		}
	}
}
