package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/renewal"
)

// at returns the bundle served by a second API server on the same store whose clock reads
// day (noon in São Paulo).
func (b *bundle) at(day string) *bundle {
	b.t.Helper()
	d, err := billing.ParseDate(day)
	if err != nil {
		b.t.Fatal(err)
	}
	now := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, saoPaulo)
	srv := api.New(api.Config{
		Store: b.store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler), CatchUpDays: 31,
		TrustUnlockMaxDays: 7, TrustUnlocksPerEpisode: 1, Changes: changeDefaults,
	})
	ts := httptest.NewServer(srv)
	b.t.Cleanup(ts.Close)
	c := *b
	c.server, c.api = ts, srv
	return &c
}

// payOnDue pays a contract's recurring installments from..to in full on their due dates.
func (b *bundle) payOnDue(contract int64, from, to int) {
	b.t.Helper()
	for seq := from; seq <= to; seq++ {
		id := b.installmentID(contract, "recurring", seq)
		var due, amount string
		if err := b.pool.QueryRow(context.Background(), `SELECT due_date::text, (amount - discount)::text FROM installments WHERE id = $1`,
			id).Scan(&due, &amount); err != nil {
			b.t.Fatal(err)
		}
		b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", id), map[string]any{"amount": amount, "paid_at": due})
	}
}

