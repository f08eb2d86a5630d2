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

// GenerateSweep creates the installments every contract should have as of a date. Contracts
// with work pending carry generation_due_on, so a day with nothing due reads one empty index
// range; a batch reads its contracts in one query, computes their installments with the
// billing rules and writes them with their lines in one statement (installmentBatch),
// keyed by (contract, kind, sequence).
//
// It also cancels the contracts activated on their first payment that still wait for it
// after their deadline (expireActivations), as part of the same batches.
type GenerateSweep struct {
	// FollowUps takes the notices of the contracts it cancels for want of a first payment;
	// nil records them without handing them on.
	FollowUps FollowUps
}

// Plan implements jobs.Sweep.
func (GenerateSweep) Plan(ctx context.Context, tx pgx.Tx, asOf time.Time, batchSize int) ([]int64, error) {
	return planByIndex(ctx, tx, `SELECT id FROM contracts WHERE generation_due_on <= $1 UNION `+waitingActivations, asOf, batchSize)
}

// planByIndex cuts the ids the due query returns (ascending) into batches of batchSize and
// returns each batch's first id. The due query reads asOf as $1 and args as $3, $4….
func planByIndex(ctx context.Context, tx pgx.Tx, dueQuery string, asOf time.Time, batchSize int, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM (`+dueQuery+`) due) numbered
		WHERE (n - 1) % $2 = 0 ORDER BY id`, append([]any{asOf, batchSize}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("plan batches: %w", err)
	}
	starts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("plan batches: %w", err)
	}
	return starts, nil
}

// Batch implements jobs.Sweep.
func (g GenerateSweep) Batch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	// The batch's contracts in id order, both kinds of work at once (the lock order in doc.go).
	if _, err := lockContracts(ctx, tx, `id BETWEEN $1 AND $2 AND (generation_due_on <= $3
		OR (status = 'pending_activation' AND activation_deadline < $3))`, fromID, toID, asOf); err != nil {
		return nil, err
	}
	expired, err := expireActivations(ctx, tx, g.FollowUps, asOf, fromID, toID)
	if err != nil {
		return nil, err
	}
	counts, err := GenerateBatch(ctx, tx, asOf, fromID, toID)
	if err != nil {
		return nil, err
	}
	if expired > 0 {
		counts["activations_expired"] = expired
	}
	return counts, nil
}

// GenerateBatch creates the installments of a batch's contracts as of a date: the
// generation alone, which reads no column of migration 022 (the ladder's migration test
// seeds a database of before with it). GenerateSweep.Batch calls it.
func GenerateBatch(ctx context.Context, tx pgx.Tx, asOf time.Time, fromID, toID int64) (map[string]int64, error) {
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT c.id, c.status, c.billing_method, c.price, c.discount, c.on_time_discount,
			c.adhesion_date, c.activation_date, c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift,
			p.period, p.installments_per_term, c.adhesion_fee, c.adhesion_installments, c.generate_now,
			c.term_number, c.adhesion_generated, c.generated_term, c.service_anchor, p.kind = 'package'
		FROM contracts c JOIN plans p ON p.id = c.plan_id
		WHERE c.id BETWEEN $1 AND $2 AND c.generation_due_on <= $3
		ORDER BY c.id FOR NO KEY UPDATE OF c`, fromID, toID, asOf)
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	var (
		ins      installmentBatch
		upd      progressColumns
		contract int64
		pending  []generated
		packaged []int64
	)
	for rows.Next() {
		var (
			s              billing.GenerationState
			activation     pgtype.Date
			anchor         pgtype.Date
			onTimeDiscount decimal.Decimal
			isPackage      bool
		)
		if err := rows.Scan(&contract, &s.Status, &s.BillingMethod, &s.Price, &s.Discount, &onTimeDiscount,
			&s.AdhesionDate, &activation, &s.Rule.Kind, &s.Rule.Day, &s.Rule.Shift,
			&s.Period, &s.PerTerm, &s.AdhesionFee, &s.AdhesionInstallments, &s.GenerateNow,
			&s.TermNumber, &s.AdhesionGenerated, &s.GeneratedTerm, &anchor, &isPackage); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan contract: %w", err)
		}
		if activation.Valid {
			s.ActivationDate = activation.Time
		}
		s.ServiceAnchor = optDate(anchor)
		g, err := billing.Generate(s, asOf, cal)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("contract %d: %w", contract, err)
		}
		for _, it := range g.Installments {
			otd := onTimeDiscount
			if it.Kind == billing.Adhesion {
				otd = decimal.Zero
			}
			pending = append(pending, generated{contract, it, otd, s.AdhesionInstallments, isPackage})
		}
		if isPackage && len(g.Installments) > 0 {
			packaged = append(packaged, contract)
		}
		upd.add(contract, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	// A multi-service package's installments are itemised per service (one query for the
	// batch's packages, none without them); the rest get billing.ScheduledLines.
	services, err := contractPackageServices(ctx, tx, packaged)
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if svc := services[p.contract]; p.isPackage && p.it.Kind == billing.Recurring && benefits.Itemised(svc) {
			ins.addLines(p.contract, p.it, p.onTime, benefits.PackageCycleLines(p.it.Sequence, p.it.ServiceStart, p.it.Amount, p.it.Discount, svc))
			continue
		}
		ins.add(p.contract, p.it, p.onTime, p.adhesionInstallments)
	}
	if len(upd.id) == 0 {
		return map[string]int64{"contracts": 0, "installments_created": 0}, nil
	}
	created, err := ins.insert(ctx, tx, asOf)
	if err != nil {
		return nil, err
	}
	// The plan changes scheduled up to the as-of date, on the contracts just locked and after
	// their installments are written (a change re-prices them); the contracts stay due on the
	// day of their next scheduled change.
	changed, err := applyScheduledChanges(ctx, tx, asOf, fromID, toID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE contracts c SET adhesion_generated = u.adhesion_generated,
			generated_term = u.generated_term, term_end = coalesce(u.term_end, c.term_end),
			generation_due_on = least(u.next_due, (SELECT min(ch.effective_on) FROM contract_changes ch
				WHERE ch.contract_id = c.id AND ch.status = 'scheduled' AND ch.kind = 'plan')), updated_at = now()
		FROM unnest($1::bigint[], $2::bool[], $3::int[], $4::date[], $5::date[])
			AS u(id, adhesion_generated, generated_term, term_end, next_due)
		WHERE c.id = u.id`, upd.id, upd.adhesionGenerated, upd.generatedTerm, upd.termEnd, upd.nextDue); err != nil {
		return nil, fmt.Errorf("record generation progress: %w", err)
	}
	counts := map[string]int64{"contracts": int64(len(upd.id)), "installments_created": created}
	if changed > 0 {
		counts["plan_changes_applied"] = changed
	}
	return counts, nil
}

// generated is an installment generation computed for a contract, waiting for its lines.
type generated struct {
	contract             int64
	it                   billing.ScheduledInstallment
	onTime               decimal.Decimal
	adhesionInstallments int
	isPackage            bool
}

// progressColumns holds each contract's generation progress for one unnest update.
type progressColumns struct {
	id                []int64
	adhesionGenerated []bool
	generatedTerm     []int32
	termEnd, nextDue  []pgtype.Date
}

func (c *progressColumns) add(id int64, g billing.Generation) {
	c.id = append(c.id, id)
	c.adhesionGenerated = append(c.adhesionGenerated, g.AdhesionGenerated)
	c.generatedTerm = append(c.generatedTerm, int32(g.GeneratedTerm))
	c.termEnd = append(c.termEnd, date(g.TermEnd))
	c.nextDue = append(c.nextDue, date(g.NextDue))
}
