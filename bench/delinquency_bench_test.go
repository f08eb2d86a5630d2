package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/billingd/billingd/jobs"
)

// BenchmarkBlockDelinquent leaves every seeded contract's first installment (due
// 2026-03-10) unpaid and times block-delinquent, the collection ladder's sweep, under the
// default rule (10 days, warned 3 before: the generic ladder, debt notice 7 days after the
// due date, suspension 3 days after it): a nothing-due day (03-09), the debt notice's day
// (03-17), the suspension's day (03-20) against its floor (one plain statement opening the
// same episodes, segments, notices and contract.suspended events, enqueuing the notices'
// delivery jobs and moving the same contracts to blocked at the suspension step), and a
// rerun of the suspension's day. The sweeps run with the e-mail queue paused: timed with
// the enqueuing of the deliveries, not the deliveries.
func BenchmarkBlockDelinquent(b *testing.B) {
	h := setup(b)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	if _, counts := h.sweep(jobs.GenerateInstallments, day(31)); counts["installments_created"] != int64(h.n)*12 {
		b.Fatalf("generate counts %v", counts)
	}
	h.timeSQL("VACUUM ANALYZE")
	floor, rows := h.timeSQL(`WITH d AS (
			SELECT DISTINCT ON (contract_id) contract_id, id FROM installments
			WHERE state = 'open' AND due_date <= $1::date - 10 ORDER BY contract_id, due_date, id),
		e AS (INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
			SELECT contract_id, id, $1, 'floor' FROM d RETURNING id, contract_id, started_on),
		s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, started_on FROM e),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id::text FROM e RETURNING id),
		j AS (INSERT INTO river.river_job (args, kind, max_attempts, queue, state, unique_key, unique_states)
			SELECT jsonb_build_object('notice_id', id), 'deliver_notice', 10, $2, 'available',
				sha256(convert_to('&kind=deliver_notice&args={"notice_id":' || id || '}', 'UTF8')), B'11110101'
			FROM n),
		ev AS (INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'contract.suspended', contract_id, 'episode:' || id || ':1', started_on,
				jsonb_build_object('level', 'total', 'episode_id', id) FROM e)
		UPDATE contracts c SET status = 'blocked', ladder_step = 'suspension', ladder_step_since = e.started_on, updated_at = now()
		FROM e WHERE c.id = e.contract_id`, day(20), jobs.QueueEvents)
	if rows != int64(h.n) {
		b.Fatalf("floor blocked %d contracts, want %d", rows, h.n)
	}
	h.timeSQL("TRUNCATE notices, block_segments, installment_discounts, block_episodes, events CASCADE")
	h.timeSQL("DELETE FROM river.river_job WHERE kind = 'deliver_notice'")
	h.timeSQL("UPDATE contracts SET status = 'active', ladder_step = 'none', ladder_step_since = NULL, ladder_notice_id = NULL")
	h.timeSQL("VACUUM ANALYZE")
	b.ResetTimer()
	idle, idleCounts := h.sweepPaused(jobs.BlockDelinquent, day(9))
	warn, warnCounts := h.sweepPaused(jobs.BlockDelinquent, day(17))
	sweep, counts := h.sweepPaused(jobs.BlockDelinquent, day(20))
	rerun, rerunCounts := h.sweepPaused(jobs.BlockDelinquent, day(20))
	b.StopTimer()
	if len(idleCounts) != 0 || warnCounts["contracts_warned"] != int64(h.n) || counts["contracts_blocked"] != int64(h.n) || len(rerunCounts) != 0 {
		b.Fatalf("counts: nothing due %v, warning %v, block %v, rerun %v", idleCounts, warnCounts, counts, rerunCounts)
	}
	fmt.Printf("%-22s warning-day=%s counts=%v rerun=%s counts=%v\n", "block-delinquent", warn.Round(time.Millisecond), warnCounts,
		rerun.Round(time.Millisecond), rerunCounts)
	b.ReportMetric(warn.Seconds(), "warning_s")
	b.ReportMetric(rerun.Seconds(), "rerun_s")
	report(b, "block-delinquent", h.n, floor, sweep, idle, counts)
}
