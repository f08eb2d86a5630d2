package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// Config is every setting of billingd, read from the environment by loadConfig through the
// Settings table.
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
	// Changes are the settings of contract changes (due day, plan, pause).
	Changes records.ChangeSettings
	// TrustUnlockMaxDays and TrustUnlocksPerEpisode bound trust unlocks.
	TrustUnlockMaxDays     int
	TrustUnlocksPerEpisode int
	// SMTP is the parsed BILLINGD_SMTP_URL; nil when e-mails are not sent.
	SMTP                *mail.Config
	SMTPFrom            string
	NoticeDaysBeforeDue int
	// DryRunTimeout and DryRunSample bound a dry run (POST /v1/runs {"dry_run": true},
	// `billingd run --dry-run`).
	DryRunTimeout time.Duration
	DryRunSample  int
	// PartialPayments records a payment below what is due, leaving its installment open
	// with its balance; false refuses it.
	PartialPayments bool
	// CancelReasonRequired refuses a contract's cancellation that names no reason of the
	// catalogue; ActivationWaitDays is how long a contract activated on its first payment
	// waits for it.
	CancelReasonRequired bool
	ActivationWaitDays   int
	// Dunning is the window collection e-mails are sent in (its Zone is Location).
	Dunning notifications.DunningWindow
	// EventsPublishInterval is how often the leader publishes events; WebhookTimeout bounds
	// one delivery; WebhookMaxBackoff bounds the wait before a failed delivery is retried;
	// WebhookRetentionDays is how long a delivered delivery is kept (0: forever).
	EventsPublishInterval time.Duration
	WebhookTimeout        time.Duration
	WebhookMaxBackoff     time.Duration
	WebhookRetentionDays  int
	// Payments are the business's boleto and PIX settings (nil parts: no instrument of
	// that kind); serve stores them for every writer of installments.
	Payments records.PaymentSettings
	// PaymentDropDir is where import-payments takes bank return files from; "" for none.
	PaymentDropDir string
	// PixWebhookSecret authenticates POST /v1/pix/webhook; "" turns the webhook off.
	PixWebhookSecret string
}

// maxDryRunTimeout keeps a dry run's answer within the HTTP server's write timeout
// (serverWriteTimeout), with time to write it.
const maxDryRunTimeout = serverWriteTimeout - 10*time.Second

// Setting is one environment variable of billingd: its name, default, doc line, whether it
// is a secret (also read from the file NAME_FILE names), and how its value is validated and
// stored in a Config. Settings() is the one table of them: loadConfig, `billingd serve
// --help` and the docs check (TestSettingsDocumented) all read it.
type Setting struct {
	Name    string
	Default string
	Secret  bool
	// Doc is the setting's line in docs/configuration.md (Markdown) and in --help.
	Doc string
	// parse validates v (the value, or Default when unset or empty) and stores it in c. It
	// runs after every setting above it in the table, so it may check against them; its
	// error is the reason, loadConfig names the setting (a *configError names its own).
	parse func(c *Config, v string) error
}

