package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

const migrateUsage = `Usage: billingd migrate [status]

Applies River's migrations and billingd's own embedded, numbered SQL files, under a
PostgreSQL advisory lock so that concurrent migrators are safe; running it again changes
nothing. "billingd migrate status" lists applied and pending migrations.
`

func cmdMigrate(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", migrateUsage, stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != "status") {
		return usagef("migrate: unexpected argument %q (want nothing or \"status\")", strings.Join(fs.Args(), " "))
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if fs.NArg() == 1 {
		entries, err := migrations.Status(ctx, pool)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tAPPLIED")
		pending := 0
		for _, e := range entries {
			applied := "pending"
			if !e.Pending() {
				applied = e.AppliedAt.In(cfg.Location).Format(time.RFC3339)
			} else {
				pending++
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", e.Component, e.Version, e.Name, applied)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
		fmt.Fprintf(stdout, "%d applied, %d pending\n", len(entries)-pending, pending)
		return nil
	}
	logger := newLogger(cfg, stderr)
	n, err := migrations.Apply(ctx, pool, logger)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "migrations done", slog.Int("applied", n))
	return nil
}

const runUsage = `Usage: billingd run JOB [--as-of YYYY-MM-DD] [--force] [--wait] [--timeout D]

Enqueues a manual run of JOB for the running daemon to work. The run does everything due on
or before the as-of date (default: today in BILLINGD_TIMEZONE) that is not done yet, so a
rerun of a date already done runs again and changes nothing. A date in the future, or
before the catch-up window (BILLINGD_CATCHUP_DAYS back), is refused unless --force is
given, as POST /v1/runs refuses it without "force". With --wait it shows progress, prints
the outcome and counts, and exits 1 when the run failed.

Jobs:
`

func cmdRun(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	usage := runUsage
	for _, s := range jobs.Catalogue {
		usage += fmt.Sprintf("  %-24s %s\n", s.Name, s.Description)
	}
	fs := newFlagSet("run", usage+"\nFlags:\n", stdout)
	asOfFlag := fs.String("as-of", "", "as-of date, YYYY-MM-DD (default today in BILLINGD_TIMEZONE)")
	force := fs.Bool("force", false, "run an as-of date in the future or before the catch-up window")
	wait := fs.Bool("wait", false, "wait for the run to finish and print its outcome")
	timeout := fs.Duration("timeout", time.Hour, "with --wait, how long to wait")
	// Accept the job before or after the flags.
	var job string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		job, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if job == "" && fs.NArg() > 0 {
		job = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if job == "" {
		return usagef("run: name a job (%s)", strings.Join(jobs.Names(), ", "))
	}
	if _, ok := jobs.Lookup(job); !ok {
		return usagef("run: unknown job %q (want %s)", job, strings.Join(jobs.Names(), ", "))
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	today := billing.DateOf(time.Now(), cfg.Location)
	asOf := today
	if *asOfFlag != "" {
		if asOf, err = billing.ParseDate(*asOfFlag); err != nil {
			return usagef("run: --as-of: %v", err)
		}
	}
	if err := records.CheckAsOf(asOf, today, cfg.CatchUpDays); err != nil && !*force {
		return usagef("run: --as-of %v; pass --force to run it anyway", err)
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := newStore(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	requested, err := store.RequestRun(ctx, job, asOf)
	if err != nil {
		return err
	}
	id := requested.ID
	fmt.Fprintf(stdout, "run %d enqueued: %s as of %s\n", id, job, billing.FormatDate(asOf))
	if !*wait {
		return nil
	}
	waitCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	started := time.Now()
	hinted := false
	run, err := jobs.WaitRun(waitCtx, pool, id, 250*time.Millisecond, func(r records.Run) {
		if r.BatchesTotal > 0 {
			fmt.Fprintf(stderr, "run %d: %d/%d batches done\n", r.ID, r.BatchesDone, r.BatchesTotal)
		}
		if r.State == records.RunQueued && !hinted && time.Since(started) > 20*time.Second {
			fmt.Fprintln(stderr, "run still queued: is `billingd serve` running against this database?")
			hinted = true
		}
	})
	if err != nil {
		return err
	}
	counts, _ := json.Marshal(run.Counts)
	fmt.Fprintf(stdout, "run %d %s in %s: %s\n", run.ID, run.State, run.Duration().Round(time.Millisecond), counts)
	if run.State == records.RunFailed {
		return fmt.Errorf("run %d failed: %s", run.ID, run.Error)
	}
	return nil
}

const statusUsage = `Usage: billingd status

Prints each scheduled job with its schedule (in BILLINGD_TIMEZONE), whether it is enabled,
its next run and its last run with the outcome.
`

func cmdStatus(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, _ io.Writer) error {
	fs := newFlagSet("status", statusUsage, stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	last, err := postgres.LastRuns(ctx, pool)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "JOB\tSCHEDULE (%s)\tENABLED\tNEXT RUN\tLAST RUN\n", cfg.Location)
	for _, s := range cfg.Schedules {
		next := "-"
		if s.Enabled {
			next = s.Cron.Next(now).In(cfg.Location).Format("2006-01-02 15:04 MST")
		}
		lastRun := "never"
		if r, ok := last[s.Spec.Name]; ok {
			counts := make([]string, 0, len(r.Counts))
			for k, v := range r.Counts {
				counts = append(counts, fmt.Sprintf("%s=%d", k, v))
			}
			sort.Strings(counts)
			lastRun = fmt.Sprintf("#%d as of %s (%s) %s", r.ID, billing.FormatDate(r.AsOf), r.Trigger, r.State)
			if r.FinishedAt != nil {
				lastRun += " at " + r.FinishedAt.In(cfg.Location).Format("2006-01-02 15:04")
			}
			if len(counts) > 0 {
				lastRun += " " + strings.Join(counts, " ")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", s.Spec.Name, s.Expr, s.Enabled, next, lastRun)
	}
	return tw.Flush()
}

// writeStatus writes v as a JSON response.
func writeStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
