package jobs_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// welcomes creates n contracts with the welcome e-mail, to customers c1@example.com….
func (b *mailBundle) welcomes(n int) {
	b.t.Helper()
	plan := b.must(201, "POST", "/v1/plans", `{"name": "Plano Mensal", "price": "99.90", "period": "monthly", "installments_per_term": 12}`)["id"]
	for i := 1; i <= n; i++ {
		cust := b.must(201, "POST", "/v1/customers", fmt.Sprintf(`{"name": "Cliente %d", "email": "c%d@example.com"}`, i, i))["id"]
		b.must(201, "POST", "/v1/contracts", fmt.Sprintf(`{"customer_id": %v, "plan_id": %v, "adhesion_date": "2026-07-01",
			"due_date_rule": {"kind": "fixed_day", "day": 10}, "welcome_email": true}`, cust, plan))
	}
}

// onceEach checks that the server holds exactly one copy of each of the n notices, and that
// the outbox says each was sent.
func (b *mailBundle) onceEach(n int) {
	b.t.Helper()
	copies := b.sink.CopiesByMessageID()
	if len(copies) != n {
		b.t.Errorf("%d distinct messages on the server, want %d: %v", len(copies), n, copies)
	}
	for id, c := range copies {
		if c != 1 {
			b.t.Errorf("%s arrived %d times, want once", id, c)
		}
	}
	if got := b.count("SELECT count(*) FROM notices WHERE state = 'sent' AND attempts = 1"); got != n {
		b.t.Errorf("%d notices sent at their first attempt, want %d", got, n)
	}
}

// TestAcceptedNoticeIsSentOnce (issue 13 item 1): the server accepts each message (250 after
// the body) and then drops the connection, refuses RSET with 502 or fails QUIT: every notice
// is recorded sent at its first attempt, the server has one copy of each, and nothing is
// retried, even by another send-notices run.
func TestAcceptedNoticeIsSentOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault smtptest.Fault
	}{
		{"connection dropped after 250", smtptest.DropAfterAccept},
		{"RSET answered 502", smtptest.RefuseRset},
		{"QUIT answered 554", smtptest.RefuseQuit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupMail(t, false)
			b.sink.Fail(tt.fault)
			b.welcomes(3)
			b.waitFor("3 notices sent or failed", func() bool {
				return b.count("SELECT count(*) FROM notices WHERE state IN ('sent', 'failed')") == 3
			})
			b.settled()
			b.sink.Fail(smtptest.NoFault)
			b.sweep(jobs.SendNotices, "2026-07-01")
			b.settled()
			b.onceEach(3)
			if n := b.count(`SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state = 'completed' AND attempt = 1`); n != 3 {
				t.Errorf("%d delivery jobs completed at their first attempt, want 3", n)
			}
			if got := b.metric("billingd_notices_sent_total", "welcome"); got != 3 {
				t.Errorf("sent metric %v, want 3", got)
			}
		})
	}
}

// TestSlowServerGetsOneCopy (issue 13 item 2): a server that takes longer than the command
// timeout (300ms) to answer the end of the message, but less than data_timeout (default
// 10m), gets one copy of each notice, each recorded sent at its first attempt.
func TestSlowServerGetsOneCopy(t *testing.T) {
	t.Parallel()
	b := setupMail(t, true)
	b.start(strings.Replace(b.sink.URL(), "timeout=5s", "timeout=300ms", 1))
	b.sink.DelayFinalReply(time.Second)
	b.welcomes(3)
	b.waitFor("3 notices sent or failed", func() bool {
		return b.count("SELECT count(*) FROM notices WHERE state IN ('sent', 'failed')") == 3
	})
	b.settled()
	b.onceEach(3)
}

