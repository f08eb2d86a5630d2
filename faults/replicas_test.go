//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/daemontest"
)

// TestReplicasRunEachSlotOnce runs three daemons at once over a stretch of ten daily slots:
// the elected leader catches up the ten slots missed since the last recorded one, while
// manual runs for the same dates, driven forward one date after another, are sent through
// two daemons' APIs at the same moment; the leader is stopped half-way, so a second
// leader catches up again, and a fourth daemon joins. Each slot must run once, each manual
// run once, and every contract must get its installments exactly once. The daemons' clock
// stands still at the tests' injected start (daemontest.NewClock), so every leader finds the
// same missed slots however long the test takes, and the daily slot is twelve hours away
// from the host's hour, so River's real-time schedule cannot add a slot while the test runs:
// the test passes at any host time.
func TestReplicasRunEachSlotOnce(t *testing.T) {
	t.Parallel()
	const (
		contracts = 3000
		days      = 10
		job       = "generate-installments"
	)
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	clock := daemontest.NewClock(t, true)
	now := clock.Now()
	today := billing.DateOf(now, loc)
	hour := (time.Now().In(loc).Hour() + 12) % 24
	atHour := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, loc).UTC() }
	base := atHour(today.AddDate(0, 0, -days))
	var slots []time.Time
	var dates []string
	for i := 1; i <= days; i++ {
		d := today.AddDate(0, 0, -days+i)
		dates = append(dates, billing.FormatDate(d))
		if s := atHour(d); !s.After(now) {
			slots = append(slots, s)
		}
	}

	url, pool := migratedDB(t)
	ctx := context.Background()
	first := today.AddDate(0, 0, -days+1)
	seedContracts(t, ctx, pool, contracts, first)
	// Spread the adhesions over the ten days, so that every date has work.
	if _, err := pool.Exec(ctx, `UPDATE contracts SET adhesion_date = $1::date + (id % $2)::int,
		activation_date = $1::date + (id % $2)::int, generation_due_on = $1::date + (id % $2)::int`, first, days); err != nil {
		t.Fatal(err)
	}
	// The slot before the stretch ran: everything after it was missed.
	if _, err := pool.Exec(ctx, `INSERT INTO job_runs (job, as_of, trigger, slot, state, started_at, finished_at)
		VALUES ($1, $2, 'schedule', $3, 'succeeded', now(), now())`, job, today.AddDate(0, 0, -days), base); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(url, "BILLINGD_TIMEZONE=America/Sao_Paulo", fmt.Sprintf("BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE=0 %d * * *", hour),
		clock.Env(), "BILLINGD_BATCH_SIZE=100", "BILLINGD_SHUTDOWN_TIMEOUT=5s", "BILLINGD_BATCH_TIMEOUT=10s", "BILLINGD_RESCUE_AFTER=15s")

	daemons := make([]*daemon, 3)
	for i := range daemons {
		daemons[i] = startDaemon(t, fmt.Sprintf("replica-%d", i+1), env)
	}
	var wg sync.WaitGroup
	// Manual runs, one date after another, each sent through two replicas at once.
	for _, date := range dates {
		codes := make([]int, 2)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = daemons[i].Request(http.MethodPost, "/v1/runs", testToken, map[string]any{"job": job, "as_of": date})
			}()
		}
		wg.Wait()
		if codes[0] != http.StatusAccepted || codes[1] != http.StatusAccepted {
			t.Fatalf("POST /v1/runs as of %s: %v", date, codes)
		}
	}
	// Stop the leader (the replica that enqueued the catch-up) in the middle of things.
	var leader *daemon
	waitFor(t, time.Minute, "a leader to catch up the missed slots", func() bool {
		for _, d := range daemons {
			if len(d.LogsWith("catch-up enqueued")) > 0 {
				leader = d
				return true
			}
		}
		return false
	})
	t.Logf("%s led and enqueued %d catch-up slots; stopping it with SIGTERM", leader.Name(), len(leader.LogsWith("catch-up enqueued")))
	if code, took := leader.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("%s: exit %d after %s", leader.Name(), code, took)
	}
	all := append([]*daemon{}, daemons...)
	all = append(all, startDaemon(t, "replica-4", env))

	total := int64(1 + len(slots) + 2*len(dates))
	waitFor(t, 3*time.Minute, "every run to finish", func() bool {
		return count(t, pool, "SELECT count(*) FROM job_runs WHERE state IN ('succeeded', 'failed')") == total &&
			count(t, pool, "SELECT count(*) FROM river.river_job WHERE state <> 'completed' AND "+notPeriodic) == 0
	})
	catchUps, skipped := 0, 0
	for _, d := range all {
		for _, l := range d.LogsWith("catch-up enqueued") {
			catchUps++
			if l["duplicate"] == true {
				skipped++
			}
		}
	}
	t.Logf("catch-up enqueue attempts across the leaders: %d for %d missed slots, %d of them skipped by River as duplicates",
		catchUps, len(slots), skipped)

	expectEqual(t, pool, "each missed slot is recorded once in job_runs (nothing missed, nothing twice)", int64(len(slots)),
		`SELECT count(DISTINCT slot) FROM job_runs WHERE slot = ANY($1)`, slots)
	invariant(t, pool, "no scheduled run exists beyond the expected slots",
		`SELECT count(*) FROM job_runs WHERE slot IS NOT NULL AND slot <> $1 AND NOT slot = ANY($2)`, base, slots)
	invariant(t, pool, "no slot was enqueued more than once in River, whichever replica led",
		`SELECT count(*) FROM (SELECT args->>'slot' FROM river.river_job WHERE kind = 'sweep' AND args ? 'slot'
		 GROUP BY 1 HAVING count(*) > 1) d`)
	invariant(t, pool, "no batch (run, id range) was enqueued more than once",
		`SELECT count(*) FROM (SELECT args->>'run_id', args->>'from_id' FROM river.river_job WHERE kind = 'sweep_batch'
		 GROUP BY 1, 2 HAVING count(*) > 1) d`)
	expectEqual(t, pool, "every manual run sent through the two APIs was recorded once (2 per date)", int64(2*len(dates)),
		`SELECT count(*) FROM job_runs WHERE trigger = 'manual'`)
	finished := map[string]int{}
	for _, d := range all {
		for _, l := range d.LogsWith("run finished") {
			finished[fmt.Sprint(l["run_id"])]++
		}
	}
	for id, n := range finished {
		if n != 1 {
			broken(t, "run %s finished %d times across the replicas", id, n)
		}
	}
	if int64(len(finished)) != total-1 {
		broken(t, "%d runs finished in the replicas' logs, want %d", len(finished), total-1)
	} else {
		holds(t, "each of the %d runs finished exactly once across the replicas' logs", total-1)
	}
	invariant(t, pool, "no notice (e-mail) is recorded twice for the same contract, kind and reference",
		`SELECT count(*) FROM (SELECT 1 FROM notices GROUP BY contract_id, kind, reference HAVING count(*) > 1) d`)
	checkGenerated(t, pool, contracts, billing.FormatDate(today))
	for _, d := range all {
		if d.Running() {
			if code, took := d.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
				t.Errorf("%s: exit %d after %s", d.Name(), code, took)
			}
		}
	}
}
