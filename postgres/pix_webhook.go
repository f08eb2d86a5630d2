package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/records"
)

// PixNotification is one received PIX of a webhook call (package records).
type PixNotification = records.PixNotification

// PixOutcome counts what a webhook call did (package records).
type PixOutcome = records.PixOutcome

// RecordPixNotifications records the PIX payments of one webhook call in one transaction:
// each notification's txid names its installment (pix.ParseTxID with the business's txid
// prefix); its date paid is its horário in the business time zone; it is recorded with
// RecordPayments' rules as source pix, reference "pix:<endToEndId>" (a notification sent
// twice records nothing twice). A txid that names no installment (or any txid without PIX
// settings) and a refused payment go to payment_exceptions, once per endToEndId.
func (s *Store) RecordPixNotifications(ctx context.Context, now time.Time, ns []PixNotification) (PixOutcome, error) {
	loc := s.location()
	var out PixOutcome
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		out = PixOutcome{}
		ps, err := readPaymentSettings(ctx, tx)
		if err != nil {
			return err
		}
		var (
			in      []PaymentIn
			matched []int
			exc     exceptionColumns
			cal     *billing.Calendar // loaded for the first grouped charge
		)
		for i, n := range ns {
			paidOn := billing.DateOf(n.PaidAt, loc)
			var (
				id int64
				ok bool
			)
			if ps.PIX != nil {
				id, ok = pix.ParseTxID(ps.PIX.TxIDPrefix, n.TxID)
				if charge, isCharge := chargeOfTxID(ps.PIX.TxIDPrefix, n.TxID); isCharge {
					// A grouped charge's PIX: one payment per installment of the charge (grouped.go).
					if cal == nil {
						if cal, err = LoadCalendar(ctx, tx); err != nil {
							return err
						}
					}
					members, refusal, err := chargePayments(ctx, tx, cal, charge, PaymentIn{Amount: n.Amount, PaidOn: paidOn,
						Source: billing.SourcePIX, Reference: "pix:" + n.EndToEndID})
					if err != nil {
						return err
					}
					if refusal != nil {
						exc.add(PaymentException{Source: billing.SourcePIX, EndToEndID: n.EndToEndID, Reference: n.TxID, Amount: n.Amount,
							PaidOn: paidOn, Reason: refusal.Code, Detail: fmt.Sprintf("grouped charge %d: %s", charge, refusal.Error())})
						continue
					}
					for _, m := range members {
						in, matched = append(in, m), append(matched, i)
					}
					continue
				}
			}
			if !ok {
				exc.add(PaymentException{Source: billing.SourcePIX, EndToEndID: n.EndToEndID, Reference: n.TxID, Amount: n.Amount,
					PaidOn: paidOn, Reason: records.ExceptionUnknownReference,
					Detail: fmt.Sprintf("txid %q is not one of the business's (prefix and installment id)", n.TxID)})
				continue
			}
			in = append(in, PaymentIn{InstallmentID: id, Amount: n.Amount, PaidOn: paidOn, Source: billing.SourcePIX,
				Reference: "pix:" + n.EndToEndID})
			matched = append(matched, i)
		}
		results, err := s.recordPayments(ctx, tx, now, billing.DateOf(now, loc), loc.String(), in)
		if err != nil {
			return err
		}
		for j, r := range results {
			switch {
			case r.Duplicate:
				out.Duplicates++
			case r.Refused != nil:
				n := ns[matched[j]]
				var inst int64
				if r.Refused.Code != billing.RefusedUnknownInstallment {
					inst = in[j].InstallmentID
				}
				exc.add(PaymentException{Source: billing.SourcePIX, EndToEndID: n.EndToEndID, Reference: n.TxID, InstallmentID: inst,
					Amount: n.Amount, PaidOn: in[j].PaidOn, Reason: r.Refused.Code, Detail: r.Refused.Error()})
			default:
				out.Recorded++
			}
		}
		listed, err := exc.insert(ctx, tx)
		out.Exceptions = int(listed)
		return err
	})
	if err != nil {
		return PixOutcome{}, fmt.Errorf("record %d PIX notifications: %w", len(ns), err)
	}
	return out, nil
}
