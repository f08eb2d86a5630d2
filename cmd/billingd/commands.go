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
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
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
	now := clock()
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
