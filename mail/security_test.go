package mail_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/smtptest"
	"github.com/billingd/billingd/mail"
)

// TestConnectionSecurityDefaultsToRequiredSTARTTLS (issue 20 item 2): a URL that names no
// starttls, and a Config whose TLS is left empty, both insist on STARTTLS: against a server
// that does not offer it nothing is sent and the error says so (temporary: a configuration
// or a server to fix), and against one that does the message goes over TLS.
func TestConnectionSecurityDefaultsToRequiredSTARTTLS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		// config builds the sender's configuration for the server at addr.
		config func(t *testing.T, host string, port int) mail.Config
	}{
		{"URL without starttls", func(t *testing.T, host string, port int) mail.Config {
			cfg, err := mail.ParseURL("smtp://" + net.JoinHostPort(host, strconv.Itoa(port)) + "?timeout=5s")
			if err != nil {
				t.Fatal(err)
			}
			return cfg
		}},
		{"Config with TLS empty", func(_ *testing.T, host string, port int) mail.Config {
			return mail.Config{Host: host, Port: port, Timeout: 5 * time.Second, DataTimeout: 5 * time.Second}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plain := smtptest.StartWith(t, smtptest.Options{})
			host, port := hostPort(t, plain.Addr())
			err := send(context.Background(), senderFor(t, tt.config(t, host, port), ""))
			if outcome(err) != "temporary" || !strings.Contains(err.Error(), "does not support STARTTLS") {
				t.Errorf("to a server without STARTTLS: %v (%s), want a temporary error naming STARTTLS", err, outcome(err))
			}
			if plain.Count() != 0 {
				t.Errorf("%d messages sent in clear, want 0", plain.Count())
			}

			secure := smtptest.StartWith(t, smtptest.Options{TLS: smtptest.StartTLS})
			host, port = hostPort(t, secure.Addr())
			if err := send(context.Background(), senderFor(t, tt.config(t, host, port), secure.CAFile())); err != nil {
				t.Fatalf("to a server with STARTTLS: %v", err)
			}
			if m := secure.Messages(); len(m) != 1 || !m[0].TLS {
				t.Errorf("messages %s, want one, over TLS", describe(m))
			}
		})
	}
}

// TestTLSPolicies sends to a plain server and to a STARTTLS one under each starttls value
// and smtps: required refuses the plain server and uses TLS with the other; opportunistic
// uses TLS when offered and sends in clear when not; none never starts TLS; smtps speaks
// TLS from the first byte, so it cannot talk to a STARTTLS server's plain port.
func TestTLSPolicies(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		server smtptest.TLS
		scheme string
		query  string
		// overTLS is whether the message must arrive over TLS; refused, that none arrives
		// and the error names reason.
		overTLS bool
		refused bool
		reason  string
	}{
		{"required, plain server", smtptest.NoTLS, "smtp", "starttls=required", false, true, "does not support STARTTLS"},
		{"required, STARTTLS server", smtptest.StartTLS, "smtp", "starttls=required", true, false, ""},
		{"opportunistic, plain server", smtptest.NoTLS, "smtp", "starttls=opportunistic", false, false, ""},
		{"opportunistic, STARTTLS server", smtptest.StartTLS, "smtp", "starttls=opportunistic", true, false, ""},
		{"none, plain server", smtptest.NoTLS, "smtp", "starttls=none", false, false, ""},
		{"none, STARTTLS server", smtptest.StartTLS, "smtp", "starttls=none", false, false, ""},
		{"smtps, implicit TLS server", smtptest.ImplicitTLS, "smtps", "", true, false, ""},
		{"smtps, plain server", smtptest.NoTLS, "smtps", "", false, true, "connect to 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := smtptest.StartWith(t, smtptest.Options{TLS: tt.server})
			cfg, err := mail.ParseURL(tt.scheme + "://" + sink.Addr() + "?" + strings.TrimPrefix(tt.query+"&timeout=2s", "&"))
			if err != nil {
				t.Fatal(err)
			}
			err = send(context.Background(), senderFor(t, cfg, sink.CAFile()))
			if tt.refused {
				if outcome(err) != "temporary" || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("Send: %v (%s), want a temporary error naming %q", err, outcome(err), tt.reason)
				}
				if sink.Count() != 0 {
					t.Errorf("%d messages accepted, want 0", sink.Count())
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if m := sink.Messages(); len(m) != 1 || m[0].TLS != tt.overTLS {
				t.Errorf("messages %s, want one with TLS %v", describe(m), tt.overTLS)
			}
		})
	}
}

// TestAuth authenticates against servers that require AUTH PLAIN under TLS: the mechanism
// discovered or named, the right and a wrong password; and, with starttls=none, the
// credentials are never sent in clear (the server offers AUTH only under TLS, so nothing is
// sent).
func TestAuth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		server   smtptest.TLS
		scheme   string
		userinfo string
		query    string
		// auth is the username the message must arrive under; empty: refused with reason.
		auth   string
		reason string
	}{
		{"STARTTLS, discovered", smtptest.StartTLS, "smtp", "billingd:s3cret", "", "billingd", ""},
		{"STARTTLS, auth=plain", smtptest.StartTLS, "smtp", "billingd:s3cret", "auth=plain", "billingd", ""},
		{"implicit TLS, auth=plain", smtptest.ImplicitTLS, "smtps", "billingd:s3cret", "auth=plain", "billingd", ""},
		{"wrong password", smtptest.StartTLS, "smtp", "billingd:wrong", "auth=plain", "", "535"},
		{"no credentials", smtptest.StartTLS, "smtp", "", "", "", "530"},
		{"starttls=none keeps the password off a plain connection", smtptest.StartTLS, "smtp", "billingd:s3cret", "starttls=none", "",
			"connect to 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := smtptest.StartWith(t, smtptest.Options{TLS: tt.server, Username: "billingd", Password: "s3cret"})
			raw := tt.scheme + "://"
			if tt.userinfo != "" {
				raw += tt.userinfo + "@"
			}
			raw += sink.Addr() + "?timeout=2s"
			if tt.query != "" {
				raw += "&" + tt.query
			}
			cfg, err := mail.ParseURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			err = send(context.Background(), senderFor(t, cfg, sink.CAFile()))
			if tt.auth == "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("Send: %v, want an error naming %q", err, tt.reason)
				}
				if sink.Count() != 0 {
					t.Errorf("%d messages accepted, want 0", sink.Count())
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if m := sink.Messages(); len(m) != 1 || m[0].Auth != tt.auth || !m[0].TLS {
				t.Errorf("messages %s, want one over TLS after AUTH as %s", describe(m), tt.auth)
			}
		})
	}
}

// senderFor returns a Sender with cfg, trusting the CA in caFile when it is set.
func senderFor(t *testing.T, cfg mail.Config, caFile string) *mail.Sender {
	t.Helper()
	if caFile != "" {
		var err error
		if cfg.RootCAs, err = mail.LoadCAFile(caFile); err != nil {
			t.Fatal(err)
		}
	}
	s, err := mail.New(cfg, "Cobrança <cobranca@billingd.test>")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// describe lists the messages by how they came: AUTH user and TLS.
func describe(msgs []smtptest.Message) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("{auth=%q tls=%v}", m.Auth, m.TLS)
	}
	return "[" + strings.Join(out, " ") + "]"
}

// hostPort splits a server's address into its host and port.
func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	cfg, err := mail.ParseURL("smtp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Host, cfg.Port
}
