package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

const contractUsage = `Usage: billingd contract ID [--on YYYY-MM-DD] [--limit N] [--output text|json]

Prints contract ID's state on a date and why (the explain of GET /v1/contracts/{id}/explain:
collection, renewal, installments, benefits, and the installments overdue), then its
timeline (GET /v1/contracts/{id}/timeline): every event in order with its reason and the
rule or setting that decided it. It reads the database directly (DATABASE_URL); the daemon
need not run. --output json prints both answers as the API does.
`

func cmdContract(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, _ io.Writer) error {
	fs := newFlagSet("contract", contractUsage, stdout)
	on := fs.String("on", "", "the date to explain, YYYY-MM-DD (default today in BILLINGD_TIMEZONE)")
	limit := fs.Int("limit", records.DefaultTimelineLimit, fmt.Sprintf("the most timeline entries to print (1 to %d)", records.MaxTimelineLimit))
	output := fs.String("output", "text", "text or json")
	// The id comes first; flags may follow it.
	var idArg string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		idArg, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if idArg == "" && fs.NArg() > 0 {
		idArg = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("contract: unexpected argument %q", fs.Arg(0))
	}
	if idArg == "" {
		return usagef("contract: want a contract id (billingd contract ID)")
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id < 1 {
		return usagef("contract: the id must be a positive whole number, got %q", idArg)
	}
	if *output != "text" && *output != "json" {
		return usagef("contract: --output: want text or json, got %q", *output)
	}
	if *limit < 1 || *limit > records.MaxTimelineLimit {
		return usagef("contract: --limit: want 1 to %d, got %d", records.MaxTimelineLimit, *limit)
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	today := billing.DateOf(clock(), cfg.Location)
	day := today
	if *on != "" {
		if day, err = billing.ParseDate(*on); err != nil {
			return usagef("contract: --on: %v", err)
		}
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := &postgres.Store{Pool: pool, Location: cfg.Location}
	e, err := store.Explain(ctx, id, day, cfg.Renewal)
	if errors.Is(err, billing.ErrNotFound) {
		return usagef("contract: no contract with id %d", id)
	}
	if err != nil {
		return err
	}
	t, err := store.Timeline(ctx, id, *limit, today)
	if err != nil {
		return err
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Explain  api.ExplanationJSON `json:"explain"`
			Timeline api.TimelineJSON    `json:"timeline"`
		}{api.ToExplanationJSON(e), api.ToTimelineJSON(t)})
	}
	return timeline.WriteText(stdout, e, t, cfg.Location)
}
