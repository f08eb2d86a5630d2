package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
	"github.com/billingd/billingd/timeline"
)

// Explain returns contract id's state on date on and why, with the rule code the sweeps
// run: the collection ladder's position (loadLadder and delinquency.PositionAt, as
// block-delinquent reads it), renewal (the SQL rule contract_renews_automatically, the
// open recurring installments of the current term as renew-contracts counts them, and
// renewal.Decide over the thresholds that apply: the plan's, else global), generation
// (billing.Generate's conditions) and benefit uses (benefits.Check). The installments are
// judged as they stood on the date (installmentsOn): one paid after it is open on it, one
// whose payment was reversed after it is paid on it, one re-dated after it has its due date
// of then. The contract's stored state (status, ladder step, block episodes, renewals,
// term) is read as it stands now. All of it is read in one read-only snapshot.
func (s *Store) Explain(ctx context.Context, id int64, on time.Time, global renewal.Thresholds) (records.Explanation, error) {
	out := records.Explanation{ContractID: id, On: on}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		k, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1", id))
		if err := notFound(err, "contract", id); err != nil {
			return err
		}
		out.Status = k.Status
		var (
			generated, perTerm, open, count int
			due                             pgtype.Date
			planQueue, planRenewal          *int
			automatic, isPackage            bool
			ruleName                        string
		)
		if err := tx.QueryRow(ctx, `SELECT c.generated_term, c.generation_due_on, p.installments_per_term,
				p.renewal_queue_threshold, p.renewal_threshold,
				contract_renews_automatically(c.status, c.billing_method, c.auto_renew, c.ignore_auto_renewal, c.term_number, c.generated_term),
				r.name,
				(SELECT count(*) FROM installments i WHERE i.contract_id = c.id), p.kind = 'package'
			FROM contracts c JOIN plans p ON p.id = c.plan_id
			JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
			WHERE c.id = $1`, id).Scan(&generated, &due, &perTerm, &planQueue, &planRenewal, &automatic, &ruleName, &count, &isPackage); err != nil {
			return fmt.Errorf("read contract %d: %w", id, err)
		}
		all, err := installmentsOn(ctx, tx, id, on, s.location())
		if err != nil {
			return err
		}
		var next Installment
		for _, x := range all {
			if x.state != billing.InstallmentOpen {
				continue
			}
			if x.inst.Kind == billing.Recurring && x.inst.Term == k.TermNumber {
				open++
			}
			if next.ID == 0 {
				next = x.inst
				next.DueDate, next.State = x.due, billing.InstallmentOpen
			}
		}
		states, err := loadLadder(ctx, tx, ladderQuery{ids: []int64{id}, asOf: on, allOpen: true, loc: s.location()})
		if err != nil {
			return err
		}
		if len(states) == 1 {
			ladderOn(&states[0].state, all, on)
			pos := records.LadderPosition{Profile: string(states[0].state.Ladder.Profile), Position: positionOf(states[0], on)}
			out.Verdicts = append(out.Verdicts, timeline.Collection(k.Status, pos, ruleName, on))
		}
		renewals, err := s.termRenewals(ctx, tx, id, k.TermNumber)
		if err != nil {
			return err
		}
		applied, planOwn := global, planQueue != nil && planRenewal != nil
		if planOwn {
			applied = renewal.Thresholds{Queue: *planQueue, Renewal: *planRenewal}
		}
		rf := timeline.RenewalFacts{Automatic: automatic && !isPackage, Open: open, Applied: applied.For(perTerm), PlanOwn: planOwn,
			Current: renewals[k.TermNumber], Previous: renewals[k.TermNumber-1],
			Contract: renewal.Contract{Status: k.Status, BillingMethod: k.BillingMethod, AutoRenew: k.AutoRenew,
				IgnoreAutoRenewal: k.IgnoreAutoRenewal, TermNumber: k.TermNumber, GeneratedTerm: generated, Package: isPackage}}
		rf.Contract.QueuedForCurrent = rf.Current != nil && rf.Current.State == records.RenewalQueued
		rf.Contract.RenewedIntoCurrent = rf.Previous != nil && rf.Previous.State == records.RenewalRenewed
		out.Verdicts = append(out.Verdicts, timeline.Renewal(rf))
		inf := timeline.InstallmentFacts{Contract: k, GeneratedTerm: generated, Count: count, GenerationDue: optDate(due)}
		inf.NextOpen = next
		out.Verdicts = append(out.Verdicts, timeline.Installments(inf, on))
		st := benefits.UseState{Blocked: k.Status == billing.StatusBlocked, UsedAt: on}
		// The first charge settled, and the first installment overdue, on the date.
		for _, x := range all {
			if x.state == billing.InstallmentPaid && (st.Settled.IsZero() || x.settledOn.Before(st.Settled)) {
				st.Settled = x.settledOn
			}
		}
		if k.BillingMethod == billing.BillNone {
			st.Settled = k.ActivationDate
		}
		out.Overdue = overdueFrom(all, on)
		if len(out.Overdue) > 0 {
			st.OverdueSince = out.Overdue[0].DueDate
		}
		// The health rule's gate (healthGate's) over the ladder state of the date, whose open
		// installments are, as healthGate reads them, those overdue on it.
		if len(states) == 1 && states[0].state.Ladder.Profile == delinquency.Health9656 {
			gate := states[0].state
			gate.Open = slices.DeleteFunc(slices.Clone(gate.Open), func(in delinquency.Installment) bool { return !in.Due.Before(on) })
			g, counts := delinquency.BenefitGate(gate, on)
			st.HealthGated, st.DelinquentFrom, st.DaysInDefault = counts, g.From, g.DaysInDefault
		}
		out.Verdicts = append(out.Verdicts, timeline.Benefits(st))
		return nil
	})
	return out, err
}

// termRenewals returns the renewal ledger's rows of contract id for term and the one before,
// by term.
func (s *Store) termRenewals(ctx context.Context, tx pgx.Tx, id int64, term int) (map[int]*records.Renewal, error) {
	rows, err := tx.Query(ctx, `SELECT id, term, queued_on, open_installments, renewed_on, coalesce(new_term, 0),
			coalesce(price_mode, ''), price, coalesce(trigger, '')
		FROM renewals WHERE contract_id = $1 AND term IN ($2, $2 - 1)`, id, term)
	if err != nil {
		return nil, fmt.Errorf("read renewals of contract %d: %w", id, err)
	}
	out := map[int]*records.Renewal{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		x := records.Renewal{ContractID: id, State: records.RenewalQueued}
		var renewed pgtype.Date
		err := r.Scan(&x.ID, &x.Term, &x.QueuedOn, &x.OpenInstallments, &renewed, &x.NewTerm, &x.PriceMode, &x.Price, &x.Trigger)
		if x.RenewedOn = optDate(renewed); renewed.Valid {
			x.State = records.RenewalRenewed
		}
		out[x.Term] = &x
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read renewals of contract %d: %w", id, err)
	}
	return out, nil
}
