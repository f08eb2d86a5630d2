package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/notifications"
)

// setup starts a server with opts and returns it with a Sender on it; query is appended
// to the server's URL (e.g. "&data_timeout=1s"); caFile, when set, is the CA to trust.
func setup(t *testing.T, opts smtptest.Options, query, caFile string) (*smtptest.Server, *mail.Sender) {
	t.Helper()
	sink := smtptest.StartWith(t, opts)
	cfg, err := mail.ParseURL(sink.URL() + query)
	if err != nil {
		t.Fatal(err)
	}
	if caFile != "" {
		if cfg.RootCAs, err = mail.LoadCAFile(caFile); err != nil {
			t.Fatal(err)
		}
	}
	sender, err := mail.New(cfg, "Cobrança <cobranca@billingd.test>")
	if err != nil {
		t.Fatal(err)
	}
	return sink, sender
}

var message = notifications.Message{Subject: "Sua parcela vence em 10/07/2026", Text: "R$ 99,90", HTML: "<p>R$ 99,90</p>"}

func send(ctx context.Context, s *mail.Sender) error {
	return s.Send(ctx, "ana@example.com", message, "notice-1.coming_due@billingd.test")
}

// outcome names what an error means for the notice.
func outcome(err error) string {
	switch {
	case err == nil:
		return "sent"
	case mail.IsUnconfirmed(err):
		return "unconfirmed"
	case mail.IsPermanent(err):
		return "permanent"
	default:
		return "temporary"
	}
}

// TestAcceptedMessageIsSentWhateverFollows (issue 13 item 1): once the server answers 250 to
// the end of the message, Send reports it sent, whether the connection then drops, RSET is
// refused or QUIT fails; the server has exactly one copy.
func TestAcceptedMessageIsSentWhateverFollows(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault smtptest.Fault
	}{
		{"no fault", smtptest.NoFault},
		{"connection dropped after 250", smtptest.DropAfterAccept},
		{"RSET answered 502", smtptest.RefuseRset},
		{"QUIT answered 554", smtptest.RefuseQuit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink, sender := setup(t, smtptest.Options{}, "", "")
			sink.Fail(tt.fault)
			if err := send(context.Background(), sender); err != nil {
				t.Fatalf("Send: %v, want nil: the server accepted the message", err)
			}
			if got := sink.CopiesByMessageID(); len(got) != 1 || got["<notice-1.coming_due@billingd.test>"] != 1 {
				t.Errorf("copies %v, want one", got)
			}
		})
	}
}

// TestFailuresBeforeAcceptanceAreClassified: a refusal before the 250 is permanent (5xx) or
// temporary (4xx, server down), and nothing is accepted.
func TestFailuresBeforeAcceptanceAreClassified(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		arrange func(*smtptest.Server)
		want    string
		reason  string
	}{
		{"451 to MAIL FROM", func(s *smtptest.Server) { s.Fail(smtptest.TempFailMail) }, "temporary", "451"},
		{"451 after the body", func(s *smtptest.Server) { s.Fail(smtptest.TempFailData) }, "temporary", "451"},
		{"550 to RCPT TO", func(s *smtptest.Server) { s.Reject("ana@example.com") }, "permanent", "550"},
		{"server down", func(s *smtptest.Server) { s.Down() }, "temporary", "connect to 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink, sender := setup(t, smtptest.Options{}, "", "")
			tt.arrange(sink)
			err := send(context.Background(), sender)
			if got := outcome(err); got != tt.want || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Send: %v (%s), want %s naming %q", err, got, tt.want, tt.reason)
			}
			if sink.Count() != 0 {
				t.Errorf("%d messages accepted, want 0", sink.Count())
			}
			var perm *mail.PermanentError
			if tt.want == "permanent" && (!errors.As(err, &perm) || perm.Code != 550) {
				t.Errorf("permanent error %v without its code 550", err)
			}
		})
	}
}

// TestSlowFinalReplyHasItsOwnTimeout (issue 13 item 2): a server slower than the command
// timeout to answer the end of the message is waited for up to data_timeout; past it the
// message is unconfirmed (the server did keep it), never a temporary failure to retry.
func TestSlowFinalReplyHasItsOwnTimeout(t *testing.T) {
	t.Parallel()
	t.Run("slower than timeout, within data_timeout: sent", func(t *testing.T) {
		t.Parallel()
		sink, sender := setup(t, smtptest.Options{}, "&timeout=200ms&data_timeout=10s", "")
		sink.DelayFinalReply(time.Second)
		if err := send(context.Background(), sender); err != nil {
			t.Fatalf("Send: %v, want nil", err)
		}
		if sink.Count() != 1 {
			t.Errorf("%d messages, want 1", sink.Count())
		}
	})
	t.Run("slower than data_timeout: unconfirmed", func(t *testing.T) {
		t.Parallel()
		sink, sender := setup(t, smtptest.Options{}, "&timeout=5s&data_timeout=300ms", "")
		sink.DelayFinalReply(3 * time.Second)
		start := time.Now()
		err := send(context.Background(), sender)
		if outcome(err) != "unconfirmed" || !strings.Contains(err.Error(), "no reply within 300ms (data_timeout)") {
			t.Fatalf("Send: %v (%s), want unconfirmed naming data_timeout", err, outcome(err))
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Send took %s: it did not stop at data_timeout", took)
		}
		if sink.Count() != 1 {
			t.Errorf("%d messages kept by the server, want 1", sink.Count())
		}
	})
	t.Run("stopped while waiting: unconfirmed", func(t *testing.T) {
		t.Parallel()
		sink, sender := setup(t, smtptest.Options{}, "", "")
		sink.DelayFinalReply(5 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := send(ctx, sender)
		if outcome(err) != "unconfirmed" || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("Send: %v (%s), want unconfirmed, interrupted", err, outcome(err))
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Send took %s after its context ended", took)
		}
	})
}

// TestTLSWithInternalCA (issue 13 item 5): STARTTLS and implicit TLS to a server whose
// certificate an internal CA signed, with SMTP AUTH: delivered when the CA file is given,
// refused (temporary: a configuration to fix) without it.
func TestTLSWithInternalCA(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		tls  smtptest.TLS
	}{{"STARTTLS", smtptest.StartTLS}, {"implicit TLS", smtptest.ImplicitTLS}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			opts := smtptest.Options{TLS: mode.tls, Username: "billingd", Password: "s3cret"}
			sink, sender := setup(t, opts, "", "")
			if err := send(context.Background(), sender); outcome(err) != "temporary" || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("without the CA: %v (%s), want a temporary certificate error", err, outcome(err))
			}
			sender = newSender(t, sink.URL(), sink.CAFile())
			if err := send(context.Background(), sender); err != nil {
				t.Fatalf("with the CA: %v", err)
			}
			if m := sink.Messages(); len(m) != 1 || m[0].Auth != "billingd" {
				t.Errorf("messages %v, want one sent after AUTH as billingd", m)
			}
		})
	}
}

func newSender(t *testing.T, url, caFile string) *mail.Sender {
	t.Helper()
	cfg, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootCAs, err = mail.LoadCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	s, err := mail.New(cfg, "cobranca@billingd.test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLoadCAFile refuses a missing file and one with no PEM certificate.
func TestLoadCAFile(t *testing.T) {
	t.Parallel()
	if _, err := mail.LoadCAFile("/nonexistent/ca.pem"); err == nil || !strings.Contains(err.Error(), "read CA file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := mail.LoadCAFile("mail_test.go"); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("not PEM: %v", err)
	}
}