// TestUnconfirmedNoticeIsNotSentAgain (issue 13 item 2): the server keeps the message but
// its final reply does not come within data_timeout. The notice is recorded failed with its
// Message-ID and a last_error that says it may have been delivered; the job is cancelled
// after one attempt, the failed and unconfirmed metrics count it, and send-notices does not
// send it again: one copy, no resend storm.
func TestUnconfirmedNoticeIsNotSentAgain(t *testing.T) {
	t.Parallel()
	b := setupMail(t, true)
	b.start(b.sink.URL() + "&data_timeout=300ms")
	b.sink.DelayFinalReply(2 * time.Second)
	b.welcomes(1)
	b.waitFor("the notice to fail", func() bool { return b.count("SELECT count(*) FROM notices WHERE state = 'failed'") == 1 })
	b.settled()
	var attempts, jobAttempt int
	var lastError, messageID, jobState string
	if err := b.pool.QueryRow(b.ctx, `SELECT n.attempts, n.last_error, n.message_id, j.state, j.attempt FROM notices n, river.river_job j
		WHERE j.kind = 'deliver_notice'`).Scan(&attempts, &lastError, &messageID, &jobState, &jobAttempt); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || jobState != "cancelled" || jobAttempt != 1 || messageID != "<notice-1.welcome@billingd.test>" ||
		!strings.HasPrefix(lastError, "outcome unknown, not sent again (it may have been delivered): ") ||
		!strings.Contains(lastError, "no reply within 300ms (data_timeout)") {
		t.Errorf("attempts %d, message_id %q, last_error %q, job %s after attempt %d", attempts, messageID, lastError, jobState, jobAttempt)
	}
	if f, u := b.metric("billingd_notices_failed_total", "welcome"), b.metric("billingd_notices_unconfirmed_total", "welcome"); f != 1 || u != 1 {
		t.Errorf("failed metric %v, unconfirmed %v, want 1 and 1", f, u)
	}
	b.sink.DelayFinalReply(0)
	b.sweep(jobs.SendNotices, "2026-07-20")
	b.settled()
	if n := b.count("SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice'"); n != 1 {
		t.Errorf("%d delivery jobs after a sweep, want 1", n)
	}
	b.waitFor("the server to keep the slow message", func() bool { return b.sink.Count() == 1 })
	if got := b.sink.Count(); got != 1 {
		t.Errorf("%d copies, want 1", got)
	}
	logs := b.logsWith("notice sent with no final reply: it may have been delivered; recorded failed, not sent again")
	if len(logs) != 1 || logs[0]["level"] != "ERROR" || logs[0]["notice_id"] != 1.0 || logs[0]["message_id"] != "<notice-1.welcome@billingd.test>" {
		t.Errorf("log lines %v, want one error naming the notice and its Message-ID", logs)
	}
	// docs/rules.md: an operator who finds it was not delivered puts it back; the next
	// send-notices run sends it (the cancelled job does not block a new one).
	b.exec("UPDATE notices SET state = 'rendered', message_id = NULL WHERE id = 1")
	b.sweep(jobs.SendNotices, "2026-07-20")
	b.settled()
	if n := b.count("SELECT count(*) FROM notices WHERE state = 'sent'"); n != 1 || b.sink.Count() != 2 {
		t.Errorf("after putting it back: %d sent, %d copies; want it sent again", n, b.sink.Count())
	}
}

