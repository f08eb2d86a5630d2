package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// block runs the block-delinquent sweep over every contract as of asOf, as River would on
// that date, and returns its counts.
func (b *bundle) block(asOf string) map[string]int64 {
	b.t.Helper()
	return b.blockOn(asOf, asOf)
}

// blockOn runs the block-delinquent sweep over every contract as of asOf on the business
// date today, and returns its counts.
func (b *bundle) blockOn(asOf, today string) map[string]int64 {
	b.t.Helper()
	day, err := billing.ParseDate(asOf)
	if err != nil {
		b.t.Fatal(err)
	}
	now, err := billing.ParseDate(today)
	if err != nil {
		b.t.Fatal(err)
	}
	sweep := postgres.BlockSweep{Today: func() time.Time { return now }, Location: saoPaulo}
	var got map[string]int64
	err = pgx.BeginFunc(context.Background(), b.pool, func(tx pgx.Tx) error {
		starts, err := sweep.Plan(context.Background(), tx, day, 1000)
		if err != nil || len(starts) == 0 {
			got = map[string]int64{}
			return err
		}
		got, err = sweep.Batch(context.Background(), tx, day, starts[0], math.MaxInt64)
		return err
	})
	if err != nil {
		b.t.Fatalf("block-delinquent as of %s on %s: %v", asOf, today, err)
	}
	return got
}

// workUnblocks works the queued unblock jobs as the daemon would on the given São Paulo
// date and time, and returns how many it worked.
func (b *bundle) workUnblocks(at string) int {
	b.t.Helper()
	now, err := time.ParseInLocation("2006-01-02 15:04", at, saoPaulo)
	if err != nil {
		b.t.Fatal(err)
	}
	rows, err := b.pool.Query(context.Background(),
		`DELETE FROM river.river_job WHERE kind = 'unblock_after_payment' RETURNING args`)
	if err != nil {
		b.t.Fatal(err)
	}
	args, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		b.t.Fatal(err)
	}
	r := &jobs.Runner{Pool: b.pool, Store: b.store, Location: saoPaulo, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	for _, raw := range args {
		var a jobs.UnblockArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			b.t.Fatal(err)
		}
		if _, err := r.Unblock(context.Background(), a); err != nil {
			b.t.Fatalf("unblock %+v: %v", a, err)
		}
	}
	return len(args)
}

// delinquent creates a contract priced 93.00 on the anniversary rule without business-day
// shift, activated on activation, on rule (0: the default), with the inactivity discount,
// and generates its installments.
func (b *bundle) delinquent(activation string, rule int64) int64 {
	b.t.Helper()
	extra := map[string]any{"adhesion_date": activation, "inactivity_discount": true,
		"due_date_rule": map[string]any{"kind": "anniversary", "shift": "none"}}
	if rule != 0 {
		extra["blocking_rule_id"] = rule
	}
	c := b.contract(b.plan("93.00", ""), extra).id(b.t)
	b.generate(activation)
	return c
}

// contractState summarises GET /v1/contracts/{id}: status, trust_unlock_until and each
// episode as "started..ended reason blocked_days".
func (b *bundle) contractState(id int64) string {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", id), nil)
	var c struct {
		Status   string  `json:"status"`
		Blocked  bool    `json:"blocked"`
		Trust    *string `json:"trust_unlock_until"`
		Episodes []struct {
			StartedOn   string  `json:"started_on"`
			EndedOn     *string `json:"ended_on"`
			EndReason   *string `json:"end_reason"`
			BlockedDays int     `json:"blocked_days"`
			Reblocks    int     `json:"reblocks"`
		} `json:"block_episodes"`
	}
	if err := json.Unmarshal(r.raw, &c); err != nil {
		b.t.Fatal(err)
	}
	s := c.Status
	if c.Trust != nil {
		s += " trust until " + *c.Trust
	}
	for _, e := range c.Episodes {
		end, why := "open", ""
		if e.EndedOn != nil {
			end, why = *e.EndedOn, " "+*e.EndReason
		}
		s += fmt.Sprintf("; %s..%s%s %dd", e.StartedOn, end, why, e.BlockedDays)
		if e.Reblocks > 0 {
			s += fmt.Sprintf(" reblocked %d", e.Reblocks)
		}
	}
	return s
}

