package jobs_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

var saoPaulo = func() *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		panic(err)
	}
	return loc
}()

func schedule(t *testing.T, expr string) jobs.Schedule {
	t.Helper()
	c, err := jobs.ParseSchedule(expr, saoPaulo)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := jobs.Lookup(jobs.GenerateInstallments)
	return jobs.Schedule{Spec: spec, Expr: expr, Enabled: true, Cron: c}
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, saoPaulo)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMissedSlots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		last string // "" for never
		now  string
		days int
		want []string
	}{
		{"three days down", "0 2 * * *", "2026-03-07 02:00", "2026-03-10 12:00", 31,
			[]string{"2026-03-08 02:00", "2026-03-09 02:00", "2026-03-10 02:00"}},
		{"nothing missed", "0 2 * * *", "2026-03-10 02:00", "2026-03-10 12:00", 31, nil},
		{"before today's slot", "0 2 * * *", "2026-03-09 02:00", "2026-03-10 01:59", 31, nil},
		{"never ran: only the latest slot", "0 2 * * *", "", "2026-03-10 12:00", 31, []string{"2026-03-10 02:00"}},
		{"bounded window", "0 2 * * *", "2026-01-01 02:00", "2026-03-10 12:00", 2,
			[]string{"2026-03-09 02:00", "2026-03-10 02:00"}},
		{"hourly: last slot of each date", "15 * * * *", "2026-03-08 22:15", "2026-03-10 03:20", 31,
			[]string{"2026-03-08 23:15", "2026-03-09 23:15", "2026-03-10 03:15"}},
		{"schedule in the business zone, not UTC", "0 23 * * *", "2026-03-08 23:00", "2026-03-10 00:30", 31,
			[]string{"2026-03-09 23:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var last *time.Time
			if tt.last != "" {
				l := at(tt.last)
				last = &l
			}
			got := jobs.MissedSlots(schedule(t, tt.expr), last, at(tt.now), tt.days, saoPaulo)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i, w := range tt.want {
				if !got[i].Equal(at(w)) {
					t.Fatalf("slot %d = %s, want %s", i, got[i].In(saoPaulo), w)
				}
			}
		})
	}
}

func TestParseScheduleRejects(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"61 * * * *", "", "* * *", "CRON_TZ=UTC 0 2 * * *", "@every 1m", "0 25 * * *"} {
		if _, err := jobs.ParseSchedule(expr, saoPaulo); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", expr)
		}
	}
}

// TestCatchUpRunsMissedDaysOnceInOrder stops "the daemon" for three days: a new leader
// enqueues each missed date once, oldest first, and job_runs shows them as catch-up. What
// was enqueued is read from River's jobs, not from job_runs, whose unique (job, slot) index
// would hide a slot enqueued twice: exactly one sweep job per missed slot, none for the
// slot already run before the stop; and a second leader start (a restart), once River has
// cleaned the completed jobs away (as it does after a day, so that its uniqueness by args
// cannot hide a duplicate either), enqueues nothing, the last slot included.
func TestCatchUpRunsMissedDaysOnceInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	if _, err := dbtest.SeedContracts(ctx, pool, 10, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// The last scheduled run was on 7 March; the daemon comes back on 10 March at noon.
	if _, err := pool.Exec(ctx, `INSERT INTO job_runs (job, as_of, trigger, slot, state, started_at, finished_at)
		VALUES ('generate-installments', '2026-03-07', 'schedule', $1, 'succeeded', $1, $1)`, at("2026-03-07 02:00")); err != nil {
		t.Fatal(err)
	}
	runner := &jobs.Runner{
		Pool: pool, Sweeps: map[string]jobs.Sweep{jobs.GenerateInstallments: postgres.GenerateSweep{}},
		Location: saoPaulo, Now: func() time.Time { return at("2026-03-10 12:00") },
		Logger: slog.New(slog.DiscardHandler), BatchSize: 100, BatchTimeout: time.Minute,
	}
	sched := schedule(t, "0 2 * * *")
	client, err := runner.NewDaemonClient(jobs.DaemonOptions{Schedules: []jobs.Schedule{sched}, CatchUpDays: 31, SweepWorkers: 1, SoftStopTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
	// sweepJobs lists River's sweep jobs, in the order they were enqueued, as
	// "as_of slot trigger state".
	sweepJobs := func() []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT concat_ws(' ', args->>'as_of', args->>'slot', args->>'trigger', state)
			FROM river.river_job WHERE kind = 'sweep' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// São Paulo is UTC−3: the 02:00 slots are at 05:00 UTC.
	want := []string{
		"2026-03-08 2026-03-08T05:00:00Z catch-up completed",
		"2026-03-09 2026-03-09T05:00:00Z catch-up completed",
		"2026-03-10 2026-03-10T05:00:00Z catch-up completed",
	}
	deadline := time.Now().Add(60 * time.Second)
	for got := sweepJobs(); !slices.Equal(got, want); got = sweepJobs() {
		if time.Now().After(deadline) || len(got) > len(want) {
			t.Fatalf("River's sweep jobs %q, want each missed slot once, oldest first: %q", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM job_runs WHERE trigger = 'catch-up' AND state = 'succeeded'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d catch-up runs succeeded", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A second leader start (a restart) a day later, when River has deleted the completed
	// jobs, enqueues nothing new.
	if _, err := pool.Exec(ctx, `DELETE FROM river.river_job WHERE kind = 'sweep' AND state = 'completed'`); err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(ctx, client, []jobs.Schedule{sched}, 31); err != nil {
		t.Fatal(err)
	}
	if got := sweepJobs(); len(got) != 0 {
		t.Fatalf("the restart enqueued %q, want nothing: every slot up to 2026-03-10 02:00 has run", got)
	}
	rows, err := pool.Query(ctx, `SELECT to_char(as_of, 'YYYY-MM-DD'), trigger FROM job_runs WHERE trigger = 'catch-up' ORDER BY started_at, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var asOf, trigger string
		if err := rows.Scan(&asOf, &trigger); err != nil {
			t.Fatal(err)
		}
		got = append(got, asOf)
	}
	wantRuns := []string{"2026-03-08", "2026-03-09", "2026-03-10"}
	if !slices.Equal(got, wantRuns) {
		t.Fatalf("catch-up runs %v, want %v in that order", got, wantRuns)
	}
	var installments int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM installments").Scan(&installments); err != nil {
		t.Fatal(err)
	}
	if installments != 120 {
		t.Fatalf("%d installments, want 120", installments)
	}
}
