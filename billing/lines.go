package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Line kinds: what one line of an installment charges or discounts (issue 19 item 4). A new
// kind is a migration that widens the CHECK of installment_lines.kind.
const (
	LinePlan               = "plan"
	LineAdhesion           = "adhesion"
	LineSubjectPlan        = "subject_plan"
	LineAddon              = "addon"
	LineCharge             = "charge"
	LineOverage            = "overage"
	LineProration          = "proration"
	LineDiscount           = "discount"
	LineInactivityDiscount = "inactivity_discount"
	LineLateFine           = "late_fine"
	LineLateInterest       = "late_interest"
	// LineAdjustment is an operator's change of one installment's amount (PATCH
	// /v1/installments/{id}): it charges or gives back the difference, like a proration.
	LineAdjustment = "adjustment"
)

// LineKinds are the kinds of installment line, in the order documents list them.
var LineKinds = []string{LinePlan, LineAdhesion, LineSubjectPlan, LineAddon, LineCharge, LineOverage, LineProration,
	LineDiscount, LineInactivityDiscount, LineLateFine, LineLateInterest, LineAdjustment}

// Line is one line of an installment: what it charges (Amount > 0) or discounts
// (Amount < 0), why, and the business identity of what wrote it (SourceKey: "plan",
// "discount", "inactivity:<episode id>", "late_fine:<payment id>"…), unique per installment.
type Line struct {
	Kind        string
	Description string
	// Quantity is how many units the line counts (1 unless it says otherwise: the days of
	// a late_interest line).
	Quantity decimal.Decimal
	// UnitPrice is the price of one unit, when the line has one.
	UnitPrice *decimal.Decimal
	// Amount is signed: charges are positive, discounts negative.
	Amount    decimal.Decimal
	SourceKey string
}

// Validate checks a line's own rules: a known kind, a description, a source key, a positive
// quantity, an amount in cents whose sign the kind allows (a discount never charges, a
// charge never discounts, a proration or an adjustment may go either way).
func (l Line) Validate() error {
	switch {
	case !slices.Contains(LineKinds, l.Kind):
		return Fieldf("kind", "want one of %v, got %q", LineKinds, l.Kind)
	case l.Description == "":
		return Fieldf("description", "required: the reason for the line in words")
	case l.SourceKey == "":
		return Fieldf("source_key", "required: the business identity of what wrote the line")
	case !l.Quantity.IsPositive():
		return Fieldf("quantity", "must be more than zero, got %s", l.Quantity.String())
	case !hasAtMostCents(l.Amount):
		return Fieldf("amount", "must be in cents, got %s", l.Amount.String())
	case l.discounts() && l.Amount.IsPositive():
		return Fieldf("amount", "a %s line discounts: its amount must not be positive, got %s", l.Kind, FormatMoney(l.Amount))
	case l.Kind != LineProration && l.Kind != LineAdjustment && !l.discounts() && l.Amount.IsNegative():
		return Fieldf("amount", "a %s line charges: its amount must not be negative, got %s", l.Kind, FormatMoney(l.Amount))
	}
	return nil
}

// discounts reports whether the line's kind is a discount.
func (l Line) discounts() bool { return l.Kind == LineDiscount || l.Kind == LineInactivityDiscount }

// Late reports whether the line is a late charge (fine or interest), which a payment writes
// when it settles a late installment and which is not part of what the installment asks
// before it is late.
func (l Line) Late() bool { return l.Kind == LineLateFine || l.Kind == LineLateInterest }

// LineTotals returns the totals an installment caches from its lines: amount, the sum of the
// positive lines, and discount, minus the sum of the negative ones.
func LineTotals(lines []Line) (amount, discount decimal.Decimal) {
	for _, l := range lines {
		if l.Amount.IsPositive() {
			amount = amount.Add(l.Amount)
		} else {
			discount = discount.Sub(l.Amount)
		}
	}
	return amount, discount
}

// ScheduledLines returns the lines a scheduled installment is the sum of: its plan line (a
// recurring installment) or its adhesion line (one of adhesionInstallments), at its amount,
// and a discount line (source "discount") for its fixed discount when it has one.
// LineTotals of the result is the installment's amount and discount.
func ScheduledLines(it ScheduledInstallment, adhesionInstallments int) []Line {
	one := decimal.NewFromInt(1)
	price := it.Amount
	var main Line
	switch {
	case it.Kind == Adhesion:
		main = Line{Kind: LineAdhesion, SourceKey: LineAdhesion, Description: AdhesionLineDescription(it.Sequence, adhesionInstallments)}
	case it.ServiceEnd.IsZero():
		main = Line{Kind: LinePlan, SourceKey: LinePlan, Description: CycleLineDescription(it.Sequence, it.ServiceStart)}
	default:
		main = Line{Kind: LinePlan, SourceKey: LinePlan, Description: PlanLineDescription(it.Term, it.Sequence, it.ServiceStart, it.ServiceEnd)}
	}
	main.Quantity, main.UnitPrice, main.Amount = one, &price, it.Amount
	lines := []Line{main}
	if it.Discount.IsPositive() {
		lines = append(lines, Line{Kind: LineDiscount, SourceKey: LineDiscount, Description: FixedDiscountDescription,
			Quantity: one, Amount: it.Discount.Neg()})
	}
	return lines
}

// FixedDiscountDescription is the description of a contract's fixed discount line.
const FixedDiscountDescription = "fixed discount"

// PlanLineDescription describes the plan line of a recurring installment: "plan, term 1
// installment 3: service 2026-07-01 to 2026-07-31". The migration that created the lines of
// existing installments and the bench floor write the same words.
func PlanLineDescription(term, sequence int, start, end time.Time) string {
	return fmt.Sprintf("plan, term %d installment %d: service %s to %s", term, sequence, FormatDate(start), FormatDate(end))
}

// CycleLineDescription describes the plan line of a package cycle's installment: "plan,
// package cycle 3: uses from 2026-07-05".
func CycleLineDescription(sequence int, from time.Time) string {
	return fmt.Sprintf("plan, package cycle %d: uses from %s", sequence, FormatDate(from))
}

// AdhesionLineDescription describes an adhesion installment's line: "adhesion fee,
// installment 1 of 3" ("adhesion fee, installment 1" when the count is unknown).
func AdhesionLineDescription(sequence, of int) string {
	if of < 1 {
		return fmt.Sprintf("adhesion fee, installment %d", sequence)
	}
	return fmt.Sprintf("adhesion fee, installment %d of %d", sequence, of)
}
