package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestDueDayChangeProratesSubjectsAndAddons is issue 19 item 1 against a due-day change: the
// days a change moves the service by are service of everything the installment bills, so the
// first moved installment is prorated for its subject's plan and its add-on as for the
// contract's plan, each on its own line. A contract at 99.90 due on the 10th since 2026-01-10
// covers Rex (a pet on a 19.90 plan) and an add-on at 9.90; paid through July, it moves to
// the 25th on 2026-07-20: August's period starts 15 days later (08-10 → 08-25, of the 31 days
// of 08-10..09-09), so August carries 99.90 × 15 / 31 = 48.34, 19.90 × 15 / 31 = 9.63 and
// 9.90 × 15 / 31 = 4.79: 129.70 + 62.76 = 192.46. The change records each part and their
// total; its lines sum to the installment's amount, and every sweep run twice changes nothing.
func TestDueDayChangeProratesSubjectsAndAddons(t *testing.T) {
	t.Parallel()
	b, clock := setupClock(t, "2026-01-05")
	plan := b.namedPlan("Clube", "99.90")
	petPlan := b.namedPlan("Pet Mensal", "19.90")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	rex := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/subjects", c),
		map[string]any{"kind": "pet", "name": "Rex", "species": "dog", "plan_id": petPlan}).id(t)
	addon := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/addons", c),
		map[string]any{"description": "App Clube", "price": "9.90", "from": "2026-01-10"}).id(t)
	b.generate("2026-01-10")
	clock.set(t, "2026-07-20")
	b.payOnDue(c, 1, 7)
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/due-date-rule", c),
		map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 25}, "effective_on": "2026-07-20"})
	id := r.body["id"]
	pr := r.body["to"].(map[string]any)["proration"].(map[string]any)
	if pr["days"] != 15.0 || pr["period_days"] != 31.0 || pr["plan_amount"] != "48.34" || pr["amount"] != "62.76" {
		t.Errorf("the change's proration %v, want 15 days of 31, plan 48.34, total 62.76", pr)
	}
	covered := fmt.Sprint(pr["covered"])
	if want := fmt.Sprintf("[map[amount:9.63 price:19.90 source_key:subject:%d] map[amount:4.79 price:9.90 source_key:addon:%d]]", rex, addon); covered != want {
		t.Errorf("the change's covered prorations %s, want %s", covered, want)
	}
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 8), []string{
		"subject_plan 19.90 × 1 at 19.90: pet Rex (dog): plan Pet Mensal",
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 8: service 2026-08-25 to 2026-09-24",
		"addon 9.90 × 1 at 9.90: add-on: App Clube, service 2026-08-25 to 2026-09-24",
		fmt.Sprintf("proration 48.34 × 15 at <nil>: due day change %v: service from 2026-08-25 instead of 2026-08-10, 15 days of 31 at 99.90", id),
		fmt.Sprintf("proration 9.63 × 15 at <nil>: due day change %v: pet Rex (dog): plan Pet Mensal, service from 2026-08-25 instead of 2026-08-10, 15 days of 31 at 19.90", id),
		fmt.Sprintf("proration 4.79 × 15 at <nil>: due day change %v: add-on: App Clube, service from 2026-08-25 instead of 2026-08-10, 15 days of 31 at 9.90", id),
	})
	if got := b.installmentTotals(c, 8); got != "amount 192.46 discount 0.00" {
		t.Errorf("August: %s, want amount 192.46 discount 0.00", got)
	}
	if got := b.installmentTotals(c, 9); got != "amount 129.70 discount 0.00" {
		t.Errorf("September: %s, want amount 129.70 discount 0.00", got)
	}
	sameRows(t, "September's lines", b.linesOf(c, "recurring", 9), []string{
		"subject_plan 19.90 × 1 at 19.90: pet Rex (dog): plan Pet Mensal",
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 9: service 2026-09-25 to 2026-10-24",
		"addon 9.90 × 1 at 9.90: add-on: App Clube, service 2026-09-25 to 2026-10-24",
	})
	b.rerunSweeps("2026-07-20")
	if got := b.installmentTotals(c, 8); got != "amount 192.46 discount 0.00" {
		t.Errorf("August after the sweeps: %s, want amount 192.46 discount 0.00", got)
	}
}
