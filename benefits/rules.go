package benefits

import (
	"time"

	"github.com/billingd/billingd/billing"
)

// AvailableFrom returns the first day a grant with graceDays of carência may be used when
// the contract's first charge was settled on settled: settled + graceDays. With 0 grace
// days the benefit may be used on the settlement day itself; with 30, paid on 10 Jan, from
// 9 Feb (the grace period is the 30 days 10 Jan … 8 Feb).
func AvailableFrom(settled time.Time, graceDays int) time.Time {
	return settled.AddDate(0, 0, graceDays)
}

// PeriodAt returns the renewal period of length p that contains d, for periods anchored at
// anchor: period k runs from anchor plus k·p months (on anchor's day, clamped to shorter
// months) to the day before period k+1. Anchored on 31 Jan, monthly: 31 Jan–27 Feb,
// 28 Feb–30 Mar, 31 Mar–29 Apr. p must be a known period; anchor and d are civil dates.
//
// Period k = ⌊months from anchor's month to d's ÷ p's months⌋ starts in d's month or
// before it, and the next one after d's month; only when it starts in d's month on a day
// after d's (the anchor's day clamped, or later in the month) does d fall in period k−1.
func PeriodAt(anchor time.Time, p billing.Period, d time.Time) (start, end time.Time) {
	m := p.Months()
	months := (d.Year()-anchor.Year())*12 + int(d.Month()) - int(anchor.Month())
	k := floorDiv(months, m)
	startOf := func(k int) time.Time { return billing.AddMonthsClamped(anchor, k*m, anchor.Day()) }
	if d.Before(startOf(k)) {
		k--
	}
	return startOf(k), startOf(k+1).AddDate(0, 0, -1)
}

// floorDiv returns ⌊a ÷ b⌋ for a positive b (Go's / truncates towards zero).
func floorDiv(a, b int) int {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// UseState is what deciding on a use needs to know, read in the use's transaction.
type UseState struct {
	// Granted and Terms are the contract's resolved terms (Resolve).
	Granted bool
	Terms   Terms
	// BenefitActive says whether the benefit is active in the catalogue.
	BenefitActive bool
	// Blocked says whether the contract is blocked.
	Blocked bool
	// Settled is the day the contract's first charge was settled (for a no-billing contract,
	// its activation day); zero while nothing is settled.
	Settled time.Time
	// OverdueSince is the earliest effective due date of an open installment that falls
	// before the use date; zero when none does.
	OverdueSince time.Time
	// HealthGated says the contract's blocking rule follows Lei 9.656/98 (health_9656):
	// its uses are refused as delinquent by the rule that allows its suspension, from
	// DelinquentFrom (more than 60 days in default in the last 12 months, consecutive or
	// not, and the debt notice sent; zero: not refused), instead of from OverdueSince.
	// DaysInDefault is the count on the use date.
	HealthGated    bool
	DelinquentFrom time.Time
	DaysInDefault  int
	// PausedFrom and PausedUntil are the contract's pause window (inclusive; zero: none).
	PausedFrom, PausedUntil time.Time
	// UsedAt is the day of the use.
	UsedAt time.Time
}

// Check returns the Refusal for a use, or nil when it may go on to the quota check. The
// reasons are tried in this order: not_granted, benefit_inactive, contract_blocked, paused,
// delinquent, in_grace.
func Check(s UseState) *Refusal {
	switch {
	case !s.Granted:
		return refuse(NotGranted, "the contract is not granted this benefit")
	case !s.BenefitActive:
		return refuse(BenefitInactive, "the benefit is inactive")
	case s.Blocked:
		return refuse(ContractBlocked, "the contract is blocked (invalid wallet)")
	case !s.PausedFrom.IsZero() && !s.UsedAt.Before(s.PausedFrom) && !s.UsedAt.After(s.PausedUntil):
		return refuse(Paused, "the contract is paused from %s to %s: its benefits are suspended with it",
			billing.FormatDate(s.PausedFrom), billing.FormatDate(s.PausedUntil))
	case s.HealthGated && !s.DelinquentFrom.IsZero() && !s.UsedAt.Before(s.DelinquentFrom):
		return refuse(Delinquent, "the contract is %d days in default in the last 12 months, more than 60, and its debt notice was sent: delinquent since %s (Lei 9.656/98, art. 13)",
			s.DaysInDefault, billing.FormatDate(s.DelinquentFrom))
	case !s.HealthGated && !s.OverdueSince.IsZero():
		return refuse(Delinquent, "the contract has an installment overdue since %s", billing.FormatDate(s.OverdueSince))
	case s.Settled.IsZero():
		return refuse(InGrace, "the contract's first charge is not settled yet; the grace period of %d days counts from its settlement", s.Terms.GraceDays)
	}
	if from := AvailableFrom(s.Settled, s.Terms.GraceDays); s.UsedAt.Before(from) {
		r := refuse(InGrace, "in the grace period of %d days from the settlement of the first charge on %s, until %s",
			s.Terms.GraceDays, billing.FormatDate(s.Settled), billing.FormatDate(from.AddDate(0, 0, -1)))
		r.GraceEndsOn = from.AddDate(0, 0, -1)
		return r
	}
	return nil
}

// CheckQuota refuses a use of quantity against a balance of granted and used: with
// quota_exhausted and the day the quota starts afresh (periodEnd + 1) for a renewal
// period, or without a reset date for a package cycle (periodEnd zero).
func CheckQuota(granted, used, quantity int, periodEnd time.Time) *Refusal {
	if used+quantity <= granted {
		return nil
	}
	if periodEnd.IsZero() {
		return refuse(QuotaExhausted, "%d of the package cycle's %d uses are left, %d asked", granted-used, granted, quantity)
	}
	r := refuse(QuotaExhausted, "%d of the period's %d uses are left, %d asked; the quota starts afresh on %s",
		granted-used, granted, quantity, billing.FormatDate(periodEnd.AddDate(0, 0, 1)))
	r.NextResetOn = periodEnd.AddDate(0, 0, 1)
	return r
}

// NextCycleDue returns the nominal due date of the installment of a package's next billing
// cycle, opened by a use on usedOn: the first day the contract's due-date rule gives on or
// after usedOn (the fixed day for fixed_day and prepaid_fixed_day, the activation day for
// anniversary, clamped to shorter months) and after previousDue, the nominal due date of
// the cycle before; so due dates follow use, never share a day and never go back.
func NextCycleDue(rule billing.DueDateRule, activation, usedOn, previousDue time.Time) time.Time {
	day := rule.Day
	if rule.Kind == billing.Anniversary {
		day = activation.Day()
	}
	from := usedOn
	if !previousDue.IsZero() && !from.After(previousDue) {
		from = previousDue.AddDate(0, 0, 1)
	}
	// This month's day if it has not passed, else next month's, which always comes after.
	due := billing.AddMonthsClamped(from, 0, day)
	if due.Before(from) {
		due = billing.AddMonthsClamped(from, 1, day)
	}
	return due
}
