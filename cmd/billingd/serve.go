package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	sdaemon "github.com/coreos/go-systemd/v22/daemon"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"riverqueue.com/riverui"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/mail"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
)

const serveUsage = `Usage: billingd serve

Runs the daemon until SIGTERM or SIGINT: works the job queue, and while it is the elected
leader enqueues the scheduled jobs (in BILLINGD_TIMEZONE) and catches up missed dates.
Serves /healthz, /readyz, /metrics and the /v1 API on BILLINGD_HTTP_ADDR. On a signal it
stops taking jobs, lets running ones finish for up to BILLINGD_SHUTDOWN_TIMEOUT, and exits 0.
`

func cmdServe(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveUsage+settingsHelp(), stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	if cfg.APIToken == "" {
		return &configError{setting: "BILLINGD_API_TOKEN", err: errors.New("required by serve: set BILLINGD_API_TOKEN or BILLINGD_API_TOKEN_FILE")}
	}
	logger := newLogger(cfg, stderr)
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return &configError{setting: "DATABASE_URL", err: err}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return &configError{setting: "BILLINGD_HTTP_ADDR", err: err}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBuildInfoGauge(currentBuildInfo()))
	metrics := jobs.NewMetrics(reg, pool, logger, cfg.Schedules)
	postgres.RegisterInvariants(reg, pool, cfg.Location, clock, logger)
	postgres.RegisterRenewalMetrics(reg, pool, logger)
	postgres.RegisterDelinquencyMetrics(reg, pool, logger)
	delivery := &jobs.Delivery{Pool: pool, Logger: logger, Metrics: jobs.NewNoticeMetrics(reg), Now: clock, Location: cfg.Location,
		Window: &cfg.Dunning}
	if cfg.SMTP != nil {
		if delivery.Mailer, err = mail.New(*cfg.SMTP, cfg.SMTPFrom); err != nil {
			return &configError{setting: "BILLINGD_SMTP_FROM", err: err}
		}
		postgres.RegisterNoticeMetrics(reg, pool, logger)
	} else {
		logger.WarnContext(ctx, "no SMTP configured (BILLINGD_SMTP_URL empty): notices are rendered and kept in the outbox, not sent")
	}
	store, err := newStore(cfg, pool, logger)
	if err != nil {
		return err
	}
	if err := store.SetPaymentSettings(ctx, cfg.Payments); err != nil {
		return fmt.Errorf("store the payment settings: %w", err)
	}
	logger.InfoContext(ctx, "payment instruments", slog.Bool("boleto", cfg.Payments.Boleto != nil), slog.Bool("pix", cfg.Payments.PIX != nil))
	postgres.RegisterCollectionMetrics(reg, pool, cfg.Location, clock, logger)
	postgres.RegisterBusinessMetrics(reg, pool, cfg.Location, clock, logger)
	postgres.RegisterWebhookMetrics(reg, pool, logger)
	runner := &jobs.Runner{
		Pool:         pool,
		Store:        store,
		Sweeps:       sweeps(cfg, store, logger),
		Location:     cfg.Location,
		Now:          clock,
		Logger:       logger,
		Metrics:      metrics,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
	}
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{
		Schedules: cfg.Schedules, CatchUpDays: cfg.CatchUpDays, SweepWorkers: cfg.SweepWorkers,
		SoftStopTimeout: cfg.ShutdownTimeout, RescueAfter: cfg.RescueAfter,
		Delivery: delivery,
		// A signature's timestamp is the wall clock a receiver compares with its own, never the
		// business clock a test may set.
		Webhooks: &jobs.Webhooks{Store: store, Logger: logger, Client: jobs.NewWebhookClient(cfg.WebhookTimeout), Now: time.Now,
			MaxBackoff: cfg.WebhookMaxBackoff, PublishInterval: cfg.EventsPublishInterval, Metrics: jobs.NewWebhookMetrics(reg),
			DeliveryRetention: time.Duration(cfg.WebhookRetentionDays) * 24 * time.Hour},
	})
	if err != nil {
		return err
	}

	var queueRunning atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyHandler(pool, &queueRunning, logger))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	apiServer := api.New(api.Config{
		Store: store, Jobs: jobs.Names(), Token: cfg.APIToken, Location: cfg.Location, Now: clock, Logger: logger,
		CatchUpDays: cfg.CatchUpDays, Changes: cfg.Changes, TrustUnlockMaxDays: cfg.TrustUnlockMaxDays, TrustUnlocksPerEpisode: cfg.TrustUnlocksPerEpisode,
		DryRunner: runner, DryRunTimeout: cfg.DryRunTimeout, DryRunSample: cfg.DryRunSample,
		RenewalThresholds:    cfg.Renewal,
		PixWebhookSecret:     cfg.PixWebhookSecret,
		CancelReasonOptional: !cfg.CancelReasonRequired,
	})
	mux.Handle("/v1/", apiServer)
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil), Logger: logger, Prefix: "/riverui",
	})
	if err != nil {
		return fmt.Errorf("create River UI: %w", err)
	}
	if err := ui.Start(ctx); err != nil {
		return fmt.Errorf("start River UI: %w", err)
	}
	mux.Handle("/riverui/", apiServer.GuardOperatorUI(ui))
	mux.Handle("/ui/", apiServer.GuardOperatorUI(apiServer.OperatorPages()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: serverWriteTimeout}

	// River runs on its own context: the signal starts an explicit, ordered shutdown below.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	queueRunning.Store(true)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.InfoContext(ctx, "billingd started", slog.String("http_addr", ln.Addr().String()),
		slog.String("timezone", cfg.Location.String()), slog.Int("scheduled_jobs", len(cfg.Schedules)))
	if _, err := sdaemon.SdNotify(false, sdaemon.SdNotifyReady); err != nil {
		logger.WarnContext(ctx, "sd_notify ready", slog.String("error", err.Error()))
	}
	go watchdog(ctx, pool, logger)

	var runErr error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutdown requested; draining jobs", slog.String("shutdown_timeout", cfg.ShutdownTimeout.String()))
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	_, _ = sdaemon.SdNotify(false, sdaemon.SdNotifyStopping)
	stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+10*time.Second)
	defer cancel()
	queueRunning.Store(false)
	if err := client.Stop(stopCtx); err != nil {
		logger.ErrorContext(stopCtx, "stop job queue", slog.String("error", err.Error()))
	}
	httpCtx, httpCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer httpCancel()
	if err := srv.Shutdown(httpCtx); err != nil {
		logger.ErrorContext(httpCtx, "stop http server", slog.String("error", err.Error()))
	}
	logger.InfoContext(stopCtx, "billingd stopped")
	return runErr
}

