package delinquency

import (
	"fmt"
	"slices"
	"time"

	"github.com/billingd/billingd/billing"
)

// Rule says when a contract with overdue installments is blocked and when it is warned.
type Rule struct {
	ID   int64
	Name string
	// BlockAfterDays is how many days past its effective due date an open installment blocks
	// the contract: due on the 10th with 10 days, blocked on the 20th.
	BlockAfterDays int
	// MinOverdue is how many open installments must be that late before the contract is
	// blocked (1: any one).
	MinOverdue int
	// WarningDays is how many days before the block date the customer is warned (0: never).
	WarningDays int
	// Default marks the rule applied to contracts that name none.
	Default   bool
	CreatedAt time.Time
	// Ladder is the rule's collection ladder (issue 15); BlockAfterDays, MinOverdue and
	// WarningDays are its generic reading (Ladder.Reading), which the rules of before the
	// ladder were written in.
	Ladder Ladder
}

// Validate checks a rule's own bounds, naming the field at fault.
func (r Rule) Validate() error {
	if r.Name == "" {
		return billing.Fieldf("name", "required")
	}
	if r.BlockAfterDays < 1 || r.BlockAfterDays > 365 {
		return billing.Fieldf("block_after_days", "must be between 1 and 365, got %d", r.BlockAfterDays)
	}
	if r.MinOverdue < 1 || r.MinOverdue > 120 {
		return billing.Fieldf("min_overdue_installments", "must be between 1 and 120, got %d", r.MinOverdue)
	}
	if r.WarningDays < 0 || r.WarningDays >= r.BlockAfterDays {
		return billing.Fieldf("warning_days", "must be from 0 to block_after_days - 1 (%d), got %d: the warning goes out after the due date and before the block",
			r.BlockAfterDays-1, r.WarningDays)
	}
	return nil
}

// Installment is what the rules need to know about one open installment.
type Installment struct {
	ID       int64
	Kind     billing.InstallmentKind
	Sequence int
	// Due is the effective due date.
	Due time.Time
	// ServiceStart is the first day of service it pays for; for a prepaid contract's
	// installment after the first, the day after the contract's paid_through.
	ServiceStart time.Time
}

// Block is when and why a contract's open installments block it.
type Block struct {
	// On is the first date on which the contract is blocked.
	On time.Time
	// WarnOn is the date of the warning: WarningDays before On, never before the day after
	// the trigger's due date; zero when the rule does not warn.
	WarnOn time.Time
	// Trigger is the installment whose lateness blocks the contract.
	Trigger Installment
	// Reason says why, for the block episode.
	Reason string
}

// BlockOf returns the block that rule r gives a contract with the open installments open,
// and false when they never block it (none is open, or fewer than MinOverdue).
//
// A prepaid contract (billing.PrepaidFixedDay) is blocked the day after its paid_through,
// that is on the service start of its first unpaid recurring installment after the first,
// whatever BlockAfterDays and MinOverdue say; its first installment and its adhesion
// installments follow BlockAfterDays. Any other contract is blocked BlockAfterDays after
// the due date of its MinOverdue-th oldest open installment.
func BlockOf(r Rule, prepaid bool, open []Installment) (Block, bool) {
	byDue := slices.Clone(open)
	slices.SortFunc(byDue, func(a, b Installment) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	var best Block
	found := false
	consider := func(b Block) {
		if !found || b.On.Before(best.On) {
			best, found = b, true
		}
	}
	if !prepaid {
		if len(byDue) >= r.MinOverdue && r.MinOverdue >= 1 {
			t := byDue[r.MinOverdue-1]
			reason := fmt.Sprintf("installment %d due %s unpaid %d days after its due date", t.ID, billing.FormatDate(t.Due), r.BlockAfterDays)
			if r.MinOverdue > 1 {
				reason = fmt.Sprintf("%d installments unpaid %d days after their due dates (the last, installment %d, due %s)",
					r.MinOverdue, r.BlockAfterDays, t.ID, billing.FormatDate(t.Due))
			}
			consider(Block{On: t.Due.AddDate(0, 0, r.BlockAfterDays), Trigger: t, Reason: reason})
		}
	} else {
		var firstRecurring *Installment
		for i, in := range byDue {
			if in.Kind != billing.Recurring {
				consider(Block{On: in.Due.AddDate(0, 0, r.BlockAfterDays), Trigger: in,
					Reason: fmt.Sprintf("adhesion installment %d due %s unpaid %d days after its due date", in.ID, billing.FormatDate(in.Due), r.BlockAfterDays)})
			} else if firstRecurring == nil || in.Sequence < firstRecurring.Sequence {
				firstRecurring = &byDue[i]
			}
		}
		if t := firstRecurring; t != nil {
			if t.Sequence == 1 || t.ServiceStart.IsZero() {
				consider(Block{On: t.Due.AddDate(0, 0, r.BlockAfterDays), Trigger: *t,
					Reason: fmt.Sprintf("first installment %d due %s unpaid %d days after its due date", t.ID, billing.FormatDate(t.Due), r.BlockAfterDays)})
			} else {
				consider(Block{On: t.ServiceStart, Trigger: *t,
					Reason: fmt.Sprintf("service paid through %s ran out and installment %d due %s is unpaid",
						billing.FormatDate(t.ServiceStart.AddDate(0, 0, -1)), t.ID, billing.FormatDate(t.Due))})
			}
		}
	}
	if !found {
		return Block{}, false
	}
	if r.WarningDays > 0 {
		best.WarnOn = best.On.AddDate(0, 0, -r.WarningDays)
		if earliest := best.Trigger.Due.AddDate(0, 0, 1); best.WarnOn.Before(earliest) {
			best.WarnOn = earliest
		}
		if !best.WarnOn.Before(best.On) {
			best.WarnOn = time.Time{}
		}
	}
	return best, true
}

// Holds reports whether rule r blocks a contract with the open installments open as of asOf.
func Holds(r Rule, prepaid bool, open []Installment, asOf time.Time) bool {
	b, ok := BlockOf(r, prepaid, open)
	return ok && !b.On.After(asOf)
}
