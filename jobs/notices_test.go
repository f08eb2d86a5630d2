package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

const mailToken = "test-token-0123456789"

// mailBundle is a daemon-like River client delivering notices to an in-process SMTP server
// on loopback, and the API on the same database.
type mailBundle struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	store  *postgres.Store
	sink   *smtptest.Server
	client *river.Client[pgx.Tx]
	reg    *prometheus.Registry
	api    *httptest.Server
	logs   syncBuffer
	// window is the deliveries' dunning window (nil: none), fixed the time now the
	// deliveries read (zero: the real time), set by setClock.
	window  *notifications.DunningWindow
	clockMu sync.Mutex
	fixed   time.Time
	// hooks publishes events and delivers them to webhook endpoints (setupWebhooks).
	hooks bool
}

// now is the deliveries' clock.
func (b *mailBundle) now() time.Time {
	b.clockMu.Lock()
	defer b.clockMu.Unlock()
	if b.fixed.IsZero() {
		return time.Now()
	}
	return b.fixed
}

// setClock sets the deliveries' time now to the São Paulo date and time s.
func (b *mailBundle) setClock(s string) {
	b.clockMu.Lock()
	defer b.clockMu.Unlock()
	b.fixed = at(s)
}

// syncBuffer is the daemon's log, JSON lines, safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// logsWith returns the log records whose message is msg.
func (b *mailBundle) logsWith(msg string) []map[string]any {
	b.logs.mu.Lock()
	defer b.logs.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.logs.buf.Bytes(), []byte("\n")) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// setupMail starts the sink, a River client that works sweeps and deliveries (with SMTP
// unless noSMTP) and the API.
func setupMail(t *testing.T, noSMTP bool) *mailBundle {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dbtest.NewURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := &mailBundle{t: t, ctx: ctx, pool: pool, sink: smtptest.Start(t)}
	smtpURL := b.sink.URL()
	if noSMTP {
		smtpURL = ""
	}
	b.start(smtpURL)
	return b
}

// start starts the daemon-like River client, delivering through smtpURL (none when empty),
// and the API on it, in place of those running (stopped first): a daemon restarted with
// another configuration.
func (b *mailBundle) start(smtpURL string) {
	t := b.t
	t.Helper()
	if b.client != nil {
		if err := b.client.Stop(b.ctx); err != nil {
			t.Fatal(err)
		}
		b.api.Close()
	}
	logger := slog.New(slog.NewJSONHandler(&b.logs, nil))
	b.reg = prometheus.NewRegistry()
	delivery := &jobs.Delivery{Pool: b.pool, Logger: logger, Metrics: jobs.NewNoticeMetrics(b.reg), Now: b.now, Location: saoPaulo,
		Window: b.window}
	if smtpURL != "" {
		cfg, err := mail.ParseURL(smtpURL)
		if err != nil {
			t.Fatal(err)
		}
		if delivery.Mailer, err = mail.New(cfg, "Cobrança <cobranca@billingd.test>"); err != nil {
			t.Fatal(err)
		}
	}
	followUps, err := jobs.NewFollowUps(logger)
	if err != nil {
		t.Fatal(err)
	}
	store := &postgres.Store{Pool: b.pool, FollowUps: followUps, Location: saoPaulo}
	runner := &jobs.Runner{
		Pool: b.pool, Store: store, Location: saoPaulo, Now: time.Now, Logger: logger, BatchSize: 2, BatchTimeout: time.Minute,
		Sweeps: map[string]jobs.Sweep{
			jobs.GenerateInstallments: postgres.GenerateSweep{},
			jobs.BlockDelinquent:      postgres.BlockSweep{FollowUps: followUps, Location: saoPaulo},
			jobs.RenewContracts:       postgres.RenewSweep{Thresholds: renewal.Thresholds{Queue: 3, Renewal: 2}, FollowUps: followUps},
			jobs.SendNotices:          postgres.NoticeSweep{DaysBeforeDue: 3, Deliver: smtpURL != "", FollowUps: followUps},
		},
	}
	opts := jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second, Delivery: delivery}
	if b.hooks {
		// Fast: published every 50 ms, a failed delivery retried after 200 ms at most.
		opts.Webhooks = &jobs.Webhooks{Store: store, Logger: logger, Client: jobs.NewWebhookClient(5 * time.Second), Now: time.Now,
			MaxBackoff: 200 * time.Millisecond, PublishInterval: 50 * time.Millisecond, Metrics: jobs.NewWebhookMetrics(b.reg)}
	}
	client, err := runner.NewDaemonClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
	srv := httptest.NewServer(api.New(api.Config{Store: store, Jobs: jobs.Names(), Token: mailToken, Location: saoPaulo,
		Now: func() time.Time { return at("2026-07-20 12:00") }, Logger: logger, CatchUpDays: 31,
		TrustUnlockMaxDays: 7, TrustUnlocksPerEpisode: 1})) // the settings' defaults
	t.Cleanup(srv.Close)
	b.client, b.store, b.api = client, store, srv
}

