package delinquency

import (
	"slices"
	"time"
)

// DefaultSpell is one installment's stretch of default: from the day after its effective
// due date to the day it was settled, or on while it is open.
type DefaultSpell struct {
	// Due is the effective due date.
	Due time.Time
	// SettledOn is the day it was paid (or cancelled); zero while it is open.
	SettledOn time.Time
}

// firstDay returns the spell's first day in default, the day after the due date: a spell
// is in default Due+1 … SettledOn (paid the day after the due date: one day; on the due
// date: none), or from Due+1 on while open.
func (s DefaultSpell) firstDay() time.Time { return s.Due.AddDate(0, 0, 1) }

// defaultDays is which days of [lo, hi] a contract was in default, as prefix sums.
type defaultDays struct {
	lo     time.Time
	prefix []int // prefix[i]: days in default in [lo, lo+i)
}

// newDefaultDays marks the days of [lo, hi] on which at least one spell is in default
// (two installments late on the same day are one day of default).
func newDefaultDays(spells []DefaultSpell, lo, hi time.Time) defaultDays {
	n := daysFrom(lo, hi) + 1
	if n < 0 {
		n = 0
	}
	in := make([]bool, n)
	for _, s := range spells {
		from := daysFrom(lo, s.firstDay())
		to := n - 1
		if !s.SettledOn.IsZero() {
			to = min(to, daysFrom(lo, s.SettledOn))
		}
		for i := max(from, 0); i <= to; i++ {
			in[i] = true
		}
	}
	prefix := make([]int, n+1)
	for i, b := range in {
		prefix[i+1] = prefix[i]
		if b {
			prefix[i+1]++
		}
	}
	return defaultDays{lo: lo, prefix: prefix}
}

// count returns the days in default in the 12 months ending on on: (on − 12 months, on].
func (d defaultDays) count(on time.Time) int {
	at := func(t time.Time) int { // days in default in [lo, t]
		i := daysFrom(d.lo, t) + 1
		return d.prefix[max(0, min(i, len(d.prefix)-1))]
	}
	return at(on) - at(on.AddDate(0, -HealthWindowMonths, 0))
}

// DaysInDefault returns how many days in the 12 months ending on on (the day itself
// included, the same day a year earlier not) the contract was in default, counting each
// day once however many installments were late on it (Lei 9.656/98 art. 13 par. único II:
// "consecutive or not, in the last 12 months").
func DaysInDefault(spells []DefaultSpell, on time.Time) int {
	lo := on.AddDate(0, -HealthWindowMonths, 0)
	return newDefaultDays(spells, lo, on).count(on)
}

// DateOfDefaultDay returns the first date on or after from on which the days in default
// in the last 12 months reach n, assuming the open spells stay open: with n = 50, the day
// of default by which the health notice must be sent (HealthNoticeByDay); with n = 61,
// the first day a health plan may be suspended (more than HealthMaxOverdueDays). It
// reports false when that never happens (nothing open, and the settled spells do not add
// up to n by then).
func DateOfDefaultDay(spells []DefaultSpell, n int, from time.Time) (time.Time, bool) {
	if n <= 0 {
		return from, true
	}
	// Before the first spell's first day nothing is in default: start there at the earliest.
	if len(spells) == 0 {
		return time.Time{}, false
	}
	first := spells[0].firstDay()
	for _, s := range spells {
		if s.firstDay().Before(first) {
			first = s.firstDay()
		}
	}
	from = later(from, first)
	// After the latest spell starts, an open spell adds a day each day, so n (at most a
	// window's days) is reached within n days; without one the count only falls.
	hi := from
	for _, s := range spells {
		if end := s.firstDay().AddDate(0, 0, n); s.SettledOn.IsZero() && end.After(hi) {
			hi = end
		}
		if !s.SettledOn.IsZero() && s.SettledOn.After(hi) {
			hi = s.SettledOn
		}
	}
	d := newDefaultDays(spells, from.AddDate(0, -HealthWindowMonths, 0), hi)
	for on := from; !on.After(hi); on = on.AddDate(0, 0, 1) {
		if d.count(on) >= n {
			return on, true
		}
	}
	return time.Time{}, false
}

