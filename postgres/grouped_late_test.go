package postgres_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/postgres"
)

// The late figures of the grouped fixture (seedGrouped) under a 2% fine and 1% a month of
// interest pro rata die, computed from the rule (billing.AmountDueOn) by hand:
//
//   - due Tuesday 2026-03-10, paid 2026-03-20 (10 days): 99.90 → fine round(1.998) = 2.00,
//     interest round(99.90 × 1% / 30 × 10 = 0.333) = 0.33, asks 102.23; 49.95 → fine
//     round(0.999) = 1.00, interest round(0.1665) = 0.17, asks 51.12; the charge asks 153.35;
//   - due Friday 2026-04-10, paid 2026-04-15 (5 days): 99.90 → 2.00 + round(0.1665) = 0.17,
//     asks 102.07; 49.95 → 1.00 + round(0.08325) = 0.08, asks 51.03; the charge asks 153.10.

// seedGroupedLate is seedGrouped with a 2% late fine on every contract (the default interest
// of 1% a month stays).
func (b *bundle) seedGroupedLate(t *testing.T) {
	t.Helper()
	b.seedGrouped(t)
	if _, err := b.pool.Exec(b.ctx, "UPDATE contracts SET late_fine_percent = 2.00"); err != nil {
		t.Fatal(err)
	}
}

