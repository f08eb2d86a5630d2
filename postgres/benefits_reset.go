package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

// ResetBenefitQuotasSweep opens, for every benefit balance whose renewal period ended on
// or before the as-of date, the balance of the period containing that date, with the
// quantity the contract's terms grant then. The latest balance of each grant carries
// next_reset_on (the day after its period), so a day with nothing due reads one empty
// index range; a batch clears the markers of its due balances and reads them with their
// terms in one UPDATE … RETURNING, computes the new periods with the benefit rules and
// inserts them with one INSERT … SELECT FROM unnest (keyed by contract, benefit and period
// start, or subject, benefit and period start for a subject's, skipping a period a use
// already opened, each through its own partial index). Grants withdrawn, package cycles, contracts
// cancelled or finished and subjects no longer covered are closed without a new period; a
// subject's balance renews on its own plan's terms.
//
// The sweep also ends package cycles by date (plans.cycle_months, issue 19 item 2): for
// each contract of a package plan that sets it, the batch opens every cycle owed as of the
// date (openDatedCycles) with its balances and installment, counted as
// package_cycles_opened and package_installments_created; a pause window (paused_from,
// paused_until, read in the same query) moves the end of the cycle it touches later by its
// months (benefits.CycleEndsOnPaused), so no cycle opens inside it. Those contracts are found by
// the ids of those plans (datedPlans, read first) through contracts_plan (plan_id, id), so
// the contracts of other plans cost the sweep nothing, and with no such plan the sweep
// reads no contract it did not read before.
type ResetBenefitQuotasSweep struct{}

// Plan implements jobs.Sweep.
func (ResetBenefitQuotasSweep) Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error) {
	const due = `SELECT DISTINCT contract_id AS id FROM benefit_balances WHERE next_reset_on <= $1`
	plans, err := datedPlans(ctx, tx)
	if err != nil {
		return nil, err
	}
	if len(plans) == 0 {
		return planByIndex(ctx, tx, due, asOf, batchSize)
	}
	return planByIndex(ctx, tx, due+` UNION `+datedPackages("$3"), asOf, batchSize, plans)
}

