// Package forecast computes what a contract will be billed until a date without writing
// anything (issue 17 item 3): its open installments, the installments generation would
// create, the terms renewal would add and the benefit quotas of each period, by the same
// rule code the sweeps run (billing.Generate, billing.ScheduledLines, renewal.Decide,
// renewal.Price, renewal.NextTerm, benefits.PeriodAt). The package is pure: no I/O, no clock.
//
// A forecast assumes that the customer pays every installment in full on its due date
// (an installment already overdue, on the forecast's first day): that is what moves a
// term's open installments down to the renewal thresholds and what settles the first
// charge that anchors the benefit periods.
package forecast

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

// MaxYears bounds how far a forecast looks ahead of its first day.
const MaxYears = 10

// Where an installment of a forecast comes from.
const (
	// SourceExisting: an open installment the contract already has.
	SourceExisting = "existing"
	// SourceGeneration: one generate-installments would create.
	SourceGeneration = "generation"
	// SourceRenewal: one of a term renew-contracts would create.
	SourceRenewal = "renewal"
)

// Sources are the sources of a forecast's installments, in the order the API documents them.
var Sources = []string{SourceExisting, SourceGeneration, SourceRenewal, SourcePackageCycle}

// Basis is what a forecast starts from: the contract as stored (or as a simulation would
// create it), its plan, its open installments and its benefit grants.
type Basis struct {
	// Generation is the contract's generation state (billing.Generate's input).
	Generation billing.GenerationState
	// OnTimeDiscount is the contract's discount for paying on time (recurring installments).
	OnTimeDiscount decimal.Decimal
	// Renewal is the contract's renewal state (renewal.Contract).
	Renewal renewal.Contract
	// PlanThresholds are the plan's own renewal thresholds; nil takes the global ones.
	PlanThresholds *renewal.Thresholds
	// PriceMode, PlanPrice and Suggested decide a renewed term's price (renewal.Price).
	PriceMode string
	PlanPrice decimal.Decimal
	Suggested *decimal.Decimal
	// Open are the contract's open installments, with their lines.
	Open []Installment
	// Settled is the day the contract's first charge was settled; zero when none is paid.
	Settled time.Time
	// Grants are the benefits the contract may use, with their resolved terms.
	Grants []Grant
	// Subjects are the contract's subjects (issue 19 item 1): each scheduled recurring
	// installment carries their subject_plan lines (billing.SubjectLines), as the store
	// writes them.
	Subjects []billing.Subject
	// Package is set for a package contract: its cycles, not terms, bring its installments.
	Package *Package
}

// Grant is one benefit a contract may use, under its resolved terms.
type Grant struct {
	BenefitID int64
	Name      string
	Terms     benefits.Terms
}

// Installment is one installment of a forecast: an existing open one (ID set) or one the
// sweeps would create, with the lines it is the sum of.
type Installment struct {
	ID             int64 // 0 unless it exists
	Source         string
	Kind           billing.InstallmentKind
	Term           int
	Sequence       int
	ServiceStart   time.Time // zero for adhesion
	ServiceEnd     time.Time // zero for adhesion
	NominalDue     time.Time
	DueDate        time.Time // after the business-day shift
	Amount         decimal.Decimal
	Discount       decimal.Decimal
	OnTimeDiscount decimal.Decimal
	Lines          []billing.Line
}

// Renewal is one renewal the forecast expects: the contract enters the renewal queue for
// Term on QueuedOn and Term+1 is created on RenewedOn (the days of the payments that bring
// Term's open installments to the thresholds; the next renew-contracts run acts on them).
type Renewal struct {
	Term      int
	QueuedOn  time.Time
	RenewedOn time.Time
	NewTerm   int
	Price     decimal.Decimal
	TermEnd   time.Time
}

// Quota is one period of a benefit grant: Granted uses from PeriodStart to PeriodEnd,
// usable from AvailableFrom (the grace days after the first charge is settled).
type Quota struct {
	BenefitID     int64
	Name          string
	PeriodStart   time.Time
	PeriodEnd     time.Time
	Granted       int
	AvailableFrom time.Time
}

// Forecast is what a contract will be billed from From until Until (inclusive).
type Forecast struct {
	From, Until  time.Time
	Installments []Installment
	Renewals     []Renewal
	Quotas       []Quota
	// RenewalStopped says why the forecast's renewals stop before Until, "" when they do not
	// (auto_renew off, a renewal price below the discounts…).
	RenewalStopped string
	// Cycles are a package contract's cycles opening by date by Until (cycle_months), and
	// CyclesNote what they leave out ("" for a contract that is not a package).
	Cycles     []Cycle
	CyclesNote string
}

