//go:build faults

package faults

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/internal/dbtest"
)

// TestSIGKILLDuringImportOfALargeReturnFile kills the daemon with SIGKILL while it imports a
// return file of 20,000 settlements dropped in BILLINGD_PAYMENT_DROP_DIR (in chunks of 5,000,
// each its own River job and transaction), once its first chunk has committed, restarts it, and checks that once the file is
// imported every settlement was recorded exactly once: 20,000 bank_file payments, one per
// installment, every installment paid on the file's date, no exception, the ledger
// invariant; and that the restarted import resumed after the chunks committed before the
// kill (the file counts no duplicate: no committed settlement was taken again).
func TestSIGKILLDuringImportOfALargeReturnFile(t *testing.T) {
	t.Parallel()
	const contracts = 20000
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("random seed %d", seed)
	url, pool := migratedDB(t)
	ctx := context.Background()
	if _, err := dbtest.SeedContracts(ctx, pool, contracts, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// One installment a contract: 20,000 installments, each with its boleto.
	if _, err := pool.Exec(ctx, "UPDATE plans SET installments_per_term = 1"); err != nil {
		t.Fatal(err)
	}
	drop := t.TempDir()
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_IMPORT_PAYMENTS_ENABLED=false",
		"BILLINGD_BATCH_SIZE=2000", "BILLINGD_BATCH_TIMEOUT=60s", "BILLINGD_RESCUE_AFTER=65s", "BILLINGD_PAYMENT_DROP_DIR="+drop,
		"BILLINGD_BANK_CODE=001", "BILLINGD_BANK_AGENCY=1234", "BILLINGD_BANK_ACCOUNT=123456", "BILLINGD_BANK_WALLET=17",
		"BILLINGD_BANK_CONVENIO=1234567", "BILLINGD_BANK_NOSSO_NUMERO_FIRST=1", "BILLINGD_BANK_NOSSO_NUMERO_LAST=9999999999")
	first := startDaemon(t, "generate", env)
	if code, out := cli(t, env, "run", "generate-installments", "--as-of", "2026-03-02", "--force", "--wait"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, out)
	}
	expectEqual(t, pool, "every installment has its boleto", contracts,
		"SELECT count(*) FROM payment_instruments WHERE barcode IS NOT NULL")
	rows, err := pool.Query(ctx, "SELECT nosso_numero, amount FROM payment_instruments ORDER BY installment_id")
	if err != nil {
		t.Fatal(err)
	}
	paidOn := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	sts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cnab240.Settlement, error) {
		var s cnab240.Settlement
		var a decimal.Decimal
		err := r.Scan(&s.NossoNumero, &a)
		s.Movement, s.NominalAmount, s.AmountPaid, s.NetCredited, s.DatePaid = cnab240.Paid, a, a, a, paidOn
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := cnab240.Write(&file, &cnab240.File{BankCode: "001", GeneratedOn: paidOn, Sequence: 1, Settlements: sts}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(drop, "RET-LARGE.ret"), file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := cli(t, env, "run", "import-payments"); code != 0 {
		t.Fatalf("enqueue the import: exit %d: %s", code, out)
	}
	// Kill while the import's second chunk (or a later one) runs: the first has committed, so
	// the restarted import has committed chunks to resume after.
	waitFor(t, 2*time.Minute, "the import's first chunk to commit", func() bool {
		return count(t, pool, "SELECT coalesce(max(imported_through_line), 0) FROM payment_files") > 0
	})
	time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
	first.Kill()
	imported := count(t, pool, "SELECT count(*) FROM payment_files WHERE status = 'imported'")
	t.Logf("SIGKILL during the import: file imported %d, %d bank_file payments committed, imported through line %d", imported,
		count(t, pool, "SELECT count(*) FROM payments WHERE source = 'bank_file'"),
		count(t, pool, "SELECT imported_through_line FROM payment_files"))
	if imported != 0 {
		t.Fatalf("the import finished before the kill: make the file larger or its chunks smaller")
	}
	last := startDaemon(t, "final", env)
	waitFor(t, 4*time.Minute, "the file to be imported after the kill", func() bool {
		return count(t, pool, "SELECT count(*) FROM payment_files WHERE status = 'imported'") == 1
	})
	expectEqual(t, pool, "every settlement recorded as a payment", contracts, "SELECT count(*) FROM payments WHERE source = 'bank_file'")
	invariant(t, pool, "each installment paid once", `SELECT count(*) FROM (SELECT installment_id FROM payments
		GROUP BY installment_id HAVING count(*) <> 1) d`)
	invariant(t, pool, "every installment paid on the file's date",
		"SELECT count(*) FROM installments WHERE state <> 'paid' OR paid_at <> '2026-03-09'")
	invariant(t, pool, "no exception", "SELECT count(*) FROM payment_exceptions")
	expectEqual(t, pool, "the file's counts", contracts, "SELECT recorded FROM payment_files")
	invariant(t, pool, "the import resumed after its committed chunks", "SELECT duplicates FROM payment_files")
	checkLedger(t, pool)
	if code, took := last.Stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("final daemon: exit %d after %s", code, took)
	}
}