// call sends an API request and decodes the JSON answer into a map.
func (b *mailBundle) call(method, path, body string) (int, map[string]any) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.api.URL+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+mailToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.api.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		b.t.Fatalf("%s %s: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

func (b *mailBundle) must(status int, method, path, body string) map[string]any {
	b.t.Helper()
	got, out := b.call(method, path, body)
	if got != status {
		b.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, status, out)
	}
	return out
}

// contract creates a plan, the customer Ana and an active contract (fixed day 10, adhesion
// 2026-07-01) with the extra JSON fields, and returns its id.
func (b *mailBundle) contract(extra string) int64 {
	b.t.Helper()
	plan := b.must(201, "POST", "/v1/plans", `{"name": "Plano Mensal", "price": "99.90", "period": "monthly", "installments_per_term": 12}`)["id"]
	cust := b.must(201, "POST", "/v1/customers", `{"name": "Ana Souza", "email": "ana@example.com"}`)["id"]
	body := fmt.Sprintf(`{"customer_id": %v, "plan_id": %v, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "fixed_day", "day": 10}%s}`, cust, plan, extra)
	return int64(b.must(201, "POST", "/v1/contracts", body)["id"].(float64))
}

func (b *mailBundle) count(sql string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, sql, args...).Scan(&n); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (b *mailBundle) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled waits until no delivery job is waiting or running.
func (b *mailBundle) settled() {
	b.t.Helper()
	b.waitFor("deliveries to settle", func() bool {
		return b.count(`SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice'
			AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`) == 0
	})
}

// sweep runs job as of asOf through River and waits for it to succeed.
func (b *mailBundle) sweep(job, asOf string) map[string]int64 {
	b.t.Helper()
	day, _ := billing.ParseDate(asOf)
	requested, err := b.store.RequestRun(b.ctx, job, day)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	run, err := jobs.WaitRun(ctx, b.pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil || run.State != records.RunSucceeded {
		b.t.Fatalf("%s as of %s: %v %s %s", job, asOf, err, run.State, run.Error)
	}
	return run.Counts
}

// metric reads a counter of the registry.
func (b *mailBundle) metric(name, kind string) float64 {
	b.t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		b.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == kind {
				return m.GetCounter().GetValue()
			}
		}
	}
	b.t.Fatalf("no %s{kind=%q}", name, kind)
	return 0
}

// parts returns the bodies of a multipart/alternative message by content type.
func parts(t *testing.T, m smtptest.Message) map[string]string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // quoted-printable is decoded by NextPart
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(body)
	}
	return out
}

