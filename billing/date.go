package billing

import (
	"fmt"
	"time"
)

// dateLayout is the only textual form of a civil date the package accepts.
const dateLayout = "2006-01-02"

// ParseDate parses a strict YYYY-MM-DD civil date into a time.Time at 00:00 UTC.
//
// It rejects anything that is not exactly ten characters of the form
// YYYY-MM-DD, year 0000, and days that do not exist ("2026-02-30").
func ParseDate(s string) (time.Time, error) {
	bad := fmt.Errorf("invalid date %q: want a real calendar day as YYYY-MM-DD", clip(s))
	if len(s) != len(dateLayout) || s[4] != '-' || s[7] != '-' {
		return time.Time{}, bad
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, bad
	}
	return civil(y, time.Month(m), d), nil
}

// FormatDate formats the civil date of t as YYYY-MM-DD.
func FormatDate(t time.Time) string {
	return t.Format(dateLayout)
}

// DateOf returns the civil date of instant t in loc, as 00:00 UTC; a nil loc means UTC.
func DateOf(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return civil(y, m, d)
}

// AddMonthsClamped returns the date months months after d's month whose day is day clamped to that month.
//
// The day is clamped to 1..last day of the target month, so day 31 in
// February gives 28 (or 29 in a leap year). months may be negative.
func AddMonthsClamped(d time.Time, months int, day int) time.Time {
	y, m := addMonths(d.Year(), d.Month(), months)
	return civil(y, m, clampDay(y, m, day))
}

// EndOfMonth returns the last day of d's month, as 00:00 UTC.
func EndOfMonth(d time.Time) time.Time {
	y, m := d.Year(), d.Month()
	return civil(y, m, daysIn(y, m))
}

// civil builds a civil date at 00:00 UTC.
func civil(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addMonths moves (y, m) by n months, with n possibly negative.
func addMonths(y int, m time.Month, n int) (int, time.Month) {
	total := y*12 + int(m) - 1 + n
	yy, mm := total/12, total%12
	if mm < 0 {
		yy--
		mm += 12
	}
	return yy, time.Month(mm + 1)
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	default:
		return 31
	}
}

// clampDay clamps day into 1..daysIn(y, m).
func clampDay(y int, m time.Month, day int) int {
	last := daysIn(y, m)
	switch {
	case day < 1:
		return 1
	case day > last:
		return last
	default:
		return day
	}
}

// digits parses an all-ASCII-digit string; it reports false on any other byte.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// clip shortens user input quoted in error messages.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