// Settings lists every environment variable billingd reads, in the order loadConfig reads
// them (the first bad one is reported). Adding a setting is adding one entry here (and its
// row in docs/configuration.md, which TestSettingsDocumented checks).
func Settings() []Setting {
	s := []Setting{
		text("DATABASE_URL", "", func(c *Config, v string) error {
			if v == "" {
				return errors.New("required: set DATABASE_URL or DATABASE_URL_FILE to a PostgreSQL URL")
			}
			c.DatabaseURL = v
			return nil
		}, "PostgreSQL URL (required), e.g. postgres://billingd@db:5432/billingd").secret(),
		text("BILLINGD_TIMEZONE", "America/Sao_Paulo", func(c *Config, v string) error {
			loc, err := time.LoadLocation(v)
			if err != nil || v == "Local" {
				return fmt.Errorf("unknown time zone %q (want an IANA name such as America/Sao_Paulo)", v)
			}
			c.Location = loc
			return nil
		}, `business time zone: decides what "today" is and when schedules fire`),
		text("BILLINGD_HTTP_ADDR", "127.0.0.1:8080", func(c *Config, v string) error {
			if _, port, ok := strings.Cut(v, ":"); !ok || port == "" {
				return fmt.Errorf("want host:port, got %q", v)
			}
			c.HTTPAddr = v
			return nil
		}, "listen address of the HTTP server (API, health, metrics)"),
		text("BILLINGD_API_TOKEN", "", func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("too short: use at least 16 characters")
			}
			c.APIToken = v
			return nil
		}, "the bootstrap API token: the API and the River UI accept it, as they accept named tokens (POST /v1/tokens), and the audit log calls its user bootstrap (required by serve; at least 16 characters)").secret(),
		duration("BILLINGD_SHUTDOWN_TIMEOUT", "30s", func(c *Config) *time.Duration { return &c.ShutdownTimeout },
			"on SIGTERM, how long running jobs may finish before they are cancelled"),
		oneOf("BILLINGD_LOG_FORMAT", "auto", []string{"auto", "json", "text"}, func(c *Config) *string { return &c.LogFormat },
			"json, text, or auto (text on a terminal, JSON otherwise)"),
		oneOf("BILLINGD_LOG_LEVEL", "info", []string{"debug", "info", "warn", "error"}, func(c *Config) *string { return &c.LogLevel },
			"debug, info, warn or error"),
		integer("BILLINGD_CATCHUP_DAYS", "31", 0, 366, func(c *Config) *int { return &c.CatchUpDays },
			"how many days back a new leader enqueues the scheduled dates it missed"),
		integer("BILLINGD_SWEEP_WORKERS", "2", 1, 64, func(c *Config) *int { return &c.SweepWorkers },
			"sweep batches one process works at once"),
		integer("BILLINGD_BATCH_SIZE", "2000", 1, 100000, func(c *Config) *int { return &c.BatchSize },
			"contracts per sweep batch"),
		duration("BILLINGD_BATCH_TIMEOUT", "10m", func(c *Config) *time.Duration { return &c.BatchTimeout },
			"longest one sweep batch may run before it is cancelled and retried"),
		integer("BILLINGD_DB_MAX_CONNS", "20", 4, 1000, func(c *Config) *int { return &c.DBMaxConns },
			"PostgreSQL connections one process may open (River, sweeps, e-mail deliveries and the API share them)"),
		integer("BILLINGD_RENEWAL_QUEUE_THRESHOLD", "3", 0, 119, func(c *Config) *int { return &c.Renewal.Queue },
			"open installments of a term at or below which renew-contracts puts the contract in the renewal queue (a plan may override)"),
		integer("BILLINGD_RENEWAL_THRESHOLD", "2", 0, 119, func(c *Config) *int { return &c.Renewal.Renewal },
			"open installments of a term at or below which renew-contracts renews the contract (at most the queue threshold; a plan may override)").
			then(func(c *Config) error {
				if c.Renewal.Renewal > c.Renewal.Queue {
					return fmt.Errorf("%d is above BILLINGD_RENEWAL_QUEUE_THRESHOLD %d: a contract is queued before it is renewed",
						c.Renewal.Renewal, c.Renewal.Queue)
				}
				return nil
			}),
		duration("BILLINGD_RESCUE_AFTER", "15m", func(c *Config) *time.Duration { return &c.RescueAfter },
			"how long a job may stay running before it is taken for lost (its process died) and retried; must exceed BILLINGD_BATCH_TIMEOUT").
			then(func(c *Config) error {
				if c.RescueAfter <= c.BatchTimeout {
					return fmt.Errorf("must exceed BILLINGD_BATCH_TIMEOUT (%s), got %s", c.BatchTimeout, c.RescueAfter)
				}
				return nil
			}),
		integer("BILLINGD_TRUST_UNLOCK_MAX_DAYS", "7", 1, 90, func(c *Config) *int { return &c.TrustUnlockMaxDays },
			"longest trust unlock, in days, an operator may grant a blocked contract"),
		integer("BILLINGD_TRUST_UNLOCKS_PER_EPISODE", "1", 1, 100, func(c *Config) *int { return &c.TrustUnlocksPerEpisode },
			"trust unlocks one block episode allows"),
		text("BILLINGD_SMTP_URL", "", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			smtp, err := mail.ParseURL(v)
			if err != nil {
				return err
			}
			c.SMTP = &smtp
			return nil
		}, "SMTP server of the e-mails: `smtp://user:pass@host:587?starttls=required` (starttls `required`, `opportunistic` or `none`; "+
			"`timeout=30s` per command; `data_timeout=10m` for the server's reply to the end of a message, the one that says it accepted it; "+
			"`auth=plain`…; `helo=`) or `smtps://…:465`; empty: notices are rendered and kept in the outbox, not sent. "+
			"One delivery may take `data_timeout` + 8 × `timeout` + 30s (14m30s), which `BILLINGD_RESCUE_AFTER` must exceed. "+
			"Secret: prefer `BILLINGD_SMTP_URL_FILE`").secret(),
		text("BILLINGD_SMTP_CA_FILE", "", func(c *Config, v string) error {
			if c.SMTP == nil || v == "" {
				return nil // read only with BILLINGD_SMTP_URL
			}
			cas, err := mail.LoadCAFile(v)
			if err != nil {
				return err
			}
			c.SMTP.RootCAs = cas
			return nil
		}, "PEM file of the CA that signs the SMTP server's certificate (an internal CA), trusted instead of the system's CAs, "+
			"for STARTTLS and `smtps://`; empty: the system's CAs. Read at start: a missing file or one without a certificate stops "+
			"the daemon (exit 2). Not a secret (a CA certificate is public); systemd: `LoadCredential=smtp-ca.pem:…` and "+
			"`BILLINGD_SMTP_CA_FILE=%d/smtp-ca.pem`; Kubernetes: the `smtp-ca.pem` key of the Secret, mounted with the others "+
			"(see deploy/README.md)"),
		text("BILLINGD_SMTP_FROM", "", func(c *Config, v string) error {
			if c.SMTP == nil {
				return nil // read only with BILLINGD_SMTP_URL
			}
			if _, err := mail.New(*c.SMTP, v); err != nil {
				return fmt.Errorf("want the sender address of the e-mails, such as cobranca@example.com.br: %v", err)
			}
			c.SMTPFrom = v
			// A delivery job must end before River takes it for lost.
			if d := jobs.NoticeTimeout(c.SMTP.Longest()); c.RescueAfter <= d {
				return &configError{setting: "BILLINGD_RESCUE_AFTER", err: fmt.Errorf(
					"must exceed the longest e-mail delivery, %s (BILLINGD_SMTP_URL's data_timeout %s, 8 × timeout %s, 30s), got %s",
					d, c.SMTP.DataTimeout, c.SMTP.Timeout, c.RescueAfter)}
			}
			return nil
		}, "sender of the e-mails, e.g. `Cobrança <cobranca@example.com.br>` (required with BILLINGD_SMTP_URL)"),
		integer("BILLINGD_NOTICE_DAYS_BEFORE_DUE", "3", 0, 60, func(c *Config) *int { return &c.NoticeDaysBeforeDue },
			"how many days before its due date send-notices announces an installment"),
		duration("BILLINGD_DRY_RUN_TIMEOUT", "30s", func(c *Config) *time.Duration { return &c.DryRunTimeout },
			"longest a dry run (POST /v1/runs with dry_run; `billingd run --dry-run` without --timeout) may take before it is "+
				"cancelled, having changed nothing; at most 1m50s, within the HTTP server's 2m write timeout").
			then(func(c *Config) error {
				if c.DryRunTimeout > maxDryRunTimeout {
					return fmt.Errorf("at most %s (the HTTP server answers within %s), got %s", maxDryRunTimeout, serverWriteTimeout, c.DryRunTimeout)
				}
				return nil
			}),
		integer("BILLINGD_DRY_RUN_SAMPLE", "50", 0, 1000, func(c *Config) *int { return &c.DryRunSample },
			"how many of the rows a dry run would write it lists (its sample of effects), and the most a request may ask for"),
		text("BILLINGD_DUE_CHANGE_PRORATION", string(billing.ProrationCharge), func(c *Config, v string) error {
			m, err := billing.ParseProrationMode(v)
			c.Changes.DueChangeProration = m
			return err
		}, "what a due-day change does with the days by which it moves the service periods: `charge` bills the days a later day adds "+
			"and credits those an earlier day takes away (a `proration` line on the first moved installment), `credit` only credits, `none` writes nothing"),
		integer("BILLINGD_DUE_CHANGE_MIN_DAYS", "180", 0, 3650, func(c *Config) *int { return &c.Changes.DueChangeMinDays },
			"fewest days between two due-day changes of a contract, counted between the days they were asked (0: no limit); an earlier one is refused with 409 naming the day it is allowed"),
		integer("BILLINGD_PAUSE_MIN_MONTHS", "12", 0, 120, func(c *Config) *int { return &c.Changes.PauseMinMonths },
			"fewest months between the starts of two pauses of a contract (0: no limit); an earlier one is refused with 409 naming the day it may start"),
		boolean("BILLINGD_PARTIAL_PAYMENTS", "true", func(c *Config) *bool { return &c.PartialPayments },
			"whether a payment below what is due on its date is recorded (the installment stays open with its balance); "+
				"`false` refuses it (422 naming `amount` and the figure due; a bank file's or PIX payment becomes an exception)"),
		boolean("BILLINGD_CANCEL_REASON_REQUIRED", "true", func(c *Config) *bool { return &c.CancelReasonRequired },
			"whether cancelling a contract requires a reason of the catalogue (`reason_id` or `reason_code`, "+
				"see /v1/cancellation-reasons); `false` makes it optional"),
		integer("BILLINGD_ACTIVATION_WAIT_DAYS", strconv.Itoa(postgres.DefaultActivationWaitDays), 1, 365,
			func(c *Config) *int { return &c.ActivationWaitDays },
			"days after its adhesion date a contract activated on its first payment waits for that payment; "+
				"still waiting the day after, generate-installments cancels it with the reason `not_paid` and an `activation_expired` notice"),
		integer(notifications.SettingDunningStartHour, strconv.Itoa(notifications.DefaultDunningStartHour),
			notifications.EarliestDunningHour, notifications.LatestDunningHour-1, func(c *Config) *int { return &c.Dunning.StartHour },
			"hour (in BILLINGD_TIMEZONE) from which collection e-mails (reminders, coming due, overdue, debt notices, suspensions, "+
				"termination) go out, on business days only: from 6 to 21 (CDC art. 42: no collecting at night)"),
		integer(notifications.SettingDunningEndHour, strconv.Itoa(notifications.DefaultDunningEndHour),
			notifications.EarliestDunningHour+1, notifications.LatestDunningHour, func(c *Config) *int { return &c.Dunning.EndHour },
			"hour from which no collection e-mail goes out (the window ends before it): after BILLINGD_DUNNING_START_HOUR and "+
				"at most 22 (CLT art. 73 §2: the night starts at 22:00); a notice held back waits for the next window").
			then(func(c *Config) error {
				c.Dunning.Zone = c.Location
				var fe *billing.FieldError
				if err := c.Dunning.Validate(); errors.As(err, &fe) {
					return &configError{setting: fe.Field, err: errors.New(fe.Reason)}
				} else if err != nil {
					return err
				}
				return nil
			}),
		boolean(notifications.SettingDunningSaturday, "false", func(c *Config) *bool { return &c.Dunning.Saturday },
			"whether collection e-mails also go out on Saturdays that are not holidays (never on a Sunday or a banking holiday)"),
		duration("BILLINGD_EVENTS_PUBLISH_INTERVAL", "1s", func(c *Config) *time.Duration { return &c.EventsPublishInterval },
			"how often the leader publishes the events written since (gives them their seq for GET /v1/events) and starts "+
				"the delivery of the webhook endpoints with events due"),
		duration("BILLINGD_WEBHOOK_TIMEOUT", "10s", func(c *Config) *time.Duration { return &c.WebhookTimeout },
			"longest one webhook delivery may take (connecting, sending and reading the answer) before it counts as failed"),
		duration("BILLINGD_WEBHOOK_MAX_BACKOFF", "5m", func(c *Config) *time.Duration { return &c.WebhookMaxBackoff },
			"longest wait before a failed webhook delivery is tried again (the wait starts at 1s and doubles with each failure)"),
		integer("BILLINGD_WEBHOOK_RETENTION_DAYS", "30", 0, 3650, func(c *Config) *int { return &c.WebhookRetentionDays },
			"days a delivered webhook delivery is kept: the leader deletes older delivered ones hourly (pending, failing and "+
				"dropped deliveries are never deleted); 0 keeps them all"),
	}
	s = append(s, paymentSettings()...)
	for _, spec := range jobs.Catalogue {
		prefix := jobEnvPrefix(spec.Name)
		s = append(s,
			text(prefix+"_SCHEDULE", spec.DefaultSchedule, func(c *Config, v string) error {
				sched, err := jobs.ParseSchedule(v, c.Location)
				if err != nil {
					return err
				}
				c.Schedules = append(c.Schedules, jobs.Schedule{Spec: spec, Expr: v, Cron: sched})
				return nil
			}, "cron schedule of "+spec.Name+" (in BILLINGD_TIMEZONE): "+spec.Description),
			boolean(prefix+"_ENABLED", "true", func(c *Config) *bool { return &c.schedule(spec.Name).Enabled },
				"whether the daemon runs "+spec.Name+" on its schedule"),
		)
	}
	return s
}