func subject(t *testing.T, m smtptest.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWelcomeEmailArrives creates a contract with the welcome option through the API: the
// e-mail reaches the SMTP server once, to the customer's address, with the subject, both
// bodies and the notice's Message-ID; the outbox and the metrics say sent.
func TestWelcomeEmailArrives(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	id := b.contract(`, "welcome_email": true`)
	b.waitFor("the welcome e-mail", func() bool { return b.sink.Count() == 1 })
	b.settled()
	m := b.sink.Messages()[0]
	if len(m.To) != 1 || m.To[0] != "ana@example.com" || m.From != "cobranca@billingd.test" {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	if got := subject(t, m); got != "Bem-vindo(a) ao Plano Mensal, Ana Souza!" {
		t.Errorf("subject %q", got)
	}
	if got := m.Header.Get("Message-ID"); got != "<notice-1.welcome@billingd.test>" {
		t.Errorf("Message-ID %q", got)
	}
	if got := m.Header.Get("To"); got != "<ana@example.com>" {
		t.Errorf("To %q", got)
	}
	p := parts(t, m)
	wantText := fmt.Sprintf("Seu contrato nº %d do plano Plano Mensal foi criado em 01/07/2026.", id)
	if !strings.Contains(p["text/plain"], wantText) || !strings.Contains(p["text/plain"], "vencimento todo dia 10") {
		t.Errorf("text body %q", p["text/plain"])
	}
	if !strings.Contains(p["text/html"], "<strong>Plano Mensal</strong>") || !strings.Contains(p["text/html"], "R$ 99,90") {
		t.Errorf("html body %q", p["text/html"])
	}
	list := b.must(200, "GET", fmt.Sprintf("/v1/notifications?contract_id=%d&kind=welcome&state=sent", id), "")
	items := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("notifications %v", list)
	}
	n := items[0].(map[string]any)
	if n["message_id"] != "<notice-1.welcome@billingd.test>" || n["recipient"] != "ana@example.com" || n["attempts"] != 1.0 || n["sent_at"] == nil {
		t.Errorf("notification %v", n)
	}
	if got := b.metric("billingd_notices_sent_total", "welcome"); got != 1 {
		t.Errorf("sent metric %v", got)
	}
	// Every sweep again: nothing new is sent.
	b.sweep(jobs.SendNotices, "2026-07-01")
	b.sweep(jobs.SendNotices, "2026-07-01")
	b.settled()
	if got := b.sink.Count(); got != 1 {
		t.Errorf("%d e-mails after the reruns, want 1", got)
	}
}

// TestWelcomeOptions sends the welcome e-mail to another address with the given subject and
// a chosen template; a template of another kind is refused and nothing is written.
func TestWelcomeOptions(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	tpl := b.must(201, "POST", "/v1/email-templates", `{"kind": "welcome", "subject": "ignorado", "html_body": "<p>Oi {{.Customer.Name}}</p>", "text_body": "Oi {{.Customer.Name}}, plano {{.Plan.Name}}"}`)["id"]
	other := b.must(201, "POST", "/v1/email-templates", `{"kind": "overdue", "subject": "x", "html_body": "x", "text_body": "x"}`)["id"]
	b.contract(fmt.Sprintf(`, "welcome_email": true, "welcome_email_to": "financeiro@empresa.com.br", "welcome_email_subject": "Seja bem-vinda, Ana", "welcome_email_template_id": %v`, tpl))
	status, e := b.call("POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": 1, "plan_id": 1, "adhesion_date": "2026-07-01", "due_date_rule": {"kind": "anniversary"}, "welcome_email": true, "welcome_email_template_id": %v}`, other))
	if status != 422 || e["field"] != "welcome_email_template_id" {
		t.Errorf("template of another kind: %d %v", status, e)
	}
	b.waitFor("the welcome e-mail", func() bool { return b.sink.Count() == 1 })
	m := b.sink.Messages()[0]
	if m.To[0] != "financeiro@empresa.com.br" || subject(t, m) != "Seja bem-vinda, Ana" || parts(t, m)["text/plain"] != "Oi Ana Souza, plano Plano Mensal" {
		t.Errorf("to %v subject %q parts %q", m.To, subject(t, m), parts(t, m))
	}
	if n := b.count("SELECT count(*) FROM contracts"); n != 1 {
		t.Errorf("%d contracts, want 1 (the refused one rolled back)", n)
	}
}

// TestSweepsSendEachNoticeOnce runs generate-installments and send-notices, twice each, on
// the days an installment comes due and is overdue, plus a notice another sweep recorded:
// each e-mail arrives once.
func TestSweepsSendEachNoticeOnce(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	id := b.contract("")
	day := func(asOf string) {
		for range 2 {
			b.sweep(jobs.GenerateInstallments, asOf)
			b.sweep(jobs.SendNotices, asOf)
			b.settled()
		}
	}
	day("2026-07-06") // first installment due 2026-07-10: not yet within 3 days
	if got := b.sink.Count(); got != 0 {
		t.Fatalf("%d e-mails on 2026-07-06, want 0", got)
	}
	day("2026-07-07")
	if got := b.sink.Count(); got != 1 {
		t.Fatalf("%d e-mails on 2026-07-07, want 1 (coming due)", got)
	}
	if got := subject(t, b.sink.Messages()[0]); got != "Sua parcela de R$ 99,90 vence em 10/07/2026" {
		t.Errorf("coming-due subject %q", got)
	}
	day("2026-07-10") // due today: not overdue yet
	day("2026-07-11")
	b.exec("INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'renewed', '2') ON CONFLICT DO NOTHING", id)
	day("2026-07-11")
	msgs := b.sink.Messages()
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, subject(t, m))
	}
	want := []string{"Sua parcela de R$ 99,90 vence em 10/07/2026", "Parcela vencida em 10/07/2026: R$ 99,90",
		fmt.Sprintf("Seu contrato nº %d foi renovado", id)}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("subjects %q, want %q", subjects, want)
	}
	if n := b.count("SELECT count(*) FROM notices WHERE state <> 'sent'"); n != 0 {
		t.Errorf("%d notices not sent", n)
	}
}

func (b *mailBundle) exec(sql string, args ...any) {
	b.t.Helper()
	if _, err := b.pool.Exec(b.ctx, sql, args...); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
}

// TestRejectedRecipientFailsWithoutRetry: the server answers 550 to the address; the notice
// is recorded failed with the reason after one attempt, and the job is not retried.
func TestRejectedRecipientFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	b.sink.Reject("nobody@example.com")
	b.contract(`, "welcome_email": true, "welcome_email_to": "nobody@example.com"`)
	b.waitFor("the failed notice", func() bool { return b.count("SELECT count(*) FROM notices WHERE state = 'failed'") == 1 })
	b.settled()
	var attempts int
	var lastError, jobState string
	var jobAttempt int
	if err := b.pool.QueryRow(b.ctx, `SELECT n.attempts, n.last_error, j.state, j.attempt FROM notices n, river.river_job j
		WHERE j.kind = 'deliver_notice'`).Scan(&attempts, &lastError, &jobState, &jobAttempt); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || !strings.Contains(lastError, "550") || jobState != "cancelled" || jobAttempt != 1 {
		t.Errorf("attempts %d, last_error %q, job %s after attempt %d", attempts, lastError, jobState, jobAttempt)
	}
	if b.sink.Count() != 0 || b.metric("billingd_notices_failed_total", "welcome") != 1 {
		t.Errorf("%d e-mails, failed metric %v", b.sink.Count(), b.metric("billingd_notices_failed_total", "welcome"))
	}
	b.sweep(jobs.SendNotices, "2026-07-20")
	b.settled()
	if n := b.count("SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice'"); n != 1 {
		t.Errorf("%d delivery jobs after a sweep, want 1: a failed notice is not retried", n)
	}
}

// TestServerDownRetriedThenDeliveredOnce: the SMTP server is down for the first attempt;
// River retries with backoff and the e-mail arrives once the server is back, exactly once.
func TestServerDownRetriedThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	b.sink.Down()
	b.contract(`, "welcome_email": true`)
	b.waitFor("a failed attempt", func() bool {
		return b.count("SELECT count(*) FROM notices WHERE attempts = 1 AND last_error LIKE '%connect%' AND state = 'rendered'") == 1
	})
	b.sink.Up()
	b.waitFor("the delivery", func() bool { return b.count("SELECT count(*) FROM notices WHERE state = 'sent'") == 1 })
	b.settled()
	b.sweep(jobs.SendNotices, "2026-07-20")
	b.settled()
	if got := b.sink.Count(); got != 1 {
		t.Errorf("%d e-mails, want exactly 1", got)
	}
	var attempt int
	var state string
	if err := b.pool.QueryRow(b.ctx, "SELECT state, attempt FROM river.river_job WHERE kind = 'deliver_notice'").Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	if state != "completed" || attempt != 2 {
		t.Errorf("job %s after attempt %d, want completed after 2", state, attempt)
	}
}

// TestRolledBackContractLeavesNoEmail records the welcome notice and enqueues its job in a
// contract's transaction that then rolls back (a later step of the transaction fails): no
// contract, no notice, no job, no e-mail.
func TestRolledBackContractLeavesNoEmail(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	b.contract("") // plan 1, customer 1
	errLater := errors.New("a later step of the transaction failed")
	store := &postgres.Store{Pool: b.pool, FollowUps: failAfter{FollowUps: b.store.FollowUps, err: errLater,
		check: func(tx pgx.Tx) {
			var jobs int
			if err := tx.QueryRow(b.ctx, "SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice'").Scan(&jobs); err != nil || jobs != 1 {
				t.Errorf("inside the transaction: %d delivery jobs (%v), want 1", jobs, err)
			}
		}}}
	c := billing.Contract{CustomerID: 1, PlanID: 1, AdhesionDate: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Rule: billing.DueDateRule{Kind: "anniversary"}, BillingMethod: billing.BillPerInstallment, PaymentMethod: "boleto",
		CardInstallments: 1, AutoRenew: true, RenewalPriceMode: billing.RenewAtPlanPrice}
	_, err := store.CreateContract(b.ctx, c, true, &postgres.Welcome{})
	if !errors.Is(err, errLater) {
		t.Fatalf("CreateContract: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // a job that escaped would be worked by now
	for table, want := range map[string]int{"contracts": 1, "notices": 0, "river.river_job WHERE kind = 'deliver_notice'": 0} {
		if n := b.count("SELECT count(*) FROM " + table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	if b.sink.Count() != 0 {
		t.Errorf("%d e-mails sent", b.sink.Count())
	}
}

// failAfter is the store's follow-ups, followed by a step that fails: check runs inside the
// transaction after the notices were handed on, then err rolls the transaction back.
type failAfter struct {
	postgres.FollowUps
	err   error
	check func(pgx.Tx)
}

func (f failAfter) NoticesRecorded(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if err := f.FollowUps.NoticesRecorded(ctx, tx, ids); err != nil {
		return err
	}
	f.check(tx)
	return f.err
}

// TestNoSMTPKeepsRenderedNotices: without an SMTP server the notice is rendered and kept in
// the outbox; nothing is sent.
func TestNoSMTPKeepsRenderedNotices(t *testing.T) {
	t.Parallel()
	b := setupMail(t, true)
	b.contract(`, "welcome_email": true`)
	b.waitFor("the rendered notice", func() bool { return b.count("SELECT count(*) FROM notices WHERE state = 'rendered'") == 1 })
	b.settled()
	n := b.must(200, "GET", "/v1/notifications/1", "")
	if n["subject"] != "Bem-vindo(a) ao Plano Mensal, Ana Souza!" || !strings.Contains(n["text_body"].(string), "Plano Mensal") ||
		n["message_id"] != "" || n["sent_at"] != nil || b.sink.Count() != 0 {
		t.Errorf("notice %v, %d e-mails", n, b.sink.Count())
	}
}
