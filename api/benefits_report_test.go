package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestBenefitPackageCycle uses a package of 4 baths per installment: the 4th use of a cycle
// creates the next cycle's installment, due on the contract's fixed day 10 after the use
// (10 May 2026 is a Sunday: due Monday 11 May).
func TestBenefitPackageCycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Pacote 4 banhos", "kind": "package",
		"price": "120.00", "period": "monthly", "installments_per_term": 1, "uses_per_cycle": 4}).id(t)
	bath := b.benefit("Banho", "30.00", true)
	r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan), map[string]any{"benefit_id": bath})
	if r.body["quantity"] != 4.0 || r.body["renewal_period"] != nil || r.body["grace_days"] != 0.0 {
		t.Errorf("package benefit: %s", r.raw)
	}
	b.must(http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan),
		map[string]any{"benefit_id": bath, "renewal_period": "monthly"})
	contract := b.paidContract(plan, "2026-03-02", "2026-03-05", 1)

	var ids []int64
	for i, usedAt := range []string{"2026-03-05", "2026-03-12", "2026-03-20"} {
		r := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
			map[string]any{"benefit_id": bath, "used_at": usedAt})
		if r.body["cycle"] != 1.0 || r.body["remaining"] != float64(3-i) || r.body["next_installment_id"] != nil {
			t.Errorf("use %d: %s", i+1, r.raw)
		}
		ids = append(ids, r.id(t))
	}
	if got := refusal(t, b.use(contract, bath, "2026-04-11", 2)); got != (benefitErr{status: 409, code: "quota_exhausted"}) {
		t.Errorf("2 uses with 1 left: %+v", got)
	}
	fourth := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
		map[string]any{"benefit_id": bath, "used_at": "2026-04-11"})
	if fourth.body["cycle"] != 1.0 || fourth.body["remaining"] != 0.0 || fourth.body["next_installment_due"] != "2026-05-11" ||
		fourth.body["next_installment_id"] == nil {
		t.Errorf("4th use: %s", fourth.raw)
	}
	want := []string{"recurring 1 2026-03-10 120.00 paid", "recurring 2 2026-05-11 120.00 open"}
	if got := b.installments(contract); !reflect.DeepEqual(got, want) {
		t.Errorf("installments %q, want %q", got, want)
	}
	// The next cycle's installment is written with its plan line, as generation writes them.
	wantLines := []string{"plan 120.00 × 1 at 120.00: plan, package cycle 2: uses from 2026-04-11"}
	if got := b.linesOf(contract, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of the next cycle's installment %q, want %q", got, wantLines)
	}
	var term int
	var nominal, start time.Time
	if err := b.pool.QueryRow(context.Background(), `SELECT term, nominal_due, service_start FROM installments
		WHERE contract_id = $1 AND sequence = 2`, contract).Scan(&term, &nominal, &start); err != nil {
		t.Fatal(err)
	}
	if term != 2 || nominal.Format(time.DateOnly) != "2026-05-10" || start.Format(time.DateOnly) != "2026-04-11" {
		t.Errorf("installment 2: term %d, nominal due %s, cycle start %s", term, nominal, start)
	}
	fifth := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
		map[string]any{"benefit_id": bath, "used_at": "2026-04-12"})
	if fifth.body["cycle"] != 2.0 || fifth.body["remaining"] != 3.0 || fifth.body["period_start"] != "2026-04-11" || fifth.body["next_installment_id"] != nil {
		t.Errorf("5th use: %s", fifth.raw)
	}
	// A use of a closed (billed) cycle stays; one of the open cycle is reversed.
	b.must(http.StatusConflict, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", contract, ids[0]), nil)
	if r := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", contract, fifth.id(t)), nil); r.body["remaining"] != 4.0 {
		t.Errorf("reversal: %s", r.raw)
	}
	if got := len(b.installments(contract)); got != 2 {
		t.Errorf("%d installments after the reversal, want 2", got)
	}
	// A package's balance on a day is the latest cycle opened on or before it.
	cycle := func(balance, n, used any) map[string]any {
		return map[string]any{"id": balance, "period_start": map[any]string{1.0: "2026-03-05", 2.0: "2026-04-11"}[n], "period_end": nil,
			"cycle": n, "granted": 4.0, "used": used, "remaining": 4 - used.(float64), "next_reset_on": nil}
	}
	for on, want := range map[string]any{"2026-03-04": nil, "2026-03-05": cycle(fourth.body["balance_id"], 1.0, 4.0),
		"2026-04-10": cycle(fourth.body["balance_id"], 1.0, 4.0), "2026-04-11": cycle(fifth.body["balance_id"], 2.0, 0.0)} {
		items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/benefits?on=%s", contract, on), nil).items(t)
		wantItems := []map[string]any{{"benefit_id": float64(bath), "benefit_name": "Banho", "active": true, "quantity": 4.0,
			"renewal_period": nil, "grace_days": 0.0, "overridden": false, "balance": want}}
		if !reflect.DeepEqual(items, wantItems) {
			t.Errorf("benefits on %s: %v, want %v", on, items, wantItems)
		}
	}
}

