package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

// datedPackages is the query of the contracts on the package plans whose ids the parameter
// param holds (datedPlans) and whose status still lets the customer use benefits: the
// candidates of reset-benefit-quotas' dated cycles. With the plans' ids as a parameter the
// planner reads those contracts through contracts_plan (plan_id, id) alone; a contract of
// any other plan is never read.
func datedPackages(param string) string {
	return `SELECT id FROM contracts WHERE plan_id = ANY (` + param + `::bigint[])
		AND status IN ('active', 'suspended_partial', 'blocked')`
}

// datedPlans returns the ids of the package plans that set cycle_months (few, or none: then
// reset-benefit-quotas reads no package contract at all).
func datedPlans(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM plans WHERE kind = 'package' AND cycle_months IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the packages whose cycles end on a date: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap(err, "read the packages whose cycles end on a date")
}

// datedCycle is what opening a contract's dated package cycles reads about it.
type datedCycle struct {
	contract                        int64
	months, perTerm, current        int
	billingMethod                   string
	activation, opened, anchor, due pgtype.Date
	pausedFrom, pausedUntil         pgtype.Date
	rule                            billing.DueDateRule
	price, discount, onTimeDiscount decimal.Decimal
}

// openDatedCycles opens, for the package contracts of [fromID, toID] on plans (the package
// plans that set cycle_months, datedPlans; already locked by the batch), every cycle owed
// by date as of asOf (benefits.CyclesDue: the current cycle — the latest any service's
// balance holds, else cycle 1 from the settlement of the first charge — ends cycle_months
// after it opened, later by the months of the contract's pause window (paused_from,
// paused_until) when it touches the cycle, the next opens that day, and so on while that
// day is on or before asOf). It writes, in a few
// statements for the whole batch, a balance of each owed cycle for every service with a
// quantity (keyed like a use's, benefit_balances_cycle_key, so a cycle the other path opened
// is never opened twice) and, for a billed contract, the recurring installment of each owed
// cycle with its itemised lines (benefits.PackageCycleLines), due as the next cycle of a use
// on its opening day (benefits.NextCycleDue), unless it exists. It returns how many cycles it
// opened and how many installments it created.
func openDatedCycles(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64, plans []int64) (opened, created int64, err error) {
	if len(plans) == 0 {
		return 0, 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT c.id, p.cycle_months, p.installments_per_term, coalesce(cur.cycle, 1), c.billing_method,
			c.activation_date, s.settled, cur.opened, cur.anchor, d.due,
			c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift, c.price, c.discount, c.on_time_discount,
			c.paused_from, c.paused_until
		FROM contracts c
		JOIN plans p ON p.id = c.plan_id
		LEFT JOIN LATERAL (SELECT b.cycle, min(b.period_start) AS opened, min(b.anchor) AS anchor FROM benefit_balances b
			WHERE b.contract_id = c.id AND b.cycle IS NOT NULL GROUP BY b.cycle ORDER BY b.cycle DESC LIMIT 1) cur ON true
		CROSS JOIN LATERAL (SELECT min(i.paid_at) AS settled FROM installments i WHERE i.contract_id = c.id AND i.state = 'paid') s
		CROSS JOIN LATERAL (SELECT max(i.nominal_due) AS due FROM installments i WHERE i.contract_id = c.id
			AND i.kind = 'recurring' AND i.sequence <= coalesce(cur.cycle, 1)) d
		WHERE c.id BETWEEN $1 AND $2 AND c.plan_id = ANY ($3::bigint[]) AND c.status IN ('active', 'suspended_partial', 'blocked')
		ORDER BY c.id`, fromID, toID, plans)
	if err != nil {
		return 0, 0, fmt.Errorf("read dated package cycles: %w", err)
	}
	var (
		contracts []datedCycle
		owed      [][]benefits.OwedCycle
		ids       []int64
	)
	for rows.Next() {
		var c datedCycle
		var settled pgtype.Date
		if err := rows.Scan(&c.contract, &c.months, &c.perTerm, &c.current, &c.billingMethod, &c.activation, &settled, &c.opened,
			&c.anchor, &c.due, &c.rule.Kind, &c.rule.Day, &c.rule.Shift, &c.price, &c.discount, &c.onTimeDiscount,
			&c.pausedFrom, &c.pausedUntil); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("scan dated package cycle: %w", err)
		}
		// Cycle 1 starts, as its balances do (lockCycleBalance), on the settlement of the first
		// charge, or the activation day of a contract without billing.
		if c.billingMethod == billing.BillNone {
			settled = c.activation
		}
		if !c.opened.Valid {
			c.opened, c.anchor = settled, settled
		}
		pause := benefits.PauseWindow{From: optDate(c.pausedFrom), Until: optDate(c.pausedUntil)}
		due := benefits.CyclesDue(c.rule, optDate(c.activation), c.current, optDate(c.opened), c.months, asOf, optDate(c.due), pause)
		if len(due) == 0 {
			continue
		}
		contracts, owed, ids = append(contracts, c), append(owed, due), append(ids, c.contract)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("read dated package cycles: %w", err)
	}
	if len(contracts) == 0 {
		return 0, 0, nil
	}
	services, err := contractPackageServices(ctx, tx, ids)
	if err != nil {
		return 0, 0, err
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	var (
		balContract, balBenefit []int64
		balAnchor, balStart     []pgtype.Date
		balCycle, balGranted    []int32
		ins                     installmentBatch
	)
	for i, c := range contracts {
		svc := services[c.contract]
		for _, o := range owed[i] {
			for _, s := range svc {
				if s.Quantity > 0 {
					balContract, balBenefit = append(balContract, c.contract), append(balBenefit, s.BenefitID)
					balAnchor, balStart = append(balAnchor, c.anchor), append(balStart, date(o.Opened))
					balCycle, balGranted = append(balCycle, int32(o.Cycle)), append(balGranted, int32(s.Quantity))
				}
			}
			if c.billingMethod == billing.BillNone {
				continue
			}
			ins.addLines(c.contract, billing.ScheduledInstallment{Kind: billing.Recurring, Term: (o.Cycle-1)/max(c.perTerm, 1) + 1,
				Sequence: o.Cycle, ServiceStart: o.Opened, NominalDue: o.NominalDue,
				EffectiveDue: cal.Adjust(o.NominalDue, c.rule.EffectiveShift()), Amount: c.price, Discount: c.discount},
				c.onTimeDiscount, benefits.PackageCycleLines(o.Cycle, o.Opened, c.price, c.discount, svc))
		}
	}
	if err := tx.QueryRow(ctx, `WITH opened AS (
			INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, cycle, granted)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::date[], $5::int[], $6::int[])
			ON CONFLICT (contract_id, benefit_id, cycle) WHERE cycle IS NOT NULL DO NOTHING
			RETURNING contract_id, cycle)
		SELECT count(DISTINCT (contract_id, cycle)) FROM opened`,
		balContract, balBenefit, balAnchor, balStart, balCycle, balGranted).Scan(&opened); err != nil {
		return 0, 0, fmt.Errorf("open dated package cycles: %w", err)
	}
	if created, err = ins.insert(ctx, tx, asOf); err != nil {
		return 0, 0, fmt.Errorf("create the installments of dated package cycles: %w", err)
	}
	return opened, created, nil
}
