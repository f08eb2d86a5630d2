// Package smtptest is an in-process SMTP server on loopback (github.com/emersion/go-smtp) for
// tests and benchmarks: it keeps every message it accepts, refuses chosen recipients with
// 550, and can be stopped and started again on the same port to play a server that is down.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted e-mail.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
}

// Server is a running sink.
type Server struct {
	tb     testing.TB
	addr   string
	mu     sync.Mutex
	srv    *smtp.Server
	msgs   []Message
	reject map[string]bool
	// discard keeps only a count of messages (for benchmarks).
	discard bool
	count   int
}

// Start starts a sink on 127.0.0.1 (a free port), stopped when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{tb: tb, addr: "127.0.0.1:0", reject: map[string]bool{}}
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

// URL is the sink's BILLINGD_SMTP_URL (no TLS, no auth).
func (s *Server) URL() string { return "smtp://" + s.addr + "?starttls=none&timeout=5s" }

// Reject makes the server answer 550 to RCPT TO for addr.
func (s *Server) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(addr)] = true
}

// Down stops the server: connections are refused until Up.
func (s *Server) Down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up (re)starts the server on its address.
func (s *Server) Up() {
	s.tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free again
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.tb.Fatalf("smtptest: listen: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
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

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
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
	defer x.s.mu.Unlock()
	x.s.count++
	if x.s.discard {
		return nil
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errors.New("unparsable message")
	}
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Raw: raw, Header: m.Header})
	return nil
}
