package delinquency

import (
	"fmt"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
)

// LadderState is one contract as the ladder sees it: a few columns a set-based sweep
// reads for thousands of contracts at once.
type LadderState struct {
	Ladder  Ladder
	Prepaid bool
	// Open are the contract's open installments. Those not due yet may be left out (the
	// sweep reads those due before the date); given, they yield the reminders and the
	// dates of a contract not on the ladder yet.
	Open []Installment
	// History are the installments settled late in the last 12 months (health_9656 only:
	// the days in default add up, consecutive or not).
	History []DefaultSpell
	// NoticeSentOn is the day (in the business time zone) the debt notice of the current
	// delinquency was sent — delivered to the SMTP server; zero while it is not.
	NoticeSentOn time.Time
	// Step is the step the contract was last moved to (StepNone when never, or since it
	// left the ladder), StepSince the date of that move.
	Step      StepKind
	StepSince time.Time
	// Suspended says whether the service is suspended now (an open block segment).
	Suspended bool
	// SuspendedSince is the first day of the current unbroken suspension, partial or total
	// (the open block segment's start); zero when not suspended.
	SuspendedSince time.Time
	// TrustUntil is the last day of the latest trust unlock; zero when none was granted.
	TrustUntil time.Time
}

// Position is where a contract stands on the ladder on a date, what comes next and why.
type Position struct {
	// Step is the step the contract should be at on the date, Since the date it was
	// reached (the stored one when the contract was already moved there).
	Step  StepKind
	Since time.Time
	// Next is the step that follows and NextOn its date; NextOn is zero while it waits
	// for the debt notice to be sent (Waiting says so), and Next is empty when nothing
	// follows.
	Next    StepKind
	NextOn  time.Time
	Waiting string
	// Suspended says whether the service is reduced or suspended on the date (false
	// during a trust unlock).
	Suspended bool
	// TrustUntil is the last day of a trust unlock in force on the date; zero otherwise.
	TrustUntil time.Time
	// Trigger is the installment that puts the contract on the ladder (zero ID: none).
	Trigger Installment
	// The ladder's dates for the trigger: when the debt notice is due (zero: the ladder
	// sends none for it), when it was sent, and the suspension steps (zero: not in the
	// ladder, or waiting for the notice to be sent).
	NoticeOn            time.Time
	NoticeSentOn        time.Time
	PartialSuspensionOn time.Time
	SuspensionOn        time.Time
	TerminationOn       time.Time
	// DaysInDefault and NoticeDeadline (the 50th day of default) are the health rule's
	// figures on the date; zero for other profiles.
	DaysInDefault  int
	NoticeDeadline time.Time
	// Reason says all of it in words, for /explain.
	Reason string
}

