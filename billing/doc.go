// Package billing is the pure domain core of billingd: civil dates, exact
// money, billing periods, the Brazilian banking calendar, due-date rules and
// installment schedules.
//
// The package does no I/O and never reads the clock: every function is a pure
// computation over its arguments, so callers decide what "today" is. Civil
// dates are time.Time values at 00:00 UTC; money is shopspring/decimal and
// never passes through float64.
package billing