// HealthGate is where a health plan stands against Lei 9.656/98 art. 13 par. único II on
// a date.
type HealthGate struct {
	// DaysInDefault are the days in default in the last 12 months on the date.
	DaysInDefault int
	// NoticeDeadline is the date of the 50th day of default, by which the notice must be
	// sent; zero when it is not reached while the open installments stay open.
	NoticeDeadline time.Time
	// NoticeDay is the day of default on which the notice was sent (0: not sent).
	NoticeDay int
	// From is the first date suspension or termination is allowed, on or after the date
	// asked (zero: not while the notice is unsent, or never with nothing open).
	From time.Time
}

// HealthGateOn returns the health rule's gate for a contract with spells whose debt
// notice was sent on sentOn (zero: not sent), for a step not before notBefore: the first
// date on or after notBefore with more than 60 days in default in the last 12 months,
// and, when the notice was sent after the 50th day of default, at least 11 days after it
// (HealthDaysAfterLateNotice), and never before the notice. A benefit use is refused as
// delinquent from the same date.
func HealthGateOn(spells []DefaultSpell, sentOn, notBefore, on time.Time) HealthGate {
	g := HealthGate{DaysInDefault: DaysInDefault(spells, on)}
	if deadline, ok := DateOfDefaultDay(spells, HealthNoticeByDay, earliestDue(spells, on)); ok {
		g.NoticeDeadline = deadline
	}
	if sentOn.IsZero() {
		return g
	}
	g.NoticeDay = DaysInDefault(spells, sentOn)
	from := later(notBefore, sentOn)
	if g.NoticeDay > HealthNoticeByDay {
		from = later(from, sentOn.AddDate(0, 0, HealthDaysAfterLateNotice))
	}
	if d, ok := DateOfDefaultDay(spells, HealthMaxOverdueDays+1, from); ok {
		g.From = d
	}
	return g
}

// BenefitGate returns, for a contract under a profile that counts days in default
// (health_9656), from when its benefit uses are refused as delinquent on date on: the
// health rule's gate (HealthGateOn) for the contract's open installments and history, its
// debt notice's sent date, from the day after its earliest open installment's due date.
// Under another profile, or with nothing open, the gate is zero and counts says false.
func BenefitGate(s LadderState, on time.Time) (g HealthGate, counts bool) {
	if !profileOf(s.Ladder.Profile).CountsDefaultDays {
		return HealthGate{}, false
	}
	spells := spellsOf(s.Open, s.History)
	from := time.Time{}
	for _, in := range s.Open {
		if from.IsZero() || in.Due.Before(from) {
			from = in.Due
		}
	}
	if from.IsZero() {
		return HealthGate{DaysInDefault: DaysInDefault(spells, on)}, true
	}
	return HealthGateOn(spells, s.NoticeSentOn, from.AddDate(0, 0, 1), on), true
}

// earliestDue returns the earliest effective due date of an open spell (the start of the
// current default), or on when none is open.
func earliestDue(spells []DefaultSpell, on time.Time) time.Time {
	first := time.Time{}
	for _, s := range spells {
		if s.SettledOn.IsZero() && (first.IsZero() || s.Due.Before(first)) {
			first = s.Due
		}
	}
	if first.IsZero() {
		return on
	}
	return first
}

// spellsOf returns the default spells of a contract: its open installments (open) and its
// installments settled late in the last 12 months (history), sorted by due date.
func spellsOf(open []Installment, history []DefaultSpell) []DefaultSpell {
	out := slices.Clone(history)
	for _, in := range open {
		out = append(out, DefaultSpell{Due: in.Due})
	}
	slices.SortFunc(out, func(a, b DefaultSpell) int { return a.Due.Compare(b.Due) })
	return out
}

// daysFrom returns the whole days from a to b (negative when b is before a).
func daysFrom(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// later returns the later of two dates.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
