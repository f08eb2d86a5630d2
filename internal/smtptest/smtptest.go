// Package smtptest is an in-process SMTP server on loopback (github.com/emersion/go-smtp) for
// tests and benchmarks: it keeps every message it accepts, refuses chosen recipients with
// 550, can be stopped and started again on the same port to play a server that is down,
// can misbehave the way real servers do (see Fault), and can speak STARTTLS or implicit TLS
// with a certificate of its own test CA, and require SMTP AUTH.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted e-mail.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
	// Auth is the username the client authenticated as; empty without AUTH.
	Auth string
	// TLS reports whether the message came over TLS (after STARTTLS, or implicit TLS).
	TLS bool
}

// Fault is a way the server misbehaves, from the next command on, until another is set.
// Faults that rewrite or cut a reply act on plain connections (not under TLS).
type Fault int

// The faults, after ../shared/repro/smtp_sink.py's modes.
const (
	// NoFault is a normal server.
	NoFault Fault = iota
	// TempFailMail answers 451 to MAIL FROM.
	TempFailMail
	// TempFailData answers 451 after the message body: the message is not accepted.
	TempFailData
	// DropAfterAccept accepts the message (250 after the body), then closes the connection
	// at once, before RSET or QUIT.
	DropAfterAccept
	// RefuseRset accepts the message, then answers 502 to RSET.
	RefuseRset
	// RefuseQuit accepts the message, then answers 554 to QUIT and closes the connection.
	RefuseQuit
)

// TLS is how the server offers TLS.
type TLS int

// The TLS modes.
const (
	// NoTLS is plain SMTP.
	NoTLS TLS = iota
	// StartTLS offers STARTTLS on a plain connection.
	StartTLS
	// ImplicitTLS speaks TLS from the first byte (smtps).
	ImplicitTLS
)

// Options configures a server started with StartWith.
type Options struct {
	TLS TLS
	// Username and Password, when set, make AUTH PLAIN required before MAIL FROM (offered
	// only under TLS, as real servers do).
	Username, Password string
}

// Server is a running sink.
type Server struct {
	tb     testing.TB
	opts   Options
	ca     *testCA
	addr   string
	mu     sync.Mutex
	srv    *smtp.Server
	ln     net.Listener
	msgs   []Message
	reject map[string]bool
	fault  Fault
	delay  time.Duration
	// discard keeps only a count of messages (for benchmarks).
	discard bool
	count   int
}

// Start starts a plain sink on 127.0.0.1 (a free port), stopped when tb ends.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartWith starts a sink with opts on 127.0.0.1 (a free port), stopped when tb ends. A TLS
// server's certificate (for 127.0.0.1 and localhost) is signed by a CA made for it: see CAFile.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{tb: tb, opts: opts, addr: "127.0.0.1:0", reject: map[string]bool{}}
	if opts.TLS != NoTLS {
		s.ca = newTestCA(tb)
	}
	s.Up()
	tb.Cleanup(s.Down)
	return s
}

// Discard makes the sink count messages without keeping them.
func (s *Server) Discard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discard = true
}

// URL is the sink's BILLINGD_SMTP_URL: TLS as the server offers it (STARTTLS required,
// or smtps), the credentials when AUTH is required, and a 5s command timeout.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr(), RawQuery: "starttls=none&timeout=5s"}
	switch s.opts.TLS {
	case StartTLS:
		u.RawQuery = "starttls=required&timeout=5s"
	case ImplicitTLS:
		u.Scheme, u.RawQuery = "smtps", "timeout=5s"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// CAFile is the path of the PEM file of the CA that signed a TLS server's certificate (the
// file BILLINGD_SMTP_CA_FILE names); empty for a plain server.
func (s *Server) CAFile() string {
	if s.ca == nil {
		return ""
	}
	return s.ca.file
}

// Reject makes the server answer 550 to RCPT TO for addr.
func (s *Server) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(addr)] = true
}

// Fail makes the server misbehave with f from the next command on; NoFault restores it.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// DelayFinalReply makes the server keep each message when its body ends (it has taken
// responsibility for it) and answer 250 only d later: a slow server. Zero answers at once.
func (s *Server) DelayFinalReply(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *Server) currentFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// Down stops the server: connections are refused until Up.
func (s *Server) Down() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Closing the listener too refuses connections even if Serve has not started yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Up (re)starts the server on its address.
func (s *Server) Up() {
	s.tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free again
		if ln, err = net.Listen("tcp", s.Addr()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.tb.Fatalf("smtptest: listen: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	addr := ln.Addr().String()
	var serveOn net.Listener = &faultListener{Listener: ln, s: s}
	switch s.opts.TLS {
	case StartTLS:
		srv.TLSConfig = s.ca.serverConfig
	case ImplicitTLS:
		serveOn = tls.NewListener(serveOn, s.ca.serverConfig)
	}
	s.mu.Lock()
	s.addr, s.srv, s.ln = addr, srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(serveOn) }()
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count is how many messages were accepted.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// CopiesByMessageID counts the accepted messages of each Message-ID.
func (s *Server) CopiesByMessageID() map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		out[m.Header.Get("Message-ID")]++
	}
	return out
}

type session struct {
	s    *Server
	conn *smtp.Conn
	auth string
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// AuthMechanisms implements smtp.AuthSession: PLAIN when the server requires AUTH.
func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != x.s.opts.Username || password != x.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		x.auth = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && x.auth == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	if x.s.currentFault() == TempFailMail {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	rejected := x.s.reject[strings.ToLower(to)]
	x.s.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	if x.s.fault == TempFailData {
		x.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure"}
	}
	delay := x.s.delay
	x.s.count++
	if !x.s.discard {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			x.s.mu.Unlock()
			return errors.New("unparsable message")
		}
		_, overTLS := x.conn.TLSConnectionState()
		x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Raw: raw, Header: m.Header, Auth: x.auth, TLS: overTLS})
	}
	x.s.mu.Unlock()
	// The message is kept: a slow server has taken responsibility for it before it says so.
	time.Sleep(delay)
	return nil
}

// faultListener wraps each accepted connection in a faultConn.
type faultListener struct {
	net.Listener
	s *Server
}

func (l *faultListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: c, s: l.s}, nil
}

// faultConn rewrites or cuts go-smtp's replies (one Write each) for the faults that need it.
type faultConn struct {
	net.Conn
	s *Server
}

// The replies go-smtp writes to the end of a message body, to RSET and to QUIT.
var (
	acceptedReply = []byte("250 2.0.0 OK: queued")
	rsetReply     = []byte("250 2.0.0 Session reset")
	quitReply     = []byte("221 2.0.0 Bye")
)

func (c *faultConn) Write(p []byte) (int, error) {
	switch f := c.s.currentFault(); {
	case f == DropAfterAccept && bytes.HasPrefix(p, acceptedReply):
		n, err := c.Conn.Write(p)
		_ = c.Conn.Close()
		return n, err
	case f == RefuseRset && bytes.HasPrefix(p, rsetReply):
		if _, err := c.Conn.Write([]byte("502 5.5.1 RSET not implemented\r\n")); err != nil {
			return 0, err
		}
		return len(p), nil
	case f == RefuseQuit && bytes.HasPrefix(p, quitReply):
		_, err := c.Conn.Write([]byte("554 5.3.0 QUIT failed\r\n"))
		_ = c.Conn.Close()
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}
