package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/billingd/billingd/postgres"
)

// benefitErr is the error body of a refused use.
type benefitErr struct {
	status                   int
	code, field, grace, next string
}

// refusal returns the status and error fields of a refused answer.
func refusal(t *testing.T, r response) benefitErr {
	t.Helper()
	e := r.err(t)
	grace, _ := r.body["grace_ends_on"].(string)
	next, _ := r.body["next_reset_on"].(string)
	return benefitErr{status: r.status, code: e.Error, field: e.Field, grace: grace, next: next}
}

// benefit creates a benefit of the catalogue.
func (b *bundle) benefit(name, cost string, active bool) int64 {
	b.t.Helper()
	return b.must(http.StatusCreated, "POST", "/v1/benefits",
		map[string]any{"name": name, "unit_cost": cost, "active": active}).id(b.t)
}

// grant grants benefit on plan with quantity per monthly period and grace days.
func (b *bundle) grant(plan, benefit int64, quantity, grace int) {
	b.t.Helper()
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan),
		map[string]any{"benefit_id": benefit, "quantity": quantity, "renewal_period": "monthly", "grace_days": grace})
}

// paidContract creates a contract adhering on adhesion with a fixed due day 10, generates
// its installments and pays the first n of them on paidAt.
func (b *bundle) paidContract(plan int64, adhesion, paidAt string, n int) int64 {
	b.t.Helper()
	id := b.contract(plan, map[string]any{"adhesion_date": adhesion, "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(b.t)
	b.generate(adhesion)
	for seq := 1; seq <= n; seq++ {
		var amount string
		if err := b.pool.QueryRow(context.Background(), `SELECT (amount - discount)::text FROM installments
			WHERE contract_id = $1 AND kind = 'recurring' AND sequence = $2`, id, seq).Scan(&amount); err != nil {
			b.t.Fatal(err)
		}
		b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(id, "recurring", seq)),
			map[string]any{"amount": amount, "paid_at": paidAt})
	}
	return id
}

// use posts a benefit use.
func (b *bundle) use(contract, benefit int64, usedAt string, quantity int) response {
	b.t.Helper()
	return b.send("POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", contract),
		map[string]any{"benefit_id": benefit, "used_at": usedAt, "quantity": quantity})
}

// benefitRows digests the benefit tables, to prove a refused use wrote nothing.
func (b *bundle) benefitRows() string {
	b.t.Helper()
	var sb strings.Builder
	for _, q := range []string{
		"SELECT coalesce(string_agg(x::text, '|' ORDER BY id), '') FROM benefit_balances x",
		"SELECT coalesce(string_agg(x::text, '|' ORDER BY id), '') FROM benefit_usages x",
		"SELECT coalesce(string_agg(x::text, '|' ORDER BY contract_id, benefit_id), '') FROM contract_benefit_overrides x",
		"SELECT coalesce(string_agg(x::text, '|' ORDER BY plan_id, benefit_id), '') FROM plan_benefits x",
		"SELECT coalesce(string_agg(x::text, '|' ORDER BY id), '') FROM benefits x",
	} {
		var s string
		if err := b.pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			b.t.Fatalf("%s: %v", q, err)
		}
		sb.WriteString(s + "\n")
	}
	return b.snapshot() + "\n" + sb.String()
}

// resetQuotas runs the reset-benefit-quotas sweep over every contract as of asOf.
func (b *bundle) resetQuotas(asOf string) map[string]int64 {
	b.t.Helper()
	return b.sweepBatch("reset-benefit-quotas", postgres.ResetBenefitQuotasSweep{}, asOf)
}

