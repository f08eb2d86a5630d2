package delinquency

import (
	"fmt"
)

// StepKind names a step of the collection ladder, and the positions a contract can be at.
type StepKind string

// The ladder's steps, in the order a contract climbs them.
const (
	// StepNone: the contract is not on the ladder (fewer than MinOverdue installments
	// overdue).
	StepNone StepKind = "none"
	// StepReminder is a reminder before an installment's due date; it is a step of the
	// ladder and a next step, never a position (reminders are per installment).
	StepReminder StepKind = "reminder"
	// StepOverdue: MinOverdue installments are overdue, the debt notice is not due yet.
	StepOverdue StepKind = "overdue"
	// StepDebtNotice: the debt notice (notificação de débito) is due, or sent.
	StepDebtNotice StepKind = "debt_notice"
	// StepPartialSuspension: service reduced (a state the network reads as such).
	StepPartialSuspension StepKind = "partial_suspension"
	// StepSuspension: service suspended (the contract is blocked).
	StepSuspension StepKind = "suspension"
	// StepTermination: the contract ends (end_reason terminated); what is owed stays owed.
	StepTermination StepKind = "termination"
)

// StepKinds lists the positions a contract can be at, in ladder order.
var StepKinds = []StepKind{StepNone, StepOverdue, StepDebtNotice, StepPartialSuspension, StepSuspension, StepTermination}

// StepNames are the positions' names, in ladder order: the values the store keeps in
// contracts.ladder_step and GET /v1/collections?step= takes.
var StepNames = func() []string {
	out := make([]string, len(StepKinds))
	for i, k := range StepKinds {
		out[i] = string(k)
	}
	return out
}()

// NextSteps are the steps a position's Next can name, in ladder order: a reminder and every
// step from the debt notice on.
var NextSteps = []string{string(StepReminder), string(StepDebtNotice), string(StepPartialSuspension), string(StepSuspension),
	string(StepTermination)}

// StoredSteps are the steps a sweep stores as a contract's position, in ladder order:
// every position but overdue, which needs no move (a contract overdue whose debt notice is
// not due yet is stored at none).
var StoredSteps = []string{string(StepNone), string(StepDebtNotice), string(StepPartialSuspension), string(StepSuspension),
	string(StepTermination)}

// Stored returns the step a sweep stores for position k: none for overdue, k otherwise.
func (k StepKind) Stored() StepKind {
	if k == StepOverdue {
		return StepNone
	}
	return k
}

// Rank orders the positions: a higher rank is further up the ladder (none is 0).
func (k StepKind) Rank() int { return k.rank() }

// rank orders the positions: a higher rank is further up the ladder.
func (k StepKind) rank() int {
	switch k {
	case StepOverdue:
		return 1
	case StepDebtNotice:
		return 2
	case StepPartialSuspension:
		return 3
	case StepSuspension:
		return 4
	case StepTermination:
		return 5
	}
	return 0
}

// Suspends reports whether the step reduces or suspends the service.
func (k StepKind) Suspends() bool {
	return k == StepPartialSuspension || k == StepSuspension
}

// ParseStepKind parses a position name (none, overdue, debt_notice, partial_suspension,
// suspension, termination), as GET /v1/collections?step= takes it.
func ParseStepKind(s string) (StepKind, error) {
	for _, k := range StepKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown step %q (want none, overdue, debt_notice, partial_suspension, suspension or termination)", clip(s))
}

// Anchor says from which day a step's offset counts.
type Anchor string

// The anchors of a step's offset.
const (
	// FromDueDate counts from the trigger installment's effective due date (a reminder
	// counts back from each installment's own).
	FromDueDate Anchor = "due_date"
	// FromNoticeSent counts from the day the debt notice was sent (delivered to the SMTP
	// server), never from when it was created.
	FromNoticeSent Anchor = "notice_sent"
	// FromNoticeDue counts from the day the debt notice was due to go out, sent or not:
	// the generic profile, whose dates never move (see the package doc).
	FromNoticeDue Anchor = "notice_due"
)

// Step is one step of a ladder: its kind and its offset in days from its anchor (a
// reminder's Days count back: 5 is D−5).
type Step struct {
	Kind StepKind
	Days int
	From Anchor
}

// Ladder is a blocking rule's collection ladder: when the reminders, the debt notice, the
// partial suspension, the suspension and the termination come. It is stored as these few
// numbers (one row per rule), so a sweep computes every contract's step dates from its
// trigger's due date and its debt notice's sent date.
type Ladder struct {
	// Profile names the compliance profile the ladder follows (generic when empty).
	Profile ProfileName
	// MinOverdue is how many open installments must be overdue before the ladder starts
	// (K: the K-th oldest open installment is the trigger).
	MinOverdue int
	// ReminderDays are the reminders before each installment's effective due date, in
	// days (5 and 1: D−5 and D−1), largest first.
	ReminderDays []int
	// NoticeDays is how many days after the trigger's effective due date the debt notice
	// is due; 0: no debt notice (only the generic profile), and then the steps below count
	// from the due date.
	NoticeDays int
	// PartialSuspensionDays is how many days after the debt notice the service is reduced;
	// 0: no partial suspension.
	PartialSuspensionDays int
	// SuspensionDays is how many days after the debt notice the service is suspended.
	SuspensionDays int
	// TerminationDays is how many days after the debt notice the contract is terminated;
	// 0: no termination.
	TerminationDays int
}

// Bounds every profile shares.
const (
	maxMinOverdue    = 120
	maxReminders     = 5
	maxReminderDays  = 60
	maxLadderDays    = 365
	maxTerminateDays = 730
)

