package billing

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// The bounds and defaults of the late-charge settings (issue 15 item 3, the money model).
var (
	// MaxLateFinePercent is the highest late fine, 2% of the amount: CDC (Lei 8.078/90)
	// art. 52 §1 caps the multa de mora of a consumer contract at two per cent.
	MaxLateFinePercent = decimal.RequireFromString("2.00")
	// DefaultLateFinePercent is no fine: a fine is a commercial choice and the issue names
	// no default.
	DefaultLateFinePercent = decimal.RequireFromString("0.00")
	// DefaultMonthlyInterestPercent is the customary juros de mora of 1% a month, charged
	// pro rata die (1/30 of it a day), as issue 15 says.
	DefaultMonthlyInterestPercent = decimal.RequireFromString("1.00")
	// MaxMonthlyInterestPercent is a sanity bound, not a legal reading: it refuses a
	// yearly rate typed as a monthly one (12) or a fraction typed as a percentage (100).
	// The legal ceiling depends on who lends to whom; a profile may refuse more (the
	// telecom profile refuses more than 1.00, RGC 765/2023 art. 78).
	MaxMonthlyInterestPercent = decimal.RequireFromString("10.00")
)

// InterestDaysPerMonth is the divisor of the monthly rate: interest is charged 1/30 of the
// monthly percentage a day, whatever the month's length (pro rata die).
const InterestDaysPerMonth = 30

// LateRule is what a late installment is charged: a fine once, and interest a day.
type LateRule struct {
	// FinePercent is the late fine, a percentage (0.00–2.00) of the principal outstanding
	// when the installment becomes late, charged once.
	FinePercent decimal.Decimal
	// MonthlyInterestPercent is the interest a month (1.00: 1% a month), charged 1/30 of
	// it for each day from the day after the effective due date.
	MonthlyInterestPercent decimal.Decimal
}

// DefaultLateRule returns the defaults: no fine, 1.00% a month of interest.
func DefaultLateRule() LateRule {
	return LateRule{FinePercent: DefaultLateFinePercent, MonthlyInterestPercent: DefaultMonthlyInterestPercent}
}

// Validate checks the rule's bounds, naming the setting at fault: late_fine_percent from
// 0.00 to 2.00 (CDC art. 52 §1), monthly_interest_percent from 0.00 to 10.00, both with at
// most two decimal places.
func (r LateRule) Validate() error {
	switch {
	case r.FinePercent.Sign() < 0 || r.FinePercent.GreaterThan(MaxLateFinePercent):
		return Fieldf("late_fine_percent", "must be from 0.00 to 2.00 (CDC, Lei 8.078/90, art. 52 §1 caps the late fine at 2%% of the amount), got %s", r.FinePercent.String())
	case !hasAtMostCents(r.FinePercent):
		return Fieldf("late_fine_percent", "must have at most two decimal places, got %s", r.FinePercent.String())
	case r.MonthlyInterestPercent.Sign() < 0 || r.MonthlyInterestPercent.GreaterThan(MaxMonthlyInterestPercent):
		return Fieldf("monthly_interest_percent", "must be from 0.00 to 10.00 a month (1.00 is 1%% a month, charged 1/30 of it a day; a yearly 12%% is 1.00), got %s", r.MonthlyInterestPercent.String())
	case !hasAtMostCents(r.MonthlyInterestPercent):
		return Fieldf("monthly_interest_percent", "must have at most two decimal places, got %s", r.MonthlyInterestPercent.String())
	}
	return nil
}

// LateSettings are the late-charge settings one level (a contract, a plan) sets; nil
// leaves a setting to the next level.
type LateSettings struct {
	FinePercent            *decimal.Decimal
	MonthlyInterestPercent *decimal.Decimal
}

// ResolveLateRule returns the rule a contract's installments follow: each setting from the
// contract, else from its plan, else the default (DefaultLateRule).
func ResolveLateRule(contract, plan LateSettings) LateRule {
	r := DefaultLateRule()
	for _, s := range []LateSettings{plan, contract} {
		if s.FinePercent != nil {
			r.FinePercent = *s.FinePercent
		}
		if s.MonthlyInterestPercent != nil {
			r.MonthlyInterestPercent = *s.MonthlyInterestPercent
		}
	}
	return r
}

// Receivable is one installment's money as the late-charge rule reads it.
type Receivable struct {
	// Amount is the installment's amount (the sum of its positive lines).
	Amount decimal.Decimal
	// Discount is every discount that always applies (the fixed one, inactivity lines).
	Discount decimal.Decimal
	// OnTimeDiscount applies only when the installment is settled by its grace day.
	OnTimeDiscount decimal.Decimal
	// EffectiveDue is the due date after the business-day shift.
	EffectiveDue time.Time
}

// PaymentOn is one payment of an installment: its amount and the customer's payment date.
type PaymentOn struct {
	On     time.Time
	Amount decimal.Decimal
}

