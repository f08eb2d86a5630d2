package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

const contractColumns = `c.id, c.customer_id, c.plan_id, c.price, c.adhesion_date, c.wait_activation, c.activation_date,
	c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift, c.billing_method, c.payment_method, c.card_installments,
	c.discount, c.on_time_discount, c.adhesion_fee, c.adhesion_installments, c.generate_now, c.auto_renew,
	c.ignore_auto_renewal, c.renewal_price_mode, c.suggested_price, c.status, c.term_number, c.term_end,
	c.cancelled_on, c.created_at, c.blocking_rule_id, c.inactivity_discount, c.allow_credit, c.late_fine_percent,
	c.monthly_interest_percent, coalesce(c.end_reason, ''), c.ended_on,
	coalesce((SELECT r.code FROM cancellation_reasons r WHERE r.id = c.cancel_reason_id), ''), c.activate_on_first_payment,
	c.activation_deadline`

func scanContract(row pgx.Row) (billing.Contract, error) {
	var c billing.Contract
	var activation, termEnd, cancelled, ended, deadline pgtype.Date
	err := row.Scan(&c.ID, &c.CustomerID, &c.PlanID, &c.Price, &c.AdhesionDate, &c.WaitActivation, &activation,
		&c.Rule.Kind, &c.Rule.Day, &c.Rule.Shift, &c.BillingMethod, &c.PaymentMethod, &c.CardInstallments,
		&c.Discount, &c.OnTimeDiscount, &c.AdhesionFee, &c.AdhesionInstallments, &c.GenerateNow, &c.AutoRenew,
		&c.IgnoreAutoRenewal, &c.RenewalPriceMode, &c.SuggestedPrice, &c.Status, &c.TermNumber, &termEnd,
		&cancelled, &c.CreatedAt, &c.BlockingRuleID, &c.InactivityDiscount, &c.AllowCredit, &c.Late.FinePercent,
		&c.Late.MonthlyInterestPercent, &c.EndReason, &ended, &c.CancelReason, &c.ActivateOnFirstPayment, &deadline)
	c.ActivationDate, c.TermEnd, c.CancelledOn, c.EndedOn = optDate(activation), optDate(termEnd), optDate(cancelled), optDate(ended)
	c.ActivationDeadline = optDate(deadline)
	return c, err
}

// CreateContract validates a contract against its plan and stores it; with usePlanPrice the
// contract takes the plan's price. Unknown customer or plan ids are field errors. With a
// welcome option it records the contract's welcome notice and hands it to the follow-ups in
// the contract's transaction: no contract without its e-mail, no e-mail without its contract.
func (s *Store) CreateContract(ctx context.Context, c billing.Contract, usePlanPrice bool, welcome *Welcome) (billing.Contract, error) {
	var out billing.Contract
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		plan, generationDue, err := checkNewContract(ctx, tx, &c, usePlanPrice)
		if err != nil {
			return err
		}
		var day *int
		if c.Rule.Day != 0 {
			day = &c.Rule.Day
		}
		out, err = scanContract(tx.QueryRow(ctx, `INSERT INTO contracts AS c (customer_id, plan_id, price, adhesion_date,
				wait_activation, activation_date, due_rule_kind, due_day, due_shift, billing_method, payment_method,
				card_installments, discount, on_time_discount, adhesion_fee, adhesion_installments, generate_now,
				auto_renew, ignore_auto_renewal, renewal_price_mode, suggested_price, status, term_number, generation_due_on,
				blocking_rule_id, inactivity_discount, allow_credit, late_fine_percent, monthly_interest_percent,
				activate_on_first_payment, activation_deadline)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
				$25, $26, $27, $28, $29, $30, $31)
			RETURNING `+contractColumns,
			c.CustomerID, c.PlanID, c.Price, c.AdhesionDate, c.WaitActivation, date(c.ActivationDate), c.Rule.Kind, day,
			c.Rule.EffectiveShift(), c.BillingMethod, c.PaymentMethod, c.CardInstallments, c.Discount, c.OnTimeDiscount,
			c.AdhesionFee, c.AdhesionInstallments, c.GenerateNow, c.AutoRenew, c.IgnoreAutoRenewal, c.RenewalPriceMode,
			c.SuggestedPrice, c.Status, c.TermNumber, date(generationDue), c.BlockingRuleID, c.InactivityDiscount, c.AllowCredit,
			c.Late.FinePercent, c.Late.MonthlyInterestPercent, c.ActivateOnFirstPayment, date(s.activationDeadline(c))))
		if err != nil {
			return fmt.Errorf("create contract: %w", err)
		}
		if out.Status == billing.StatusActive {
			if _, err := recordEvents(ctx, tx, []NewEvent{activatedEvent(out)}); err != nil {
				return err
			}
		}
		if err := issueFirstInstallment(ctx, tx, out, plan); err != nil {
			return err
		}
		if welcome == nil {
			return nil
		}
		id, err := InsertWelcome(ctx, tx, out, *welcome)
		if err != nil {
			return err
		}
		return noticesRecorded(ctx, tx, s.FollowUps, []int64{id})
	})
	return out, err
}

