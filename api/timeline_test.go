package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// lifeScenario builds the must-show contract: 93.00 a month, four installments a term on
// the activation anniversary (2026-06-01), under a rule that warns 7 days after the due
// date and suspends 3 days later. Warned on 06-08, blocked on 06-11, paid late on 06-21
// (93.62 with 20 days of interest) and unblocked that day with the inactivity discount of
// its 10 blocked days on installment 2; queued for renewal by the run of 06-22 (3 open
// installments), installment 2 paid on its due date 07-01 and renewed into term 2 by the
// run of 07-02. Each step's rows carry the step's time. explain is called with the date of
// each step, before the step runs.
func lifeScenario(t *testing.T, b *bundle, explain func(step string)) (contract int64, sweeps map[string]string) {
	t.Helper()
	clock := newStepClock(b)
	sweeps = map[string]string{}
	rule := b.must(http.StatusCreated, "POST", "/v1/blocking-rules",
		`{"name": "ISP 10 dias", "block_after_days": 10, "warning_days": 3}`).id(t)
	plan := b.must(http.StatusCreated, "POST", "/v1/plans",
		`{"name": "Fibra 300", "price": "93.00", "period": "monthly", "installments_per_term": 4}`).id(t)
	contract = b.contract(plan, map[string]any{"adhesion_date": "2026-06-01", "inactivity_discount": true,
		"blocking_rule_id": rule, "due_date_rule": map[string]any{"kind": "anniversary", "shift": "none"}}).id(t)
	clock.stamp("2026-05-30 15:00")
	b.generate("2026-06-01")
	clock.stamp("2026-06-01 02:00")
	for _, day := range []string{"2026-06-08", "2026-06-11"} {
		explain("block " + day)
		sweeps["block "+day] = fmt.Sprint(b.block(day))
		clock.stamp(day + " 09:15")
	}
	explain("pay 2026-06-21")
	first := b.installmentID(contract, "recurring", 1)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first), `{"amount": "93.62", "paid_at": "2026-06-21"}`)
	clock.stamp("2026-06-21 10:00")
	if n := b.workUnblocks("2026-06-21 10:01"); n != 1 {
		t.Fatalf("%d unblock jobs, want 1", n)
	}
	clock.stamp("2026-06-21 10:01")
	explain("renew 2026-06-22")
	sweeps["renew 2026-06-22"] = fmt.Sprint(b.renew("2026-06-22"))
	clock.stamp("2026-06-22 03:00")
	second := b.installmentID(contract, "recurring", 2)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", second), `{"amount": "62.00", "paid_at": "2026-07-01"}`)
	clock.stamp("2026-07-01 11:00")
	explain("renew 2026-07-02")
	sweeps["renew 2026-07-02"] = fmt.Sprint(b.renew("2026-07-02"))
	clock.stamp("2026-07-02 03:00")
	return contract, sweeps
}

