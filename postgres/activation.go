package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// DefaultActivationWaitDays is the default of BILLINGD_ACTIVATION_WAIT_DAYS.
const DefaultActivationWaitDays = 30

// activationDeadline is the last day a contract activated on its first payment waits for
// it (its adhesion date plus the store's wait), zero for any other contract.
func (s *Store) activationDeadline(c billing.Contract) time.Time {
	if !c.ActivateOnFirstPayment {
		return time.Time{}
	}
	days := s.ActivationWaitDays
	if days == 0 {
		days = DefaultActivationWaitDays
	}
	return c.AdhesionDate.AddDate(0, 0, days)
}

// issueFirstInstallment writes, with a new contract activated on its first payment and
// without an adhesion fee, its first recurring installment (billing.FirstInstallment) with
// its lines; a contract with an adhesion fee gets its adhesion installments from
// generate-installments at once (generate-now), and any other contract nothing here.
func issueFirstInstallment(ctx context.Context, tx pgx.Tx, c billing.Contract, plan billing.Plan) error {
	if !c.ActivateOnFirstPayment {
		return nil
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return err
	}
	it, ok := billing.FirstInstallment(generationState(c, plan), cal)
	if !ok {
		return nil
	}
	lines := billing.ScheduledLines(it, c.AdhesionInstallments)
	if plan.Kind == billing.KindPackage {
		// A multi-service package's first cycle is itemised, as the generation itemises it.
		services, err := contractPackageServices(ctx, tx, []int64{c.ID})
		if err != nil {
			return err
		}
		if svc := services[c.ID]; benefits.Itemised(svc) {
			lines = benefits.PackageCycleLines(it.Sequence, it.ServiceStart, it.Amount, it.Discount, svc)
		}
	}
	var ins installmentBatch
	ins.addLines(c.ID, it, c.OnTimeDiscount, lines)
	// Issued on the contract's adhesion date, the business day it is created.
	if _, err := ins.insert(ctx, tx, c.AdhesionDate); err != nil {
		return fmt.Errorf("issue the first installment of contract %d: %w", c.ID, err)
	}
	return nil
}

// generationState is what generation needs of a contract and its plan.
func generationState(c billing.Contract, plan billing.Plan) billing.GenerationState {
	return billing.GenerationState{Status: c.Status, BillingMethod: c.BillingMethod, Price: c.Price, Discount: c.Discount,
		AdhesionDate: c.AdhesionDate, ActivationDate: c.ActivationDate, Rule: c.Rule, Period: plan.Period,
		PerTerm: plan.InstallmentsPerTerm, AdhesionFee: c.AdhesionFee, AdhesionInstallments: c.AdhesionInstallments,
		GenerateNow: c.GenerateNow, TermNumber: c.TermNumber}
}

// activateOnFirstPayment activates, in the payment's transaction, each contract waiting
// for its first payment whose first installment (adhesion or recurring, sequence 1) the
// batch's payments settled: active from the installment's payment date (paid_at), so that
// generate-installments computes its service periods and later due dates from that day, and
// the first recurring installment's own service period is moved to start that day. The
// contracts are locked by the caller; the status test keys the change, so it happens once,
// and a contract.activated event records it. It returns how many contracts it activated.
func activateOnFirstPayment(ctx context.Context, tx pgx.Tx, installments []int64) (int64, error) {
	rows, err := tx.Query(ctx, `UPDATE contracts c SET status = 'active', activation_date = i.paid_at,
			generation_due_on = least(coalesce(c.generation_due_on, i.paid_at), i.paid_at), updated_at = now()
		FROM installments i
		WHERE i.id = ANY($1) AND i.state = 'paid' AND i.sequence = 1 AND c.id = i.contract_id
		  AND c.status = 'pending_activation' AND c.activate_on_first_payment
		RETURNING c.id, i.id, i.kind, i.paid_at`, installments)
	if err != nil {
		return 0, fmt.Errorf("activate contracts on their first payment: %w", err)
	}
	type activated struct {
		contract, installment int64
		kind                  string
		on                    time.Time
	}
	acts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (activated, error) {
		var a activated
		err := r.Scan(&a.contract, &a.installment, &a.kind, &a.on)
		return a, err
	})
	if err != nil {
		return 0, fmt.Errorf("activate contracts on their first payment: %w", err)
	}
	events := make([]NewEvent, 0, len(acts))
	for _, a := range acts {
		events = append(events, NewEvent{Kind: records.EventContractActivated, ContractID: a.contract,
			Subject: "contract:" + strconv.FormatInt(a.contract, 10), OccurredOn: a.on,
			Payload: map[string]any{"activation_date": billing.FormatDate(a.on), "first_installment_id": a.installment}})
		if a.kind != string(billing.Recurring) {
			continue
		}
		if err := restartFirstPeriod(ctx, tx, a.contract, a.installment, a.on); err != nil {
			return 0, err
		}
	}
	if _, err := recordEvents(ctx, tx, events); err != nil {
		return 0, err
	}
	return int64(len(acts)), nil
}