// notices lists a contract's notices as "kind reference" in order.
func (b *bundle) notices(contract int64) string {
	b.t.Helper()
	var s string
	if err := b.pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(kind || ' ' || reference, ', ' ORDER BY id), '')
		FROM notices WHERE contract_id = $1`, contract).Scan(&s); err != nil {
		b.t.Fatal(err)
	}
	return s
}

// discountOf returns the discount of a contract's recurring installment of sequence seq.
func (b *bundle) discountOf(contract int64, seq int) string {
	b.t.Helper()
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments", contract), nil)
	for _, it := range r.items(b.t) {
		if it["kind"] == "recurring" && it["sequence"] == float64(seq) {
			return it["discount"].(string)
		}
	}
	b.t.Fatalf("no recurring installment %d of contract %d", seq, contract)
	return ""
}

// TestBlockDelinquentDatedScenario: a contract priced 93.00, due 2026-06-01, under a rule
// of 10 days with a warning 3 days before: warned on 06-08, blocked on 06-11, paid on
// 06-21 and unblocked that day, with 10 blocked June days (93.00 ÷ 30 × 10 = 31.00)
// discounted from the installment due 07-01. Reruns change nothing.
func TestBlockDelinquentDatedScenario(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rule := b.must(http.StatusCreated, "POST", "/v1/blocking-rules",
		`{"name": "ISP 10 dias", "block_after_days": 10, "warning_days": 3}`).id(t)
	c := b.delinquent("2026-06-01", rule)
	first := b.installmentID(c, "recurring", 1)

	steps := []struct {
		asOf    string
		counts  string
		state   string
		notices string
	}{
		{"2026-06-07", "map[]", "active", ""},
		{"2026-06-08", "map[contracts_warned:1]", "active", fmt.Sprintf("block_warning %d", first)},
		{"2026-06-10", "map[]", "active", fmt.Sprintf("block_warning %d", first)},
		{"2026-06-11", "map[contracts_blocked:1]", "blocked; 2026-06-11..open 39d", ""},
		{"2026-06-11", "map[]", "blocked; 2026-06-11..open 39d", ""},
		{"2026-06-15", "map[]", "blocked; 2026-06-11..open 39d", ""},
	}
	for _, st := range steps {
		before := b.fullSnapshot()
		if got := fmt.Sprint(b.block(st.asOf)); got != st.counts {
			t.Errorf("as of %s: counts %s, want %s", st.asOf, got, st.counts)
		}
		if got := b.contractState(c); got != st.state {
			t.Errorf("as of %s: contract %q, want %q", st.asOf, got, st.state)
		}
		if strings.HasSuffix(st.counts, "map[]") && b.fullSnapshot() != before {
			t.Errorf("as of %s: a run with nothing to do changed the database", st.asOf)
		}
	}
	var episode int64
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM block_episodes WHERE contract_id = $1", c).Scan(&episode); err != nil {
		t.Fatal(err)
	}
	if got, want := b.notices(c), fmt.Sprintf("block_warning %d, blocked %d", first, episode); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	// 93.00 and 20 days of interest at 1% a month (0.62), the default rule.
	if paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first),
		`{"amount": "93.62", "paid_at": "2026-06-21"}`); paid.body["state"] != "paid" {
		t.Fatalf("93.62 did not settle installment 1: %s", paid.raw)
	}
	if n := b.workUnblocks("2026-06-21 09:30"); n != 1 {
		t.Fatalf("%d unblock jobs, want 1", n)
	}
	if got, want := b.contractState(c), "active; 2026-06-11..2026-06-21 payment 10d"; got != want {
		t.Errorf("after payment: %q, want %q", got, want)
	}
	if got, want := b.notices(c), fmt.Sprintf("block_warning %d, blocked %d, unblocked %d", first, episode, episode); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	if got := b.discountOf(c, 2); got != "31.00" {
		t.Errorf("installment 2 discount %s, want 31.00", got)
	}
	var reason, amount string
	if err := b.pool.QueryRow(context.Background(), `SELECT reason, amount::text FROM installment_discounts
		WHERE installment_id = $1`, b.installmentID(c, "recurring", 2)).Scan(&reason, &amount); err != nil {
		t.Fatal(err)
	}
	if amount != "31.00" || !strings.Contains(reason, "10 days blocked") {
		t.Errorf("discount line %s %q", amount, reason)
	}
	// The discount is an inactivity_discount line of the installment, with its reason.
	wantLines := []string{"plan 93.00 × 1 at 93.00: plan, term 1 installment 2: service 2026-07-01 to 2026-07-31",
		"inactivity_discount -31.00: " + reason}
	if got := b.linesOf(c, "recurring", 2); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("lines of installment 2\n%q\nwant\n%q", got, wantLines)
	}
	// A second job for the same payment, and the sweep, change nothing.
	before := b.fullSnapshot()
	b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil)
	if n := b.workUnblocks("2026-06-22 10:00"); n != 0 {
		t.Errorf("%d unblock jobs after the contract was unblocked, want 0", n)
	}
	if got := fmt.Sprint(b.block("2026-06-21")); got != "map[]" {
		t.Errorf("sweep after the unblock: %s", got)
	}
	if b.fullSnapshot() != before {
		t.Error("rerun changed the database")
	}
	if n := count(t, b, `SELECT count(*) FROM contracts c WHERE status = 'blocked'`); n != 0 {
		t.Errorf("%d blocked contracts", n)
	}
}

// fullSnapshot is snapshot plus every delinquency row (notices, episodes, segments,
// discount lines), to prove a rerun or a refused request changed nothing.
func (b *bundle) fullSnapshot() string {
	b.t.Helper()
	out := b.snapshot()
	for _, q := range []string{
		"SELECT coalesce(string_agg(n::text, '|' ORDER BY id), '') FROM notices n",
		"SELECT coalesce(string_agg(e::text, '|' ORDER BY id), '') FROM block_episodes e",
		"SELECT coalesce(string_agg(s::text, '|' ORDER BY episode_id, blocked_from), '') FROM block_segments s",
		"SELECT coalesce(string_agg(d::text, '|' ORDER BY id), '') FROM installment_discounts d",
		"SELECT coalesce(string_agg(r::text, '|' ORDER BY id), '') FROM blocking_rules r",
	} {
		var s string
		if err := b.pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			b.t.Fatalf("%s: %v", q, err)
		}
		out += "\n" + s
	}
	return out
}

func count(t *testing.T, b *bundle, sql string) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnblockJudgedByPaymentDate: blocked on 2026-06-11 for the installment due 06-01;
// by 07-11 the installment due 07-01 is past the rule too. The payment of the first
// installment is judged as of its own date, whenever it is recorded.
func TestUnblockJudgedByPaymentDate(t *testing.T) {
	t.Parallel()
	// The amounts: 93.00 and 1% a month of interest, 1/30 of it a day from 06-02: 9 days to
	// 06-10 (0.28), 43 days to 07-14 (1.33).
	tests := []struct {
		name, amount, paidAt, workedAt, state, discount2, discount3 string
	}{
		{"dated before the block, recorded two days late", "93.28", "2026-06-10", "2026-06-13 08:00",
			"active; 2026-06-11..2026-06-13 payment 2d", "6.20", "0.00"},
		{"dated before the block, recorded a month late", "93.28", "2026-06-10", "2026-07-15 08:00",
			"active; 2026-06-11..2026-07-15 payment 34d", "0.00", "93.00"},
		{"dated after the second installment's block date", "94.33", "2026-07-14", "2026-07-15 08:00",
			"blocked; 2026-06-11..open 39d", "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c := b.delinquent("2026-06-01", 0) // the default rule: 10 days, warned 3 before
			b.block("2026-06-11")
			b.block("2026-07-11")
			paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
				fmt.Sprintf(`{"amount": %q, "paid_at": %q}`, tt.amount, tt.paidAt))
			if paid.body["state"] != "paid" {
				t.Fatalf("%s on %s did not settle installment 1: %s", tt.amount, tt.paidAt, paid.raw)
			}
			b.workUnblocks(tt.workedAt)
			if got := b.contractState(c); got != tt.state {
				t.Errorf("contract %q, want %q", got, tt.state)
			}
			// Recorded a month late: 20 June days + 14 July days blocked, 93.00 ÷ 30 × 20 +
			// 93.00 ÷ 31 × 14 = 104.00, capped at the 93.00 of the next installment due on or
			// after the unblock (2026-08-01; the one due 07-01 is still open and overdue).
			if got := b.discountOf(c, 2); got != tt.discount2 {
				t.Errorf("installment 2 discount %s, want %s", got, tt.discount2)
			}
			if got := b.discountOf(c, 3); got != tt.discount3 {
				t.Errorf("installment 3 discount %s, want %s", got, tt.discount3)
			}
		})
	}
}

// TestTrustUnlock: blocked on 2026-07-11, trust-unlocked on 07-20 (today) for 3 days:
// served through 07-23 (today + 3), blocked again as of 07-24 while unpaid; a second unlock
// in the same episode is refused. Paid on 07-20 and worked on 07-25: the 9 blocked days
// before the unlock and the 1 after it (93.00 ÷ 31 × 10 = 30.00) are discounted, the
// trust-unlocked days are not.
func TestTrustUnlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.delinquent("2026-07-01", 0)
	b.block("2026-07-11")
	path := fmt.Sprintf("/v1/contracts/%d/trust-unlock", c)
	for body, field := range map[string]string{`{"days": 8}`: "days", `{"days": 0}`: "days"} {
		before := b.fullSnapshot()
		if e := b.must(http.StatusUnprocessableEntity, "POST", path, body).err(t); e.Field != field {
			t.Errorf("%s: field %q, want %q", body, e.Field, field)
		}
		if b.fullSnapshot() != before {
			t.Errorf("%s: a refused trust unlock wrote to the database", body)
		}
	}
	r := b.must(http.StatusOK, "POST", path, `{"days": 3}`)
	if r.body["status"] != "active" || r.body["trust_unlock_until"] != "2026-07-23" || r.body["blocked"] != false {
		t.Fatalf("trust unlock answered %s", r.raw)
	}
	if e := b.must(http.StatusConflict, "POST", path, `{"days": 3}`).err(t); !strings.Contains(e.Message, "only a blocked (or partially suspended) contract") {
		t.Errorf("unlock of an unlocked contract: %q", e.Message)
	}
	for _, day := range []string{"2026-07-20", "2026-07-22", "2026-07-23"} {
		if got := fmt.Sprint(b.block(day)); got != "map[]" {
			t.Errorf("as of %s, during the trust unlock: %s", day, got)
		}
	}
	if got, want := b.contractState(c), "active trust until 2026-07-23; 2026-07-11..open 9d"; got != want {
		t.Errorf("during trust: %q, want %q", got, want)
	}
	if got := fmt.Sprint(b.block("2026-07-24")); got != "map[contracts_reblocked:1]" {
		t.Errorf("the day after the trust unlock: %s", got)
	}
	if got := fmt.Sprint(b.block("2026-07-24")); got != "map[]" {
		t.Errorf("rerun: %s", got)
	}
	if got, want := b.contractState(c), "blocked; 2026-07-11..open 9d reblocked 1"; got != want {
		t.Errorf("re-blocked: %q, want %q", got, want)
	}
	before := b.fullSnapshot()
	e := b.must(http.StatusConflict, "POST", path, `{"days": 1}`).err(t)
	if !strings.Contains(e.Message, "already had 1 trust unlock") || e.Field != "id" {
		t.Errorf("second unlock in the episode: %+v", e)
	}
	if b.fullSnapshot() != before {
		t.Error("a refused trust unlock wrote to the database")
	}
	var episode int64
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM block_episodes WHERE contract_id = $1", c).Scan(&episode); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("blocked %d, unblocked %d-trust-1, blocked %d-reblock-1", episode, episode, episode)
	if got := b.notices(c); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	// 93.00 and 19 days of interest at 1% a month (0.59).
	if paid := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "93.59", "paid_at": "2026-07-20"}`); paid.body["state"] != "paid" {
		t.Fatalf("93.59 did not settle installment 1: %s", paid.raw)
	}
	b.workUnblocks("2026-07-25 10:00")
	if got, want := b.contractState(c), "active; 2026-07-11..2026-07-25 payment 10d reblocked 1"; got != want {
		t.Errorf("paid: %q, want %q", got, want)
	}
	if got := b.discountOf(c, 2); got != "30.00" {
		t.Errorf("installment 2 discount %s, want 30.00", got)
	}
}

