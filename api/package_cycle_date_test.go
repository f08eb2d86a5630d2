package api_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// petPackage creates seed 003's pet package — bath ×4 at 35.00, nail trim ×2 at 15.00, ear
// cleaning ×2 at 10.00, 190.00 a cycle — with the extra plan fields of extra, and returns the
// plan and its three services.
func (b *bundle) petPackage(extra map[string]any) (plan, bath, nails, ears int64) {
	b.t.Helper()
	body := map[string]any{"name": "Pacote Pet", "kind": "package", "price": "190.00", "period": "monthly",
		"installments_per_term": 1, "uses_per_cycle": 4}
	for k, v := range extra {
		body[k] = v
	}
	plan = b.must(http.StatusCreated, "POST", "/v1/plans", body).id(b.t)
	bath, nails, ears = b.benefit("Banho", "20.00", true), b.benefit("Corte de Unhas", "5.00", true), b.benefit("Limpeza de Ouvido", "4.00", true)
	for _, g := range []struct {
		benefit  int64
		quantity int
		price    string
	}{{bath, 4, "35.00"}, {nails, 2, "15.00"}, {ears, 2, "10.00"}} {
		b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan),
			map[string]any{"benefit_id": g.benefit, "quantity": g.quantity, "unit_price": g.price})
	}
	return plan, bath, nails, ears
}

