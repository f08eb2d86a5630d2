package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/renewal"
)

// Config is every setting of billingd, read from the environment.
type Config struct {
	DatabaseURL     string
	Location        *time.Location
	HTTPAddr        string
	APIToken        string
	ShutdownTimeout time.Duration
	LogFormat       string
	LogLevel        string
	CatchUpDays     int
	SweepWorkers    int
	BatchSize       int
	BatchTimeout    time.Duration
	DBMaxConns      int
	RescueAfter     time.Duration
	Schedules       []jobs.Schedule
	// Renewal holds the global renewal thresholds; a plan may override them.
	Renewal renewal.Thresholds
	// TrustUnlockMaxDays and TrustUnlocksPerEpisode bound trust unlocks.
	TrustUnlockMaxDays     int
	TrustUnlocksPerEpisode int
	// SMTP is the parsed BILLINGD_SMTP_URL; nil when e-mails are not sent.
	SMTP                *mail.Config
	SMTPFrom            string
	NoticeDaysBeforeDue int
}

// Setting documents one environment variable; docs/configuration.md's table is kept in step with this
// list by a test.
type Setting struct {
	Name    string
	Default string
	Secret  bool
	Doc     string
}

// Settings lists every environment variable billingd reads, with its default.
func Settings() []Setting {
	s := []Setting{
		{Name: "DATABASE_URL", Secret: true, Doc: "PostgreSQL URL (required), e.g. postgres://billingd@db:5432/billingd"},
		{Name: "BILLINGD_TIMEZONE", Default: "America/Sao_Paulo", Doc: "business time zone: decides what \"today\" is and when schedules fire"},
		{Name: "BILLINGD_HTTP_ADDR", Default: "127.0.0.1:8080", Doc: "listen address of the HTTP server (API, health, metrics)"},
		{Name: "BILLINGD_API_TOKEN", Secret: true, Doc: "bearer token the API requires (required by serve; at least 16 characters)"},
		{Name: "BILLINGD_SHUTDOWN_TIMEOUT", Default: "30s", Doc: "on SIGTERM, how long running jobs may finish before they are cancelled"},
		{Name: "BILLINGD_LOG_FORMAT", Default: "auto", Doc: "json, text, or auto (text on a terminal, JSON otherwise)"},
		{Name: "BILLINGD_LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error"},
		{Name: "BILLINGD_CATCHUP_DAYS", Default: "31", Doc: "how many days back a new leader enqueues the scheduled dates it missed"},
		{Name: "BILLINGD_SWEEP_WORKERS", Default: "2", Doc: "sweep batches one process works at once"},
		{Name: "BILLINGD_BATCH_SIZE", Default: "2000", Doc: "contracts per sweep batch"},
		{Name: "BILLINGD_BATCH_TIMEOUT", Default: "10m", Doc: "longest one sweep batch may run before it is cancelled and retried"},
		{Name: "BILLINGD_DB_MAX_CONNS", Default: "20", Doc: "PostgreSQL connections one process may open (River, sweeps, e-mail deliveries and the API share them)"},
		{Name: "BILLINGD_RENEWAL_QUEUE_THRESHOLD", Default: "3", Doc: "open installments of a term at or below which renew-contracts puts the contract in the renewal queue (a plan may override)"},
		{Name: "BILLINGD_RENEWAL_THRESHOLD", Default: "2", Doc: "open installments of a term at or below which renew-contracts renews the contract (at most the queue threshold; a plan may override)"},
		{Name: "BILLINGD_RESCUE_AFTER", Default: "15m", Doc: "how long a job may stay running before it is taken for lost (its process died) and retried; must exceed BILLINGD_BATCH_TIMEOUT"},
		{Name: "BILLINGD_TRUST_UNLOCK_MAX_DAYS", Default: "7", Doc: "longest trust unlock, in days, an operator may grant a blocked contract"},
		{Name: "BILLINGD_TRUST_UNLOCKS_PER_EPISODE", Default: "1", Doc: "trust unlocks one block episode allows"},
		{Name: "BILLINGD_SMTP_URL", Secret: true, Doc: "SMTP server of the e-mails: smtp://user:pass@host:587?starttls=required (starttls required, opportunistic or none; timeout=30s per command; data_timeout=10m for the reply to the end of a message; auth=plain…) or smtps://…:465; empty: notices are rendered and kept in the outbox, not sent"},
		{Name: "BILLINGD_SMTP_FROM", Doc: "sender of the e-mails, e.g. Cobrança <cobranca@example.com.br> (required with BILLINGD_SMTP_URL)"},
		{Name: "BILLINGD_SMTP_CA_FILE", Doc: "PEM file of the CA that signs the SMTP server's certificate (an internal CA), trusted instead of the system's CAs; empty: the system's CAs"},
		{Name: "BILLINGD_NOTICE_DAYS_BEFORE_DUE", Default: "3", Doc: "how many days before its due date send-notices announces an installment"},
	}
	for _, spec := range jobs.Catalogue {
		prefix := jobEnvPrefix(spec.Name)
		s = append(s,
			Setting{Name: prefix + "_SCHEDULE", Default: spec.DefaultSchedule, Doc: "cron schedule of " + spec.Name + " (in BILLINGD_TIMEZONE): " + spec.Description},
			Setting{Name: prefix + "_ENABLED", Default: "true", Doc: "whether the daemon runs " + spec.Name + " on its schedule"},
		)
	}
	return s
}

