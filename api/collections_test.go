package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// ladderRule creates a blocking rule from a JSON body and returns its id.
func (b *bundle) ladderRule(body string) int64 {
	b.t.Helper()
	return b.must(http.StatusCreated, "POST", "/v1/blocking-rules", body).id(b.t)
}

// sendDebtNotice marks a contract's debt notice sent at the São Paulo date and time at,
// as the delivery does when the SMTP server accepts it.
func (b *bundle) sendDebtNotice(contract int64, at string) {
	b.t.Helper()
	when, err := time.ParseInLocation("2006-01-02 15:04", at, saoPaulo)
	if err != nil {
		b.t.Fatal(err)
	}
	tag, err := b.pool.Exec(context.Background(), `UPDATE notices SET state = 'sent', sent_at = $2, message_id = '<test-' || id || '>'
		WHERE id = (SELECT ladder_notice_id FROM contracts WHERE id = $1) AND state <> 'sent'`, contract, when)
	if err != nil || tag.RowsAffected() != 1 {
		b.t.Fatalf("contract %d: %d debt notices marked sent, want 1 (%v)", contract, tag.RowsAffected(), err)
	}
}

// position returns a contract's ladder position on date on, as its JSON shows it.
func (b *bundle) position(contract int64, on string) delinquency.Position {
	b.t.Helper()
	day, err := billing.ParseDate(on)
	if err != nil {
		b.t.Fatal(err)
	}
	ps, err := b.store.LadderPositions(context.Background(), []int64{contract}, day)
	if err != nil {
		b.t.Fatal(err)
	}
	return ps[contract].Position
}

// ladderState is a contract's status, its episodes ("started..ended reason") and its
// stored step and since, for the scenarios.
func (b *bundle) ladderState(contract int64) string {
	b.t.Helper()
	var s string
	if err := b.pool.QueryRow(context.Background(), `SELECT c.status || coalesce((SELECT string_agg('; ' || e.started_on || '..'
			|| coalesce(e.ended_on::text || ' ' || e.end_reason, 'open'), '' ORDER BY e.id) FROM block_episodes e WHERE e.contract_id = c.id), '')
			|| coalesce(' trust until ' || (SELECT e.trust_unlock_until FROM block_episodes e WHERE e.contract_id = c.id AND e.ended_on IS NULL
				AND NOT EXISTS (SELECT 1 FROM block_segments g WHERE g.episode_id = e.id AND g.blocked_to IS NULL)), '')
			|| ' ' || c.ladder_step || ' ' || coalesce(c.ladder_step_since::text, '-')
		FROM contracts c WHERE c.id = $1`, contract).Scan(&s); err != nil {
		b.t.Fatal(err)
	}
	return s
}

