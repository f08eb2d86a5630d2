package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/billingd/billingd/billing"
)

// queryDate parses an optional YYYY-MM-DD query parameter.
func queryDate(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	d, err := apiDate(v)
	if err != nil {
		return time.Time{}, invalid(name, "%v", err)
	}
	return d, nil
}

// queryDateRange reads the optional ?from= and ?to= dates of a filter, refusing a to
// before from.
func queryDateRange(r *http.Request) (from, to time.Time, err error) {
	if from, err = queryDate(r, "from"); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to, err = queryDate(r, "to"); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return time.Time{}, time.Time{}, invalid("to", "%s is before from %s", billing.FormatDate(to), billing.FormatDate(from))
	}
	return from, to, nil
}

// Business dates the API accepts: a contract's dates are this century's or the next's, and a
// bound keeps date arithmetic (terms, periods, shifts) far from PostgreSQL's date range.
var (
	earliestDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	latestDate   = time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// apiDate parses a YYYY-MM-DD date between earliestDate and latestDate.
func apiDate(v string) (time.Time, error) {
	d, err := billing.ParseDate(v)
	if err != nil {
		return time.Time{}, err
	}
	if d.Before(earliestDate) || d.After(latestDate) {
		return time.Time{}, fmt.Errorf("%s is outside the years 1900 to 2999", v)
	}
	return d, nil
}

// parseDateField parses a required YYYY-MM-DD field.
func parseDateField(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, billing.Fieldf(field, "required: a date as YYYY-MM-DD")
	}
	d, err := apiDate(v)
	if err != nil {
		return time.Time{}, billing.Fieldf(field, "%v", err)
	}
	return d, nil
}