// PositionAt returns where a contract should be on the ladder on date on.
//
// The trigger is the MinOverdue-th oldest open installment (for a prepaid contract, as
// BlockOf says: the day after paid_through). The debt notice is due NoticeDays after the
// trigger's effective due date, or, for a prepaid contract, SuspensionDays before its
// service runs out, never before the day after the due date. Then:
//
//   - generic (RequiresSentNotice false): the suspension is due NoticeDays +
//     SuspensionDays after the due date (prepaid: the day after paid_through), whether the
//     notice was sent or not, and the other steps keep their distance from it: the dates
//     of the blocking rules of before the ladder, which never move;
//   - telecom_rgc765 and health_9656: no suspension before the notice is sent; partial
//     suspension, suspension and termination come their days after the day it was sent
//     (and no earlier than a prepaid service runs out), so a notice sent late — SMTP down,
//     outside the dunning window, a contract first seen already late — moves them all. A
//     termination also waits its days after the current suspension began;
//   - health_9656 also waits, for suspension and termination, for more than 60 days in
//     default in the last 12 months, and for 11 days after a notice sent after the 50th
//     day of default (HealthGateOn).
//
// A trust unlock in force keeps the step but restores the service, and the suspension
// returns the day after it; a termination waits for it to end. A terminated contract
// stays terminated.
func PositionAt(s LadderState, on time.Time) Position {
	l := s.Ladder
	prof := profileOf(l.Profile)
	p := Position{Step: StepNone, NoticeSentOn: s.NoticeSentOn}
	if s.Step == StepTermination {
		p.Step, p.Since = StepTermination, s.StepSince
		p.Reason = fmt.Sprintf("terminated on %s; what is still owed stays owed", fd(s.StepSince))
		return p
	}
	var spells []DefaultSpell
	if prof.CountsDefaultDays {
		spells = spellsOf(s.Open, s.History)
		p.DaysInDefault = DaysInDefault(spells, on)
	}
	b, ok := BlockOf(l.blockRule(), s.Prepaid, s.Open)
	if !ok {
		p.Next, p.NextOn = nextReminder(l, s.Open, on)
		p.Reason = noneReason(l, s.Open, on)
		return p
	}
	t := b.Trigger
	p.Trigger = t
	if prof.RequiresSentNotice {
		p.scheduleSent(s, b, spells)
	} else {
		p.scheduleGeneric(l, b)
	}
	if !s.TrustUntil.IsZero() && !p.TerminationOn.IsZero() {
		p.TerminationOn = later(p.TerminationOn, s.TrustUntil.AddDate(0, 0, 1))
	}
	reached := func(d time.Time) bool { return !d.IsZero() && !d.After(on) }
	switch {
	case reached(p.TerminationOn):
		p.Step, p.Since = StepTermination, p.TerminationOn
	case reached(p.SuspensionOn):
		p.Step, p.Since = StepSuspension, p.SuspensionOn
	case reached(p.PartialSuspensionOn):
		p.Step, p.Since = StepPartialSuspension, p.PartialSuspensionOn
	case reached(p.NoticeOn):
		p.Step, p.Since = StepDebtNotice, p.NoticeOn
	case t.Due.Before(on):
		p.Step, p.Since = StepOverdue, t.Due.AddDate(0, 0, 1)
	}
	if p.Step == s.Step && !s.StepSince.IsZero() {
		p.Since = s.StepSince
	}
	trust := !s.TrustUntil.IsZero() && !on.After(s.TrustUntil)
	p.Suspended = p.Step.Suspends() && !trust
	p.next(l, s, on, trust)
	p.Reason = p.explain(l, prof, on, trust)
	return p
}

// scheduleGeneric fills the dates of the generic profile: today's block date and warning,
// the other steps at their distance from them.
func (p *Position) scheduleGeneric(l Ladder, b Block) {
	p.NoticeOn = b.WarnOn
	p.SuspensionOn = b.On
	// The day the notice was due to go out (or the due date when there is none): the
	// suspension is SuspensionDays after it, and so are the others.
	anchor := b.On.AddDate(0, 0, -l.SuspensionDays)
	if l.PartialSuspensionDays > 0 {
		p.PartialSuspensionOn = anchor.AddDate(0, 0, l.PartialSuspensionDays)
	}
	if l.TerminationDays > 0 {
		p.TerminationOn = anchor.AddDate(0, 0, l.TerminationDays)
	}
}