// events lists a contract's ladder events (suspended, restored, terminated) as "kind subject
// occurred_on payload".
func (b *bundle) events(contract int64) string {
	b.t.Helper()
	var s string
	if err := b.pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(kind || ' ' || subject_key || ' ' || occurred_on
		|| ' ' || payload::text, ', ' ORDER BY id), '') FROM events WHERE contract_id = $1
		AND kind IN ('contract.suspended', 'contract.restored', 'contract.terminated')`, contract).Scan(&s); err != nil {
		b.t.Fatal(err)
	}
	return s
}

// ladderStep is one date of a dated scenario: the run as of asOf (on that day), an action
// before it, the counts it reports and the contract's state after it.
type ladderStep struct {
	asOf   string
	before func()
	counts string
	state  string
}

// runLadder runs a dated scenario over one contract: each step's run, its counts and the
// contract's state, and a rerun of the step's date that must change nothing.
func (b *bundle) runLadder(contract int64, steps []ladderStep) {
	b.t.Helper()
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if got := fmt.Sprint(b.block(st.asOf)); got != st.counts {
			b.t.Errorf("as of %s: counts %s, want %s", st.asOf, got, st.counts)
		}
		if got := b.ladderState(contract); got != st.state {
			b.t.Errorf("as of %s: state %q, want %q", st.asOf, got, st.state)
		}
		before := b.fullSnapshot()
		if got := fmt.Sprint(b.block(st.asOf)); got != "map[]" {
			b.t.Errorf("rerun as of %s: counts %s, want none", st.asOf, got)
		}
		if b.fullSnapshot() != before {
			b.t.Errorf("rerun as of %s changed the database", st.asOf)
		}
	}
}

// TestTelecomLadderScenario follows docs/collections.md's telecom contract (Anatel RGC
// 765/2023 defaults: notice 5 days after the due date, suspension 15 days after the notice
// is SENT, termination 75 days after it and 60 days after the suspension): due
// 2026-03-10, the debt notice is recorded on 03-15 but the SMTP server is down, so
// nothing happens on 03-30 or 03-31 without it; it goes out on 03-17, and every date moves
// by the two days: suspension on 04-01 (not 03-31), termination on 05-31, when the
// contract ends with end_reason terminated, its later installments cancelled and what it
// owes still owed. Each step records its notice and event; reruns change nothing.
func TestTelecomLadderScenario(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)
	c := b.delinquent("2026-03-10", rule)
	first := b.installmentID(c, "recurring", 1)
	b.runLadder(c, []ladderStep{
		{asOf: "2026-03-10", counts: "map[]", state: "active none -"},
		{asOf: "2026-03-11", counts: "map[]", state: "active none -"},
		{asOf: "2026-03-14", counts: "map[]", state: "active none -"},
		{asOf: "2026-03-15", counts: "map[contracts_warned:1]", state: "active debt_notice 2026-03-15"},
		{asOf: "2026-03-30", counts: "map[]", state: "active debt_notice 2026-03-15"},
		{asOf: "2026-03-31", counts: "map[]", state: "active debt_notice 2026-03-15"},
		{asOf: "2026-04-01", before: func() { b.sendDebtNotice(c, "2026-03-17 09:00") }, counts: "map[contracts_blocked:1]",
			state: "blocked; 2026-04-01..open suspension 2026-04-01"},
		{asOf: "2026-05-30", counts: "map[]", state: "blocked; 2026-04-01..open suspension 2026-04-01"},
		{asOf: "2026-05-31", counts: "map[contracts_terminated:1 discounts_attached:1]",
			state: "finished; 2026-04-01..2026-05-31 terminated termination 2026-05-31"},
		{asOf: "2026-07-01", counts: "map[]", state: "finished; 2026-04-01..2026-05-31 terminated termination 2026-05-31"},
	})
	var episode int64
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM block_episodes WHERE contract_id = $1", c).Scan(&episode); err != nil {
		t.Fatal(err)
	}
	if got, want := b.notices(c), fmt.Sprintf("block_warning %d, blocked %d, termination terminated", first, episode); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	if got, want := b.events(c), fmt.Sprintf(`contract.suspended episode:%d:1 2026-04-01 {"level": "total", "episode_id": %d}, `+
		`contract.terminated episode:%d:1 2026-05-31 {"end_reason": "terminated"}`, episode, episode, episode); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	// What was due stays owed: March, April and May's installments; June's on are cancelled.
	if got := strings.Join(b.installments(c)[:5], "; "); got != "recurring 1 2026-03-10 93.00 open; recurring 2 2026-04-10 93.00 open; "+
		"recurring 3 2026-05-10 93.00 open; recurring 4 2026-06-10 93.00 cancelled; recurring 5 2026-07-10 93.00 cancelled" {
		t.Errorf("installments after the termination: %s", got)
	}
	body := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if body["end_reason"] != "terminated" || body["ended_on"] != "2026-05-31" || body["status"] != "finished" {
		t.Errorf("terminated contract: end_reason %v ended_on %v status %v", body["end_reason"], body["ended_on"], body["status"])
	}
	// The 60 suspended days are not charged (RGC 765: the inactivity discount is
	// mandatory), and with no installment after the termination the line goes on the
	// latest one still owed: 93.00 ÷ 30 × 30 (April) + 93.00 ÷ 31 × 30 (May) = 183.00,
	// capped at May's installment.
	var computed, attached string
	if err := b.pool.QueryRow(context.Background(), `SELECT computed::text, amount::text FROM installment_discounts
		WHERE contract_id = $1 AND installment_id = $2`, c, b.installmentID(c, "recurring", 3)).Scan(&computed, &attached); err != nil {
		t.Fatal(err)
	}
	if computed != "183.00" || attached != "93.00" || b.discountOf(c, 3) != "93.00" {
		t.Errorf("inactivity discount computed %s, attached %s to May's, want 183.00 and 93.00", computed, attached)
	}
}

// TestTelecomPositions: the contract JSON's ladder position on the dates of the
// telecom scenario: overdue before the notice is due, waiting for the notice to be sent,
// then the suspension and termination dates counted from the day it was sent.
func TestTelecomPositions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)
	c := b.delinquent("2026-03-10", rule)
	type pos struct{ step, since, next, nextOn, suspension, termination string }
	got := func(on string) pos {
		p := b.position(c, on)
		f := func(d time.Time) string {
			if d.IsZero() {
				return "-"
			}
			return billing.FormatDate(d)
		}
		return pos{string(p.Step), f(p.Since), string(p.Next), f(p.NextOn), f(p.SuspensionOn), f(p.TerminationOn)}
	}
	if p := got("2026-03-12"); p != (pos{"overdue", "2026-03-11", "debt_notice", "2026-03-15", "-", "-"}) {
		t.Errorf("on 03-12: %+v", p)
	}
	b.block("2026-03-15")
	p := b.position(c, "2026-03-16")
	if p.Step != delinquency.StepDebtNotice || p.Next != delinquency.StepSuspension || !p.NextOn.IsZero() || p.Waiting != "the debt notice to be sent" ||
		!strings.Contains(p.Reason, "not sent yet: no suspension before it is sent, then 15 days after it (Anatel RGC, Resolução 765/2023)") {
		t.Errorf("on 03-16, the notice unsent: %+v", p)
	}
	b.sendDebtNotice(c, "2026-03-16 08:00")
	if p := got("2026-03-20"); p != (pos{"debt_notice", "2026-03-15", "suspension", "2026-03-31", "2026-03-31", "2026-05-30"}) {
		t.Errorf("on 03-20, the notice sent on 03-16: %+v", p)
	}
	json := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["ladder"].(map[string]any)
	if json["profile"] != "telecom_rgc765" || json["notice_sent_on"] != "2026-03-16" || json["termination_on"] != "2026-05-30" {
		t.Errorf("contract JSON ladder %v", json)
	}
	list := b.must(http.StatusOK, "GET", "/v1/collections?step=debt_notice&from=2026-03-15&to=2026-03-15", nil).items(t)
	if len(list) != 1 || list[0]["contract_id"] != float64(c) || list[0]["since"] != "2026-03-15" {
		t.Errorf("collections at debt_notice %v", list)
	}
	for _, q := range []string{"?step=suspension", "?step=debt_notice&from=2026-03-16", "?to=2026-03-14"} {
		if list := b.must(http.StatusOK, "GET", "/v1/collections"+q, nil).items(t); len(list) != 0 {
			t.Errorf("collections%s: %v, want none", q, list)
		}
	}
	if e := b.must(http.StatusBadRequest, "GET", "/v1/collections?step=overdue", nil).err(t); e.Field != "step" {
		t.Errorf("step=overdue: %+v", e)
	}
}

// TestFirstSeenLateGetsANotice: a telecom contract whose installment fell due on 10 March
// is first seen by the sweep on 19 April, 40 days late: it gets its debt notice, not a
// suspension; sent on 20 April, the suspension comes on 5 May.
func TestFirstSeenLateGetsANotice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP", "profile": "telecom_rgc765"}`)
	c := b.delinquent("2026-03-10", rule)
	b.runLadder(c, []ladderStep{
		{asOf: "2026-04-19", counts: "map[contracts_warned:1]", state: "active debt_notice 2026-04-19"},
		{asOf: "2026-05-04", before: func() { b.sendDebtNotice(c, "2026-04-20 10:00") }, counts: "map[]", state: "active debt_notice 2026-04-19"},
		{asOf: "2026-05-05", counts: "map[contracts_blocked:1]", state: "blocked; 2026-05-05..open suspension 2026-05-05"},
	})
}

