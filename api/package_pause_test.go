package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestPackagePauseMovesDatedCycle is seed 003's package (bath ×4, nail trim ×2, ear cleaning
// ×2, 190.00 a cycle, cycle_months 1, due day 10) with cycle 1 opened on 2026-03-05, the
// day its first charge was paid. On 2026-03-10 it is paused for 1 month from 2026-03-20
// (window 2026-03-20..04-19): cycle 1, which would end on 2026-04-05, ends on 2026-05-05.
// reset-benefit-quotas as of the old day opens nothing (the contract beside it, not paused,
// gets its cycle 2 that day); as of 2026-05-04 nothing; as of 2026-05-05 cycle 2 with its
// installment itemised 140.00/30.00/20.00, due Sunday 05-10 → Monday 2026-05-11; a rerun
// changes nothing. A use inside the window is refused as paused. The forecast made on
// 2026-03-10 lists cycle 2 opening 05-05 (due 05-10 → 05-11) and cycle 3 opening 06-05
// (due 06-10), 190.00 each, and renews no term.
func TestPackagePauseMovesDatedCycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, bath, _, _ := b.petPackage(map[string]any{"cycle_months": 1})
	paused := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	control := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	in := b.at("2026-03-10")

	r := in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", paused),
		map[string]any{"from": "2026-03-20", "months": 1, "reason": "viagem"})
	to, from := r.body["to"].(map[string]any), r.body["from"].(map[string]any)
	if r.body["effective_on"] != "2026-03-20" || to["paused_from"] != "2026-03-20" || to["paused_until"] != "2026-04-19" ||
		to["cycle"] != 1.0 || to["cycle_ends_on"] != "2026-05-05" || from["cycle_ends_on"] != "2026-04-05" || to["redated"] != 0.0 {
		t.Errorf("pause: %s", r.raw)
	}
	if again := in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", paused),
		map[string]any{"from": "2026-03-20", "months": 1, "reason": "viagem"}); again.body["id"] != r.body["id"] {
		t.Errorf("the same pause again: %s", again.raw)
	}
	got := in.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", paused), nil).body
	if got["paused_from"] != "2026-03-20" || got["paused_until"] != "2026-04-19" {
		t.Errorf("contract: paused %v..%v", got["paused_from"], got["paused_until"])
	}

	// The forecast of 2026-03-10 to 2026-06-30: cycles 2 and 3, by the moved date.
	f := in.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/forecast?until=2026-06-30", paused), nil).body
	var cycles, items []string
	for _, c := range f["package_cycles"].([]any) {
		c := c.(map[string]any)
		cycles = append(cycles, fmt.Sprintf("cycle %v opens %v: installment %v due %v/%v %v-%v existing %v", c["cycle"], c["opens_on"],
			c["sequence"], c["nominal_due"], c["due_date"], c["amount"], c["discount"], c["existing"]))
	}
	for _, it := range f["installments"].([]any) {
		it := it.(map[string]any)
		items = append(items, fmt.Sprintf("%v %v %v %v", it["source"], it["sequence"], it["due_date"], it["amount"]))
	}
	wantCycles := []string{"cycle 2 opens 2026-05-05: installment 2 due 2026-05-10/2026-05-11 190.00-0.00 existing false",
		"cycle 3 opens 2026-06-05: installment 3 due 2026-06-10/2026-06-10 190.00-0.00 existing false"}
	wantItems := []string{"package_cycle 2 2026-05-11 190.00", "package_cycle 3 2026-06-10 190.00"}
	if !reflect.DeepEqual(cycles, wantCycles) || !reflect.DeepEqual(items, wantItems) || len(f["renewals"].([]any)) != 0 ||
		f["total_due"] != "380.00" || !strings.Contains(fmt.Sprint(f["package_cycles_note"]), "cycle_months") {
		t.Errorf("forecast: cycles %q, installments %q, want %q, %q; %v", cycles, items, wantCycles, wantItems, f)
	}

	// Inside the window a use is refused as paused.
	if e := b.use(paused, bath, "2026-04-01", 1).err(t); e.Error != "paused" {
		t.Errorf("use inside the pause: %+v", e)
	}
	// The old end day: the control's cycle 2 opens, the paused contract's does not.
	if got := b.resetQuotas("2026-04-05"); got["package_cycles_opened"] != 1 || got["package_installments_created"] != 1 {
		t.Errorf("reset as of 2026-04-05: %v, want the control's cycle only", got)
	}
	want := []string{"recurring 1 2026-03-10 190.00 paid"}
	if got := b.installments(paused); !reflect.DeepEqual(got, want) {
		t.Errorf("paused contract's installments on 2026-04-05 %q, want %q", got, want)
	}
	if got := b.cycleBalances(paused); len(got) != 0 {
		t.Errorf("paused contract's balances on 2026-04-05 %q, want none opened", got)
	}
	if got := b.resetQuotas("2026-04-05"); got["package_cycles_opened"] != 0 || got["package_installments_created"] != 0 {
		t.Errorf("rerun as of 2026-04-05: %v, want nothing", got)
	}
	if got := b.resetQuotas("2026-05-04"); got["package_cycles_opened"] != 0 {
		t.Errorf("reset as of 2026-05-04: %v, want nothing", got)
	}
	// The moved day: the paused contract's cycle 2 (and the control's cycle 3).
	if got := b.resetQuotas("2026-05-05"); got["package_cycles_opened"] != 2 || got["package_installments_created"] != 2 {
		t.Errorf("reset as of 2026-05-05: %v, want 2 cycles and installments", got)
	}
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-05-11 190.00 open"}
	if got := b.installments(paused); !reflect.DeepEqual(got, want) {
		t.Errorf("paused contract's installments on 2026-05-05 %q, want %q", got, want)
	}
	wantLines := []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 2: uses from 2026-05-05",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 2: uses from 2026-05-05",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 2: uses from 2026-05-05",
	}
	if got := b.linesOf(paused, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of cycle 2's installment %q, want %q", got, wantLines)
	}
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-04-10 190.00 open", "recurring 3 2026-05-11 190.00 open"}
	if got := b.installments(control); !reflect.DeepEqual(got, want) {
		t.Errorf("control's installments on 2026-05-05 %q, want %q", got, want)
	}
	if got := b.resetQuotas("2026-05-05"); got["package_cycles_opened"] != 0 || got["package_installments_created"] != 0 {
		t.Errorf("rerun as of 2026-05-05: %v, want nothing", got)
	}
	b.rerunChangesNothing("2026-05-05")
	b.linesSumToTotals(paused, "190.00")
}

