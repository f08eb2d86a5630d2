package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/migrations"
	"github.com/billingd/billingd/postgres"
	"github.com/billingd/billingd/records"
)

var saoPaulo = func() *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		panic(err)
	}
	return loc
}()

// paymentsNow is 2026-03-20 at noon in São Paulo.
var paymentsNow = time.Date(2026, 3, 20, 12, 0, 0, 0, saoPaulo)

// seedPayable seeds n contracts of 99.90 due on day 10 from 2026-03-05 (installment k of
// contract c due on the 10th, 2026-03-10 a Tuesday) with their installments, and returns
// the id of installment seq of contract c.
func (b *bundle) seedPayable(t *testing.T, n int) func(contract int64, seq int) int64 {
	t.Helper()
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, n, date("2026-03-05")); err != nil {
		t.Fatal(err)
	}
	b.sweepAll(t, date("2026-03-05"), 1000)
	return func(contract int64, seq int) int64 {
		t.Helper()
		return b.count(t, fmt.Sprintf("SELECT id FROM installments WHERE contract_id = %d AND sequence = %d", contract, seq))
	}
}

func pin(inst int64, amount, on, source, ref string) postgres.PaymentIn {
	return postgres.PaymentIn{InstallmentID: inst, Amount: decimal.RequireFromString(amount), PaidOn: date(on), Source: source, Reference: ref}
}

// outcome is a PaymentResult as one comparable line.
func outcome(r postgres.PaymentResult) string {
	switch {
	case r.Refused != nil:
		return "refused " + r.Refused.Code
	case r.Duplicate:
		return fmt.Sprintf("duplicate of %d", r.Payment.ID)
	}
	p := r.Payment
	return fmt.Sprintf("%s %s %s/%s/%s/%s %s balance %s", p.Source, billing.FormatMoney(p.Amount), billing.FormatMoney(p.Principal),
		billing.FormatMoney(p.Fine), billing.FormatMoney(p.Interest), billing.FormatMoney(p.Credit), r.Installment.State,
		billing.FormatMoney(r.Balance))
}

// TestRecordPaymentsBatch records one batch from several sources and checks each payment's
// outcome in order: settled (late, with its interest line; on time), partial, a duplicate
// within the batch, and each refusal; the follow-ups get one entry per contract whose
// payments were recorded; the same batch again is all duplicates and writes nothing.
func TestRecordPaymentsBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 4)
	b.runSweep(t, postgres.BlockSweep{}, date("2026-03-20"), 1000) // blocks all four, 10 days after 03-10
	if _, err := b.store.CancelContract(b.ctx, 4, date("2026-03-15"), records.CancellationReasonRef{Code: "other"}); err != nil {
		t.Fatal(err)
	}
	handed := &handedOn{}
	store := &postgres.Store{Pool: b.pool, FollowUps: handed}
	batch := []postgres.PaymentIn{
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourceBankFile, "cnab:001:1:06:20260320"), // 10 days late: 0.33
		pin(inst(1, 2), "99.90", "2026-03-20", billing.SourceBankFile, "cnab:001:2:06:20260320"),  // due 04-10: on time
		pin(inst(2, 1), "50.00", "2026-03-15", billing.SourcePIX, "pix:E1"),                       // 5 days late: 0.17, partial
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourceBankFile, "cnab:001:1:06:20260320"), // the first again
		pin(999999, "10.00", "2026-03-20", billing.SourcePIX, "pix:E2"),
		pin(inst(4, 2), "99.90", "2026-03-20", billing.SourceBankFile, "cnab:001:9:06:20260320"), // cancelled with its contract
		pin(inst(3, 1), "100.23", "2026-03-21", billing.SourcePIX, "pix:E3"),                     // tomorrow
		pin(inst(2, 1), "10.00", "2026-03-12", billing.SourceAPI, ""),                            // before 03-15's
		pin(inst(3, 1), "200.00", "2026-03-20", billing.SourceAPI, "api:x"),                      // no credit allowed
		pin(inst(3, 1), "1.00", "2026-03-20", billing.SourcePIX, "pix:E1"),                       // E1 is another payment
	}
	results, err := store.RecordPayments(b.ctx, paymentsNow, saoPaulo, batch)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, outcome(r))
	}
	first := results[0].Payment.ID
	want := []string{
		"bank_file 100.23 99.90/0.00/0.33/0.00 paid balance 0.00",
		"bank_file 99.90 99.90/0.00/0.00/0.00 paid balance 0.00",
		"pix 50.00 49.83/0.00/0.17/0.00 open balance 50.07",
		fmt.Sprintf("duplicate of %d", first),
		"refused unknown_installment",
		"refused installment_cancelled",
		"refused future_date",
		"refused out_of_order",
		"refused above_due",
		"refused reference_reused",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := b.count(t, "SELECT count(*) FROM payments"); n != 3 {
		t.Errorf("%d payments, want 3", n)
	}
	lines := b.count(t, fmt.Sprintf(`SELECT count(*) FROM installment_lines WHERE installment_id = %d
		AND kind = 'late_interest' AND amount = 0.33 AND quantity = 10 AND source_key = 'late_interest:%d'`, inst(1, 1), first))
	if lines != 1 {
		t.Errorf("%d late_interest lines of 0.33 keyed by payment %d, want 1", lines, first)
	}
	// Follow-ups: one call, one entry per contract, in contract order.
	if len(handed.payments) != 1 {
		t.Fatalf("%d PaymentsRecorded calls, want 1", len(handed.payments))
	}
	var entries []string
	for _, p := range handed.payments[0] {
		entries = append(entries, fmt.Sprintf("contract %d: %d payments, %d settled, paid on %s, blocked %v", p.ContractID,
			len(p.Payments), len(p.Settled), billing.FormatDate(p.PaidOn), p.BlockEpisodeOpen))
	}
	wantEntries := []string{
		"contract 1: 2 payments, 2 settled, paid on 2026-03-20, blocked true",
		"contract 2: 1 payments, 0 settled, paid on 2026-03-15, blocked true",
	}
	if !reflect.DeepEqual(entries, wantEntries) {
		t.Errorf("follow-ups\n%s\nwant\n%s", strings.Join(entries, "\n"), strings.Join(wantEntries, "\n"))
	}
	// The same batch again: every recorded payment a duplicate, nothing written or handed on.
	before := b.count(t, "SELECT count(*) + coalesce(sum(id), 0) FROM installment_lines")
	again, err := store.RecordPayments(b.ctx, paymentsNow, saoPaulo, batch[:4])
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if !r.Duplicate || r.Payment.ID != results[i].Payment.ID {
			t.Errorf("again %d: %s, want a duplicate of payment %d", i, outcome(r), results[i].Payment.ID)
		}
	}
	if n := b.count(t, "SELECT count(*) FROM payments"); n != 3 {
		t.Errorf("%d payments after the batch again, want 3", n)
	}
	if b.count(t, "SELECT count(*) + coalesce(sum(id), 0) FROM installment_lines") != before || len(handed.payments) != 1 {
		t.Error("the batch again wrote lines or handed payments on")
	}
}