// TestPartialSuspensionLadder runs the older RGC 632 ladder many ISPs keep as a commercial
// one (notice, 15 days to a partial suspension, 30 more to the total one, 30 more to
// termination): the partial suspension puts the contract in suspended_partial (reduced
// service) with its own notice and event at level partial; the total one closes that
// segment and opens a total one in the same episode; a payment restores the service at
// once, and only the totally suspended days are discounted.
func TestPartialSuspensionLadder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP (RGC 632)", "profile": "telecom_rgc765", "partial_suspension_after_days": 15,
		"suspension_after_days": 45, "termination_after_days": 75}`)
	c := b.delinquent("2026-03-10", rule)
	b.runLadder(c, []ladderStep{
		{asOf: "2026-03-15", counts: "map[contracts_warned:1]", state: "active debt_notice 2026-03-15"},
		{asOf: "2026-03-29", before: func() { b.sendDebtNotice(c, "2026-03-15 10:00") }, counts: "map[]", state: "active debt_notice 2026-03-15"},
		{asOf: "2026-03-30", counts: "map[contracts_partially_suspended:1]",
			state: "suspended_partial; 2026-03-30..open partial_suspension 2026-03-30"},
		{asOf: "2026-04-29", counts: "map[contracts_blocked:1]", state: "blocked; 2026-03-30..open suspension 2026-04-29"},
	})
	var episode int64
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM block_episodes WHERE contract_id = $1", c).Scan(&episode); err != nil {
		t.Fatal(err)
	}
	var segments string
	if err := b.pool.QueryRow(context.Background(), `SELECT string_agg(level || ' ' || blocked_from || '..' || coalesce(blocked_to::text, 'open'),
		', ' ORDER BY blocked_from) FROM block_segments WHERE episode_id = $1`, episode).Scan(&segments); err != nil {
		t.Fatal(err)
	}
	if segments != "partial 2026-03-30..2026-04-29, total 2026-04-29..open" {
		t.Errorf("segments %s", segments)
	}
	// Every installment due by the payment is paid on 2026-05-04, with its interest (1% a
	// month, 55 and 24 days: 94.71 and 93.74); the unblock job restores the service that day.
	for seq, want := range map[int]string{1: "94.71", 2: "93.74"} {
		id := b.installmentID(c, "recurring", seq)
		due := b.amountDue(id, "2026-05-04")["balance"]
		if due != want {
			t.Errorf("installment %d due on 2026-05-04: %v, want %s", seq, due, want)
		}
		b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", id),
			fmt.Sprintf(`{"amount": %q, "paid_at": "2026-05-04"}`, due))
	}
	if n := b.workUnblocks("2026-05-04 10:00"); n < 1 {
		t.Fatalf("%d unblock jobs", n)
	}
	if got, want := b.ladderState(c), "active; 2026-03-30..2026-05-04 payment none -"; got != want {
		t.Errorf("after the payment: %q, want %q", got, want)
	}
	if got, want := b.events(c), fmt.Sprintf(`contract.suspended episode:%d:1 2026-03-30 {"level": "partial", "episode_id": %d}, `+
		`contract.suspended episode:%d:2 2026-04-29 {"level": "total", "episode_id": %d}, `+
		`contract.restored episode:%d:2 2026-05-04 {"reason": "payment", "episode_id": %d}`, episode, episode, episode, episode, episode, episode); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if got, want := b.notices(c), fmt.Sprintf("block_warning %d, partial_suspension %d-1, blocked %d-2, unblocked %d",
		b.installmentID(c, "recurring", 1), episode, episode, episode); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	// Only the 5 days of total suspension (04-29 … 05-03) are discounted: 93.00 ÷ 30 × 2 +
	// 93.00 ÷ 31 × 3 = 15.20.
	if got := b.discountOf(c, 3); got != "15.20" {
		t.Errorf("inactivity discount %s, want 15.20", got)
	}
}

// TestTrustUnlockOnTheLadder: a trust unlock restores a suspended telecom contract's
// service while it lasts; the step stays, and the suspension returns the day after it.
func TestTrustUnlockOnTheLadder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP", "profile": "telecom_rgc765"}`)
	c := b.delinquent("2026-06-10", rule)
	b.block("2026-06-15")
	b.sendDebtNotice(c, "2026-06-15 10:00")
	if got := fmt.Sprint(b.block("2026-06-30")); got != "map[contracts_blocked:1]" {
		t.Fatalf("suspension: %s", got)
	}
	// The test server's today is 2026-07-20: trust-unlocked through 07-23.
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/trust-unlock", c), `{"days": 3}`)
	b.runLadder(c, []ladderStep{
		{asOf: "2026-07-23", counts: "map[]", state: "active; 2026-06-30..open trust until 2026-07-23 suspension 2026-06-30"},
		{asOf: "2026-07-24", counts: "map[contracts_reblocked:1]", state: "blocked; 2026-06-30..open suspension 2026-06-30"},
	})
}