// Steps returns the ladder as its ordered list of steps, with the anchor each offset
// counts from under the ladder's profile.
func (l Ladder) Steps() []Step {
	after := FromNoticeDue
	if profileOf(l.Profile).RequiresSentNotice {
		after = FromNoticeSent
	}
	if l.NoticeDays == 0 {
		after = FromDueDate
	}
	var out []Step
	for _, d := range l.ReminderDays {
		out = append(out, Step{Kind: StepReminder, Days: d, From: FromDueDate})
	}
	if l.NoticeDays > 0 {
		out = append(out, Step{Kind: StepDebtNotice, Days: l.NoticeDays, From: FromDueDate})
	}
	if l.PartialSuspensionDays > 0 {
		out = append(out, Step{Kind: StepPartialSuspension, Days: l.PartialSuspensionDays, From: after})
	}
	out = append(out, Step{Kind: StepSuspension, Days: l.SuspensionDays, From: after})
	if l.TerminationDays > 0 {
		out = append(out, Step{Kind: StepTermination, Days: l.TerminationDays, From: after})
	}
	return out
}

// Validate checks the ladder's shape and its profile's rules, naming the field at fault
// (and, for a profile's rule, the rule and its source).
func (l Ladder) Validate() error {
	p, err := ProfileOf(string(l.Profile))
	if err != nil {
		return err
	}
	if err := l.checkShape(); err != nil {
		return err
	}
	return p.Check(l)
}

// checkShape checks the bounds every profile shares.
func (l Ladder) checkShape() error {
	if l.MinOverdue < 1 || l.MinOverdue > maxMinOverdue {
		return fieldf(FieldMinOverdue, "must be between 1 and %d, got %d", maxMinOverdue, l.MinOverdue)
	}
	if len(l.ReminderDays) > maxReminders {
		return fieldf(FieldReminderDays, "at most %d reminders, got %d", maxReminders, len(l.ReminderDays))
	}
	for i, d := range l.ReminderDays {
		if d < 1 || d > maxReminderDays {
			return fieldf(FieldReminderDays, "each reminder is 1 to %d days before the due date, got %d", maxReminderDays, d)
		}
		if i > 0 && d >= l.ReminderDays[i-1] {
			return fieldf(FieldReminderDays, "largest first, each once (5, 1 for D−5 and D−1), got %v", l.ReminderDays)
		}
	}
	if l.NoticeDays < 0 || l.NoticeDays > maxLadderDays {
		return fieldf(FieldNoticeDays, "must be from 0 (no debt notice) to %d days after the due date, got %d", maxLadderDays, l.NoticeDays)
	}
	if l.SuspensionDays < 1 || l.NoticeDays+l.SuspensionDays > maxLadderDays {
		return fieldf(FieldSuspensionDays, "must be at least 1, and the suspension at most %d days after the due date (notice_after_days + suspension_after_days), got %d",
			maxLadderDays, l.SuspensionDays)
	}
	if l.PartialSuspensionDays < 0 || (l.PartialSuspensionDays > 0 && l.PartialSuspensionDays >= l.SuspensionDays) {
		return fieldf(FieldPartialDays, "must be 0 (none) or from 1 to suspension_after_days - 1 (%d): the partial suspension comes before the total one, got %d",
			l.SuspensionDays-1, l.PartialSuspensionDays)
	}
	if l.TerminationDays < 0 || (l.TerminationDays > 0 && l.TerminationDays <= l.SuspensionDays) || l.NoticeDays+l.TerminationDays > maxTerminateDays {
		return fieldf(FieldTerminationDays, "must be 0 (none) or after the suspension (more than %d) and at most %d days after the due date, got %d",
			l.SuspensionDays, maxTerminateDays, l.TerminationDays)
	}
	return nil
}

// LadderFromRule returns the ladder equivalent to a blocking rule of before the ladder:
// the generic profile, the warning as the debt notice (block_after_days − warning_days
// after the due date) and the suspension warning_days after it, so on block_after_days;
// a rule without a warning has no debt notice and suspends block_after_days after the due
// date. Under it, PositionAt puts a contract at debt_notice exactly on the days Decide
// warns it and at suspension exactly on the days Decide blocks it (TestLadderFromRuleKeepsTheDates).
func LadderFromRule(r Rule) Ladder {
	l := Ladder{Profile: Generic, MinOverdue: r.MinOverdue, SuspensionDays: r.BlockAfterDays}
	if r.WarningDays > 0 {
		l.NoticeDays = r.BlockAfterDays - r.WarningDays
		l.SuspensionDays = r.WarningDays
	}
	return l
}

// Reading returns the ladder in the terms of the blocking rules of before the ladder: the
// days after the due date of the suspension when the notice goes out the day it is due
// (notice + suspension), and the warning's days before it (the suspension's, when there is
// a notice; 0 otherwise). For a generic ladder these are its dates exactly
// (LadderFromRule(r).Reading() gives r's back).
func (l Ladder) Reading() (blockAfterDays, warningDays int) {
	r := l.blockRule()
	return r.BlockAfterDays, r.WarningDays
}

// blockRule is the rule whose BlockOf gives the ladder's trigger, its due-based suspension
// date and (generic) its notice date.
func (l Ladder) blockRule() Rule {
	r := Rule{BlockAfterDays: l.NoticeDays + l.SuspensionDays, MinOverdue: l.MinOverdue}
	if l.NoticeDays > 0 {
		r.WarningDays = l.SuspensionDays
	}
	return r
}

// firstSuspensionDays is the offset of the ladder's first suspension, partial or total.
func (l Ladder) firstSuspensionDays() int {
	if l.PartialSuspensionDays > 0 {
		return l.PartialSuspensionDays
	}
	return l.SuspensionDays
}

// clip shortens user input quoted in error messages.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "..."
}
