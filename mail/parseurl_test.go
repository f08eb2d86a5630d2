package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/mail"
)

// TestParseURL reads every scheme and parameter of BILLINGD_SMTP_URL with its default
// (STARTTLS required, port 587 or 465, timeout 30s, data_timeout 10m) and refuses bad input
// with an error naming the part of the URL at fault.
func TestParseURL(t *testing.T) {
	t.Parallel()
	const (
		defTimeout = 30 * time.Second
		defData    = 10 * time.Minute
	)
	for _, tt := range []struct {
		name string
		url  string
		want mail.Config
		err  string
	}{
		{name: "smtp: STARTTLS required on 587 by default", url: "smtp://relay.example",
			want: mail.Config{Host: "relay.example", Port: 587, TLS: "required", Timeout: defTimeout, DataTimeout: defData}},
		{name: "smtps: implicit TLS on 465 by default", url: "smtps://relay.example",
			want: mail.Config{Host: "relay.example", Port: 465, TLS: "implicit", Timeout: defTimeout, DataTimeout: defData}},
		{name: "credentials and port", url: "smtp://u%40x:p%3Aw@relay.example:2525",
			want: mail.Config{Host: "relay.example", Port: 2525, Username: "u@x", Password: "p:w", TLS: "required",
				Timeout: defTimeout, DataTimeout: defData}},
		{name: "user without password", url: "smtp://u@relay.example",
			want: mail.Config{Host: "relay.example", Port: 587, Username: "u", TLS: "required", Timeout: defTimeout, DataTimeout: defData}},
		{name: "starttls=required", url: "smtp://relay.example?starttls=required",
			want: mail.Config{Host: "relay.example", Port: 587, TLS: "required", Timeout: defTimeout, DataTimeout: defData}},
		{name: "starttls=opportunistic", url: "smtp://relay.example:25?starttls=opportunistic",
			want: mail.Config{Host: "relay.example", Port: 25, TLS: "opportunistic", Timeout: defTimeout, DataTimeout: defData}},
		{name: "starttls=none", url: "smtp://relay.example:25?starttls=none",
			want: mail.Config{Host: "relay.example", Port: 25, TLS: "none", Timeout: defTimeout, DataTimeout: defData}},
		{name: "every other parameter", url: "smtps://relay.example:4650?timeout=5s&data_timeout=2m&auth=plain&helo=billingd.example",
			want: mail.Config{Host: "relay.example", Port: 4650, TLS: "implicit", Auth: "plain", HELO: "billingd.example",
				Timeout: 5 * time.Second, DataTimeout: 2 * time.Minute}},
		{name: "auth=login", url: "smtp://relay.example?auth=login",
			want: mail.Config{Host: "relay.example", Port: 587, TLS: "required", Auth: "login", Timeout: defTimeout, DataTimeout: defData}},
		{name: "auth=cram-md5", url: "smtp://relay.example?auth=cram-md5",
			want: mail.Config{Host: "relay.example", Port: 587, TLS: "required", Auth: "cram-md5", Timeout: defTimeout, DataTimeout: defData}},
		{name: "IPv6 host", url: "smtp://[::1]:1025?starttls=none",
			want: mail.Config{Host: "::1", Port: 1025, TLS: "none", Timeout: defTimeout, DataTimeout: defData}},

		{name: "not a URL", url: "smtp://relay example:25\x7f", err: "not a URL"},
		{name: "scheme http", url: "http://relay.example", err: `scheme "http": want smtp or smtps`},
		{name: "no scheme", url: "relay.example:587", err: `scheme "relay.example"`},
		{name: "no host", url: "smtp://:587", err: "no host"},
		{name: "port 0", url: "smtp://relay.example:0", err: `port "0": want 1 to 65535`},
		{name: "port 65536", url: "smtp://relay.example:65536", err: `port "65536": want 1 to 65535`},
		{name: "unknown parameter", url: "smtp://relay.example?datatimeout=1m", err: `unknown parameter "datatimeout"`},
		{name: "starttls on smtps", url: "smtps://relay.example?starttls=required", err: "starttls: smtps already uses implicit TLS"},
		{name: "starttls misspelt", url: "smtp://relay.example?starttls=yes", err: `starttls="yes": want required, opportunistic or none`},
		{name: "timeout not a duration", url: "smtp://relay.example?timeout=30", err: `timeout="30": want a positive duration`},
		{name: "timeout negative", url: "smtp://relay.example?timeout=-1s", err: `timeout="-1s": want a positive duration`},
		{name: "data_timeout zero", url: "smtp://relay.example?data_timeout=0s", err: `data_timeout="0s": want a positive duration`},
		{name: "data_timeout not a duration", url: "smtp://relay.example?data_timeout=soon", err: `data_timeout="soon"`},
		{name: "auth unknown", url: "smtp://relay.example?auth=kerberos", err: `auth="kerberos"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mail.ParseURL(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ParseURL(%q): %+v, %v; want an error with %q", tt.url, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
			}
		})
	}
}

// TestLongest is the longest Send may take: eight commands within timeout and the final
// reply within data_timeout.
func TestLongest(t *testing.T) {
	t.Parallel()
	if got := (mail.Config{Timeout: 30 * time.Second, DataTimeout: 10 * time.Minute}).Longest(); got != 14*time.Minute {
		t.Errorf("Longest %s, want 14m", got)
	}
}