// scheduleSent fills the dates of a profile that requires a sent notice.
func (p *Position) scheduleSent(s LadderState, b Block, spells []DefaultSpell) {
	l := s.Ladder
	t := b.Trigger
	earliest := t.Due.AddDate(0, 0, 1)
	p.NoticeOn = later(b.On.AddDate(0, 0, -l.SuspensionDays), earliest)
	if spells != nil {
		if deadline, ok := DateOfDefaultDay(spells, HealthNoticeByDay, earliestDue(spells, t.Due)); ok {
			p.NoticeDeadline = deadline
			if deadline.Before(p.NoticeOn) {
				p.NoticeOn = later(deadline, earliest)
			}
		}
	}
	sent := s.NoticeSentOn
	if sent.IsZero() {
		return
	}
	// A prepaid service that runs out later moves every step after the notice together.
	p.SuspensionOn = sent.AddDate(0, 0, l.SuspensionDays)
	if runsOut(b, s.Prepaid) {
		p.SuspensionOn = later(b.On, p.SuspensionOn)
	}
	shift := daysFrom(sent.AddDate(0, 0, l.SuspensionDays), p.SuspensionOn)
	if l.PartialSuspensionDays > 0 {
		p.PartialSuspensionOn = sent.AddDate(0, 0, l.PartialSuspensionDays+shift)
	}
	if l.TerminationDays > 0 {
		p.TerminationOn = sent.AddDate(0, 0, l.TerminationDays+shift)
		if !s.SuspendedSince.IsZero() {
			p.TerminationOn = later(p.TerminationOn, s.SuspendedSince.AddDate(0, 0, l.TerminationDays-l.firstSuspensionDays()))
		}
	}
	if spells != nil {
		p.SuspensionOn = healthFrom(spells, sent, p.SuspensionOn)
		if !p.TerminationOn.IsZero() {
			p.TerminationOn = healthFrom(spells, sent, later(p.TerminationOn, p.SuspensionOn))
		}
	}
}

// runsOut reports whether block b is a prepaid contract's service running out (BlockOf:
// the day after paid_through), a date no suspension comes before.
func runsOut(b Block, prepaid bool) bool {
	t := b.Trigger
	return prepaid && t.Kind == billing.Recurring && t.Sequence != 1 && !t.ServiceStart.IsZero() && b.On.Equal(t.ServiceStart)
}

// healthFrom returns the first date on or after d the health rule allows a suspension or
// a termination; zero when never (nothing stays open).
func healthFrom(spells []DefaultSpell, sent, d time.Time) time.Time {
	return HealthGateOn(spells, sent, d, d).From
}

// next fills the step that follows the position and its date.
func (p *Position) next(l Ladder, s LadderState, on time.Time, trust bool) {
	if trust && p.Step.Suspends() {
		p.Next, p.NextOn = p.Step, s.TrustUntil.AddDate(0, 0, 1)
		p.TrustUntil = s.TrustUntil
		return
	}
	type dated struct {
		kind StepKind
		on   time.Time
		in   bool // the ladder has the step
	}
	for _, st := range []dated{
		{StepDebtNotice, p.NoticeOn, l.NoticeDays > 0 && !p.NoticeOn.IsZero()},
		{StepPartialSuspension, p.PartialSuspensionOn, l.PartialSuspensionDays > 0},
		{StepSuspension, p.SuspensionOn, true},
		{StepTermination, p.TerminationOn, l.TerminationDays > 0},
	} {
		if !st.in || st.kind.rank() <= p.Step.rank() {
			continue
		}
		p.Next, p.NextOn = st.kind, st.on
		if st.on.IsZero() {
			p.Waiting = "the debt notice to be sent"
			if !s.NoticeSentOn.IsZero() {
				p.Waiting = "more than 60 days in default in the last 12 months, with the installments still open"
			}
		}
		break
	}
	if p.Step.rank() <= StepOverdue.rank() {
		if kind, d := nextReminder(l, s.Open, on); !d.IsZero() && (p.NextOn.IsZero() || d.Before(p.NextOn)) {
			p.Next, p.NextOn, p.Waiting = kind, d, ""
		}
	}
}