// TestDelinquencyBadInput: bad rules and contracts are refused naming the field, writing nothing.
func TestDelinquencyBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	monthly := b.plan("93.00", "")
	quarterly := b.must(http.StatusCreated, "POST", "/v1/plans",
		`{"name": "Trimestral", "price": "270.00", "period": "quarterly", "installments_per_term": 4}`).id(t)
	customer := b.customer()
	tests := []struct {
		name, path, body, field string
		status                  int
	}{
		{"warning not before the block", "/v1/blocking-rules", `{"name": "R", "block_after_days": 5, "warning_days": 5}`, "warning_days", 422},
		{"no block date", "/v1/blocking-rules", `{"name": "R", "warning_days": 3}`, "block_after_days", 422},
		{"unknown profile", "/v1/blocking-rules", `{"name": "R", "profile": "isp"}`, "profile", 422},
		{"days of before the ladder under telecom", "/v1/blocking-rules", `{"name": "R", "profile": "telecom_rgc765", "block_after_days": 20}`, "profile", 422},
		{"both ways of giving the days", "/v1/blocking-rules", `{"name": "R", "block_after_days": 20, "suspension_after_days": 3}`, "suspension_after_days", 422},
		{"telecom suspension 14 days after the notice", "/v1/blocking-rules", `{"name": "R", "profile": "telecom_rgc765", "suspension_after_days": 14}`, "suspension_after_days", 422},
		{"telecom without a notice", "/v1/blocking-rules", `{"name": "R", "profile": "telecom_rgc765", "notice_after_days": 0}`, "notice_after_days", 422},
		{"telecom termination 59 days after the suspension", "/v1/blocking-rules", `{"name": "R", "profile": "telecom_rgc765", "termination_after_days": 74}`, "termination_after_days", 422},
		{"health notice after the 50th day", "/v1/blocking-rules", `{"name": "R", "profile": "health_9656", "notice_after_days": 51}`, "notice_after_days", 422},
		{"health partial suspension", "/v1/blocking-rules", `{"name": "R", "profile": "health_9656", "partial_suspension_after_days": 5, "suspension_after_days": 20}`, "partial_suspension_after_days", 422},
		{"reminders smallest first", "/v1/blocking-rules", `{"name": "R", "reminder_days": [1, 5]}`, "reminder_days", 422},
		{"partial after the suspension", "/v1/blocking-rules", `{"name": "R", "partial_suspension_after_days": 9, "suspension_after_days": 3}`, "partial_suspension_after_days", 422},
		{"zero installments", "/v1/blocking-rules", `{"name": "R", "block_after_days": 5, "min_overdue_installments": 0}`, "min_overdue_installments", 422},
		{"no name", "/v1/blocking-rules", `{"block_after_days": 5}`, "name", 422},
		{"unknown field", "/v1/blocking-rules", `{"name": "R", "block_after_days": 5, "speed_cut": 50}`, "speed_cut", 400},
		{"unknown rule", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01",
			"due_date_rule": {"kind": "anniversary"}, "blocking_rule_id": 999}`, customer, monthly), "blocking_rule_id", 422},
		{"rule id zero", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": "2026-07-01",
			"due_date_rule": {"kind": "anniversary"}, "blocking_rule_id": 0}`, customer, monthly), "blocking_rule_id", 422},
		{"inactivity discount on a quarterly plan", "/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d,
			"adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}, "inactivity_discount": true}`, customer, quarterly),
			"inactivity_discount", 422},
		{"trust unlock of an unknown contract", "/v1/contracts/999/trust-unlock", `{"days": 1}`, "id", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := b.with(t)
			before := b.fullSnapshot()
			if e := b.must(tt.status, "POST", tt.path, tt.body).err(t); e.Field != tt.field {
				t.Errorf("field %q, want %q (%s)", e.Field, tt.field, e.Message)
			}
			if b.fullSnapshot() != before {
				t.Error("a refused request wrote to the database")
			}
		})
	}
	// The default rule is listed; a new default replaces it.
	r := b.must(http.StatusCreated, "POST", "/v1/blocking-rules", `{"name": "Strict", "block_after_days": 3, "default": true}`)
	items := b.must(http.StatusOK, "GET", "/v1/blocking-rules", nil).items(t)
	if len(items) != 2 || items[0]["default"] != false || items[0]["block_after_days"] != 10.0 || items[1]["default"] != true {
		t.Errorf("rules %v", items)
	}
	got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/blocking-rules/%d", r.id(t)), nil)
	if got.body["name"] != "Strict" || got.body["min_overdue_installments"] != 1.0 || got.body["warning_days"] != 0.0 {
		t.Errorf("rule %s", got.raw)
	}
}