// TestPackagePauseResumed: paused for 2 months from 2026-03-20 (window 03-20..05-19),
// cycle 1 (opened 2026-03-05, cycle_months 1) would end on 2026-06-05; resumed on
// 2026-04-10 the window keeps one month (03-20..04-19) and cycle 1 ends on 2026-05-05.
// A package whose cycles end only by use pauses too (its window only), and its forecast
// says its cycles cannot be forecast.
func TestPackagePauseResumed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, _, _, _ := b.petPackage(map[string]any{"cycle_months": 1})
	byUse, _, _, _ := b.petPackage(nil)
	c := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	u := b.paidContract(byUse, "2026-03-02", "2026-03-05", 1)
	in := b.at("2026-03-10")
	r := in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c), map[string]any{"from": "2026-03-20", "months": 2})
	if to := r.body["to"].(map[string]any); to["paused_until"] != "2026-05-19" || to["cycle_ends_on"] != "2026-06-05" {
		t.Errorf("pause: %s", r.raw)
	}
	r = b.at("2026-04-10").must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/resume", c), map[string]any{"on": "2026-04-10"})
	if to := r.body["to"].(map[string]any); to["restart"] != "2026-04-20" || to["months_used"] != 1.0 || to["redated"] != 0.0 {
		t.Errorf("resume: %s", r.raw)
	}
	if got := b.resetQuotas("2026-05-04"); got["package_cycles_opened"] != 0 {
		t.Errorf("reset as of 2026-05-04: %v, want nothing", got)
	}
	if got := b.resetQuotas("2026-05-05"); got["package_cycles_opened"] != 1 || got["package_installments_created"] != 1 {
		t.Errorf("reset as of 2026-05-05: %v, want cycle 2", got)
	}
	want := []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-05-11 190.00 open"}
	if got := b.installments(c); !reflect.DeepEqual(got, want) {
		t.Errorf("installments %q, want %q", got, want)
	}

	r = in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", u), map[string]any{"from": "2026-03-20", "months": 1})
	if to := r.body["to"].(map[string]any); to["paused_until"] != "2026-04-19" || to["cycle"] != nil {
		t.Errorf("pause of a package by use: %s", r.raw)
	}
	f := in.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/forecast?until=2026-06-30", u), nil).body
	if len(f["package_cycles"].([]any)) != 0 || !strings.Contains(fmt.Sprint(f["package_cycles_note"]), "cannot be forecast") ||
		len(f["installments"].([]any)) != 0 {
		t.Errorf("forecast of a package by use: %v", f)
	}
}