// explain says the position in words.
func (p Position) explain(l Ladder, prof Profile, on time.Time, trust bool) string {
	var b strings.Builder
	t := p.Trigger
	switch p.Step {
	case StepNone:
		fmt.Fprintf(&b, "not on the ladder: %s", triggerWords(l, t))
	case StepOverdue:
		fmt.Fprintf(&b, "overdue: %s, %s late", triggerWords(l, t), plural(daysFrom(t.Due, on), "day"))
	case StepDebtNotice:
		switch {
		case !prof.RequiresSentNotice:
			fmt.Fprintf(&b, "debt notice due on %s (the warning before the suspension)", fd(p.NoticeOn))
		case p.NoticeSentOn.IsZero():
			fmt.Fprintf(&b, "debt notice due on %s and not sent yet: no suspension before it is sent, then %d days after it (%s)",
				fd(p.NoticeOn), l.firstSuspensionDays(), prof.Source)
		default:
			fmt.Fprintf(&b, "debt notice sent on %s", fd(p.NoticeSentOn))
		}
	case StepPartialSuspension:
		fmt.Fprintf(&b, "service reduced since %s", fd(p.Since))
	case StepSuspension:
		fmt.Fprintf(&b, "service suspended since %s", fd(p.Since))
	case StepTermination:
		fmt.Fprintf(&b, "terminated on %s; what is still owed stays owed", fd(p.Since))
	}
	if p.Step != StepNone && p.Step != StepOverdue {
		fmt.Fprintf(&b, "; %s", triggerWords(l, t))
	}
	if trust {
		fmt.Fprintf(&b, "; trust unlock through %s, service restored meanwhile", fd(p.TrustUntil))
	}
	if prof.CountsDefaultDays {
		fmt.Fprintf(&b, "; %d days in default in the last %d months (suspension needs more than %d, %s)",
			p.DaysInDefault, HealthWindowMonths, HealthMaxOverdueDays, prof.Source)
		if !p.NoticeDeadline.IsZero() {
			fmt.Fprintf(&b, "; the %dth day of default, by which the notice must be sent, is %s", HealthNoticeByDay, fd(p.NoticeDeadline))
		}
	}
	if p.Next == "" {
		if p.Step != StepTermination {
			b.WriteString("; no further step")
		}
	} else if !p.NextOn.IsZero() {
		fmt.Fprintf(&b, "; next: %s on %s", p.Next, fd(p.NextOn))
	} else {
		fmt.Fprintf(&b, "; next: %s, waiting for %s", p.Next, p.Waiting)
	}
	return b.String()
}

// triggerWords names what put the contract on the ladder.
func triggerWords(l Ladder, t Installment) string {
	if t.ID == 0 {
		return "no installment overdue"
	}
	if l.MinOverdue > 1 {
		return fmt.Sprintf("%d installments open, the %s oldest (installment %d) due %s", l.MinOverdue, ordinal(l.MinOverdue), t.ID, fd(t.Due))
	}
	return fmt.Sprintf("installment %d due %s", t.ID, fd(t.Due))
}

// noneReason explains a contract not on the ladder.
func noneReason(l Ladder, open []Installment, on time.Time) string {
	overdue := 0
	for _, in := range open {
		if in.Due.Before(on) {
			overdue++
		}
	}
	if len(open) == 0 {
		return "not on the ladder: no open installment"
	}
	if overdue == 0 {
		return "not on the ladder: no installment overdue"
	}
	return fmt.Sprintf("not on the ladder: %d installment(s) overdue, the ladder starts at %d (min_overdue_installments)", overdue, l.MinOverdue)
}

// nextReminder returns the first reminder after on of the open installments not due by
// then, and StepReminder; zero when none comes.
func nextReminder(l Ladder, open []Installment, on time.Time) (StepKind, time.Time) {
	var best time.Time
	for _, in := range open {
		for _, d := range l.ReminderDays {
			r := in.Due.AddDate(0, 0, -d)
			if r.After(on) && (best.IsZero() || r.Before(best)) {
				best = r
			}
		}
	}
	if best.IsZero() {
		return "", best
	}
	return StepReminder, best
}

// Reminder is one reminder due: the installment and how many days before its due date.
type Reminder struct {
	Installment Installment
	Days        int
	On          time.Time
}

