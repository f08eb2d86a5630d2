package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/postgres"
)

// NoticeArgs asks for the delivery of one notice of the outbox.
type NoticeArgs struct {
	NoticeID int64 `json:"notice_id"`
}

// Kind implements river.JobArgs.
func (NoticeArgs) Kind() string { return "deliver_notice" }

// InsertOpts implements river.JobArgsWithInsertOpts: one live job per notice (waiting,
// scheduled or running: a completed or cancelled one does not count, so a notice kept while
// no SMTP server was configured, or put back to be sent again, is enqueued by the next run);
// about four hours of retries (attempt⁴ seconds apart) before a temporary failure becomes
// final. The notice row, locked and checked by the worker, is what makes a notice sent once.
func (NoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveJobStates}}
}

// liveJobStates are the states of a job still to be worked: River requires all four of them.
var liveJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// EnqueueNotices enqueues the delivery of notices inside tx; a notice whose delivery job is
// already waiting or running is not enqueued twice.
func EnqueueNotices(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, ids []int64) error {
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: NoticeArgs{NoticeID: id}}
	}
	if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue delivery of %d notices: %w", len(ids), err)
	}
	return nil
}

// Mailer sends one rendered e-mail; *mail.Sender is the SMTP one. Send returns nil once the
// server accepted the message, a *mail.UnconfirmedError when it got the whole message but no
// final reply, a *mail.PermanentError when retrying cannot help.
type Mailer interface {
	Send(ctx context.Context, to string, m notifications.Message, messageID string) error
	Domain() string
	// Longest is the longest one Send may take.
	Longest() time.Duration
}

// Delivery is what the notice worker needs. With a nil Mailer (no SMTP configured) notices
// are rendered and kept in the outbox.
type Delivery struct {
	Pool    *pgxpool.Pool
	Mailer  Mailer
	Logger  *slog.Logger
	Metrics *NoticeMetrics
	// Now is the clock (time.Now when nil) and Location the business time zone (UTC when
	// nil): the day a notice is sent, the dunning window's hours, the date a collection
	// notice's figures are computed for.
	Now      func() time.Time
	Location *time.Location
	// Window is the dunning window (BILLINGD_DUNNING_*): collection notices
	// (notifications.IsDunning) are sent only inside it, their job snoozed until it opens.
	// Nil sends them at any time (tests of the delivery alone).
	Window *notifications.DunningWindow
}

func (d *Delivery) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Delivery) location() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// NoticeMetrics counts notices sent, failed and held back by the dunning window, by kind.
type NoticeMetrics struct {
	sent, failed, unconfirmed, held *prometheus.CounterVec
}

// NewNoticeMetrics registers billingd_notices_sent_total, billingd_notices_failed_total and
// billingd_notices_unconfirmed_total.
func NewNoticeMetrics(reg prometheus.Registerer) *NoticeMetrics {
	m := &NoticeMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billingd_notices_sent_total", Help: "Notices the SMTP server accepted, sent by this process, by kind.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billingd_notices_failed_total",
			Help: "Notices recorded failed (refused, out of retries, or sent with no final reply) by this process, by kind.",
		}, []string{"kind"}),
		unconfirmed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billingd_notices_unconfirmed_total",
			Help: "Notices sent whole whose final reply never came (maybe delivered; recorded failed, not sent again) by this process, by kind.",
		}, []string{"kind"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "billingd_notices_held_total",
			Help: "Deliveries of collection notices held back until the dunning window opens (BILLINGD_DUNNING_*), by this process, by kind.",
		}, []string{"kind"}),
	}
	for _, k := range notifications.Kinds {
		m.sent.WithLabelValues(k)
		m.failed.WithLabelValues(k)
		m.unconfirmed.WithLabelValues(k)
		if notifications.IsDunning(k) {
			m.held.WithLabelValues(k)
		}
	}
	reg.MustRegister(m.sent, m.failed, m.unconfirmed, m.held)
	return m
}

// noticeWorker delivers one notice. The notice row is locked (FOR UPDATE SKIP LOCKED) in a
// transaction that spans the SMTP exchange and commits the outcome together with the job's
// completion, so two workers never send it both and a sent notice is never sent again. The
// transaction runs on a context the job's end does not cancel: a message the server accepted
// is recorded sent even when a stop interrupts what follows. Two windows are left: the
// server accepts the message and the process dies (or loses the database) before the
// commit, and the notice is sent again with the same Message-ID; or the message is sent
// whole and its final reply never comes, and the notice is recorded failed, not sent again
// (it may have been delivered, or not).
type noticeWorker struct {
	river.WorkerDefaults[NoticeArgs]
	d *Delivery
}

// Timeout implements river.Worker: the SMTP exchange at its longest (every command and the
// final reply timing out) plus the database work.
func (w *noticeWorker) Timeout(*river.Job[NoticeArgs]) time.Duration {
	if w.d.Mailer == nil {
		return time.Minute
	}
	return NoticeTimeout(w.d.Mailer.Longest())
}

// NoticeTimeout is how long one delivery may run when the SMTP exchange may take longest:
// River must not take a delivery running that long for lost (BILLINGD_RESCUE_AFTER).
func NoticeTimeout(longest time.Duration) time.Duration { return longest + 30*time.Second }

