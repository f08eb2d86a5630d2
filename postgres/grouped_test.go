package postgres_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/postgres"
)

// seedGrouped seeds customer 1 with contracts 1 (99.90) and 2 (49.95), both billed grouped,
// and customer 3 with contract 3 (99.90) billed per installment, all due on day 10 from
// 2026-03-05, with payment settings, and generates their installments one contract per
// batch (so customer 1's charges are written by two transactions).
func (b *bundle) seedGrouped(t *testing.T) {
	t.Helper()
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.SeedContracts(b.ctx, b.pool, 3, date("2026-03-05")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(b.ctx, `UPDATE contracts SET customer_id = 1, price = 49.95 WHERE id = 2;
		UPDATE contracts SET billing_method = 'grouped' WHERE id IN (1, 2)`); err != nil {
		t.Fatal(err)
	}
	b.sweepAll(t, date("2026-03-05"), 1)
}

// chargeRow is a grouped charge's instruments as stored.
type chargeRow struct {
	id, members                            int64
	due                                    time.Time
	amount                                 string
	nossoNumero, barcode, txid, pixPayload string
}

func (b *bundle) chargeOn(t *testing.T, customer int64, due string) chargeRow {
	t.Helper()
	var r chargeRow
	var amount decimal.Decimal
	if err := b.pool.QueryRow(b.ctx, `SELECT g.id, (SELECT count(*) FROM grouped_charge_installments m WHERE m.charge_id = g.id),
			p.due_date, p.amount, p.nosso_numero, p.barcode, p.txid, p.pix_payload
		FROM grouped_charges g JOIN grouped_charge_instruments p ON p.charge_id = g.id
		WHERE g.customer_id = $1 AND g.due_date = $2`, customer, date(due)).
		Scan(&r.id, &r.members, &r.due, &amount, &r.nossoNumero, &r.barcode, &r.txid, &r.pixPayload); err != nil {
		t.Fatalf("charge of customer %d due %s: %v", customer, due, err)
	}
	r.amount = amount.StringFixed(2)
	return r
}

// TestGroupedChargeAtGeneration: a customer billed grouped with two contracts due on the
// same days gets one charge per due date carrying both installments (99.90 + 49.95 =
// 149.85), with one boleto (its amount in the barcode) and one PIX payload (txid BLDG<id>),
// and its installments get no instrument of their own; the per-installment customer keeps
// its installments' instruments; a rerun of generation changes nothing.
func TestGroupedChargeAtGeneration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedGrouped(t)
	c := b.chargeOn(t, 1, "2026-03-10")
	if c.members != 2 || c.amount != "149.85" || !c.due.Equal(date("2026-03-10")) {
		t.Errorf("charge %+v, want 2 installments, 149.85 due 2026-03-10", c)
	}
	if got := c.barcode[9:19]; got != "0000014985" {
		t.Errorf("barcode amount digits %s, want 0000014985", got)
	}
	if c.txid != fmt.Sprintf("BLDG%d", c.id) || !strings.Contains(c.pixPayload, "5406149.85") ||
		!strings.Contains(c.pixPayload, fmt.Sprintf("05%02d%s", len(c.txid), c.txid)) {
		t.Errorf("PIX txid %s payload %s", c.txid, c.pixPayload)
	}
	installments1 := b.count(t, "SELECT count(*) FROM installments WHERE contract_id = 1")
	if installments1 == 0 || b.count(t, "SELECT count(*) FROM installments WHERE contract_id = 2") != installments1 {
		t.Fatalf("contracts 1 and 2 should have as many installments")
	}
	if got := b.count(t, "SELECT count(*) FROM grouped_charges WHERE customer_id = 1"); got != installments1 {
		t.Errorf("%d grouped charges, want one per due date: %d", got, installments1)
	}
	if got := b.count(t, `SELECT count(*) FROM grouped_charges g JOIN grouped_charge_instruments p ON p.charge_id = g.id
		WHERE p.amount = 149.85`); got != installments1 {
		t.Errorf("%d charge instruments of 149.85, want %d", got, installments1)
	}
	if got := b.count(t, "SELECT count(*) FROM payment_instruments WHERE contract_id IN (1, 2)"); got != 0 {
		t.Errorf("grouped installments have %d instruments of their own, want 0", got)
	}
	if got, want := b.count(t, "SELECT count(*) FROM payment_instruments WHERE contract_id = 3"),
		b.count(t, "SELECT count(*) FROM installments WHERE contract_id = 3"); got != want || got == 0 {
		t.Errorf("per-installment contract 3: %d instruments for %d installments", got, want)
	}
	if got := b.count(t, "SELECT count(*) FROM grouped_charge_installments WHERE contract_id = 3"); got != 0 {
		t.Errorf("per-installment contract 3 has %d installments in grouped charges", got)
	}
	state := func() string {
		var s string
		if err := b.pool.QueryRow(b.ctx, `SELECT (SELECT count(*) FROM grouped_charges) || '/' ||
				(SELECT count(*) FROM grouped_charge_installments) || '/' ||
				(SELECT string_agg(charge_id || ':' || amount || ':' || nosso_numero || ':' || made_at, ',' ORDER BY charge_id)
				 FROM grouped_charge_instruments)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	b.sweepAll(t, date("2026-03-05"), 1000)
	b.sweepAll(t, date("2026-03-06"), 1)
	if after := state(); after != before {
		t.Errorf("a rerun changed the grouped charges:\n%s\n%s", before, after)
	}
}

// TestPayGroupedCharge: paying a grouped charge pays each of its installments its own
// amount (99.90 and 49.95 of 149.85), in one go; a partial payment or a surplus is refused
// whole and records nothing; the same payment again is reported as duplicates; a paid charge
// is refused as settled.
func TestPayGroupedCharge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	b.seedGrouped(t)
	c := b.chargeOn(t, 1, "2026-03-10")
	pay := func(amount, ref string) ([]postgres.PaymentResult, error) {
		return b.store.PayGroupedCharge(b.ctx, paymentsNow, c.id,
			pin(0, amount, "2026-03-10", billing.SourceAPI, ref))
	}
	for _, amount := range []string{"149.84", "149.86", "99.90"} {
		_, err := pay(amount, "api:partial-"+amount)
		var r *billing.PaymentRefusal
		if !errors.As(err, &r) || r.Code != billing.RefusedChargeAmount || r.Field != "amount" {
			t.Errorf("paying %s: %v, want %s", amount, err, billing.RefusedChargeAmount)
		}
	}
	if got := b.count(t, "SELECT count(*) FROM payments"); got != 0 {
		t.Fatalf("refused payments recorded %d payments", got)
	}
	results, err := pay("149.85", "api:charge-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, fmt.Sprintf("contract %d %s", r.Installment.ContractID, outcome(r)))
	}
	want := []string{"contract 1 api 99.90 99.90/0.00/0.00/0.00 paid balance 0.00",
		"contract 2 api 49.95 49.95/0.00/0.00/0.00 paid balance 0.00"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("payments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := b.count(t, `SELECT count(*) FROM installments i JOIN grouped_charge_installments m ON m.installment_id = i.id
		WHERE m.charge_id = $1 AND i.state = 'paid' AND i.paid_at = '2026-03-10'`, c.id); got != 2 {
		t.Errorf("%d installments of the charge paid on 2026-03-10, want 2", got)
	}
	again, err := pay("149.85", "api:charge-1")
	if err != nil || len(again) != 2 || !again[0].Duplicate || !again[1].Duplicate {
		t.Errorf("the same payment again: %+v, %v", again, err)
	}
	if _, err := pay("149.85", "api:charge-2"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("paying a settled charge: %v, want a conflict", err)
	}
	if got := b.count(t, "SELECT count(*) FROM payments"); got != 2 {
		t.Errorf("%d payments, want 2", got)
	}
	list, err := b.store.GroupedCharges(b.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || list[0].ID != c.id || list[0].State != billing.InstallmentPaid || !list[0].Amount.IsZero() ||
		len(list[0].Installments) != 2 || list[0].Instruments == nil || list[0].Instruments.TxID != c.txid {
		t.Errorf("customer 1's first grouped charge: %+v", list[0])
	}
	if len(list) < 2 || list[1].State != billing.InstallmentOpen || list[1].Amount.StringFixed(2) != "149.85" {
		t.Errorf("customer 1's second grouped charge: %+v", list[1])
	}
}

// TestGroupedChargeSettledByBankAndPix: a return file settling a charge's nosso número for
// 149.85 pays both its installments; a PIX notification with another charge's txid pays
// both of that one's; a PIX of a partial amount is listed as an exception and records
// nothing; the same file and notification again record nothing twice.
func TestGroupedChargeSettledByBankAndPix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.Location = saoPaulo
	b.seedGrouped(t)
	march, april := b.chargeOn(t, 1, "2026-03-10"), b.chargeOn(t, 1, "2026-04-10")
	dir := t.TempDir()
	file := returnFile(t, 1, paid(march.nossoNumero, "2026-03-09", "149.85"))
	if err := os.WriteFile(filepath.Join(dir, "RET0001.ret"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := postgres.ImportPaymentsSweep{Store: b.store, DropDir: dir, Now: func() time.Time { return paymentsNow }}
	if counts := b.importRun(t, sweep); counts["payments_recorded"] != 2 || counts["exceptions"] != 0 {
		t.Errorf("import counts %v, want 2 payments recorded", counts)
	}
	if err := os.WriteFile(filepath.Join(dir, "RET0002.ret"), returnFile(t, 2, paid(march.nossoNumero, "2026-03-09", "149.85")), 0o644); err != nil {
		t.Fatal(err)
	}
	if counts := b.importRun(t, sweep); counts["payments_recorded"] != 0 || counts["duplicates"] != 2 {
		t.Errorf("the settlement again: counts %v, want 2 duplicates", counts)
	}
	paidAt := time.Date(2026, 3, 19, 15, 0, 0, 0, saoPaulo)
	out, err := b.store.RecordPixNotifications(b.ctx, paymentsNow, []postgres.PixNotification{
		{EndToEndID: "E1", TxID: april.txid, Amount: decimal.RequireFromString("149.85"), PaidAt: paidAt},
		{EndToEndID: "E2", TxID: fmt.Sprintf("BLDG%d", april.id+1), Amount: decimal.RequireFromString("100.00"), PaidAt: paidAt},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Recorded != 2 || out.Exceptions != 1 {
		t.Errorf("PIX outcome %+v, want 2 recorded and 1 exception", out)
	}
	if again, err := b.store.RecordPixNotifications(b.ctx, paymentsNow, []postgres.PixNotification{
		{EndToEndID: "E1", TxID: april.txid, Amount: decimal.RequireFromString("149.85"), PaidAt: paidAt}}); err != nil || again.Duplicates != 2 {
		t.Errorf("the PIX again: %+v, %v", again, err)
	}
	var rows []string
	r, err := b.pool.Query(b.ctx, `SELECT i.contract_id || ' ' || i.due_date || ' ' || i.state || ' ' || i.paid_at || ' ' || p.amount || ' ' || p.source
		FROM installments i JOIN payments p ON p.installment_id = i.id ORDER BY i.due_date, i.contract_id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, s)
	}
	want := []string{
		"1 2026-03-10 paid 2026-03-09 99.90 bank_file",
		"2 2026-03-10 paid 2026-03-09 49.95 bank_file",
		"1 2026-04-10 paid 2026-03-19 99.90 pix",
		"2 2026-04-10 paid 2026-03-19 49.95 pix",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("payments:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	exc, err := b.store.PaymentExceptions(b.ctx, postgres.PaymentExceptionFilter{}, postgres.Page{})
	if err != nil || len(exc) != 1 || exc[0].Reason != billing.RefusedChargeAmount || exc[0].Source != billing.SourcePIX {
		t.Errorf("exceptions %+v, %v; want one %s", exc, err, billing.RefusedChargeAmount)
	}
}

// TestGroupedChargeFollowsRedating: a holiday on Wednesday 2026-06-10 moves both grouped
// installments due that day to 2026-06-11, and with them the charge: the 11th's charge asks
// 149.85 with its own boleto, the 10th's keeps no installment, and the per-installment
// contract's instrument is re-dated as before.
func TestGroupedChargeFollowsRedating(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedGrouped(t)
	if _, err := b.store.AddHoliday(b.ctx, billing.Holiday{Date: date("2026-06-10"), Name: "Feriado municipal"}); err != nil {
		t.Fatal(err)
	}
	moved := b.chargeOn(t, 1, "2026-06-11")
	if moved.members != 2 || moved.amount != "149.85" || !moved.due.Equal(date("2026-06-11")) || moved.barcode[9:19] != "0000014985" {
		t.Errorf("the 11th's charge %+v, want both installments, 149.85", moved)
	}
	if got := b.count(t, `SELECT count(*) FROM grouped_charge_installments m JOIN grouped_charges g ON g.id = m.charge_id
		WHERE g.customer_id = 1 AND g.due_date = '2026-06-10'`); got != 0 {
		t.Errorf("the 10th's charge keeps %d installments, want 0", got)
	}
	if got := b.count(t, `SELECT count(*) FROM payment_instruments p JOIN installments i ON i.id = p.installment_id
		WHERE i.contract_id = 3 AND p.due_date = '2026-06-11' AND i.due_date = '2026-06-11'`); got != 1 {
		t.Errorf("contract 3's re-dated instruments: %d, want 1", got)
	}
	list, err := b.store.GroupedCharges(b.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range list {
		if g.DueDate.Equal(date("2026-06-10")) {
			t.Errorf("the emptied charge of 2026-06-10 is listed: %+v", g)
		}
	}
}

// TestGroupedRerunOfEverySweep: on the grouped fixture, every sweep run as of 2026-03-20
// (the March charge unpaid and ten days late: contracts blocked, notices written) and then
// again changes nothing the second time: grouped charges, their installments and
// instruments, installments and their lines.
func TestGroupedRerunOfEverySweep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedGrouped(t)
	sweeps := []sweeper{postgres.GenerateSweep{}, postgres.RenewSweep{Thresholds: defaultThresholds}, postgres.BlockSweep{},
		postgres.NoticeSweep{DaysBeforeDue: 5}, postgres.ResetBenefitQuotasSweep{}}
	state := func() string {
		var s string
		if err := b.pool.QueryRow(b.ctx, `SELECT
				(SELECT coalesce(string_agg(g::text, '|' ORDER BY id), '') FROM grouped_charges g) || '#' ||
				(SELECT coalesce(string_agg(m::text, '|' ORDER BY installment_id), '') FROM grouped_charge_installments m) || '#' ||
				(SELECT coalesce(string_agg(p::text, '|' ORDER BY charge_id), '') FROM grouped_charge_instruments p) || '#' ||
				(SELECT coalesce(string_agg(i::text, '|' ORDER BY id), '') FROM installments i) || '#' ||
				(SELECT coalesce(string_agg(l::text, '|' ORDER BY id), '') FROM installment_lines l) || '#' ||
				(SELECT coalesce(string_agg(p::text, '|' ORDER BY installment_id), '') FROM payment_instruments p)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, s := range sweeps {
		b.runSweep(t, s, date("2026-03-20"), 1)
	}
	first := state()
	for _, s := range sweeps {
		b.runSweep(t, s, date("2026-03-20"), 1)
	}
	if again := state(); again != first {
		t.Errorf("a rerun of every sweep changed the grouped charges or installments")
	}
	if c := b.chargeOn(t, 1, "2026-03-10"); c.amount != "149.85" || c.members != 2 {
		t.Errorf("the March charge after the sweeps: %+v", c)
	}
}

// TestGroupedChargeOneNotice: send-notices as of 2026-03-05 announces the 2026-03-10 charge of
// the grouped customer with one coming_due notice (on contract 1's installment, its first),
// which states the charge — R$ 149,85, each contract's amount, its boleto and PIX — while the
// per-installment contract 3 gets its own notice; a rerun writes no other notice.
func TestGroupedChargeOneNotice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedGrouped(t)
	sweep := postgres.NoticeSweep{DaysBeforeDue: 5}
	b.runSweep(t, sweep, date("2026-03-05"), 1)
	b.runSweep(t, sweep, date("2026-03-05"), 1000)
	var got []string
	rows, err := b.pool.Query(b.ctx, "SELECT contract_id || ' ' || kind FROM notices ORDER BY contract_id, id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if want := []string{"1 coming_due", "3 coming_due"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("notices %v, want %v", got, want)
	}
	if got := b.count(t, "SELECT count(*) FROM installments WHERE due_date = '2026-03-10' AND notice_stage = 1"); got != 3 {
		t.Errorf("%d installments marked announced, want 3", got)
	}
	c := b.chargeOn(t, 1, "2026-03-10")
	var linha string
	if err := b.pool.QueryRow(b.ctx, "SELECT linha_digitavel FROM grouped_charge_instruments WHERE charge_id = $1", c.id).Scan(&linha); err != nil {
		t.Fatal(err)
	}
	render := func(contract int64) string {
		var text string
		if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
			var id int64
			if err := tx.QueryRow(b.ctx, "SELECT id FROM notices WHERE contract_id = $1", contract).Scan(&id); err != nil {
				return err
			}
			n, err := postgres.LockNotice(b.ctx, tx, id)
			if err != nil {
				return err
			}
			n, err = postgres.RenderNotice(b.ctx, tx, n, paymentsNow, saoPaulo)
			text = n.Text
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return text
	}
	want := fmt.Sprintf("Esta parcela é cobrada na cobrança agrupada nº %d, com vencimento em 10/03/2026, no valor total de R$ 149,85:\n"+
		"- contrato nº 1: R$ 99,90\n- contrato nº 2: R$ 49,95\nBoleto (linha digitável): %s\nPIX copia e cola: %s",
		c.id, boleto.FormatLinhaDigitavel(linha), c.pixPayload)
	if text := render(1); !strings.Contains(text, want) {
		t.Errorf("the charge's notice lacks the charge:\n%s\nwant it to contain:\n%s", text, want)
	}
	if text := render(3); strings.Contains(text, "agrupada") {
		t.Errorf("the per-installment notice mentions a grouped charge:\n%s", text)
	}
}