// schedule lists a contract's recurring installments as "sequence service_start..service_end
// nominal_due due_date amount state" rows.
func (b *bundle) schedule(contract int64) []string {
	b.t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT format('%s %s..%s %s %s %s %s', sequence, service_start, service_end,
			nominal_due, due_date, amount, state)
		FROM installments WHERE contract_id = $1 AND kind = 'recurring' ORDER BY sequence`, contract)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			b.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// rerunSweeps runs every sweep (generate, renew, block-delinquent, reset quotas, notices) as
// of day, then again, and fails unless the second run changed no row of any table.
func (b *bundle) rerunSweeps(day string) {
	b.t.Helper()
	d, err := billing.ParseDate(day)
	if err != nil {
		b.t.Fatal(err)
	}
	run := func() {
		b.generate(day)
		b.renew(day)
		b.blockOn(day, day)
		b.resetQuotas(day)
		b.sweepBatch("send-notices", postgres.NoticeSweep{DaysBeforeDue: 3, FollowUps: b.store.FollowUps}, day)
		_ = renewal.Thresholds{}
		_ = d
	}
	run()
	before, err := dbtest.Checksums(context.Background(), b.pool, "audit_log", "river.river_leader")
	if err != nil {
		b.t.Fatal(err)
	}
	run()
	after, err := dbtest.Checksums(context.Background(), b.pool, "audit_log", "river.river_leader")
	if err != nil {
		b.t.Fatal(err)
	}
	for table, sum := range before {
		if after[table] != sum {
			b.t.Errorf("rerunning every sweep as of %s changed %s", day, table)
		}
	}
}

// sameRows fails unless got equals want, row by row.
func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// TestDueDayChangeFrom10To25 is the must-show scenario of issue 18 item 1: a contract due on
// the 10th since 2026-01-10, paid through July, moves to the 25th on 2026-07-20. From August
// its periods start on the 25th (due then, Christmas shifted to Monday the 28th), the 15
// days between 2026-08-10 and 2026-08-24 are charged on August's installment (99.90 × 15 /
// 31 = 48.34), the paid ones keep their dates, the term ends on 2027-01-24; the same request
// again changes nothing, another within 180 days is a 409 naming 2027-01-16, and every sweep
// run twice changes nothing the second time.
func TestDueDayChangeFrom10To25(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-01-10")
	b.payOnDue(c, 1, 7)
	path := fmt.Sprintf("/v1/contracts/%d/due-date-rule", c)
	body := map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 25}, "effective_on": "2026-07-20", "reason": "salário no dia 20"}
	r := b.must(http.StatusOK, "POST", path, body)
	ch := r.body
	if ch["kind"] != "due_day" || ch["status"] != "applied" || ch["effective_on"] != "2026-07-20" || ch["applied_on"] != "2026-07-20" ||
		ch["actor"] != "bootstrap" || ch["reason"] != "salário no dia 20" {
		t.Errorf("change: %s", r.raw)
	}
	to := ch["to"].(map[string]any)
	pr := to["proration"].(map[string]any)
	if to["service_anchor"] != "2026-01-25" || to["redated"] != float64(5) || pr["days"] != float64(15) || pr["period_days"] != float64(31) ||
		pr["amount"] != "48.34" || pr["mode"] != "charge" {
		t.Errorf("change's to: %v", to)
	}
	sameRows(t, "schedule", b.schedule(c), []string{
		"1 2026-01-10..2026-02-09 2026-01-10 2026-01-12 99.90 paid",
		"2 2026-02-10..2026-03-09 2026-02-10 2026-02-10 99.90 paid",
		"3 2026-03-10..2026-04-09 2026-03-10 2026-03-10 99.90 paid",
		"4 2026-04-10..2026-05-09 2026-04-10 2026-04-10 99.90 paid",
		"5 2026-05-10..2026-06-09 2026-05-10 2026-05-11 99.90 paid",
		"6 2026-06-10..2026-07-09 2026-06-10 2026-06-10 99.90 paid",
		"7 2026-07-10..2026-08-09 2026-07-10 2026-07-10 99.90 paid",
		"8 2026-08-25..2026-09-24 2026-08-25 2026-08-25 148.24 open",
		"9 2026-09-25..2026-10-24 2026-09-25 2026-09-25 99.90 open",
		"10 2026-10-25..2026-11-24 2026-10-25 2026-10-26 99.90 open",
		"11 2026-11-25..2026-12-24 2026-11-25 2026-11-25 99.90 open",
		"12 2026-12-25..2027-01-24 2026-12-25 2026-12-28 99.90 open",
	})
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 8), []string{
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 8: service 2026-08-25 to 2026-09-24",
		fmt.Sprintf("proration 48.34 × 15 at <nil>: due day change %v: service from 2026-08-25 instead of 2026-08-10, 15 days of 31 at 99.90", ch["id"]),
	})
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	rule := got["due_date_rule"].(map[string]any)
	if rule["kind"] != "fixed_day" || rule["day"] != float64(25) || rule["shift"] != "next" || got["term_end"] != "2027-01-24" {
		t.Errorf("contract: rule %v, term_end %v", rule, got["term_end"])
	}

	// The same request again is the same change; nothing moves.
	before := b.snapshot()
	again := b.must(http.StatusOK, "POST", path, body)
	if again.body["id"] != ch["id"] || b.snapshot() != before {
		t.Errorf("the same request again: %s", again.raw)
	}
	// Another change within 180 days: 409 naming when the next is allowed.
	e := b.must(http.StatusConflict, "POST", path, map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 5},
		"effective_on": "2026-07-21"}).err(t)
	if e.Field != "due_date_rule" || !strings.Contains(e.Message, "the next change is allowed from 2027-01-16") {
		t.Errorf("second change: %+v", e)
	}
	if b.snapshot() != before {
		t.Error("the refused change wrote something")
	}
	list := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/changes", c), nil).items(t)
	if len(list) != 1 || list[0]["id"] != ch["id"] {
		t.Errorf("changes: %v", list)
	}
	b.rerunSweeps("2026-07-20")
	sameRows(t, "schedule after the sweeps", b.schedule(c)[7:8], []string{"8 2026-08-25..2026-09-24 2026-08-25 2026-08-25 148.24 open"})
}

// TestPlanUpgradeOnDay12AndDowngradeAtTermEnd is the must-show scenario of issue 18 item 2:
// on 2026-09-12, day 12 of the 30-day period 2026-09-01..30, a contract moves from 99.90 to
// 149.90 (an upgrade: now by default): October to December cost 149.90 and October also
// carries 19 days × 50.00 / 30 = 31.67. Then a downgrade back (term_end by default) is
// scheduled for 2027-01-01, shown on the contract, cancelled, scheduled again; the renewal
// before it makes term 2 at 149.90, and generate-installments on 2027-01-01 applies it:
// term 2 at 99.90, the contract on the old plan. Every sweep run twice changes nothing.
func TestPlanUpgradeOnDay12AndDowngradeAtTermEnd(t *testing.T) {
	t.Parallel()
	b := setup(t).at("2026-09-12")
	basic, premium := b.plan("99.90", "89.90"), b.plan("149.90", "")
	c := b.contract(basic, map[string]any{"adhesion_date": "2026-01-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 1}}).id(t)
	b.generate("2026-01-01")
	b.payOnDue(c, 1, 9)
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", c), map[string]any{"plan_id": premium})
	up := r.body
	to := up["to"].(map[string]any)
	pr, _ := to["proration"].(map[string]any)
	if up["status"] != "applied" || up["effective_on"] != "2026-09-12" || to["effective"] != "now" || to["repriced"] != float64(3) ||
		pr["days"] != float64(19) || pr["period_days"] != float64(30) || pr["amount"] != "31.67" ||
		pr["period_start"] != "2026-09-01" || pr["period_end"] != "2026-09-30" {
		t.Errorf("upgrade: %s", r.raw)
	}
	sameRows(t, "schedule after the upgrade", b.schedule(c)[8:], []string{
		"9 2026-09-01..2026-09-30 2026-09-01 2026-09-01 99.90 paid",
		"10 2026-10-01..2026-10-31 2026-10-01 2026-10-01 181.57 open",
		"11 2026-11-01..2026-11-30 2026-11-01 2026-11-03 149.90 open",
		"12 2026-12-01..2026-12-31 2026-12-01 2026-12-01 149.90 open",
	})
	sameRows(t, "October's lines", b.linesOf(c, "recurring", 10), []string{
		"plan 149.90 × 1 at 149.90: plan, term 1 installment 10: service 2026-10-01 to 2026-10-31",
		fmt.Sprintf("proration 31.67 × 19 at <nil>: plan change %v to Plano Mensal from 2026-09-12: 19 days of 30 at the difference 50.00", up["id"]),
	})
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if got["plan_id"] != float64(premium) || got["price"] != "149.90" {
		t.Errorf("contract after the upgrade: plan %v price %v", got["plan_id"], got["price"])
	}
	b.rerunSweeps("2026-09-12")

	// The downgrade waits for the term's end, visible and cancellable until then.
	down := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", c), map[string]any{"plan_id": basic}).body
	if down["status"] != "scheduled" || down["effective_on"] != "2027-01-01" || down["to"].(map[string]any)["effective"] != "term_end" {
		t.Errorf("downgrade: %v", down)
	}
	sched := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["scheduled_changes"].([]any)
	if len(sched) != 1 || sched[0].(map[string]any)["id"] != down["id"] {
		t.Errorf("scheduled_changes: %v", sched)
	}
	cancelled := b.must(http.StatusOK, "DELETE", fmt.Sprintf("/v1/contracts/%d/changes/%v", c, down["id"]), nil).body
	if cancelled["status"] != "cancelled" || cancelled["cancelled_at"] == nil {
		t.Errorf("cancelled: %v", cancelled)
	}
	if e := b.must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/changes/%v/cancel", c, down["id"]), nil).err(t); e.Field != "change_id" {
		t.Errorf("cancelling again: %+v", e)
	}
	down = b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", c),
		map[string]any{"plan_id": basic, "effective": "term_end"}).body
	// Renewal before the downgrade makes term 2 at the plan's price then (149.90).
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 10)),
		map[string]any{"amount": "181.57", "paid_at": "2026-09-12"})
	if got := b.renew("2026-09-12"); got["renewed"] != 1 {
		t.Fatalf("renewal: %v", got)
	}
	b.rerunSweeps("2026-12-31")
	if s := b.schedule(c); len(s) != 24 || s[12] != "13 2027-01-01..2027-01-31 2027-01-01 2027-01-04 149.90 open" {
		t.Fatalf("term 2 before the downgrade: %v", s)
	}
	if got := b.generate("2027-01-01"); got["plan_changes_applied"] != 1 {
		t.Errorf("generate on 2027-01-01: %v", got)
	}
	s := b.schedule(c)
	sameRows(t, "term 2 after the downgrade", []string{s[11], s[12], s[23]}, []string{
		"12 2026-12-01..2026-12-31 2026-12-01 2026-12-01 149.90 open",
		"13 2027-01-01..2027-01-31 2027-01-01 2027-01-04 99.90 open",
		"24 2027-12-01..2027-12-31 2027-12-01 2027-12-01 99.90 open",
	})
	got = b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if got["plan_id"] != float64(basic) || got["price"] != "99.90" || len(got["scheduled_changes"].([]any)) != 0 {
		t.Errorf("contract after the downgrade: %v %v %v", got["plan_id"], got["price"], got["scheduled_changes"])
	}
	list := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/changes", c), nil).items(t)
	if len(list) != 3 || list[2]["status"] != "applied" || list[2]["applied_on"] != "2027-01-01" ||
		list[2]["to"].(map[string]any)["repriced"] != float64(12) {
		t.Errorf("changes: %v", list)
	}
	b.rerunSweeps("2027-01-01")
}

// TestPauseTwoMonths is the must-show scenario of issue 18 item 7: a contract due on the
// 10th, paid through July, pauses for two months from August on 2026-07-20: August's
// period and the later ones move two months (October's due day, a Saturday before a holiday,
// becomes Tuesday the 13th), the term ends on 2027-03-09, the pause runs 2026-08-10 to
// 2026-10-09; a benefit use inside it is refused as paused, block-delinquent leaves the
// contract alone, a second pause within 12 months is a 409 naming when; resuming on
// 2026-09-01 brings the service back on 2026-09-10. Every sweep run twice changes nothing.
func TestPauseTwoMonths(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	benefit := b.benefit("Banho", "20.00", true)
	b.grant(plan, benefit, 4, 0)
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-01-10")
	b.payOnDue(c, 1, 7)
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c),
		map[string]any{"from": "2026-08-01", "months": 2, "reason": "viagem"})
	to := r.body["to"].(map[string]any)
	if r.body["kind"] != "pause" || r.body["effective_on"] != "2026-08-10" || to["paused_from"] != "2026-08-10" ||
		to["paused_until"] != "2026-10-09" || to["term_end"] != "2027-03-09" || to["redated"] != float64(5) {
		t.Errorf("pause: %s", r.raw)
	}
	sameRows(t, "schedule after the pause", b.schedule(c)[6:], []string{
		"7 2026-07-10..2026-08-09 2026-07-10 2026-07-10 99.90 paid",
		"8 2026-10-10..2026-11-09 2026-10-10 2026-10-13 99.90 open",
		"9 2026-11-10..2026-12-09 2026-11-10 2026-11-10 99.90 open",
		"10 2026-12-10..2027-01-09 2026-12-10 2026-12-10 99.90 open",
		"11 2027-01-10..2027-02-09 2027-01-10 2027-01-11 99.90 open",
		"12 2027-02-10..2027-03-09 2027-02-10 2027-02-10 99.90 open",
	})
	before := b.snapshot()
	if again := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c),
		map[string]any{"from": "2026-08-01", "months": 2, "reason": "viagem"}); again.body["id"] != r.body["id"] || b.snapshot() != before {
		t.Errorf("the same pause again: %s", again.raw)
	}
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if got["paused_from"] != "2026-08-10" || got["paused_until"] != "2026-10-09" || got["term_end"] != "2027-03-09" {
		t.Errorf("contract: paused %v..%v, term end %v", got["paused_from"], got["paused_until"], got["term_end"])
	}
	sameRows(t, "August's lines", b.linesOf(c, "recurring", 8), []string{
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 8: service 2026-10-10 to 2026-11-09",
	})
	b.rerunSweeps("2026-07-20")

	// Inside the pause: benefits refused as paused, the ladder leaves the contract alone.
	in := b.at("2026-09-01")
	before = b.benefitRows()
	if e := in.use(c, benefit, "2026-09-01", 1).err(t); e.Error != "paused" {
		t.Errorf("use inside the pause: %+v", e)
	}
	if b.benefitRows() != before {
		t.Error("the refused use wrote something")
	}
	if ok := in.use(c, benefit, "2026-08-09", 1); ok.status != http.StatusCreated {
		t.Errorf("use before the pause: %s", ok.raw)
	}
	b.exec(`UPDATE installments SET due_date = '2026-08-20' WHERE contract_id = $1 AND sequence = 8`, c) // overdue inside the pause
	notices := b.count(`SELECT count(*) FROM notices WHERE contract_id = $1`, c)
	b.blockOn("2026-09-01", "2026-09-01")
	if s := b.ladderState(c); s != "active none -" || b.count(`SELECT count(*) FROM notices WHERE contract_id = $1`, c) != notices {
		t.Errorf("block-delinquent acted inside the pause: %s", s)
	}

	b.exec(`UPDATE installments SET due_date = '2026-10-13' WHERE contract_id = $1 AND sequence = 8`, c)
	// A second pause within 12 months.
	e := in.must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c), map[string]any{"from": "2026-11-01", "months": 1}).err(t)
	if e.Field != "from" || !strings.Contains(e.Message, "is paused from 2026-08-10 to 2026-10-09") {
		t.Errorf("pause while paused: %+v", e)
	}
	// Resuming on 2026-09-01 restarts the service on 2026-09-10, one month back.
	res := in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/resume", c), map[string]any{"on": "2026-09-01"}).body
	rto := res["to"].(map[string]any)
	if res["kind"] != "resume" || rto["restart"] != "2026-09-10" || rto["months_used"] != float64(1) || rto["term_end"] != "2027-02-09" {
		t.Errorf("resume: %v", res)
	}
	if again := in.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/resume", c), map[string]any{"on": "2026-09-01"}); again.body["id"] != res["id"] {
		t.Errorf("the same resume again: %s", again.raw)
	}
	sameRows(t, "schedule after the resume", b.schedule(c)[7:8], []string{"8 2026-09-10..2026-10-09 2026-09-10 2026-09-10 99.90 open"})
	// The timeline holds each installment's two moves (issue 17): the pause's, then the
	// resume's (the test's own UPDATEs of installment 8 above are not re-datings).
	moved := func(seq int, from, fromNominal, to, toNominal, why string) string {
		return fmt.Sprintf("installment %d moved from %s to %s (nominal due date %s to %s) | %s (next business day rule) | due_date_rule fixed_day 10, shift next",
			seq, from, to, fromNominal, toNominal, why)
	}
	paused := fmt.Sprintf("the contract was paused (contract change %v by bootstrap: viagem)", r.body["id"])
	resumed := fmt.Sprintf("the contract was resumed (contract change %v by bootstrap: no reason given)", res["id"])
	var whats []string
	for _, row := range b.redatedRows(c) {
		whats = append(whats, strings.SplitN(row, " | ", 2)[1])
	}
	sameRows(t, "re-datings", whats, []string{
		moved(8, "2026-08-10", "2026-08-10", "2026-10-13", "2026-10-10", paused),
		moved(9, "2026-09-10", "2026-09-10", "2026-11-10", "2026-11-10", paused),
		moved(10, "2026-10-13", "2026-10-10", "2026-12-10", "2026-12-10", paused),
		moved(11, "2026-11-10", "2026-11-10", "2027-01-11", "2027-01-10", paused),
		moved(12, "2026-12-10", "2026-12-10", "2027-02-10", "2027-02-10", paused),
		moved(8, "2026-10-13", "2026-10-10", "2026-09-10", "2026-09-10", resumed),
		moved(9, "2026-11-10", "2026-11-10", "2026-10-13", "2026-10-10", resumed),
		moved(10, "2026-12-10", "2026-12-10", "2026-11-10", "2026-11-10", resumed),
		moved(11, "2027-01-11", "2027-01-10", "2026-12-10", "2026-12-10", resumed),
		moved(12, "2027-02-10", "2027-02-10", "2027-01-11", "2027-01-10", resumed),
	})
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body; got["paused_until"] != "2026-09-09" {
		t.Errorf("pause window after the resume: %v..%v", got["paused_from"], got["paused_until"])
	}
	e = b.at("2026-09-10").must(http.StatusConflict, "POST", fmt.Sprintf("/v1/contracts/%d/pause", c), map[string]any{"from": "2026-11-01", "months": 1}).err(t)
	if e.Field != "from" || !strings.Contains(e.Message, "the next pause may start from 2027-08-10") {
		t.Errorf("second pause: %+v", e)
	}
	in.rerunSweeps("2026-09-01")
}

// TestBadContractChanges: bad changes are refused with the field and the reason and write
// nothing.
func TestBadContractChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "89.90")
	premium := b.plan("149.90", "")
	cheap, quarterly := b.plan("59.90", ""), b.must(http.StatusCreated, "POST", "/v1/plans",
		map[string]any{"name": "Trimestral", "price": "279.90", "period": "quarterly", "installments_per_term": 4}).id(t)
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-01-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-01-10")
	b.payOnDue(c, 1, 7)
	before := b.snapshot()
	cp := fmt.Sprintf("/v1/contracts/%d", c)
	tests := []struct {
		name, path string
		body       any
		status     int
		field      string
		reason     string
	}{
		{"downgrade below the plan's minimum", cp + "/plan-change", map[string]any{"plan_id": cheap}, 422, "plan_id", "below the minimum price 89.90"},
		{"unknown plan", cp + "/plan-change", map[string]any{"plan_id": 999}, 422, "plan_id", "no plan with id 999"},
		{"no plan", cp + "/plan-change", map[string]any{}, 422, "plan_id", "required"},
		{"another period", cp + "/plan-change", map[string]any{"plan_id": quarterly}, 422, "plan_id", "keeps the period"},
		{"the plan in force", cp + "/plan-change", map[string]any{"plan_id": plan}, 422, "plan_id", "already on plan"},
		{"a date in a paid past period", cp + "/plan-change", map[string]any{"plan_id": premium, "effective": "2026-07-01"}, 422, "effective", "in the past"},
		{"a bad effective", cp + "/plan-change", map[string]any{"plan_id": plan, "effective": "tomorrow"}, 422, "effective", "want now, term_end or a date"},
		{"due day 32", cp + "/due-date-rule", map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 32}}, 422, "due_date_rule.day", "between 1 and 31"},
		{"no rule", cp + "/due-date-rule", map[string]any{"effective_on": "2026-08-01"}, 422, "due_date_rule", "required"},
		{"effective in the past", cp + "/due-date-rule", map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 25},
			"effective_on": "2026-07-01"}, 422, "effective_on", "in the past"},
		{"the rule in force", cp + "/due-date-rule", map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}, 422, "due_date_rule", "already"},
		{"a pause of 5 months", cp + "/pause", map[string]any{"months": 5}, 422, "months", "between 1 and 4"},
		{"a pause in the past", cp + "/pause", map[string]any{"months": 1, "from": "2026-07-01"}, 422, "from", "in the past"},
		{"a resume of a contract not paused", cp + "/resume", nil, 409, "on", "not paused"},
		{"an unknown change", cp + "/changes/99", nil, 404, "change_id", "not found"},
		{"a bad change id", cp + "/changes/x", nil, 400, "change_id", "positive whole number"},
		{"an unknown contract", "/v1/contracts/999/pause", map[string]any{"months": 1}, 404, "id", "not found"},
		{"an unknown field", cp + "/pause", map[string]any{"months": 1, "until": "2026-09-01"}, 400, "until", ""},
	}
	for _, tt := range tests {
		method := "POST"
		if strings.Contains(tt.path, "/changes/") {
			method = "DELETE"
		}
		r := b.send(method, tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, r.status, tt.status, r.raw)
			continue
		}
		e := r.err(t)
		if e.Field != tt.field || !strings.Contains(e.Message, tt.reason) {
			t.Errorf("%s: %+v, want field %s and %q", tt.name, e, tt.field, tt.reason)
		}
	}
	if b.snapshot() != before {
		t.Error("a refused change wrote something")
	}
}

// TestPlanChangeRenewsByTheNewPlansThresholds: after a plan change the contract renews by
// the new plan's thresholds (renew-contracts re-examines it): with five installments open
// the default thresholds (3, 2) leave it alone, the new plan's (6, 5) renew it.
func TestPlanChangeRenewsByTheNewPlansThresholds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	basic := b.plan("99.90", "")
	premium := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Premium", "price": "149.90", "period": "monthly",
		"installments_per_term": 12, "renewal_queue_threshold": 6, "renewal_threshold": 5}).id(t)
	c := b.contract(basic, map[string]any{"adhesion_date": "2026-01-10", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-01-10")
	b.payOnDue(c, 1, 7)
	if got := b.renew("2026-07-20"); got["renewed"] != 0 {
		t.Fatalf("renewal on the old plan: %v", got)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", c), map[string]any{"plan_id": premium})
	if got := b.renew("2026-07-20"); got["renewed"] != 1 {
		t.Errorf("renewal on the new plan: %v", got)
	}
	if s := b.schedule(c); len(s) != 24 || !strings.HasSuffix(s[12], " 149.90 open") {
		t.Errorf("term 2: %v", s)
	}
}

// TestPlanChangeKeepsTheProfile: a telecom contract (RGC 765/2023, interest capped at 1% a
// month) cannot move to a plan charging more, which it would take its interest from: 422
// naming plan_id and the rule, writing nothing.
func TestPlanChangeKeepsTheProfile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("93.00", "")
	dear := b.must(http.StatusCreated, "POST", "/v1/plans", map[string]any{"name": "Caro", "price": "120.00", "period": "monthly",
		"installments_per_term": 12, "monthly_interest_percent": "2.00"}).id(t)
	rule := b.ladderRule(`{"name": "ISP", "profile": "telecom_rgc765"}`)
	isp := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "anniversary"},
		"blocking_rule_id": rule, "inactivity_discount": true}).id(t)
	before := b.fullSnapshot()
	e := b.must(http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", isp), map[string]any{"plan_id": dear}).err(t)
	if e.Field != "plan_id" || !strings.Contains(e.Message, "at most 1.00% a month, got 2.00") {
		t.Errorf("telecom contract to a plan at 2%%: %+v", e)
	}
	if b.fullSnapshot() != before {
		t.Error("the refused plan change wrote something")
	}
}

// TestCancellingAContractCancelsItsScheduledChanges: a downgrade scheduled for the term's
// end no longer shows as scheduled once the contract is cancelled; its history says it was
// cancelled.
func TestCancellingAContractCancelsItsScheduledChanges(t *testing.T) {
	t.Parallel()
	b := setup(t).at("2026-09-12")
	basic, premium := b.plan("99.90", ""), b.plan("149.90", "")
	c := b.contract(premium, map[string]any{"adhesion_date": "2026-01-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 1}}).id(t)
	b.generate("2026-01-01")
	down := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/plan-change", c), map[string]any{"plan_id": basic}).body
	if down["status"] != "scheduled" || down["effective_on"] != "2027-01-01" {
		t.Fatalf("downgrade: %v", down)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c), `{"date": "2026-09-12", "reason_code": "customer_request"}`)
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if got["status"] != "cancelled" || len(got["scheduled_changes"].([]any)) != 0 {
		t.Errorf("contract after the cancellation: %v, scheduled %v", got["status"], got["scheduled_changes"])
	}
	list := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/changes", c), nil).items(t)
	if len(list) != 1 || list[0]["status"] != "cancelled" || list[0]["id"] != down["id"] {
		t.Errorf("changes: %v", list)
	}
}
