package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// pausePackage pauses package contract contractID (locked, st) for req.Months months from
// req.From: a package has no service periods to move (its installments pay for cycles, each
// created when its cycle opens), so the pause is its window, req.From to the day before
// req.From plus req.Months months, recorded on the contract, where benefit uses
// (refused as paused) and reset-benefit-quotas read it. When the plan sets cycle_months the
// cycle the window touches ends req.Months months later (benefits.CycleEndsOnPaused); the
// change records the current cycle's end before and after. Refused (409): an overdue
// installment, a pause starting fewer than settings.PauseMinMonths months after the last,
// and a second pause touching a dated cycle an earlier pause already moved (only the
// latest window is kept on the contract, so the earlier move would be lost).
func pausePackage(ctx context.Context, tx pgx.Tx, contractID int64, req records.PauseRequest, settings records.ChangeSettings,
	st changeState) (records.ContractChange, error) {
	all, err := recurringOf(ctx, tx, []int64{contractID})
	if err != nil {
		return records.ContractChange{}, err
	}
	for _, it := range all[contractID] {
		if it.state == "open" && it.due.Before(req.Today) {
			return records.ContractChange{}, fmt.Errorf("%w: contract %d's installment %d is overdue since %s: it is paid before a pause",
				billing.ErrConflict, contractID, it.id, billing.FormatDate(it.due))
		}
	}
	if err := checkPauseLimit(ctx, tx, contractID, req.From, settings.PauseMinMonths); err != nil {
		return records.ContractChange{}, err
	}
	pause := benefits.PauseWindow{From: req.From, Until: billing.AddMonthsClamped(req.From, req.Months, req.From.Day()).AddDate(0, 0, -1)}
	to := map[string]any{"from": billing.FormatDate(req.From), "months": req.Months, "paused_from": billing.FormatDate(pause.From),
		"paused_until": billing.FormatDate(pause.Until), "redated": 0}
	from := map[string]any{}
	if st.plan.CycleMonths != nil {
		cycle, opened, err := currentPackageCycle(ctx, tx, contractID, st.c.BillingMethod, st.c.ActivationDate)
		if err != nil {
			return records.ContractChange{}, err
		}
		if !opened.IsZero() {
			months := *st.plan.CycleMonths
			old := benefits.PauseWindow{From: st.pausedFrom, Until: st.pausedUntil}
			if end := benefits.CycleEndsOnPaused(opened, months, old); old.Touches(opened, end) {
				return records.ContractChange{}, fmt.Errorf("%w: contract %d's package cycle %d (opened %s) already holds the pause %s to %s, "+
					"which moved its end to %s: a new pause may start once cycle %d opens", billing.ErrConflict, contractID, cycle,
					billing.FormatDate(opened), billing.FormatDate(old.From), billing.FormatDate(old.Until), billing.FormatDate(end), cycle+1)
			}
			from["cycle"], from["cycle_ends_on"] = cycle, billing.FormatDate(benefits.CycleEndsOn(opened, months))
			to["cycle"], to["cycle_ends_on"] = cycle, billing.FormatDate(benefits.CycleEndsOnPaused(opened, months, pause))
		}
	}
	ch := records.ContractChange{ContractID: contractID, Kind: billing.ChangePause, RequestedOn: req.Today, EffectiveOn: req.From,
		From: from, To: to, Status: billing.ChangeApplied, AppliedOn: req.Today, Actor: req.Actor, Reason: req.Reason}
	rec, created, err := insertChange(ctx, tx, ch, func(old map[string]any) bool { return sameKeys(old, to, "months") })
	if err != nil || !created {
		return rec, err
	}
	if _, err := tx.Exec(ctx, `UPDATE contracts SET paused_from = $2, paused_until = $3, updated_at = now() WHERE id = $1`,
		contractID, pause.From, pause.Until); err != nil {
		return rec, fmt.Errorf("pause contract %d: %w", contractID, err)
	}
	return withTermEnd(ctx, tx, rec)
}

// currentPackageCycle returns package contract contractID's current cycle and the day it
// opened, as reset-benefit-quotas reads them (openDatedCycles): the latest cycle any
// service's balance holds, else cycle 1 from the settlement of the first charge (the
// activation day without billing); a zero day when cycle 1 has not started.
func currentPackageCycle(ctx context.Context, tx pgx.Tx, contractID int64, method string, activation time.Time) (int, time.Time, error) {
	var (
		cycle           int
		opened, settled pgtype.Date
	)
	err := tx.QueryRow(ctx, `SELECT coalesce(cur.cycle, 1), cur.opened,
			(SELECT min(i.paid_at) FROM installments i WHERE i.contract_id = $1 AND i.state = 'paid')
		FROM (SELECT 1) one
		LEFT JOIN LATERAL (SELECT b.cycle, min(b.period_start) AS opened FROM benefit_balances b
			WHERE b.contract_id = $1 AND b.cycle IS NOT NULL GROUP BY b.cycle ORDER BY b.cycle DESC LIMIT 1) cur ON true`,
		contractID).Scan(&cycle, &opened, &settled)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read contract %d's package cycle: %w", contractID, err)
	}
	if opened.Valid {
		return cycle, optDate(opened), nil
	}
	if method == billing.BillNone {
		return cycle, activation, nil
	}
	return cycle, optDate(settled), nil
}