// TestTimelineMustShow: the timeline and explain of a contract that was blocked, paid late,
// unblocked and renewed, field by field; before each sweep, explain's verdict on the sweep's
// date says what the sweep then does.
func TestTimelineMustShow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var contract int64
	explained := map[string][]string{}
	c, sweeps := lifeScenario(t, b, func(step string) {
		if contract == 0 {
			contract = b.count("SELECT max(id) FROM contracts")
		}
		on := step[strings.IndexByte(step, ' ')+1:]
		explained[step] = explainRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain?on=%s", contract, on), nil).raw)
	})
	got := timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).raw)
	want := []string{
		"2026-06-01 02:00 installment.issued {installment=1} | recurring installment 1 (term 1) of 93.00, due 2026-06-01 | term 1 is generated once the contract is active; this installment bills the service from 2026-06-01 to 2026-06-30 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-06-01 02:00 installment.issued {installment=2} | recurring installment 2 (term 1) of 93.00, due 2026-07-01 | term 1 is generated once the contract is active; this installment bills the service from 2026-07-01 to 2026-07-31 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-06-01 02:00 installment.issued {installment=3} | recurring installment 3 (term 1) of 93.00, due 2026-08-01 | term 1 is generated once the contract is active; this installment bills the service from 2026-08-01 to 2026-08-31 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-06-01 02:00 installment.issued {installment=4} | recurring installment 4 (term 1) of 93.00, due 2026-09-01 | term 1 is generated once the contract is active; this installment bills the service from 2026-09-01 to 2026-09-30 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-06-08 09:15 notice.written {notice=1} | block_warning notice (about installment 1) written to the outbox | the debt notice: the contract will be suspended if it does not pay | blocking rule notice_after_days",
		"2026-06-11 09:15 block.started {episode=1 installment=1} | block episode 1 began over installment 1 | installment 1 due 2026-06-01 unpaid 10 days after its due date | blocking rule \"ISP 10 dias\"",
		"2026-06-11 09:15 contract.suspended {episode=1 event=6} | service suspended (no service) | the collection ladder reached its suspension step | blocking rule \"ISP 10 dias\"",
		"2026-06-11 09:15 notice.written {notice=2} | blocked notice (about block episode 1) written to the outbox | the service was suspended | blocking rule suspension_after_days",
		"2026-06-21 10:00 installment.line_added {installment=1} | late_interest line of 0.62 added to installment 1: interest of 1.00% a month pro rata die for 20 days on the principal outstanding (settled 2026-06-21) | the interest of a late settlement, by the day | monthly_interest_percent (the contract's, else its plan's) | 0.62",
		"2026-06-21 10:00 operator {audit=5} | POST /v1/installments/{id}/payments by bootstrap (answered 200) | no reason given | ",
		"2026-06-21 10:00 payment.recorded {installment=1 payment=1} | payment 1 of 93.62 from api on installment 1 | paid on 2026-06-21, 20 days after the due date 2026-06-01: 93.00 principal, 0.62 interest | late_fine_percent and monthly_interest_percent (the contract's, else its plan's); fine and interest first (Código Civil art. 354) | 93.62 api",
		"2026-06-21 10:01 contract.restored {episode=1 event=8} | service restored | a payment ended the delinquency | blocking rule \"ISP 10 dias\"",
		"2026-06-21 10:01 installment.line_added {installment=2} | inactivity_discount line of -31.00 added to installment 2: inactivity discount: 10 days blocked in block episode 1 at 93.00 a month (price ÷ days of each month × blocked days in it) = 31.00 | the days the contract stayed blocked, discounted | inactivity_discount | -31.00",
		"2026-06-21 10:01 notice.written {notice=3} | unblocked notice (about block episode 1) written to the outbox | the block ended and the service is restored | block episode end",
		"2026-06-21 --:-- block.ended {episode=1 installment=1} | block episode 1 ended after 10 days of total suspension | a payment ended the delinquency | blocking rule \"ISP 10 dias\"",
		"2026-06-22 03:00 renewal.queued {renewal=1} | term 1 entered the renewal queue | 3 open recurring installments left in the term, at or below the queue threshold | BILLINGD_RENEWAL_QUEUE_THRESHOLD (or the plan's renewal_queue_threshold)",
		"2026-07-01 11:00 operator {audit=6} | POST /v1/installments/{id}/payments by bootstrap (answered 200) | no reason given | ",
		"2026-07-01 11:00 payment.recorded {installment=2 payment=2} | payment 2 of 62.00 from api on installment 2 | paid on 2026-07-01, on time (due 2026-07-01): 62.00 principal |  | 62.00 api",
		"2026-07-02 03:00 installment.issued {installment=5} | recurring installment 5 (term 2) of 93.00, due 2026-10-01 | the renewal created term 2; this installment bills the service from 2026-10-01 to 2026-10-31 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-07-02 03:00 installment.issued {installment=6} | recurring installment 6 (term 2) of 93.00, due 2026-11-01 | the renewal created term 2; this installment bills the service from 2026-11-01 to 2026-11-30 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-07-02 03:00 installment.issued {installment=7} | recurring installment 7 (term 2) of 93.00, due 2026-12-01 | the renewal created term 2; this installment bills the service from 2026-12-01 to 2026-12-31 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-07-02 03:00 installment.issued {installment=8} | recurring installment 8 (term 2) of 93.00, due 2027-01-01 | the renewal created term 2; this installment bills the service from 2027-01-01 to 2027-01-31 | due_date_rule anniversary, shift none | 93.00 [plan 93.00]",
		"2026-07-02 03:00 notice.written {notice=4} | renewed notice (about term 2) written to the outbox | the contract was renewed into a new term | renewal thresholds",
		"2026-07-02 03:00 renewal.renewed {renewal=1} | renewed into term 2 at 93.00 (plan_price) | the term's open recurring installments fell to the renewal threshold | BILLINGD_RENEWAL_THRESHOLD (or the plan's renewal_threshold); contract_renews_automatically | 93.00",
	}
	checkRows(t, "timeline", got, want)
	wantExplain := map[string][]string{
		"block 2026-06-08": {
			"status active",
			"collection: debt_notice since 2026-06-08 | installment 1 (due 2026-06-01) is overdue since 2026-06-02; debt notice due on 2026-06-08 (the warning before the suspension); installment 1 due 2026-06-01; next: suspension on 2026-06-11 | blocking rule \"ISP 10 dias\", profile generic",
			"renewal: not due | 4 open recurring installments left in term 1, above the queue threshold 3 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
			"installments: generated | term 1 is generated: 4 installments; the next open one is installment 1 of 93.00, due 2026-06-01 | due_date_rule anniversary, shift none",
			"benefits: refused: delinquent | the contract has an installment overdue since 2026-06-01 | benefits.Check",
			"overdue 1 due 2026-06-01 since 2026-06-02 93.00",
		},
		"block 2026-06-11": {
			"status active",
			"collection: suspended since 2026-06-11 | installment 1 (due 2026-06-01) is overdue since 2026-06-02; service suspended since 2026-06-11; installment 1 due 2026-06-01; no further step | blocking rule \"ISP 10 dias\", profile generic",
			"renewal: not due | 4 open recurring installments left in term 1, above the queue threshold 3 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
			"installments: generated | term 1 is generated: 4 installments; the next open one is installment 1 of 93.00, due 2026-06-01 | due_date_rule anniversary, shift none",
			"benefits: refused: delinquent | the contract has an installment overdue since 2026-06-01 | benefits.Check",
			"overdue 1 due 2026-06-01 since 2026-06-02 93.00",
		},
		"pay 2026-06-21": {
			"status blocked",
			"collection: suspended since 2026-06-11 | installment 1 (due 2026-06-01) is overdue since 2026-06-02; service suspended since 2026-06-11; installment 1 due 2026-06-01; no further step; stored status blocked | blocking rule \"ISP 10 dias\", profile generic",
			"renewal: not due | 4 open recurring installments left in term 1, above the queue threshold 3 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
			"installments: generated | term 1 is generated: 4 installments; the next open one is installment 1 of 93.00, due 2026-06-01 | due_date_rule anniversary, shift none",
			"benefits: refused: contract_blocked | the contract is blocked (invalid wallet) | benefits.Check",
			"overdue 1 due 2026-06-01 since 2026-06-02 93.00",
		},
		"renew 2026-06-22": {
			"status active",
			"collection: not on the ladder | not on the ladder: installment 2 due 2026-07-01; next: debt_notice on 2026-07-08 | blocking rule \"ISP 10 dias\", profile generic",
			"renewal: queued | 3 open recurring installments left in term 1, at or below the queue threshold 3 but above the renewal threshold 2 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
			"installments: generated | term 1 is generated: 4 installments; the next open one is installment 2 of 62.00, due 2026-07-01 | due_date_rule anniversary, shift none",
			"benefits: allowed | nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply | benefits.Check",
		},
		"renew 2026-07-02": {
			"status active",
			"collection: not on the ladder | not on the ladder: installment 3 due 2026-08-01; next: debt_notice on 2026-08-08 | blocking rule \"ISP 10 dias\", profile generic",
			"renewal: due for renewal since 2026-06-22 | 2 open recurring installments left in term 1, at or below the renewal threshold 2: the next renew-contracts run creates term 2; in the renewal queue since 2026-06-22 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
			"installments: generated | term 1 is generated: 4 installments; the next open one is installment 3 of 93.00, due 2026-08-01 | due_date_rule anniversary, shift none",
			"benefits: allowed | nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply | benefits.Check",
		},
	}
	for step, want := range wantExplain {
		checkRows(t, "explain before "+step, explained[step], want)
	}
	// Explain's verdict on a sweep's date, asked before the sweep ran, is what the sweep did.
	for _, tc := range []struct{ step, topic, state, counts string }{
		{"block 2026-06-08", "collection", "debt_notice", "map[contracts_warned:1]"},
		{"block 2026-06-11", "collection", "suspended", "map[contracts_blocked:1]"},
		{"renew 2026-06-22", "renewal", "queued", "map[contracts:1 installments_created:0 queued:1 renewed:0 skipped:0]"},
		{"renew 2026-07-02", "renewal", "due for renewal", "map[contracts:1 installments_created:4 queued:0 renewed:1 skipped:0]"},
	} {
		said := ""
		for _, row := range explained[tc.step] {
			if strings.HasPrefix(row, tc.topic+": "+tc.state+" ") {
				said = row
			}
		}
		if said == "" || sweeps[tc.step] != tc.counts {
			t.Errorf("%s: explain said %q (want %s %s), the sweep did %s (want %s)", tc.step, explained[tc.step], tc.topic, tc.state,
				sweeps[tc.step], tc.counts)
		}
	}
	checkCLIExample(t, b, c)
	checkRows(t, "explain today", explainRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain", c), nil).raw), []string{
		"status active",
		"collection: not on the ladder | not on the ladder: installment 3 due 2026-08-01; next: debt_notice on 2026-08-08 | blocking rule \"ISP 10 dias\", profile generic",
		"renewal: renewed since 2026-07-02 | 4 open recurring installments left in term 2, above the queue threshold 3; term 2 was created by a renewal on 2026-07-02 | contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2",
		"installments: generated | term 2 is generated: 8 installments; the next open one is installment 3 of 93.00, due 2026-08-01 | due_date_rule anniversary, shift none",
		"benefits: allowed | nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply | benefits.Check",
	})
}

