package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// ChangeDueDateRule gives a contract a new due-date rule from req.EffectiveOn, at once: its
// open recurring installments from the first one due after that day (whose due date under
// the new rule also falls after it) are re-dated with generation's code
// (billing.RecurringAt: the rule, its shift over the banking calendar), and the contract's
// rule columns and service anchor change so that renewal and generation follow. Paid
// installments keep their dates. The days the first moved period starts later (or earlier)
// are prorated on it (billing.DueChangeProration, settings.DueChangeProration), for the
// contract's plan and for each subject's plan and add-on the installment bills. A second
// change within settings.DueChangeMinDays of the last is a conflict naming the day the next
// is allowed; the same request again returns the change it made and applies nothing.
func (s *Store) ChangeDueDateRule(ctx context.Context, contractID int64, req records.DueRuleChange, settings records.ChangeSettings) (records.ContractChange, error) {
	var out records.ContractChange
	err := s.withChangedContract(ctx, contractID, func(tx pgx.Tx, st changeState) error {
		if req.EffectiveOn.Before(req.Today) {
			return billing.Fieldf("effective_on", "%s is in the past (today is %s)", billing.FormatDate(req.EffectiveOn), billing.FormatDate(req.Today))
		}
		newRule := req.Rule
		if newRule.Shift == "" {
			newRule.Shift = billing.ShiftNext
		}
		oldRule := st.c.Rule
		if oldRule.Shift == "" {
			oldRule.Shift = billing.ShiftNext
		}
		to := map[string]any{"due_date_rule": newRule}
		ch := records.ContractChange{ContractID: contractID, Kind: billing.ChangeDueDay, RequestedOn: req.Today,
			EffectiveOn: req.EffectiveOn, From: map[string]any{"due_date_rule": oldRule, "service_anchor": billing.FormatDate(st.anchor)},
			To: to, Status: billing.ChangeApplied, AppliedOn: req.Today, Actor: req.Actor, Reason: req.Reason}
		if newRule == oldRule {
			// The same request again finds its change; anything else asking for the rule in force is refused.
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM contract_changes WHERE contract_id = $1 AND kind = 'due_day'
				AND effective_on = $2 AND status = 'applied'`, contractID, req.EffectiveOn).Scan(&id)
			if err == nil {
				out, err = scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes WHERE id = $1`, id))
				return err
			}
			return billing.Fieldf("due_date_rule", "is contract %d's rule already", contractID)
		}
		if err := checkDueChangeLimit(ctx, tx, contractID, req.Today, settings.DueChangeMinDays); err != nil {
			return err
		}
		rec, created, err := insertChange(ctx, tx, ch, func(old map[string]any) bool { return sameKeys(old, to, "due_date_rule") })
		if err != nil || !created {
			out = rec
			return err
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		all, err := recurringOf(ctx, tx, []int64{contractID})
		if err != nil {
			return err
		}
		newSpec := st.spec()
		newSpec.Rule, newSpec.Start = newRule, billing.DueChangeAnchor(st.anchor, newRule)
		var r redates
		first := true
		extra := map[string]any{"service_anchor": billing.FormatDate(newSpec.Start), "redated": 0}
		for _, it := range all[contractID] {
			if it.state != "open" || !it.nominal.After(req.EffectiveOn) {
				continue
			}
			next, ok := billing.RecurringAt(newSpec, it.sequence, cal)
			if !ok {
				return fmt.Errorf("contract %d: no installment %d under the new rule", contractID, it.sequence)
			}
			if first && !next.NominalDue.After(req.EffectiveOn) {
				continue // its new due date would fall on or before the effective day: it keeps its old one
			}
			next.Amount = it.planAmount
			r.add(it, next)
			if first {
				first = false
				p := billing.DueChangeProration(settings.DueChangeProration, st.c.Price, it.start, it.end, next.ServiceStart)
				pr := map[string]any{"installment_id": it.id, "days": p.Days, "period_days": p.PeriodDays,
					"amount": billing.FormatMoney(p.Amount), "mode": string(settings.DueChangeProration)}
				extra["proration"] = pr
				if !p.Amount.IsZero() {
					r.proration = append(r.proration, NewLine{InstallmentID: it.id, Line: billing.Line{Kind: billing.LineProration,
						SourceKey: fmt.Sprintf("change:%d", rec.ID), Quantity: decimalInt(abs(p.Days)), Amount: p.Amount,
						Description: fmt.Sprintf("due day change %d: service from %s instead of %s, %d days of %d at %s",
							rec.ID, billing.FormatDate(next.ServiceStart), billing.FormatDate(it.start), p.Days, p.PeriodDays,
							billing.FormatMoney(st.c.Price))}})
				}
				covered, err := coveredLines(ctx, tx, it.id)
				if err != nil {
					return err
				}
				if len(covered) > 0 {
					total, items := p.Amount, []map[string]any{}
					for _, l := range covered {
						lp := billing.DueChangeProration(settings.DueChangeProration, l.Amount, it.start, it.end, next.ServiceStart)
						items = append(items, map[string]any{"source_key": l.SourceKey, "price": billing.FormatMoney(l.Amount),
							"amount": billing.FormatMoney(lp.Amount)})
						total = total.Add(lp.Amount)
						if lp.Amount.IsZero() {
							continue
						}
						r.proration = append(r.proration, NewLine{InstallmentID: it.id, Line: billing.Line{Kind: billing.LineProration,
							SourceKey: fmt.Sprintf("change:%d:%s", rec.ID, l.SourceKey), Quantity: decimalInt(abs(lp.Days)), Amount: lp.Amount,
							Description: fmt.Sprintf("due day change %d: %s, service from %s instead of %s, %d days of %d at %s",
								rec.ID, l.Description, billing.FormatDate(next.ServiceStart), billing.FormatDate(it.start), lp.Days,
								lp.PeriodDays, billing.FormatMoney(l.Amount))}})
					}
					pr["plan_amount"], pr["covered"], pr["amount"] = billing.FormatMoney(p.Amount), items, billing.FormatMoney(total)
				}
			}
		}
		extra["redated"] = len(r.items)
		r.contracts = []int64{contractID}
		r.by(records.RedateDueDayChange, contractID, rec.ID)
		if _, err := tx.Exec(ctx, `UPDATE contracts SET due_rule_kind = $2, due_day = nullif($3, 0), due_shift = $4,
				service_anchor = $5, updated_at = now() WHERE id = $1`,
			contractID, newRule.Kind, newRule.Day, newRule.Shift, newSpec.Start); err != nil {
			return fmt.Errorf("change contract %d's due-date rule: %w", contractID, err)
		}
		if err := r.write(ctx, tx); err != nil {
			return err
		}
		if out, err = scanChange(tx.QueryRow(ctx, `UPDATE contract_changes SET to_value = to_value || $2 WHERE id = $1
			RETURNING `+changeColumns, rec.ID, extra)); err != nil {
			return fmt.Errorf("record change %d: %w", rec.ID, err)
		}
		return nil
	})
	return out, err
}

