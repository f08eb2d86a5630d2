package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestSubjectWithAddonAndOverage shows subjects beside the other issue 19 features on one
// contract: a pet club (10.00) covering Rex on the bath plan (79.90: 2 baths a month, 30.00
// for each bath beyond them) with the App Clube add-on (19.90) from 2026-08-01. August's
// installment carries the plan, Rex's subject_plan and the add-on lines (109.80); Rex's
// three baths on 2026-08-10 count 2 on his own quota and bill 1 as an overage line of 30.00
// on September's installment (109.80 → 139.80); reversing the use takes the line off and
// gives the baths back, and a rerun of every sweep changes nothing. The ledger invariant
// (lines = totals) is checked when the test ends.
func TestSubjectWithAddonAndOverage(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t, "2026-07-20")
	club := b.namedPlan("Clube Pet", "10.00")
	bathPlan := b.namedPlan("Banho Mensal", "79.90")
	bath := b.benefit("Banho", "25.00", true)
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", bathPlan), map[string]any{"benefit_id": bath,
		"quantity": 2, "renewal_period": "monthly", "grace_days": 0, "overage_unit_price": "30.00"})
	c := b.contract(club, map[string]any{"adhesion_date": "2026-08-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	rex := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/subjects", c),
		map[string]any{"kind": "pet", "name": "Rex", "species": "dog", "plan_id": bathPlan}).id(t)
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/addons", c),
		map[string]any{"description": "App Clube", "price": "19.90", "from": "2026-08-01"})
	b.generate("2026-08-01")
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 1), []string{
		"plan 10.00 × 1 at 10.00: plan, term 1 installment 1: service 2026-08-01 to 2026-08-31",
		"subject_plan 79.90 × 1 at 79.90: pet Rex (dog): plan Banho Mensal",
		"addon 19.90 × 1 at 19.90: add-on: App Clube, service 2026-08-01 to 2026-08-31"})
	if got := b.installmentTotals(c, 1); got != "amount 109.80 discount 0.00" {
		t.Errorf("August: %s, want amount 109.80 discount 0.00", got)
	}
	september := []string{
		"plan 10.00 × 1 at 10.00: plan, term 1 installment 2: service 2026-09-01 to 2026-09-30",
		"subject_plan 79.90 × 1 at 79.90: pet Rex (dog): plan Banho Mensal",
		"addon 19.90 × 1 at 19.90: add-on: App Clube, service 2026-09-01 to 2026-09-30"}
	sameRows(t, "September's lines", b.linesOf(c, "recurring", 2), september)

	clock.set(t, "2026-08-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		map[string]any{"amount": "109.80", "paid_at": "2026-08-05"})
	use := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", c),
		map[string]any{"benefit_id": bath, "used_at": "2026-08-10", "quantity": 3, "subject_id": rex})
	want := map[string]any{"subject_id": float64(rex), "used": float64(2), "granted": float64(2), "period_start": "2026-08-05",
		"period_end": "2026-09-04", "overage": float64(1), "overage_unit_price": "30.00", "overage_amount": "30.00",
		"overage_installment_id": float64(b.installmentID(c, "recurring", 2))}
	for k, v := range want {
		if use.body[k] != v {
			t.Errorf("Rex's three baths: %s = %v, want %v", k, use.body[k], v)
		}
	}
	sameRows(t, "September's lines with Rex's overage", b.linesOf(c, "recurring", 2), append(september,
		"overage 30.00 × 1 at 30.00: overage: Banho, 1 beyond the quota, used on 2026-08-10"))
	if got := b.installmentTotals(c, 2); got != "amount 139.80 discount 0.00" {
		t.Errorf("September with the overage: %s, want amount 139.80 discount 0.00", got)
	}
	// The contract's own plan grants no bath: its own bath is refused, not counted on Rex's.
	if r := b.use(c, bath, "2026-08-10", 1); r.status != http.StatusUnprocessableEntity || r.err(t).Error != "not_granted" {
		t.Errorf("the contract's own bath: %d %s, want 422 not_granted", r.status, r.raw)
	}

	reversed := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", c, use.id(t)), nil)
	if reversed.body["subject_id"] != float64(rex) || reversed.body["used"] != float64(0) {
		t.Errorf("reversed use: subject_id %v used %v, want %d and 0", reversed.body["subject_id"], reversed.body["used"], rex)
	}
	sameRows(t, "September's lines after the reversal", b.linesOf(c, "recurring", 2), september)
	if got := b.installmentTotals(c, 2); got != "amount 109.80 discount 0.00" {
		t.Errorf("September after the reversal: %s, want amount 109.80 discount 0.00", got)
	}
	b.rerunChangesNothing("2026-08-20")
}
