package postgres_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

// TestImportPaymentsInChunks: a file is imported a chunk (here two payment settlements) a
// transaction, each chunk adding to the file's counts and moving imported_through_line; a
// chunk rolled back (its process killed) leaves the file where the last committed chunk left
// it and the next call redoes it; the last chunk marks the file imported. Taking the file in
// again from its first line (as a chunk redone after a crash would) records nothing twice and
// lists no exception twice.
func TestImportPaymentsInChunks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	inst := b.seedPayable(t, 4)
	if _, err := b.store.CancelContract(b.ctx, 4, date("2026-03-15"), records.CancellationReasonRef{Code: "customer_request"}); err != nil {
		t.Fatal(err)
	}
	nn := func(id int64) string {
		var s string
		if err := b.pool.QueryRow(b.ctx, "SELECT nosso_numero FROM payment_instruments WHERE installment_id = $1", id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	entry := paid(nn(inst(3, 2)), "2026-03-18", "99.90")
	entry.Movement = cnab240.EntryConfirmed
	content := returnFile(t, 1,
		paid(nn(inst(1, 1)), "2026-03-09", "99.90"),      // line 3
		paid("12345679999999999", "2026-03-18", "50.00"), // line 5: unknown
		entry, // line 7: not a payment
		paid(nn(inst(2, 1)), "2026-03-09", "99.90"), // line 9
		paid(nn(inst(4, 2)), "2026-03-18", "99.90"), // line 11: cancelled
		paid(nn(inst(3, 1)), "2026-03-09", "99.90"), // line 13
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "RET-CHUNKS.ret"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := postgres.ImportPaymentsSweep{Store: b.store, DropDir: dir, Now: func() time.Time { return paymentsNow }, Chunk: 2}
	var starts []int64
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		starts, err = sweep.Plan(b.ctx, tx, date("2026-03-20"), 1000)
		return err
	}); err != nil || len(starts) != 1 {
		t.Fatalf("plan %v %v", starts, err)
	}
	file := records.PaymentFile{ID: starts[0]}
	// chunk runs one BatchChunk in its own transaction, committed or rolled back.
	chunk := func(commit bool) (map[string]int64, bool) {
		t.Helper()
		tx, err := b.pool.Begin(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts, more, err := sweep.BatchChunk(b.ctx, tx, date("2026-03-20"), file.ID, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit(b.ctx)
		} else {
			err = tx.Rollback(b.ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		return counts, more
	}
	row := func() string {
		t.Helper()
		var s string
		if err := b.pool.QueryRow(b.ctx, `SELECT format('%s through %s: settlements %s recorded %s duplicates %s exceptions %s',
			status, imported_through_line, settlements, recorded, duplicates, exceptions) FROM payment_files WHERE id = $1`,
			file.ID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	steps := []struct {
		commit bool
		counts string
		more   bool
		row    string
	}{
		{true, "settlements 2 recorded 1 duplicates 0 exceptions 1 files 0", true,
			"pending through 5: settlements 2 recorded 1 duplicates 0 exceptions 1"},
		{false, "settlements 2 recorded 1 duplicates 0 exceptions 1 files 0", true, // killed: rolled back
			"pending through 5: settlements 2 recorded 1 duplicates 0 exceptions 1"},
		{true, "settlements 2 recorded 1 duplicates 0 exceptions 1 files 0", true,
			"pending through 11: settlements 4 recorded 2 duplicates 0 exceptions 2"},
		{true, "settlements 1 recorded 1 duplicates 0 exceptions 0 files 1", false,
			"imported through 13: settlements 5 recorded 3 duplicates 0 exceptions 2"},
		{true, "settlements 0 recorded 0 duplicates 0 exceptions 0 files 0", false, // nothing pending
			"imported through 13: settlements 5 recorded 3 duplicates 0 exceptions 2"},
	}
	for i, st := range steps {
		counts, more := chunk(st.commit)
		got := fmt.Sprintf("settlements %d recorded %d duplicates %d exceptions %d files %d", counts["settlements"],
			counts["payments_recorded"], counts["duplicates"], counts["exceptions"], counts["files"])
		if got != st.counts || more != st.more {
			t.Errorf("step %d: counts %q more %v, want %q more %v", i, got, more, st.counts, st.more)
		}
		if got := row(); got != st.row {
			t.Errorf("step %d: file %q, want %q", i, got, st.row)
		}
	}
	if got := b.count(t, "SELECT count(*) FROM payments WHERE source = 'bank_file' AND paid_on = '2026-03-09'"); got != 3 {
		t.Errorf("%d bank_file payments, want 3", got)
	}
	if got := b.count(t, "SELECT count(*) FROM payment_exceptions WHERE line IN (5, 11)"); got != 2 {
		t.Errorf("%d exceptions on lines 5 and 11, want 2", got)
	}

	// From the first line again: every settlement is a duplicate or already listed.
	if _, err := b.pool.Exec(b.ctx, `UPDATE payment_files SET status = 'pending', imported_at = NULL, imported_through_line = 0
		WHERE id = $1`, file.ID); err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{}
	for more := true; more; {
		var counts map[string]int64
		counts, more = chunk(true)
		for k, v := range counts {
			total[k] += v
		}
	}
	if total["payments_recorded"] != 0 || total["duplicates"] != 3 || total["settlements"] != 5 {
		t.Errorf("again: counts %v, want 5 settlements, 3 duplicates, nothing recorded", total)
	}
	if got := b.count(t, "SELECT count(*) FROM payments WHERE source = 'bank_file'"); got != 3 {
		t.Errorf("again: %d bank_file payments, want 3", got)
	}
	if got := b.count(t, "SELECT count(*) FROM payment_exceptions"); got != 2 {
		t.Errorf("again: %d exceptions, want 2", got)
	}
}