func jobEnvPrefix(job string) string {
	return "BILLINGD_" + strings.ToUpper(strings.ReplaceAll(job, "-", "_"))
}

// schedule returns the schedule of the named job, read by its _SCHEDULE setting.
func (c *Config) schedule(job string) *jobs.Schedule {
	for i := range c.Schedules {
		if c.Schedules[i].Spec.Name == job {
			return &c.Schedules[i]
		}
	}
	panic("settings table: " + job + "_ENABLED read before its _SCHEDULE")
}

// text is a setting whose value parse checks and stores itself.
func text(name, def string, parse func(c *Config, v string) error, doc string) Setting {
	return Setting{Name: name, Default: def, Doc: doc, parse: parse}
}

// integer is a whole-number setting from lo to hi.
func integer(name, def string, lo, hi int, field func(*Config) *int, doc string) Setting {
	return text(name, def, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d, got %q", lo, hi, v)
		}
		*field(c) = n
		return nil
	}, doc)
}

// duration is a positive-duration setting such as 30s.
func duration(name, def string, field func(*Config) *time.Duration, doc string) Setting {
	return text(name, def, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s or 5m, got %q", v)
		}
		*field(c) = d
		return nil
	}, doc)
}

// boolean is a true/false setting.
func boolean(name, def string, field func(*Config) *bool, doc string) Setting {
	return text(name, def, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*field(c) = b
		return nil
	}, doc)
}