// Batch implements jobs.Sweep.
func (ResetBenefitQuotasSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	// The contracts first, then their balances (see the lock order in doc.go).
	// A package contract whose cycles end on a date is locked in the same statement.
	plans, err := datedPlans(ctx, tx)
	if err != nil {
		return nil, err
	}
	periods := `SELECT contract_id FROM benefit_balances WHERE contract_id BETWEEN $1 AND $2 AND cycle IS NULL AND next_reset_on <= $3`
	if len(plans) == 0 {
		_, err = lockContracts(ctx, tx, `id IN (`+periods+`)`, fromID, toID, asOf)
	} else {
		_, err = lockContracts(ctx, tx, `id IN (`+periods+` UNION ALL `+datedPackages("$4")+`
			AND id BETWEEN $1 AND $2)`, fromID, toID, asOf, plans)
	}
	if err != nil {
		return nil, err
	}
	// The UPDATE drives the read: it takes each due balance's marker with one write (and
	// the row lock), and the SELECT joins the terms that decide the next period. Only
	// period balances carry the marker (a CHECK says so); the batch reaches its contract
	// range through benefit_balances_reset_by_contract (migration 031), and the contracts
	// and the overlap check through the range too, instead of reading the whole tables.
	rows, err := tx.Query(ctx, `WITH due AS (
			UPDATE benefit_balances SET next_reset_on = NULL
			WHERE contract_id BETWEEN $1 AND $2 AND cycle IS NULL AND next_reset_on <= $3
			RETURNING id, contract_id, benefit_id, anchor, period_end, subject_id)
		SELECT b.id, b.contract_id, b.benefit_id, b.anchor, b.period_end, c.status, coalesce(b.subject_id, 0), s.ended_on,
			`+grantSelect+`
		FROM due b
		JOIN contracts c ON c.id = b.contract_id AND c.id BETWEEN $1 AND $2
		LEFT JOIN contract_subjects s ON s.id = b.subject_id
		LEFT JOIN plan_benefits pb ON pb.plan_id = coalesce(s.plan_id, c.plan_id) AND pb.benefit_id = b.benefit_id
		LEFT JOIN contract_benefit_overrides o ON o.contract_id = b.contract_id AND o.benefit_id = b.benefit_id
			AND b.subject_id IS NULL
		ORDER BY b.id`, fromID, toID, asOf)
	if err != nil {
		return nil, fmt.Errorf("read due balances: %w", err)
	}
	var (
		done                        []int64
		contract, benefit, subject  []int64
		anchor, start, end, nextDue []pgtype.Date
		granted                     []int32
	)
	for rows.Next() {
		var (
			id, contractID, benefitID int64
			subjectID                 int64
			anc, periodEnd            time.Time
			status                    string
			subjectEnded              pgtype.Date
			grant                     grantColumns
		)
		if err := rows.Scan(append([]any{&id, &contractID, &benefitID, &anc, &periodEnd, &status, &subjectID, &subjectEnded},
			grant.dest()...)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan due balance: %w", err)
		}
		done = append(done, id)
		terms, ok := benefits.Resolve(grant.terms())
		if !ok || terms.PerCycle() || status == billing.StatusCancelled || status == billing.StatusFinished {
			continue
		}
		next := periodEnd.AddDate(0, 0, 1)
		if subjectEnded.Valid && !subjectEnded.Time.After(next) {
			continue // the subject's cover ended before its next period
		}
		s, e := benefits.PeriodAt(anc, terms.Period, asOf)
		if s.Before(next) {
			s = next
		}
		contract = append(contract, contractID)
		benefit = append(benefit, benefitID)
		subject = append(subject, subjectID)
		anchor = append(anchor, date(anc))
		start = append(start, date(s))
		end = append(end, date(e))
		nextDue = append(nextDue, date(e.AddDate(0, 0, 1)))
		granted = append(granted, int32(terms.Quantity))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read due balances: %w", err)
	}
	cycles, installments, err := openDatedCycles(ctx, tx, asOf, fromID, toID, plans)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{"balances_due": int64(len(done)), "balances_opened": 0}
	if cycles > 0 || installments > 0 {
		counts["package_cycles_opened"], counts["package_installments_created"] = cycles, installments
	}
	if len(done) == 0 {
		return counts, nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO benefit_balances (contract_id, benefit_id, anchor, period_start, period_end, granted,
			next_reset_on, subject_id)
		SELECT n.contract_id, n.benefit_id, n.anchor, n.period_start, n.period_end, n.granted, n.next_reset_on, nullif(n.subject_id, 0)
		FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::date[], $5::date[], $6::int[], $7::date[], $8::bigint[])
			AS n(contract_id, benefit_id, anchor, period_start, period_end, granted, next_reset_on, subject_id)
		WHERE NOT EXISTS (SELECT 1 FROM benefit_balances x WHERE n.subject_id = 0 AND x.contract_id = n.contract_id
				AND x.contract_id BETWEEN $9 AND $10 AND x.benefit_id = n.benefit_id AND x.cycle IS NULL AND x.subject_id IS NULL
				AND x.period_start <= n.period_end AND x.period_end >= n.period_start)
			AND NOT EXISTS (SELECT 1 FROM benefit_balances x WHERE x.subject_id = n.subject_id AND x.benefit_id = n.benefit_id
				AND x.cycle IS NULL AND x.period_start <= n.period_end AND x.period_end >= n.period_start)
		ON CONFLICT DO NOTHING`,
		contract, benefit, anchor, start, end, granted, nextDue, subject, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("open balances: %w", err)
	}
	counts["balances_opened"] = tag.RowsAffected()
	return counts, nil
}
