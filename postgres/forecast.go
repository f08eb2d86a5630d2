package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/forecast"
	"github.com/billingd/billingd/renewal"
)

// ForecastBasis reads, in one read-only snapshot, what a forecast of contract id starts from
// (forecast.Basis): the contract and its plan, its open installments with their lines, the
// day its first charge was settled and its benefit grants, with the banking calendar. It
// writes nothing; billing.ErrNotFound when there is no such contract.
func (s *Store) ForecastBasis(ctx context.Context, id int64) (forecast.Basis, *billing.Calendar, error) {
	var (
		b   forecast.Basis
		cal *billing.Calendar
	)
	err := pgx.BeginTxFunc(ctx, s.Pool, readOnly, func(tx pgx.Tx) error {
		var (
			activation, pausedFrom, pausedUntil pgtype.Date
			planID                              int64
			q, r, cycleMonths                   *int
			kind                                string
		)
		g := &b.Generation
		err := tx.QueryRow(ctx, `SELECT c.plan_id, c.status, c.billing_method, c.price, c.discount, c.on_time_discount,
				c.adhesion_date, c.activation_date, c.due_rule_kind, coalesce(c.due_day, 0), c.due_shift,
				p.period, p.installments_per_term, c.adhesion_fee, c.adhesion_installments, c.generate_now,
				c.term_number, c.adhesion_generated, c.generated_term, c.auto_renew, c.ignore_auto_renewal,
				c.renewal_price_mode, c.suggested_price, p.price, p.renewal_queue_threshold, p.renewal_threshold,
				p.kind, p.cycle_months, c.paused_from, c.paused_until
			FROM contracts c JOIN plans p ON p.id = c.plan_id WHERE c.id = $1`, id).Scan(
			&planID, &g.Status, &g.BillingMethod, &g.Price, &g.Discount, &b.OnTimeDiscount,
			&g.AdhesionDate, &activation, &g.Rule.Kind, &g.Rule.Day, &g.Rule.Shift,
			&g.Period, &g.PerTerm, &g.AdhesionFee, &g.AdhesionInstallments, &g.GenerateNow,
			&g.TermNumber, &g.AdhesionGenerated, &g.GeneratedTerm, &b.Renewal.AutoRenew, &b.Renewal.IgnoreAutoRenewal,
			&b.PriceMode, &b.Suggested, &b.PlanPrice, &q, &r, &kind, &cycleMonths, &pausedFrom, &pausedUntil)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: contract %d", billing.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("read contract %d: %w", id, err)
		}
		g.ActivationDate = optDate(activation)
		b.Renewal.Status, b.Renewal.BillingMethod = g.Status, g.BillingMethod
		b.Renewal.TermNumber, b.Renewal.GeneratedTerm = g.TermNumber, g.GeneratedTerm
		if q != nil && r != nil {
			b.PlanThresholds = &renewal.Thresholds{Queue: *q, Renewal: *r}
		}
		if b.Open, b.Settled, err = forecastInstallments(ctx, tx, id); err != nil {
			return err
		}
		if b.Generation.BillingMethod == billing.BillNone {
			b.Settled = b.Generation.ActivationDate
		}
		if b.Grants, err = forecastGrants(ctx, tx, id, planID); err != nil {
			return err
		}
		b.Renewal.Package = kind == billing.KindPackage
		if kind == billing.KindPackage {
			pause := benefits.PauseWindow{From: optDate(pausedFrom), Until: optDate(pausedUntil)}
			if b.Package, err = forecastPackage(ctx, tx, id, g, cycleMonths, pause); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "SELECT "+subjectColumns+" FROM contract_subjects WHERE contract_id = $1 ORDER BY id", id)
		if err != nil {
			return fmt.Errorf("read subjects of contract %d: %w", id, err)
		}
		if b.Subjects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Subject, error) { return scanSubject(r) }); err != nil {
			return fmt.Errorf("read subjects of contract %d: %w", id, err)
		}
		cal, err = LoadCalendar(ctx, tx)
		return err
	})
	if err != nil {
		return forecast.Basis{}, nil, err
	}
	return b, cal, nil
}

// forecastPackage reads what a forecast of package contract id starts from: its current
// cycle and the day it opened as reset-benefit-quotas reads them (currentPackageCycle),
// the latest nominal due date of its recurring installments up to that cycle, and its
// services; cycleMonths is its plan's (nil: cycles by use only) and pause its window.
func forecastPackage(ctx context.Context, tx pgx.Tx, id int64, g *billing.GenerationState, cycleMonths *int,
	pause benefits.PauseWindow) (*forecast.Package, error) {
	p := &forecast.Package{Pause: pause}
	if cycleMonths != nil {
		p.CycleMonths = *cycleMonths
	}
	var err error
	if p.Current, p.Opened, err = currentPackageCycle(ctx, tx, id, g.BillingMethod, g.ActivationDate); err != nil {
		return nil, err
	}
	var due pgtype.Date
	if err := tx.QueryRow(ctx, `SELECT max(nominal_due) FROM installments WHERE contract_id = $1 AND kind = 'recurring'
		AND sequence <= $2`, id, p.Current).Scan(&due); err != nil {
		return nil, fmt.Errorf("read the due dates of contract %d: %w", id, err)
	}
	p.PreviousDue = optDate(due)
	services, err := contractPackageServices(ctx, tx, []int64{id})
	if err != nil {
		return nil, err
	}
	p.Services = services[id]
	return p, nil
}

