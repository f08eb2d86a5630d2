package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/daemontest"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/migrations"
)

func TestBadSettingsExitWithStatus2AndOneLine(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	tests := []struct {
		name    string
		args    []string
		env     []string
		setting string
		reason  string
	}{
		{"unknown time zone", []string{"serve"}, baseEnv(url, "BILLINGD_TIMEZONE=Mars/Base"), "BILLINGD_TIMEZONE", `unknown time zone "Mars/Base"`},
		{"bad cron minute", []string{"serve"}, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE=61 * * * *"),
			"BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE", `invalid cron expression "61 * * * *"`},
		{"unreachable database", []string{"serve"}, baseEnv("postgres://postgres@127.0.0.1:1/billingd?connect_timeout=2"),
			"DATABASE_URL", "connect"},
		{"missing database URL", []string{"status"}, []string{"PATH=/usr/bin"}, "DATABASE_URL", "required"},
		{"bad shutdown timeout", []string{"serve"}, baseEnv(url, "BILLINGD_SHUTDOWN_TIMEOUT=soon"), "BILLINGD_SHUTDOWN_TIMEOUT", `"soon"`},
		{"rescue before the batch timeout", []string{"serve"}, baseEnv(url, "BILLINGD_BATCH_TIMEOUT=5m", "BILLINGD_RESCUE_AFTER=5m"),
			"BILLINGD_RESCUE_AFTER", "must exceed BILLINGD_BATCH_TIMEOUT"},
		{"bad enabled switch", []string{"serve"}, baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=maybe"),
			"BILLINGD_GENERATE_INSTALLMENTS_ENABLED", `want true or false`},
		{"missing API token", []string{"serve"}, []string{"DATABASE_URL=" + url}, "BILLINGD_API_TOKEN", "required by serve"},
		{"short API token", []string{"serve"}, baseEnv(url, "BILLINGD_API_TOKEN=short"), "BILLINGD_API_TOKEN", "too short"},
		{"unreadable secret file", []string{"serve"}, []string{"DATABASE_URL_FILE=/nonexistent/db-url"}, "DATABASE_URL_FILE", "read secret file"},
		{"dunning at night", []string{"serve"}, baseEnv(url, "BILLINGD_DUNNING_START_HOUR=23"), "BILLINGD_DUNNING_START_HOUR", "from 6 to 21"},
		{"dunning window ending before it starts", []string{"serve"}, baseEnv(url, "BILLINGD_DUNNING_START_HOUR=14", "BILLINGD_DUNNING_END_HOUR=9"),
			"BILLINGD_DUNNING_END_HOUR", "must be after BILLINGD_DUNNING_START_HOUR (14)"},
		{"unknown job", []string{"run", "bill-everyone"}, baseEnv(url), "run", `unknown job "bill-everyone"`},
		{"impossible as-of date", []string{"run", "generate-installments", "--as-of", "2026-02-30"}, baseEnv(url), "--as-of", "2026-02-30"},
		{"unknown command", []string{"bill"}, baseEnv(url), "unknown command", `"bill"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(t, tt.env, tt.args...)
			if code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", code, stderr)
			}
			if stdout != "" || !oneLine(stderr) {
				t.Fatalf("want one line on stderr and nothing on stdout, got stdout %q stderr %q", stdout, stderr)
			}
			if !strings.HasPrefix(stderr, "billingd: ") || !strings.Contains(stderr, tt.setting) || !strings.Contains(stderr, tt.reason) {
				t.Fatalf("stderr %q does not name %q with reason %q", stderr, tt.setting, tt.reason)
			}
		})
	}
}

func TestHelpDescribesEveryCommand(t *testing.T) {
	t.Parallel()
	code, stdout, _ := cli(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range []string{"serve", "migrate", "migrate status", "run JOB", "status"} {
		if !strings.Contains(stdout, "billingd "+cmd) {
			t.Errorf("--help does not mention %q:\n%s", cmd, stdout)
		}
	}
	for _, cmd := range []string{"serve", "migrate", "run", "status"} {
		code, stdout, _ := cli(t, nil, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: billingd "+cmd) {
			t.Errorf("%s --help: exit %d, output %q", cmd, code, stdout)
		}
	}
}

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	t.Parallel()
	url := dbtest.NewEmptyURL(t)
	env := baseEnv(url)
	own, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	river, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	total := len(own) + len(river.AllVersions())

	code, stdout, _ := cli(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("0 applied, %d pending", total)) {
		t.Fatalf("status before: exit %d\n%s", code, stdout)
	}
	// Two migrators at once: the advisory lock serialises them and both succeed.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	errs := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, errs[i] = cli(t, env, "migrate")
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("concurrent migrate exit codes %v: %v", codes, errs)
	}
	applied := strings.Count(errs[0]+errs[1], `"msg":"migration applied"`)
	if applied != total {
		t.Fatalf("the two migrators applied %d migrations between them, want %d", applied, total)
	}
	code, _, stderr := cli(t, env, "migrate")
	if code != 0 || !strings.Contains(stderr, `"applied":0`) {
		t.Fatalf("second migrate: exit %d, %s", code, stderr)
	}
	code, stdout, _ = cli(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("%d applied, 0 pending", total)) {
		t.Fatalf("status after: exit %d\n%s", code, stdout)
	}
}

var runLine = regexp.MustCompile(`run (\d+) (succeeded|failed) in \S+: (\{.*\})`)

func TestRunTwiceReallyRunsAndCreatesNothingNew(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, 25, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// The schedules are disabled so only the manual runs touch the data.
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_SEND_NOTICES_ENABLED=false", "BILLINGD_BATCH_SIZE=10")
	d := startDaemon(t, env)

	var ready map[string]any
	if code := d.get("/readyz", &ready); code != http.StatusOK || ready["ready"] != true {
		t.Fatalf("/readyz: %d %v", code, ready)
	}
	code, stdout, stderr := cli(t, env, "run", "generate-installments", "--as-of", "2026-03-02", "--force", "--wait")
	m := runLine.FindStringSubmatch(stdout)
	if code != 0 || m == nil || m[2] != "succeeded" || m[3] != `{"contracts":25,"installments_created":300}` {
		t.Fatalf("first run: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "/3 batches done") {
		t.Errorf("first run showed no progress: %s", stderr)
	}
	first := m[1]
	code, stdout, _ = cli(t, env, "run", "generate-installments", "--as-of", "2026-03-02", "--force", "--wait")
	m = runLine.FindStringSubmatch(stdout)
	if code != 0 || m == nil || m[1] == first || m[2] != "succeeded" || m[3] != `{}` {
		t.Fatalf("second run: exit %d, stdout %s (first run was %s)", code, stdout, first)
	}
	if n := count(t, pool, "SELECT count(*) FROM installments"); n != 300 {
		t.Fatalf("%d installments, want 300", n)
	}
	// Every one of the 25 contracts (99.90 a month, fixed day 10, shifted to the next business
	// day, from 2026-03-02) has the same 12: 2026-05-10 and 2027-01-10 are Sundays (the 11th),
	// 2026-10-10 a Saturday and the 12th a holiday (Nossa Senhora Aparecida: the 13th).
	checkSeededDues(t, pool, 25, "2026-03-10 2026-04-10 2026-05-11 2026-06-10 2026-07-10 2026-08-10 2026-09-10 2026-10-13 2026-11-10 2026-12-10 2027-01-11 2027-02-10")
	if n := count(t, pool, "SELECT count(*) FROM job_runs WHERE trigger = 'manual' AND state = 'succeeded'"); n != 2 {
		t.Fatalf("%d succeeded manual runs, want 2", n)
	}
	code, stdout, _ = cli(t, env, "status")
	if code != 0 || !strings.Contains(stdout, "generate-installments") || !strings.Contains(stdout, "as of 2026-03-02 (manual) succeeded") {
		t.Fatalf("status: exit %d\n%s", code, stdout)
	}
	// The run's metrics are on /metrics.
	resp, err := http.Get("http://" + d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	_, _ = fmt.Fprint(&body, readAll(t, resp))
	for _, want := range []string{
		`billingd_job_runs_total{job="generate-installments",outcome="success",trigger="manual"} 2`,
		`billingd_job_duration_seconds_count{job="generate-installments"} 2`,
		`billingd_job_last_success_timestamp_seconds{job="generate-installments"}`,
		`billingd_queue_jobs{queue="sweeps",state="completed"}`,
		`billingd_contracts_due_not_generated 0`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, took := d.Stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d after %s", code, took)
	}
}

func TestTwoDaemonsRunEachScheduledSlotOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Log("runs for about two minutes: two cron slots")
	}
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, 50, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE=* * * * *", "BILLINGD_BATCH_SIZE=5")
	a := startDaemon(t, env)
	b := startDaemon(t, env)
	// The first slot after start comes from catch-up, the next ones from the schedule.
	waitFor(t, 150*time.Second, "two scheduled slots to finish", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE trigger = 'schedule' AND state = 'succeeded'") >= 2
	})
	var dupSlots int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT args->>'job', args->>'slot' FROM river.river_job
		WHERE kind = 'sweep' GROUP BY 1, 2 HAVING count(*) > 1) d`).Scan(&dupSlots); err != nil {
		t.Fatal(err)
	}
	if dupSlots != 0 {
		t.Fatalf("%d slots were enqueued more than once", dupSlots)
	}
	finished := map[string]int{}
	for _, d := range []*daemon{a, b} {
		for _, l := range d.LogsWith("run finished") {
			finished[fmt.Sprint(l["run_id"])]++
		}
	}
	runs := count(t, pool, "SELECT count(*) FROM job_runs")
	if len(finished) != runs {
		t.Fatalf("%d runs in job_runs but %d distinct runs finished in the logs: %v", runs, len(finished), finished)
	}
	for id, n := range finished {
		if n != 1 {
			t.Fatalf("run %s finished %d times across the daemons", id, n)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM installments"); n != 50*12 {
		t.Fatalf("%d installments, want %d", n, 50*12)
	}
	// Each of the 50 (from 2026-01-05): 2026-01-10 is a Saturday (the 12th), 2026-05-10 a
	// Sunday (the 11th), 2026-10-10 a Saturday and the 12th a holiday (the 13th).
	checkSeededDues(t, pool, 50, "2026-01-12 2026-02-10 2026-03-10 2026-04-10 2026-05-11 2026-06-10 2026-07-10 2026-08-10 2026-09-10 2026-10-13 2026-11-10 2026-12-10")
	for _, d := range []*daemon{a, b} {
		if code, _ := d.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
			t.Fatalf("exit %d", code)
		}
	}
}

func TestSIGTERMDuringRunExitsZeroAndNextDaemonFinishesIt(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	const contracts = 3000
	if _, err := dbtest.SeedContracts(ctx, pool, contracts, time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false",
		"BILLINGD_BATCH_SIZE=10", "BILLINGD_SWEEP_WORKERS=1", "BILLINGD_SHUTDOWN_TIMEOUT=3s")
	d := startDaemon(t, env)
	code, stdout, _ := cli(t, env, "run", "generate-installments", "--as-of", "2026-05-04", "--force")
	if code != 0 {
		t.Fatalf("enqueue: %d %s", code, stdout)
	}
	waitFor(t, 60*time.Second, "the run to be under way", func() bool {
		return count(t, pool, "SELECT coalesce(max(batches_done), 0) FROM job_runs WHERE job = 'generate-installments'") >= 3
	})
	// How long the shutdown takes is measured by bench.BenchmarkShutdownUnderLoad; here it
	// only has to end, with status 0.
	code, took := d.Stop(syscall.SIGTERM, 60*time.Second)
	if code != 0 {
		t.Fatalf("SIGTERM: exit %d after %s", code, took)
	}
	done := count(t, pool, "SELECT batches_done FROM job_runs WHERE job = 'generate-installments'")
	if done >= contracts/10 {
		t.Fatalf("the run finished before SIGTERM (%d batches); make it longer", done)
	}
	// The next daemon picks up the interrupted batches.
	d2 := startDaemon(t, env)
	waitFor(t, 90*time.Second, "the run to succeed", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE job = 'generate-installments' AND state = 'succeeded'") == 1
	})
	if n := count(t, pool, "SELECT count(*) FROM installments"); n != contracts*12 {
		t.Fatalf("%d installments, want %d", n, contracts*12)
	}
	if n := count(t, pool, "SELECT (counts->>'installments_created')::int FROM job_runs WHERE job = 'generate-installments'"); n != contracts*12 {
		t.Fatalf("run counted %d installments created, want %d", n, contracts*12)
	}
	if n := count(t, pool, "SELECT count(*) FROM contracts WHERE generation_due_on IS NOT NULL"); n != 0 {
		t.Fatalf("%d contracts still due for generation", n)
	}
	// Each of the 3000, interrupted batch or not (from 2026-05-04): 2026-05-10 and 2027-01-10
	// are Sundays (the 11th), 2026-10-10 a Saturday and the 12th a holiday (the 13th),
	// 2027-04-10 a Saturday (the 12th).
	checkSeededDues(t, pool, contracts, "2026-05-11 2026-06-10 2026-07-10 2026-08-10 2026-09-10 2026-10-13 2026-11-10 2026-12-10 2027-01-11 2027-02-10 2027-03-10 2027-04-12")
	d2.Stop(syscall.SIGTERM, 20*time.Second)
}

