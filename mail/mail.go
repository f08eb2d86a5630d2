// Package mail is billingd's SMTP adapter: it sends a rendered notice through an SMTP server
// with github.com/wneessen/go-mail (STARTTLS policy, SMTP AUTH, timeouts) and says whether a
// failure is worth retrying.
package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/billingd/billingd/notifications"
)

// Config is where and how to send.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "required" (STARTTLS or fail), "opportunistic", "none" or "implicit" (smtps).
	TLS string
	// Auth is the SMTP AUTH mechanism; empty with a username means discover the best one.
	Auth    string
	Timeout time.Duration
	// HELO is the name announced to the server; empty means the host's name.
	HELO string
}

// ParseURL reads smtp://user:pass@host:587?starttls=required&timeout=30s&auth=plain, or
// smtps://user:pass@host:465 for implicit TLS. starttls is required (default),
// opportunistic or none; timeout bounds the dial and every command (default 30s).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("not a URL (want smtp://user:pass@host:587?starttls=required)")
	}
	c := Config{Host: u.Hostname(), TLS: "required", Timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.TLS = 465, "implicit"
	default:
		return Config{}, fmt.Errorf("scheme %q: want smtp or smtps", u.Scheme)
	}
	if c.Host == "" {
		return Config{}, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return Config{}, fmt.Errorf("port %q: want 1 to 65535", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "starttls", "timeout", "auth", "helo":
		default:
			return Config{}, fmt.Errorf("unknown parameter %q (want starttls, timeout, auth or helo)", k)
		}
	}
	if v := q.Get("starttls"); v != "" {
		if u.Scheme == "smtps" {
			return Config{}, errors.New("starttls: smtps already uses implicit TLS")
		}
		switch v {
		case "required", "opportunistic", "none":
			c.TLS = v
		default:
			return Config{}, fmt.Errorf("starttls=%q: want required, opportunistic or none", v)
		}
	}
	if v := q.Get("timeout"); v != "" {
		if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 {
			return Config{}, fmt.Errorf("timeout=%q: want a positive duration such as 30s", v)
		}
	}
	if v := q.Get("auth"); v != "" {
		var a gomail.SMTPAuthType
		if err := a.UnmarshalString(v); err != nil {
			return Config{}, fmt.Errorf("auth=%q: %w", v, err)
		}
		c.Auth = v
	}
	c.HELO = q.Get("helo")
	return c, nil
}

// Sender sends e-mails from one address through one SMTP server.
type Sender struct {
	cfg  Config
	from *netmail.Address
}

// New returns a Sender from the address from ("Cobrança <cobranca@example.com.br>").
func New(cfg Config, from string) (*Sender, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	return &Sender{cfg: cfg, from: addr}, nil
}

// Domain is the sender address's domain, used in Message-IDs.
func (s *Sender) Domain() string {
	_, d, _ := strings.Cut(s.from.Address, "@")
	return d
}

// Send delivers one e-mail (multipart/alternative: plain text and HTML) to to, with the
// given Message-ID. The error is a *PermanentError when retrying cannot help (the server
// refused the address or the message with a 5xx, or the address is malformed); any other
// error (server down, timeout, 4xx) is temporary.
func (s *Sender) Send(ctx context.Context, to string, m notifications.Message, messageID string) error {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(to); err != nil {
		return &PermanentError{Err: fmt.Errorf("recipient %q: %w", to, err)}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)

	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("configure SMTP client: %w", err)}
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(fmt.Errorf("connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err))
	}
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		_ = client.CloseWithSMTPClient(conn)
		return classify(fmt.Errorf("send to %s: %w", to, err))
	}
	// The server accepted the message: a failing QUIT must not make it look unsent.
	_ = client.CloseWithSMTPClient(conn)
	return nil
}

func (s *Sender) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	case "opportunistic":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if s.cfg.Auth != "" {
			_ = auth.UnmarshalString(s.cfg.Auth)
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	return opts
}

// PermanentError is a delivery failure that retrying cannot fix.
type PermanentError struct {
	// Code is the SMTP reply code (550, say); 0 when the failure is not the server's reply.
	Code int
	Err  error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a delivery failure not worth retrying.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// classify turns a go-mail error into a PermanentError when the server answered 5xx or the
// message's addresses are unusable; everything else stays temporary.
func classify(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return err
	}
	if se.IsTemp() {
		return err
	}
	if code := se.ErrorCode(); code >= 500 && code < 600 {
		return &PermanentError{Code: code, Err: err}
	}
	if se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrGetSender {
		return &PermanentError{Err: err}
	}
	return err
}
