package billing

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// One-off charges and add-ons (issue 19 item 6): what a contract is charged beyond its plan.

// MaxChargeInstallments bounds how many installments one charge may be split in.
const MaxChargeInstallments = 60

// MaxChargeDescription bounds a charge's or an add-on's description, in characters.
const MaxChargeDescription = 200

// OneOffCharge is a one-off charge of a contract (an extra service, a visit, equipment): its
// amount, billed on the contract's next Installments open installments.
type OneOffCharge struct {
	Description  string
	Amount       decimal.Decimal
	Installments int
}

// Validate checks a charge's own rules, naming the JSON field of the first problem: a
// description, a positive amount in cents, and 1 to MaxChargeInstallments installments, no
// more than the amount has cents (each part must charge something).
func (c OneOffCharge) Validate() error {
	if err := validateDescription(c.Description); err != nil {
		return err
	}
	// Plain ifs rather than a switch: the mutation gate's coverage sees their conditions.
	if !c.Amount.IsPositive() {
		return Fieldf("amount", "must be more than zero, got %s", c.Amount.String())
	}
	if !hasAtMostCents(c.Amount) {
		return Fieldf("amount", "must be in cents, got %s", c.Amount.String())
	}
	if c.Installments < 1 || c.Installments > MaxChargeInstallments {
		return Fieldf("installments", "must be between 1 and %d, got %d", MaxChargeInstallments, c.Installments)
	}
	if c.Amount.Shift(2).IntPart() < int64(c.Installments) {
		return Fieldf("installments", "%s cannot be split in %d parts of at least 0.01", FormatMoney(c.Amount), c.Installments)
	}
	return nil
}

// validateDescription checks a charge's or an add-on's description.
func validateDescription(d string) error {
	if strings.TrimSpace(d) == "" {
		return Fieldf("description", "required: what is charged, in words")
	}
	if strings.ContainsRune(d, 0) {
		return Fieldf("description", "must not contain NUL characters")
	}
	if utf8.RuneCountInString(d) > MaxChargeDescription {
		return Fieldf("description", "at most %d characters", MaxChargeDescription)
	}
	return nil
}

// ChargeLines returns the lines that bill the charge chargeID, one per installment it is
// split in (SplitExact: the remainder cents on the first), source key "charge:<id>:<part>".
// A charge in one installment has its description as is; a split one says "(part 2 of 3)".
func ChargeLines(chargeID int64, c OneOffCharge) ([]Line, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	parts, err := SplitExact(c.Amount, c.Installments)
	if err != nil {
		return nil, fmt.Errorf("split charge %d: %w", chargeID, err)
	}
	lines := make([]Line, len(parts))
	for i, amount := range parts {
		d := c.Description
		if len(parts) > 1 {
			d = fmt.Sprintf("%s (part %d of %d)", c.Description, i+1, len(parts))
		}
		lines[i] = Line{Kind: LineCharge, Description: d, Quantity: decimal.NewFromInt(1), Amount: amount,
			SourceKey: fmt.Sprintf("charge:%d:%d", chargeID, i+1)}
	}
	return lines, nil
}

// Addon is a recurring add-on of a contract (an app, a static IP): its price per service
// period, charged on every installment generated while it is active (from From to Until,
// both included; Until zero while it lasts).
type Addon struct {
	Description string
	Price       decimal.Decimal
	From, Until time.Time
}

// Validate checks an add-on's own rules, naming the JSON field: a description, a positive
// price in cents, a start day.
func (a Addon) Validate() error {
	if err := validateDescription(a.Description); err != nil {
		return err
	}
	if !a.Price.IsPositive() {
		return Fieldf("price", "must be more than zero, got %s", a.Price.String())
	}
	if !hasAtMostCents(a.Price) {
		return Fieldf("price", "must be in cents, got %s", a.Price.String())
	}
	if a.From.IsZero() {
		return Fieldf("from", "required: the first day the add-on is active")
	}
	if !a.Until.IsZero() && a.Until.Before(a.From) {
		return Fieldf("until", "must not be before from (%s), got %s", FormatDate(a.From), FormatDate(a.Until))
	}
	return nil
}

// AddonLine returns the line that charges the add-on addonID on the installment whose
// service period is start..end, and false when the add-on is not active in it. A period the
// add-on covers whole is charged its price; one it covers in part is prorated like a plan
// change (PlanChangeProration: the days active × price / the period's days, half-up to the
// cent).
func AddonLine(addonID int64, a Addon, start, end time.Time) (Line, bool) {
	from, until := a.From, a.Until
	if from.After(end) || (!until.IsZero() && until.Before(start)) {
		return Line{}, false
	}
	amount := a.Price
	desc := fmt.Sprintf("add-on: %s, service %s to %s", a.Description, FormatDate(start), FormatDate(end))
	if from.After(start) || (!until.IsZero() && until.Before(end)) {
		first, last := maxDate(from, start), end
		if !until.IsZero() && until.Before(end) {
			last = until
		}
		days := PeriodDays(first, last)
		amount = ProrateDays(a.Price, days, PeriodDays(start, end))
		desc = fmt.Sprintf("add-on: %s, %d of %d days (%s to %s)", a.Description, days, PeriodDays(start, end),
			FormatDate(first), FormatDate(last))
	}
	if !amount.IsPositive() {
		return Line{}, false
	}
	price := a.Price
	return Line{Kind: LineAddon, Description: desc, Quantity: decimal.NewFromInt(1), UnitPrice: &price, Amount: amount,
		SourceKey: fmt.Sprintf("addon:%d", addonID)}, true
}

func maxDate(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
