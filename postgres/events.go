package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// NewEvent is an event a transaction records with the change it makes: its kind
// (records.Event*), the contract, the business identity of the change (subject_key, such as
// "installment:123"), its business date and its payload.
type NewEvent struct {
	Kind       string
	ContractID int64
	Subject    string
	OccurredOn time.Time
	Payload    any
}

// recordEvents writes events in the caller's transaction with one statement; an event whose
// (kind, subject) is already recorded is skipped, so a rerun records nothing twice. Set-based
// sweeps may instead write their events inside their own statements (INSERT INTO events
// (kind, contract_id, subject_key, occurred_on, payload) SELECT … ON CONFLICT (kind,
// subject_key) DO NOTHING); both are the same row.
func recordEvents(ctx context.Context, tx pgx.Tx, events []NewEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	kinds := make([]string, len(events))
	contracts := make([]int64, len(events))
	subjects := make([]string, len(events))
	days := make([]pgtype.Date, len(events))
	payloads := make([]string, len(events))
	for i, e := range events {
		payload := e.Payload
		if payload == nil {
			payload = map[string]any{}
		}
		b, err := json.Marshal(payload)
		if err != nil {
			return 0, fmt.Errorf("event %s %s: payload: %w", e.Kind, e.Subject, err)
		}
		kinds[i], contracts[i], subjects[i], days[i], payloads[i] = e.Kind, e.ContractID, e.Subject, date(e.OccurredOn), string(b)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
		SELECT k, c, s, d, p::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::date[], $5::text[]) AS u(k, c, s, d, p)
		ON CONFLICT (kind, subject_key) DO NOTHING`, kinds, contracts, subjects, days, payloads)
	if err != nil {
		return 0, fmt.Errorf("record %d events: %w", len(events), err)
	}
	return tag.RowsAffected(), nil
}

// paidEvents are the installment.paid events of the installments a batch of payments
// settled, each with the payment that settled it, as columns.
type paidEvents struct {
	installment, contract, payment     []int64
	paidOn                             []pgtype.Date
	paidOnText, paid, amount, discount []string
	dueDate                            []string
}

// add adds the event of installment inst, just settled (paid) by payment: subject
// payment:<id> (an installment reopened by a reversal may be paid again), on its settlement
// date, with its payment, date paid, amounts and due date in the payload.
func (e *paidEvents) add(inst Installment, payment int64) {
	var paid decimal.Decimal
	if inst.PaidAmount != nil {
		paid = *inst.PaidAmount
	}
	e.installment, e.contract, e.payment = append(e.installment, inst.ID), append(e.contract, inst.ContractID), append(e.payment, payment)
	e.paidOn, e.paidOnText = append(e.paidOn, date(inst.PaidAt)), append(e.paidOnText, billing.FormatDate(inst.PaidAt))
	e.paid, e.amount = append(e.paid, billing.FormatMoney(paid)), append(e.amount, billing.FormatMoney(inst.Amount))
	e.discount, e.dueDate = append(e.discount, billing.FormatMoney(inst.Discount)), append(e.dueDate, billing.FormatDate(inst.DueDate))
}

// insert writes the events in one statement that builds their payloads from the columns (the
// same rows as recordEvents of the same payloads, without encoding and parsing 5,000 JSON
// texts a chunk of a return file). Their subjects name payments taken from the sequence in
// this transaction, so none is recorded yet: a plain insert, a conflict is an error.
func (e *paidEvents) insert(ctx context.Context, tx pgx.Tx) error {
	if len(e.installment) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
		SELECT $1, u.contract, 'payment:' || u.payment, u.paid_on, jsonb_build_object('installment_id', u.installment,
			'payment_id', u.payment, 'paid_on', u.paid_on_text, 'paid_amount', u.paid, 'amount', u.amount, 'discount', u.discount,
			'due_date', u.due_date)
		FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::date[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
			AS u(installment, contract, payment, paid_on, paid_on_text, paid, amount, discount, due_date)`,
		records.EventInstallmentPaid, e.installment, e.contract, e.payment, e.paidOn, e.paidOnText, e.paid, e.amount, e.discount,
		e.dueDate); err != nil {
		return fmt.Errorf("record %d installment.paid events: %w", len(e.installment), err)
	}
	return nil
}
