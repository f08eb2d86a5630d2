package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/internal/daemontest"
	"github.com/billingd/billingd/internal/smtptest"
)

// ladderE2E is one end-to-end collection scenario: a daemon on its own database, whose
// clock the test sets (daemontest.SetClock), delivering to a real SMTP server on loopback.
type ladderE2E struct {
	t     *testing.T
	pool  *pgxpool.Pool
	sink  *smtptest.Server
	clock string
	env   []string
	d     *daemon
}

// saoPauloTime parses a São Paulo date and time "2006-01-02 15:04".
func saoPauloTime(t *testing.T, s string) time.Time {
	t.Helper()
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, sp)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// startLadder starts the daemon with its clock at now (São Paulo), SMTP on loopback and
// every scheduled job off: the test runs each job with `billingd run`.
func startLadder(t *testing.T, now string) *ladderE2E {
	t.Helper()
	url, pool := migratedDB(t)
	e := &ladderE2E{t: t, pool: pool, sink: smtptest.Start(t), clock: filepath.Join(t.TempDir(), "now")}
	daemontest.SetClock(t, e.clock, saoPauloTime(t, now))
	e.env = baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_SMTP_URL="+e.sink.URL(),
		"BILLINGD_SMTP_FROM=Cobrança <cobranca@billingd.test>", daemontest.ClockEnv+"="+e.clock)
	e.d = startDaemon(t, e.env)
	return e
}

// at sets the clock of the daemon and of the commands to the São Paulo time now.
func (e *ladderE2E) at(now string) {
	e.t.Helper()
	daemontest.SetClock(e.t, e.clock, saoPauloTime(e.t, now))
}

// run runs `billingd run job --as-of asOf --wait` and checks its counts.
func (e *ladderE2E) run(job, asOf, want string) {
	e.t.Helper()
	code, stdout, stderr := cli(e.t, e.env, "run", job, "--as-of", asOf, "--wait")
	m := runLine.FindStringSubmatch(stdout)
	if code != 0 || m == nil || m[2] != "succeeded" || m[3] != want {
		e.t.Fatalf("run %s --as-of %s: exit %d, want counts %s\nstdout %s\nstderr %s", job, asOf, code, want, stdout, stderr)
	}
}

// create posts a JSON body and returns the id created.
func (e *ladderE2E) create(path, body string) int64 {
	e.t.Helper()
	var created struct {
		ID int64 `json:"id"`
	}
	if code := e.d.send("POST", path, body, &created); code != 201 {
		e.t.Fatalf("POST %s: %d", path, code)
	}
	return created.ID
}

