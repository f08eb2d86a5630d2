package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/internal/smtptest"
)

// TestBadSMTPSettingsExitWithStatus2AndOneLine: a CA file that cannot be read or holds no
// certificate, a bad data_timeout, and a data_timeout that lets a delivery outlast
// BILLINGD_RESCUE_AFTER are refused at start, naming the setting.
func TestBadSMTPSettingsExitWithStatus2AndOneLine(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	smtp := func(extra ...string) []string {
		return baseEnv(url, append([]string{"BILLINGD_SMTP_URL=smtp://relay.example:587", "BILLINGD_SMTP_FROM=cobranca@example.com.br"}, extra...)...)
	}
	tests := []struct {
		name, setting, reason string
		env                   []string
	}{
		{"missing CA file", "BILLINGD_SMTP_CA_FILE", "read CA file", smtp("BILLINGD_SMTP_CA_FILE=/nonexistent/ca.pem")},
		{"CA file without a certificate", "BILLINGD_SMTP_CA_FILE", "no PEM certificate", smtp("BILLINGD_SMTP_CA_FILE=" + notPEM)},
		{"bad data_timeout", "BILLINGD_SMTP_URL", `data_timeout="forever"`,
			baseEnv(url, "BILLINGD_SMTP_URL=smtp://relay.example?data_timeout=forever", "BILLINGD_SMTP_FROM=cobranca@example.com.br")},
		{"delivery longer than the rescue", "BILLINGD_RESCUE_AFTER", "must exceed the longest e-mail delivery, 20m30s",
			baseEnv(url, "BILLINGD_SMTP_URL=smtp://relay.example?data_timeout=16m", "BILLINGD_SMTP_FROM=cobranca@example.com.br")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(t, tt.env, "serve")
			if code != 2 || stdout != "" || !oneLine(stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and one line", code, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, "billingd: "+tt.setting+": ") || !strings.Contains(stderr, tt.reason) {
				t.Fatalf("stderr %q does not name %s with %q", stderr, tt.setting, tt.reason)
			}
		})
	}
}

// welcomeContracts creates n contracts with the welcome e-mail through the daemon's API.
func welcomeContracts(t *testing.T, d *daemon, n int) {
	t.Helper()
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	today := billing.FormatDate(billing.DateOf(time.Now(), sp))
	var created struct {
		ID int64 `json:"id"`
	}
	if code := d.send("POST", "/v1/plans", `{"name": "Fibra", "price": "93.00", "period": "monthly", "installments_per_term": 12}`, &created); code != 201 {
		t.Fatalf("create plan: %d", code)
	}
	plan := created.ID
	for i := 1; i <= n; i++ {
		if code := d.send("POST", "/v1/customers", fmt.Sprintf(`{"name": "Cliente %d", "email": "c%d@example.com"}`, i, i), &created); code != 201 {
			t.Fatalf("create customer: %d", code)
		}
		body := fmt.Sprintf(`{"customer_id": %d, "plan_id": %d, "adhesion_date": %q, "due_date_rule": {"kind": "anniversary"}, "welcome_email": true}`,
			created.ID, plan, today)
		if code := d.send("POST", "/v1/contracts", body, &created); code != 201 {
			t.Fatalf("create contract: %d", code)
		}
	}
}

// metricsText returns the daemon's /metrics page.
func metricsText(t *testing.T, d *daemon) string {
	t.Helper()
	resp, err := http.Get("http://" + d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return readAll(t, resp)
}

// TestDaemonSendsOverTLSWithInternalCA (issue 13 item 5): the daemon delivers a welcome
// e-mail to a relay speaking STARTTLS with a certificate of an internal CA and requiring
// AUTH, given BILLINGD_SMTP_CA_FILE; /metrics shows it sent and the outbox gauges at 0.
func TestDaemonSendsOverTLSWithInternalCA(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	sink := smtptest.StartWith(t, smtptest.Options{TLS: smtptest.StartTLS, Username: "billingd", Password: "s3cret"})
	d := startDaemon(t, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_SMTP_URL="+sink.URL(),
		"BILLINGD_SMTP_FROM=Cobrança <cobranca@billingd.test>", "BILLINGD_SMTP_CA_FILE="+sink.CAFile()))
	welcomeContracts(t, d, 1)
	waitFor(t, 30*time.Second, "the notice to be sent", func() bool {
		return count(t, pool, "SELECT count(*) FROM notices WHERE state = 'sent'") == 1
	})
	if m := sink.Messages(); len(m) != 1 || m[0].Auth != "billingd" || m[0].To[0] != "c1@example.com" {
		t.Fatalf("messages %v, want one to c1@example.com after AUTH", m)
	}
	body := metricsText(t, d)
	for _, want := range []string{
		`billingd_notices_sent_total{kind="welcome"} 1`,
		`billingd_notices_failed_total{kind="welcome"} 0`,
		`billingd_notices_unconfirmed_total{kind="welcome"} 0`,
		"billingd_notices_undelivered 0",
		"billingd_notices_retrying 0",
		"billingd_notices_oldest_undelivered_age_seconds 0",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}

// TestNoticesKeptWithoutSMTPAreSentAfterRestartWithSMTP (issue 13 item 3): welcome notices
// recorded by a daemon with no SMTP server are rendered and kept; the daemon restarted with
// one sends each of them once on the next send-notices run, and a second run sends nothing.
func TestNoticesKeptWithoutSMTPAreSentAfterRestartWithSMTP(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	const n = 3
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false")
	d := startDaemon(t, env)
	welcomeContracts(t, d, n)
	waitFor(t, 30*time.Second, "the notices to be rendered and kept", func() bool {
		return count(t, pool, "SELECT count(*) FROM notices WHERE state = 'rendered'") == n &&
			count(t, pool, "SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state = 'completed'") == n
	})
	if body := metricsText(t, d); strings.Contains(body, "billingd_notices_undelivered") {
		t.Error("/metrics exports the outbox gauges without an SMTP server (every notice waits by design)")
	}
	if code, _ := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	sink := smtptest.Start(t)
	env = append(env, "BILLINGD_SMTP_URL="+sink.URL(), "BILLINGD_SMTP_FROM=cobranca@billingd.test")
	d = startDaemon(t, env)
	for range 2 {
		if code, stdout, stderr := cli(t, env, "run", "send-notices", "--wait"); code != 0 {
			t.Fatalf("run send-notices: exit %d\n%s%s", code, stdout, stderr)
		}
		waitFor(t, 30*time.Second, "every notice sent", func() bool {
			return count(t, pool, "SELECT count(*) FROM notices WHERE state = 'sent'") == n &&
				count(t, pool, "SELECT count(*) FROM river.river_job WHERE kind = 'deliver_notice' AND state NOT IN ('completed', 'cancelled')") == 0
		})
	}
	copies := sink.CopiesByMessageID()
	if len(copies) != n {
		t.Errorf("%d distinct messages, want %d: %v", len(copies), n, copies)
	}
	for id, c := range copies {
		if c != 1 {
			t.Errorf("%s arrived %d times, want once", id, c)
		}
	}
	if code, _ := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}