// TestHealthLadderScenario follows Lei 9.656/98 art. 13 (health_9656 defaults: notice 10
// days after the due date, suspension 10 days after it is sent, and only with more than
// 60 days in default in the last 12 months): due 2026-01-10 and unpaid, the notice goes
// out on 01-20, and the plan is suspended on 03-12, the 61st day; until then a benefit use
// is allowed although an installment is overdue, and from then on it is refused as
// delinquent by the same rule.
func TestHealthLadderScenario(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "Plano de saúde", "profile": "health_9656"}`)
	plan := b.plan("300.00", "")
	exam := b.benefit("Consulta", "80.00", true)
	b.grant(plan, exam, 30, 0)
	c := b.contract(plan, map[string]any{"adhesion_date": "2025-12-10", "blocking_rule_id": rule,
		"due_date_rule": map[string]any{"kind": "anniversary", "shift": "none"}}).id(t)
	b.generate("2025-12-10")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "300.00", "paid_at": "2025-12-10"}`)
	b.runLadder(c, []ladderStep{
		{asOf: "2026-01-20", counts: "map[contracts_warned:1]", state: "active debt_notice 2026-01-20"},
		{asOf: "2026-01-30", before: func() { b.sendDebtNotice(c, "2026-01-20 10:00") }, counts: "map[]", state: "active debt_notice 2026-01-20"},
		{asOf: "2026-03-11", counts: "map[]", state: "active debt_notice 2026-01-20"},
	})
	if r := b.use(c, exam, "2026-03-11", 1); r.status != http.StatusCreated {
		t.Errorf("a use on the 60th day of default: %d %s, want 201", r.status, r.raw)
	}
	b.runLadder(c, []ladderStep{
		{asOf: "2026-03-12", counts: "map[contracts_blocked:1]", state: "blocked; 2026-03-12..open suspension 2026-03-12"},
	})
	// Unblocked for the check of the rule itself: blocked contracts are refused as such.
	b.exec("UPDATE contracts SET status = 'active' WHERE id = $1", c)
	if got := refusal(t, b.use(c, exam, "2026-03-12", 1)); got != (benefitErr{status: 409, code: "delinquent"}) {
		t.Errorf("a use on the 61st day of default: %+v", got)
	}
	if p := b.position(c, "2026-03-01"); p.DaysInDefault != 50 || billing.FormatDate(p.NoticeDeadline) != "2026-03-01" {
		t.Errorf("on 03-01: %d days in default, notice deadline %s", p.DaysInDefault, billing.FormatDate(p.NoticeDeadline))
	}
}

