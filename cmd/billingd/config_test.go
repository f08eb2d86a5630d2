package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/postgres"
)

// TestBadSettingMessages pins the exact one-line error of every bad setting (the text after
// "billingd: " on stderr, exit status 2) and which setting is reported first when several
// are bad.
func TestBadSettingMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("token-from-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"database URL missing", map[string]string{"DATABASE_URL": ""},
			"DATABASE_URL: required: set DATABASE_URL or DATABASE_URL_FILE to a PostgreSQL URL"},
		{"database URL twice", map[string]string{"DATABASE_URL_FILE": tokenFile},
			"DATABASE_URL: set either DATABASE_URL or DATABASE_URL_FILE, not both"},
		{"database URL file unreadable", map[string]string{"DATABASE_URL": "", "DATABASE_URL_FILE": filepath.Join(dir, "missing")},
			"DATABASE_URL_FILE: read secret file: no such file or directory"},
		{"time zone", map[string]string{"BILLINGD_TIMEZONE": "Mars/Base"},
			`BILLINGD_TIMEZONE: unknown time zone "Mars/Base" (want an IANA name such as America/Sao_Paulo)`},
		{"time zone Local", map[string]string{"BILLINGD_TIMEZONE": "Local"},
			`BILLINGD_TIMEZONE: unknown time zone "Local" (want an IANA name such as America/Sao_Paulo)`},
		{"http address", map[string]string{"BILLINGD_HTTP_ADDR": "localhost"}, `BILLINGD_HTTP_ADDR: want host:port, got "localhost"`},
		{"http address without port", map[string]string{"BILLINGD_HTTP_ADDR": "localhost:"}, `BILLINGD_HTTP_ADDR: want host:port, got "localhost:"`},
		{"API token short", map[string]string{"BILLINGD_API_TOKEN": "short"}, "BILLINGD_API_TOKEN: too short: use at least 16 characters"},
		{"API token twice", map[string]string{"BILLINGD_API_TOKEN": "0123456789abcdef", "BILLINGD_API_TOKEN_FILE": tokenFile},
			"BILLINGD_API_TOKEN: set either BILLINGD_API_TOKEN or BILLINGD_API_TOKEN_FILE, not both"},
		{"shutdown timeout", map[string]string{"BILLINGD_SHUTDOWN_TIMEOUT": "soon"},
			`BILLINGD_SHUTDOWN_TIMEOUT: want a positive duration such as 30s or 5m, got "soon"`},
		{"shutdown timeout zero", map[string]string{"BILLINGD_SHUTDOWN_TIMEOUT": "0s"},
			`BILLINGD_SHUTDOWN_TIMEOUT: want a positive duration such as 30s or 5m, got "0s"`},
		{"log format", map[string]string{"BILLINGD_LOG_FORMAT": "xml"}, `BILLINGD_LOG_FORMAT: want one of auto, json, text, got "xml"`},
		{"log level", map[string]string{"BILLINGD_LOG_LEVEL": "loud"}, `BILLINGD_LOG_LEVEL: want one of debug, info, warn, error, got "loud"`},
		{"catch-up days", map[string]string{"BILLINGD_CATCHUP_DAYS": "367"}, `BILLINGD_CATCHUP_DAYS: want a whole number from 0 to 366, got "367"`},
		{"sweep workers", map[string]string{"BILLINGD_SWEEP_WORKERS": "0"}, `BILLINGD_SWEEP_WORKERS: want a whole number from 1 to 64, got "0"`},
		{"batch size", map[string]string{"BILLINGD_BATCH_SIZE": "2k"}, `BILLINGD_BATCH_SIZE: want a whole number from 1 to 100000, got "2k"`},
		{"batch timeout", map[string]string{"BILLINGD_BATCH_TIMEOUT": "-1m"}, `BILLINGD_BATCH_TIMEOUT: want a positive duration such as 30s or 5m, got "-1m"`},
		{"database connections", map[string]string{"BILLINGD_DB_MAX_CONNS": "3"}, `BILLINGD_DB_MAX_CONNS: want a whole number from 4 to 1000, got "3"`},
		{"renewal queue threshold", map[string]string{"BILLINGD_RENEWAL_QUEUE_THRESHOLD": "120"},
			`BILLINGD_RENEWAL_QUEUE_THRESHOLD: want a whole number from 0 to 119, got "120"`},
		{"renewal threshold", map[string]string{"BILLINGD_RENEWAL_THRESHOLD": "x"}, `BILLINGD_RENEWAL_THRESHOLD: want a whole number from 0 to 119, got "x"`},
		{"renewal above queue", map[string]string{"BILLINGD_RENEWAL_THRESHOLD": "4"},
			"BILLINGD_RENEWAL_THRESHOLD: 4 is above BILLINGD_RENEWAL_QUEUE_THRESHOLD 3: a contract is queued before it is renewed"},
		{"rescue after", map[string]string{"BILLINGD_RESCUE_AFTER": "never"}, `BILLINGD_RESCUE_AFTER: want a positive duration such as 30s or 5m, got "never"`},
		{"rescue before batch timeout", map[string]string{"BILLINGD_RESCUE_AFTER": "10m"},
			"BILLINGD_RESCUE_AFTER: must exceed BILLINGD_BATCH_TIMEOUT (10m0s), got 10m0s"},
		{"trust unlock days", map[string]string{"BILLINGD_TRUST_UNLOCK_MAX_DAYS": "91"},
			`BILLINGD_TRUST_UNLOCK_MAX_DAYS: want a whole number from 1 to 90, got "91"`},
		{"trust unlocks per episode", map[string]string{"BILLINGD_TRUST_UNLOCKS_PER_EPISODE": "0"},
			`BILLINGD_TRUST_UNLOCKS_PER_EPISODE: want a whole number from 1 to 100, got "0"`},
		{"SMTP URL", map[string]string{"BILLINGD_SMTP_URL": "http://mail.example.com"}, `BILLINGD_SMTP_URL: scheme "http": want smtp or smtps`},
		{"SMTP sender missing", map[string]string{"BILLINGD_SMTP_URL": "smtp://mail.example.com"},
			`BILLINGD_SMTP_FROM: want the sender address of the e-mails, such as cobranca@example.com.br: sender address "": mail: no address`},
		{"notice days", map[string]string{"BILLINGD_NOTICE_DAYS_BEFORE_DUE": "61"},
			`BILLINGD_NOTICE_DAYS_BEFORE_DUE: want a whole number from 0 to 60, got "61"`},
		{"partial payments", map[string]string{"BILLINGD_PARTIAL_PAYMENTS": "no"}, `BILLINGD_PARTIAL_PAYMENTS: want true or false, got "no"`},
		{"schedule", map[string]string{"BILLINGD_SEND_NOTICES_SCHEDULE": "@every 1h"},
			`BILLINGD_SEND_NOTICES_SCHEDULE: cron expression "@every 1h": @every is not supported; use a calendar schedule`},
		{"enabled", map[string]string{"BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED": "yes"},
			`BILLINGD_RESET_BENEFIT_QUOTAS_ENABLED: want true or false, got "yes"`},
		// Several bad settings: the first in the table is reported.
		{"first of several", map[string]string{"BILLINGD_LOG_LEVEL": "loud", "BILLINGD_TIMEZONE": "Mars/Base", "BILLINGD_BATCH_SIZE": "0"},
			`BILLINGD_TIMEZONE: unknown time zone "Mars/Base" (want an IANA name such as America/Sao_Paulo)`},
		{"bad schedule before bad switch", map[string]string{"BILLINGD_GENERATE_INSTALLMENTS_ENABLED": "maybe",
			"BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE": "61 * * * *"}, `BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE: invalid cron expression "61 * * * *": end of range (61) above maximum (59): 61`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := loadConfig(lookupOf(env))
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a configError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n %s\nwant\n %s", err, tt.want)
			}
		})
	}
}

