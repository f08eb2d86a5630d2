package billing

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// InstallmentKind says whether an installment is part of the adhesion fee or a recurring charge.
type InstallmentKind string

// The installment kinds.
const (
	// Adhesion is one installment of a contract's adhesion fee.
	Adhesion InstallmentKind = "adhesion"
	// Recurring is the charge for one service period.
	Recurring InstallmentKind = "recurring"
)

// ScheduledInstallment is one computed installment, before it is stored.
//
// ServiceStart and ServiceEnd (inclusive) are zero for adhesion installments.
// NominalDue is the date the rule gives; EffectiveDue is NominalDue moved to
// a business day by the rule's shift.
type ScheduledInstallment struct {
	Kind         InstallmentKind // adhesion or recurring
	Term         int             // the contract term, 1-based
	Sequence     int             // 1-based, continuing across terms
	ServiceStart time.Time       // first day of service paid for; zero for adhesion
	ServiceEnd   time.Time       // last day of service paid for (inclusive); zero for adhesion
	NominalDue   time.Time       // due date given by the rule
	EffectiveDue time.Time       // NominalDue moved to a business day
	Amount       decimal.Decimal // amount charged
	Discount     decimal.Decimal // discount applied to the amount
}

// RecurringSpec is what RecurringTerm needs to know about a contract.
type RecurringSpec struct {
	Rule     DueDateRule     // validated due-date rule
	Period   Period          // billing period
	Start    time.Time       // service start: the activation date
	PerTerm  int             // installments per term
	Price    decimal.Decimal // amount of each installment
	Discount decimal.Decimal // discount on each installment
}

// RecurringTerm returns the recurring installments of term term (1-based) of spec, in sequence order.
//
// Sequences continue across terms: with 12 installments per term, term 2
// holds sequences 13..24. It returns nil when term < 1, spec.PerTerm < 1,
// spec.Period is unknown or spec.Rule.Kind is unknown; validate the rule
// first. A nil cal leaves EffectiveDue equal to NominalDue.
func RecurringTerm(spec RecurringSpec, term int, cal *Calendar) []ScheduledInstallment {
	m := spec.Period.Months()
	switch spec.Rule.Kind {
	case FixedDay, Anniversary, PrepaidFixedDay:
	default:
		return nil
	}
	if term < 1 || spec.PerTerm < 1 || m == 0 {
		return nil
	}
	shift := spec.Rule.EffectiveShift()
	out := make([]ScheduledInstallment, spec.PerTerm)
	for i := range out {
		k := (term-1)*spec.PerTerm + i
		start, end, due := recurringDates(spec.Rule, spec.Start, m, k)
		out[i] = ScheduledInstallment{
			Kind:         Recurring,
			Term:         term,
			Sequence:     k + 1,
			ServiceStart: start,
			ServiceEnd:   end,
			NominalDue:   due,
			EffectiveDue: adjust(cal, due, shift),
			Amount:       spec.Price,
			Discount:     spec.Discount,
		}
	}
	return out
}

// recurringDates returns the service period and nominal due date of the installment with 0-based global index k.
func recurringDates(r DueDateRule, s time.Time, m, k int) (start, end, due time.Time) {
	if r.Kind == PrepaidFixedDay {
		// Seed 004: the first payment, due on activation, buys service up to
		// the end of the following period; each later payment is due on the
		// fixed day and buys the period after the one it is due in.
		if k == 0 {
			return s, EndOfMonth(AddMonthsClamped(s, m, 1)), s
		}
		due = AddMonthsClamped(s, k*m, r.Day)
		start = AddMonthsClamped(s, k*m+1, 1)
		end = EndOfMonth(AddMonthsClamped(s, (k+1)*m, 1))
		return start, end, due
	}
	start = AddMonthsClamped(s, k*m, s.Day())
	end = AddMonthsClamped(s, (k+1)*m, s.Day()).AddDate(0, 0, -1)
	if r.Kind == Anniversary {
		return start, end, start
	}
	// FixedDay: the fixed day (clamped to its month's length) of the k*m-th month after
	// activation, or of the month after that when the day falls before the activation
	// day, so that the first installment is due on or after the service start and no two
	// installments share a due date (activated on 30 Jan with day 29: 28 Feb, 29 Mar…).
	offset := 0
	if r.Day < s.Day() {
		offset = 1
	}
	return start, end, AddMonthsClamped(s, k*m+offset, r.Day)
}

// adjust is cal.Adjust tolerating a nil calendar.
func adjust(cal *Calendar, d time.Time, s Shift) time.Time {
	if cal == nil {
		return d
	}
	return cal.Adjust(d, s)
}

// AdhesionInstallments splits an adhesion fee into n monthly installments, the first due on the adhesion date.
//
// The split is exact, remainder cents on the first installment. Installment
// i (0-based) is nominally due i months after adhesion on adhesion's day
// (clamped), moved by shift (empty means next). It returns nil, nil when n is
// 0 or fee is zero, and an error when n is negative or fee is negative or has
// more than two decimals. A nil cal leaves EffectiveDue equal to NominalDue.
func AdhesionInstallments(fee decimal.Decimal, n int, adhesion time.Time, shift Shift, cal *Calendar) ([]ScheduledInstallment, error) {
	if n == 0 || fee.IsZero() {
		return nil, nil
	}
	parts, err := SplitExact(fee, n)
	if err != nil {
		return nil, fmt.Errorf("adhesion fee: %w", err)
	}
	out := make([]ScheduledInstallment, n)
	for i, amount := range parts {
		due := AddMonthsClamped(adhesion, i, adhesion.Day())
		out[i] = ScheduledInstallment{
			Kind:         Adhesion,
			Term:         1,
			Sequence:     i + 1,
			NominalDue:   due,
			EffectiveDue: adjust(cal, due, shift),
			Amount:       amount,
			Discount:     decimal.Zero,
		}
	}
	return out, nil
}

// PaidState is what PaidThrough needs to know about one recurring installment.
type PaidState struct {
	Sequence   int       // 1-based sequence across terms
	ServiceEnd time.Time // last day of service the installment pays for
	Paid       bool      // whether the installment is paid
}

// PaidThrough returns the ServiceEnd of the longest gap-free run of paid installments starting at sequence 1.
//
// The installments may come in any order. It reports false when sequence 1
// is missing or unpaid. When a sequence appears more than once it counts as
// paid if any of its rows is paid.
func PaidThrough(installments []PaidState) (time.Time, bool) {
	paid := slices.Clone(installments)
	slices.SortFunc(paid, func(a, b PaidState) int {
		if c := cmp.Compare(a.Sequence, b.Sequence); c != 0 {
			return c
		}
		if a.Paid != b.Paid { // paid rows first within a sequence
			if a.Paid {
				return -1
			}
			return 1
		}
		return 0
	})
	var through time.Time
	next := 1
	for _, st := range paid {
		switch {
		case st.Sequence < next:
			continue // a duplicate of a sequence already counted
		case st.Sequence > next || !st.Paid:
			return through, next > 1
		}
		through = st.ServiceEnd
		next++
	}
	return through, next > 1
}
