package records

import (
	"errors"
	"fmt"
	"time"

	"github.com/billingd/billingd/billing"
)

// ErrOutsideWindow is wrapped by CheckAsOf's errors: the date needs force.
var ErrOutsideWindow = errors.New("outside the run window")

// CheckAsOf checks the as-of date of a manual run (`billingd run`, POST /v1/runs) against
// the window a run may have without force: from catchUpDays before today (the dates the
// catch-up would run) to today, both included, today being the business date now. A date
// in the future would act on what is not due yet (block-delinquent blocks paying
// customers), a date before the window is most likely a typo. The error wraps
// ErrOutsideWindow and says which bound the date crossed, for the caller to name its field
// and how to force it.
func CheckAsOf(asOf, today time.Time, catchUpDays int) error {
	earliest := today.AddDate(0, 0, -catchUpDays)
	switch {
	case asOf.After(today):
		return fmt.Errorf("%w: %s is in the future (today is %s)", ErrOutsideWindow, billing.FormatDate(asOf), billing.FormatDate(today))
	case asOf.Before(earliest):
		return fmt.Errorf("%w: %s is before %s, the first date of the catch-up window (BILLINGD_CATCHUP_DAYS=%d)",
			ErrOutsideWindow, billing.FormatDate(asOf), billing.FormatDate(earliest), catchUpDays)
	}
	return nil
}