// Imputation is how one payment was applied (Código Civil art. 354: accrued fine and
// interest first, then principal); Credit is what was left after the installment was
// settled.
type Imputation struct {
	On        time.Time
	Amount    decimal.Decimal
	Fine      decimal.Decimal
	Interest  decimal.Decimal
	Principal decimal.Decimal
	Credit    decimal.Decimal
}

// AmountDue is what an installment asks on a date, with its parts.
type AmountDue struct {
	// On is the date it is computed for.
	On time.Time
	// Amount and Discount are the installment's; their difference is the principal.
	Amount   decimal.Decimal
	Discount decimal.Decimal
	// OnTimeDiscount is the on-time discount granted: the installment's while it is not
	// late (or when it was settled by its grace day), zero once it is late.
	OnTimeDiscount decimal.Decimal
	// GraceDay is the first business day on or after the effective due date: paying on
	// it costs nothing extra (Lei 7.089/83).
	GraceDay time.Time
	// Late is true when On is after the grace day and the installment was not settled by it.
	Late bool
	// DaysLate counts the days of interest, from the day after the effective due date to
	// On (or to the settlement); zero when not late.
	DaysLate int
	// Fine and Interest are the totals charged up to On, paid or not.
	Fine     decimal.Decimal
	Interest decimal.Decimal
	// Paid is the sum of the payments dated on or before On.
	Paid decimal.Decimal
	// Principal is the principal still outstanding.
	Principal decimal.Decimal
	// Balance is what settles the installment on On: outstanding principal, fine and
	// interest, less the on-time discount while it applies; zero once settled.
	Balance decimal.Decimal
	// Credit is what the payments paid beyond what settled the installment.
	Credit decimal.Decimal
	// SettledOn is the date of the payment that settled it; zero while open.
	SettledOn time.Time
	// SettledBy is the index in Imputations of the payment that settled it (payments are
	// imputed in date order, those of one date in the order given); meaningless while open.
	SettledBy int
	// Imputations say how each payment dated on or before On was applied, in date order.
	Imputations []Imputation
}

// GraceDay returns the last day an installment of effective due date due may be paid
// without fine or interest: the first business day on or after it (Lei 7.089/83: a due
// date on a weekend or holiday may be paid on the next business day at no cost, whatever
// the contract's business-day shift).
func GraceDay(cal *Calendar, due time.Time) time.Time {
	return cal.Adjust(due, ShiftNext)
}

var (
	hundred       = decimal.NewFromInt(100)
	interestDenom = decimal.NewFromInt(100 * InterestDaysPerMonth)
)

// AmountDueOn returns what installment r asks on date on, given its payments (those dated
// after on are not counted) and the late rule, with its parts:
//
//   - principal = amount − discount; the on-time discount is deducted while the
//     installment is not late;
//   - late on D iff D is after the grace day (GraceDay); a payment on or before the grace
//     day pays principal only and, when it settles the installment, is on time;
//   - fine = round(principal outstanding when it becomes late × fine% / 100), once;
//   - interest = round(principal × monthly% / 100 / 30 × days) for each stretch between
//     payment dates, days counted from the effective due date (so from the day after it),
//     on the principal outstanding in that stretch;
//   - each payment pays the fine and interest accrued on its date first, then principal
//     (Código Civil art. 354); fine and interest bear no interest.
//
// Every part is rounded half-up to the cent once. It fails, naming the input, when the
// rule is out of bounds, an amount is negative, the discounts exceed the amount, a payment
// is not positive or cal is nil. The balance is never negative and, while no payment is
// made, never falls as on moves later.
func AmountDueOn(r Receivable, rule LateRule, cal *Calendar, payments []PaymentOn, on time.Time) (AmountDue, error) {
	if err := checkReceivable(r, rule, cal, payments); err != nil {
		return AmountDue{}, err
	}
	grace := GraceDay(cal, r.EffectiveDue)
	ps := make([]PaymentOn, 0, len(payments))
	for _, p := range payments {
		if !p.On.After(on) {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b PaymentOn) int { return a.On.Compare(b.On) })

	a := accrual{rule: rule, principal: r.Amount.Sub(r.Discount), accruedTo: r.EffectiveDue}
	out := AmountDue{On: on, Amount: r.Amount, Discount: r.Discount, GraceDay: grace}
	settled := false
	onTimeGranted := false
	for _, p := range ps {
		imp := Imputation{On: p.On, Amount: p.Amount}
		out.Paid = out.Paid.Add(p.Amount)
		rest := p.Amount
		switch {
		case settled:
		case !p.On.After(grace):
			// On time: principal only, and the on-time discount settles the rest.
			owed := a.principal.Sub(r.OnTimeDiscount)
			if rest.GreaterThanOrEqual(owed) {
				imp.Principal = owed
				rest = rest.Sub(owed)
				a.principal = decimal.Zero
				settled, onTimeGranted = true, true
			} else {
				imp.Principal = rest
				a.principal = a.principal.Sub(rest)
				rest = decimal.Zero
			}
		default:
			a.accrue(p.On)
			imp.Fine = decimal.Min(rest, a.fineOut)
			rest, a.fineOut = rest.Sub(imp.Fine), a.fineOut.Sub(imp.Fine)
			imp.Interest = decimal.Min(rest, a.interestOut)
			rest, a.interestOut = rest.Sub(imp.Interest), a.interestOut.Sub(imp.Interest)
			imp.Principal = decimal.Min(rest, a.principal)
			rest, a.principal = rest.Sub(imp.Principal), a.principal.Sub(imp.Principal)
			settled = a.principal.IsZero() && a.fineOut.IsZero() && a.interestOut.IsZero()
		}
		if settled && out.SettledOn.IsZero() {
			out.SettledOn, out.SettledBy = p.On, len(out.Imputations)
		}
		if settled {
			imp.Credit = rest
			out.Credit = out.Credit.Add(rest)
		}
		out.Imputations = append(out.Imputations, imp)
	}
	late := on.After(grace) && !onTimeGranted
	if !settled && late {
		a.accrue(on)
	}
	if !late {
		onTimeGranted = true
	}
	if onTimeGranted {
		out.OnTimeDiscount = r.OnTimeDiscount
	}
	out.Late = late
	if late {
		end := on
		if settled {
			end = out.SettledOn
		}
		out.DaysLate = daysBetween(r.EffectiveDue, end)
	}
	out.Fine, out.Interest, out.Principal = a.fine, a.interest, a.principal
	if !settled {
		out.Balance = a.principal.Add(a.fineOut).Add(a.interestOut)
		if !late {
			out.Balance = out.Balance.Sub(r.OnTimeDiscount)
		}
		if out.Balance.Sign() < 0 { // unreachable: an on-time payment covering it settles it
			out.Balance = decimal.Zero
		}
	}
	return out, nil
}