func jobEnvPrefix(job string) string {
	return "BILLINGD_" + strings.ToUpper(strings.ReplaceAll(job, "-", "_"))
}

// configError is a bad setting: the process stops with exit status 2 and one line naming it.
type configError struct {
	setting string
	err     error
}

func (e *configError) Error() string { return e.setting + ": " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// env reads settings from a lookup function, applying defaults and the *_FILE convention.
type env struct {
	lookup func(string) (string, bool)
	err    error
}

func (e *env) fail(name string, format string, args ...any) {
	if e.err == nil {
		e.err = &configError{setting: name, err: fmt.Errorf(format, args...)}
	}
}

// get returns the value of name, or of the file named by name_FILE for secrets, or def.
func (e *env) get(name, def string, secret bool) string {
	v, ok := e.lookup(name)
	if secret {
		if path, fok := e.lookup(name + "_FILE"); fok && path != "" {
			if ok && v != "" {
				e.fail(name, "set either %s or %s_FILE, not both", name, name)
				return ""
			}
			b, err := os.ReadFile(path)
			if err != nil {
				e.fail(name+"_FILE", "read secret file: %v", errors.Unwrap(err))
				return ""
			}
			return strings.TrimRight(string(b), "\r\n")
		}
	}
	if !ok || v == "" {
		return def
	}
	return v
}

func (e *env) duration(name, def string) time.Duration {
	v := e.get(name, def, false)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, "want a positive duration such as 30s or 5m, got %q", v)
	}
	return d
}

func (e *env) integer(name, def string, lo, hi int) int {
	v := e.get(name, def, false)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(name, "want a whole number from %d to %d, got %q", lo, hi, v)
	}
	return n
}

func (e *env) boolean(name, def string) bool {
	v := e.get(name, def, false)
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "want true or false, got %q", v)
	}
	return b
}

func (e *env) oneOf(name, def string, allowed ...string) string {
	v := e.get(name, def, false)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	e.fail(name, "want one of %s, got %q", strings.Join(allowed, ", "), v)
	return v
}

