package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/records"
)

const runUsage = `Usage: billingd run JOB [--as-of YYYY-MM-DD] [--force] [--wait] [--timeout D] [--reason TEXT] [--actor NAME]
       billingd run JOB [--as-of YYYY-MM-DD] [--force] --dry-run [--output table|json|csv] [--sample N] [--timeout D]

Enqueues a manual run of JOB for the running daemon to work. The run does everything due on
or before the as-of date (default: today in BILLINGD_TIMEZONE) that is not done yet, so a
rerun of a date already done runs again and changes nothing. A date in the future, or
before the catch-up window (BILLINGD_CATCHUP_DAYS back), is refused unless --force is
given, as POST /v1/runs refuses it without "force". With --wait it shows progress, prints
the outcome and counts, and exits 1 when the run failed. The run is recorded in the audit
log as done by cli:<your OS user> (or cli:<--actor>), with --reason.

With --dry-run it runs nothing for real and needs no daemon: it runs the job's sweep here, in
one database transaction that it rolls back, and prints what a run would do: the counts a
run would record, the rows per table it would insert, update and delete, and a sample of
those rows (contract, what, amount, date). It is bounded by --timeout (default
BILLINGD_DRY_RUN_TIMEOUT) and holds the locks a run's batches would take while it runs.

Jobs:
`

// Output formats of a dry run.
var dryRunOutputs = []string{"table", "json", "csv"}