// accrual is the running state of one late installment: the principal outstanding, the
// fine and interest charged and what of them is still unpaid, and the day interest is
// charged through.
type accrual struct {
	rule                 LateRule
	principal            decimal.Decimal
	fine, interest       decimal.Decimal
	fineOut, interestOut decimal.Decimal
	fineCharged          bool
	accruedTo            time.Time
}

// accrue charges the fine (once) and the interest up to day to on the outstanding principal.
func (a *accrual) accrue(to time.Time) {
	if !a.fineCharged {
		f := a.principal.Mul(a.rule.FinePercent).DivRound(hundred, 2)
		a.fine, a.fineOut, a.fineCharged = f, a.fineOut.Add(f), true
	}
	if days := daysBetween(a.accruedTo, to); days > 0 {
		i := a.principal.Mul(a.rule.MonthlyInterestPercent).Mul(decimal.NewFromInt(int64(days))).DivRound(interestDenom, 2)
		a.interest, a.interestOut = a.interest.Add(i), a.interestOut.Add(i)
		a.accruedTo = to
	}
}

// checkReceivable refuses inputs AmountDueOn cannot compute with, naming the input.
func checkReceivable(r Receivable, rule LateRule, cal *Calendar, payments []PaymentOn) error {
	if cal == nil {
		return errors.New("amount due: a business calendar is required (Lei 7.089/83 grace day)")
	}
	if err := rule.Validate(); err != nil {
		return err
	}
	switch {
	case r.EffectiveDue.IsZero():
		return Fieldf("due_date", "required")
	case r.Amount.Sign() < 0:
		return Fieldf("amount", "must not be negative, got %s", r.Amount.String())
	case r.Discount.Sign() < 0:
		return Fieldf("discount", "must not be negative, got %s", r.Discount.String())
	case r.OnTimeDiscount.Sign() < 0:
		return Fieldf("on_time_discount", "must not be negative, got %s", r.OnTimeDiscount.String())
	case r.Discount.Add(r.OnTimeDiscount).GreaterThan(r.Amount):
		return Fieldf("discount", "discount %s plus on_time_discount %s exceed the amount %s",
			FormatMoney(r.Discount), FormatMoney(r.OnTimeDiscount), FormatMoney(r.Amount))
	}
	for i, p := range payments {
		if !p.Amount.IsPositive() {
			return Fieldf(fmt.Sprintf("payments[%d].amount", i), "must be more than zero, got %s", p.Amount.String())
		}
	}
	return nil
}

// daysBetween returns the whole days from a to b (negative when b is before a); both are
// civil dates.
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// hasAtMostCents reports whether d has at most two decimal places.
func hasAtMostCents(d decimal.Decimal) bool {
	return d.Equal(d.Truncate(2))
}
