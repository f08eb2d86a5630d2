package billing_test

import (
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// day parses a YYYY-MM-DD test date and panics on a typo in the test table.
func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// money parses a test amount and panics on a typo in the test table.
func money(s string) decimal.Decimal {
	return decimal.RequireFromString(s)
}

// fmtDates formats dates for readable failure messages.
func fmtDates(ds ...time.Time) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		if d.IsZero() {
			out[i] = "-"
			continue
		}
		out[i] = billing.FormatDate(d)
	}
	return out
}
