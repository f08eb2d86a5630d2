package bench

import (
	"context"
	"testing"
	"time"

	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/postgres"
)

// BenchmarkGenerateInstallmentsWithInstruments times generate-installments with the
// business's boleto and PIX settings set, so each installment also gets its instruments
// (nosso número from the sequence, barcode, linha digitável, PIX payload) in its batch's
// transaction, against the floor writing the same rows: the installments, their plan lines
// and an instrument row each (codes of the same widths, made in SQL) in one statement.
// BenchmarkGenerateInstallments is the same sweep without settings.
func BenchmarkGenerateInstallmentsWithInstruments(b *testing.B) {
	h := setup(b)
	ctx := context.Background()
	if err := h.store.SetPaymentSettings(ctx, postgres.PaymentSettings{
		Boleto: &boleto.Settings{BankCode: "001", Agency: "1234", Account: "123456", Wallet: "17", Convenio: "1234567",
			FirstSequence: 1, LastSequence: 9_999_999_999},
		PIX: &pix.Receiver{Key: "123e4567-e12b-12d1-a456-426655440000", Name: "Academia Sao Joao", City: "Sao Paulo", TxIDPrefix: "BLD"},
	}); err != nil {
		b.Fatal(err)
	}
	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	floor, rows := h.timeCount(`WITH ins AS (INSERT INTO installments (contract_id, kind, term, sequence, service_start, service_end,
			nominal_due, due_date, amount, discount, on_time_discount)
		SELECT c.id, 'recurring', 1, k + 1, (c.activation_date + make_interval(months => k))::date,
			(c.activation_date + make_interval(months => k + 1))::date - 1,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			(date_trunc('month', c.activation_date + make_interval(months => k)) + interval '9 days')::date,
			c.price, c.discount, c.on_time_discount
		FROM contracts c CROSS JOIN generate_series(0, 11) k
			RETURNING id, contract_id, term, sequence, service_start, service_end, due_date, amount, discount, on_time_discount),
		l AS (INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key)
			SELECT id, contract_id, 'plan', 'plan, term ' || term || ' installment ' || sequence || ': service '
				|| to_char(service_start, 'YYYY-MM-DD') || ' to ' || to_char(service_end, 'YYYY-MM-DD'), 1, amount, amount, 'plan'
			FROM ins),
		p AS (INSERT INTO payment_instruments (installment_id, contract_id, amount, due_date, bank_code, sequence, nosso_numero,
				nosso_numero_printed, barcode, linha_digitavel, txid, pix_payload)
			SELECT id, contract_id, amount - discount - on_time_discount, due_date, '001', id, '1234567' || lpad(id::text, 10, '0'),
				'1234567' || lpad(id::text, 10, '0'), lpad(id::text, 44, '0'), lpad(id::text, 47, '0'), 'BLD' || id,
				rpad('00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000', 140, '0') || 'BLD' || id || '6304ABCD'
			FROM ins)
		SELECT count(*) FROM ins`)
	if rows != int64(h.n)*12 {
		b.Fatalf("floor inserted %d rows, want %d", rows, h.n*12)
	}
	h.timeSQL("TRUNCATE installments CASCADE")
	h.timeSQL("VACUUM ANALYZE installments")
	b.ResetTimer()
	sweep, counts := h.sweep(jobs.GenerateInstallments, asOf)
	idle, idleCounts := h.sweep(jobs.GenerateInstallments, asOf)
	b.StopTimer()
	if counts["installments_created"] != int64(h.n)*12 || len(idleCounts) != 0 {
		b.Fatalf("sweep counts %v, nothing-due counts %v", counts, idleCounts)
	}
	var made int64
	if err := h.pool.QueryRow(ctx, "SELECT count(*) FROM payment_instruments WHERE barcode IS NOT NULL AND txid IS NOT NULL").Scan(&made); err != nil {
		b.Fatal(err)
	}
	if made != int64(h.n)*12 {
		b.Fatalf("sweep made %d instruments, want %d", made, h.n*12)
	}
	report(b, "generate+instruments", h.n, floor, sweep, idle, counts)
}
