package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// BenchmarkImportPayments times import-payments importing a return file of BENCH_CONTRACTS
// settlements (every contract's first installment, due 2026-03-10, paid on 2026-03-20 with
// its 10 days of interest) dropped in the drop directory, through River as the daemon runs
// it, against its floor: the same payments, their late-interest lines and the installments
// paid, written set-based in one statement (rolled back), and against that floor writing the
// installment.paid events the import writes too. It also reports the time from the
// start of the import until the last of the blocked contracts among the paid ones (up to
// 5,000, blocked as block-delinquent blocks them) is unblocked by its follow-up job.
func BenchmarkImportPayments(b *testing.B) {
	h := setup(b)
	ctx := context.Background()
	blocked := min(h.n, 5000)
	h.seedInstallments()
	h.timeSQL(`INSERT INTO payment_instruments (installment_id, contract_id, amount, due_date, bank_code, sequence, nosso_numero,
			nosso_numero_printed, barcode, linha_digitavel)
		SELECT id, contract_id, amount - discount, due_date, '001', id, '1234567' || lpad(id::text, 10, '0'),
			'1234567' || lpad(id::text, 10, '0'), lpad(id::text, 44, '0'), lpad(id::text, 47, '0')
		FROM installments WHERE sequence = 1`)
	if _, rows := h.timeSQL(`WITH d AS (
			SELECT i.contract_id, i.id, i.due_date FROM installments i
			WHERE i.sequence = 1 AND i.contract_id IN (SELECT id FROM contracts ORDER BY id LIMIT $2)),
		e AS (INSERT INTO block_episodes (contract_id, installment_id, started_on, reason)
			SELECT contract_id, id, $1, format('first installment %s due %s unpaid 10 days after its due date', id, due_date) FROM d
			RETURNING id, contract_id, started_on),
		s AS (INSERT INTO block_segments (episode_id, blocked_from) SELECT id, started_on FROM e),
		n AS (INSERT INTO notices (contract_id, kind, reference) SELECT contract_id, 'blocked', id::text FROM e)
		UPDATE contracts c SET status = 'blocked', updated_at = now() FROM e WHERE c.id = e.contract_id`,
		time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), blocked); rows != int64(blocked) {
		b.Fatalf("blocked %d contracts, want %d", rows, blocked)
	}
	h.timeSQL("VACUUM ANALYZE")

	// The settlements: what settles each first installment on 2026-03-20 under the default
	// late rule (no fine, 1% a month, 1/30 of it a day).
	rows, err := h.pool.Query(ctx, `SELECT p.nosso_numero, (i.amount - i.discount
			+ round((i.amount - i.discount) * 1.00 / 100 / 30 * ('2026-03-20'::date - i.due_date), 2))
		FROM payment_instruments p JOIN installments i ON i.id = p.installment_id ORDER BY i.id`)
	if err != nil {
		b.Fatal(err)
	}
	paidOn := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	sts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cnab240.Settlement, error) {
		var s cnab240.Settlement
		var a decimal.Decimal
		err := r.Scan(&s.NossoNumero, &a)
		s.Movement, s.NominalAmount, s.AmountPaid, s.NetCredited, s.DatePaid = cnab240.Paid, a, a, a, paidOn
		return s, err
	})
	if err != nil || len(sts) != h.n {
		b.Fatalf("%d settlements, want %d: %v", len(sts), h.n, err)
	}
	var file bytes.Buffer
	if err := cnab240.Write(&file, &cnab240.File{BankCode: "001", GeneratedOn: paidOn, Sequence: 1, Settlements: sts}); err != nil {
		b.Fatal(err)
	}

	// The floor: the same payments, late lines and paid installments in one statement; and
	// the same with the installment.paid events the import writes too (every floor writes
	// the rows its sweep writes, docs/performance.md).
	floorStatement := func(withEvents bool) string {
		events := ""
		if withEvents {
			events = `,
		e AS (INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
			SELECT 'installment.paid', d.contract_id, 'payment:' || p.id, '2026-03-20', jsonb_build_object('installment_id', d.id,
				'payment_id', p.id, 'paid_on', '2026-03-20', 'paid_amount', to_char(d.principal + d.interest, 'FM999999990.00'),
				'amount', to_char(d.principal + d.interest, 'FM999999990.00'), 'discount', '0.00', 'due_date', '2026-03-10')
			FROM d JOIN p ON p.installment_id = d.id)`
		}
		return `WITH d AS (
			SELECT i.id, i.contract_id, i.amount - i.discount AS principal,
				round((i.amount - i.discount) * 1.00 / 100 / 30 * ('2026-03-20'::date - i.due_date), 2) AS interest
			FROM installments i WHERE i.sequence = 1),
		p AS (INSERT INTO payments (installment_id, contract_id, amount, paid_on, source, reference, principal, fine, interest)
			SELECT id, contract_id, principal + interest, '2026-03-20', 'bank_file', 'floor:' || id, principal, 0, interest FROM d
			RETURNING id, installment_id),
		l AS (INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT d.id, d.contract_id, 'late_interest', 'interest of 1.00% a month pro rata die for 10 days', 10, NULL, d.interest,
				'late_interest:' || p.id
			FROM d JOIN p ON p.installment_id = d.id WHERE d.interest > 0)` + events + `,
		u AS (UPDATE installments i SET state = 'paid', paid_at = '2026-03-20', paid_amount = d.principal + d.interest,
				amount = i.amount + d.interest
			FROM d WHERE i.id = d.id RETURNING 1)
		SELECT count(*) FROM u`
	}
	timeFloor := func(withEvents bool) time.Duration {
		tx, err := h.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var floorRows int64
		if err := tx.QueryRow(ctx, floorStatement(withEvents)).Scan(&floorRows); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if err := tx.Rollback(ctx); err != nil {
			b.Fatal(err)
		}
		if floorRows != int64(h.n) {
			b.Fatalf("floor paid %d installments, want %d", floorRows, h.n)
		}
		return took
	}
	floor, floorEvents := timeFloor(false), timeFloor(true)
	// The floors' rolled-back rows (200,000 dead installment versions and their index
	// entries, the payments, lines and events) are not the import's to step over.
	h.timeSQL("VACUUM ANALYZE")

	drop := b.TempDir()
	h.runner.Sweeps[jobs.ImportPayments] = postgres.ImportPaymentsSweep{Store: h.store, DropDir: drop, Now: time.Now}
	if err := os.WriteFile(filepath.Join(drop, "RET-BENCH.ret"), file.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	// One daemon client works the import and the unblock jobs it enqueues, as in `billingd serve`.
	client, err := h.runner.NewDaemonClient(jobs.DaemonOptions{SweepWorkers: 2, SoftStopTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	b.ResetTimer()
	importStart := time.Now()
	requested, err := h.store.RequestRun(ctx, jobs.ImportPayments, paidOn)
	if err != nil {
		b.Fatal(err)
	}
	run, err := jobs.WaitRun(ctx, h.pool, requested.ID, 20*time.Millisecond, nil)
	if err != nil || run.State != records.RunSucceeded {
		b.Fatalf("import run: %+v %v", run, err)
	}
	importing, counts := time.Since(importStart), run.Counts
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var left int
		if err := h.pool.QueryRow(ctx, "SELECT count(*) FROM contracts WHERE status = 'blocked'").Scan(&left); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d contracts still blocked 10 minutes after the import", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	unblocked := time.Since(importStart)
	b.StopTimer()
	if counts["payments_recorded"] != int64(h.n) || counts["exceptions"] != 0 {
		b.Fatalf("import counts %v, want %d payments and no exception", counts, h.n)
	}
	fmt.Printf("%-22s settlements=%d floor=%s import=%s ratio=%.2f floor+events=%s ratio+events=%.2f blocked=%d all-unblocked=%s (%s after the import's end) peak_rss=%.0fMiB counts=%v\n",
		"import-payments", h.n, floor.Round(time.Millisecond), importing.Round(time.Millisecond), importing.Seconds()/floor.Seconds(),
		floorEvents.Round(time.Millisecond), importing.Seconds()/floorEvents.Seconds(),
		blocked, unblocked.Round(time.Millisecond), (unblocked - importing).Round(time.Millisecond), peakRSS(), counts)
	b.ReportMetric(unblocked.Seconds(), "all_unblocked_s")
	b.ReportMetric(floor.Seconds(), "floor_s")
	b.ReportMetric(importing.Seconds(), "import_s")
	b.ReportMetric(importing.Seconds()/floor.Seconds(), "ratio")
	b.ReportMetric(importing.Seconds()/floorEvents.Seconds(), "ratio_with_events")
}
