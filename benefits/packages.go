package benefits

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// A multi-service package (issue 19 item 2, seed 003's pet shop) lists several services —
// benefits of the catalogue — each with its quantity per cycle and, optionally, its price per
// use in the package (bath ×4 at 35.00, nail trim ×2 at 15.00, ear cleaning ×2 at 10.00).
// A cycle is used up when every service's quantity is; the use that does it opens the next
// cycle, whose installment charges the package's price itemised, one line per service.

// PackageService is one service a package lists, as a contract resolves it: its benefit,
// its name, the quantity one cycle holds (0: withdrawn from the contract), its price per
// use in the package (nil: none listed), whether it is active in the catalogue, and the
// current cycle's balance: Granted (0 while the service's balance is not open: then
// Quantity) and Used.
type PackageService struct {
	BenefitID int64
	Name      string
	Quantity  int
	UnitPrice *decimal.Decimal
	Active    bool
	Granted   int
	Used      int
}

// PackageUnitPrice validates the price per use a package lists for a service (raw nil: none
// listed). Only a package lists one; it is money in cents, not negative.
func PackageUnitPrice(plan billing.Plan, raw *string) (*decimal.Decimal, error) {
	if raw == nil {
		return nil, nil
	}
	if plan.Kind != billing.KindPackage {
		return nil, billing.Fieldf("unit_price", "only a package's services have a price per use; omit unit_price for a plan")
	}
	d, err := billing.ParseMoney(*raw)
	if err != nil {
		return nil, billing.Fieldf("unit_price", "%v", err)
	}
	return &d, nil
}

// CycleUsedUp reports whether a package cycle's services are used up: every active service
// with a quantity has used all its balance grants (its quantity while its balance is not
// open). A package with no such service is never used up (an inactive service is refused,
// so it could never be used up either).
func CycleUsedUp(services []PackageService) bool {
	counted := 0
	for _, s := range services {
		if !s.Active || s.Quantity < 1 {
			continue
		}
		granted := s.Quantity
		if s.Granted > 0 {
			granted = s.Granted
		}
		if s.Used < granted {
			return false
		}
		counted++
	}
	return counted > 0
}

// SplitPackagePrice splits a package's price among its services, in cents, summing to the
// price exactly. Each service weighs its quantity × its listed unit price; when no service
// lists a price (or they all list zero), each weighs its quantity. Shares are the price ×
// weight ÷ total weight rounded down to the cent, and the cents left over go one each to
// the services with the largest remainders (ties: the earlier service). So when the listed
// prices add up to the price (4 × 35.00 + 2 × 15.00 + 2 × 10.00 = 190.00), each service
// is charged exactly its quantity × unit price. Services with no quantity get zero.
func SplitPackagePrice(price decimal.Decimal, services []PackageService) []decimal.Decimal {
	weights := make([]decimal.Decimal, len(services))
	total := decimal.Zero
	for i, s := range services {
		if s.UnitPrice != nil {
			weights[i] = s.UnitPrice.Mul(decimal.NewFromInt(int64(max(s.Quantity, 0))))
			total = total.Add(weights[i])
		}
	}
	if !total.IsPositive() {
		total = decimal.Zero
		for i, s := range services {
			weights[i] = decimal.NewFromInt(int64(max(s.Quantity, 0)))
			total = total.Add(weights[i])
		}
	}
	out := make([]decimal.Decimal, len(services))
	if !total.IsPositive() {
		for i := range out {
			out[i] = decimal.Zero
		}
		return out
	}
	cents := price.Shift(2).Round(0).IntPart()
	rems := make([]decimal.Decimal, len(services))
	given := int64(0)
	for i, w := range weights {
		exact := decimal.NewFromInt(cents).Mul(w).Div(total)
		floor := exact.Floor()
		rems[i] = exact.Sub(floor)
		out[i] = floor
		given += floor.IntPart()
	}
	for left := cents - given; left > 0; left-- {
		best := -1
		for i := range rems {
			if weights[i].IsPositive() && (best < 0 || rems[i].GreaterThan(rems[best])) {
				best = i
			}
		}
		out[best] = out[best].Add(decimal.NewFromInt(1))
		rems[best] = decimal.NewFromInt(-1)
	}
	for i := range out {
		out[i] = out[i].Shift(-2)
	}
	return out
}

// PackageServiceSourceKey is the source key of a package cycle's line for a service:
// "package_service:<benefit id>".
func PackageServiceSourceKey(benefitID int64) string {
	return fmt.Sprintf("package_service:%d", benefitID)
}

