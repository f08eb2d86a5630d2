package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// dryRunAsOf is the date every job runs as of in the dry-run tests.
var dryRunAsOf = day("2026-07-20")

// seedEveryJob seeds a book on which each job has work as of dryRunAsOf: ten contracts
// whose first term (fixed day 10, from 2026-01-15) has 10 of 12 installments paid, so they
// renew, with a benefit whose period ended on 2026-07-14, so their quotas reset; and ten
// contracts adhering on 2026-06-01 with nothing generated, so generation creates their term,
// whose 06-10 and 07-10 installments then go unpaid: they are blocked and get overdue notices.
func seedEveryJob(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	t.Helper()
	if err := (&postgres.Store{Pool: pool}).SetPaymentSettings(ctx, postgres.PaymentSettings{Boleto: &boleto.Settings{
		BankCode: "001", Agency: "1234", Account: "123456", Wallet: "17", Convenio: "1234567", FirstSequence: 1, LastSequence: 9_999_999_999}}); err != nil {
		t.Fatal(err)
	}
	renewing, err := dbtest.SeedContracts(ctx, pool, 10, day("2026-01-15"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := postgres.GenerateSweep{}.Batch(ctx, tx, day("2026-01-15"), 0, math.MaxInt64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE installments SET state = 'paid', paid_at = due_date, paid_amount = amount
		WHERE sequence <= 10`); err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.SeedBenefitGrants(ctx, pool, renewing, day("2026-06-15")); err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.SeedContracts(ctx, pool, 10, day("2026-06-01")); err != nil {
		t.Fatal(err)
	}
}

// seedReturnFiles stores two pending return files paying, on 2026-07-19, the 11th
// installment of the renewing contracts (five each): import-payments has two batches of work.
func seedReturnFiles(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT p.nosso_numero, p.amount FROM payment_instruments p JOIN installments i ON i.id = p.installment_id
		WHERE i.sequence = 11 AND i.state = 'open' ORDER BY i.contract_id LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	sts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cnab240.Settlement, error) {
		var s cnab240.Settlement
		err := r.Scan(&s.NossoNumero, &s.AmountPaid)
		s.Movement, s.NominalAmount, s.NetCredited, s.DatePaid = cnab240.Paid, s.AmountPaid, s.AmountPaid, day("2026-07-19")
		return s, err
	})
	if err != nil || len(sts) != 10 {
		t.Fatalf("%d installments to pay, want 10: %v", len(sts), err)
	}
	for i, part := range [][]cnab240.Settlement{sts[:5], sts[5:]} {
		var buf bytes.Buffer
		if err := cnab240.Write(&buf, &cnab240.File{BankCode: "001", GeneratedOn: day("2026-07-19"), Sequence: int64(i + 1), Settlements: part}); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO payment_files (name, sha256, content, size, origin, bank_code)
			VALUES ($1, $2, $3, $4, 'upload', '001')`, fmt.Sprintf("RET%d.ret", i+1), postgres.SHA256Hex(buf.Bytes()), buf.Bytes(), buf.Len()); err != nil {
			t.Fatal(err)
		}
	}
}

// everySweep binds every job to its sweep as the daemon does (cmd/billingd sweeps), with the
// settings' defaults.
func everySweep(store *postgres.Store) map[string]jobs.Sweep {
	return map[string]jobs.Sweep{
		jobs.GenerateInstallments: postgres.GenerateSweep{},
		jobs.RenewContracts:       postgres.RenewSweep{Thresholds: renewal.Thresholds{Queue: 3, Renewal: 2}, FollowUps: store.FollowUps},
		jobs.BlockDelinquent:      postgres.BlockSweep{FollowUps: store.FollowUps, Today: func() time.Time { return dryRunAsOf }},
		jobs.ResetBenefitQuotas:   postgres.ResetBenefitQuotasSweep{},
		jobs.SendNotices:          postgres.NoticeSweep{DaysBeforeDue: 3, FollowUps: store.FollowUps},
		jobs.ImportPayments: postgres.ImportPaymentsSweep{Store: store,
			Now: func() time.Time { return time.Date(2026, 7, 20, 12, 0, 0, 0, saoPaulo) }},
	}
}

// newRunner returns the runner of pool with every sweep and River follow-ups, batches of 4
// contracts (so each run has several batches).
func newRunner(t *testing.T, pool *pgxpool.Pool) *jobs.Runner {
	t.Helper()
	followUps, err := jobs.NewFollowUps(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	store := &postgres.Store{Pool: pool, FollowUps: followUps}
	return &jobs.Runner{Pool: pool, Store: store, Sweeps: everySweep(store), Location: saoPaulo,
		Now: func() time.Time { return time.Date(2026, 7, 20, 12, 0, 0, 0, saoPaulo) }, Logger: slog.New(slog.DiscardHandler),
		BatchSize: 4, BatchTimeout: time.Minute}
}

// runForReal has the daemon's River workers run job as of asOf, requested as an operator
// does, and returns the run as recorded once it has finished. The client stops before it
// returns, so River's own tables stay still between runs.
func runForReal(t *testing.T, ctx context.Context, runner *jobs.Runner, job string, asOf time.Time) records.Run {
	t.Helper()
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := client.Stop(ctx); err != nil {
			t.Errorf("stop River: %v", err)
		}
	}()
	requested, err := runner.Store.RequestRun(ctx, job, asOf)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	run, err := jobs.WaitRun(waitCtx, runner.Pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != records.RunSucceeded {
		t.Fatalf("%s as of %s: run %s: %s", job, billing.FormatDate(asOf), run.State, run.Error)
	}
	return run
}

// rowCounts counts the rows of every table of the public schema.
func rowCounts(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	sums, err := dbtest.Checksums(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for table, sum := range sums {
		if strings.Contains(table, ".") {
			continue
		}
		var n int64
		if _, err := fmt.Sscanf(sum, "%d:", &n); err != nil {
			t.Fatalf("%s: %q: %v", table, sum, err)
		}
		out[table] = n
	}
	return out
}

// TestDryRunMatchesRealRun runs each job, in dependency order, dry and then for real on the
// same data (the real run through River's workers, requested as an operator does): the dry
// run leaves every table unchanged, River's included (row counts and checksums); it reports
// the counts the real run then records, and per table as many rows inserted less deleted as
// the real run adds; and each installment it lists as an effect is one the real run writes,
// with the same contract, kind, sequence, amount and due date.
func TestDryRunMatchesRealRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	seedEveryJob(t, ctx, pool)
	runner := newRunner(t, pool)
	// The main effect each job must show on this book, so that equal counts mean something.
	wantNonZero := map[string]string{
		jobs.GenerateInstallments: "installments_created",
		jobs.RenewContracts:       "renewed",
		jobs.ResetBenefitQuotas:   "balances_opened",
		jobs.BlockDelinquent:      "contracts_blocked",
		jobs.SendNotices:          "notices_created",
		jobs.ImportPayments:       "payments_recorded",
	}
	for _, job := range jobs.DependencyOrder {
		if job == jobs.ImportPayments {
			seedReturnFiles(t, ctx, pool)
		}
		before, err := dbtest.Checksums(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		dry, err := runner.DryRun(ctx, job, dryRunAsOf, 1000)
		if err != nil {
			t.Fatalf("dry run of %s: %v", job, err)
		}
		after, err := dbtest.Checksums(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		for table, sum := range before {
			if after[table] != sum {
				t.Errorf("dry run of %s changed %s: %s, then %s", job, table, sum, after[table])
			}
		}
		if len(after) != len(before) {
			t.Errorf("dry run of %s: %d tables before, %d after", job, len(before), len(after))
		}
		if dry.Counts[wantNonZero[job]] == 0 {
			t.Errorf("dry run of %s: counts %v, want some %s (the test's book is wrong)", job, dry.Counts, wantNonZero[job])
		}
		if dry.Batches < 2 {
			t.Errorf("dry run of %s: %d batches, want several", job, dry.Batches)
		}

		rowsBefore := rowCounts(t, ctx, pool)
		real := runForReal(t, ctx, runner, job, dryRunAsOf)
		if !maps.Equal(dry.Counts, real.Counts) {
			t.Errorf("%s: dry run counts %v, real run recorded %v", job, dry.Counts, real.Counts)
		}
		if dry.Batches != real.BatchesTotal {
			t.Errorf("%s: dry run planned %d batches, the real run %d", job, dry.Batches, real.BatchesTotal)
		}
		rowsAfter := rowCounts(t, ctx, pool)
		net := map[string]int64{}
		for _, c := range dry.Tables {
			net[c.Table] = c.Inserted - c.Deleted
		}
		for table, n := range rowsAfter {
			if table == "job_runs" {
				continue // the real run records itself; a dry run records nothing
			}
			if got := n - rowsBefore[table]; got != net[table] {
				t.Errorf("%s: the real run added %d rows to %s, the dry run said %d", job, got, table, net[table])
			}
		}
		checkInstallmentEffects(t, ctx, pool, job, dry)
	}
}

// checkInstallmentEffects finds, for each installment a dry run listed, the installment the
// real run wrote with the same contract, kind, sequence, amount and due date.
func checkInstallmentEffects(t *testing.T, ctx context.Context, pool *pgxpool.Pool, job string, dry records.DryRun) {
	t.Helper()
	for _, e := range dry.Effects {
		if e.Table != "installments" || e.Action != records.EffectInserted {
			continue
		}
		fields := map[string]string{}
		for _, f := range strings.Fields(e.What)[1:] {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if e.ContractID == nil || e.Amount == nil || e.Date == nil || fields["kind"] == "" || fields["sequence"] == "" {
			t.Errorf("%s: installment effect %+v lacks its contract, amount, date, kind or sequence", job, e)
			continue
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM installments WHERE contract_id = $1 AND kind = $2
			AND sequence = $3::int AND amount = $4 AND due_date = $5`,
			*e.ContractID, fields["kind"], fields["sequence"], *e.Amount, *e.Date).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: the dry run listed %s of contract %d, %s due %s; the real run wrote %d such installments",
				job, e.What, *e.ContractID, e.Amount, billing.FormatDate(*e.Date), n)
		}
	}
}

// TestDryRunEffects checks the report of a dry run of generate-installments field by field:
// the rows per table, and the first effects listed for contract 1 — its updated contract row
// and its first two installments (fixed day 10 from 2026-06-01: 06-10 and 07-10, 99.90) —
// and the follow-up River jobs of block-delinquent (the notices it hands on).
func TestDryRunEffects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	if _, err := dbtest.SeedContracts(ctx, pool, 3, day("2026-06-01")); err != nil {
		t.Fatal(err)
	}
	runner := newRunner(t, pool)
	dry, err := runner.DryRun(ctx, jobs.GenerateInstallments, dryRunAsOf, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := []records.TableChange{{Table: "contracts", Updated: 3}, {Table: "events", Inserted: 36}, {Table: "installment_lines", Inserted: 36},
		{Table: "installments", Inserted: 36}}
	if fmt.Sprint(dry.Tables) != fmt.Sprint(want) {
		t.Errorf("tables %+v, want %+v", dry.Tables, want)
	}
	if got := fmt.Sprint(dry.Counts); got != "map[contracts:3 installments_created:36]" {
		t.Errorf("counts %s", got)
	}
	if len(dry.Effects) != 8 || dry.SampleLimit != 8 {
		t.Fatalf("%d effects (sample limit %d), want 8: %+v", len(dry.Effects), dry.SampleLimit, dry.Effects)
	}
	var got []string
	for _, e := range dry.Effects {
		s := fmt.Sprintf("%s %s contract=%d %q", e.Table, e.Action, *e.ContractID, e.What)
		if e.Amount != nil {
			s += " " + billing.FormatMoney(*e.Amount)
		}
		if e.Date != nil {
			s += " " + billing.FormatDate(*e.Date)
		}
		got = append(got, s)
	}
	wantEffects := []string{
		`contracts updated contract=1 "contracts status=active" 99.90 2026-06-01`,
		`contracts updated contract=2 "contracts status=active" 99.90 2026-06-01`,
		`events inserted contract=1 "events kind=installment.issued" 2026-07-20`,
		`events inserted contract=1 "events kind=installment.issued" 2026-07-20`,
		`installment_lines inserted contract=1 "installment_lines kind=plan" 99.90`,
		`installment_lines inserted contract=1 "installment_lines kind=plan" 99.90`,
		`installments inserted contract=1 "installments kind=recurring term=1 sequence=1 state=open" 99.90 2026-06-10`,
		`installments inserted contract=1 "installments kind=recurring term=1 sequence=2 state=open" 99.90 2026-07-10`,
	}
	if strings.Join(got, "\n") != strings.Join(wantEffects, "\n") {
		t.Errorf("effects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantEffects, "\n"))
	}

	// The notices block-delinquent hands on are River jobs in the dry run's transaction:
	// listed, never enqueued.
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := postgres.GenerateSweep{}.Batch(ctx, tx, dryRunAsOf, 0, math.MaxInt64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dry, err = runner.DryRun(ctx, jobs.BlockDelinquent, dryRunAsOf, 50)
	if err != nil {
		t.Fatal(err)
	}
	var jobsListed int
	for _, e := range dry.Effects {
		if e.Table == "river.river_job" {
			jobsListed++
			if e.Action != records.EffectInserted || !strings.HasPrefix(e.What, "river.river_job kind=deliver_notice state=available queue=default args={\"notice_id\": ") {
				t.Errorf("follow-up job effect %+v", e)
			}
		}
	}
	if jobsListed != 3 {
		t.Errorf("listed %d follow-up jobs, want the 3 blocked notices' deliveries: %+v", jobsListed, dry.Effects)
	}
	var queued int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river.river_job").Scan(&queued); err != nil || queued != 0 {
		t.Errorf("River holds %d jobs after the dry run (%v), want 0", queued, err)
	}
}

// TestDryRunOneAtATime: while a dry run holds the process's slot another gets ErrDryRunBusy
// (409), and a dry run cut short by its context changes nothing.
func TestDryRunOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	if _, err := dbtest.SeedContracts(ctx, pool, 3, day("2026-06-01")); err != nil {
		t.Fatal(err)
	}
	runner := newRunner(t, pool)
	// A contract row locked by another transaction holds the first dry run inside its batch.
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // the test's own lock
	if _, err := lock.Exec(ctx, "SELECT 1 FROM contracts WHERE id = 2 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	before, err := dbtest.Checksums(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	held, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := runner.DryRun(held, jobs.GenerateInstallments, dryRunAsOf, 10)
		first <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first dry run never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := runner.DryRun(ctx, jobs.GenerateInstallments, dryRunAsOf, 10); !errors.Is(err, jobs.ErrDryRunBusy) || !errors.Is(err, billing.ErrConflict) {
		t.Errorf("second dry run: %v, want ErrDryRunBusy (a conflict)", err)
	}
	if err := <-first; err == nil || !errors.Is(held.Err(), context.DeadlineExceeded) {
		t.Errorf("first dry run: %v, want it cut short by its deadline", err)
	}
	_ = lock.Rollback(ctx)
	after, err := dbtest.Checksums(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		t.Errorf("a dry run cut short changed the database")
	}
	if _, err := runner.DryRun(ctx, jobs.GenerateInstallments, dryRunAsOf, 10); err != nil {
		t.Errorf("dry run after the first ended: %v", err)
	}
}