// TestRemindersAreRecordedOnce: a generic ladder with reminders D-5 and D-1 records each
// reminder of an installment once, on its day (a missed earlier one is not sent late).
func TestRemindersAreRecordedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "Lembretes", "reminder_days": [5, 1]}`)
	c := b.delinquent("2026-03-10", rule)
	second := b.installmentID(c, "recurring", 2) // due 2026-04-10
	for _, st := range []struct{ asOf, counts string }{
		{"2026-04-04", "map[]"},
		{"2026-04-05", "map[reminders_recorded:1]"},
		{"2026-04-08", "map[]"},
		{"2026-04-09", "map[reminders_recorded:1]"},
		{"2026-04-09", "map[]"},
	} {
		got := b.block(st.asOf)
		delete(got, "contracts_warned") // March's installment, due 03-10, is on the ladder meanwhile
		delete(got, "contracts_blocked")
		if fmt.Sprint(got) != st.counts {
			t.Errorf("as of %s: %v, want %s", st.asOf, got, st.counts)
		}
	}
	if got := b.notices(c); !strings.Contains(got, fmt.Sprintf("reminder %d-5, reminder %d-1", second, second)) {
		t.Errorf("notices %q", got)
	}
}

// TestTelecomContractNeedsTheInactivityDiscount: a contract under a telecom_rgc765 rule
// (named, or the default) without the inactivity discount, or with interest above 1% a
// month, is refused naming the field and the rule, and nothing is written.
func TestTelecomContractNeedsTheInactivityDiscount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.ladderRule(`{"name": "ISP", "profile": "telecom_rgc765"}`)
	plan := b.plan("93.00", "")
	customer := b.customer()
	for _, body := range []string{
		fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}, "blocking_rule_id": %d}`,
			customer, plan, rule),
	} {
		before := b.fullSnapshot()
		e := b.must(http.StatusUnprocessableEntity, "POST", "/v1/contracts", body).err(t)
		if e.Field != "inactivity_discount" || !strings.Contains(e.Message, "telecom_rgc765 (Anatel RGC, Resolução 765/2023") {
			t.Errorf("refusal %+v", e)
		}
		if b.fullSnapshot() != before {
			t.Error("a refused contract wrote to the database")
		}
	}
	// RGC 765/2023 art. 78 caps interest on arrears at 1% a month.
	before := b.fullSnapshot()
	e := b.must(http.StatusUnprocessableEntity, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d,
		"adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}, "blocking_rule_id": %d, "inactivity_discount": true,
		"monthly_interest_percent": "1.50"}`, customer, plan, rule)).err(t)
	if e.Field != "monthly_interest_percent" || !strings.Contains(e.Message, "art. 78") {
		t.Errorf("interest above 1%% a month under telecom: %+v", e)
	}
	if b.fullSnapshot() != before {
		t.Error("a refused contract wrote to the database")
	}
	b.ladderRule(`{"name": "ISP padrão", "profile": "telecom_rgc765", "default": true}`)
	e = b.must(http.StatusUnprocessableEntity, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d,
		"adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}}`, customer, plan)).err(t)
	if e.Field != "inactivity_discount" {
		t.Errorf("under a telecom default rule: %+v", e)
	}
}