// PackageCycleLines returns the lines of the installment of package cycle sequence, opened on
// from: one plan line per service with a quantity (SplitPackagePrice's share of price, the
// quantity, and the unit price when the share is the quantity × a price in cents), and a
// discount line for discount when it is positive. LineTotals of the result is (price,
// discount). With fewer than two services it is billing.ScheduledLines' single plan line.
func PackageCycleLines(sequence int, from time.Time, price, discount decimal.Decimal, services []PackageService) []billing.Line {
	listed := withQuantity(services)
	if len(listed) < 2 {
		return billing.ScheduledLines(billing.ScheduledInstallment{Kind: billing.Recurring, Sequence: sequence,
			ServiceStart: from, Amount: price, Discount: discount}, 0)
	}
	shares := SplitPackagePrice(price, listed)
	var lines []billing.Line
	for i, s := range listed {
		q := decimal.NewFromInt(int64(s.Quantity))
		l := billing.Line{Kind: billing.LinePlan, SourceKey: PackageServiceSourceKey(s.BenefitID), Quantity: q,
			Amount: shares[i], Description: PackageServiceDescription(s.Name, s.Quantity, sequence, from)}
		if unit := shares[i].Div(q); unit.Equal(unit.Round(2)) {
			unit = unit.Round(2)
			l.UnitPrice = &unit
		}
		lines = append(lines, l)
	}
	if discount.IsPositive() {
		lines = append(lines, billing.Line{Kind: billing.LineDiscount, SourceKey: billing.LineDiscount,
			Description: billing.FixedDiscountDescription, Quantity: decimal.NewFromInt(1), Amount: discount.Neg()})
	}
	return lines
}

// Itemised reports whether a package's cycles are itemised: it lists two or more services
// with a quantity (a one-service package's cycle is its single plan line).
func Itemised(services []PackageService) bool { return len(withQuantity(services)) >= 2 }

// withQuantity returns the services with a quantity (not withdrawn), in order.
func withQuantity(services []PackageService) []PackageService {
	var out []PackageService
	for _, s := range services {
		if s.Quantity > 0 {
			out = append(out, s)
		}
	}
	return out
}

// PackageServiceDescription describes a package cycle's line for a service: "Banho ×4,
// package cycle 2: uses from 2026-07-05".
func PackageServiceDescription(name string, quantity, sequence int, from time.Time) string {
	return fmt.Sprintf("%s ×%d, package cycle %d: uses from %s", name, quantity, sequence, billing.FormatDate(from))
}

// A package plan may also end its cycles on a date (cycle_months, issue 19 item 2: "a new
// cycle starts when the cycle's services are used up, or on a date, whichever comes first").
// Cycle 1 opens on the settlement of the contract's first charge (the day its balances
// start); a later cycle on the day the one before was used up or ended. A cycle ends by date
// cycle_months after it opened (CycleEndsOn) unless a use used it up before; either way the
// next cycle opens, with every service's quantity afresh, and its installment is created.
// The uses an ended cycle did not take lapse: they are not carried into the next cycle, and
// once the next cycle is open every use counts against it.

// CycleEndsOn returns the day a package cycle opened on opened ends by date when its plan
// sets months (cycle_months): opened plus months, on opened's day of the month clamped to a
// shorter month (2026-01-31 + 1 month: 2026-02-28; 2028-01-31: 2028-02-29). The next cycle
// opens on that day, so a use on it counts in the next cycle.
func CycleEndsOn(opened time.Time, months int) time.Time {
	return billing.AddMonthsClamped(opened, months, opened.Day())
}

// CyclesOwed returns the opening days of the package cycles owed as of asOf after the
// current cycle, opened on opened, when the plan sets months (cycle_months): the next cycle
// opens on the day the current one ends (CycleEndsOnPaused: CycleEndsOn, later by the
// months of a pause window that touches the cycle), the one after on the day that one
// ends, and so on while that day is on or before asOf — several when runs were missed, each
// counted from its own opening (2026-01-31 + 1 month: 02-28, then 03-28, 04-28). None when
// months is under 1 (the plan's cycles end only by use) or opened is zero (no cycle has
// started: the first charge is not settled).
func CyclesOwed(opened time.Time, months int, asOf time.Time, pause PauseWindow) []time.Time {
	if opened.IsZero() {
		return nil
	}
	if months < 1 {
		return nil
	}
	var out []time.Time
	for end := CycleEndsOnPaused(opened, months, pause); !end.After(asOf); end = CycleEndsOnPaused(end, months, pause) {
		out = append(out, end)
	}
	return out
}

// OwedCycle is a package cycle a contract is owed by date: its number, the day it opens and
// the nominal due date of the installment that pays for it.
type OwedCycle struct {
	Cycle      int
	Opened     time.Time
	NominalDue time.Time
}

// CyclesDue returns the package cycles owed as of asOf after cycle current, opened on opened,
// when the plan sets months and the contract has the pause window pause (CyclesOwed), numbered from current+1, each with the nominal due
// date of its installment: NextCycleDue with the cycle's opening day as the use's day and
// after the due date of the cycle before (previousDue, the latest recurring installment's,
// for the first).
func CyclesDue(rule billing.DueDateRule, activation time.Time, current int, opened time.Time, months int, asOf, previousDue time.Time,
	pause PauseWindow) []OwedCycle {
	var out []OwedCycle
	for i, day := range CyclesOwed(opened, months, asOf, pause) {
		previousDue = NextCycleDue(rule, activation, day, previousDue)
		out = append(out, OwedCycle{Cycle: current + 1 + i, Opened: day, NominalDue: previousDue})
	}
	return out
}