// checkSeededDues checks that each of the n contracts dbtest.SeedContracts wrote (99.90 a
// month, fixed day 10, shifted to the next business day) has exactly its 12 open
// installments of term 1, of 99.90 with no discount, due on the dates dues lists (worked
// out by hand, in sequence order, separated by spaces).
func checkSeededDues(t *testing.T, pool *pgxpool.Pool, n int, dues string) {
	t.Helper()
	if got := count(t, pool, `SELECT count(*) FROM (SELECT contract_id FROM installments GROUP BY contract_id
		HAVING string_agg(format('%s %s %s %s %s %s', kind, term, amount, discount, state, due_date), ' ' ORDER BY sequence) =
			(SELECT string_agg('recurring 1 99.90 0.00 open ' || d, ' ') FROM unnest(string_to_array($1, ' ')) d)) c`, dues); got != n {
		t.Errorf("%d contracts have their 12 installments of 99.90 due on %s, want %d", got, dues, n)
	}
	if got := count(t, pool, "SELECT count(*) FROM contracts"); got != n {
		t.Errorf("%d contracts, want %d", got, n)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestRunRefusesAsOfOutsideTheWindow: `billingd run JOB --as-of D` applies the window of
// POST /v1/runs (records.CheckAsOf): a date after today, or before today −
// BILLINGD_CATCHUP_DAYS, exits 2 with one line naming --as-of and the reason, and records
// nothing; --force runs it anyway; the window's own bounds need no force.
func TestRunRefusesAsOfOutsideTheWindow(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	clock := daemontest.NewClock(t, true) // the commands' today is the test's, at any host time
	env := baseEnv(url, "BILLINGD_CATCHUP_DAYS=10", clock.Env())
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	today := clock.Today(sp)
	day := func(offset int) string { return billing.FormatDate(today.AddDate(0, 0, offset)) }
	refused := []struct {
		name, asOf, reason string
	}{
		{"tomorrow", day(1), fmt.Sprintf("%s is in the future (today is %s)", day(1), day(0))},
		{"a typo in the year", day(365), fmt.Sprintf("%s is in the future", day(365))},
		{"a day before the window", day(-11), fmt.Sprintf("%s is before %s, the first date of the catch-up window (BILLINGD_CATCHUP_DAYS=10)", day(-11), day(-10))},
	}
	for _, tt := range refused {
		code, stdout, stderr := cli(t, env, "run", "block-delinquent", "--as-of", tt.asOf)
		if code != 2 || stdout != "" || !oneLine(stderr) || !strings.HasPrefix(stderr, "billingd: run: --as-of ") ||
			!strings.Contains(stderr, tt.reason) || !strings.Contains(stderr, "--force") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and one line naming --as-of, %q and --force", tt.name, code, stdout, stderr, tt.reason)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM job_runs"); n != 0 {
		t.Fatalf("refused runs recorded %d job_runs rows", n)
	}
	for _, asOf := range []string{day(0), day(-10)} {
		if code, stdout, stderr := cli(t, env, "run", "block-delinquent", "--as-of", asOf); code != 0 || !strings.Contains(stdout, "as of "+asOf) {
			t.Errorf("--as-of %s (in the window): exit %d, stdout %q, stderr %q", asOf, code, stdout, stderr)
		}
	}
	for _, asOf := range []string{day(365), day(-11)} {
		if code, stdout, stderr := cli(t, env, "run", "block-delinquent", "--as-of", asOf, "--force"); code != 0 || !strings.Contains(stdout, "as of "+asOf) {
			t.Errorf("--as-of %s --force: exit %d, stdout %q, stderr %q", asOf, code, stdout, stderr)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM job_runs WHERE job = 'block-delinquent' AND trigger = 'manual'"); n != 4 {
		t.Errorf("%d manual runs recorded, want 4", n)
	}
}
