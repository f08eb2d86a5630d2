package billing

import (
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// Contract change kinds (issue 18 items 1, 2 and 7).
const (
	ChangeDueDay = "due_day"
	ChangePlan   = "plan"
	ChangePause  = "pause"
	ChangeResume = "resume"
)

// ChangeKinds are the kinds of contract change.
var ChangeKinds = []string{ChangeDueDay, ChangePlan, ChangePause, ChangeResume}

// ChangeStatuses are the statuses of a contract change.
var ChangeStatuses = []string{ChangeScheduled, ChangeApplied, ChangeCancelled}

// Contract change statuses: a change waits (scheduled) until its effective day, then it is
// applied; a scheduled change may be cancelled.
const (
	ChangeScheduled = "scheduled"
	ChangeApplied   = "applied"
	ChangeCancelled = "cancelled"
)

// ProrationMode says what a due-day change does with the days by which it moves the service
// periods (BILLINGD_DUE_CHANGE_PRORATION).
type ProrationMode string

// The proration modes.
const (
	// ProrationCharge charges the days a later due day adds and credits the days an earlier
	// one takes away.
	ProrationCharge ProrationMode = "charge"
	// ProrationCredit only credits the days an earlier due day takes away; a later one adds
	// its days free.
	ProrationCredit ProrationMode = "credit"
	// ProrationNone writes no proration line.
	ProrationNone ProrationMode = "none"
)

// ParseProrationMode parses charge, credit or none.
func ParseProrationMode(s string) (ProrationMode, error) {
	switch m := ProrationMode(s); m {
	case ProrationCharge, ProrationCredit, ProrationNone:
		return m, nil
	}
	return "", fmt.Errorf("want charge, credit or none, got %q", clip(s))
}

// DaysBetween returns the whole days from from to to (negative when to is earlier).
func DaysBetween(from, to time.Time) int {
	return int(math.Round(to.Sub(from).Hours() / 24))
}

// PeriodDays returns the days of the service period start..end, both included.
func PeriodDays(start, end time.Time) int { return DaysBetween(start, end) + 1 }

// ProrateDays returns price × days / periodDays, rounded half-up to the cent (days may be
// negative: a credit). It returns zero when periodDays is not positive.
func ProrateDays(price decimal.Decimal, days, periodDays int) decimal.Decimal {
	if periodDays < 1 || days == 0 {
		return decimal.Zero
	}
	return RoundCents(price.Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(int64(periodDays))))
}

// Proration is a proration line's figures: the days it counts, the days of the period it
// counts them against, and the signed amount (positive charges, negative credits).
type Proration struct {
	Days       int
	PeriodDays int
	Amount     decimal.Decimal
}

// DueChangeProration prorates a due-day change. The first re-dated installment's service
// period started on oldStart and now starts on newStart; oldStart..oldEnd is its period
// before the change. A later start leaves the days oldStart..newStart-1 between the last
// period kept and the first moved one (charged); an earlier one makes them overlap
// (credited): days = newStart - oldStart, amount = days × price / days of the old period,
// half-up to the cent. The mode keeps both signs (charge), only credits (credit) or none.
func DueChangeProration(mode ProrationMode, price decimal.Decimal, oldStart, oldEnd, newStart time.Time) Proration {
	p := Proration{Days: DaysBetween(oldStart, newStart), PeriodDays: PeriodDays(oldStart, oldEnd)}
	p.Amount = ProrateDays(price, p.Days, p.PeriodDays)
	switch {
	case mode == ProrationNone, mode == ProrationCredit && p.Amount.IsPositive():
		p.Amount = decimal.Zero
	}
	return p
}

// PlanChangeProration prorates a plan change effective on a day inside the service period
// start..end: the days from effective to end (both included) at the difference of the two
// prices, days × (newPrice - oldPrice) / days of the period, half-up to the cent. An
// effective day outside the period prorates nothing.
func PlanChangeProration(oldPrice, newPrice decimal.Decimal, effective, start, end time.Time) Proration {
	if effective.Before(start) || effective.After(end) {
		return Proration{Amount: decimal.Zero}
	}
	p := Proration{Days: DaysBetween(effective, end) + 1, PeriodDays: PeriodDays(start, end)}
	p.Amount = ProrateDays(newPrice.Sub(oldPrice), p.Days, p.PeriodDays)
	return p
}

// RecurringAt returns the recurring installment with the given 1-based sequence of spec, as
// RecurringTerm computes it (the same dates, shift and amount). It returns false for a
// sequence below 1 or a spec RecurringTerm refuses.
func RecurringAt(spec RecurringSpec, sequence int, cal *Calendar) (ScheduledInstallment, bool) {
	if sequence < 1 || spec.PerTerm < 1 {
		return ScheduledInstallment{}, false
	}
	term := (sequence-1)/spec.PerTerm + 1
	items := RecurringTerm(spec, term, cal)
	i := (sequence - 1) % spec.PerTerm
	if i >= len(items) {
		return ScheduledInstallment{}, false
	}
	return items[i], true
}

// DueChangeAnchor returns the day service periods are counted from after a due-day change
// to rule: under fixed_day the periods start on the new due day (the day of anchor's month,
// clamped), so a customer pays at the start of the period they buy; under anniversary and
// prepaid_fixed_day the periods do not depend on the day and the anchor stays.
func DueChangeAnchor(anchor time.Time, rule DueDateRule) time.Time {
	if rule.Kind != FixedDay {
		return anchor
	}
	return AddMonthsClamped(anchor, 0, rule.Day)
}

// PauseAnchor returns the anchor of the service periods after a pause of months months:
// every later period starts months months later.
func PauseAnchor(anchor time.Time, months int) time.Time {
	return AddMonthsClamped(anchor, months, anchor.Day())
}

// Pause limits: a pause lasts 1 to 4 months.
const (
	MinPauseMonths = 1
	MaxPauseMonths = 4
)

// CheckPauseMonths checks a pause's length.
func CheckPauseMonths(months int) error {
	if months < MinPauseMonths || months > MaxPauseMonths {
		return Fieldf("months", "must be between %d and %d, got %d", MinPauseMonths, MaxPauseMonths, months)
	}
	return nil
}

// IsUpgrade reports whether moving from price current to the new plan's price is an upgrade
// (a higher price), which takes effect now by default; otherwise it is a downgrade, which
// takes effect at the end of the term by default.
func IsUpgrade(current, newPrice decimal.Decimal) bool { return newPrice.GreaterThan(current) }