// TestCancelEndsBlockEpisode: cancelling a blocked contract ends its episode on the
// cancellation date (reason "cancelled", no inactivity discount, no unblocked notice), and the
// sweep leaves the cancelled contract alone.
func TestCancelEndsBlockEpisode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.delinquent("2026-07-01", 0)
	b.block("2026-07-11")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/cancel", c), `{"date": "2026-07-15", "reason_code": "other"}`)
	if got, want := b.contractState(c), "cancelled; 2026-07-11..2026-07-15 cancelled 4d"; got != want {
		t.Errorf("after cancelling: %q, want %q", got, want)
	}
	if got := fmt.Sprint(b.block("2026-07-16")); got != "map[]" {
		t.Errorf("sweep after cancelling: %s", got)
	}
	var episode int64
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM block_episodes WHERE contract_id = $1", c).Scan(&episode); err != nil {
		t.Fatal(err)
	}
	if got, want := b.notices(c), fmt.Sprintf("blocked %d", episode); got != want {
		t.Errorf("notices %q, want %q", got, want)
	}
	if n := count(t, b, fmt.Sprintf("SELECT count(*) FROM installment_discounts WHERE contract_id = %d", c)); n != 0 {
		t.Errorf("%d inactivity discounts for a cancelled contract", n)
	}
}