// TestBenefitUseRules walks one contract through carência, a block, the period's quota and
// its reset: 2 uses a month, 30 days of grace, the first charge settled on 2026-01-12.
func TestBenefitUseRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	exam := b.benefit("Exame de Ressonância", "150.00", true)
	b.grant(plan, exam, 2, 30)
	// Due on day 10: 10 Jan 2026 is a Saturday, so the first installment is due and paid on Monday 12 Jan.
	contract := b.paidContract(plan, "2026-01-05", "2026-01-12", 12)

	refused := func(usedAt string, want benefitErr) {
		t.Helper()
		before := b.benefitRows()
		if got := refusal(t, b.use(contract, exam, usedAt, 1)); got != want {
			t.Errorf("use on %s: %+v, want %+v", usedAt, got, want)
		}
		if after := b.benefitRows(); after != before {
			t.Errorf("refused use on %s wrote:\nbefore %s\nafter  %s", usedAt, before, after)
		}
	}
	accepted := func(usedAt string, want map[string]any) int64 {
		t.Helper()
		r := b.use(contract, exam, usedAt, 1)
		if r.status != http.StatusCreated {
			t.Fatalf("use on %s: status %d, body %s", usedAt, r.status, r.raw)
		}
		got := map[string]any{}
		for k := range want {
			got[k] = r.body[k]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("use on %s: %v, want %v", usedAt, got, want)
		}
		return r.id(t)
	}
	// The last day of carência (12 Jan + 30 days - 1), then the first day after it.
	refused("2026-02-10", benefitErr{status: 409, code: "in_grace", grace: "2026-02-10"})
	first := accepted("2026-02-11", map[string]any{"period_start": "2026-01-12", "period_end": "2026-02-11",
		"granted": 2.0, "used": 1.0, "remaining": 1.0, "unit_cost": "150.00", "total_cost": "150.00", "cycle": nil})
	// Blocked (set directly: the delinquency feature blocks contracts).
	b.exec("UPDATE contracts SET status = 'blocked' WHERE id = $1", contract)
	refused("2026-02-11", benefitErr{status: 409, code: "contract_blocked"})
	b.exec("UPDATE contracts SET status = 'active' WHERE id = $1", contract)
	accepted("2026-02-11", map[string]any{"used": 2.0, "remaining": 0.0})
	refused("2026-02-11", benefitErr{status: 409, code: "quota_exhausted", next: "2026-02-12"})
	// A reversed use gives its quantity back; it cannot be reversed twice.
	path := fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", contract, first)
	if r := b.must(http.StatusOK, "DELETE", path, nil); r.body["remaining"] != 1.0 || r.body["reversed_at"] != "2026-07-20T15:00:00Z" {
		t.Errorf("reversal: %s", r.raw)
	}
	b.must(http.StatusConflict, "DELETE", path, nil)
	accepted("2026-02-11", map[string]any{"used": 2.0, "remaining": 0.0})

	// The reset sweep opens the next period on the day it starts, once.
	if got := b.resetQuotas("2026-02-11"); got["balances_due"] != 0 {
		t.Errorf("sweep before the reset day: %v", got)
	}
	if got := b.resetQuotas("2026-02-12"); got["balances_due"] != 1 || got["balances_opened"] != 1 {
		t.Errorf("reset sweep: %v, want 1 balance opened", got)
	}
	if got := b.resetQuotas("2026-02-12"); got["balances_due"] != 0 {
		t.Errorf("second reset sweep: %v, want nothing due", got)
	}
	var granted, used int
	if err := b.pool.QueryRow(context.Background(), `SELECT granted, used FROM benefit_balances
		WHERE contract_id = $1 AND period_start = '2026-02-12' AND period_end = '2026-03-11' AND next_reset_on = '2026-03-12'`,
		contract).Scan(&granted, &used); err != nil || granted != 2 || used != 0 {
		t.Errorf("opened balance: granted %d used %d (%v), want 2 and 0", granted, used, err)
	}
	accepted("2026-02-12", map[string]any{"period_start": "2026-02-12", "period_end": "2026-03-11", "used": 1.0, "remaining": 1.0})

	// Not granted, inactive, unknown benefit; delinquent contract; not settled yet.
	other := b.benefit("Guincho", "80.00", true)
	refusedOther := refusal(t, b.use(contract, other, "2026-02-12", 1))
	if refusedOther != (benefitErr{status: 422, code: "not_granted", field: "benefit_id"}) {
		t.Errorf("not granted: %+v", refusedOther)
	}
	off := b.benefit("Consulta", "60.00", false)
	b.grant(plan, off, 1, 0)
	if got := refusal(t, b.use(contract, off, "2026-02-12", 1)); got != (benefitErr{status: 422, code: "benefit_inactive", field: "benefit_id"}) {
		t.Errorf("inactive: %+v", got)
	}
	late := b.paidContract(plan, "2026-01-05", "2026-01-12", 1) // installment 2 due 2026-02-10 stays open
	if got := refusal(t, b.use(late, exam, "2026-02-10", 1)); got != (benefitErr{status: 409, code: "in_grace", grace: "2026-02-10"}) {
		t.Errorf("late contract in grace: %+v", got)
	}
	if got := refusal(t, b.use(late, exam, "2026-02-11", 1)); got != (benefitErr{status: 409, code: "delinquent"}) {
		t.Errorf("delinquent: %+v", got)
	}
	unpaid := b.paidContract(plan, "2026-01-05", "", 0)
	if got := refusal(t, b.use(unpaid, exam, "2026-01-06", 1)); got != (benefitErr{status: 409, code: "in_grace"}) {
		t.Errorf("nothing settled: %+v", got)
	}
	// A contract override: no carência and 5 uses, from the next period opened.
	b.must(http.StatusOK, "PUT", fmt.Sprintf("/v1/contracts/%d/benefits/%d", late, exam), map[string]any{"grace_days": 0, "quantity": 5})
	b.exec("UPDATE installments SET state = 'cancelled' WHERE contract_id = $1 AND state = 'open'", late)
	if r := b.use(late, exam, "2026-01-12", 1); r.status != 201 || r.body["granted"] != 5.0 || r.body["period_end"] != "2026-02-11" {
		t.Errorf("override: status %d body %s", r.status, r.raw)
	}
}

// TestBenefitConcurrentUses sends 50 simultaneous uses against a balance of 10 through the
// HTTP server: exactly 10 are recorded, the other 40 refused with quota_exhausted.
func TestBenefitConcurrentUses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	bath := b.benefit("Banho", "30.00", true)
	b.grant(plan, bath, 10, 0)
	contract := b.paidContract(plan, "2026-07-01", "2026-07-10", 1)
	body := fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-20"}`, bath)
	statuses := make([]int, 50)
	codes := make([]string, 50)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/contracts/%d/benefit-usages", b.server.URL, contract), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := b.server.Client().Do(req)
			if err != nil {
				codes[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			statuses[i] = resp.StatusCode
			if resp.StatusCode != http.StatusCreated {
				codes[i] = string(raw)
			}
		}()
	}
	wg.Wait()
	created, exhausted := 0, 0
	for i, s := range statuses {
		switch {
		case s == http.StatusCreated:
			created++
		case s == http.StatusConflict && strings.Contains(codes[i], `"error":"quota_exhausted"`):
			exhausted++
		default:
			t.Errorf("request %d: status %d %s", i, s, codes[i])
		}
	}
	var uses, used int
	if err := b.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM benefit_usages WHERE contract_id = $1),
		(SELECT sum(used) FROM benefit_balances WHERE contract_id = $1)`, contract).Scan(&uses, &used); err != nil {
		t.Fatal(err)
	}
	if created != 10 || exhausted != 40 || uses != 10 || used != 10 {
		t.Errorf("created %d, exhausted %d, recorded %d, balance used %d; want 10, 40, 10, 10", created, exhausted, uses, used)
	}
}
