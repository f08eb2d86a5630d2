package postgres_test

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/renewal"
)

// defaultThresholds are the daemon's default renewal thresholds (BILLINGD_RENEWAL_QUEUE_THRESHOLD,
// BILLINGD_RENEWAL_THRESHOLD); the daemon passes them to RenewSweep.
var defaultThresholds = renewal.Thresholds{Queue: 3, Renewal: 2}

// seedDue seeds n contracts with their first term generated and 10 of 12 installments paid:
// each is due for renewal with the default thresholds.
func (b *bundle) seedDue(t *testing.T, n int) {
	t.Helper()
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, n, date("2026-01-15")); err != nil {
		t.Fatal(err)
	}
	if got := b.sweepAll(t, date("2026-01-15"), 1000); got != int64(n)*12 {
		t.Fatalf("generated %d installments, want %d", got, n*12)
	}
	if _, err := b.pool.Exec(b.ctx, `UPDATE installments SET state = 'paid', paid_at = '2026-07-20', paid_amount = amount
		WHERE sequence <= 10`); err != nil {
		t.Fatal(err)
	}
}

// renewAll plans and runs renew-contracts as of asOf, one transaction per batch.
func (b *bundle) renewAll(t *testing.T, sweep postgres.RenewSweep, asOf time.Time, batchSize int) map[string]int64 {
	t.Helper()
	_, counts := b.runSweep(t, sweep, asOf, batchSize)
	return counts
}

// renewedTerms are the 24 installments, worked out by hand, of a contract seedDue writes
// (from 2026-01-15, fixed day 10 shifted to the next business day, 10 paid) once renewed at
// the plan's 99.90 on 2026-07-20: term 1 from 2026-02-10 (2026-05-10 and 2027-01-10 are
// Sundays: the 11th; 2026-10-10 a Saturday and the 12th a holiday: the 13th), term 2 from
// 2027-02-10 (2027-04-10 and 07-10 are Saturdays: the 12th; 2027-10-10 a Sunday: the 11th).
var renewedTerms = strings.Join([]string{
	"1/1 paid 99.90 2026-02-10", "1/2 paid 99.90 2026-03-10", "1/3 paid 99.90 2026-04-10", "1/4 paid 99.90 2026-05-11",
	"1/5 paid 99.90 2026-06-10", "1/6 paid 99.90 2026-07-10", "1/7 paid 99.90 2026-08-10", "1/8 paid 99.90 2026-09-10",
	"1/9 paid 99.90 2026-10-13", "1/10 paid 99.90 2026-11-10", "1/11 open 99.90 2026-12-10", "1/12 open 99.90 2027-01-11",
	"2/13 open 99.90 2027-02-10", "2/14 open 99.90 2027-03-10", "2/15 open 99.90 2027-04-12", "2/16 open 99.90 2027-05-10",
	"2/17 open 99.90 2027-06-10", "2/18 open 99.90 2027-07-12", "2/19 open 99.90 2027-08-10", "2/20 open 99.90 2027-09-10",
	"2/21 open 99.90 2027-10-11", "2/22 open 99.90 2027-11-10", "2/23 open 99.90 2027-12-10", "2/24 open 99.90 2028-01-10",
}, "; ")

