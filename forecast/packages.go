package forecast

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

// SourcePackageCycle: the installment of a package cycle reset-benefit-quotas would open by
// date (cycle_months).
const SourcePackageCycle = "package_cycle"

// Notes on a package contract's cycles in a forecast.
const (
	// NoteCyclesByUse: a package whose cycles end only when used up.
	NoteCyclesByUse = "its package's cycles end only when their services are used up: a cycle opened by use cannot be forecast"
	// NotePackageRenewal: why a package contract's forecast has no renewal.
	NotePackageRenewal = "it is a package contract: its cycles bring its installments, not renewed terms"
	// NoteCyclesByDate: a package whose cycles also end on a date (cycle_months).
	NoteCyclesByDate = "cycles listed open by date (cycle_months); a cycle used up before its day opens the next sooner and moves the dates after it"
)

// Package is what a forecast of a package contract starts from: its plan's cycle_months
// (0: its cycles end only by use), its current cycle and the day it opened (zero: cycle 1
// has not started; the forecast opens it when the first charge is paid on its due date),
// the nominal due date of the latest recurring installment up to that cycle (zero: the
// forecast's own), its pause window and its services as it resolves them.
type Package struct {
	CycleMonths int
	Current     int
	Opened      time.Time
	PreviousDue time.Time
	Pause       benefits.PauseWindow
	Services    []benefits.PackageService
}

// Cycle is a package cycle a forecast expects reset-benefit-quotas to open by date: its
// number, the day it opens, and its installment (sequence, nominal and effective due
// dates, amount and discount of its lines); Existing when the contract (or generation)
// already has that installment, which the sweep then does not create again.
type Cycle struct {
	Cycle      int
	OpensOn    time.Time
	Sequence   int
	NominalDue time.Time
	DueDate    time.Time
	Amount     decimal.Decimal
	Discount   decimal.Decimal
	Existing   bool
}

// packageCycles returns the package cycles b's contract opens by date until until, and the
// installments of those it has not, by benefits.CyclesDue on the same inputs as the sweep
// (openDatedCycles): the current cycle ends cycle_months after it opened (later by a pause
// that touches it), each next one opens on that day and its installment is due by the
// contract's rule on or after it and after the one before. all are the forecast's other
// installments: a cycle 1 not started opens on the due date of installment 1 (paid on
// time, not before from), and the latest due date up to the current cycle is theirs when
// the basis has none. A contract cancelled or finished, or without billing, has no
// installment of a cycle (one without billing still gets its cycles).
func packageCycles(b Basis, all []Installment, from, until time.Time, cal *billing.Calendar) ([]Cycle, []Installment) {
	p := b.Package
	g := b.Generation
	if p == nil || p.CycleMonths < 1 || g.Status == billing.StatusCancelled || g.Status == billing.StatusFinished {
		return nil, nil
	}
	current, opened, previous := max(p.Current, 1), p.Opened, p.PreviousDue
	for _, it := range all {
		if it.Kind != billing.Recurring || it.Sequence > current {
			continue
		}
		if opened.IsZero() && it.Sequence == 1 {
			opened = maxDate(it.DueDate, from)
		}
		if p.PreviousDue.IsZero() && it.NominalDue.After(previous) {
			previous = it.NominalDue
		}
	}
	if opened.IsZero() {
		return nil, nil
	}
	var (
		cycles []Cycle
		items  []Installment
	)
	for _, o := range benefits.CyclesDue(g.Rule, g.ActivationDate, current, opened, p.CycleMonths, until, previous, p.Pause) {
		lines := benefits.PackageCycleLines(o.Cycle, o.Opened, g.Price, g.Discount, p.Services)
		amount, discount := billing.LineTotals(lines)
		c := Cycle{Cycle: o.Cycle, OpensOn: o.Opened, Sequence: o.Cycle, NominalDue: o.NominalDue,
			DueDate: cal.Adjust(o.NominalDue, g.Rule.EffectiveShift()), Amount: amount, Discount: discount,
			Existing: hasRecurring(all, o.Cycle)}
		cycles = append(cycles, c)
		if c.Existing || g.BillingMethod == billing.BillNone {
			continue
		}
		items = append(items, Installment{Source: SourcePackageCycle, Kind: billing.Recurring,
			Term: (o.Cycle-1)/max(g.PerTerm, 1) + 1, Sequence: o.Cycle, ServiceStart: o.Opened, NominalDue: c.NominalDue,
			DueDate: c.DueDate, Amount: amount, Discount: discount, OnTimeDiscount: b.OnTimeDiscount, Lines: lines})
	}
	return cycles, items
}

// hasRecurring reports whether all holds the recurring installment of sequence.
func hasRecurring(all []Installment, sequence int) bool {
	for _, it := range all {
		if it.Kind == billing.Recurring && it.Sequence == sequence {
			return true
		}
	}
	return false
}