// TestTimelineSourcesReversalsRunsAndBound: a PIX payment shows its source as stored, a
// reversal its operator's reason and the audit record of the request, a succeeded run of the
// day on which a job wrote an entry shows as that day's run (a run of another day does not),
// and ?limit= keeps the oldest entries and says the rest exist.
func TestTimelineSourcesReversalsRunsAndBound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	clock := newStepClock(b)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-06-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	clock.stamp("2026-06-01 01:00")
	b.generate("2026-06-01")
	clock.stamp("2026-06-01 02:00")
	first := b.installmentID(c, "recurring", 1)
	if _, err := b.store.RecordPayments(ctx, testNow, saoPaulo, []records.PaymentIn{{InstallmentID: first, Amount: dec("99.90"),
		PaidOn: day(t, "2026-06-09"), Source: billing.SourcePIX, Reference: "pix:E123"}}); err != nil {
		t.Fatal(err)
	}
	clock.stamp("2026-06-09 14:00")
	var payment int64
	if err := b.pool.QueryRow(ctx, "SELECT id FROM payments WHERE installment_id = $1", first).Scan(&payment); err != nil {
		t.Fatal(err)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/payments/%d/reverse", payment), `{"reason": "PIX devolvido"}`)
	clock.stamp("2026-07-20 12:00") // the API's clock (testNow) dates the reversal
	b.exec(`INSERT INTO job_runs (job, as_of, trigger, slot, state, enqueued_at, started_at, finished_at) VALUES
		('generate-installments', '2026-06-01', 'schedule', '2026-06-01 05:00+00', 'succeeded', '2026-06-01 05:00+00', '2026-06-01 05:00+00', '2026-06-01 05:01+00'),
		('generate-installments', '2026-06-02', 'schedule', '2026-06-02 05:00+00', 'succeeded', '2026-06-02 05:00+00', '2026-06-02 05:00+00', '2026-06-02 05:01+00')`)

	rows := timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).raw)
	var picked []string
	for _, r := range rows {
		if !strings.Contains(r, "installment.issued") {
			picked = append(picked, r)
		}
	}
	checkRows(t, "timeline", picked, []string{
		"2026-06-01 02:01 run {run=1} | run 1 of generate-installments as of 2026-06-01 (schedule): succeeded | the run of the day on which this contract has entries written by that job | BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE",
		fmt.Sprintf("2026-06-09 14:00 payment.recorded {installment=%d payment=%d} | payment %d of 99.90 from pix on installment 1 | paid on 2026-06-09, on time (due 2026-06-10): 99.90 principal |  | 99.90 pix", first, payment, payment),
		"2026-07-20 12:00 operator {audit=4} | POST /v1/payments/{id}/reverse by bootstrap (answered 200) | no reason given | ",
		fmt.Sprintf("2026-07-20 12:00 payment.reversed {installment=%d payment=%d} | payment %d of 99.90 on installment 1 reversed; the installment is judged again from its remaining payments | PIX devolvido |  | 99.90 pix", first, payment, payment),
	})
	if n := len(rows) - len(picked); n != 12 {
		t.Errorf("%d installments issued, want 12", n)
	}

	bounded := timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline?limit=3", c), nil).raw)
	if len(bounded) != 4 || bounded[3] != "truncated" || !strings.Contains(bounded[0], "installment.issued {installment=1}") {
		t.Errorf("limit 3: %q", bounded)
	}
	all := timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline?limit=16", c), nil).raw)
	if len(all) != 16 {
		t.Errorf("limit 16 of 16 entries: %d rows, want 16 and not truncated: %q", len(all), all)
	}
}