// contract creates a customer and a contract of 93.00 a month on rule, due on the
// activation day (adhesion) each month with no business-day shift.
func (e *ladderE2E) contract(plan, rule int64, adhesion string) int64 {
	e.t.Helper()
	cust := e.create("/v1/customers", `{"name": "Ana Souza", "email": "ana@example.com"}`)
	return e.create("/v1/contracts", fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": %q,
		"due_date_rule": {"kind": "anniversary", "shift": "none"}, "blocking_rule_id": %d, "inactivity_discount": true}`, cust, plan, adhesion, rule))
}

// ladder returns the contract's status and its ladder position's step, next step and date.
func (e *ladderE2E) ladder(id int64) string {
	e.t.Helper()
	var c struct {
		Status    string  `json:"status"`
		EndReason *string `json:"end_reason"`
		Ladder    struct {
			Step   string  `json:"step"`
			Next   *string `json:"next_step"`
			NextOn *string `json:"next_step_on"`
		} `json:"ladder"`
	}
	e.d.get(fmt.Sprintf("/v1/contracts/%d", id), &c)
	s := c.Status + " " + c.Ladder.Step
	if c.EndReason != nil {
		s += " (" + *c.EndReason + ")"
	}
	if c.Ladder.Next != nil {
		s += " next " + *c.Ladder.Next
		if c.Ladder.NextOn != nil {
			s += " on " + *c.Ladder.NextOn
		} else {
			s += " waiting"
		}
	}
	return s
}

// wake makes the snoozed and retrying deliveries run now: River schedules them in real
// time, the test's clock has moved on to when they were waiting for.
func (e *ladderE2E) wake() {
	e.t.Helper()
	if _, err := e.pool.Exec(e.t.Context(), `UPDATE river.river_job SET scheduled_at = now(), state = 'available'
		WHERE kind = 'deliver_notice' AND state IN ('scheduled', 'retryable')`); err != nil {
		e.t.Fatal(err)
	}
}

// mail waits for the n-th e-mail and for its notice to be recorded as sent (the server
// holds the message a moment before the daemon commits that it was accepted, and the
// ladder's next step counts from that record), and returns its subject and body (the plain
// text part, or the raw message when it is not multipart).
func (e *ladderE2E) mail(n int) (string, string) {
	e.t.Helper()
	waitFor(e.t, 30*time.Second, fmt.Sprintf("e-mail %d", n), func() bool { return e.sink.Count() >= n })
	waitFor(e.t, 30*time.Second, fmt.Sprintf("e-mail %d recorded as sent", n), func() bool {
		return count(e.t, e.pool, "SELECT count(*) FROM notices WHERE state = 'sent'") >= n
	})
	m := e.sink.Messages()[n-1]
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		e.t.Fatal(err)
	}
	return subject, decodedBody(e.t, m.Raw)
}

// held waits until a delivery is snoozed (held back by the dunning window, or retrying)
// and checks that nothing more was sent.
func (e *ladderE2E) held(sent int) {
	e.t.Helper()
	waitFor(e.t, 30*time.Second, "a delivery held back", func() bool {
		return count(e.t, e.pool, `SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state IN ('scheduled', 'retryable')`) > 0
	})
	if got := e.sink.Count(); got != sent {
		e.t.Fatalf("%d e-mails sent, want %d", got, sent)
	}
}

// has checks that text says each of wants.
func has(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestCollectionLadderEndToEnd runs a dated scenario per compliance profile through the
// API and `billingd run block-delinquent --as-of D`, the daemon delivering to a real SMTP
// server on loopback, its clock set by the test (issue 15, "Must show").
func TestCollectionLadderEndToEnd(t *testing.T) {
	t.Parallel()
	t.Run("telecom_rgc765", testTelecomEndToEnd)
	t.Run("telecom_rgc765 with SMTP down", testSMTPDownEndToEnd)
	t.Run("generic", testGenericEndToEnd)
	t.Run("health_9656", testHealthEndToEnd)
}

// testTelecomEndToEnd: due 2026-03-10; the debt notice is recorded on Sunday 03-15 and
// held by the dunning window until Monday, when it goes out stating R$ 93,19 and the
// suspension on 31/03/2026; the contract is suspended on 03-31 and terminated on 05-30. A
// contract first seen on 19 April, 40 days late, gets its notice, not a suspension: sent
// on Monday 20 April, its suspension comes on 5 May.
func testTelecomEndToEnd(t *testing.T) {
	t.Parallel()
	e := startLadder(t, "2026-03-14 10:00")
	rule := e.create("/v1/blocking-rules", `{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)
	plan := e.create("/v1/plans", `{"name": "Fibra 300", "price": "93.00", "period": "monthly", "installments_per_term": 12}`)
	a := e.contract(plan, rule, "2026-03-10")
	e.run("generate-installments", "2026-03-10", `{"contracts":1,"installments_created":12}`)
	e.run("block-delinquent", "2026-03-14", `{}`)
	if got := e.ladder(a); got != "active overdue next debt_notice on 2026-03-15" {
		t.Errorf("on 03-14: %s", got)
	}
	e.at("2026-03-15 10:00")
	e.run("block-delinquent", "2026-03-15", `{"contracts_warned":1}`)
	e.held(0) // Sunday: no collection e-mail
	if got := e.ladder(a); got != "active debt_notice next suspension waiting" {
		t.Errorf("the notice unsent: %s", got)
	}
	e.at("2026-03-16 09:30")
	e.wake()
	subject, text := e.mail(1)
	if subject != fmt.Sprintf("Aviso de débito: contrato nº %d, R$ 93,19 em aberto", a) {
		t.Errorf("debt notice subject %q", subject)
	}
	has(t, "the debt notice", text, "Total em aberto: R$ 93,19", "suspenso a partir de 31/03/2026", "rescindido a partir de 30/05/2026")
	if got := e.ladder(a); got != "active debt_notice next suspension on 2026-03-31" {
		t.Errorf("the notice sent on 03-16: %s", got)
	}
	e.at("2026-03-30 10:00")
	e.run("block-delinquent", "2026-03-30", `{}`)
	e.at("2026-03-31 10:00")
	e.run("block-delinquent", "2026-03-31", `{"contracts_blocked":1}`)
	_, text = e.mail(2)
	has(t, "the suspension's e-mail", text, "foi suspenso por falta de pagamento em 31/03/2026", "Total em aberto: R$ 93,65")
	if got := e.ladder(a); got != "blocked suspension next termination on 2026-05-30" {
		t.Errorf("suspended: %s", got)
	}

	// First seen 40 days late.
	e.at("2026-04-19 10:00") // a Sunday
	b := e.contract(plan, rule, "2026-03-10")
	e.run("generate-installments", "2026-04-19", `{"contracts":1,"installments_created":12}`)
	e.run("block-delinquent", "2026-04-19", `{"contracts_warned":1}`)
	if got := e.ladder(b); got != "active debt_notice next suspension waiting" {
		t.Errorf("first seen 40 days late: %s", got)
	}
	e.held(2)
	e.at("2026-04-20 09:00")
	e.wake()
	_, text = e.mail(3)
	has(t, "the late contract's debt notice", text, "suspenso a partir de 05/05/2026")
	e.at("2026-05-04 10:00")
	e.run("block-delinquent", "2026-05-04", `{}`)
	e.at("2026-05-05 10:00")
	e.run("block-delinquent", "2026-05-05", `{"contracts_blocked":1}`)
	e.mail(4)

	// Termination: 75 days after the notice, 60 after the suspension.
	e.at("2026-05-29 10:00")
	e.run("block-delinquent", "2026-05-29", `{}`)
	e.at("2026-05-30 10:00") // a Saturday: the termination's e-mail waits for Monday
	e.run("block-delinquent", "2026-05-30", `{"contracts_terminated":1,"discounts_attached":1}`)
	if got := e.ladder(a); got != "finished termination (terminated)" {
		t.Errorf("terminated: %s", got)
	}
	// Suspended 2026-03-31 to 05-29, 60 days: 1 of March's 31 (93.00 ÷ 31 = 3.00), April's 30
	// (93.00) and 29 of May's 31 (87.00) = 183.00, capped at the 93.00 of the last
	// installment still owed, due 05-10 (those due after 05-30 are cancelled).
	var discount string
	if err := e.pool.QueryRow(t.Context(), `SELECT string_agg(format('%s days %s, %s on %s', d.blocked_days, d.computed, d.amount, i.due_date), '; ')
		FROM installment_discounts d JOIN installments i ON i.id = d.installment_id WHERE d.contract_id = $1`, a).Scan(&discount); err != nil {
		t.Fatal(err)
	}
	if want := "60 days 183.00, 93.00 on 2026-05-10"; discount != want {
		t.Errorf("inactivity discount of the terminated contract: %q, want %q", discount, want)
	}
	e.held(4)
	e.at("2026-06-01 09:00")
	e.wake()
	subject, text = e.mail(5)
	has(t, "the termination's e-mail", subject+"\n"+text, "rescindido por falta de pagamento", "continuam devidos")
	var list struct {
		Items []struct {
			ContractID int64 `json:"contract_id"`
		} `json:"items"`
	}
	e.d.get("/v1/collections?step=termination", &list)
	if len(list.Items) != 1 || list.Items[0].ContractID != a {
		t.Errorf("collections at termination: %+v", list.Items)
	}
	metrics := metricsText(t, e.d)
	for _, want := range []string{
		`billingd_collection_contracts{step="termination"} 1`,
		`billingd_collection_contracts{step="suspension"} 1`,
		`billingd_collection_transitions_total{transition="debt_notice"} 2`,
		`billingd_collection_transitions_total{transition="suspension"} 2`,
		`billingd_collection_transitions_total{transition="termination"} 1`,
		`billingd_notices_held_total{kind="block_warning"} 2`,
		`billingd_collection_notices_unsent_past_step 0`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := e.d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}

// testSMTPDownEndToEnd: due Wednesday 2026-03-11, the telecom debt notice is due on Monday
// 03-16 but the SMTP server is down: nothing is suspended on 03-31 (15 days after the day
// it was due), /metrics counts the notice stuck unsent past the step's date, and the dates
// move: sent on 04-02 when the server is back, the notice states the suspension on
// 17/04/2026, and it comes then.
func testSMTPDownEndToEnd(t *testing.T) {
	t.Parallel()
	e := startLadder(t, "2026-03-16 10:00")
	rule := e.create("/v1/blocking-rules", `{"name": "ISP (RGC 765)", "profile": "telecom_rgc765"}`)
	plan := e.create("/v1/plans", `{"name": "Fibra 300", "price": "93.00", "period": "monthly", "installments_per_term": 12}`)
	c := e.contract(plan, rule, "2026-03-11")
	e.run("generate-installments", "2026-03-11", `{"contracts":1,"installments_created":12}`)
	e.sink.Down()
	e.run("block-delinquent", "2026-03-16", `{"contracts_warned":1}`)
	e.held(0)
	e.at("2026-03-31 10:00")
	e.run("block-delinquent", "2026-03-31", `{}`)
	if got := e.ladder(c); got != "active debt_notice next suspension waiting" {
		t.Errorf("the notice unsent on 03-31: %s", got)
	}
	if metrics := metricsText(t, e.d); !strings.Contains(metrics, "billingd_collection_notices_unsent_past_step 1\n") {
		t.Error("/metrics does not count the notice stuck unsent")
	}
	e.at("2026-04-02 09:00")
	e.sink.Up()
	e.wake()
	_, text := e.mail(1)
	has(t, "the debt notice sent late", text, "Valores em aberto em 02/04/2026", "suspenso a partir de 17/04/2026")
	e.at("2026-04-16 10:00")
	e.run("block-delinquent", "2026-04-16", `{}`)
	e.at("2026-04-17 10:00")
	e.run("block-delinquent", "2026-04-17", `{"contracts_blocked":1}`)
}

// testGenericEndToEnd: under a rule of before the ladder (blocked 10 days after the due
// date, warned 3 days before: the generic ladder it migrates to), dates never move: with
// the SMTP server down on the warning's day, the contract is still suspended on its block
// date, as billingd always did.
func testGenericEndToEnd(t *testing.T) {
	t.Parallel()
	e := startLadder(t, "2026-03-17 10:00")
	rule := e.create("/v1/blocking-rules", `{"name": "ISP 10 dias", "block_after_days": 10, "warning_days": 3}`)
	plan := e.create("/v1/plans", `{"name": "Fibra 300", "price": "93.00", "period": "monthly", "installments_per_term": 12}`)
	c := e.contract(plan, rule, "2026-03-10")
	e.run("generate-installments", "2026-03-10", `{"contracts":1,"installments_created":12}`)
	e.sink.Down()
	e.run("block-delinquent", "2026-03-16", `{}`)
	e.run("block-delinquent", "2026-03-17", `{"contracts_warned":1}`)
	e.at("2026-03-20 10:00")
	e.run("block-delinquent", "2026-03-20", `{"contracts_blocked":1}`)
	if got := e.ladder(c); got != "blocked suspension" {
		t.Errorf("generic, the warning unsent: %s", got)
	}
	e.sink.Up()
	e.wake()
	_, first := e.mail(1)
	_, second := e.mail(2)
	has(t, "the e-mails sent once the server is back", first+second, "foi suspenso por falta de pagamento em 20/03/2026")
}

// testHealthEndToEnd: under Lei 9.656/98 (health_9656), January's installment unpaid: the
// notice goes out on 01-20 stating the suspension on 12/03/2026, the 61st day of default,
// and the plan is suspended then, not 10 days after the notice.
func testHealthEndToEnd(t *testing.T) {
	t.Parallel()
	e := startLadder(t, "2026-01-20 10:00")
	rule := e.create("/v1/blocking-rules", `{"name": "Plano de saúde", "profile": "health_9656"}`)
	plan := e.create("/v1/plans", `{"name": "Saúde", "price": "300.00", "period": "monthly", "installments_per_term": 12}`)
	c := e.contract(plan, rule, "2026-01-10")
	e.run("generate-installments", "2026-01-10", `{"contracts":1,"installments_created":12}`)
	e.run("block-delinquent", "2026-01-20", `{"contracts_warned":1}`)
	_, text := e.mail(1)
	has(t, "the health debt notice", text, "Parcela 1/12, vencimento 10/01/2026", "suspenso a partir de 12/03/2026")
	e.at("2026-01-30 10:00")
	e.run("block-delinquent", "2026-01-30", `{}`)
	e.at("2026-03-11 10:00")
	e.run("block-delinquent", "2026-03-11", `{}`)
	e.at("2026-03-12 10:00")
	e.run("block-delinquent", "2026-03-12", `{"contracts_blocked":1}`)
	if got := e.ladder(c); got != "blocked suspension" {
		t.Errorf("health on the 61st day: %s", got)
	}
}

// decodedBody returns the plain text part of a multipart/alternative message, decoded.
func decodedBody(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			t.Fatal("no text/plain part")
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // quoted-printable is decoded by NextPart
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct == "text/plain" {
			return string(body)
		}
	}
}
