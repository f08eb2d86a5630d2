package postgres_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// returnFile writes a CNAB 240 return file of Banco do Brasil with the settlements.
func returnFile(t *testing.T, seq int64, sts ...cnab240.Settlement) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := cnab240.Write(&buf, &cnab240.File{BankCode: "001", GeneratedOn: date("2026-03-20"), Sequence: seq, Settlements: sts}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// paid is a settlement of movement 06 of nosso número nn, paid on day for amount.
func paid(nn, day, amount string) cnab240.Settlement {
	a := decimal.RequireFromString(amount)
	return cnab240.Settlement{Movement: cnab240.Paid, NossoNumero: nn, DueDate: date(day), NominalAmount: a, AmountPaid: a,
		NetCredited: a, DatePaid: date(day), DateCredited: date(day)}
}

// importRun runs import-payments' plan and every batch, each in its own transaction.
func (b *bundle) importRun(t *testing.T, s postgres.ImportPaymentsSweep) map[string]int64 {
	t.Helper()
	var starts []int64
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		starts, err = s.Plan(b.ctx, tx, date("2026-03-20"), 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{}
	for i, from := range starts {
		to := int64(math.MaxInt64)
		if i+1 < len(starts) {
			to = starts[i+1] - 1
		}
		if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
			counts, err := s.Batch(b.ctx, tx, date("2026-03-20"), from, to)
			for k, v := range counts {
				total[k] += v
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return total
}

// TestImportPaymentsFromDropDir: a return file dropped in the directory is stored, then
// imported: the known settlement is paid with the file's date, the unknown nosso número,
// the cancelled installment and the amount above what is due are listed as exceptions with
// their lines, a remittance movement (02) is ignored; the next run moves the file to done/; the
// same file again (or another file repeating the settlement) records nothing twice; a
// malformed file goes to refused/ with its .error naming the line and the field, recording
// nothing.
func TestImportPaymentsFromDropDir(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	inst := b.seedPayable(t, 3)
	if _, err := b.store.CancelContract(b.ctx, 2, date("2026-03-15"), records.CancellationReasonRef{Code: "customer_request"}); err != nil {
		t.Fatal(err)
	}
	nn := func(id int64) string {
		var s string
		if err := b.pool.QueryRow(b.ctx, "SELECT nosso_numero FROM payment_instruments WHERE installment_id = $1", id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	known, cancelled, above := inst(1, 1), inst(2, 2), inst(3, 1)
	entry := paid(nn(inst(3, 2)), "2026-03-18", "99.90")
	entry.Movement = cnab240.EntryConfirmed
	file := returnFile(t, 1,
		paid(nn(known), "2026-03-09", "99.90"),           // line 3
		paid("12345679999999999", "2026-03-18", "50.00"), // line 5
		paid(nn(cancelled), "2026-03-18", "99.90"),       // line 7
		paid(nn(above), "2026-03-09", "120.00"),          // line 9
		entry,
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "RET0001.ret"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "BAD.ret"), []byte(strings.Repeat("x", 240)+"\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := postgres.ImportPaymentsSweep{Store: b.store, DropDir: dir, Now: func() time.Time { return paymentsNow }}
	counts := b.importRun(t, sweep)
	want := map[string]int64{"files": 1, "settlements": 4, "payments_recorded": 1, "duplicates": 0, "exceptions": 3}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("counts %v, want %v", counts, want)
			break
		}
	}
	var state, paidAt string
	if err := b.pool.QueryRow(b.ctx, "SELECT state, paid_at::text FROM installments WHERE id = $1", known).Scan(&state, &paidAt); err != nil {
		t.Fatal(err)
	}
	if state != "paid" || paidAt != "2026-03-09" {
		t.Errorf("known installment %s on %s, want paid on 2026-03-09", state, paidAt)
	}
	if got := b.count(t, `SELECT count(*) FROM payments WHERE source = 'bank_file' AND installment_id = $1 AND amount = 99.90
		AND reference = 'cnab:001:' || $2 || ':06:2026-03-09'`, known, nn(known)); got != 1 {
		t.Errorf("%d bank_file payments of the known installment", got)
	}
	excs, err := b.store.PaymentExceptions(b.ctx, postgres.PaymentExceptionFilter{}, postgres.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range excs {
		got = append(got, fmt.Sprintf("%s %s %s %s line %d", e.Reason, e.Reference, billing.FormatDate(e.PaidOn), e.Amount.StringFixed(2), e.Line))
	}
	wantExc := []string{
		"unknown_reference 12345679999999999 2026-03-18 50.00 line 5",
		"installment_cancelled " + nn(cancelled) + " 2026-03-18 99.90 line 7",
		"above_due " + nn(above) + " 2026-03-09 120.00 line 9",
	}
	if strings.Join(got, "\n") != strings.Join(wantExc, "\n") {
		t.Errorf("exceptions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantExc, "\n"))
	}
	if cause, err := os.ReadFile(filepath.Join(dir, "refused", "BAD.ret.error")); err != nil || !strings.HasPrefix(string(cause), "line 1: ") {
		t.Errorf("refused/BAD.ret.error: %q %v", cause, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "BAD.ret")); !os.IsNotExist(err) {
		t.Errorf("the malformed file is still in the drop directory: %v", err)
	}

	// The next run moves the imported file to done/ and imports nothing.
	if counts := b.importRun(t, sweep); len(counts) != 0 {
		t.Errorf("second run counts %v, want none", counts)
	}
	if _, err := os.Stat(filepath.Join(dir, "done", "RET0001.ret")); err != nil {
		t.Errorf("done/RET0001.ret: %v", err)
	}
	// The same file dropped again is moved to done/ without an import.
	if err := os.WriteFile(filepath.Join(dir, "RET0001-again.ret"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	if counts := b.importRun(t, sweep); len(counts) != 0 {
		t.Errorf("the same file again: counts %v, want none", counts)
	}
	// Another file repeating the known settlement records nothing twice.
	if err := os.WriteFile(filepath.Join(dir, "RET0002.ret"), returnFile(t, 2, paid(nn(known), "2026-03-09", "99.90")), 0o644); err != nil {
		t.Fatal(err)
	}
	if counts := b.importRun(t, sweep); counts["duplicates"] != 1 || counts["payments_recorded"] != 0 {
		t.Errorf("a repeated settlement: counts %v, want one duplicate", counts)
	}
	if got := b.count(t, "SELECT count(*) FROM payments WHERE source = 'bank_file'"); got != 1 {
		t.Errorf("%d bank_file payments, want 1", got)
	}
	if got := b.count(t, "SELECT count(*) FROM payment_exceptions"); got != 3 {
		t.Errorf("%d exceptions, want 3", got)
	}
}

// TestImportPaymentsConcurrentReplicas: two replicas importing the same pending file at
// once record every payment once: the second waits for the first's lock and finds the file
// imported.
func TestImportPaymentsConcurrentReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	b.seedPayable(t, 50)
	rows, err := b.pool.Query(b.ctx, `SELECT p.nosso_numero FROM payment_instruments p JOIN installments i ON i.id = p.installment_id
		WHERE i.sequence = 1 ORDER BY i.id`)
	if err != nil {
		t.Fatal(err)
	}
	nns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var sts []cnab240.Settlement
	for _, n := range nns {
		sts = append(sts, paid(n, "2026-03-10", "99.90"))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "RET.ret"), returnFile(t, 7, sts...), 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := postgres.ImportPaymentsSweep{Store: b.store, DropDir: dir, Now: func() time.Time { return paymentsNow }}
	var starts []int64
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		starts, err = sweep.Plan(b.ctx, tx, date("2026-03-20"), 1000)
		return err
	}); err != nil || len(starts) != 1 {
		t.Fatalf("plan %v %v", starts, err)
	}
	var wg sync.WaitGroup
	recorded := make([]int64, 2)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := postgres.RetryTx(b.ctx, b.pool, func(tx pgx.Tx) error {
				counts, err := sweep.Batch(b.ctx, tx, date("2026-03-20"), starts[0], math.MaxInt64)
				recorded[r] = counts["payments_recorded"]
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if recorded[0]+recorded[1] != 50 || b.count(t, "SELECT count(*) FROM payments WHERE source = 'bank_file'") != 50 {
		t.Errorf("replicas recorded %v, %d payments stored; want 50 once", recorded, b.count(t, "SELECT count(*) FROM payments"))
	}
	// Each of the 50 contracts' first installment (99.90, due on 2026-03-10, a Tuesday) is
	// paid on its due date by one payment of 99.90, all of it principal: no fine, no interest.
	if got := b.count(t, `SELECT count(*) FROM installments i JOIN payments p ON p.installment_id = i.id
		WHERE i.sequence = 1 AND i.due_date = '2026-03-10' AND i.state = 'paid' AND i.paid_at = '2026-03-10' AND i.paid_amount = 99.90
		  AND p.paid_on = '2026-03-10' AND p.amount = 99.90 AND p.principal = 99.90 AND p.fine = 0 AND p.interest = 0 AND p.credit = 0
		  AND (SELECT count(*) FROM payments q WHERE q.installment_id = i.id) = 1`); got != 50 {
		t.Errorf("%d first installments paid once, 99.90 on 2026-03-10, want 50", got)
	}
}