// TestTimelineExplainBadInput: bad ids, dates and limits are 400 naming the field, an unknown
// contract 404, an unknown parameter 400; none writes anything.
func TestTimelineExplainBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	before := b.snapshot()
	for _, tc := range []struct {
		path   string
		status int
		field  string
	}{
		{"/v1/contracts/abc/timeline", 400, "id"},
		{"/v1/contracts/0/explain", 400, "id"},
		{"/v1/contracts/999/timeline", 404, "id"},
		{"/v1/contracts/999/explain", 404, "id"},
		{fmt.Sprintf("/v1/contracts/%d/timeline?limit=0", c), 400, "limit"},
		{fmt.Sprintf("/v1/contracts/%d/timeline?limit=5001", c), 400, "limit"},
		{fmt.Sprintf("/v1/contracts/%d/timeline?limit=x", c), 400, "limit"},
		{fmt.Sprintf("/v1/contracts/%d/timeline?on=2026-07-20", c), 400, "on"},
		{fmt.Sprintf("/v1/contracts/%d/explain?on=2026-02-30", c), 400, "on"},
		{fmt.Sprintf("/v1/contracts/%d/explain?on=20260720", c), 400, "on"},
		{fmt.Sprintf("/v1/contracts/%d/explain?limit=3", c), 400, "limit"},
	} {
		r := b.send("GET", tc.path, nil)
		if r.status != tc.status || r.err(t).Field != tc.field {
			t.Errorf("GET %s: %d %s, want %d naming %q", tc.path, r.status, r.raw, tc.status, tc.field)
		}
	}
	// Why no installment: a term not generated yet, a contract pending activation.
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain", c), nil)
	if got := explainRows(t, r.raw); len(got) < 4 || got[3] != "installments: term not generated yet | term 1 is not generated yet: "+
		"generate-installments has work for it from 2026-07-01 | generate-installments (BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE)" {
		t.Errorf("explain of a contract not generated yet: %q", got)
	}
	pending := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01", "wait_activation": true,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	before = b.snapshot()
	r = b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain", pending), nil)
	if got := explainRows(t, r.raw); len(got) < 4 || got[0] != "status pending_activation" ||
		!strings.HasPrefix(got[3], "installments: none: pending activation | the contract waits for its activation (adhesion on 2026-07-01)") {
		t.Errorf("explain of a pending contract: %q", got)
	}
	if b.snapshot() != before {
		t.Error("a read changed the database")
	}
}

