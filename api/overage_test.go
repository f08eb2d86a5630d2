package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestOverageBilledOnNextInstallment is seed 001's km-based towing assistance (issue 19
// item 3): 100 km a month included, 3.50 per extra km. A tow of 120 km on 2026-07-15 is
// accepted: 100 km count against the quota and 20 are billed as an overage line of 70.00
// on the next open installment (due 2026-08-10), whose amount goes from 99.90 to 169.90; a
// second tow of 5 km is all overage (17.50); reversing it removes its line; a rerun of
// generation changes nothing, and the usage report shows the overage.
func TestOverageBilledOnNextInstallment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	tow := b.benefit("Reboque (km)", "2.00", true)
	got := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan), map[string]any{"benefit_id": tow,
		"quantity": 100, "renewal_period": "monthly", "grace_days": 0, "overage_unit_price": "3.50"})
	if got.body["overage_unit_price"] != "3.50" {
		t.Errorf("plan benefit overage_unit_price %v, want 3.50", got.body["overage_unit_price"])
	}
	c := b.paidContract(plan, "2026-07-01", "2026-07-05", 1)
	u := b.use(c, tow, "2026-07-15", 120)
	if u.status != http.StatusCreated {
		t.Fatalf("use of 120 km: status %d %s", u.status, u.raw)
	}
	next := b.installmentID(c, "recurring", 2)
	want := map[string]any{"quantity": float64(120), "used": float64(100), "remaining": float64(0), "overage": float64(20),
		"overage_unit_price": "3.50", "overage_amount": "70.00", "overage_installment_id": float64(next)}
	for k, v := range want {
		if u.body[k] != v {
			t.Errorf("use of 120 km: %s = %v, want %v", k, u.body[k], v)
		}
	}
	wantLines := []string{"plan 99.90 × 1 at 99.90: plan, term 1 installment 2: service 2026-08-01 to 2026-08-31",
		"overage 70.00 × 20 at 3.50: overage: Reboque (km), 20 beyond the quota, used on 2026-07-15"}
	if got := b.linesOf(c, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("installment 2 lines\n%q\nwant\n%q", got, wantLines)
	}
	if got := b.installments(c)[1]; got != "recurring 2 2026-08-10 169.90 open" {
		t.Errorf("installment 2: %q, want recurring 2 2026-08-10 169.90 open", got)
	}
	second := b.use(c, tow, "2026-07-18", 5)
	if second.status != http.StatusCreated || second.body["overage"] != float64(5) || second.body["overage_amount"] != "17.50" {
		t.Fatalf("use of 5 km beyond the quota: status %d %s", second.status, second.raw)
	}
	if got := b.installments(c)[1]; got != "recurring 2 2026-08-10 187.40 open" {
		t.Errorf("installment 2 after 5 km more: %q, want 187.40", got)
	}
	// Reversing the second tow takes its overage line off the installment.
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", c, second.id(t)), nil)
	if got := b.linesOf(c, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("installment 2 lines after the reversal\n%q\nwant\n%q", got, wantLines)
	}
	before := b.snapshot()
	b.generate("2026-07-20")
	if b.snapshot() != before {
		t.Error("a rerun of generation changed the installments or their lines")
	}
	rep := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/reports/benefit-usage?from=2026-07-01&to=2026-07-31&benefit_id=%d", tow), nil)
	items := rep.items(t)
	if len(items) != 1 || items[0]["uses"] != float64(120) || items[0]["overage"] != float64(20) ||
		items[0]["overage_amount"] != "70.00" || items[0]["total_cost"] != "240.00" {
		t.Errorf("usage report %s, want 120 uses, 20 overage billing 70.00, total cost 240.00", rep.raw)
	}
}

