package postgres_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/postgres"
)

// testPaymentSettings are Banco do Brasil (convênio of 7 digits, carteira 17) and a PIX
// receiver with a random key.
func testPaymentSettings() postgres.PaymentSettings {
	return postgres.PaymentSettings{
		Boleto: &boleto.Settings{BankCode: "001", Agency: "1234", Account: "123456", Wallet: "17", Convenio: "1234567",
			FirstSequence: 500, LastSequence: 9_999_999_999},
		PIX: &pix.Receiver{Key: "123e4567-e12b-12d1-a456-426655440000", Name: "Academia São João", City: "São Paulo", TxIDPrefix: "BLD"},
	}
}

// instrumentRow is an installment's stored instruments with what they should carry.
type instrumentRow struct {
	id, sequence                                  int64
	due, instDue                                  time.Time
	amount, owed                                  decimal.Decimal
	nossoNumero, barcode, linha, txid, pixPayload string
}

func (b *bundle) instruments(t *testing.T, contract int64) []instrumentRow {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT i.id, p.sequence, p.due_date, i.due_date, p.amount,
			i.amount - i.discount - i.on_time_discount, p.nosso_numero, p.barcode, p.linha_digitavel, p.txid, p.pix_payload
		FROM installments i JOIN payment_instruments p ON p.installment_id = i.id
		WHERE i.contract_id = $1 ORDER BY i.id`, contract)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []instrumentRow
	for rows.Next() {
		var r instrumentRow
		if err := rows.Scan(&r.id, &r.sequence, &r.due, &r.instDue, &r.amount, &r.owed, &r.nossoNumero, &r.barcode, &r.linha,
			&r.txid, &r.pixPayload); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The check digits below are computed independently of package boleto and pix: written
// from the FEBRABAN and BCB rules, digit by digit.

// mod11Barcode is the barcode's general check digit over its other 43 digits.
func mod11Barcode(digits43 string) byte {
	sum, w := 0, 2
	for i := len(digits43) - 1; i >= 0; i-- {
		sum += int(digits43[i]-'0') * w
		if w++; w > 9 {
			w = 2
		}
	}
	dv := 11 - sum%11
	if dv == 0 || dv == 10 || dv == 11 {
		dv = 1
	}
	return byte('0' + dv)
}

// mod10 is a linha digitável field's check digit.
func mod10(s string) byte {
	sum, w := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		p := int(s[i]-'0') * w
		sum += p/10 + p%10
		w = 3 - w
	}
	return byte('0' + (10-sum%10)%10)
}

// crc16 is CRC16-CCITT-FALSE, bit by bit.
func crc16(s string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for k := 0; k < 8; k++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return fmt.Sprintf("%04X", crc)
}

// checkInstrument verifies one installment's codes against the rules, independently.
func checkInstrument(t *testing.T, r instrumentRow) {
	t.Helper()
	bc := r.barcode
	if len(bc) != 44 || bc[:4] != "0019" {
		t.Fatalf("installment %d: barcode %q", r.id, bc)
	}
	if dv := mod11Barcode(bc[:4] + bc[5:]); bc[4] != dv {
		t.Errorf("installment %d: barcode check digit %c, want %c", r.id, bc[4], dv)
	}
	factor := 1000 + int(r.due.Sub(time.Date(2025, 2, 22, 0, 0, 0, 0, time.UTC)).Hours()/24)
	if got := bc[5:9]; got != fmt.Sprintf("%04d", factor) {
		t.Errorf("installment %d due %s: factor %s, want %04d", r.id, billing.FormatDate(r.due), got, factor)
	}
	cents := r.amount.Shift(2).IntPart()
	if got := bc[9:19]; got != fmt.Sprintf("%010d", cents) {
		t.Errorf("installment %d: amount digits %s, want %010d", r.id, got, cents)
	}
	free := bc[19:]
	if want := "000000" + "1234567" + fmt.Sprintf("%010d", r.sequence) + "17"; free != want {
		t.Errorf("installment %d: free field %s, want %s", r.id, free, want)
	}
	if want := "1234567" + fmt.Sprintf("%010d", r.sequence); r.nossoNumero != want {
		t.Errorf("installment %d: nosso número %s, want %s", r.id, r.nossoNumero, want)
	}
	f1 := bc[:4] + free[:5]
	f2, f3 := free[5:15], free[15:25]
	want := f1 + string(mod10(f1)) + f2 + string(mod10(f2)) + f3 + string(mod10(f3)) + bc[4:5] + bc[5:19]
	if r.linha != want {
		t.Errorf("installment %d: linha digitável %s, want %s", r.id, r.linha, want)
	}
	p := r.pixPayload
	if crc := crc16(p[:len(p)-4]); !strings.HasSuffix(p, "6304"+crc) {
		t.Errorf("installment %d: PIX payload %q does not end with its CRC 6304%s", r.id, p, crc)
	}
	amount := r.amount.StringFixed(2)
	if !strings.Contains(p, "54"+fmt.Sprintf("%02d", len(amount))+amount) {
		t.Errorf("installment %d: PIX payload %q lacks amount %s", r.id, p, amount)
	}
	txid := "BLD" + strconv.FormatInt(r.id, 10)
	if r.txid != txid || !strings.Contains(p, "05"+fmt.Sprintf("%02d", len(txid))+txid) {
		t.Errorf("installment %d: txid %q (payload %q), want %s", r.id, r.txid, p, txid)
	}
	if !r.due.Equal(r.instDue) || !r.amount.Equal(r.owed) {
		t.Errorf("installment %d: instrument carries %s on %s, installment asks %s on %s", r.id, r.amount, billing.FormatDate(r.due),
			r.owed, billing.FormatDate(r.instDue))
	}
}

// TestInstrumentsAtGeneration: with payment settings, generation gives every installment
// its boleto (nosso número from the range's start, barcode and linha digitável whose check
// digits, factor and amount are recomputed here independently) and its PIX payload (txid,
// amount, CRC recomputed bit by bit), in the batch's transaction; a rerun changes nothing; a
// holiday that re-dates an installment re-makes its codes with the same nosso número and
// txid; the installment list carries them.
func TestInstrumentsAtGeneration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	b.seedPayable(t, 2)
	total := b.count(t, "SELECT count(*) FROM installments")
	if got := b.count(t, "SELECT count(*) FROM payment_instruments"); got != total || total == 0 {
		t.Fatalf("%d instruments for %d installments", got, total)
	}
	if got := b.count(t, "SELECT count(DISTINCT nosso_numero) FROM payment_instruments WHERE sequence BETWEEN 500 AND 500 + $1 - 1", total); got != total {
		t.Errorf("%d distinct nosso números from 500, want %d", got, total)
	}
	before := b.instruments(t, 1)
	for _, r := range before {
		checkInstrument(t, r)
	}
	b.sweepAll(t, date("2026-03-05"), 1000)
	if got := b.count(t, "SELECT count(*) FROM payment_instruments WHERE made_at > (SELECT min(made_at) FROM payment_instruments)"); got != 0 {
		t.Errorf("a rerun re-made %d instruments", got)
	}

	// 2026-06-10 is a Wednesday: as a holiday it moves contract 1's June installment to the 11th.
	if _, err := b.store.AddHoliday(b.ctx, billing.Holiday{Date: date("2026-06-10"), Name: "Feriado municipal"}); err != nil {
		t.Fatal(err)
	}
	after := b.instruments(t, 1)
	moved := 0
	for i, r := range after {
		checkInstrument(t, r)
		if r.sequence != before[i].sequence || r.txid != before[i].txid {
			t.Errorf("installment %d: re-made with sequence %d txid %s, was %d %s", r.id, r.sequence, r.txid, before[i].sequence, before[i].txid)
		}
		if !r.due.Equal(before[i].due) {
			moved++
			if !r.due.Equal(date("2026-06-11")) || r.barcode == before[i].barcode {
				t.Errorf("installment %d re-dated to %s, barcode %s (was %s)", r.id, billing.FormatDate(r.due), r.barcode, before[i].barcode)
			}
		}
	}
	if moved != 1 {
		t.Errorf("%d instruments re-dated, want 1", moved)
	}
	list, err := b.store.Installments(b.ctx, postgres.InstallmentFilter{ContractID: 1}, postgres.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || list[0].Instruments == nil || list[0].Instruments.LinhaDigitavel != after[0].linha ||
		list[0].Instruments.PixCopyPaste != after[0].pixPayload {
		t.Errorf("installment list instruments: %+v", list[0].Instruments)
	}
}

// TestNoInstrumentsWithoutSettings: without payment settings installments have none.
func TestNoInstrumentsWithoutSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seedPayable(t, 1)
	if got := b.count(t, "SELECT count(*) FROM payment_instruments"); got != 0 {
		t.Errorf("%d instruments without settings", got)
	}
	bad := testPaymentSettings()
	bad.Boleto.Agency = "12a"
	if err := b.store.SetPaymentSettings(b.ctx, bad); err == nil || !strings.Contains(err.Error(), "bank.agency") {
		t.Errorf("bad agency: %v", err)
	}
}

// TestCollectionNoticeCarriesInstruments: a collection notice's template data gives each
// installment owed its instruments, which the Portuguese default prints under "Como pagar"
// (the linha digitável with its dots and spaces, the PIX copy-and-paste).
func TestCollectionNoticeCarriesInstruments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.store.SetPaymentSettings(b.ctx, testPaymentSettings()); err != nil {
		t.Fatal(err)
	}
	inst := b.seedPayable(t, 1)(1, 1) // due 2026-03-10, overdue on 2026-03-20
	var notice int64
	if err := b.pool.QueryRow(b.ctx, `INSERT INTO notices (contract_id, kind, reference) VALUES (1, 'block_warning', 'test')
		RETURNING id`).Scan(&notice); err != nil {
		t.Fatal(err)
	}
	var linha, payload, text string
	if err := b.pool.QueryRow(b.ctx, "SELECT linha_digitavel, pix_payload FROM payment_instruments WHERE installment_id = $1", inst).
		Scan(&linha, &payload); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		n, err := postgres.LockNotice(b.ctx, tx, notice)
		if err != nil {
			return err
		}
		n, err = postgres.RenderNotice(b.ctx, tx, n, paymentsNow, saoPaulo)
		text = n.Text
		return err
	}); err != nil {
		t.Fatal(err)
	}
	printed := boleto.FormatLinhaDigitavel(linha)
	if !strings.Contains(text, "boleto (linha digitável): "+printed) || !strings.Contains(text, "PIX copia e cola: "+payload) {
		t.Errorf("notice text lacks the instruments (%s, %s):\n%s", printed, payload, text)
	}
}