// RemindersDue returns, for each open installment not yet due on on, its latest reminder
// dated on or before on (an earlier one missed is not sent late: the later one says the
// same, closer to the date). A sweep sends each once, keyed by (installment, days).
func RemindersDue(l Ladder, open []Installment, on time.Time) []Reminder {
	var out []Reminder
	for _, in := range open {
		if !in.Due.After(on) {
			continue
		}
		for i := len(l.ReminderDays) - 1; i >= 0; i-- {
			d := l.ReminderDays[i]
			if r := in.Due.AddDate(0, 0, -d); !r.After(on) {
				out = append(out, Reminder{Installment: in, Days: d, On: r})
				break
			}
		}
	}
	return out
}

// Move is what the sweep does to a contract to bring it to its position.
type Move string

// The sweep's moves. After any move the sweep stores the position's step (since the
// date), and forgets the debt notice when the step is below debt_notice.
const (
	// MoveNone changes nothing.
	MoveNone Move = ""
	// MoveRecordNotice records the debt notice (once, keyed by contract and trigger).
	MoveRecordNotice Move = "record_notice"
	// MovePartialSuspend reduces the service.
	MovePartialSuspend Move = "partial_suspend"
	// MoveSuspend suspends the service (also again after a trust unlock ends).
	MoveSuspend Move = "suspend"
	// MoveTerminate ends the contract (end_reason terminated).
	MoveTerminate Move = "terminate"
	// MoveRestore lifts the suspension: the ladder no longer holds it there.
	MoveRestore Move = "restore"
	// MoveReset takes a contract that left the ladder before any suspension off it.
	MoveReset Move = "reset"
)

// LadderDecision is a contract's position on a date and the move that brings it there.
type LadderDecision struct {
	Position Position
	Move     Move
}

// DecideLadder returns the position of a contract on date on and the move from its
// stored step to it:
//   - up the ladder: record the notice, reduce, suspend or terminate (a contract past
//     several steps takes the highest at once; overdue needs no move);
//   - down (paid, or its trigger moved): restore the service if it is suspended, else
//     forget the step;
//   - at a suspension step whose service is not suspended (a trust unlock that ended):
//     suspend it again;
//   - a stored step taken after on (a rerun for an earlier date) and a terminated
//     contract: nothing.
func DecideLadder(s LadderState, on time.Time) LadderDecision {
	p := PositionAt(s, on)
	d := LadderDecision{Position: p}
	if s.Step == StepTermination || (!s.StepSince.IsZero() && s.StepSince.After(on)) {
		return d
	}
	if p.Step.rank() > s.Step.rank() {
		d.Move = moveTo(p.Step)
	} else if p.Step.rank() < s.Step.rank() {
		if p.Step == StepPartialSuspension {
			d.Move = MovePartialSuspend
		} else if s.Suspended || s.Step.Suspends() {
			d.Move = MoveRestore
		} else if p.Step.rank() < StepDebtNotice.rank() {
			d.Move = MoveReset
		}
	} else if p.Suspended && !s.Suspended {
		d.Move = moveTo(p.Step)
	}
	return d
}

// moveTo is the move that takes a contract up to step k.
func moveTo(k StepKind) Move {
	switch k {
	case StepDebtNotice:
		return MoveRecordNotice
	case StepPartialSuspension:
		return MovePartialSuspend
	case StepSuspension:
		return MoveSuspend
	case StepTermination:
		return MoveTerminate
	}
	return MoveNone
}

// fd formats a date for reasons; a zero date is "-".
func fd(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return billing.FormatDate(t)
}

// plural writes n and a noun, with an s unless n is 1: "1 day", "3 days".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ordinal writes 2 as "2nd", 3 as "3rd".
func ordinal(n int) string {
	suffix := "th"
	if teens := n % 100; teens < 11 || teens > 13 {
		if n%10 == 1 {
			suffix = "st"
		} else if n%10 == 2 {
			suffix = "nd"
		} else if n%10 == 3 {
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