// Contract returns the contract with the given id, with its paid-through date.
func (s *Store) Contract(ctx context.Context, id int64) (billing.Contract, error) {
	c, err := scanContract(s.Pool.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1", id))
	if err := notFound(err, "contract", id); err != nil {
		return billing.Contract{}, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT sequence, service_end, state = 'paid' FROM installments
		WHERE contract_id = $1 AND kind = 'recurring'`, id)
	if err != nil {
		return billing.Contract{}, fmt.Errorf("read installments of contract %d: %w", id, err)
	}
	states, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.PaidState, error) {
		var p billing.PaidState
		var end pgtype.Date
		err := r.Scan(&p.Sequence, &end, &p.Paid)
		p.ServiceEnd = optDate(end)
		return p, err
	})
	if err != nil {
		return billing.Contract{}, fmt.Errorf("read installments of contract %d: %w", id, err)
	}
	if through, ok := billing.PaidThrough(states); ok {
		c.PaidThrough = through
	}
	cs := []billing.Contract{c}
	if err := fillRenewalStates(ctx, s.Pool, cs); err != nil {
		return billing.Contract{}, err
	}
	return cs[0], nil
}

// Contracts lists contracts by id.
func (s *Store) Contracts(ctx context.Context, f ContractFilter, page Page) ([]billing.Contract, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+contractColumns+` FROM contracts c
		WHERE c.id > $1 AND ($2::bigint = 0 OR c.customer_id = $2) AND ($3 = '' OR c.status = $3) ORDER BY c.id LIMIT $4`,
		page.After, f.CustomerID, f.Status, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list contracts: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Contract, error) { return scanContract(r) })
	if err != nil {
		return nil, err
	}
	return cs, fillRenewalStates(ctx, s.Pool, cs)
}

// ActivateContract activates a contract waiting for activation on the given date, from
// which its recurring installments are generated.
func (s *Store) ActivateContract(ctx context.Context, id int64, on time.Time) (billing.Contract, error) {
	return s.changeContract(ctx, id, func(tx pgx.Tx, c billing.Contract) error {
		if c.Status != billing.StatusPendingActivation {
			return fmt.Errorf("%w: contract %d is %s, only a contract pending activation can be activated", billing.ErrConflict, id, c.Status)
		}
		if on.Before(c.AdhesionDate) {
			return billing.Fieldf("date", "must not be before the adhesion date %s", billing.FormatDate(c.AdhesionDate))
		}
		if _, err := tx.Exec(ctx, `UPDATE contracts SET status = 'active', activation_date = $2, updated_at = now(),
				generation_due_on = CASE WHEN billing_method = 'no_billing' THEN NULL
					ELSE least(coalesce(generation_due_on, $2), $2) END
			WHERE id = $1`, id, on); err != nil {
			return fmt.Errorf("activate contract %d: %w", id, err)
		}
		c.Status, c.ActivationDate = billing.StatusActive, on
		_, err := recordEvents(ctx, tx, []NewEvent{activatedEvent(c)})
		return err
	})
}

// activatedEvent is the contract.activated event of a contract just made active (subject
// contract:<id>, on its activation date).
func activatedEvent(c billing.Contract) NewEvent {
	return NewEvent{Kind: records.EventContractActivated, ContractID: c.ID, Subject: fmt.Sprintf("contract:%d", c.ID),
		OccurredOn: cmp.Or(c.ActivationDate, c.AdhesionDate), Payload: map[string]any{"customer_id": c.CustomerID, "plan_id": c.PlanID,
			"activation_date": billing.FormatDate(c.ActivationDate), "price": billing.FormatMoney(c.Price)}}
}

// CancelContract cancels a contract as of a date for a reason of the catalogue (see
// CancellationReasonRef; none when the reason is optional and not given): it stops
// generating installments, its open installments due after that date are cancelled (what
// was already due stays owed), an open block episode ends on that date with the reason
// "cancelled", and the contract leaves the collection ladder (end_reason cancelled).
func (s *Store) CancelContract(ctx context.Context, id int64, on time.Time, reason records.CancellationReasonRef) (billing.Contract, error) {
	return s.changeContract(ctx, id, func(tx pgx.Tx, c billing.Contract) error {
		if c.Status == billing.StatusCancelled || c.Status == billing.StatusFinished {
			return fmt.Errorf("%w: contract %d is already %s", billing.ErrConflict, id, c.Status)
		}
		reasonID, err := resolveCancellationReason(ctx, tx, reason)
		if err != nil {
			return err
		}
		return cancelContractTx(ctx, tx, id, on, reasonID)
	})
}

// cancelContractTx is CancelContract's change, the contract locked by the caller.
func cancelContractTx(ctx context.Context, tx pgx.Tx, id int64, on time.Time, reasonID *int64) error {
	if _, err := tx.Exec(ctx, `UPDATE contracts SET status = 'cancelled', cancelled_on = $2, generation_due_on = NULL,
			end_reason = 'cancelled', ended_on = $2, ladder_step = 'none', ladder_step_since = NULL, ladder_notice_id = NULL,
			cancel_reason_id = $3, updated_at = now() WHERE id = $1`, id, on, reasonID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE installments SET state = 'cancelled'
		WHERE contract_id = $1 AND state = 'open' AND due_date > $2`, id, on); err != nil {
		return err
	}
	// Its changes still scheduled (a plan change for a later date) will never apply.
	if _, err := tx.Exec(ctx, `UPDATE contract_changes SET status = 'cancelled', cancelled_at = now()
		WHERE contract_id = $1 AND status = 'scheduled'`, id); err != nil {
		return fmt.Errorf("cancel the scheduled changes of contract %d: %w", id, err)
	}
	// A blocked contract's episode ends with the contract: no inactivity discount, no unblock.
	_, err := tx.Exec(ctx, `WITH ended AS (
			UPDATE block_episodes SET ended_on = greatest($2, started_on), end_reason = $3
			WHERE contract_id = $1 AND ended_on IS NULL RETURNING id, ended_on)
		UPDATE block_segments s SET blocked_to = greatest(ended.ended_on, s.blocked_from)
		FROM ended WHERE s.episode_id = ended.id AND s.blocked_to IS NULL`, id, on, records.EndedByCancellation)
	return err
}

// changeContract locks a contract (before any of its rows, see the lock order in doc.go),
// applies change in the same transaction and returns the contract as it is afterwards.
func (s *Store) changeContract(ctx context.Context, id int64, change func(pgx.Tx, billing.Contract) error) (billing.Contract, error) {
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		c, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1 FOR NO KEY UPDATE", id))
		if err := notFound(err, "contract", id); err != nil {
			return err
		}
		return change(tx, c)
	})
	if err != nil {
		return billing.Contract{}, err
	}
	return s.Contract(ctx, id)
}