// checkDueChangeLimit refuses a due-day change asked fewer than minDays days after the
// contract's last applied one, naming the day the next is allowed.
func checkDueChangeLimit(ctx context.Context, tx pgx.Tx, contractID int64, today time.Time, minDays int) error {
	if minDays <= 0 {
		return nil
	}
	var last time.Time
	var id int64
	err := tx.QueryRow(ctx, `SELECT id, requested_on FROM contract_changes WHERE contract_id = $1 AND kind = 'due_day'
		AND status = 'applied' ORDER BY requested_on DESC, id DESC LIMIT 1`, contractID).Scan(&id, &last)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read contract %d's last due-day change: %w", contractID, err)
	}
	next := last.AddDate(0, 0, minDays)
	if today.Before(next) {
		return fmt.Errorf("%w: due_date_rule: contract %d changed its due day on %s (change %d); the next change is allowed from %s (BILLINGD_DUE_CHANGE_MIN_DAYS is %d)",
			billing.ErrConflict, contractID, billing.FormatDate(last), id, billing.FormatDate(next), minDays)
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// coveredLines reads what installment id bills for its service period besides the contract's
// plan: its subjects' plan lines and its add-ons' lines (kinds subject_plan and addon), in
// source order, each with its description up to the service period it names.
func coveredLines(ctx context.Context, tx pgx.Tx, id int64) ([]billing.Line, error) {
	rows, err := tx.Query(ctx, `SELECT source_key, split_part(description, ', service ', 1), amount FROM installment_lines
		WHERE installment_id = $1 AND kind IN ('subject_plan', 'addon') AND amount > 0 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read the subjects' and add-ons' lines of installment %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Line, error) {
		var l billing.Line
		err := r.Scan(&l.SourceKey, &l.Description, &l.Amount)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the subjects' and add-ons' lines of installment %d: %w", id, err)
	}
	return out, nil
}