// TestRecordPaymentsRefusesPartial: with RefusePartialPayments (BILLINGD_PARTIAL_PAYMENTS=
// false) a payment below what is due on its date is refused with its reason.
func TestRecordPaymentsRefusesPartial(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 1)
	store := &postgres.Store{Pool: b.pool, RefusePartialPayments: true}
	res, err := store.RecordPayments(b.ctx, paymentsNow, saoPaulo, []postgres.PaymentIn{
		pin(inst(1, 1), "100.22", "2026-03-20", billing.SourcePIX, "pix:E1")})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0].Refused; r == nil || r.Code != billing.RefusedPartial || r.Error() !=
		"amount: 100.22 does not cover the 100.23 due on 2026-03-20 (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)" {
		t.Errorf("refused %+v", r)
	}
	if n := b.count(t, "SELECT count(*) FROM payments"); n != 0 {
		t.Errorf("%d payments", n)
	}
	// Bad input is an error, not a refusal: nothing is recorded.
	for _, p := range []postgres.PaymentIn{
		pin(inst(1, 1), "100.23", "2026-03-20", "cash", "x"),
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourceBankFile, ""),
	} {
		if _, err := store.RecordPayments(b.ctx, paymentsNow, saoPaulo, []postgres.PaymentIn{p}); err == nil {
			t.Errorf("%+v was accepted", p)
		}
	}
}