// SimulationBasis validates contract c exactly as CreateContract would (a bad field is a
// *billing.FieldError naming it) and returns the basis of a forecast of c as if it were
// created now, with the calendar; it writes nothing.
func (s *Store) SimulationBasis(ctx context.Context, c billing.Contract, usePlanPrice bool) (forecast.Basis, *billing.Calendar, error) {
	var (
		b   forecast.Basis
		cal *billing.Calendar
	)
	err := pgx.BeginTxFunc(ctx, s.Pool, readOnly, func(tx pgx.Tx) error {
		plan, _, err := checkNewContract(ctx, tx, &c, usePlanPrice)
		if err != nil {
			return err
		}
		b.Generation = billing.GenerationState{Status: c.Status, BillingMethod: c.BillingMethod, Price: c.Price,
			Discount: c.Discount, AdhesionDate: c.AdhesionDate, ActivationDate: c.ActivationDate, Rule: c.Rule,
			Period: plan.Period, PerTerm: plan.InstallmentsPerTerm, AdhesionFee: c.AdhesionFee,
			AdhesionInstallments: c.AdhesionInstallments, GenerateNow: c.GenerateNow, TermNumber: c.TermNumber}
		b.Generation.Rule.Shift = c.Rule.EffectiveShift()
		b.OnTimeDiscount = c.OnTimeDiscount
		b.Renewal = renewal.Contract{Status: c.Status, BillingMethod: c.BillingMethod, AutoRenew: c.AutoRenew,
			IgnoreAutoRenewal: c.IgnoreAutoRenewal, TermNumber: c.TermNumber, Package: plan.Kind == billing.KindPackage}
		if plan.RenewalQueueThreshold != nil && plan.RenewalThreshold != nil {
			b.PlanThresholds = &renewal.Thresholds{Queue: *plan.RenewalQueueThreshold, Renewal: *plan.RenewalThreshold}
		}
		b.PriceMode, b.PlanPrice, b.Suggested = c.RenewalPriceMode, plan.Price, c.SuggestedPrice
		if c.BillingMethod == billing.BillNone {
			b.Settled = c.ActivationDate
		}
		if b.Grants, err = forecastGrants(ctx, tx, 0, plan.ID); err != nil {
			return err
		}
		if plan.Kind == billing.KindPackage {
			// Its cycle 1 opens when its first charge is paid (on its due date), or on
			// activation without billing.
			b.Package = &forecast.Package{Current: 1, Opened: b.Settled}
			if plan.CycleMonths != nil {
				b.Package.CycleMonths = *plan.CycleMonths
			}
			if b.Package.Services, err = packageServices(ctx, tx, 0, plan.ID, 0); err != nil {
				return err
			}
		}
		cal, err = LoadCalendar(ctx, tx)
		return err
	})
	if err != nil {
		return forecast.Basis{}, nil, err
	}
	return b, cal, nil
}

// forecastInstallments reads a contract's open installments with their lines, and the day
// its first charge was settled (zero when none is paid).
func forecastInstallments(ctx context.Context, tx pgx.Tx, id int64) ([]forecast.Installment, time.Time, error) {
	var settled pgtype.Date
	if err := tx.QueryRow(ctx, `SELECT min(paid_at) FILTER (WHERE state = 'paid') FROM installments WHERE contract_id = $1`,
		id).Scan(&settled); err != nil {
		return nil, time.Time{}, fmt.Errorf("read the first payment of contract %d: %w", id, err)
	}
	rows, err := tx.Query(ctx, "SELECT "+installmentColumns+` FROM installments
		WHERE contract_id = $1 AND state = 'open' ORDER BY due_date, id`, id)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read open installments of contract %d: %w", id, err)
	}
	open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Installment, error) { return scanInstallment(r) })
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read open installments of contract %d: %w", id, err)
	}
	ids := make([]int64, len(open))
	for i, in := range open {
		ids[i] = in.ID
	}
	lines, err := installmentLines(ctx, tx, ids)
	if err != nil {
		return nil, time.Time{}, err
	}
	out := make([]forecast.Installment, len(open))
	for i, in := range open {
		out[i] = forecast.Installment{ID: in.ID, Kind: in.Kind, Term: in.Term, Sequence: in.Sequence,
			ServiceStart: in.ServiceStart, ServiceEnd: in.ServiceEnd, NominalDue: in.NominalDue, DueDate: in.DueDate,
			Amount: in.Amount, Discount: in.Discount, OnTimeDiscount: in.OnTimeDiscount, Lines: lines[in.ID]}
	}
	return out, optDate(settled), nil
}

// forecastGrants reads the benefits contract id (0: a simulated contract, the plan's grants
// only) may use on plan planID, with their resolved terms; inactive benefits are left out.
func forecastGrants(ctx context.Context, tx pgx.Tx, id, planID int64) ([]forecast.Grant, error) {
	var out []forecast.Grant
	for after := int64(0); ; {
		batch, last, err := grantCandidates(ctx, tx, id, planID, after, 500)
		if err != nil {
			return nil, err
		}
		for _, g := range batch {
			if g.Active {
				out = append(out, forecast.Grant{BenefitID: g.BenefitID, Name: g.BenefitName,
					Terms: benefits.Terms{Quantity: g.Terms.Quantity, Period: g.Terms.Period, GraceDays: g.Terms.GraceDays}})
			}
		}
		if last == 0 {
			return out, nil
		}
		after = last
	}
}
