package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// ChangePlan moves a contract to another plan (its price) from a day: now, a date, or the
// day after the term's end; without one an upgrade (a higher price) takes effect now and a
// downgrade at the term's end. A change effective today is applied at once; a later one is
// scheduled (shown on the contract, cancellable) and applied by generate-installments on its
// day (applyPlanChanges). Refused, writing nothing: an unknown plan, the plan in force, a
// package or another period (422 plan_id), a price below the current plan's minimum price
// (422 plan_id), a day in the past (422 effective), a second scheduled plan change (409).
func (s *Store) ChangePlan(ctx context.Context, contractID int64, req records.PlanChange) (records.ContractChange, error) {
	var out records.ContractChange
	err := s.withChangedContract(ctx, contractID, func(tx pgx.Tx, st changeState) error {
		to, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", req.PlanID))
		if errors.Is(err, pgx.ErrNoRows) {
			return billing.Fieldf("plan_id", "no plan with id %d", req.PlanID)
		}
		if err != nil {
			return fmt.Errorf("look up plan %d: %w", req.PlanID, err)
		}
		switch {
		case to.ID == st.plan.ID:
			return billing.Fieldf("plan_id", "contract %d is already on plan %d", contractID, to.ID)
		case to.Kind != billing.KindPlan || st.plan.Kind != billing.KindPlan:
			return billing.Fieldf("plan_id", "a package's contract cannot change plan, nor move to a package (plan %d is a %s)", to.ID, to.Kind)
		case to.Period != st.plan.Period:
			return billing.Fieldf("plan_id", "plan %d is %s and the contract's plan %d is %s: a plan change keeps the period",
				to.ID, to.Period, st.plan.ID, st.plan.Period)
		case st.plan.MinPrice != nil && to.Price.LessThan(*st.plan.MinPrice):
			return billing.Fieldf("plan_id", "plan %d's price %s is below the minimum price %s of the contract's plan %d",
				to.ID, billing.FormatMoney(to.Price), billing.FormatMoney(*st.plan.MinPrice), st.plan.ID)
		case st.c.Discount.Add(st.c.OnTimeDiscount).GreaterThan(to.Price):
			return billing.Fieldf("plan_id", "the contract's discount and on-time discount exceed plan %d's price %s",
				to.ID, billing.FormatMoney(to.Price))
		}
		// The contract's rule's profile reads the interest the contract would take from the plan.
		if err := checkContractLateSettings(ctx, tx, st.c, to); err != nil {
			var fe *billing.FieldError
			if errors.As(err, &fe) {
				return billing.Fieldf("plan_id", "plan %d: %s", to.ID, fe.Error())
			}
			return err
		}
		mode := req.Effective
		if mode == "" {
			mode = records.EffectiveTermEnd
			if billing.IsUpgrade(st.c.Price, to.Price) {
				mode = records.EffectiveNow
			}
		}
		var eff time.Time
		switch mode {
		case records.EffectiveNow:
			eff = req.Today
		case records.EffectiveTermEnd:
			if st.c.TermEnd.IsZero() {
				return fmt.Errorf("%w: contract %d has no term end yet: give the date", billing.ErrConflict, contractID)
			}
			eff = st.c.TermEnd.AddDate(0, 0, 1)
		default:
			eff = req.On
			if eff.Before(req.Today) {
				return billing.Fieldf("effective", "%s is in the past (today is %s): a period already billed is not changed",
					billing.FormatDate(eff), billing.FormatDate(req.Today))
			}
		}
		var waiting int64
		err = tx.QueryRow(ctx, `SELECT id FROM contract_changes WHERE contract_id = $1 AND kind = 'plan' AND status = 'scheduled'
			AND effective_on <> $2`, contractID, eff).Scan(&waiting)
		if err == nil {
			return fmt.Errorf("%w: contract %d already has plan change %d scheduled: cancel it first", billing.ErrConflict, contractID, waiting)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read contract %d's scheduled plan change: %w", contractID, err)
		}
		toValue := map[string]any{"plan_id": to.ID, "price": billing.FormatMoney(to.Price), "effective": mode}
		ch := records.ContractChange{ContractID: contractID, Kind: billing.ChangePlan, RequestedOn: req.Today, EffectiveOn: eff,
			From: map[string]any{"plan_id": st.plan.ID, "price": billing.FormatMoney(st.c.Price)}, To: toValue,
			Status: billing.ChangeScheduled, Actor: req.Actor, Reason: req.Reason}
		rec, created, err := insertChange(ctx, tx, ch, func(old map[string]any) bool { return sameKeys(old, toValue, "plan_id") })
		if err != nil || !created {
			out = rec
			return err
		}
		if eff.After(req.Today) {
			// generate-installments applies it on its day: the contract is due for it then.
			if _, err := tx.Exec(ctx, `UPDATE contracts SET generation_due_on = least(coalesce(generation_due_on, $2), $2)
				WHERE id = $1`, contractID, eff); err != nil {
				return fmt.Errorf("schedule contract %d's plan change: %w", contractID, err)
			}
			out = rec
			return nil
		}
		if err := applyPlanChanges(ctx, tx, req.Today, []pendingPlanChange{{id: rec.ID, contract: contractID, effective: eff}}); err != nil {
			return err
		}
		out, err = scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes WHERE id = $1`, rec.ID))
		return err
	})
	return out, err
}

// pendingPlanChange is a scheduled plan change due to be applied.
type pendingPlanChange struct {
	id, contract int64
	effective    time.Time
}

// applyScheduledChanges applies, for the contracts in [fromID, toID] the caller holds, the
// plan changes scheduled on or before asOf (generate-installments' batch, after it locked
// its contracts and wrote their installments). Level-triggered: an applied change is no
// longer scheduled, so a rerun finds nothing.
func applyScheduledChanges(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT ch.id, ch.contract_id, ch.effective_on FROM contract_changes ch
		JOIN contracts c ON c.id = ch.contract_id
		WHERE ch.status = 'scheduled' AND ch.kind = 'plan' AND ch.effective_on <= $1 AND ch.contract_id BETWEEN $2 AND $3
			AND c.status IN ('active', 'suspended_partial', 'blocked')
		ORDER BY ch.contract_id`, asOf, fromID, toID)
	if err != nil {
		return 0, fmt.Errorf("read scheduled plan changes: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pendingPlanChange, error) {
		var p pendingPlanChange
		err := r.Scan(&p.id, &p.contract, &p.effective)
		return p, err
	})
	if err != nil {
		return 0, fmt.Errorf("read scheduled plan changes: %w", err)
	}
	if len(due) == 0 {
		return 0, nil
	}
	return int64(len(due)), applyPlanChanges(ctx, tx, asOf, due)
}

// applyPlanChanges applies plan changes, set-based: one read of the contracts and their new
// plans, one of their recurring installments, then one statement per kind of write (the
// installments' plan lines re-priced from the effective day, the proration lines, the
// contracts, the changes). The open recurring installments whose service starts on or after
// the effective day take the new price; the period holding the effective day is prorated
// (billing.PlanChangeProration) on the first re-priced installment (or on its own when it
// is open and none follows). The contract takes the new plan and its price and is flagged
// for renew-contracts (the new plan's thresholds). The caller holds the contracts.
func applyPlanChanges(ctx context.Context, tx pgx.Tx, on time.Time, due []pendingPlanChange) error {
	ids := make([]int64, len(due))
	changeIDs := make([]int64, len(due))
	for i, p := range due {
		ids[i], changeIDs[i] = p.contract, p.id
	}
	type target struct {
		plan            int64
		price, oldPrice decimal.Decimal
		name            string
	}
	rows, err := tx.Query(ctx, `SELECT ch.id, p.id, p.price, c.price, p.name FROM contract_changes ch
		JOIN contracts c ON c.id = ch.contract_id
		JOIN plans p ON p.id = (ch.to_value->>'plan_id')::bigint
		WHERE ch.id = ANY($1)`, changeIDs)
	if err != nil {
		return fmt.Errorf("read the plans of %d plan changes: %w", len(due), err)
	}
	targets := map[int64]target{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var t target
		err := r.Scan(&id, &t.plan, &t.price, &t.oldPrice, &t.name)
		targets[id] = t
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("read the plans of %d plan changes: %w", len(due), err)
	}
	all, err := recurringOf(ctx, tx, ids)
	if err != nil {
		return err
	}
	var (
		r                redates
		planIDs          []int64
		prices           []decimal.Decimal
		onDays           []pgtype.Date
		extras           []map[string]any
		appliedContracts []int64
	)
	for _, p := range due {
		t := targets[p.id]
		extra := map[string]any{"repriced": 0}
		var (
			period  *openRecurring
			carrier *openRecurring
			n       int
		)
		for i := range all[p.contract] {
			it := &all[p.contract][i]
			if !it.start.After(p.effective) && !it.end.Before(p.effective) {
				period = it
			}
			if it.state != "open" || it.start.Before(p.effective) {
				continue
			}
			to := billing.ScheduledInstallment{ServiceStart: it.start, ServiceEnd: it.end, NominalDue: it.nominal,
				EffectiveDue: it.due, Amount: t.price}
			r.add(*it, to)
			n++
			if carrier == nil {
				carrier = it
			}
		}
		extra["repriced"] = n
		if period != nil && period.start.Before(p.effective) {
			pr := billing.PlanChangeProration(t.oldPrice, t.price, p.effective, period.start, period.end)
			if carrier == nil && period.state == "open" {
				carrier = period
			}
			info := map[string]any{"days": pr.Days, "period_days": pr.PeriodDays, "amount": billing.FormatMoney(pr.Amount),
				"period_start": billing.FormatDate(period.start), "period_end": billing.FormatDate(period.end)}
			switch {
			case pr.Amount.IsZero():
			case carrier == nil:
				info["not_billed"] = "no open installment follows the effective day"
			default:
				info["installment_id"] = carrier.id
				r.proration = append(r.proration, NewLine{InstallmentID: carrier.id, Line: billing.Line{Kind: billing.LineProration,
					SourceKey: fmt.Sprintf("change:%d", p.id), Quantity: decimalInt(pr.Days), Amount: pr.Amount,
					Description: fmt.Sprintf("plan change %d to %s from %s: %d days of %d at the difference %s",
						p.id, t.name, billing.FormatDate(p.effective), pr.Days, pr.PeriodDays, billing.FormatMoney(t.price.Sub(t.oldPrice)))}})
			}
			extra["proration"] = info
		}
		r.by(records.RedatePlanChange, p.contract, p.id)
		planIDs, prices = append(planIDs, t.plan), append(prices, t.price)
		onDays, extras = append(onDays, date(on)), append(extras, extra)
		appliedContracts = append(appliedContracts, p.contract)
	}
	r.contracts = appliedContracts
	if _, err := tx.Exec(ctx, `UPDATE contracts c SET plan_id = u.plan_id, price = u.price, renewal_check = true, updated_at = now()
		FROM unnest($1::bigint[], $2::bigint[], $3::numeric[]) AS u(id, plan_id, price) WHERE c.id = u.id`,
		appliedContracts, planIDs, prices); err != nil {
		return fmt.Errorf("move %d contracts to their new plans: %w", len(appliedContracts), err)
	}
	if err := r.write(ctx, tx); err != nil {
		return err
	}
	return markApplied(ctx, tx, changeIDs, onDays, extras)
}