// TestPrepaidBlockThroughTheSweep runs block-delinquent over seed 004's prepaid contract
// (day 15, activated and paid on 2026-06-01, paid_through 2026-07-31) under the default
// rule (10 days, warned 3 before): the unpaid July installment (due 2026-07-15) does not
// block it on 2026-07-25 as the days would, but the day after paid_through, 2026-08-01,
// warned on 2026-07-29.
func TestPrepaidBlockThroughTheSweep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("150.00", ""), map[string]any{"adhesion_date": "2026-06-01",
		"due_date_rule": map[string]any{"kind": "prepaid_fixed_day", "day": 15}}).id(t)
	b.generate("2026-07-20")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "150.00", "paid_at": "2026-06-01"}`)
	july := b.installmentID(c, "recurring", 2)
	steps := []struct{ asOf, counts, status, notices string }{
		{"2026-07-25", "map[]", "active", ""},
		{"2026-07-28", "map[]", "active", ""},
		{"2026-07-29", "map[contracts_warned:1]", "active", fmt.Sprintf("block_warning %d", july)},
		{"2026-07-31", "map[]", "active", fmt.Sprintf("block_warning %d", july)},
		{"2026-08-01", "map[contracts_blocked:1]", "blocked", fmt.Sprintf("block_warning %d, blocked ", july)},
		{"2026-08-01", "map[]", "blocked", fmt.Sprintf("block_warning %d, blocked ", july)},
	}
	for _, st := range steps {
		if got := fmt.Sprint(b.block(st.asOf)); got != st.counts {
			t.Errorf("as of %s: counts %s, want %s", st.asOf, got, st.counts)
		}
		if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["status"]; got != st.status {
			t.Errorf("as of %s: status %v, want %s", st.asOf, got, st.status)
		}
		if got := b.notices(c); !strings.HasPrefix(got, st.notices) || (st.notices == "" && got != "") {
			t.Errorf("as of %s: notices %q, want %q…", st.asOf, got, st.notices)
		}
	}
	var started, reason string
	if err := b.pool.QueryRow(context.Background(), `SELECT started_on::text, reason FROM block_episodes
		WHERE contract_id = $1 AND installment_id = $2`, c, july).Scan(&started, &reason); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("service paid through 2026-07-31 ran out and installment %d due 2026-07-15 is unpaid", july)
	if started != "2026-08-01" || reason != want {
		t.Errorf("episode started %s, reason %q; want 2026-08-01, %q", started, reason, want)
	}
}

// TestFutureDatedBlockIsUndoneByTodaysRun: under the default rule (blocked 10 days after
// the due date), A is due 2026-07-15 (blocked on 07-25), B 2026-07-01 (07-11) and C
// 2026-07-05 (07-15). The run as of 07-11 blocks B. On 2026-07-20 an operator runs
// block-delinquent as of 2027-07-20 (a typo in the year, forced): A and C are blocked
// from 2027-07-20. The next run as of today, 2026-07-20, is level-triggered: A, not
// delinquent as of today, is unblocked (the episode closes on the day it started, 0 days,
// no inactivity discount); C, delinquent since 07-15, stays blocked but from 07-20, the
// date of the run that found it so; B keeps its block of 07-11. A rerun for 07-15 on 07-20
// changes nothing, and A is blocked when its day comes, on 07-25.
func TestFutureDatedBlockIsUndoneByTodaysRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.delinquent("2026-07-15", 0)
	bb := b.delinquent("2026-07-01", 0)
	c := b.delinquent("2026-07-05", 0)
	steps := []struct {
		asOf, today, counts string
		a, b, c             string
	}{
		{"2026-07-11", "2026-07-11", "map[contracts_blocked:1]",
			"active", "blocked; 2026-07-11..open 9d", "active"},
		{"2027-07-20", "2026-07-20", "map[contracts_blocked:2]",
			"blocked; 2027-07-20..open 0d", "blocked; 2026-07-11..open 9d", "blocked; 2027-07-20..open 0d"},
		{"2026-07-20", "2026-07-20", "map[blocks_restarted:1 contracts_unblocked:1]",
			"active; 2027-07-20..2027-07-20 rule 0d", "blocked; 2026-07-11..open 9d", "blocked; 2026-07-20..open 0d"},
		{"2026-07-20", "2026-07-20", "map[]",
			"active; 2027-07-20..2027-07-20 rule 0d", "blocked; 2026-07-11..open 9d", "blocked; 2026-07-20..open 0d"},
		{"2026-07-15", "2026-07-20", "map[]",
			"active; 2027-07-20..2027-07-20 rule 0d", "blocked; 2026-07-11..open 9d", "blocked; 2026-07-20..open 0d"},
		{"2026-07-25", "2026-07-25", "map[contracts_blocked:1]",
			"blocked; 2027-07-20..2027-07-20 rule 0d; 2026-07-25..open 0d", "blocked; 2026-07-11..open 9d", "blocked; 2026-07-20..open 0d"},
	}
	for _, st := range steps {
		before := b.fullSnapshot()
		if got := fmt.Sprint(b.blockOn(st.asOf, st.today)); got != st.counts {
			t.Errorf("as of %s on %s: counts %s, want %s", st.asOf, st.today, got, st.counts)
		}
		for _, x := range []struct {
			id   int64
			name string
			want string
		}{{a, "A", st.a}, {bb, "B", st.b}, {c, "C", st.c}} {
			if got := b.contractState(x.id); got != x.want {
				t.Errorf("as of %s on %s: %s %q, want %q", st.asOf, st.today, x.name, got, x.want)
			}
		}
		if st.counts == "map[]" && b.fullSnapshot() != before {
			t.Errorf("as of %s on %s: a run with nothing to do changed the database", st.asOf, st.today)
		}
	}
	var first int64
	if err := b.pool.QueryRow(context.Background(), "SELECT min(id) FROM block_episodes WHERE contract_id = $1", a).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if got := b.notices(a); !strings.HasPrefix(got, fmt.Sprintf("blocked %d, unblocked %d, ", first, first)) {
		t.Errorf("A's notices %q, want blocked and unblocked for episode %d, then the new block", got, first)
	}
	if n := count(t, b, fmt.Sprintf("SELECT count(*) FROM installment_discounts WHERE contract_id = %d", a)); n != 0 {
		t.Errorf("%d inactivity discount lines for a block of 0 days", n)
	}
}

// TestHolidayMovesTheBlockDate: an installment due Friday 2026-07-10 (shift next) under the
// default rule is blocked on 07-20. Making 07-10 a holiday moves it to Monday 07-13, and
// the block date and its warning follow: warned (not blocked) as of 07-20, blocked as of
// 07-23.
func TestHolidayMovesTheBlockDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("93.00", ""), map[string]any{"adhesion_date": "2026-07-10",
		"due_date_rule": map[string]any{"kind": "anniversary", "shift": "next"}}).id(t)
	b.generate("2026-07-10")
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-07-10", "name": "Feriado"}`)
	if got := b.installments(c)[0]; got != "recurring 1 2026-07-13 93.00 open" {
		t.Fatalf("installment 1 %q, want due 2026-07-13", got)
	}
	for _, st := range []struct{ asOf, counts string }{
		{"2026-07-20", "map[contracts_warned:1]"},
		{"2026-07-22", "map[]"}, // the debt notice is recorded once; the contract stays at its step
		{"2026-07-23", "map[contracts_blocked:1]"},
	} {
		if got := fmt.Sprint(b.block(st.asOf)); got != st.counts {
			t.Errorf("as of %s: %s, want %s", st.asOf, got, st.counts)
		}
	}
	var started string
	if err := b.pool.QueryRow(context.Background(), "SELECT started_on::text FROM block_episodes WHERE contract_id = $1", c).Scan(&started); err != nil || started != "2026-07-23" {
		t.Errorf("block started %s %v, want 2026-07-23", started, err)
	}
}