// TestBlockingRuleProfilesFillTheDefaults: a rule names its profile and leaves settings
// out: the profile fills them (telecom: notice 5, suspension 15, termination 75; health:
// notice 10, suspension 10), and the days of before the ladder give the generic ladder
// they migrate to.
func TestBlockingRuleProfilesFillTheDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct{ body, want string }{
		{`{"name": "R", "profile": "telecom_rgc765"}`, "telecom_rgc765 [] 5 0 15 75 true 20 15"},
		{`{"name": "R", "profile": "health_9656", "reminder_days": [5, 1]}`, "health_9656 [5 1] 10 0 10 0 true 20 10"},
		{`{"name": "R"}`, "generic [] 7 0 3 0 false 10 3"},
		{`{"name": "R", "block_after_days": 20}`, "generic [] 0 0 20 0 false 20 0"},
		{`{"name": "R", "block_after_days": 10, "warning_days": 3, "termination_after_days": 60}`, "generic [] 7 0 3 60 false 10 3"},
	} {
		r := b.must(http.StatusCreated, "POST", "/v1/blocking-rules", tt.body).body
		got := fmt.Sprint(r["profile"], " ", r["reminder_days"], " ", r["notice_after_days"], " ", r["partial_suspension_after_days"], " ",
			r["suspension_after_days"], " ", r["termination_after_days"], " ", r["requires_sent_notice"], " ", r["block_after_days"], " ",
			r["warning_days"])
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.body, got, tt.want)
		}
	}
}