// loadConfig reads and validates every setting; the first bad one is returned as a configError.
func loadConfig(lookup func(string) (string, bool)) (*Config, error) {
	e := &env{lookup: lookup}
	c := &Config{}
	c.DatabaseURL = e.get("DATABASE_URL", "", true)
	if c.DatabaseURL == "" && e.err == nil {
		e.fail("DATABASE_URL", "required: set DATABASE_URL or DATABASE_URL_FILE to a PostgreSQL URL")
	}
	tz := e.get("BILLINGD_TIMEZONE", "America/Sao_Paulo", false)
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		e.fail("BILLINGD_TIMEZONE", "unknown time zone %q (want an IANA name such as America/Sao_Paulo)", tz)
		loc = time.UTC
	}
	c.Location = loc
	c.HTTPAddr = e.get("BILLINGD_HTTP_ADDR", "127.0.0.1:8080", false)
	if _, port, ok := strings.Cut(c.HTTPAddr, ":"); !ok || port == "" {
		e.fail("BILLINGD_HTTP_ADDR", "want host:port, got %q", c.HTTPAddr)
	}
	c.APIToken = e.get("BILLINGD_API_TOKEN", "", true)
	if c.APIToken != "" && len(c.APIToken) < 16 {
		e.fail("BILLINGD_API_TOKEN", "too short: use at least 16 characters")
	}
	c.ShutdownTimeout = e.duration("BILLINGD_SHUTDOWN_TIMEOUT", "30s")
	c.LogFormat = e.oneOf("BILLINGD_LOG_FORMAT", "auto", "auto", "json", "text")
	c.LogLevel = e.oneOf("BILLINGD_LOG_LEVEL", "info", "debug", "info", "warn", "error")
	c.CatchUpDays = e.integer("BILLINGD_CATCHUP_DAYS", "31", 0, 366)
	c.SweepWorkers = e.integer("BILLINGD_SWEEP_WORKERS", "2", 1, 64)
	c.BatchSize = e.integer("BILLINGD_BATCH_SIZE", "2000", 1, 100000)
	c.BatchTimeout = e.duration("BILLINGD_BATCH_TIMEOUT", "10m")
	c.DBMaxConns = e.integer("BILLINGD_DB_MAX_CONNS", "20", 4, 1000)
	c.Renewal.Queue = e.integer("BILLINGD_RENEWAL_QUEUE_THRESHOLD", "3", 0, 119)
	c.Renewal.Renewal = e.integer("BILLINGD_RENEWAL_THRESHOLD", "2", 0, 119)
	if c.Renewal.Renewal > c.Renewal.Queue {
		e.fail("BILLINGD_RENEWAL_THRESHOLD", "%d is above BILLINGD_RENEWAL_QUEUE_THRESHOLD %d: a contract is queued before it is renewed",
			c.Renewal.Renewal, c.Renewal.Queue)
	}
	c.RescueAfter = e.duration("BILLINGD_RESCUE_AFTER", "15m")
	if c.RescueAfter <= c.BatchTimeout && e.err == nil {
		e.fail("BILLINGD_RESCUE_AFTER", "must exceed BILLINGD_BATCH_TIMEOUT (%s), got %s", c.BatchTimeout, c.RescueAfter)
	}
	c.TrustUnlockMaxDays = e.integer("BILLINGD_TRUST_UNLOCK_MAX_DAYS", "7", 1, 90)
	c.TrustUnlocksPerEpisode = e.integer("BILLINGD_TRUST_UNLOCKS_PER_EPISODE", "1", 1, 100)
	if raw := e.get("BILLINGD_SMTP_URL", "", true); raw != "" {
		smtp, err := mail.ParseURL(raw)
		if err != nil {
			e.fail("BILLINGD_SMTP_URL", "%v", err)
		}
		if path := e.get("BILLINGD_SMTP_CA_FILE", "", false); path != "" {
			if smtp.RootCAs, err = mail.LoadCAFile(path); err != nil {
				e.fail("BILLINGD_SMTP_CA_FILE", "%v", err)
			}
		}
		c.SMTP = &smtp
		c.SMTPFrom = e.get("BILLINGD_SMTP_FROM", "", false)
		if _, err := mail.New(smtp, c.SMTPFrom); err != nil {
			e.fail("BILLINGD_SMTP_FROM", "want the sender address of the e-mails, such as cobranca@example.com.br: %v", err)
		}
		if d := jobs.NoticeTimeout(smtp.Longest()); c.RescueAfter <= d && e.err == nil {
			e.fail("BILLINGD_RESCUE_AFTER", "must exceed the longest e-mail delivery, %s (BILLINGD_SMTP_URL's data_timeout %s, 8 × timeout %s, 30s), got %s",
				d, smtp.DataTimeout, smtp.Timeout, c.RescueAfter)
		}
	}
	c.NoticeDaysBeforeDue = e.integer("BILLINGD_NOTICE_DAYS_BEFORE_DUE", "3", 0, 60)
	for _, spec := range jobs.Catalogue {
		prefix := jobEnvPrefix(spec.Name)
		expr := e.get(prefix+"_SCHEDULE", spec.DefaultSchedule, false)
		sched, err := jobs.ParseSchedule(expr, loc)
		if err != nil {
			e.fail(prefix+"_SCHEDULE", "%v", err)
		}
		c.Schedules = append(c.Schedules, jobs.Schedule{
			Spec: spec, Expr: expr, Enabled: e.boolean(prefix+"_ENABLED", "true"), Cron: sched,
		})
	}
	if e.err != nil {
		return nil, e.err
	}
	return c, nil
}
