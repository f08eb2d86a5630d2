package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/records"
)

// Grouped billing (migrations/027_grouped_charges.sql): the installments of a customer's
// contracts whose billing_method is 'grouped' and that fall due on one day are one charge,
// keyed by (customer, due date). makeInstruments puts them in their charge (groupInstallments,
// a few set-based statements per batch whatever its size) and makes the charge's boleto and
// PIX payload (makeChargeInstruments) instead of theirs; a payment of the charge — the API,
// a bank return settling its nosso número, a PIX notification with its txid — is recorded
// as one payment per installment, each of its own amount (chargePayments).

// GroupedCharge is one grouped charge (package records).
type GroupedCharge = records.GroupedCharge

// GroupedChargeInstallment is one installment of a grouped charge (package records).
type GroupedChargeInstallment = records.GroupedChargeInstallment

// chargeTxIDMark follows the business's txid prefix in a charge's txid ("BLDG42"), which
// pix.ParseTxID never reads as an installment's.
const chargeTxIDMark = "G"

// chargeTxID returns the txid of grouped charge id under prefix.
func chargeTxID(prefix string, id int64) string {
	return prefix + chargeTxIDMark + strconv.FormatInt(id, 10)
}

// chargeOfTxID returns the grouped charge a txid made by chargeTxID names; ok is false for
// any other txid.
func chargeOfTxID(prefix, txid string) (int64, bool) {
	digits, found := strings.CutPrefix(txid, prefix+chargeTxIDMark)
	if !found || prefix == "" || digits == "" || digits[0] == '0' || !billing.AllDigits(digits) {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil
}

// groupInstallments puts those of the installments ids whose contract bills grouped into
// their customer's charge for their due date (creating it, or moving an installment
// re-dated to another day), and locks those charges and the ones they left. It returns the
// charges, in id order, and the ids that are not grouped. A batch without a grouped
// contract costs one statement; on a schema before migration 027 it groups nothing.
func groupInstallments(ctx context.Context, tx pgx.Tx, ids []int64) (charges, loose []int64, err error) {
	var table bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('grouped_charges') IS NOT NULL").Scan(&table); err != nil {
		return nil, nil, fmt.Errorf("group installments: %w", err)
	}
	if !table {
		return nil, ids, nil
	}
	var grouped []int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM installments i
		JOIN contracts c ON c.id = i.contract_id WHERE i.id = ANY($1) AND c.billing_method = 'grouped'`, ids).Scan(&grouped); err != nil {
		return nil, nil, fmt.Errorf("group installments: %w", err)
	}
	if len(grouped) == 0 {
		return nil, ids, nil
	}
	isGrouped := make(map[int64]bool, len(grouped))
	for _, id := range grouped {
		isGrouped[id] = true
	}
	for _, id := range ids {
		if !isGrouped[id] {
			loose = append(loose, id)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO grouped_charges (customer_id, due_date)
		SELECT DISTINCT c.customer_id, i.due_date FROM installments i JOIN contracts c ON c.id = i.contract_id
		WHERE i.id = ANY($1) ORDER BY 1, 2
		ON CONFLICT (customer_id, due_date) DO NOTHING`, grouped); err != nil {
		return nil, nil, fmt.Errorf("create grouped charges: %w", err)
	}
	if err := tx.QueryRow(ctx, `WITH before AS (
			SELECT charge_id FROM grouped_charge_installments WHERE installment_id = ANY($1)),
		m AS (
			INSERT INTO grouped_charge_installments (installment_id, charge_id, contract_id)
			SELECT i.id, g.id, i.contract_id FROM installments i JOIN contracts c ON c.id = i.contract_id
			JOIN grouped_charges g ON g.customer_id = c.customer_id AND g.due_date = i.due_date
			WHERE i.id = ANY($1) ORDER BY i.id
			ON CONFLICT (installment_id) DO UPDATE SET charge_id = EXCLUDED.charge_id
				WHERE grouped_charge_installments.charge_id <> EXCLUDED.charge_id
			RETURNING charge_id),
		now_in AS (
			SELECT g.id AS charge_id FROM installments i JOIN contracts c ON c.id = i.contract_id
			JOIN grouped_charges g ON g.customer_id = c.customer_id AND g.due_date = i.due_date WHERE i.id = ANY($1))
		SELECT coalesce(array_agg(DISTINCT charge_id ORDER BY charge_id), '{}')
		FROM (SELECT charge_id FROM before UNION SELECT charge_id FROM m UNION SELECT charge_id FROM now_in) x`,
		grouped).Scan(&charges); err != nil {
		return nil, nil, fmt.Errorf("put installments in their grouped charges: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM grouped_charges WHERE id = ANY($1) ORDER BY id FOR UPDATE", charges); err != nil {
		return nil, nil, fmt.Errorf("lock grouped charges: %w", err)
	}
	return charges, loose, nil
}

