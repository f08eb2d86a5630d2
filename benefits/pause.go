package benefits

import (
	"time"

	"github.com/billingd/billingd/billing"
)

// A pause of a package contract whose plan sets cycle_months stops the dated cycle: the
// cycle the pause window touches ends the pause's months later than it would have
// (CycleEndsOnPaused), so no cycle opens inside the pause and the customer loses no day of
// the cycle to it. Uses inside the window are refused (paused) like any contract's.

// PauseWindow is a contract's pause: its first and last days, inclusive (From zero: no
// pause). A resume shortens it (Until moves earlier) or removes it.
type PauseWindow struct {
	From, Until time.Time
}

// Months returns how many months the pause lasts: the fewest n for which From plus n
// months (on From's day of the month, clamped to a shorter month) comes after Until — the
// pause's months, or the months a resume left it. 0 for no pause or an empty window.
func (w PauseWindow) Months() int {
	if w.From.IsZero() || w.Until.Before(w.From) {
		return 0
	}
	n := 1
	for !billing.AddMonthsClamped(w.From, n, w.From.Day()).After(w.Until) {
		n++
	}
	return n
}

// Touches reports whether the pause window overlaps the package cycle that opened on
// opened and ends on end (the day the next cycle would open): it starts on or before end
// and ends on or after opened.
func (w PauseWindow) Touches(opened, end time.Time) bool {
	if w.Months() == 0 {
		return false
	}
	return !w.From.After(end) && !w.Until.Before(opened)
}

// CycleEndsOnPaused returns the day a package cycle opened on opened ends by date when its
// plan sets months (cycle_months) and the contract has the pause window pause: CycleEndsOn,
// unless the window touches the cycle (starts on or before that day and ends on or after
// opened); then the cycle lasts months plus the pause's months, counted like CycleEndsOn
// from opened on its day of the month (opened 2026-03-05, 1 month, paused 2026-03-20 for 1
// month: 2026-05-05 instead of 2026-04-05; opened 2026-01-31, paused 1 month: 2026-03-31
// instead of 2026-02-28). That day always comes after the window, so no cycle opens inside
// it, and the next cycle, counted from its own opening, is not touched again.
func CycleEndsOnPaused(opened time.Time, months int, pause PauseWindow) time.Time {
	end := CycleEndsOn(opened, months)
	if pause.Touches(opened, end) {
		return CycleEndsOn(opened, months+pause.Months())
	}
	return end
}
