package boleto

import (
	"time"

	"github.com/billingd/billingd/billing"
)

// Due-date factor bounds under the base that started on 2025-02-22.
const (
	// MinFactor is the factor of FactorBase, the first day of the post-2025 base.
	MinFactor = 1000
	// MaxFactor is the largest factor, the day of LastFactorDate.
	MaxFactor = 9999
)

var (
	// FactorBase is the day of factor 1000 under the post-2025 base (the old base reached 9999 the day before).
	FactorBase = time.Date(2025, time.February, 22, 0, 0, 0, 0, time.UTC)
	// LastFactorDate is the day of factor 9999 under the post-2025 base, the last due date a boleto can carry.
	LastFactorDate = time.Date(2049, time.October, 13, 0, 0, 0, 0, time.UTC)
)

// DueFactor returns the due-date factor of due (its civil date) under the post-2025 base.
//
// Due dates before FactorBase or after LastFactorDate are refused with a *billing.FieldError
// on "due_date" that names the window.
func DueFactor(due time.Time) (int, error) {
	y, m, d := due.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := int(day.Sub(FactorBase).Hours() / 24)
	switch {
	case day.Before(FactorBase):
		return 0, billing.Fieldf("due_date", "%s is before %s, the first day of the due-date factor's post-2025 base (factor 1000)",
			billing.FormatDate(day), billing.FormatDate(FactorBase))
	case day.After(LastFactorDate):
		return 0, billing.Fieldf("due_date", "%s is after %s, the last day the due-date factor can express (factor 9999)",
			billing.FormatDate(day), billing.FormatDate(LastFactorDate))
	}
	return MinFactor + days, nil
}

// FactorDate returns the due date that factor f names under the post-2025 base.
//
// Factor 0 means "no due date" and returns the zero time; factors 1..999 and above 9999 are
// refused with a *billing.FieldError on "due_factor".
func FactorDate(f int) (time.Time, error) {
	switch {
	case f == 0:
		return time.Time{}, nil
	case f < MinFactor || f > MaxFactor:
		return time.Time{}, billing.Fieldf("due_factor", "%04d is outside %d..%d (or 0000 for no due date) under the post-2025 base", f, MinFactor, MaxFactor)
	}
	return FactorBase.AddDate(0, 0, f-MinFactor), nil
}