// TestOverageRefusals: without an overage price a use beyond the quota is still refused
// (409 quota_exhausted) and writes nothing; a bad overage_unit_price is a 422 naming it.
func TestOverageRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	tow := b.benefit("Reboque (km)", "2.00", true)
	b.grant(plan, tow, 100, 0)
	c := b.paidContract(plan, "2026-07-01", "2026-07-05", 1)
	before := b.benefitRows()
	if got := refusal(t, b.use(c, tow, "2026-07-15", 101)); got.status != http.StatusConflict || got.code != "quota_exhausted" {
		t.Errorf("101 km without overage: %+v, want 409 quota_exhausted", got)
	}
	if b.benefitRows() != before {
		t.Error("a refused use wrote something")
	}
	pkg := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Pacote Banho", "price": "120.00",
		"period": "monthly", "installments_per_term": 1, "kind": "package", "uses_per_cycle": 4}).id(t)
	before = b.benefitRows()
	tests := []struct {
		name  string
		plan  int64
		price string
		want  string
	}{
		{"zero", plan, "0", "overage_unit_price"},
		{"negative", plan, "-3.50", "overage_unit_price"},
		{"fractions of a cent", plan, "3.505", "overage_unit_price"},
		{"not a number", plan, "três", "overage_unit_price"},
		{"a package", pkg, "3.50", "overage_unit_price"},
	}
	for _, tt := range tests {
		r := b.send("POST", fmt.Sprintf("/v1/plans/%d/benefits", tt.plan), map[string]any{"benefit_id": tow, "quantity": 100,
			"renewal_period": "monthly", "grace_days": 0, "overage_unit_price": tt.price})
		if tt.plan == pkg {
			r = b.send("POST", fmt.Sprintf("/v1/plans/%d/benefits", tt.plan), map[string]any{"benefit_id": tow,
				"grace_days": 0, "overage_unit_price": tt.price})
		}
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest || r.err(t).Field != tt.want {
			t.Errorf("%s: status %d %s, want 4xx naming %s", tt.name, r.status, r.raw, tt.want)
		}
	}
	if b.benefitRows() != before {
		t.Error("a refused plan benefit wrote something")
	}
}

// TestOverageWaitsForAnInstallment: with no open installment falling due after the use
// (a one-installment term, paid), the overage of 20 km is recorded unbilled; once the
// renewed term's installment exists (due 2026-08-10), the contract's next use bills it with
// its own overage, each on its own line, once: a rerun of renewal changes nothing.
func TestOverageWaitsForAnInstallment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Assistência 24h", "price": "49.90",
		"period": "monthly", "installments_per_term": 1}).id(t)
	tow := b.benefit("Reboque (km)", "2.00", true)
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan), map[string]any{"benefit_id": tow,
		"quantity": 100, "renewal_period": "monthly", "grace_days": 0, "overage_unit_price": "3.50"})
	c := b.paidContract(plan, "2026-07-01", "2026-07-05", 1)
	first := b.use(c, tow, "2026-07-15", 120)
	if first.status != http.StatusCreated || first.body["overage"] != float64(20) || first.body["overage_installment_id"] != nil {
		t.Fatalf("use of 120 km with no installment ahead: %d %s, want 20 km unbilled", first.status, first.raw)
	}
	b.renew("2026-07-20")
	second := b.use(c, tow, "2026-07-16", 2)
	if second.status != http.StatusCreated || second.body["overage_amount"] != "7.00" {
		t.Fatalf("use of 2 km more: %d %s", second.status, second.raw)
	}
	want := []string{"plan 49.90 × 1 at 49.90: plan, term 2 installment 2: service 2026-08-01 to 2026-08-31",
		"overage 70.00 × 20 at 3.50: overage: Reboque (km), 20 beyond the quota, used on 2026-07-15",
		"overage 7.00 × 2 at 3.50: overage: Reboque (km), 2 beyond the quota, used on 2026-07-16"}
	if got := b.linesOf(c, "recurring", 2); !reflect.DeepEqual(got, want) {
		t.Errorf("installment 2 lines\n%q\nwant\n%q", got, want)
	}
	if got := b.installments(c)[1]; got != "recurring 2 2026-08-10 126.90 open" {
		t.Errorf("installment 2: %q, want recurring 2 2026-08-10 126.90 open", got)
	}
	before := b.snapshot()
	b.renew("2026-07-20")
	b.generate("2026-07-20")
	if b.snapshot() != before {
		t.Error("a rerun of renewal and generation changed the installments or their lines")
	}
}