// restartFirstPeriod moves the service period of a contract's first recurring installment
// (issued before activation) to the one that starts on the activation date, with its plan
// line's description; its amount and due date stay as they were paid.
func restartFirstPeriod(ctx context.Context, tx pgx.Tx, contract, installment int64, on time.Time) error {
	c, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1", contract))
	if err != nil {
		return fmt.Errorf("read contract %d: %w", contract, err)
	}
	plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", c.PlanID))
	if err != nil {
		return fmt.Errorf("read plan %d: %w", c.PlanID, err)
	}
	start, end, ok := billing.ActivatedFirstPeriod(generationState(c, plan), on)
	if !ok {
		return nil
	}
	it := billing.ScheduledInstallment{Kind: billing.Recurring, Term: 1, Sequence: 1, ServiceStart: start, ServiceEnd: end,
		Amount: c.Price, Discount: c.Discount}
	description := ""
	for _, l := range billing.ScheduledLines(it, c.AdhesionInstallments) {
		if l.SourceKey == "plan" {
			description = l.Description
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE installments SET service_start = $2, service_end = $3 WHERE id = $1`,
		installment, start, end); err != nil {
		return fmt.Errorf("move the service period of installment %d: %w", installment, err)
	}
	if description == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE installment_lines SET description = $2 WHERE installment_id = $1 AND source_key = 'plan'`,
		installment, description); err != nil {
		return fmt.Errorf("describe the plan line of installment %d: %w", installment, err)
	}
	return nil
}

// waitingActivations is the plan query of the contracts activated on their first payment
// still waiting for it after their deadline (the activation_waiting index).
const waitingActivations = `SELECT id FROM contracts WHERE status = 'pending_activation' AND activation_deadline < $1`

// expireActivations cancels, as part of a generate-installments batch, the contracts of the
// batch's id range still waiting for their first payment after their deadline: cancelled the
// day after the deadline (whatever day the sweep runs, so a catch-up writes what an on-time
// run would have) for the catalogue's reason "not paid", their open installments cancelled
// (nothing was served), with an activation_expired notice handed to the follow-ups. Level-
// triggered and set-based: one statement for the contracts, one for their installments, one
// for the notices; a rerun finds none waiting. The caller holds the contracts' locks. It
// returns how many it cancelled.
func expireActivations(ctx context.Context, tx pgx.Tx, f FollowUps, asOf time.Time, fromID, toID int64) (int64, error) {
	rows, err := tx.Query(ctx, `UPDATE contracts c SET status = 'cancelled', cancelled_on = c.activation_deadline + 1,
			generation_due_on = NULL, end_reason = 'cancelled', ended_on = c.activation_deadline + 1,
			cancel_reason_id = (SELECT id FROM cancellation_reasons WHERE code = $4), updated_at = now()
		WHERE c.id BETWEEN $1 AND $2 AND c.status = 'pending_activation' AND c.activation_deadline < $3
		RETURNING c.id, c.activation_deadline`, fromID, toID, asOf, records.ReasonNotPaid)
	if err != nil {
		return 0, fmt.Errorf("cancel contracts still waiting for their first payment: %w", err)
	}
	var (
		ids       []int64
		deadlines []pgtype.Date
	)
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var d pgtype.Date
		err := r.Scan(&id, &d)
		ids, deadlines = append(ids, id), append(deadlines, d)
		return struct{}{}, err
	})
	if err != nil {
		return 0, fmt.Errorf("cancel contracts still waiting for their first payment: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE installments SET state = 'cancelled' WHERE contract_id = ANY($1) AND state = 'open'`,
		ids); err != nil {
		return 0, fmt.Errorf("cancel the installments of %d contracts not activated: %w", len(ids), err)
	}
	nrows, err := tx.Query(ctx, `INSERT INTO notices (contract_id, kind, reference)
		SELECT u.id, 'activation_expired', to_char(u.deadline, 'YYYY-MM-DD') FROM unnest($1::bigint[], $2::date[]) AS u(id, deadline)
		ON CONFLICT (contract_id, kind, reference) DO NOTHING RETURNING id`, ids, deadlines)
	if err != nil {
		return 0, fmt.Errorf("record the notices of %d contracts not activated: %w", len(ids), err)
	}
	notices, err := pgx.CollectRows(nrows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("record the notices of %d contracts not activated: %w", len(ids), err)
	}
	return int64(len(ids)), noticesRecorded(ctx, tx, f, notices)
}
