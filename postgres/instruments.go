package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/records"
)

// PaymentSettings are the business's instrument settings (package records).
type PaymentSettings = records.PaymentSettings

// Instruments are an installment's payment instruments (package records).
type Instruments = records.Instruments

// SetPaymentSettings validates the business's boleto and PIX settings and stores them in
// payment_settings, where every writer of installments reads them: from then on new
// installments, and installments re-dated or whose amount changes, get their instruments.
// Both parts nil removes the settings (installments made from then on have none). A bad
// setting is a *billing.FieldError naming it ("bank.agency", "pix.key") and stores nothing.
func (s *Store) SetPaymentSettings(ctx context.Context, ps PaymentSettings) error {
	if _, _, err := issuersOf(ps); err != nil {
		return err
	}
	if ps.Boleto == nil && ps.PIX == nil {
		if _, err := s.Pool.Exec(ctx, "DELETE FROM payment_settings"); err != nil {
			return fmt.Errorf("remove payment settings: %w", err)
		}
		return nil
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO payment_settings (boleto, pix) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET boleto = EXCLUDED.boleto, pix = EXCLUDED.pix, updated_at = now()
		WHERE (payment_settings.boleto, payment_settings.pix) IS DISTINCT FROM (EXCLUDED.boleto, EXCLUDED.pix)`,
		ps.Boleto, ps.PIX); err != nil {
		return fmt.Errorf("store payment settings: %w", err)
	}
	return nil
}

// readPaymentSettings returns the stored settings (zero when there are none, and on a
// schema before migration 017, which tests of older migrations run today's sweeps on).
func readPaymentSettings(ctx context.Context, q Queryer) (PaymentSettings, error) {
	var raw struct{ boleto, pix []byte }
	var table bool
	if err := q.QueryRow(ctx, "SELECT to_regclass('payment_settings') IS NOT NULL").Scan(&table); err != nil {
		return PaymentSettings{}, fmt.Errorf("read payment settings: %w", err)
	}
	if !table {
		return PaymentSettings{}, nil
	}
	err := q.QueryRow(ctx, "SELECT boleto, pix FROM payment_settings").Scan(&raw.boleto, &raw.pix)
	if err == pgx.ErrNoRows {
		return PaymentSettings{}, nil
	}
	if err != nil {
		return PaymentSettings{}, fmt.Errorf("read payment settings: %w", err)
	}
	var ps PaymentSettings
	if raw.boleto != nil {
		ps.Boleto = &boleto.Settings{}
		if err := json.Unmarshal(raw.boleto, ps.Boleto); err != nil {
			return PaymentSettings{}, fmt.Errorf("read payment settings: boleto: %w", err)
		}
	}
	if raw.pix != nil {
		ps.PIX = &pix.Receiver{}
		if err := json.Unmarshal(raw.pix, ps.PIX); err != nil {
			return PaymentSettings{}, fmt.Errorf("read payment settings: pix: %w", err)
		}
	}
	return ps, nil
}

// issuersOf validates ps and returns its issuers (nil where a part is not set).
func issuersOf(ps PaymentSettings) (*boleto.Issuer, *pix.Issuer, error) {
	var (
		bi  *boleto.Issuer
		pi  *pix.Issuer
		err error
	)
	if ps.Boleto != nil {
		if bi, err = boleto.NewIssuer(*ps.Boleto); err != nil {
			return nil, nil, err
		}
	}
	if ps.PIX != nil {
		if pi, err = pix.NewIssuer(*ps.PIX); err != nil {
			return nil, nil, err
		}
	}
	return bi, pi, nil
}

// makeInstruments makes or re-makes, in tx, the instruments of those of the given
// installments that are open with something to pay and whose instruments are missing or
// carry another amount or due date than the installment now asks by its due date (amount −
// discount − on-time discount): the installment batch calls it for the installments it
// created, changeLines for those whose lines changed, a holiday change for those it re-dated.
// A re-made instrument keeps its nosso número and txid. New boletos take their sequence
// numbers from nosso_numero_sequence, one round trip for the batch; the codes are computed in
// Go (boleto and pix IssueAll) and written with one unnest statement. Without settings it
// does nothing. The installments of grouped customers get none: groupInstallments puts them
// in their grouped charge, whose instruments makeChargeInstruments makes instead. It returns
// how many installment instruments it wrote.
func makeInstruments(ctx context.Context, tx pgx.Tx, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	// Grouped customers' installments are collected by their grouped charge, which carries
	// the instruments instead (grouped.go).
	charges, ids, err := groupInstallments(ctx, tx, ids)
	if err != nil {
		return 0, err
	}
	ps, err := readPaymentSettings(ctx, tx)
	if err != nil || (ps.Boleto == nil && ps.PIX == nil) {
		return 0, err
	}
	bi, pi, err := issuersOf(ps)
	if err != nil {
		return 0, fmt.Errorf("payment settings: %w", err)
	}
	if err := makeChargeInstruments(ctx, tx, charges, bi, pi); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT i.id, i.contract_id, i.amount - i.discount - i.on_time_discount, i.due_date, p.sequence
		FROM installments i LEFT JOIN payment_instruments p ON p.installment_id = i.id
		WHERE i.id = ANY($1) AND i.state = 'open' AND i.amount - i.discount - i.on_time_discount > 0
		  AND (p.installment_id IS NULL OR p.amount <> i.amount - i.discount - i.on_time_discount OR p.due_date <> i.due_date
		       OR (p.barcode IS NULL) = ($2::bool) OR (p.txid IS NULL) = ($3::bool))
		ORDER BY i.id`, ids, bi != nil, pi != nil)
	if err != nil {
		return 0, fmt.Errorf("read installments for their instruments: %w", err)
	}
	var c instrumentColumns
	var fresh int // installments without a sequence number yet
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			id, contract int64
			amount       decimal.Decimal
			due          pgtype.Date
			seq          *int64
		)
		if err := r.Scan(&id, &contract, &amount, &due, &seq); err != nil {
			return struct{}{}, err
		}
		c.id, c.contract, c.amount, c.due = append(c.id, id), append(c.contract, contract), append(c.amount, amount), append(c.due, due)
		var s int64
		if seq != nil {
			s = *seq
		} else {
			fresh++
		}
		c.seq = append(c.seq, s)
		return struct{}{}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("read installments for their instruments: %w", err)
	}
	if len(c.id) == 0 {
		return 0, nil
	}
	if err := c.issue(ctx, tx, bi, pi, fresh); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO payment_instruments (installment_id, contract_id, amount, due_date, bank_code, sequence,
			nosso_numero, nosso_numero_printed, barcode, linha_digitavel, txid, pix_payload)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::date[], $5::text[], $6::bigint[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
		ON CONFLICT (installment_id) DO UPDATE SET amount = EXCLUDED.amount, due_date = EXCLUDED.due_date,
			bank_code = EXCLUDED.bank_code, sequence = EXCLUDED.sequence, nosso_numero = EXCLUDED.nosso_numero,
			nosso_numero_printed = EXCLUDED.nosso_numero_printed, barcode = EXCLUDED.barcode,
			linha_digitavel = EXCLUDED.linha_digitavel, txid = EXCLUDED.txid, pix_payload = EXCLUDED.pix_payload, made_at = now()`,
		c.id, c.contract, c.amount, c.due, c.bank, c.seqOut, c.nossoNumero, c.printed, c.barcode, c.linha, c.txid, c.payload)
	if err != nil {
		return 0, fmt.Errorf("write %d payment instruments: %w", len(c.id), err)
	}
	return tag.RowsAffected(), nil
}

// instrumentColumns holds a batch of instruments column by column for one unnest statement.
type instrumentColumns struct {
	id, contract, seq []int64
	amount            []decimal.Decimal
	due               []pgtype.Date
	// What is written; nil entries where the settings make no instrument of a kind.
	bank, nossoNumero, printed, barcode, linha, txid, payload []*string
	seqOut                                                    []*int64
}

// issue computes the batch's codes: sequence numbers for the fresh boletos (one nextval
// round trip), then the boletos and PIX payloads.
func (c *instrumentColumns) issue(ctx context.Context, tx pgx.Tx, bi *boleto.Issuer, pi *pix.Issuer, fresh int) error {
	n := len(c.id)
	c.bank, c.nossoNumero, c.printed, c.barcode, c.linha = make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	c.txid, c.payload, c.seqOut = make([]*string, n), make([]*string, n), make([]*int64, n)
	if bi != nil {
		if fresh > 0 {
			rows, err := tx.Query(ctx, "SELECT nextval('nosso_numero_sequence') FROM generate_series(1, $1)", fresh)
			if err != nil {
				return fmt.Errorf("allocate %d nosso números: %w", fresh, err)
			}
			vals, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return fmt.Errorf("allocate %d nosso números: %w", fresh, err)
			}
			first := bi.Settings().FirstSequence
			for i, k := 0, 0; i < n; i++ {
				if c.seq[i] == 0 {
					c.seq[i] = first + vals[k] - 1
					k++
				}
			}
		}
		charges := make([]boleto.Charge, n)
		for i := range charges {
			charges[i] = boleto.Charge{DueDate: c.due[i].Time, Amount: c.amount[i], Sequence: c.seq[i]}
		}
		bs, err := bi.IssueAll(charges)
		if err != nil {
			return fmt.Errorf("issue %d boletos (installments %d..%d): %w", n, c.id[0], c.id[n-1], err)
		}
		bank := bi.Settings().BankCode
		for i, b := range bs {
			c.bank[i], c.seqOut[i] = &bank, &c.seq[i]
			c.nossoNumero[i], c.printed[i] = &b.NossoNumero.Key, &b.NossoNumero.Printed
			c.barcode[i], c.linha[i] = &b.Barcode, &b.LinhaDigitavel
		}
	}
	if pi != nil {
		charges := make([]pix.Charge, n)
		for i := range charges {
			charges[i] = pix.Charge{InstallmentID: c.id[i], Amount: c.amount[i]}
		}
		cps, err := pi.IssueAll(charges)
		if err != nil {
			return fmt.Errorf("issue %d PIX payloads (installments %d..%d): %w", n, c.id[0], c.id[n-1], err)
		}
		for i, cp := range cps {
			c.txid[i], c.payload[i] = &cp.TxID, &cp.BRCode
		}
	}
	return nil
}

// readInstruments returns the instruments of the given installments, by installment id.
func readInstruments(ctx context.Context, q Queryer, ids []int64) (map[int64]*Instruments, error) {
	out := map[int64]*Instruments{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT installment_id, amount, due_date, bank_code, nosso_numero, nosso_numero_printed,
			barcode, linha_digitavel, txid, pix_payload, made_at
		FROM payment_instruments WHERE installment_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read payment instruments: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var in Instruments
		var bank, nn, printed, barcode, linha, txid, payload *string
		if err := r.Scan(&id, &in.Amount, &in.DueDate, &bank, &nn, &printed, &barcode, &linha, &txid, &payload, &in.MadeAt); err != nil {
			return struct{}{}, err
		}
		in.BankCode, in.NossoNumero, in.NossoNumeroPrinted = deref(bank), deref(nn), deref(printed)
		in.Barcode, in.LinhaDigitavel, in.TxID, in.PixCopyPaste = deref(barcode), deref(linha), deref(txid), deref(payload)
		out[id] = &in
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read payment instruments: %w", err)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