// TestNoticesKeptWithoutSMTPAreSentOnceSMTPIsConfigured (issue 13 item 3): notices recorded
// while no SMTP server was configured (a welcome, a coming_due from send-notices) are
// rendered and kept; after a restart with an SMTP server the next send-notices run delivers
// each of them, once, and later runs send nothing more.
func TestNoticesKeptWithoutSMTPAreSentOnceSMTPIsConfigured(t *testing.T) {
	t.Parallel()
	b := setupMail(t, true)
	b.contract(`, "welcome_email": true`)
	b.sweep(jobs.GenerateInstallments, "2026-07-07")
	counts := b.sweep(jobs.SendNotices, "2026-07-07")
	b.settled()
	if n := b.count("SELECT count(*) FROM notices WHERE state = 'rendered'"); n != 2 || counts["notices_created"] != 1 {
		t.Fatalf("%d rendered notices, counts %v; want the welcome and a coming_due kept", n, counts)
	}
	b.start(b.sink.URL())
	for range 2 {
		b.sweep(jobs.SendNotices, "2026-07-07")
		b.settled()
	}
	b.onceEach(2)
	if n := b.count("SELECT count(*) FROM notices WHERE state <> 'sent'"); n != 0 {
		t.Errorf("%d notices not sent", n)
	}
	// A completed job no longer blocks a new one for its notice: a new job for a sent notice
	// finds it sent under its lock and sends nothing.
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error { return jobs.EnqueueNotices(b.ctx, b.client, tx, []int64{1, 2}) }); err != nil {
		t.Fatal(err)
	}
	b.settled()
	if n := b.count("SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state = 'completed'"); n != 6 {
		t.Errorf("%d completed delivery jobs, want 6 (kept, sent, and the two extra)", n)
	}
	b.onceEach(2)
}

// TestUndeliveredNoticeGauges (issue 13 item 5): while the SMTP server is down the outbox
// gauges (read from the database, the same on every replica) show the notice waiting after
// a failed attempt, with its age; once it is delivered they read 0.
func TestUndeliveredNoticeGauges(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	reg := prometheus.NewRegistry()
	postgres.RegisterNoticeMetrics(reg, b.pool, slog.New(slog.DiscardHandler))
	gauges := func() map[string]float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			out[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
		}
		return out
	}
	b.sink.Down()
	b.welcomes(1)
	b.waitFor("a failed attempt", func() bool {
		return b.count("SELECT count(*) FROM notices WHERE attempts = 1 AND state = 'rendered'") == 1
	})
	b.exec("UPDATE notices SET created_at = now() - interval '2 hours'")
	g := gauges()
	if g["billingd_notices_undelivered"] != 1 || g["billingd_notices_retrying"] != 1 ||
		g["billingd_notices_oldest_undelivered_age_seconds"] < 7200 || g["billingd_notices_oldest_undelivered_age_seconds"] > 7260 {
		t.Errorf("while the server is down: %v", g)
	}
	b.sink.Up()
	b.waitFor("the delivery", func() bool { return b.count("SELECT count(*) FROM notices WHERE state = 'sent'") == 1 })
	if g := gauges(); g["billingd_notices_undelivered"] != 0 || g["billingd_notices_retrying"] != 0 || g["billingd_notices_oldest_undelivered_age_seconds"] != 0 {
		t.Errorf("after the delivery: %v", g)
	}
}

// TestStopWhileWaitingForFinalReplyRecordsIt (issue 13 item 2): the daemon stops (soft stop
// 1s, then running jobs are cancelled) while a slow server holds the final reply: the wait
// is interrupted at once and its outcome recorded, though the job's context has ended — the
// notice is failed as unconfirmed, not left to be sent again by a rescued job.
func TestStopWhileWaitingForFinalReplyRecordsIt(t *testing.T) {
	t.Parallel()
	b := setupMail(t, false)
	b.sink.DelayFinalReply(30 * time.Second)
	b.welcomes(1)
	b.waitFor("the server to hold the message", func() bool { return b.sink.Count() == 1 })
	start := time.Now()
	if err := b.client.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stop took %s: the wait for the final reply was not interrupted", took)
	}
	var state, lastError, messageID string
	if err := b.pool.QueryRow(b.ctx, "SELECT state, coalesce(last_error, ''), coalesce(message_id, '') FROM notices").Scan(&state, &lastError, &messageID); err != nil {
		t.Fatal(err)
	}
	if state != "failed" || messageID != "<notice-1.welcome@billingd.test>" || !strings.HasPrefix(lastError, "outcome unknown") ||
		!strings.Contains(lastError, "interrupted") {
		t.Errorf("notice %s, message_id %q, last_error %q; want failed as unconfirmed, interrupted", state, messageID, lastError)
	}
}