// checkOneNewTerm checks that each of n contracts has exactly two terms and one renewal,
// on 2026-07-20 at 99.90, and the 24 installments of renewedTerms.
func (b *bundle) checkOneNewTerm(t *testing.T, n int) {
	t.Helper()
	if got := b.count(t, `SELECT count(*) FROM (SELECT contract_id FROM installments WHERE kind = 'recurring' AND discount = 0 GROUP BY contract_id
		HAVING string_agg(format('%s/%s %s %s %s', term, sequence, state, amount, due_date), '; ' ORDER BY sequence) = $1) c`, renewedTerms); got != int64(n) {
		t.Errorf("%d contracts have the installments %s; want %d", got, renewedTerms, n)
	}
	if got := b.count(t, `SELECT count(*) FROM renewals WHERE term = 1 AND new_term = 2 AND queued_on = '2026-07-20' AND renewed_on = '2026-07-20'
		AND price = 99.90`); got != int64(n) {
		t.Errorf("%d renewals of term 1 queued and renewed on 2026-07-20 at 99.90, want %d", got, n)
	}
	for _, c := range []struct {
		sql  string
		want int64
	}{
		{"SELECT count(*) FROM installments", int64(n) * 24},
		{"SELECT count(*) FROM installments WHERE term = 2 AND sequence BETWEEN 13 AND 24", int64(n) * 12},
		{"SELECT count(*) FROM renewals WHERE renewed_on IS NOT NULL AND new_term = 2", int64(n)},
		{"SELECT count(*) FROM contracts WHERE term_number = 2 AND generated_term = 2 AND NOT renewal_check", int64(n)},
		{"SELECT count(*) FROM notices WHERE kind = 'renewed' AND reference = '2'", int64(n)},
	} {
		if got := b.count(t, c.sql); got != c.want {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}
}

func TestRenewSweepRerunRenewsOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedDue(t, 25)
	sweep := postgres.RenewSweep{Thresholds: defaultThresholds}
	want := map[string]int64{"contracts": 25, "queued": 25, "renewed": 25, "installments_created": 300, "skipped": 0}
	if got := b.renewAll(t, sweep, date("2026-07-20"), 7); !equalCounts(got, want) {
		t.Fatalf("first run %v, want %v", got, want)
	}
	if got := b.renewAll(t, sweep, date("2026-07-20"), 7); len(got) != 0 {
		t.Fatalf("rerun %v, want nothing planned", got)
	}
	// Even a batch forced over every id, with every contract flagged, renews nothing more:
	// each contract's new term has 12 open installments.
	if _, err := b.pool.Exec(b.ctx, "UPDATE contracts SET renewal_check = true"); err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{"contracts": 25, "queued": 0, "renewed": 0, "installments_created": 0, "skipped": 0}
	if got := b.renewAll(t, sweep, date("2026-07-21"), 1000); !equalCounts(got, want) {
		t.Fatalf("forced rerun %v, want %v", got, want)
	}
	b.checkOneNewTerm(t, 25)
}

// TestRenewSweepConcurrentBatches runs the same batch in two transactions at once, as two
// replicas or a retry racing the original would: one new term per contract, never two.
func TestRenewSweepConcurrentBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedDue(t, 40)
	sweep := postgres.RenewSweep{Thresholds: defaultThresholds}
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		_, err := sweep.Plan(b.ctx, tx, date("2026-07-20"), 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]map[string]int64, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
				var err error
				results[i], err = sweep.Batch(b.ctx, tx, date("2026-07-20"), 0, math.MaxInt64)
				return err
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	if results[0]["renewed"]+results[1]["renewed"] != 40 || results[0]["installments_created"]+results[1]["installments_created"] != 480 {
		t.Fatalf("batches %v and %v, want 40 renewals and 480 installments between them", results[0], results[1])
	}
	b.checkOneNewTerm(t, 40)
}

// TestRenewSweepNewThresholdsFlagEveryContract changes the global thresholds: the next run
// looks at every contract renewed automatically once, then at none.
func TestRenewSweepNewThresholdsFlagEveryContract(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedDue(t, 10)
	if _, err := b.pool.Exec(b.ctx, `UPDATE installments SET state = 'open', paid_at = NULL, paid_amount = NULL WHERE sequence = 10`); err != nil {
		t.Fatal(err)
	}
	// 3 open: the defaults queue every contract.
	want := map[string]int64{"contracts": 10, "queued": 10, "renewed": 0, "installments_created": 0, "skipped": 0}
	if got := b.renewAll(t, postgres.RenewSweep{Thresholds: defaultThresholds}, date("2026-07-20"), 4); !equalCounts(got, want) {
		t.Fatalf("defaults: %v, want %v", got, want)
	}
	// An operator raises the renewal threshold to 3: every contract is renewed on the next run.
	raised := postgres.RenewSweep{Thresholds: renewal.Thresholds{Queue: 3, Renewal: 3}}
	want = map[string]int64{"contracts": 10, "queued": 0, "renewed": 10, "installments_created": 120, "skipped": 0}
	if got := b.renewAll(t, raised, date("2026-07-21"), 4); !equalCounts(got, want) {
		t.Fatalf("raised: %v, want %v", got, want)
	}
	if got := b.renewAll(t, raised, date("2026-07-22"), 4); len(got) != 0 {
		t.Fatalf("next run %v, want nothing planned", got)
	}
	if got := b.count(t, "SELECT count(*) FROM renewals WHERE queued_on = '2026-07-20' AND renewed_on = '2026-07-21'"); got != 10 {
		t.Fatalf("%d renewals queued on the 20th and renewed on the 21st, want 10", got)
	}
}

func equalCounts(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