// TestPackageSecondPauseInOneCycle: a package of cycle_months 24, cycle 1 opened on
// 2026-03-05 and paused a month from 2026-03-20 (so it ends on 2028-04-05 instead of
// 2028-03-05). A year later, when BILLINGD_PAUSE_MIN_MONTHS (12) allows another pause, a
// second one from 2027-03-20 would fall in the same cycle, and the contract keeps only its
// latest window: it is refused (409) naming the cycle and its moved end, and nothing changes.
func TestPackageSecondPauseInOneCycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, _, _, _ := b.petPackage(map[string]any{"cycle_months": 24})
	c := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	r := b.at("2026-03-10").must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c), map[string]any{"from": "2026-03-20", "months": 1})
	if to := r.body["to"].(map[string]any); to["cycle_ends_on"] != "2028-04-05" {
		t.Errorf("pause: %s", r.raw)
	}
	before := b.snapshot()
	e := b.at("2027-03-20").must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c),
		map[string]any{"from": "2027-03-20", "months": 1}).err(t)
	if !strings.Contains(e.Message, "package cycle 1 (opened 2026-03-05) already holds the pause 2026-03-20 to 2026-04-19, which moved its end to 2028-04-05") {
		t.Errorf("second pause in cycle 1: %+v", e)
	}
	if after := b.snapshot(); after != before {
		t.Errorf("a refused pause wrote:\n%s\nwant\n%s", after, before)
	}
}

// TestPackageSimulationCycles: the simulation of seed 003's package (cycle_months 1, day 10)
// adhering today, 2026-07-20, forecasts like a saved contract's forecast: installment 1 due
// 2026-08-10, paid on time, opens cycle 1 that day; cycle 2 opens 2026-09-10 (due that day)
// and cycle 3 on 2026-10-10, due Saturday 10-10 → Tuesday 10-13 (10-12 a holiday), 190.00
// each; no renewal.
func TestPackageSimulationCycles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, _, _, _ := b.petPackage(map[string]any{"cycle_months": 1})
	body := map[string]any{"customer_id": b.customer(), "plan_id": pkg, "adhesion_date": "2026-07-20",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}
	sim := b.must(http.StatusOK, "POST", "/v1/simulations?until=2026-10-31", body).body
	id := b.must(http.StatusCreated, "POST", "/v1/contracts", body).id(t)
	saved := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/forecast?until=2026-10-31", id), nil).body
	for name, f := range map[string]map[string]any{"simulation": sim, "forecast": saved} {
		var cycles, items []string
		for _, c := range f["package_cycles"].([]any) {
			c := c.(map[string]any)
			cycles = append(cycles, fmt.Sprintf("cycle %v opens %v: due %v/%v %v", c["cycle"], c["opens_on"], c["nominal_due"], c["due_date"], c["amount"]))
		}
		for _, it := range f["installments"].([]any) {
			it := it.(map[string]any)
			items = append(items, fmt.Sprintf("%v %v %v %v", it["source"], it["sequence"], it["due_date"], it["amount"]))
		}
		wantCycles := []string{"cycle 2 opens 2026-09-10: due 2026-09-10/2026-09-10 190.00",
			"cycle 3 opens 2026-10-10: due 2026-10-10/2026-10-13 190.00"}
		wantItems := []string{"generation 1 2026-08-10 190.00", "package_cycle 2 2026-09-10 190.00", "package_cycle 3 2026-10-13 190.00"}
		if !reflect.DeepEqual(cycles, wantCycles) || !reflect.DeepEqual(items, wantItems) || len(f["renewals"].([]any)) != 0 {
			t.Errorf("%s: cycles %q, installments %q; want %q, %q and no renewal", name, cycles, items, wantCycles, wantItems)
		}
	}
}