// checkNewContract validates a contract about to be created (or simulated) against its
// customer, plan and blocking rule, the way CreateContract does: a missing customer, plan or
// rule and a rule broken are *billing.FieldError. With usePlanPrice the contract takes its
// plan's price. It fills what billing.Contract.Prepare fills and returns the contract's plan
// and its first generation date.
func checkNewContract(ctx context.Context, tx pgx.Tx, c *billing.Contract, usePlanPrice bool) (billing.Plan, time.Time, error) {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)", c.CustomerID).Scan(&exists); err != nil {
		return billing.Plan{}, time.Time{}, fmt.Errorf("look up customer: %w", err)
	}
	if !exists {
		return billing.Plan{}, time.Time{}, billing.Fieldf("customer_id", "no customer with id %d", c.CustomerID)
	}
	plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", c.PlanID))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Plan{}, time.Time{}, billing.Fieldf("plan_id", "no plan with id %d", c.PlanID)
	}
	if err != nil {
		return billing.Plan{}, time.Time{}, fmt.Errorf("look up plan: %w", err)
	}
	// The contract's rule (or the default one) and what its compliance profile asks of
	// a contract (telecom_rgc765: the inactivity discount).
	var profile string
	err = tx.QueryRow(ctx, `SELECT profile FROM blocking_rules WHERE CASE WHEN $1::bigint IS NULL THEN is_default ELSE id = $1 END`,
		c.BlockingRuleID).Scan(&profile)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && c.BlockingRuleID != nil:
		return billing.Plan{}, time.Time{}, billing.Fieldf("blocking_rule_id", "no blocking rule with id %d", *c.BlockingRuleID)
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return billing.Plan{}, time.Time{}, fmt.Errorf("look up blocking rule: %w", err)
	default:
		p, err := delinquency.ProfileOf(profile)
		if err != nil {
			return billing.Plan{}, time.Time{}, err
		}
		if err := p.CheckContract(c.InactivityDiscount); err != nil {
			return billing.Plan{}, time.Time{}, err
		}
		// telecom_rgc765 caps interest at 1% a month (RGC 765/2023 art. 78).
		if err := p.CheckLateRule(billing.ResolveLateRule(c.Late, plan.Late)); err != nil {
			return billing.Plan{}, time.Time{}, err
		}
	}
	if usePlanPrice {
		c.Price = plan.Price
	}
	generationDue, err := c.Prepare(plan)
	if err != nil {
		return billing.Plan{}, time.Time{}, err
	}
	return plan, generationDue, nil
}