// serverWriteTimeout bounds writing an HTTP answer (http.Server.WriteTimeout); a dry run must
// end well within it (BILLINGD_DRY_RUN_TIMEOUT).
const serverWriteTimeout = 2 * time.Minute

// newStore builds the store of the process, shared by the API and the job workers: the pool,
// and the follow-ups that enqueue, with River, the work that follows its changes.
func newStore(cfg *Config, pool *pgxpool.Pool, logger *slog.Logger) (*postgres.Store, error) {
	followUps, err := jobs.NewFollowUps(logger)
	if err != nil {
		return nil, err
	}
	return &postgres.Store{Pool: pool, FollowUps: followUps, RefusePartialPayments: !cfg.PartialPayments, Location: cfg.Location,
		ActivationWaitDays: cfg.ActivationWaitDays}, nil
}

// sweeps binds each scheduled job to its storage implementation, handing the work that
// follows a batch to the store's follow-ups.
func sweeps(cfg *Config, store *postgres.Store, logger *slog.Logger) map[string]jobs.Sweep {
	return map[string]jobs.Sweep{
		jobs.GenerateInstallments: postgres.GenerateSweep{FollowUps: store.FollowUps},
		jobs.RenewContracts:       postgres.RenewSweep{Thresholds: cfg.Renewal, FollowUps: store.FollowUps},
		jobs.BlockDelinquent: postgres.BlockSweep{FollowUps: store.FollowUps, Location: cfg.Location,
			Today: func() time.Time { return billing.DateOf(clock(), cfg.Location) }},
		jobs.ResetBenefitQuotas: postgres.ResetBenefitQuotasSweep{},
		jobs.SendNotices: postgres.NoticeSweep{
			DaysBeforeDue: cfg.NoticeDaysBeforeDue, Deliver: cfg.SMTP != nil, FollowUps: store.FollowUps,
		},
		jobs.ImportPayments: postgres.ImportPaymentsSweep{Store: store, DropDir: cfg.PaymentDropDir, Now: clock, Logger: logger},
	}
}

// readyHandler answers 200 when the database answers, its migrations are current and the
// job queue client runs; 503 with the failing checks otherwise. Anyone may call it, so a
// failing check says which check failed, never the database's own message (which may name its
// user, host or port); the log has the detail.
func readyHandler(pool *pgxpool.Pool, queueRunning *atomic.Bool, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"database": "ok", "migrations": "ok", "queue": "ok"}
		failed := func(check, status string, err error) {
			checks[check] = status
			logger.WarnContext(ctx, "readiness check failed", slog.String("check", check), slog.String("error", err.Error()))
		}
		if err := pool.Ping(ctx); err != nil {
			failed("database", "unreachable", err)
		} else if err := migrations.Check(ctx, pool); errors.Is(err, migrations.ErrPending) {
			failed("migrations", err.Error(), err)
		} else if err != nil {
			failed("migrations", "unreadable", err)
		}
		if !queueRunning.Load() {
			checks["queue"] = "not running"
		}
		status, ok := http.StatusOK, true
		for _, v := range checks {
			if v != "ok" {
				status, ok = http.StatusServiceUnavailable, false
			}
		}
		writeStatus(w, status, map[string]any{"ready": ok, "checks": checks})
	}
}

// watchdog pets systemd's watchdog while the database answers, when the unit asks for it.
func watchdog(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) {
	interval, err := sdaemon.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return
	}
	ticker := time.NewTicker(interval / 3)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			pingCtx, cancel := context.WithTimeout(ctx, interval/3)
			err := pool.Ping(pingCtx)
			cancel()
			if err != nil {
				logger.WarnContext(ctx, "watchdog: database not answering", slog.String("error", err.Error()))
				continue
			}
			_, _ = sdaemon.SdNotify(false, sdaemon.SdNotifyWatchdog)
		}
	}
}

// openDatabase connects to DATABASE_URL; failure is a configuration error (exit status 2).
func openDatabase(ctx context.Context, cfg *Config) (*pgxpool.Pool, error) {
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, func(c *pgxpool.Config) { c.MaxConns = int32(cfg.DBMaxConns) })
	if err != nil {
		return nil, &configError{setting: "DATABASE_URL", err: errors.Unwrap(err)}
	}
	return pool, nil
}

// newLogger returns a slog logger: JSON by default, text on a terminal.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
