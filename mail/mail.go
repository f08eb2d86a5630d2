// Package mail is billingd's SMTP adapter: it sends a rendered notice through an SMTP server
// (github.com/wneessen/go-mail dials, applies the STARTTLS policy and authenticates; the mail
// transaction is driven here so that the server's reply to the end of the message is known
// apart from what follows it) and says whether a failure is worth retrying, and whether the
// message may have been delivered although no reply confirmed it.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

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
	Auth string
	// Timeout bounds the dial and each command.
	Timeout time.Duration
	// DataTimeout bounds the wait for the server's reply to the end of the message: the one
	// that says it accepted it.
	DataTimeout time.Duration
	// HELO is the name announced to the server; empty means the host's name.
	HELO string
	// RootCAs verifies the server's certificate; nil means the system's roots.
	RootCAs *x509.CertPool
}

// DefaultDataTimeout is how long the server may take to answer the end of a message: RFC 5321
// §4.5.3.2.6 asks a client to wait 10 minutes for it.
const DefaultDataTimeout = 10 * time.Minute

// Longest is the longest one Send may take: the dial, the greeting with EHLO, STARTTLS and
// AUTH, MAIL, RCPT, DATA, the body and QUIT within Timeout each, and the final reply within
// DataTimeout.
func (c Config) Longest() time.Duration { return 8*c.Timeout + c.DataTimeout }

// ParseURL reads smtp://user:pass@host:587?starttls=required&timeout=30s&auth=plain, or
// smtps://user:pass@host:465 for implicit TLS. starttls is required (default),
// opportunistic or none; timeout bounds the dial and every command (default 30s);
// data_timeout bounds the wait for the reply to the end of a message (default 10m).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("not a URL (want smtp://user:pass@host:587?starttls=required)")
	}
	c := Config{Host: u.Hostname(), TLS: "required", Timeout: 30 * time.Second, DataTimeout: DefaultDataTimeout}
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
		case "starttls", "timeout", "data_timeout", "auth", "helo":
		default:
			return Config{}, fmt.Errorf("unknown parameter %q (want starttls, timeout, data_timeout, auth or helo)", k)
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
	if v := q.Get("data_timeout"); v != "" {
		if c.DataTimeout, err = time.ParseDuration(v); err != nil || c.DataTimeout <= 0 {
			return Config{}, fmt.Errorf("data_timeout=%q: want a positive duration such as 10m", v)
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

// LoadCAFile reads the PEM certificates of the CAs that may sign the SMTP server's
// certificate (an internal CA); the system's roots are not added.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("no PEM certificate in %s", path)
	}
	return pool, nil
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

// Longest is the longest one Send may take (Config.Longest).
func (s *Sender) Longest() time.Duration { return s.cfg.Longest() }

// Domain is the sender address's domain, used in Message-IDs.
func (s *Sender) Domain() string {
	_, d, _ := strings.Cut(s.from.Address, "@")
	return d
}

// Send delivers one e-mail (multipart/alternative: plain text and HTML) to to, with the
// given Message-ID, and returns nil once the server has accepted it: its reply to the end of
// the message is a 2xx. What follows that reply (QUIT failing, the connection dropping) does
// not count. Errors before it: a *PermanentError when retrying cannot help (the server refused
// the address or the message with a 5xx, or the address is malformed); any other (server
// down, TLS or AUTH failure, a timeout, a 4xx) is temporary. The message sent whole with no
// final reply (none within DataTimeout, the connection lost, ctx done) is an
// *UnconfirmedError: the server may have accepted it. ctx's end interrupts the exchange.
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
	from, err := msg.GetSender(false)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("sender %q: %w", s.from, err)}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("recipient %q: %w", to, err)}
	}

	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("configure SMTP client: %w", err)}
	}
	// go-mail dials, says EHLO, applies the STARTTLS policy and authenticates; the mail
	// transaction is driven here, so that the final reply is known apart from what follows.
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	// Closing the connection unblocks a read or write in progress when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Text.Close() })
	defer stop()
	defer func() { _ = conn.Close() }()
	err = s.transact(ctx, conn, from, rcpts, msg)
	// QUIT when the server is answering (it accepted the message, or refused with a reply);
	// its answer changes nothing: a failing QUIT must not make an accepted message look unsent.
	var reply *textproto.Error
	if err == nil || errors.As(err, &reply) {
		if conn.UpdateDeadline(s.cfg.Timeout) == nil {
			_ = conn.Quit()
		}
	}
	return err
}

// transact sends MAIL FROM, RCPT TO, DATA and the message, each command within Timeout, and
// waits DataTimeout for the reply to the end of the message.
func (s *Sender) transact(ctx context.Context, conn *smtp.Client, from string, rcpts []string, msg *gomail.Msg) error {
	step := func(what string, f func() error) error {
		if err := conn.UpdateDeadline(s.cfg.Timeout); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := f(); err != nil {
			return classify(fmt.Errorf("%s: %w", what, interrupted(ctx, err)))
		}
		return nil
	}
	if err := step("MAIL FROM", func() error { return conn.Mail(from) }); err != nil {
		return err
	}
	for _, rcpt := range rcpts {
		if err := step("RCPT TO "+rcpt, func() error { return conn.Rcpt(rcpt) }); err != nil {
			return err
		}
	}
	var body io.WriteCloser
	if err := step("DATA", func() (err error) { body, err = conn.Data(); return err }); err != nil {
		return err
	}
	dc, ok := body.(*smtp.DataCloser)
	if !ok {
		return fmt.Errorf("DATA: unexpected writer %T", body)
	}
	// The body and its final dot: a failure here leaves the message incomplete, so the server
	// cannot have accepted it (temporary).
	if err := step("message body", func() error {
		if _, err := msg.WriteTo(dc); err != nil {
			return err
		}
		return dc.WriteCloser.Close()
	}); err != nil {
		return err
	}
	if err := conn.UpdateDeadline(s.cfg.DataTimeout); err != nil {
		return &UnconfirmedError{Err: fmt.Errorf("wait for the final reply: %w", err)}
	}
	if _, _, err := conn.Text.ReadResponse(2); err != nil {
		var reply *textproto.Error
		if errors.As(err, &reply) {
			return classify(fmt.Errorf("end of message: %w", err))
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("no reply within %s (data_timeout): %w", s.cfg.DataTimeout, err)
		}
		return &UnconfirmedError{Err: fmt.Errorf("message sent whole, final reply never came (the server may have accepted it): %w",
			interrupted(ctx, err))}
	}
	return nil
}

// interrupted names ctx's end as the cause of err when ctx ended.
func interrupted(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("interrupted (%w): %w", cause, err)
	}
	return err
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
	if s.cfg.RootCAs != nil {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: s.cfg.RootCAs}))
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

// UnconfirmedError is a message the server received whole (its body and final dot were sent)
// whose final reply never came: the server may have accepted it, so sending it again may
// deliver a second copy.
type UnconfirmedError struct {
	Err error
}

func (e *UnconfirmedError) Error() string { return e.Err.Error() }
func (e *UnconfirmedError) Unwrap() error { return e.Err }

// IsUnconfirmed reports whether err is a message sent whole whose final reply never came.
func IsUnconfirmed(err error) bool {
	var u *UnconfirmedError
	return errors.As(err, &u)
}

// classify turns an SMTP reply of 5xx into a PermanentError; everything else (a 4xx, a
// timeout, a lost connection) stays temporary.
func classify(err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code < 600 {
		return &PermanentError{Code: reply.Code, Err: err}
	}
	return err
}