// TestRecordPaymentsConcurrentReplicas: two replicas recording the same bank settlement at
// the same moment record it once; the other sees it as a duplicate (the contract's lock
// orders them, the second reads the first's payment by its reference).
func TestRecordPaymentsConcurrentReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 3)
	batch := []postgres.PaymentIn{
		pin(inst(3, 1), "100.23", "2026-03-20", billing.SourceBankFile, "cnab:001:3:06:20260320"),
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourceBankFile, "cnab:001:1:06:20260320"),
		pin(inst(2, 1), "100.23", "2026-03-20", billing.SourceBankFile, "cnab:001:2:06:20260320"),
	}
	var wg sync.WaitGroup
	outcomes := make([][]postgres.PaymentResult, 4)
	errs := make([]error, 4)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := slices.Clone(batch)
			if i%2 == 1 {
				slices.Reverse(in) // the other order: the locks are still taken in id order
			}
			outcomes[i], errs[i] = b.store.RecordPayments(context.Background(), paymentsNow, saoPaulo, in)
		}()
	}
	wg.Wait()
	recorded := 0
	for i, rs := range outcomes {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		for _, r := range rs {
			switch {
			case r.Refused != nil:
				t.Errorf("replica %d: refused %+v", i, r.Refused)
			case !r.Duplicate:
				recorded++
			}
		}
	}
	if recorded != 3 {
		t.Errorf("%d payments recorded across the replicas, want 3", recorded)
	}
	if n := b.count(t, "SELECT count(*) FROM payments"); n != 3 {
		t.Errorf("%d payments, want 3", n)
	}
	if n := b.count(t, "SELECT count(*) FROM installment_lines WHERE kind = 'late_interest'"); n != 3 {
		t.Errorf("%d late_interest lines, want 3", n)
	}
	// Each of the three, due 2026-03-10 and paid on 03-20: 99.90 and 10 days of 1% a month
	// (99.90 × 1% ÷ 30 × 10 = 0.333 → 0.33) = 100.23, settled once with a late_interest line.
	if n := b.count(t, `SELECT count(*) FROM payments p JOIN installments i ON i.id = p.installment_id
		WHERE i.sequence = 1 AND i.due_date = '2026-03-10' AND i.state = 'paid' AND i.paid_at = '2026-03-20' AND i.paid_amount = 100.23
		  AND p.amount = 100.23 AND p.principal = 99.90 AND p.fine = 0 AND p.interest = 0.33 AND p.credit = 0
		  AND (SELECT string_agg(l.amount::text, ' ') FROM installment_lines l WHERE l.installment_id = i.id AND l.kind = 'late_interest') = '0.33'`); n != 3 {
		t.Errorf("%d installments paid 99.90 + 0.33 of interest on 2026-03-20, want 3", n)
	}
}

// TestPaymentsAppendOnly: a payment's columns never change but for its reversal, once, and a
// payment is never deleted.
func TestPaymentsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 1)
	res, err := b.store.RecordPayments(b.ctx, paymentsNow, saoPaulo, []postgres.PaymentIn{
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourcePIX, "pix:E1")})
	if err != nil || res[0].Refused != nil {
		t.Fatal(err, res[0].Refused)
	}
	id := res[0].Payment.ID
	for _, sql := range []string{
		"UPDATE payments SET amount = 1 WHERE id = $1",
		"UPDATE payments SET paid_on = '2026-03-01' WHERE id = $1",
		"DELETE FROM payments WHERE id = $1",
	} {
		if _, err := b.pool.Exec(b.ctx, sql, id); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", sql, err)
		}
	}
	if _, err := b.pool.Exec(b.ctx, "UPDATE payments SET reversed_at = now(), reversal_reason = 'x' WHERE id = $1", id); err != nil {
		t.Errorf("reversal: %v", err)
	}
	if _, err := b.pool.Exec(b.ctx, "UPDATE payments SET reversal_reason = 'y' WHERE id = $1", id); err == nil {
		t.Error("a reversal was changed")
	}
}

