package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/notifications"
)

// PayGroupedCharge records a payment of grouped charge id (its amount, date, source and
// reference; InstallmentID is ignored) as one payment per open installment of the charge, each
// of exactly what it asks on the payment's date (late: with the fine and interest accrued by
// then, which its settlement records as late lines), with RecordPayments' rules, in one
// transaction. A payment of any other amount than what the charge asks on its date is refused
// whole (billing.RefusedChargeAmount, naming that amount), as is a charge
// with nothing open (billing.RefusedChargeSettled) or unknown; the refusal is returned as the
// error (a *billing.PaymentRefusal). The same payment again (same source and reference) reports
// its payments as duplicates and records nothing.
func (s *Store) PayGroupedCharge(ctx context.Context, now time.Time, id int64, p PaymentIn) ([]PaymentResult, error) {
	if err := billing.CheckPaymentAmount(p.Amount); err != nil {
		return nil, err
	}
	loc := s.location()
	var out []PaymentResult
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		in, refusal, err := chargePayments(ctx, tx, cal, id, p)
		if err != nil {
			return err
		}
		if refusal != nil {
			return refusal
		}
		out, err = s.recordPayments(ctx, tx, now, billing.DateOf(now, loc), loc.String(), in)
		if err != nil {
			return err
		}
		for _, r := range out {
			if r.Refused != nil {
				return r.Refused // all or nothing: the charge is paid whole
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GroupedCharge returns grouped charge id with its installments and instruments; an unknown id
// is billing.ErrNotFound.
func (s *Store) GroupedCharge(ctx context.Context, id int64) (GroupedCharge, error) {
	cs, err := s.groupedCharges(ctx, "g.id = $1", id)
	if err != nil {
		return GroupedCharge{}, err
	}
	if len(cs) == 0 {
		return GroupedCharge{}, fmt.Errorf("grouped charge %d: %w", id, billing.ErrNotFound)
	}
	return cs[0], nil
}

// GroupedCharges returns a customer's grouped charges by due date, with their installments and
// instruments.
func (s *Store) GroupedCharges(ctx context.Context, customerID int64) ([]GroupedCharge, error) {
	return s.groupedCharges(ctx, "g.customer_id = $1", customerID)
}

func (s *Store) groupedCharges(ctx context.Context, where string, arg int64) ([]GroupedCharge, error) {
	rows, err := s.Pool.Query(ctx, `SELECT g.id, g.customer_id, g.due_date, i.id, i.contract_id, i.state,
			i.amount - i.discount - i.on_time_discount,
			p.amount, p.due_date, p.bank_code, p.nosso_numero, p.nosso_numero_printed, p.barcode, p.linha_digitavel, p.txid,
			p.pix_payload, p.made_at
		FROM grouped_charges g JOIN grouped_charge_installments m ON m.charge_id = g.id JOIN installments i ON i.id = m.installment_id
		LEFT JOIN grouped_charge_instruments p ON p.charge_id = g.id
		WHERE `+where+` ORDER BY g.due_date, g.id, i.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("read grouped charges: %w", err)
	}
	var out []GroupedCharge
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			g                                                GroupedCharge
			m                                                GroupedChargeInstallment
			in                                               Instruments
			inAmount                                         *decimal.Decimal
			inDue                                            *time.Time
			madeAt                                           *time.Time
			bank, nn, printed, barcode, linha, txid, payload *string
		)
		if err := r.Scan(&g.ID, &g.CustomerID, &g.DueDate, &m.InstallmentID, &m.ContractID, &m.State, &m.Asks,
			&inAmount, &inDue, &bank, &nn, &printed, &barcode, &linha, &txid, &payload, &madeAt); err != nil {
			return struct{}{}, err
		}
		if len(out) == 0 || out[len(out)-1].ID != g.ID {
			g.Amount, g.State = decimal.Zero, billing.InstallmentPaid
			if inAmount != nil {
				in.Amount, in.DueDate, in.MadeAt = *inAmount, *inDue, *madeAt
				in.BankCode, in.NossoNumero, in.NossoNumeroPrinted = deref(bank), deref(nn), deref(printed)
				in.Barcode, in.LinhaDigitavel, in.TxID, in.PixCopyPaste = deref(barcode), deref(linha), deref(txid), deref(payload)
				g.Instruments = &in
			}
			out = append(out, g)
		}
		last := &out[len(out)-1]
		last.Installments = append(last.Installments, m)
		if m.State == billing.InstallmentOpen {
			last.Amount, last.State = last.Amount.Add(m.Asks), billing.InstallmentOpen
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read grouped charges: %w", err)
	}
	return out, nil
}

// chargesByNossoNumero returns the grouped charges whose boletos have the given nosso números
// at a bank, by nosso número.
func chargesByNossoNumero(ctx context.Context, q Queryer, bank string, keys []string) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT nosso_numero, charge_id FROM grouped_charge_instruments
		WHERE bank_code = $1 AND nosso_numero = ANY($2)`, bank, keys)
	if err != nil {
		return nil, fmt.Errorf("match grouped charges' nosso números: %w", err)
	}
	out := map[string]int64{}
	if _, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var k string
		var charge int64
		err := r.Scan(&k, &charge)
		out[k] = charge
		return struct{}{}, err
	}); err != nil {
		return nil, fmt.Errorf("match grouped charges' nosso números: %w", err)
	}
	return out, nil
}

// chargeNoticeData is the grouped charge that collects installment id as a notice states it
// (its open installments and instruments), zero when the installment is in none; on a schema
// before migration 027 it is zero too.
func chargeNoticeData(ctx context.Context, tx pgx.Tx, installment int64) (notifications.ChargeData, error) {
	var table bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('grouped_charges') IS NOT NULL").Scan(&table); err != nil || !table {
		return notifications.ChargeData{}, err
	}
	rows, err := tx.Query(ctx, `SELECT g.id, g.due_date, i.contract_id, i.amount - i.discount - i.on_time_discount,
			coalesce(p.linha_digitavel, ''), coalesce(p.pix_payload, '')
		FROM grouped_charge_installments me JOIN grouped_charges g ON g.id = me.charge_id
		JOIN grouped_charge_installments m ON m.charge_id = g.id JOIN installments i ON i.id = m.installment_id AND i.state = 'open'
		LEFT JOIN grouped_charge_instruments p ON p.charge_id = g.id
		WHERE me.installment_id = $1 ORDER BY i.id`, installment)
	if err != nil {
		return notifications.ChargeData{}, fmt.Errorf("read the grouped charge of installment %d: %w", installment, err)
	}
	var c notifications.Charge
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var in notifications.ChargeInstallment
		var linha string
		if err := r.Scan(&c.ID, &c.DueDate, &in.ContractID, &in.Asks, &linha, &c.PixCopyPaste); err != nil {
			return struct{}{}, err
		}
		if linha != "" {
			c.DigitableLine = boleto.FormatLinhaDigitavel(linha)
		}
		c.Installments = append(c.Installments, in)
		return struct{}{}, nil
	})
	if err != nil {
		return notifications.ChargeData{}, fmt.Errorf("read the grouped charge of installment %d: %w", installment, err)
	}
	if c.ID == 0 {
		return notifications.ChargeData{}, nil
	}
	return notifications.NewChargeData(c), nil
}