// oneOf is a setting whose value is one of allowed.
func oneOf(name, def string, allowed []string, field func(*Config) *string, doc string) Setting {
	return text(name, def, func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(allowed, ", "), v)
	}, doc)
}

// secret marks s as a secret: also read from the file NAME_FILE names, never logged.
func (s Setting) secret() Setting {
	s.Secret = true
	return s
}

// then adds a check that runs once s is stored, against the settings read so far.
func (s Setting) then(check func(c *Config) error) Setting {
	parse := s.parse
	s.parse = func(c *Config, v string) error {
		if err := parse(c, v); err != nil {
			return err
		}
		return check(c)
	}
	return s
}

// configError is a bad setting: the process stops with exit status 2 and one line naming it.
type configError struct {
	setting string
	err     error
}

func (e *configError) Error() string { return e.setting + ": " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// loadConfig reads and validates every setting of the Settings table in order; the first bad
// one is returned as a configError.
func loadConfig(lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	for _, s := range Settings() {
		v, err := value(lookup, s)
		if err != nil {
			return nil, err
		}
		var ce *configError
		if err := s.parse(c, v); errors.As(err, &ce) {
			return nil, err // a check that names another setting
		} else if err != nil {
			return nil, &configError{setting: s.Name, err: err}
		}
	}
	// import-payments has scheduled work only with a drop directory to read: an uploaded file
	// enqueues its own run (postgres.Store.StorePaymentFile), so without one it is not
	// scheduled (nor caught up), and records no run every five minutes.
	if c.PaymentDropDir == "" {
		c.schedule(jobs.ImportPayments).Enabled = false
	}
	return c, nil
}

// value returns the setting's value: from the environment, from the file NAME_FILE names for
// a secret, or its default when unset or empty.
func value(lookup func(string) (string, bool), s Setting) (string, error) {
	v, ok := lookup(s.Name)
	if s.Secret {
		if path, fok := lookup(s.Name + "_FILE"); fok && path != "" {
			if ok && v != "" {
				return "", &configError{setting: s.Name, err: fmt.Errorf("set either %s or %s_FILE, not both", s.Name, s.Name)}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return "", &configError{setting: s.Name + "_FILE", err: fmt.Errorf("read secret file: %v", errors.Unwrap(err))}
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
	}
	if !ok || v == "" {
		return s.Default, nil
	}
	return v, nil
}

// settingsHelp is the settings part of `billingd serve --help`: each setting with its
// default and doc line, from the Settings table.
func settingsHelp() string {
	var b strings.Builder
	b.WriteString("\nSettings (environment variables; a secret may instead be read from the file NAME_FILE names):\n")
	for _, s := range Settings() {
		switch {
		case s.Secret:
			fmt.Fprintf(&b, "  %s (secret)\n", s.Name)
		case s.Default == "":
			fmt.Fprintf(&b, "  %s\n", s.Name)
		default:
			fmt.Fprintf(&b, "  %s=%s\n", s.Name, s.Default)
		}
		fmt.Fprintf(&b, "      %s\n", strings.ReplaceAll(s.Doc, "`", ""))
	}
	return b.String()
}