// TestPaymentsMigrationRecordsPaidInstallments: the migration that creates payments gives
// each installment already paid its payment, imputed to principal with the excess over
// what was then due (amount less discount, less the on-time discount when paid by the
// effective due date) as credit.
func TestPaymentsMigrationRecordsPaidInstallments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	at := slices.IndexFunc(all, func(m migrations.Migration) bool { return strings.HasSuffix(m.Name, "_payments.sql") })
	if at < 0 {
		t.Fatal("no *_payments.sql migration")
	}
	pool := emptyPool(t)
	for _, m := range all[:at] {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO plans (id, name, price, period, installments_per_term) VALUES (1, 'Plano', 99.90, 'monthly', 12);
		INSERT INTO customers (id, name, email) VALUES (1, 'Ana', 'ana@example.com');
		INSERT INTO contracts (id, customer_id, plan_id, price, adhesion_date, activation_date, due_rule_kind, due_day, status,
			discount, on_time_discount, allow_credit)
		VALUES (1, 1, 1, 99.90, '2026-01-01', '2026-01-01', 'fixed_day', 10, 'active', 10.00, 5.00, true);
		INSERT INTO installments (id, contract_id, kind, term, sequence, nominal_due, due_date, amount, discount, on_time_discount,
			state, paid_at, paid_amount) VALUES
			(1, 1, 'recurring', 1, 1, '2026-01-10', '2026-01-12', 99.90, 10.00, 5.00, 'paid', '2026-01-12', 84.90),
			(2, 1, 'recurring', 1, 2, '2026-02-10', '2026-02-10', 99.90, 10.00, 5.00, 'paid', '2026-02-13', 89.90),
			(3, 1, 'recurring', 1, 3, '2026-03-10', '2026-03-10', 99.90, 10.00, 5.00, 'paid', '2026-03-10', 100.00),
			(4, 1, 'recurring', 1, 4, '2026-04-10', '2026-04-10', 99.90, 10.00, 5.00, 'open', NULL, NULL);`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, all[at].SQL); err != nil {
		t.Fatalf("%s: %v", all[at].Name, err)
	}
	rows, err := pool.Query(ctx, `SELECT installment_id || ' ' || amount || ' ' || paid_on || ' ' || source || ' ' || reference || ' '
		|| principal || '/' || fine || '/' || interest || '/' || credit FROM payments ORDER BY installment_id`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 84.90 2026-01-12 api api:migrated:1 84.90/0.00/0.00/0.00",
		"2 89.90 2026-02-13 api api:migrated:2 89.90/0.00/0.00/0.00",
		"3 100.00 2026-03-10 api api:migrated:3 84.90/0.00/0.00/15.10",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("payments\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// emptyPool returns a pool on an empty database (no migrations), closed when t ends.
func emptyPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestReversePaymentHandsOn: a reversal is handed to the follow-ups in its transaction,
// with the installment as the reversal left it (reopened), and the late lines of the
// settlement go with it.
func TestReversePaymentHandsOn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 1)
	handed := &handedOn{}
	store := &postgres.Store{Pool: b.pool, FollowUps: handed}
	res, err := store.RecordPayments(b.ctx, paymentsNow, saoPaulo, []postgres.PaymentIn{
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourcePIX, "pix:E1")})
	if err != nil || res[0].Refused != nil || res[0].Installment.State != billing.InstallmentPaid {
		t.Fatal(err, res[0].Refused, res[0].Installment.State)
	}
	p, i, err := store.ReversePayment(b.ctx, res[0].Payment.ID, "devolução PIX", paymentsNow, saoPaulo)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Reversed() || p.ReversalReason != "devolução PIX" || i.State != billing.InstallmentOpen || !i.Amount.Equal(decimal.RequireFromString("99.90")) ||
		!i.Paid.IsZero() || i.PaidAmount != nil || len(i.Lines) != 1 {
		t.Errorf("reversed %+v, installment %+v", p, i)
	}
	if len(handed.reversals) != 1 || !handed.reversals[0].Reopened || handed.reversals[0].Payment.ID != p.ID ||
		handed.reversals[0].Installment.State != billing.InstallmentOpen {
		t.Errorf("handed on %+v", handed.reversals)
	}
	if _, _, err := store.ReversePayment(b.ctx, p.ID, "again", paymentsNow, saoPaulo); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("a second reversal: %v, want a conflict", err)
	}
	if _, _, err := store.ReversePayment(b.ctx, 999999, "x", paymentsNow, saoPaulo); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("an unknown payment: %v, want not found", err)
	}
}

// TestLedgersForNotices: Ledgers reads in bulk what AmountDueOn needs of each installment —
// what a collection notice states — without the late lines of a settlement in what it
// asks, and leaves unknown ids out.
func TestLedgersForNotices(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst := b.seedPayable(t, 2)
	if _, err := b.store.RecordPayments(b.ctx, paymentsNow, saoPaulo, []postgres.PaymentIn{
		pin(inst(1, 1), "100.23", "2026-03-20", billing.SourcePIX, "pix:E1"),
		pin(inst(2, 1), "40.00", "2026-03-15", billing.SourcePIX, "pix:E2")}); err != nil {
		t.Fatal(err)
	}
	ledgers, err := postgres.Ledgers(b.ctx, b.pool, []int64{inst(1, 1), inst(2, 1), 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(ledgers) != 2 {
		t.Fatalf("%d ledgers, want 2", len(ledgers))
	}
	cal := billing.NewCalendar()
	for _, tt := range []struct {
		id             int64
		state, balance string
	}{{inst(1, 1), billing.InstallmentPaid, "0.00"}, {inst(2, 1), billing.InstallmentOpen, "60.17"}} {
		l := ledgers[tt.id]
		due, err := billing.AmountDueOn(l.Receivable, l.Rule, cal, l.Payments, date("2026-03-20"))
		if err != nil {
			t.Fatal(err)
		}
		// 40.00 on 03-15 paid 0.17 of interest and 39.83 of principal; 60.07 left, 5 more days: 0.10.
		if l.State != tt.state || !l.Receivable.Amount.Equal(decimal.RequireFromString("99.90")) || billing.FormatMoney(due.Balance) != tt.balance {
			t.Errorf("installment %d: %s, asks %s, balance %s; want %s, 99.90, %s", tt.id, l.State, l.Receivable.Amount, due.Balance, tt.state, tt.balance)
		}
	}
}