// makeChargeInstruments makes or re-makes the instruments of those of the given charges
// that ask something and whose instruments are missing or carry another amount or due date,
// as makeInstruments does an installment's: same nosso número and txid when re-made, new
// sequence numbers in one round trip, one unnest statement.
func makeChargeInstruments(ctx context.Context, tx pgx.Tx, charges []int64, bi *boleto.Issuer, pi *pix.Issuer) error {
	if len(charges) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT g.id, g.due_date, t.asks, p.sequence
		FROM grouped_charges g
		JOIN (SELECT m.charge_id, sum(i.amount - i.discount - i.on_time_discount) AS asks
		      FROM grouped_charge_installments m JOIN installments i ON i.id = m.installment_id
		      WHERE m.charge_id = ANY($1) AND i.state = 'open' GROUP BY m.charge_id) t ON t.charge_id = g.id
		LEFT JOIN grouped_charge_instruments p ON p.charge_id = g.id
		WHERE t.asks > 0 AND (p.charge_id IS NULL OR p.amount <> t.asks OR p.due_date <> g.due_date
			OR (p.barcode IS NULL) = ($2::bool) OR (p.txid IS NULL) = ($3::bool))
		ORDER BY g.id`, charges, bi != nil, pi != nil)
	if err != nil {
		return fmt.Errorf("read grouped charges for their instruments: %w", err)
	}
	var c instrumentColumns
	var fresh int
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			id     int64
			due    pgtype.Date
			amount decimal.Decimal
			seq    *int64
		)
		if err := r.Scan(&id, &due, &amount, &seq); err != nil {
			return struct{}{}, err
		}
		c.id, c.amount, c.due = append(c.id, id), append(c.amount, amount), append(c.due, due)
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
		return fmt.Errorf("read grouped charges for their instruments: %w", err)
	}
	if len(c.id) == 0 {
		return nil
	}
	if err := c.issue(ctx, tx, bi, nil, fresh); err != nil {
		return fmt.Errorf("grouped charges: %w", err)
	}
	if pi != nil {
		r := pi.Receiver()
		for i, id := range c.id {
			txid := chargeTxID(r.TxIDPrefix, id)
			code, err := pix.Encode(pix.Payload{Key: r.Key, Amount: decimal.NewNullDecimal(c.amount[i]), Name: r.Name, City: r.City, TxID: txid})
			if err != nil {
				return fmt.Errorf("issue the PIX payload of grouped charge %d: %w", id, err)
			}
			c.txid[i], c.payload[i] = &txid, &code
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO grouped_charge_instruments (charge_id, amount, due_date, bank_code, sequence,
			nosso_numero, nosso_numero_printed, barcode, linha_digitavel, txid, pix_payload)
		SELECT * FROM unnest($1::bigint[], $2::numeric[], $3::date[], $4::text[], $5::bigint[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
		ON CONFLICT (charge_id) DO UPDATE SET amount = EXCLUDED.amount, due_date = EXCLUDED.due_date,
			bank_code = EXCLUDED.bank_code, sequence = EXCLUDED.sequence, nosso_numero = EXCLUDED.nosso_numero,
			nosso_numero_printed = EXCLUDED.nosso_numero_printed, barcode = EXCLUDED.barcode,
			linha_digitavel = EXCLUDED.linha_digitavel, txid = EXCLUDED.txid, pix_payload = EXCLUDED.pix_payload, made_at = now()`,
		c.id, c.amount, c.due, c.bank, c.seqOut, c.nossoNumero, c.printed, c.barcode, c.linha, c.txid, c.payload); err != nil {
		return fmt.Errorf("write %d grouped charge instruments: %w", len(c.id), err)
	}
	return nil
}

