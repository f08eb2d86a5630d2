package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os/user"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/internal/daemontest"
	"github.com/billingd/billingd/internal/dbtest"
)

// TestDryRunCLI: `billingd run --dry-run` needs no daemon, prints what generate-installments
// would do for three contracts adhering on 2026-06-01 (36 installments) as JSON, CSV and a
// table, changes no table at all (River's included, and no audit record), and refuses the
// flags of a real run and bad values with exit status 2 and one line.
func TestDryRunCLI(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, 3, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url)
	before, err := dbtest.Checksums(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	dry := []string{"run", "generate-installments", "--as-of", "2026-07-20", "--force", "--dry-run"}

	code, stdout, stderr := cli(t, env, append(dry, "--output", "json")...)
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var report struct {
		Job     string           `json:"job"`
		AsOf    string           `json:"as_of"`
		DryRun  bool             `json:"dry_run"`
		Batches int              `json:"batches"`
		Counts  map[string]int64 `json:"counts"`
		Tables  []map[string]any `json:"tables"`
		Effects []map[string]any `json:"effects"`
		Sample  int              `json:"sample_limit"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("json output %q: %v", stdout, err)
	}
	if report.Job != "generate-installments" || report.AsOf != "2026-07-20" || !report.DryRun || report.Batches != 1 ||
		!maps.Equal(report.Counts, map[string]int64{"contracts": 3, "installments_created": 36}) || report.Sample != 50 ||
		len(report.Tables) != 4 || len(report.Effects) != 50 {
		t.Errorf("json report: %+v", report)
	}
	// The sample: the 3 contracts, 16 of the installments' events, 16 of their lines, 15 of
	// the installments.
	wantFirst := map[string]any{"table": "installments", "action": "inserted", "key": report.Effects[35]["key"], "contract_id": 1.0,
		"what": "installments kind=recurring term=1 sequence=1 state=open", "amount": "99.90", "date": "2026-06-10"}
	if !reflect.DeepEqual(report.Effects[35], wantFirst) {
		t.Errorf("first installment effect %v, want %v", report.Effects[35], wantFirst)
	}

	code, stdout, stderr = cli(t, env, append(dry, "--output", "csv", "--sample", "5")...)
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	lines, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("csv output %q: %v", stdout, err)
	}
	if len(lines) != 6 || strings.Join(lines[0], ",") != "table,action,key,contract_id,what,amount,date" ||
		strings.Join(lines[5][3:], ",") != "1,installments kind=recurring term=1 sequence=1 state=open,99.90,2026-06-10" {
		t.Errorf("csv output:\n%s", stdout)
	}

	code, stdout, stderr = cli(t, env, append(dry, "--sample", "8")...)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"dry run of generate-installments as of 2026-07-20: 1 batch, nothing changed",
		"counts: contracts=3 installments_created=36",
		"events             36        0        0",
		"installment_lines  36        0        0",
		"installments       36        0        0",
		"EFFECTS (8 of 111 rows written)",
		"installments       inserted  ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table output lacks %q:\n%s", want, stdout)
		}
	}

	after, err := dbtest.Checksums(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		t.Errorf("the dry runs changed the database:\nbefore %v\nafter  %v", before, after)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(dry, "--wait"), "--wait is for a real run"},
		{append(dry, "--reason", "x"), "--reason is for a real run"},
		{append(dry, "--output", "xml"), `--output: want table, json, csv, got "xml"`},
		{append(dry, "--sample", "51"), "--sample: at most 50 (BILLINGD_DRY_RUN_SAMPLE)"},
		{[]string{"run", "generate-installments", "--output", "json"}, "--output is for a dry run"},
		{[]string{"run", "generate-installments", "--as-of", "2026-07-20", "--dry-run"}, "pass --force"},
		{[]string{"run", "generate-installments", "--reason", "two\nlines"}, "--reason: must not contain control characters"},
		{[]string{"run", "generate-installments", "--actor", "ana souza"}, "--actor: want 1 to 63"},
	} {
		code, stdout, stderr := cli(t, env, tc.args...)
		if code != 2 || stdout != "" || !oneLine(stderr) || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line with %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := cli(t, env, append(dry, "--timeout", "1ns")...); code != 1 || !strings.Contains(stderr, "did not finish within 1ns") {
		t.Errorf("--timeout 1ns: exit %d, %q", code, stderr)
	}
}

// TestCLIRunAudited: a run the CLI enqueues is in the audit log, in the run's transaction,
// as cli:<--actor> or cli:<OS user>, with the reason, the job, the date, force and the run.
func TestCLIRunAudited(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	clock := daemontest.NewClock(t, true) // the CLI's today is the test's, at any host time
	env := baseEnv(url, clock.Env())
	code, stdout, stderr := cli(t, env, "run", "send-notices", "--as-of", "2026-07-20", "--force", "--actor", "ana",
		"--reason", "rerun after the SMTP outage")
	if code != 0 || !strings.HasPrefix(stdout, "run 1 enqueued") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if code, _, stderr := cli(t, env, "run", "send-notices"); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(context.Background(), `SELECT a.actor, a.source, a.method, a.route, a.status IS NULL,
			coalesce(a.reason, ''), a.detail::text, a.at = r.enqueued_at
		FROM audit_log a JOIN job_runs r ON r.id = (a.detail->>'run_id')::bigint ORDER BY a.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var actor, source, method, route, reason, detail string
		var noStatus, inTx bool
		if err := rows.Scan(&actor, &source, &method, &route, &noStatus, &reason, &detail, &inTx); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{actor, source, method, route, reason, detail}, " | "))
		if !noStatus || !inTx {
			t.Errorf("%s: status set %t, written in the run's transaction %t", actor, !noStatus, inTx)
		}
	}
	today := clock.Now().In(saoPauloLoc(t)).Format("2006-01-02")
	want := []string{
		`cli:ana | cli | CLI | billingd run | rerun after the SMTP outage | {"job": "send-notices", "as_of": "2026-07-20", "force": true, "run_id": 1}`,
		`cli:` + me.Username + ` | cli | CLI | billingd run |  | {"job": "send-notices", "as_of": "` + today + `", "run_id": 2}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func saoPauloLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