// lateState is one installment of contract due on due as settled: state, paid_at, amount,
// discount, paid_amount, the sum of its positive lines and its late lines (kind, quantity,
// amount, description), in kind order.
func (b *bundle) lateState(t *testing.T, contract int64, due string) string {
	t.Helper()
	var (
		state                 string
		paidAt                *time.Time
		amount, discount      decimal.Decimal
		paidAmount, positives *decimal.Decimal
	)
	var id int64
	if err := b.pool.QueryRow(b.ctx, `SELECT i.id, i.state, i.paid_at, i.amount, i.discount, i.paid_amount,
			(SELECT sum(l.amount) FROM installment_lines l WHERE l.installment_id = i.id AND l.amount > 0)
		FROM installments i WHERE i.contract_id = $1 AND i.due_date = $2`, contract, date(due)).
		Scan(&id, &state, &paidAt, &amount, &discount, &paidAmount, &positives); err != nil {
		t.Fatalf("installment of contract %d due %s: %v", contract, due, err)
	}
	s := fmt.Sprintf("%s amount %s discount %s", state, billing.FormatMoney(amount), billing.FormatMoney(discount))
	if paidAt != nil {
		s += " paid " + billing.FormatDate(*paidAt) + " " + billing.FormatMoney(*paidAmount)
	}
	if positives == nil || !positives.Equal(amount) {
		s += fmt.Sprintf(" (positive lines %v)", positives)
	}
	rows, err := b.pool.Query(b.ctx, `SELECT kind, quantity, amount, description FROM installment_lines
		WHERE installment_id = $1 AND kind IN ('late_fine', 'late_interest') ORDER BY kind`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, desc string
		var qty, amt decimal.Decimal
		if err := rows.Scan(&kind, &qty, &amt, &desc); err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("\n  %s %s %s %s", kind, qty.String(), billing.FormatMoney(amt), desc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// chargePaid is what the payments of grouped charge id's installments add up to, with their
// count.
func (b *bundle) chargePaid(t *testing.T, id int64) string {
	t.Helper()
	var n int64
	var sum decimal.Decimal
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*), coalesce(sum(p.amount), 0) FROM payments p
		JOIN grouped_charge_installments m ON m.installment_id = p.installment_id WHERE m.charge_id = $1`, id).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d payments of %s", n, billing.FormatMoney(sum))
}

// TestPayGroupedChargeLate: the March charge (99.90 + 49.95 due 2026-03-10) paid through
// PayGroupedCharge (the API's) on 2026-03-20 asks 153.35: the on-time 149.85 and 153.34 are
// refused charge_amount_mismatch naming 153.35 on 2026-03-20 and write nothing; 153.35 pays
// contract 1's installment 102.23 (99.90 principal, 2.00 fine, 0.33 interest) and contract
// 2's 51.12 (49.95, 1.00, 0.17), both paid on 2026-03-20 with their late_fine and
// late_interest lines — the same lines, amounts and paid amount as the single-installment
// contract 3 (99.90) paid 102.23 that day through RecordPayments — their lines summing to
// their amounts; the same payment again is two duplicates and writes nothing.
func TestPayGroupedChargeLate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	b.seedGroupedLate(t)
	c := b.chargeOn(t, 1, "2026-03-10")
	pay := func(amount, ref string) ([]postgres.PaymentResult, error) {
		return b.store.PayGroupedCharge(b.ctx, paymentsNow, c.id, pin(0, amount, "2026-03-20", billing.SourceAPI, ref))
	}
	for _, amount := range []string{"149.85", "153.34"} {
		_, err := pay(amount, "api:late-"+amount)
		var r *billing.PaymentRefusal
		want := "amount: a grouped charge is paid whole: want 153.35 on 2026-03-20 (149.85 of principal plus 3.50 of fine and " +
			"interest accrued after the due date), got " + amount
		if !errors.As(err, &r) || r.Code != billing.RefusedChargeAmount || r.Field != "amount" || err.Error() != want {
			t.Errorf("paying %s late: %v, want %s: %s", amount, err, billing.RefusedChargeAmount, want)
		}
	}
	if got := b.count(t, "SELECT count(*) FROM payments"); got != 0 {
		t.Fatalf("refused payments recorded %d payments", got)
	}

	var single int64
	if err := b.pool.QueryRow(b.ctx, "SELECT id FROM installments WHERE contract_id = 3 AND due_date = '2026-03-10'").Scan(&single); err != nil {
		t.Fatal(err)
	}
	control, err := b.store.RecordPayments(b.ctx, paymentsNow, saoPaulo,
		[]postgres.PaymentIn{pin(single, "102.23", "2026-03-20", billing.SourceAPI, "api:single")})
	if err != nil || len(control) != 1 || outcome(control[0]) != "api 102.23 99.90/2.00/0.33/0.00 paid balance 0.00" {
		t.Fatalf("the single-installment control: %+v, %v", control, err)
	}

	results, err := pay("153.35", "api:late-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, fmt.Sprintf("contract %d %s %s", r.Installment.ContractID, outcome(r), r.Payment.Reference))
	}
	want := []string{
		fmt.Sprintf("contract 1 api 102.23 99.90/2.00/0.33/0.00 paid balance 0.00 api:late-1:installment:%d", results[0].Installment.ID),
		fmt.Sprintf("contract 2 api 51.12 49.95/1.00/0.17/0.00 paid balance 0.00 api:late-1:installment:%d", results[1].Installment.ID),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("payments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	lines := func(amount, fine, interest string) string {
		return fmt.Sprintf("paid amount %s discount 0.00 paid 2026-03-20 %s\n"+
			"  late_fine 1 %s late fine of 2.00%% (settled 2026-03-20, late after 2026-03-10)\n"+
			"  late_interest 10 %s interest of 1.00%% a month pro rata die for 10 days on the principal outstanding (settled 2026-03-20)",
			amount, amount, fine, interest)
	}
	one, two, three := b.lateState(t, 1, "2026-03-10"), b.lateState(t, 2, "2026-03-10"), b.lateState(t, 3, "2026-03-10")
	if w := lines("102.23", "2.00", "0.33"); one != w {
		t.Errorf("contract 1's installment:\n%s\nwant:\n%s", one, w)
	}
	if w := lines("51.12", "1.00", "0.17"); two != w {
		t.Errorf("contract 2's installment:\n%s\nwant:\n%s", two, w)
	}
	if one != three {
		t.Errorf("the grouped installment of 99.90 paid late differs from the single one:\n%s\n%s", one, three)
	}
	if got := b.chargePaid(t, c.id); got != "2 payments of 153.35" {
		t.Errorf("the charge's payments: %s, want 2 payments of 153.35", got)
	}

	before := b.lateState(t, 1, "2026-03-10") + b.lateState(t, 2, "2026-03-10")
	payments := b.count(t, "SELECT count(*) FROM payments")
	lineCount := b.count(t, "SELECT count(*) FROM installment_lines")
	again, err := pay("153.35", "api:late-1")
	if err != nil || len(again) != 2 || !again[0].Duplicate || !again[1].Duplicate ||
		again[0].Payment.ID != results[0].Payment.ID || again[1].Payment.ID != results[1].Payment.ID {
		t.Errorf("the same payment again: %+v, %v; want the two payments as duplicates", again, err)
	}
	if b.count(t, "SELECT count(*) FROM payments") != payments || b.count(t, "SELECT count(*) FROM installment_lines") != lineCount ||
		b.lateState(t, 1, "2026-03-10")+b.lateState(t, 2, "2026-03-10") != before {
		t.Error("the same payment again wrote something")
	}
	if _, err := pay("153.35", "api:late-2"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("paying the settled charge again: %v, want a conflict", err)
	}
}

// TestGroupedChargeLateByBankAndPix: a return file settling the March charge's nosso número
// on 2026-03-20 for the on-time 149.85 is listed as a charge_amount_mismatch exception whose
// detail names 153.35 asked on 2026-03-20, and records nothing; a file settling it for
// 153.35 (the boleto collected with its fine and interest) pays both installments 102.23
// and 51.12 with their late lines; that file again records nothing (two duplicates); a PIX
// of the April charge (due Friday 2026-04-10) on 2026-04-15 for 153.10 pays 102.07 (2.00
// fine, 0.17 interest) and 51.03 (1.00, 0.08), the same notification again two duplicates.
func TestGroupedChargeLateByBankAndPix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	b.seedGroupedLate(t)
	march, april := b.chargeOn(t, 1, "2026-03-10"), b.chargeOn(t, 1, "2026-04-10")
	dir := t.TempDir()
	sweep := postgres.ImportPaymentsSweep{Store: b.store, DropDir: dir, Now: func() time.Time { return paymentsNow }}
	drop := func(seq int64, amount string) map[string]int64 {
		t.Helper()
		name := filepath.Join(dir, fmt.Sprintf("RET%04d.ret", seq))
		if err := os.WriteFile(name, returnFile(t, seq, paid(march.nossoNumero, "2026-03-20", amount)), 0o644); err != nil {
			t.Fatal(err)
		}
		return b.importRun(t, sweep)
	}
	if counts := drop(1, "149.85"); counts["payments_recorded"] != 0 || counts["exceptions"] != 1 {
		t.Errorf("the on-time amount paid late: counts %v, want 1 exception", counts)
	}
	exc, err := b.store.PaymentExceptions(b.ctx, postgres.PaymentExceptionFilter{}, postgres.Page{})
	wantDetail := fmt.Sprintf("grouped charge %d: amount: a grouped charge is paid whole: want 153.35 on 2026-03-20 "+
		"(149.85 of principal plus 3.50 of fine and interest accrued after the due date), got 149.85", march.id)
	if err != nil || len(exc) != 1 || exc[0].Reason != billing.RefusedChargeAmount || exc[0].Detail != wantDetail {
		t.Errorf("exceptions %+v, %v; want one %s: %s", exc, err, billing.RefusedChargeAmount, wantDetail)
	}
	if got := b.count(t, "SELECT count(*) FROM payments"); got != 0 {
		t.Fatalf("the refused settlement recorded %d payments", got)
	}
	if counts := drop(2, "153.35"); counts["payments_recorded"] != 2 || counts["exceptions"] != 0 {
		t.Errorf("the boleto paid late with its fine and interest: counts %v, want 2 payments recorded", counts)
	}
	lines := func(paidOn, grace, amount, fine, interest string, days int) string {
		return fmt.Sprintf("paid amount %s discount 0.00 paid %s %s\n"+
			"  late_fine 1 %s late fine of 2.00%% (settled %s, late after %s)\n"+
			"  late_interest %d %s interest of 1.00%% a month pro rata die for %d days on the principal outstanding (settled %s)",
			amount, paidOn, amount, fine, paidOn, grace, days, interest, days, paidOn)
	}
	for _, tc := range []struct {
		contract int64
		want     string
	}{
		{1, lines("2026-03-20", "2026-03-10", "102.23", "2.00", "0.33", 10)},
		{2, lines("2026-03-20", "2026-03-10", "51.12", "1.00", "0.17", 10)},
	} {
		if got := b.lateState(t, tc.contract, "2026-03-10"); got != tc.want {
			t.Errorf("contract %d's March installment:\n%s\nwant:\n%s", tc.contract, got, tc.want)
		}
	}
	if got := b.chargePaid(t, march.id); got != "2 payments of 153.35" {
		t.Errorf("the March charge's payments: %s, want 2 payments of 153.35", got)
	}
	if counts := drop(3, "153.35"); counts["payments_recorded"] != 0 || counts["duplicates"] != 2 {
		t.Errorf("the settlement again: counts %v, want 2 duplicates", counts)
	}

	now := time.Date(2026, 4, 15, 18, 0, 0, 0, saoPaulo)
	paidAt := time.Date(2026, 4, 15, 15, 0, 0, 0, saoPaulo)
	notify := func(amount string) postgres.PixOutcome {
		t.Helper()
		out, err := b.store.RecordPixNotifications(b.ctx, now, []postgres.PixNotification{
			{EndToEndID: "E-" + amount, TxID: april.txid, Amount: decimal.RequireFromString(amount), PaidAt: paidAt}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := notify("149.85"); out.Recorded != 0 || out.Exceptions != 1 {
		t.Errorf("the April charge's on-time amount by PIX on 2026-04-15: %+v, want 1 exception", out)
	}
	if out := notify("153.10"); out.Recorded != 2 || out.Exceptions != 0 {
		t.Errorf("the April charge by PIX on 2026-04-15 for 153.10: %+v, want 2 recorded", out)
	}
	for _, tc := range []struct {
		contract int64
		want     string
	}{
		{1, lines("2026-04-15", "2026-04-10", "102.07", "2.00", "0.17", 5)},
		{2, lines("2026-04-15", "2026-04-10", "51.03", "1.00", "0.08", 5)},
	} {
		if got := b.lateState(t, tc.contract, "2026-04-10"); got != tc.want {
			t.Errorf("contract %d's April installment:\n%s\nwant:\n%s", tc.contract, got, tc.want)
		}
	}
	if out := notify("153.10"); out.Duplicates != 2 || out.Recorded != 0 {
		t.Errorf("the PIX again: %+v, want 2 duplicates", out)
	}
	if got := b.chargePaid(t, april.id); got != "2 payments of 153.10" {
		t.Errorf("the April charge's payments: %s, want 2 payments of 153.10", got)
	}
}