// chargeMemberRef is the reference of the payment of one installment of a grouped charge
// paid under reference ref ("" stays "": an API payment without a reference).
func chargeMemberRef(ref string, installment int64) string {
	if ref == "" {
		return ""
	}
	return ref + ":installment:" + strconv.FormatInt(installment, 10)
}

// chargePayments returns the payments of installments that payment p of grouped charge
// charge makes (p.InstallmentID is ignored): one per open installment of the charge, in id
// order, of exactly what it asks on p's date under the single-installment payment rules
// (billing.ChargeMemberOn over its ledger and cal: on time its amount less its discounts;
// late its principal plus the fine and interest accrued by then), split by
// billing.SplitChargePayment, each with reference "<p's reference>:installment:<id>". When
// the charge's payments under p's reference were already recorded it returns them again, so
// that recording them reports duplicates. A payment that cannot be split is a
// *billing.PaymentRefusal; an unknown charge is refused as an unknown installment.
func chargePayments(ctx context.Context, q Queryer, cal *billing.Calendar, charge int64, p PaymentIn) ([]PaymentIn, *billing.PaymentRefusal, error) {
	rows, err := q.Query(ctx, `SELECT i.id, i.state = 'open'
		FROM grouped_charge_installments m JOIN installments i ON i.id = m.installment_id
		WHERE m.charge_id = $1 ORDER BY i.id`, charge)
	if err != nil {
		return nil, nil, fmt.Errorf("read grouped charge %d: %w", charge, err)
	}
	var open []int64
	var refs []string
	all := 0
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var isOpen bool
		if err := r.Scan(&id, &isOpen); err != nil {
			return struct{}{}, err
		}
		all++
		refs = append(refs, chargeMemberRef(p.Reference, id))
		if isOpen {
			open = append(open, id)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read grouped charge %d: %w", charge, err)
	}
	if all == 0 {
		return nil, &billing.PaymentRefusal{Code: billing.RefusedUnknownInstallment, Field: "id",
			Reason: fmt.Sprintf("grouped charge %d", charge)}, nil
	}
	if p.Reference != "" {
		rows, err := q.Query(ctx, `SELECT installment_id, amount, paid_on FROM payments
			WHERE source = $1 AND reference = ANY($2) ORDER BY installment_id`, p.Source, refs)
		if err != nil {
			return nil, nil, fmt.Errorf("read grouped charge %d's payments: %w", charge, err)
		}
		var again []PaymentIn
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
			var in PaymentIn
			if err := r.Scan(&in.InstallmentID, &in.Amount, &in.PaidOn); err != nil {
				return struct{}{}, err
			}
			in.Source, in.Reference = p.Source, chargeMemberRef(p.Reference, in.InstallmentID)
			again = append(again, in)
			return struct{}{}, nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("read grouped charge %d's payments: %w", charge, err)
		}
		if len(again) > 0 {
			return again, nil, nil
		}
	}
	members, err := chargeMembersOn(ctx, q, cal, open, p.PaidOn)
	if err != nil {
		return nil, nil, fmt.Errorf("grouped charge %d: %w", charge, err)
	}
	shares, err := billing.SplitChargePayment(p.Amount, p.PaidOn, members)
	if err != nil {
		var refusal *billing.PaymentRefusal
		if !errors.As(err, &refusal) {
			return nil, nil, err
		}
		return nil, refusal, nil
	}
	out := make([]PaymentIn, len(members))
	for i, m := range members {
		out[i] = PaymentIn{InstallmentID: m.InstallmentID, Amount: shares[i], PaidOn: p.PaidOn, Source: p.Source,
			Reference: chargeMemberRef(p.Reference, m.InstallmentID)}
	}
	return out, nil, nil
}

// chargeMembersOn returns what each of the open installments ids (in id order) asks on date
// on as a member of a grouped charge (billing.ChargeMemberOn over its ledger, unlocked:
// recordPayments locks and applies the rules again); an installment no longer open is left
// out.
func chargeMembersOn(ctx context.Context, q Queryer, cal *billing.Calendar, ids []int64, on time.Time) ([]billing.ChargeMember, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ledgers, err := readLedgers(ctx, q, ids, false)
	if err != nil {
		return nil, err
	}
	out := make([]billing.ChargeMember, 0, len(ids))
	for _, id := range ids {
		l, ok := ledgers[id]
		if !ok || l.ledger.State != billing.InstallmentOpen {
			continue
		}
		m, err := billing.ChargeMemberOn(l.ledger, cal, on)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