// TestSettingDefaults pins the value every setting takes when it is unset.
func TestSettingDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(lookupOf(map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location.String() != "America/Sao_Paulo" || cfg.HTTPAddr != "127.0.0.1:8080" || cfg.APIToken != "" ||
		cfg.ShutdownTimeout != 30*time.Second || cfg.LogFormat != "auto" || cfg.LogLevel != "info" || cfg.CatchUpDays != 31 ||
		cfg.SweepWorkers != 2 || cfg.BatchSize != 2000 || cfg.BatchTimeout != 10*time.Minute || cfg.DBMaxConns != 20 ||
		cfg.RescueAfter != 15*time.Minute || cfg.Renewal.Queue != 3 || cfg.Renewal.Renewal != 2 ||
		cfg.TrustUnlockMaxDays != 7 || cfg.TrustUnlocksPerEpisode != 1 || cfg.SMTP != nil || cfg.SMTPFrom != "" ||
		cfg.NoticeDaysBeforeDue != 3 || !cfg.PartialPayments {
		t.Errorf("defaults %+v", cfg)
	}
	want := map[string]string{"generate-installments": "0 2 * * *", "renew-contracts": "0 3 * * *", "block-delinquent": "15 * * * *",
		"reset-benefit-quotas": "5 0 * * *", "send-notices": "0 8 * * *", "import-payments": "*/5 * * * *"}
	if len(cfg.Schedules) != len(want) {
		t.Fatalf("%d schedules, want %d", len(cfg.Schedules), len(want))
	}
	for _, s := range cfg.Schedules {
		// Without BILLINGD_PAYMENT_DROP_DIR import-payments is not scheduled
		// (TestImportPaymentsScheduledOnlyWithDropDir).
		enabled := s.Spec.Name != "import-payments"
		if s.Expr != want[s.Spec.Name] || s.Enabled != enabled || s.Cron == nil {
			t.Errorf("%s: schedule %q enabled %t, want %q enabled %t", s.Spec.Name, s.Expr, s.Enabled, want[s.Spec.Name], enabled)
		}
	}
}

// TestImportPaymentsScheduledOnlyWithDropDir: import-payments runs on its schedule only when
// there is a drop directory to read, and BILLINGD_IMPORT_PAYMENTS_ENABLED=false still turns
// it off; the other jobs' schedules do not depend on it.
func TestImportPaymentsScheduledOnlyWithDropDir(t *testing.T) {
	t.Parallel()
	drop := t.TempDir()
	for _, tc := range []struct {
		dropDir, enabled string
		want             bool
	}{
		{"", "", false},
		{"", "true", false},
		{drop, "", true},
		{drop, "true", true},
		{drop, "false", false},
	} {
		env := map[string]string{"DATABASE_URL": "postgres://x@localhost/x"}
		if tc.dropDir != "" {
			env["BILLINGD_PAYMENT_DROP_DIR"] = tc.dropDir
		}
		if tc.enabled != "" {
			env["BILLINGD_IMPORT_PAYMENTS_ENABLED"] = tc.enabled
		}
		cfg, err := loadConfig(lookupOf(env))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range cfg.Schedules {
			want := s.Spec.Name != "import-payments" || tc.want
			if s.Enabled != want {
				t.Errorf("drop dir %q, enabled %q: %s enabled %t, want %t", tc.dropDir, tc.enabled, s.Spec.Name, s.Enabled, want)
			}
		}
	}
}

// TestPartialPaymentsReachTheStore: BILLINGD_PARTIAL_PAYMENTS=false makes the store every
// payment path records through refuse partial payments; by default it records them.
func TestPartialPaymentsReachTheStore(t *testing.T) {
	t.Parallel()
	for value, refuse := range map[string]bool{"": false, "true": false, "false": true} {
		cfg, err := loadConfig(lookupOf(map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "BILLINGD_PARTIAL_PAYMENTS": value}))
		if err != nil {
			t.Fatal(err)
		}
		store, err := newStore(cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if store.RefusePartialPayments != refuse {
			t.Errorf("BILLINGD_PARTIAL_PAYMENTS=%q: the store refuses partial payments %t, want %t", value, store.RefusePartialPayments, refuse)
		}
	}
}

// TestContractChangeSettings: BILLINGD_ACTIVATION_WAIT_DAYS reaches the store (30 by
// default, 1 to 365), and BILLINGD_CANCEL_REASON_REQUIRED is true by default; the wait
// also reaches generate-installments' follow-ups through the store's.
func TestContractChangeSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		wait, required string
		days           int
		req            bool
	}{{"", "", 30, true}, {"7", "false", 7, false}, {"365", "true", 365, true}} {
		cfg, err := loadConfig(lookupOf(map[string]string{"DATABASE_URL": "postgres://x@localhost/x",
			"BILLINGD_ACTIVATION_WAIT_DAYS": tc.wait, "BILLINGD_CANCEL_REASON_REQUIRED": tc.required}))
		if err != nil {
			t.Fatal(err)
		}
		store, err := newStore(cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if store.ActivationWaitDays != tc.days || cfg.CancelReasonRequired != tc.req {
			t.Errorf("%q, %q: the store waits %d days, reason required %t; want %d, %t", tc.wait, tc.required,
				store.ActivationWaitDays, cfg.CancelReasonRequired, tc.days, tc.req)
		}
		if g, ok := sweeps(cfg, store, slog.New(slog.DiscardHandler))["generate-installments"].(postgres.GenerateSweep); !ok || g.FollowUps == nil {
			t.Errorf("generate-installments sweep %#v: want the store's follow-ups", sweeps(cfg, store, slog.New(slog.DiscardHandler))["generate-installments"])
		}
	}
	for _, bad := range []string{"0", "366", "x"} {
		if _, err := loadConfig(lookupOf(map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "BILLINGD_ACTIVATION_WAIT_DAYS": bad})); err == nil ||
			!strings.Contains(err.Error(), "BILLINGD_ACTIVATION_WAIT_DAYS") {
			t.Errorf("BILLINGD_ACTIVATION_WAIT_DAYS=%s: %v, want an error naming it", bad, err)
		}
	}
}