// actorRE is a name --actor accepts.
var actorRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$`)

func cmdRun(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	usage := runUsage
	for _, s := range jobs.Catalogue {
		usage += fmt.Sprintf("  %-24s %s\n", s.Name, s.Description)
	}
	fs := newFlagSet("run", usage+"\nFlags:\n", stdout)
	asOfFlag := fs.String("as-of", "", "as-of date, YYYY-MM-DD (default today in BILLINGD_TIMEZONE)")
	force := fs.Bool("force", false, "run an as-of date in the future or before the catch-up window")
	wait := fs.Bool("wait", false, "wait for the run to finish and print its outcome")
	timeout := fs.Duration("timeout", time.Hour, "with --wait, how long to wait; with --dry-run, how long it may take (default BILLINGD_DRY_RUN_TIMEOUT)")
	reason := fs.String("reason", "", "why you run it, kept in the audit log (one line, at most 500 characters)")
	actor := fs.String("actor", "", "who you are, for the audit log (cli:NAME; default your OS user name)")
	dryRun := fs.Bool("dry-run", false, "print what the run would do, changing nothing")
	output := fs.String("output", "table", "with --dry-run: table, json or csv (csv: the sample of effects)")
	sample := fs.Int("sample", -1, "with --dry-run: how many effects to list (default and most BILLINGD_DRY_RUN_SAMPLE)")
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *dryRun {
		for _, name := range []string{"wait", "reason", "actor"} {
			if set[name] {
				return usagef("run: --%s is for a real run; a dry run changes and records nothing", name)
			}
		}
		if !slices.Contains(dryRunOutputs, *output) {
			return usagef("run: --output: want %s, got %q", strings.Join(dryRunOutputs, ", "), *output)
		}
	} else {
		for _, name := range []string{"output", "sample"} {
			if set[name] {
				return usagef("run: --%s is for a dry run; add --dry-run", name)
			}
		}
		if err := records.CheckReason(*reason); err != nil {
			return usagef("run: --reason: %v", err)
		}
		if *actor != "" && !actorRE.MatchString(*actor) {
			return usagef("run: --actor: want 1 to 63 letters, digits, '.', '_', '@' or '-', got %q", *actor)
		}
	}
	cfg, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	today := billing.DateOf(clock(), cfg.Location)
	asOf := today
	if *asOfFlag != "" {
		if asOf, err = billing.ParseDate(*asOfFlag); err != nil {
			return usagef("run: --as-of: %v", err)
		}
	}
	if err := records.CheckAsOf(asOf, today, cfg.CatchUpDays); err != nil && !*force {
		return usagef("run: --as-of %v; pass --force to run it anyway", err)
	}
	if *dryRun {
		if *sample > cfg.DryRunSample {
			return usagef("run: --sample: at most %d (BILLINGD_DRY_RUN_SAMPLE), got %d", cfg.DryRunSample, *sample)
		}
		if !set["sample"] {
			*sample = cfg.DryRunSample
		} else if *sample < 0 {
			return usagef("run: --sample: want 0 to %d, got %d", cfg.DryRunSample, *sample)
		}
		limit := cfg.DryRunTimeout
		if set["timeout"] {
			limit = *timeout
		}
		return runDry(ctx, cfg, job, asOf, *sample, limit, *output, stdout)
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := newStore(cfg, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	// The store writes the audit record in the run's transaction (postgres.RetryTx).
	detail := map[string]any{"job": job, "as_of": billing.FormatDate(asOf)}
	if *force {
		detail["force"] = true
	}
	entry := &records.AuditEntry{Actor: cliActor(*actor), Source: records.AuditCLI, Method: "CLI", Route: records.CLIRunRoute,
		Reason: strings.TrimSpace(*reason), Detail: detail}
	requested, err := store.RequestRun(records.WithAudit(ctx, entry), job, asOf)
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

// cliActor is the audit log's actor of a run the CLI enqueues: cli:<--actor>, else
// cli:<the OS user's name>, else cli:uid-<uid>.
func cliActor(name string) string {
	if name != "" {
		return "cli:" + name
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return "cli:" + name
	}
	return "cli:uid-" + strconv.Itoa(os.Getuid())
}

// runDry runs job dry as of asOf within limit and prints the report in format.
func runDry(ctx context.Context, cfg *Config, job string, asOf time.Time, sample int, limit time.Duration, format string, stdout io.Writer) error {
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := newStore(cfg, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	runner := &jobs.Runner{Pool: pool, Store: store, Sweeps: sweeps(cfg, store, slog.New(slog.DiscardHandler)), Location: cfg.Location, Now: clock,
		Logger: slog.New(slog.DiscardHandler), BatchSize: cfg.BatchSize}
	dryCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	report, err := runner.DryRun(dryCtx, job, asOf, sample)
	if err != nil && errors.Is(dryCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("the dry run of %s as of %s did not finish within %s and changed nothing; give a longer --timeout",
			job, billing.FormatDate(asOf), limit)
	}
	if err != nil {
		return err
	}
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(api.NewDryRunReport(report))
	case "csv":
		return writeEffectsCSV(stdout, api.NewDryRunReport(report))
	default:
		return writeDryRunTable(stdout, api.NewDryRunReport(report))
	}
}

// writeEffectsCSV writes a dry run's sample of effects as CSV with a header line.
func writeEffectsCSV(w io.Writer, r api.DryRunReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"table", "action", "key", "contract_id", "what", "amount", "date"})
	for _, e := range r.Effects {
		contract := ""
		if e.ContractID != nil {
			contract = strconv.FormatInt(*e.ContractID, 10)
		}
		_ = cw.Write([]string{e.Table, e.Action, e.Key, contract, e.What, deref(e.Amount), deref(e.Date)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// writeDryRunTable writes a dry run for a person: the counts, the rows per table and the
// sample of effects.
func writeDryRunTable(w io.Writer, r api.DryRunReport) error {
	batches := "batches"
	if r.Batches == 1 {
		batches = "batch"
	}
	fmt.Fprintf(w, "dry run of %s as of %s: %d %s, nothing changed (%dms)\n", r.Job, r.AsOf, r.Batches, batches, r.DurationMS)
	keys := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	counts := make([]string, len(keys))
	for i, k := range keys {
		counts[i] = fmt.Sprintf("%s=%d", k, r.Counts[k])
	}
	if len(counts) == 0 {
		counts = []string{"nothing due"}
	}
	fmt.Fprintf(w, "counts: %s\n", strings.Join(counts, " "))
	if len(r.Tables) == 0 {
		fmt.Fprintln(w, "no rows would be written")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTABLE\tINSERTED\tUPDATED\tDELETED")
	var written int64
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", t.Table, t.Inserted, t.Updated, t.Deleted)
		written += t.Inserted + t.Updated
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	fmt.Fprintf(w, "\nEFFECTS (%d of %d rows written)\n", len(r.Effects), written)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tACTION\tKEY\tCONTRACT\tAMOUNT\tDATE\tWHAT")
	for _, e := range r.Effects {
		contract := "-"
		if e.ContractID != nil {
			contract = strconv.FormatInt(*e.ContractID, 10)
		}
		amount, date := deref(e.Amount), deref(e.Date)
		if amount == "" {
			amount = "-"
		}
		if date == "" {
			date = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Table, e.Action, e.Key, contract, amount, date, e.What)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