// CheckUntil validates a forecast's horizon: not before from, at most MaxYears after it.
// field names the input in the error.
func CheckUntil(field string, from, until time.Time) error {
	switch {
	case until.Before(from):
		return billing.Fieldf(field, "%s is before today %s", billing.FormatDate(until), billing.FormatDate(from))
	case until.After(from.AddDate(MaxYears, 0, 0)):
		return billing.Fieldf(field, "%s is more than %d years after today %s", billing.FormatDate(until), MaxYears,
			billing.FormatDate(from))
	}
	return nil
}

// Compute returns the forecast of b from from until until: the open installments and those
// generation and renewal would create that are due on or before until, in due-date order,
// the renewals expected by then and the benefit quotas of the periods starting by then.
// global are the global renewal thresholds (a plan may override them).
func Compute(b Basis, from, until time.Time, global renewal.Thresholds, cal *billing.Calendar) (Forecast, error) {
	if err := CheckUntil("until", from, until); err != nil {
		return Forecast{}, err
	}
	f := Forecast{From: from, Until: until}
	all := slices.Clone(b.Open)
	for i := range all {
		all[i].Source = SourceExisting
	}
	// Generation as of until creates what the sweep would create on any day up to until:
	// each term whole once the contract is active, the adhesion from the adhesion date.
	g, err := billing.Generate(b.Generation, until, cal)
	if err != nil {
		return Forecast{}, fmt.Errorf("generation: %w", err)
	}
	for _, it := range g.Installments {
		otd := b.OnTimeDiscount
		if it.Kind == billing.Adhesion {
			otd = decimal.Zero
		}
		all = append(all, scheduled(it, SourceGeneration, otd, b.Generation.AdhesionInstallments, b.Subjects))
	}
	state := b.Renewal
	state.GeneratedTerm = max(state.GeneratedTerm, g.GeneratedTerm)
	var (
		renewals []renewedTerm
		stopped  string
	)
	if b.Package != nil {
		// A package contract is not renewed by terms: its cycles bring its installments.
		var items []Installment
		f.Cycles, items = packageCycles(b, all, from, until, cal)
		all = append(all, items...)
		stopped, f.CyclesNote = NotePackageRenewal, NoteCyclesByDate
		if b.Package.CycleMonths < 1 {
			f.CyclesNote = NoteCyclesByUse
		}
	} else if renewals, stopped, err = renewTerms(b, state, all, from, until, global, cal); err != nil {
		return Forecast{}, err
	}
	for _, r := range renewals {
		f.Renewals = append(f.Renewals, r.Renewal)
		all = append(all, r.installments...)
	}
	f.RenewalStopped = stopped
	for _, it := range all {
		if !it.DueDate.After(until) {
			f.Installments = append(f.Installments, it)
		}
	}
	slices.SortStableFunc(f.Installments, func(a, b Installment) int {
		return cmp.Or(a.DueDate.Compare(b.DueDate), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Sequence, b.Sequence))
	})
	f.Quotas = quotas(b, all, from, until)
	return f, nil
}

// scheduled turns a computed installment into a forecast one, with the lines the store
// would write for it (billing.ScheduledLines, then billing.SubjectLines of subjects) and its
// totals from them.
func scheduled(it billing.ScheduledInstallment, source string, onTime decimal.Decimal, adhesionInstallments int,
	subjects []billing.Subject) Installment {
	lines := billing.ScheduledLines(it, adhesionInstallments)
	// The subjects' lines follow the plan's, before the discount, as the store orders them.
	lines = slices.Concat(lines[:1], billing.SubjectLines(subjects, it), lines[1:])
	amount, discount := billing.LineTotals(lines)
	return Installment{Source: source, Kind: it.Kind, Term: it.Term, Sequence: it.Sequence,
		ServiceStart: it.ServiceStart, ServiceEnd: it.ServiceEnd, NominalDue: it.NominalDue, DueDate: it.EffectiveDue,
		Amount: amount, Discount: discount, OnTimeDiscount: onTime, Lines: lines}
}

// renewedTerm is one renewal with the installments of the term it creates.
type renewedTerm struct {
	Renewal
	installments []Installment
}