// TestTimelineNoticesAndBenefitUses: a welcome notice written and sent, a second one that
// failed for good with its cause, a benefit use and its reversal, each on its day.
func TestTimelineNoticesAndBenefitUses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	clock := newStepClock(b)
	plan := b.plan("99.90", "")
	benefit := b.must(http.StatusCreated, "POST", "/v1/benefits", `{"name": "Consulta", "unit_cost": "30.00"}`).id(t)
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/plans/%d/benefits", plan),
		fmt.Sprintf(`{"benefit_id": %d, "quantity": 4, "renewal_period": "monthly"}`, benefit))
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "billing_method": "no_billing", "welcome_email": true,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	clock.stamp("2026-07-01 09:00")
	var notice int64
	if err := b.pool.QueryRow(ctx, "SELECT id FROM notices WHERE contract_id = $1", c).Scan(&notice); err != nil {
		t.Fatal(err)
	}
	sentAt := time.Date(2026, 7, 1, 9, 5, 0, 0, saoPaulo)
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		return postgres.MarkNoticeSent(ctx, tx, notice, "<m1@billingd>", sentAt)
	}); err != nil {
		t.Fatal(err)
	}
	b.exec(`INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'renewed', '2')`, c)
	clock.stamp("2026-07-10 03:00")
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		return postgres.MarkNoticeFailed(ctx, tx, notice+1, errors.New("550 5.1.1 mailbox unavailable"), true)
	}); err != nil {
		t.Fatal(err)
	}
	clock.stamp("2026-07-10 08:00")
	use := b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/benefit-usages", c),
		fmt.Sprintf(`{"benefit_id": %d, "used_at": "2026-07-15", "quantity": 2}`, benefit)).id(t)
	clock.stamp("2026-07-15 10:00")
	b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/benefit-usages/%d", c, use), nil)
	clock.stamp("2026-07-20 12:00")

	var picked []string
	for _, r := range timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).raw) {
		if !strings.Contains(r, " operator {") {
			picked = append(picked, r)
		}
	}
	checkRows(t, "timeline", picked, []string{
		fmt.Sprintf("2026-07-01 09:00 notice.written {notice=%d} | welcome notice (about the new contract) written to the outbox | the contract was created with the welcome option | POST /v1/contracts welcome", notice),
		fmt.Sprintf("2026-07-01 09:05 notice.sent {notice=%d} | welcome notice (about the new contract) sent | the contract was created with the welcome option | POST /v1/contracts welcome", notice),
		fmt.Sprintf("2026-07-10 03:00 notice.written {notice=%d} | renewed notice (about term 2) written to the outbox | the contract was renewed into a new term | renewal thresholds", notice+1),
		fmt.Sprintf("2026-07-10 08:00 notice.failed {notice=%d} | renewed notice (about term 2) failed | 550 5.1.1 mailbox unavailable | renewal thresholds", notice+1),
		fmt.Sprintf("2026-07-15 10:00 benefit.used {benefit=%d usage=%d} | 2 × Consulta used at 30.00 each | counted against the quota of its period | the benefit's terms (plan or contract override)", benefit, use),
		fmt.Sprintf("2026-07-20 12:00 benefit.use_reversed {benefit=%d usage=%d} | use %d of Consulta reversed | an operator reversed the use; it no longer counts | ", benefit, use, use),
	})
}

// TestTimelineContractChanges: a change asked of a contract (a pause) shows on the day it
// was asked, with its values as stored, its effective day and the operator's reason.
func TestTimelineContractChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-15",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 25}}).id(t)
	b.generate("2026-07-15")
	r := b.send("POST", fmt.Sprintf("/v1/contracts/%d/pause", c), `{"from": "2026-09-01", "months": 2, "reason": "viagem"}`)
	if r.status != http.StatusOK {
		t.Fatalf("pause: %d %s", r.status, r.raw)
	}
	var found string
	for _, row := range timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).raw) {
		if strings.Contains(row, " change.requested {change=") {
			found = row
		}
	}
	if !strings.HasPrefix(found, "2026-07-20 ") || !strings.Contains(found, "| pause change from ") ||
		!strings.Contains(found, ", effective 2026-09-15: requested | viagem | contract changes (requested by bootstrap)") {
		t.Errorf("the pause in the timeline: %q", found)
	}
}
