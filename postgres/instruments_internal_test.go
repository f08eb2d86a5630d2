package postgres

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/pix"
)

// TestChangeLinesRemakesInstruments: a line that changes an open installment's amount
// re-makes its boleto and PIX for the new amount in the same transaction (same nosso número
// and txid); removing it restores the first codes.
func TestChangeLinesRemakesInstruments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	store := &Store{Pool: pool}
	if err := store.SetPaymentSettings(ctx, PaymentSettings{
		Boleto: &boleto.Settings{BankCode: "237", Agency: "1234", Account: "1234567", Wallet: "09", FirstSequence: 1, LastSequence: 99_999_999_999},
		PIX:    &pix.Receiver{Key: "cobranca@example.com.br", Name: "Academia", City: "Curitiba", TxIDPrefix: "ACD"},
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	if _, err := dbtest.SeedContracts(ctx, pool, 1, start); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := GenerateSweep{}.Batch(ctx, tx, start, 0, math.MaxInt64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var inst int64
	if err := pool.QueryRow(ctx, "SELECT id FROM installments WHERE sequence = 1").Scan(&inst); err != nil {
		t.Fatal(err)
	}
	read := func() Instruments {
		t.Helper()
		m, err := readInstruments(ctx, pool, []int64{inst})
		if err != nil || m[inst] == nil {
			t.Fatalf("instruments of %d: %v %v", inst, m, err)
		}
		return *m[inst]
	}
	first := read()
	if first.Amount.String() != "99.9" || first.TxID == "" {
		t.Fatalf("first instruments %+v", first)
	}
	var lineID int64
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := changeLines(ctx, tx, LineChange{Add: []NewLine{{InstallmentID: inst, Line: billing.Line{Kind: billing.LineDiscount,
			Description: "desconto", Quantity: decimal.NewFromInt(1), Amount: decimal.RequireFromString("-9.90"), SourceKey: "test"}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	second := read()
	code, err := boleto.ParseBarcode(second.Barcode)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Amount.Equal(decimal.NewFromInt(90)) || !code.Amount.Equal(decimal.NewFromInt(90)) ||
		second.NossoNumero != first.NossoNumero || second.TxID != first.TxID || second.PixCopyPaste == first.PixCopyPaste {
		t.Errorf("after a discount line: %+v (barcode amount %s), was %+v", second, code.Amount, first)
	}
	if err := pool.QueryRow(ctx, "SELECT id FROM installment_lines WHERE source_key = 'test'").Scan(&lineID); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := changeLines(ctx, tx, LineChange{Remove: []int64{lineID}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if third := read(); third.Barcode != first.Barcode || third.PixCopyPaste != first.PixCopyPaste {
		t.Errorf("after removing the line: %+v, want the first codes %+v", third, first)
	}
}