// TestProfileChecksFollowLaterChanges: what a profile refuses at a contract's creation is
// refused too when a later change would bring it about — a telecom_rgc765 rule made the
// default over contracts without the inactivity discount, a plan's interest raised above
// 1% a month for the telecom contracts that take it from the plan, a telecom contract's own
// interest raised — each a 422 naming the field and the rule, writing nothing.
func TestProfileChecksFollowLaterChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("93.00", "")
	rule := b.ladderRule(`{"name": "ISP", "profile": "telecom_rgc765"}`)
	dates := map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "anniversary"}}
	// Under the generic default rule, a contract without the inactivity discount.
	plain := b.contract(plan, dates).id(t)
	withRule := map[string]any{"blocking_rule_id": rule, "inactivity_discount": true}
	for k, v := range dates {
		withRule[k] = v
	}
	isp := b.contract(plan, withRule).id(t)

	for _, tt := range []struct {
		name, method, path, body, field string
		contains                        []string
	}{
		{"a telecom default over a contract without the inactivity discount", "POST", "/v1/blocking-rules",
			`{"name": "ISP padrão", "profile": "telecom_rgc765", "default": true}`, "default",
			[]string{"telecom_rgc765 (Anatel RGC, Resolução 765/2023): as the default rule", fmt.Sprintf("1 contract(s) without a rule of their own that it refuses (contract %d first)", plain), "the inactivity discount"}},
		{"the plan's interest above the cap of its telecom contracts", "PATCH", fmt.Sprintf("/v1/plans/%d", plan),
			`{"monthly_interest_percent": "1.50"}`, "monthly_interest_percent",
			[]string{fmt.Sprintf("1 contract(s) of the plan under a telecom_rgc765 rule (Anatel RGC, Resolução 765/2023) would charge more than 1.00%% a month (contract %d first)", isp)}},
		{"a telecom contract's own interest above the cap", "PATCH", fmt.Sprintf("/v1/contracts/%d", isp),
			`{"monthly_interest_percent": "2.00"}`, "monthly_interest_percent", []string{"art. 78", "at most 1.00% a month, got 2.00"}},
	} {
		before := b.fullSnapshot()
		e := b.must(http.StatusUnprocessableEntity, tt.method, tt.path, tt.body).err(t)
		if e.Field != tt.field {
			t.Errorf("%s: field %q, want %q (%s)", tt.name, e.Field, tt.field, e.Message)
		}
		for _, c := range tt.contains {
			if !strings.Contains(e.Message, c) {
				t.Errorf("%s: message %q lacks %q", tt.name, e.Message, c)
			}
		}
		if b.fullSnapshot() != before {
			t.Errorf("%s: the refused change wrote to the database", tt.name)
		}
	}
	// With interest of its own, the telecom contract no longer reads the plan's, and the
	// plan may charge more; a generic contract may too.
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/contracts/%d", isp), `{"monthly_interest_percent": "0.90"}`)
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/plans/%d", plan), `{"monthly_interest_percent": "1.50"}`)
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/contracts/%d", plain), `{"monthly_interest_percent": "3.00"}`)
}