// Work implements river.Worker.
func (w *noticeWorker) Work(ctx context.Context, job *river.Job[NoticeArgs]) error {
	d := w.d
	var (
		n         postgres.Notice
		outcome   string
		messageID string
		sendErr   error
		heldUntil time.Time
	)
	dbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Timeout(job)+time.Minute)
	defer cancel()
	err := pgx.BeginFunc(dbCtx, d.Pool, func(tx pgx.Tx) error {
		var err error
		if n, err = postgres.LockNotice(dbCtx, tx, job.Args.NoticeID); err != nil {
			return err
		}
		switch n.State {
		case postgres.NoticeSent, postgres.NoticeFailed:
			outcome = "done"
			_, err = river.JobCompleteTx[*riverpgxv5.Driver](dbCtx, tx, job)
			return err
		}
		now := d.now()
		if d.Mailer != nil && d.Window != nil && notifications.IsDunning(n.Kind) {
			cal, err := postgres.LoadCalendar(dbCtx, tx)
			if err != nil {
				return err
			}
			// CDC art. 42: collection e-mails on business days, in business hours only.
			if next := notifications.NextSendableTime(now, cal, *d.Window); next.After(now) {
				outcome, heldUntil = "held", next
				return nil
			}
		}
		if postgres.NeedsRendering(n, now, d.location()) {
			if n, err = postgres.RenderNotice(dbCtx, tx, n, now, d.location()); err != nil {
				var fe *billing.FieldError
				if !errors.As(err, &fe) {
					return err
				}
				// A notice whose template or reference is wrong never renders: record it failed.
				outcome, sendErr = "failed", fmt.Errorf("render: %w", err)
				return postgres.MarkNoticeFailed(dbCtx, tx, n.ID, sendErr, true)
			}
		}
		if d.Mailer == nil {
			outcome = "kept"
			_, err = river.JobCompleteTx[*riverpgxv5.Driver](dbCtx, tx, job)
			return err
		}
		if err := ctx.Err(); err != nil {
			return err // stopped before sending: the job is retried
		}
		messageID = notifications.MessageID(n.ID, n.Kind, d.Mailer.Domain())
		sendErr = d.Mailer.Send(ctx, n.Recipient, notifications.Message{Subject: n.Subject, HTML: n.HTML, Text: n.Text}, messageID)
		switch {
		case sendErr == nil:
			outcome = "sent"
			if err := postgres.MarkNoticeSent(dbCtx, tx, n.ID, "<"+messageID+">", d.now()); err != nil {
				return err
			}
			_, err = river.JobCompleteTx[*riverpgxv5.Driver](dbCtx, tx, job)
			return err
		case mail.IsUnconfirmed(sendErr):
			outcome = "unconfirmed"
			return postgres.MarkNoticeUnconfirmed(dbCtx, tx, n.ID, "<"+messageID+">", sendErr)
		case mail.IsPermanent(sendErr), job.Attempt >= job.MaxAttempts:
			outcome = "failed"
			return postgres.MarkNoticeFailed(dbCtx, tx, n.ID, sendErr, true)
		default:
			outcome = "retry"
			return postgres.MarkNoticeFailed(dbCtx, tx, n.ID, sendErr, false)
		}
	})
	attrs := []any{slog.Int64("notice_id", job.Args.NoticeID), slog.String("kind", n.Kind), slog.Int64("contract_id", n.ContractID),
		slog.Int("attempt", job.Attempt)}
	switch {
	case errors.Is(err, postgres.ErrNoticeLocked):
		return river.JobSnooze(30 * time.Second)
	case errors.Is(err, billing.ErrNotFound):
		return river.JobCancel(err)
	case err != nil:
		return fmt.Errorf("deliver notice %d: %w", job.Args.NoticeID, err)
	}
	switch outcome {
	case "held":
		d.Logger.InfoContext(ctx, "collection notice held until the dunning window opens",
			append(attrs, slog.Time("until", heldUntil))...)
		if d.Metrics != nil {
			d.Metrics.held.WithLabelValues(n.Kind).Inc()
		}
		return river.JobSnooze(max(heldUntil.Sub(d.now()), time.Second))
	case "sent":
		d.Logger.InfoContext(ctx, "notice sent", append(attrs, slog.String("recipient", n.Recipient))...)
		if d.Metrics != nil {
			d.Metrics.sent.WithLabelValues(n.Kind).Inc()
		}
	case "kept":
		d.Logger.InfoContext(ctx, "no SMTP configured (BILLINGD_SMTP_URL empty): notice rendered and kept in the outbox", attrs...)
	case "unconfirmed":
		d.Logger.ErrorContext(ctx, "notice sent with no final reply: it may have been delivered; recorded failed, not sent again",
			append(attrs, slog.String("recipient", n.Recipient), slog.String("message_id", "<"+messageID+">"), slog.String("error", sendErr.Error()))...)
		if d.Metrics != nil {
			d.Metrics.failed.WithLabelValues(n.Kind).Inc()
			d.Metrics.unconfirmed.WithLabelValues(n.Kind).Inc()
		}
		return river.JobCancel(sendErr)
	case "failed":
		d.Logger.ErrorContext(ctx, "notice failed; not retried", append(attrs, slog.String("error", sendErr.Error()))...)
		if d.Metrics != nil {
			d.Metrics.failed.WithLabelValues(n.Kind).Inc()
		}
		return river.JobCancel(sendErr)
	case "retry":
		d.Logger.WarnContext(ctx, "notice not delivered; will retry", append(attrs, slog.String("error", sendErr.Error()))...)
		return sendErr
	}
	return nil
}