// renewTerms runs the renewal rules forward: while the contract renews automatically, the
// term's open recurring installments fall as each is paid on its due date; the payment that
// brings them to the queue threshold queues the term and the one that brings them to the
// renewal threshold creates the next term at the renewal price. It stops at the first
// renewal after until and returns why renewals stop early, if they do.
func renewTerms(b Basis, state renewal.Contract, all []Installment, from, until time.Time, global renewal.Thresholds,
	cal *billing.Calendar) ([]renewedTerm, string, error) {
	if !state.Automatic() {
		return nil, notAutomatic(state), nil
	}
	t := global
	if b.PlanThresholds != nil {
		t = *b.PlanThresholds
	}
	t = t.For(b.Generation.PerTerm)
	var dues []time.Time
	for _, it := range all {
		if it.Kind == billing.Recurring && it.Term == state.TermNumber {
			dues = append(dues, it.DueDate)
		}
	}
	var out []renewedTerm
	for term := state.TermNumber; ; term++ {
		slices.SortFunc(dues, time.Time.Compare)
		renewOn := paidDownTo(dues, t.Renewal, from)
		if renewOn.After(until) {
			return out, "", nil
		}
		price, err := renewal.Price(b.PriceMode, b.PlanPrice, b.Suggested, b.Generation.Discount, b.OnTimeDiscount)
		var fe *billing.FieldError
		if errors.As(err, &fe) {
			return out, fmt.Sprintf("term %d is not renewed on %s: %s (the sweep leaves it queued for the operator)",
				term, billing.FormatDate(renewOn), fe.Reason), nil
		}
		if err != nil {
			return nil, "", err
		}
		spec := billing.RecurringSpec{Rule: b.Generation.Rule, Period: b.Generation.Period, Start: b.Generation.ActivationDate,
			PerTerm: b.Generation.PerTerm, Price: price, Discount: b.Generation.Discount}
		items, end, err := renewal.NextTerm(spec, term, cal)
		if err != nil {
			return nil, "", fmt.Errorf("renewal of term %d: %w", term, err)
		}
		r := renewedTerm{Renewal: Renewal{Term: term, QueuedOn: paidDownTo(dues, t.Queue, from), RenewedOn: renewOn,
			NewTerm: term + 1, Price: price, TermEnd: end}}
		dues = dues[:0]
		for _, it := range items {
			r.installments = append(r.installments, scheduled(it, SourceRenewal, b.OnTimeDiscount, 0, b.Subjects))
			dues = append(dues, it.EffectiveDue)
		}
		out = append(out, r)
	}
}

// paidDownTo returns the day on which a term whose open installments are due on dues
// (ascending) has at most k of them open, each paid on its due date (an overdue one on
// from): from when it has k or fewer already.
func paidDownTo(dues []time.Time, k int, from time.Time) time.Time {
	if len(dues) <= k {
		return from
	}
	d := dues[len(dues)-k-1]
	if d.Before(from) {
		return from
	}
	return d
}

// notAutomatic says why a contract the renewal rules do not renew automatically has no
// renewals in its forecast.
func notAutomatic(c renewal.Contract) string {
	switch {
	case c.Status == billing.StatusPendingActivation:
		return "it is pending activation: its first term has not started"
	case c.Status == billing.StatusCancelled || c.Status == billing.StatusFinished:
		return "it is " + c.Status
	case c.BillingMethod == billing.BillNone:
		return "it has no billing (no_billing)"
	case c.Package:
		return NotePackageRenewal
	case !c.AutoRenew:
		return "auto_renew is off: only an operator renews it"
	case c.IgnoreAutoRenewal:
		return "ignore_auto_renewal is set: only an operator renews it"
	}
	return fmt.Sprintf("the installments of its term %d are not generated", c.TermNumber)
}

// quotas returns each benefit grant's periods that start by until and end on or after
// from. The periods are anchored at the day the first charge is settled: b.Settled, or
// else the due date of the earliest installment of the forecast (paid on time), or the
// activation day of a contract without billing. A package's per-cycle quotas come with
// each use (its next cycle) and are not listed.
func quotas(b Basis, all []Installment, from, until time.Time) []Quota {
	anchor := b.Settled
	if anchor.IsZero() && b.Generation.BillingMethod == billing.BillNone {
		anchor = b.Generation.ActivationDate
	}
	if anchor.IsZero() {
		for _, it := range all {
			if anchor.IsZero() || it.DueDate.Before(anchor) {
				anchor = it.DueDate
			}
		}
		if anchor.Before(from) && !anchor.IsZero() {
			anchor = from
		}
	}
	var out []Quota
	if anchor.IsZero() {
		return out
	}
	for _, g := range b.Grants {
		if g.Terms.PerCycle() || g.Terms.Period.Months() == 0 {
			continue
		}
		start, end := benefits.PeriodAt(anchor, g.Terms.Period, maxDate(from, anchor))
		for !start.After(until) {
			out = append(out, Quota{BenefitID: g.BenefitID, Name: g.Name, PeriodStart: start, PeriodEnd: end,
				Granted: g.Terms.Quantity, AvailableFrom: benefits.AvailableFrom(anchor, g.Terms.GraceDays)})
			start, end = benefits.PeriodAt(anchor, g.Terms.Period, end.AddDate(0, 0, 1))
		}
	}
	return out
}

// maxDate returns the later of two dates.
func maxDate(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