// cycleBalances lists a contract's package balances as "cycle n <benefit> from <start>: used of granted".
func (b *bundle) cycleBalances(contract int64) []string {
	b.t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT format('cycle %s %s from %s: %s of %s', x.cycle, n.name, x.period_start, x.used, x.granted)
		FROM benefit_balances x JOIN benefits n ON n.id = x.benefit_id
		WHERE x.contract_id = $1 AND x.cycle IS NOT NULL ORDER BY x.cycle, x.benefit_id`, contract)
	if err != nil {
		b.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// resetPlanned runs reset-benefit-quotas as the runner does: its plan, then each batch of
// batchSize contracts in its own transaction; it returns the summed counts.
func (b *bundle) resetPlanned(asOf string, batchSize int) map[string]int64 {
	b.t.Helper()
	day, err := billing.ParseDate(asOf)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, sweep := context.Background(), postgres.ResetBenefitQuotasSweep{}
	var starts []int64
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		starts, err = sweep.Plan(ctx, tx, day, batchSize)
		return err
	}); err != nil {
		b.t.Errorf("plan reset-benefit-quotas as of %s: %v", asOf, err)
		return nil
	}
	total := map[string]int64{}
	for i, from := range starts {
		to := int64(math.MaxInt64)
		if i+1 < len(starts) {
			to = starts[i+1] - 1
		}
		if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			counts, err := sweep.Batch(ctx, tx, day, from, to)
			for k, v := range counts {
				total[k] += v
			}
			return err
		}); err != nil {
			b.t.Errorf("reset-benefit-quotas batch %d–%d as of %s: %v", from, to, asOf, err)
		}
	}
	return total
}

// TestPackageCycleEndsOnDate is seed 003's package with cycle_months 1 (issue 19 item 2,
// "or on a date, whichever comes first"). The contract's first charge, due on day 10, is paid
// on 2026-03-05: cycle 1 opens that day and ends, not used up, on 2026-04-05 (+1 month). The
// sweep as of 2026-04-04 opens nothing; as of 2026-04-05 it opens cycle 2 with its installment
// itemised 140.00/30.00/20.00 (4 × 35.00, 2 × 15.00, 2 × 10.00 = 190.00), due on the first day
// 10 on or after 2026-04-05: Friday 2026-04-10. Cycle 1's unused uses (2 baths, 1 nail trim,
// 2 ear cleanings) lapse: later uses count against cycle 2, and cycle 1's can no longer be
// reversed. A rerun changes nothing; a package without cycle_months never ends by date.
func TestPackageCycleEndsOnDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, bath, nails, ears := b.petPackage(nil)
	byUse, _, _, _ := b.petPackage(nil)

	// The setting: only a package, 1 to 24 months; PATCH sets it and null removes it.
	plan := b.plan("100.00", "")
	for _, bad := range []struct {
		name, method, path string
		body               map[string]any
	}{
		{"a plan with cycle_months", "POST", "/v1/plans", map[string]any{"name": "Mensal", "price": "99.90", "period": "monthly",
			"installments_per_term": 12, "cycle_months": 1}},
		{"a package of 0 months", "POST", "/v1/plans", map[string]any{"name": "P", "kind": "package", "price": "190.00",
			"period": "monthly", "installments_per_term": 1, "uses_per_cycle": 4, "cycle_months": 0}},
		{"a package of 25 months", "PATCH", fmt.Sprintf("/v1/plans/%d", pkg), map[string]any{"cycle_months": 25}},
		{"a plan patched with cycle_months", "PATCH", fmt.Sprintf("/v1/plans/%d", plan), map[string]any{"cycle_months": 1}},
	} {
		r := b.send(bad.method, bad.path, bad.body)
		if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != "cycle_months" {
			t.Errorf("%s: %d %s, want 422 naming cycle_months", bad.name, r.status, r.raw)
		}
	}
	if r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", pkg), map[string]any{"cycle_months": 3}); r.body["cycle_months"] != 3.0 {
		t.Errorf("PATCH cycle_months 3: %s", r.raw)
	}
	if r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", pkg), map[string]any{"cycle_months": nil}); r.body["cycle_months"] != nil {
		t.Errorf("PATCH cycle_months null: %s", r.raw)
	}
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", pkg), map[string]any{"cycle_months": 1})
	if r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/plans/%d", pkg), nil); r.body["cycle_months"] != 1.0 {
		t.Errorf("GET the package: %s", r.raw)
	}
	if r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/plans/%d", byUse), nil); r.body["cycle_months"] != nil {
		t.Errorf("GET the package ending by use only: %s", r.raw)
	}
	created := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Pacote Trimestral", "kind": "package",
		"price": "190.00", "period": "monthly", "installments_per_term": 1, "uses_per_cycle": 4, "cycle_months": 24})
	if created.body["cycle_months"] != 24.0 {
		t.Errorf("POST with cycle_months 24: %s", created.raw)
	}

	contract := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	var first int64
	for i, u := range []struct {
		benefit int64
		usedAt  string
	}{{bath, "2026-03-06"}, {bath, "2026-03-13"}, {nails, "2026-03-13"}} {
		r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
			map[string]any{"benefit_id": u.benefit, "used_at": u.usedAt})
		if r.body["cycle"] != 1.0 || r.body["period_start"] != "2026-03-05" {
			t.Errorf("use %d of cycle 1: %s", i+1, r.raw)
		}
		if i == 0 {
			first = r.id(t)
		}
	}

	// The day before the end: nothing.
	if got := b.resetQuotas("2026-04-04"); got["package_cycles_opened"] != 0 || got["package_installments_created"] != 0 {
		t.Errorf("reset as of 2026-04-04: %v, want no package cycle", got)
	}
	want := []string{"recurring 1 2026-03-10 190.00 paid"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments on 2026-04-04 %q, want %q", got, want)
	}
	// The end day: cycle 2 and its installment.
	if got := b.resetQuotas("2026-04-05"); got["package_cycles_opened"] != 1 || got["package_installments_created"] != 1 {
		t.Errorf("reset as of 2026-04-05: %v, want 1 package cycle and 1 installment", got)
	}
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-04-10 190.00 open"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments on 2026-04-05 %q, want %q", got, want)
	}
	wantLines := []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 2: uses from 2026-04-05",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 2: uses from 2026-04-05",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 2: uses from 2026-04-05",
	}
	if got := b.linesOf(contract, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of cycle 2's installment %q, want %q", got, wantLines)
	}
	wantBalances := []string{
		"cycle 1 Banho from 2026-03-05: 2 of 4", "cycle 1 Corte de Unhas from 2026-03-05: 1 of 2",
		"cycle 2 Banho from 2026-04-05: 0 of 4", "cycle 2 Corte de Unhas from 2026-04-05: 0 of 2",
		"cycle 2 Limpeza de Ouvido from 2026-04-05: 0 of 2",
	}
	if got := b.cycleBalances(contract); !reflect.DeepEqual(got, wantBalances) {
		t.Errorf("balances after the end day %q, want %q", got, wantBalances)
	}
	// A rerun, of this sweep and of every sweep, changes nothing.
	if got := b.resetQuotas("2026-04-05"); got["package_cycles_opened"] != 0 || got["package_installments_created"] != 0 {
		t.Errorf("rerun as of 2026-04-05: %v, want nothing", got)
	}
	b.rerunChangesNothing("2026-04-05")

	// Cycle 1's unused uses lapse: a use on the end day, and one recorded late but dated
	// before it, count against cycle 2; cycle 1's uses cannot be reversed any more.
	for _, u := range []struct {
		benefit   int64
		usedAt    string
		remaining float64
	}{{bath, "2026-04-05", 3}, {ears, "2026-04-01", 1}} {
		r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
			map[string]any{"benefit_id": u.benefit, "used_at": u.usedAt})
		if r.body["cycle"] != 2.0 || r.body["remaining"] != u.remaining || r.body["period_start"] != "2026-04-05" ||
			r.body["next_installment_id"] != nil {
			t.Errorf("a use on %s after the end: %s", u.usedAt, r.raw)
		}
	}
	b.must(http.StatusConflict, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", contract, first), nil)
	var balances []string
	for _, g := range b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/benefits?on=2026-04-06", contract), nil).items(t) {
		bal := g["balance"].(map[string]any)
		balances = append(balances, fmt.Sprintf("%s cycle %v from %v: %v of %v used", g["benefit_name"], bal["cycle"], bal["period_start"], bal["used"], bal["granted"]))
	}
	wantBalances = []string{"Banho cycle 2 from 2026-04-05: 1 of 4 used", "Corte de Unhas cycle 2 from 2026-04-05: 0 of 2 used",
		"Limpeza de Ouvido cycle 2 from 2026-04-05: 1 of 2 used"}
	if !reflect.DeepEqual(balances, wantBalances) {
		t.Errorf("balances on 2026-04-06 %q, want %q", balances, wantBalances)
	}

	b.linesSumToTotals(contract, "190.00")
}

// TestPackageCyclesMissedAndUsedUp: with cycle_months 1 and the first charge paid on
// 2026-03-05, a contract whose sweep did not run until 2026-06-05 is owed three cycles, each
// opened on the day the one before ended (04-05, 05-05, 06-05) and due on the first day 10 on
// or after it: 04-10, Sunday 05-10 → Monday 05-11, 06-10. A contract that used cycle 1 up on
// 2026-03-20 opened cycle 2 that day (due 04-10); its date counts from the use, so it ends on
// 04-20 (not 04-05), when cycle 3 opens, due 05-10 → 05-11, and cycle 4 on 05-20, due 06-10.
// A contract of a package without cycle_months gets nothing, nor does one whose first
// charge is unpaid (its cycle 1 has not started). The sweep runs as planned, two contracts
// a batch.
func TestPackageCyclesMissedAndUsedUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, bath, nails, ears := b.petPackage(map[string]any{"cycle_months": 1})
	byUse, _, _, _ := b.petPackage(nil)
	missed := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	usedUp := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
	never := b.paidContract(byUse, "2026-03-02", "2026-03-05", 1)
	unpaid := b.paidContract(pkg, "2026-03-02", "", 0)
	for _, u := range []struct {
		benefit  int64
		quantity int
	}{{bath, 4}, {nails, 2}, {ears, 2}} {
		b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", usedUp),
			map[string]any{"benefit_id": u.benefit, "used_at": "2026-03-20", "quantity": u.quantity})
	}
	// As of 04-05 only the missed contract's cycle 1 has ended.
	if got := b.resetPlanned("2026-04-05", 2); got["package_cycles_opened"] != 1 {
		t.Errorf("reset as of 2026-04-05: %v, want 1 package cycle", got)
	}
	if got := b.resetPlanned("2026-06-05", 2); got["package_cycles_opened"] != 4 || got["package_installments_created"] != 4 {
		t.Errorf("reset as of 2026-06-05: %v, want 4 package cycles and installments (2 + 2)", got)
	}
	want := []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-04-10 190.00 open",
		"recurring 3 2026-05-11 190.00 open", "recurring 4 2026-06-10 190.00 open"}
	if got := b.installments(missed); !reflect.DeepEqual(got, want) {
		t.Errorf("installments of the missed contract %q, want %q", got, want)
	}
	wantLines := []string{
		"plan 140.00 × 4 at 35.00: Banho ×4, package cycle 3: uses from 2026-05-05",
		"plan 30.00 × 2 at 15.00: Corte de Unhas ×2, package cycle 3: uses from 2026-05-05",
		"plan 20.00 × 2 at 10.00: Limpeza de Ouvido ×2, package cycle 3: uses from 2026-05-05",
	}
	if got := b.linesOf(missed, "recurring", 3); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of the missed contract's cycle 3 %q, want %q", got, wantLines)
	}
	// cycle 2 from the use on 03-20 ends 04-20; cycle 3 from 04-20 ends 05-20; cycle 4 from 05-20 ends 06-20.
	want = []string{"recurring 1 2026-03-10 190.00 paid", "recurring 2 2026-04-10 190.00 open",
		"recurring 3 2026-05-11 190.00 open", "recurring 4 2026-06-10 190.00 open"}
	if got := b.installments(usedUp); !reflect.DeepEqual(got, want) {
		t.Errorf("installments of the used-up contract %q, want %q", got, want)
	}
	wantStarts := []string{"cycle 1 Banho from 2026-03-05", "cycle 2 Banho from 2026-03-20", "cycle 3 Banho from 2026-04-20",
		"cycle 4 Banho from 2026-05-20"}
	if got := b.cycleBalances(usedUp); len(got) != 12 || got[0] != "cycle 1 Banho from 2026-03-05: 4 of 4" ||
		got[3] != "cycle 2 Banho from 2026-03-20: 0 of 4" || got[6] != "cycle 3 Banho from 2026-04-20: 0 of 4" ||
		got[9] != "cycle 4 Banho from 2026-05-20: 0 of 4" {
		t.Errorf("balances of the used-up contract %q, want cycle starts %q", got, wantStarts)
	}
	// A package without cycle_months never ends by date: three ends later, still cycle 1's
	// installment only, and no cycle opened.
	want = []string{"recurring 1 2026-03-10 190.00 paid"}
	if got := b.installments(never); !reflect.DeepEqual(got, want) {
		t.Errorf("installments of the package ending by use only %q, want %q", got, want)
	}
	if got := b.cycleBalances(never); len(got) != 0 {
		t.Errorf("balances of the package ending by use only %q, want none", got)
	}
	// Nor does a contract whose first charge is not settled: its cycle 1 has not started.
	want = []string{"recurring 1 2026-03-10 190.00 open"}
	if got := b.installments(unpaid); !reflect.DeepEqual(got, want) {
		t.Errorf("installments of the unpaid contract %q, want %q", got, want)
	}
	if got := b.cycleBalances(unpaid); len(got) != 0 {
		t.Errorf("balances of the unpaid contract %q, want none", got)
	}
	if got := b.resetPlanned("2026-06-05", 2); got["package_cycles_opened"] != 0 || got["package_installments_created"] != 0 {
		t.Errorf("rerun as of 2026-06-05: %v, want nothing", got)
	}
	b.rerunChangesNothing("2026-06-05")
	for _, c := range []int64{missed, usedUp, never, unpaid} {
		b.linesSumToTotals(c, "190.00")
	}
}

// TestPackageCycleUseRacesSweep: the use that uses up cycle 1 (its last ear cleaning) on
// 2026-04-05, the day cycle 1 (opened 2026-03-05, cycle_months 1) ends by date, runs at the
// same time as the sweep as of that day, for five contracts. Whichever takes a contract's
// lock first opens cycle 2 from 2026-04-05 (by use, or by date — then the use counts in cycle
// 2); either way each contract ends with exactly one cycle 2 (three balances), no cycle 3,
// and one installment 2 due 2026-04-10.
func TestPackageCycleUseRacesSweep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pkg, bath, nails, ears := b.petPackage(map[string]any{"cycle_months": 1})
	var contracts []int64
	for range 5 {
		c := b.paidContract(pkg, "2026-03-02", "2026-03-05", 1)
		for _, u := range []struct {
			benefit  int64
			quantity int
		}{{bath, 4}, {nails, 2}, {ears, 1}} {
			b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", c),
				map[string]any{"benefit_id": u.benefit, "used_at": "2026-03-20", "quantity": u.quantity})
		}
		contracts = append(contracts, c)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, len(contracts))
	for i, c := range contracts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = b.use(c, ears, "2026-04-05", 1).status
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		b.resetPlanned("2026-04-05", 2)
	}()
	close(start)
	wg.Wait()
	for i, c := range contracts {
		if statuses[i] != http.StatusCreated {
			t.Errorf("contract %d: the racing use answered %d, want 201", c, statuses[i])
		}
		var cycle2, cycle3, inst2, inst3 int
		if err := b.pool.QueryRow(context.Background(), `SELECT
				(SELECT count(*) FROM benefit_balances WHERE contract_id = $1 AND cycle = 2),
				(SELECT count(*) FROM benefit_balances WHERE contract_id = $1 AND cycle > 2),
				(SELECT count(*) FROM installments WHERE contract_id = $1 AND kind = 'recurring' AND sequence = 2 AND nominal_due = '2026-04-10'),
				(SELECT count(*) FROM installments WHERE contract_id = $1 AND kind = 'recurring' AND sequence > 2)`, c).Scan(
			&cycle2, &cycle3, &inst2, &inst3); err != nil {
			t.Fatal(err)
		}
		if cycle2 != 3 || cycle3 != 0 || inst2 != 1 || inst3 != 0 {
			t.Errorf("contract %d: %d cycle 2 balances, %d later; %d installment 2 due 2026-04-10, %d later; want 3, 0, 1, 0",
				c, cycle2, cycle3, inst2, inst3)
		}
		b.linesSumToTotals(c, "190.00")
	}
	b.rerunChangesNothing("2026-04-05")
}