// TestBenefitUsageReport checks the report's counts and costs, to the cent, against the
// uses recorded, in JSON and CSV, grouped per benefit and per customer, with each filter.
func TestBenefitUsageReport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	bath := b.benefit("Banho", "33.33", true)
	exam := b.benefit("Exame", "150.00", true)
	b.grant(plan, bath, 100, 0)
	b.grant(plan, exam, 100, 0)
	x := b.paidContract(plan, "2026-06-01", "2026-06-10", 2)
	y := b.paidContract(plan, "2026-06-01", "2026-06-10", 2)
	var cx, cy int64
	if err := b.pool.QueryRow(context.Background(), "SELECT (SELECT customer_id FROM contracts WHERE id = $1), (SELECT customer_id FROM contracts WHERE id = $2)", x, y).Scan(&cx, &cy); err != nil {
		t.Fatal(err)
	}
	b.exec("UPDATE customers SET name = 'Bruno Lima' WHERE id = $1", cy)
	for _, u := range []struct {
		contract, benefit int64
		usedAt            string
		quantity          int
	}{{x, bath, "2026-07-01", 1}, {x, bath, "2026-07-15", 2}, {x, exam, "2026-07-10", 1}, {y, bath, "2026-07-05", 1}, {y, bath, "2026-06-30", 3}} {
		if r := b.use(u.contract, u.benefit, u.usedAt, u.quantity); r.status != http.StatusCreated {
			t.Fatalf("use %+v: %s", u, r.raw)
		}
	}
	reversed := b.use(y, exam, "2026-07-06", 1).id(t)
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", y, reversed), nil)

	line := func(benefit int64, name string, customer any, customerName any, uses float64, unit, total string) map[string]any {
		return map[string]any{"benefit_id": float64(benefit), "benefit_name": name, "customer_id": customer,
			"customer_name": customerName, "uses": uses, "unit_cost": unit, "total_cost": total,
			"overage": 0.0, "overage_amount": "0.00"}
	}
	tests := []struct {
		name, query string
		items       []map[string]any
		uses        float64
		cost        string
	}{
		{"per benefit", "from=2026-07-01&to=2026-07-20", []map[string]any{
			line(bath, "Banho", nil, nil, 4, "33.33", "133.32"), line(exam, "Exame", nil, nil, 1, "150.00", "150.00")}, 5, "283.32"},
		{"per customer", "from=2026-07-01&to=2026-07-20&group_by=customer", []map[string]any{
			line(bath, "Banho", float64(cx), "Ana Souza", 3, "33.33", "99.99"), line(bath, "Banho", float64(cy), "Bruno Lima", 1, "33.33", "33.33"),
			line(exam, "Exame", float64(cx), "Ana Souza", 1, "150.00", "150.00")}, 5, "283.32"},
		{"every date", "", []map[string]any{
			line(bath, "Banho", nil, nil, 7, "33.33", "233.31"), line(exam, "Exame", nil, nil, 1, "150.00", "150.00")}, 8, "383.31"},
		{"one customer", fmt.Sprintf("customer_id=%d&from=2026-07-01", cy), []map[string]any{line(bath, "Banho", nil, nil, 1, "33.33", "33.33")}, 1, "33.33"},
		{"one benefit", fmt.Sprintf("benefit_id=%d", exam), []map[string]any{line(exam, "Exame", nil, nil, 1, "150.00", "150.00")}, 1, "150.00"},
		{"nothing", "from=2026-01-01&to=2026-01-31", []map[string]any{}, 0, "0.00"},
	}
	t.Run("json", func(t *testing.T) { // returns once its parallel subtests are done
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := b.with(t)
				r := b.must(http.StatusOK, "GET", "/v1/reports/benefit-usage?"+tt.query, nil)
				if got := r.items(t); !reflect.DeepEqual(got, tt.items) || r.body["total_uses"] != tt.uses || r.body["total_cost"] != tt.cost {
					t.Errorf("report %s\nwant items %v, %v uses, %s", r.raw, tt.items, tt.uses, tt.cost)
				}
			})
		}
	})
	// The database's own sum of the recorded uses agrees to the cent.
	var dbUses int
	var dbCost string
	if err := b.pool.QueryRow(context.Background(), `SELECT sum(quantity), sum(quantity * unit_cost)::text FROM benefit_usages
		WHERE reversed_at IS NULL AND used_at BETWEEN '2026-07-01' AND '2026-07-20'`).Scan(&dbUses, &dbCost); err != nil || dbUses != 5 || dbCost != "283.32" {
		t.Errorf("recorded uses %d costing %s (%v), want 5 and 283.32", dbUses, dbCost, err)
	}

	// CSV, and a unit cost changed later: recorded uses keep theirs.
	b.must(http.StatusOK, "PUT", fmt.Sprintf("/v1/benefits/%d", bath), map[string]any{"name": "Banho", "unit_cost": "40.00"})
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", y), map[string]any{"benefit_id": bath, "used_at": "2026-07-20"})
	req, err := http.NewRequest("GET", b.server.URL+"/v1/reports/benefit-usage?from=2026-07-01&to=2026-07-20&group_by=customer", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "text/csv")
	resp, err := b.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	wantCSV := "benefit_id,benefit_name,customer_id,customer_name,uses,unit_cost,total_cost,overage,overage_amount\n" +
		fmt.Sprintf("%d,Banho,%d,Ana Souza,3,33.33,99.99,0,0.00\n", bath, cx) +
		fmt.Sprintf("%d,Banho,%d,Bruno Lima,1,33.33,33.33,0,0.00\n", bath, cy) +
		fmt.Sprintf("%d,Banho,%d,Bruno Lima,1,40.00,40.00,0,0.00\n", bath, cy) +
		fmt.Sprintf("%d,Exame,%d,Ana Souza,1,150.00,150.00,0,0.00\n", exam, cx)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || string(raw) != wantCSV {
		t.Errorf("CSV: status %d, %s\n%s\nwant\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), raw, wantCSV)
	}
}

