package billing

import "fmt"

// Period is a plan's billing period.
type Period string

// The billing periods a plan may have.
const (
	// Monthly bills every month.
	Monthly Period = "monthly"
	// Bimonthly bills every two months.
	Bimonthly Period = "bimonthly"
	// Quarterly bills every three months.
	Quarterly Period = "quarterly"
	// Semiannual bills every six months.
	Semiannual Period = "semiannual"
	// Annual bills every twelve months.
	Annual Period = "annual"
)

// ParsePeriod parses one of monthly, bimonthly, quarterly, semiannual or annual.
func ParsePeriod(s string) (Period, error) {
	p := Period(s)
	if p.Months() == 0 {
		return "", fmt.Errorf("unknown period %q (want monthly, bimonthly, quarterly, semiannual or annual)", clip(s))
	}
	return p, nil
}

// Months returns the length of the period in months, or 0 for an unknown period.
func (p Period) Months() int {
	switch p {
	case Monthly:
		return 1
	case Bimonthly:
		return 2
	case Quarterly:
		return 3
	case Semiannual:
		return 6
	case Annual:
		return 12
	default:
		return 0
	}
}