// TestBenefitBadInput sends invalid benefit requests: each gets its exact status, names the
// field, and writes nothing.
func TestBenefitBadInput(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	plan := fx.plan("99.90", "")
	bath := fx.benefit("Banho", "30.00", true)
	fx.grant(plan, bath, 2, 0)
	contract := fx.paidContract(plan, "2026-07-01", "2026-07-10", 1)
	uses := fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract)
	planBenefits := fmt.Sprintf("/v1/plans/%d/benefits", plan)
	tests := []badCase{
		{"benefit without name", "POST", "/v1/benefits", `{"unit_cost": "1.00"}`, 422, "name"},
		{"benefit without cost", "POST", "/v1/benefits", `{"name": "Banho"}`, 422, "unit_cost"},
		{"benefit negative cost", "POST", "/v1/benefits", `{"name": "Banho", "unit_cost": "-1.00"}`, 422, "unit_cost"},
		{"benefit cost as number", "POST", "/v1/benefits", `{"name": "Banho", "unit_cost": 1.5}`, 400, "unit_cost"},
		{"update unknown benefit", "PUT", "/v1/benefits/999", `{"name": "Banho", "unit_cost": "1.00"}`, 404, "id"},
		{"plan benefit unknown benefit", "POST", planBenefits, `{"benefit_id": 999, "quantity": 1, "renewal_period": "monthly"}`, 422, "benefit_id"},
		{"plan benefit unknown plan", "POST", "/v1/plans/999/benefits", fmt.Sprintf(`{"benefit_id": %d, "quantity": 1, "renewal_period": "monthly"}`, bath), 404, "id"},
		{"plan benefit without quantity", "POST", planBenefits, fmt.Sprintf(`{"benefit_id": %d, "renewal_period": "monthly"}`, bath), 422, "quantity"},
		{"plan benefit weekly", "POST", planBenefits, fmt.Sprintf(`{"benefit_id": %d, "quantity": 1, "renewal_period": "weekly"}`, bath), 422, "renewal_period"},
		{"plan benefit negative grace", "POST", planBenefits, fmt.Sprintf(`{"benefit_id": %d, "quantity": 1, "renewal_period": "monthly", "grace_days": -1}`, bath), 422, "grace_days"},
		{"override unknown field", "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/%d", contract, bath), `{"quota": 1}`, 400, "quota"},
		{"override bad benefit id", "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/x", contract), `{}`, 400, "benefit_id"},
		{"override negative quantity", "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/%d", contract, bath), `{"quantity": -1}`, 422, "quantity"},
		{"use without date", "POST", uses, fmt.Sprintf(`{"benefit_id": %d}`, bath), 422, "used_at"},
		{"use in the future", "POST", uses, fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-21"}`, bath), 422, "used_at"},
		{"use of 0", "POST", uses, fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-20", "quantity": 0}`, bath), 422, "quantity"},
		{"use of unknown benefit", "POST", uses, `{"benefit_id": 999, "used_at": "2026-07-20"}`, 422, "benefit_id"},
		{"use by unknown contract", "POST", "/v1/contracts/999/benefit-usages", fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-20"}`, bath), 404, "id"},
		{"reverse unknown use", "DELETE", uses + "/999", nil, 404, "usage_id"},
		{"reverse bad id", "DELETE", uses + "/x", nil, 400, "usage_id"},
		{"report bad date", "GET", "/v1/reports/benefit-usage?from=2026-02-30", nil, 400, "from"},
		{"report reversed range", "GET", "/v1/reports/benefit-usage?from=2026-07-02&to=2026-07-01", nil, 400, "to"},
		{"report bad grouping", "GET", "/v1/reports/benefit-usage?group_by=plan", nil, 400, "group_by"},
	}
	start := fx.benefitRows()
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := fx.with(t)
				r := b.send(tc.method, tc.path, tc.body)
				if r.status != tc.status {
					t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.status, tc.status, r.raw)
				}
				if e := r.err(t); e.Field != tc.field || (tc.status != 404 && !strings.Contains(e.Message, tc.field)) {
					t.Errorf("error %+v, want field %q named in the message", e, tc.field)
				}
			})
		}
	})
	if end := fx.benefitRows(); end != start {
		t.Errorf("the bad requests wrote:\nbefore %s\nafter  %s", start, end)
	}
}
