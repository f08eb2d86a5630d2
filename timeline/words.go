// Package timeline composes the words of a contract's timeline and of the explanation of
// its state on a date: what happened, why, and which rule or setting decided it. It is pure
// (no I/O, no clock): the store reads the rows (postgres/timeline.go) and calls these
// functions, so that the words are table-tested here.
package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Words are what an entry or a verdict says: what happened, why, and the rule or the
// setting that decided it ("" when nothing but a person did).
type Words struct {
	What   string
	Reason string
	Rule   string
}

func fd(t time.Time) string { return billing.FormatDate(t) }

func money(d decimal.Decimal) string { return billing.FormatMoney(d) }

// DueRule names a contract's due-date rule as the API writes it: "anniversary, shift next",
// "fixed_day 10, shift none".
func DueRule(r billing.DueDateRule) string {
	kind := string(r.Kind)
	if r.Day > 0 {
		kind = fmt.Sprintf("%s %d", kind, r.Day)
	}
	return fmt.Sprintf("due_date_rule %s, shift %s", kind, r.Shift)
}

// Issued says what an installment is and why it was issued when it was.
//
// With lines (those it was issued with), the amounts are theirs: the positive lines and the
// negative ones; otherwise the installment's totals. renewed says that its term was created
// by a renewal.
func Issued(i records.Installment, rule billing.DueDateRule, renewed bool) Words {
	amount, discount := i.Amount, i.Discount
	if len(i.Lines) > 0 {
		amount, discount = decimal.Zero, decimal.Zero
		for _, l := range i.Lines {
			if l.Amount.IsPositive() {
				amount = amount.Add(l.Amount)
			} else {
				discount = discount.Sub(l.Amount)
			}
		}
	}
	what := fmt.Sprintf("%s installment %d (term %d) of %s", i.Kind, i.Sequence, i.Term, money(amount))
	if discount.IsPositive() {
		what += fmt.Sprintf(" less %s of discounts", money(discount))
	}
	what += ", due " + fd(i.DueDate)
	var reason string
	switch {
	case i.Kind == billing.Adhesion:
		reason = "the adhesion fee, billed once the contract is active (or at once with generate_now)"
	case i.ServiceEnd.IsZero() && !i.ServiceStart.IsZero():
		reason = fmt.Sprintf("the next package cycle, for uses from %s", fd(i.ServiceStart))
	case renewed:
		reason = fmt.Sprintf("the renewal created term %d; this installment bills the service from %s to %s",
			i.Term, fd(i.ServiceStart), fd(i.ServiceEnd))
	case !i.ServiceStart.IsZero():
		reason = fmt.Sprintf("term %d is generated once the contract is active; this installment bills the service from %s to %s",
			i.Term, fd(i.ServiceStart), fd(i.ServiceEnd))
	default:
		reason = fmt.Sprintf("term %d is generated once the contract is active", i.Term)
	}
	if !i.NominalDue.IsZero() && !i.NominalDue.Equal(i.DueDate) {
		reason += fmt.Sprintf("; due %s, moved from %s, which is not a business day (or a holiday moved it)",
			fd(i.DueDate), fd(i.NominalDue))
	}
	return Words{What: what, Reason: reason, Rule: DueRule(rule)}
}

// lineWhy is why a line is added to an installment after it was issued, by kind.
var lineWhy = map[string]Words{
	"late_fine":           {Reason: "the late fine of a late settlement", Rule: "late_fine_percent (the contract's, else its plan's)"},
	"late_interest":       {Reason: "the interest of a late settlement, by the day", Rule: "monthly_interest_percent (the contract's, else its plan's)"},
	"inactivity_discount": {Reason: "the days the contract stayed blocked, discounted", Rule: "inactivity_discount"},
}

// LineAdded says that a line was added to an installment after it was issued.
func LineAdded(l billing.Line, sequence int) Words {
	w, ok := lineWhy[l.Kind]
	if !ok {
		w = Words{Reason: "a " + l.Kind + " line"}
	}
	w.What = fmt.Sprintf("%s line of %s added to installment %d: %s", l.Kind, money(l.Amount), sequence, l.Description)
	return w
}

// Paid says what a payment paid and how it was imputed; due is the effective due date of
// its installment, sequence its sequence.
func Paid(p records.Payment, sequence int, due time.Time) Words {
	what := fmt.Sprintf("payment %d of %s from %s on installment %d", p.ID, money(p.Amount), p.Source, sequence)
	parts := []string{money(p.Principal) + " principal"}
	if p.Fine.IsPositive() {
		parts = append(parts, money(p.Fine)+" late fine")
	}
	if p.Interest.IsPositive() {
		parts = append(parts, money(p.Interest)+" interest")
	}
	if p.Credit.IsPositive() {
		parts = append(parts, money(p.Credit)+" credit")
	}
	imputed := strings.Join(parts, ", ")
	rule := ""
	var reason string
	if days := daysBetween(due, p.PaidOn); days > 0 {
		reason = fmt.Sprintf("paid on %s, %d days after the due date %s: %s", fd(p.PaidOn), days, fd(due), imputed)
		rule = "late_fine_percent and monthly_interest_percent (the contract's, else its plan's); fine and interest first (Código Civil art. 354)"
	} else {
		reason = fmt.Sprintf("paid on %s, on time (due %s): %s", fd(p.PaidOn), fd(due), imputed)
	}
	return Words{What: what, Reason: reason, Rule: rule}
}

// Reversed says that a payment was reversed and the operator's reason.
func Reversed(p records.Payment, sequence int) Words {
	reason := p.ReversalReason
	if reason == "" {
		reason = "no reason given"
	}
	return Words{What: fmt.Sprintf("payment %d of %s on installment %d reversed; the installment is judged again from its remaining payments",
		p.ID, money(p.Amount), sequence), Reason: reason}
}

// noticeWhy is why each notice kind is written, and the rule or setting that decides it.
var noticeWhy = map[string]Words{
	"welcome":            {Reason: "the contract was created with the welcome option", Rule: "POST /v1/contracts welcome"},
	"coming_due":         {Reason: "an installment falls due in a few days", Rule: "BILLINGD_NOTICE_DAYS_BEFORE_DUE"},
	"reminder":           {Reason: "a reminder before a due date", Rule: "blocking rule reminder_days"},
	"overdue":            {Reason: "an installment is past its due date", Rule: "send-notices"},
	"block_warning":      {Reason: "the debt notice: the contract will be suspended if it does not pay", Rule: "blocking rule notice_after_days"},
	"partial_suspension": {Reason: "the service was partially suspended", Rule: "blocking rule partial_suspension_after_days"},
	"blocked":            {Reason: "the service was suspended", Rule: "blocking rule suspension_after_days"},
	"termination":        {Reason: "the collection ladder terminated the contract", Rule: "blocking rule termination_after_days"},
	"unblocked":          {Reason: "the block ended and the service is restored", Rule: "block episode end"},
	"renewed":            {Reason: "the contract was renewed into a new term", Rule: "renewal thresholds"},
}

// noticeAbout names what a notice's reference is, by kind.
var noticeAbout = map[string]string{
	"coming_due": "installment", "reminder": "installment", "overdue": "installment", "block_warning": "installment",
	"partial_suspension": "block episode", "blocked": "block episode", "termination": "block episode",
	"unblocked": "block episode", "renewed": "term",
}

// Notice says what happened to a notice: written (state "written"), sent or failed;
// lastError is the failure's cause.
func Notice(kind, reference, event, lastError string) Words {
	why, ok := noticeWhy[kind]
	if !ok {
		why = Words{Reason: "a " + kind + " notice"}
	}
	w := Words{Reason: why.Reason, Rule: why.Rule}
	about := reference
	if what, ok := noticeAbout[kind]; ok {
		about = what + " " + reference
	} else if kind == "welcome" {
		about = "the new contract"
	}
	switch event {
	case records.TimelineNoticeSent:
		w.What = fmt.Sprintf("%s notice (about %s) sent", kind, about)
	case records.TimelineNoticeFailed:
		w.What = fmt.Sprintf("%s notice (about %s) failed", kind, about)
		if lastError != "" {
			w.Reason = lastError
		}
	default:
		w.What = fmt.Sprintf("%s notice (about %s) written to the outbox", kind, about)
	}
	return w
}

// endWhy says why a block episode ended, by its end reason.
var endWhy = map[string]string{
	records.EndedByPayment:      "a payment ended the delinquency",
	records.EndedByRule:         "the blocking rule no longer holds (nothing overdue enough)",
	records.EndedByCancellation: "the contract was cancelled",
	records.EndedByTermination:  "the collection ladder terminated the contract",
}

// BlockStarted says that a block episode began; ruleName is the contract's blocking rule.
func BlockStarted(e records.BlockEpisode, sequence int, ruleName string) Words {
	return Words{What: fmt.Sprintf("block episode %d began over installment %d", e.ID, sequence),
		Reason: e.Reason, Rule: "blocking rule " + quote(ruleName)}
}

// BlockEnded says that a block episode ended and why.
func BlockEnded(e records.BlockEpisode, ruleName string) Words {
	why := endWhy[e.EndReason]
	if why == "" {
		why = e.EndReason
	}
	return Words{What: fmt.Sprintf("block episode %d ended after %d days of total suspension", e.ID, e.BlockedDays),
		Reason: why, Rule: "blocking rule " + quote(ruleName)}
}

// TrustUnlock says that an operator lifted a block on trust until a day.
func TrustUnlock(e records.BlockEpisode) Words {
	return Words{What: fmt.Sprintf("trust unlock of block episode %d until %s (%d so far in the episode)", e.ID, fd(e.TrustUnlockUntil), e.TrustUnlocks),
		Reason: "an operator restored the service on trust; the block returns the day after unless it is paid",
		Rule:   "BILLINGD_TRUST_UNLOCK_MAX_DAYS, BILLINGD_TRUST_UNLOCKS_PER_EPISODE"}
}

// Event says what an event of the outbox means (its kind and payload, read generically so
// that new kinds show without code changes).
func Event(kind string, payload map[string]any, ruleName string) Words {
	rule := "blocking rule " + quote(ruleName)
	switch kind {
	case records.EventContractSuspended:
		level, _ := payload["level"].(string)
		what := "service suspended (no service)"
		if level == records.LevelPartial {
			what = "service partially suspended (reduced service)"
		}
		return Words{What: what, Reason: "the collection ladder reached its suspension step", Rule: rule}
	case records.EventContractRestored:
		why, _ := payload["reason"].(string)
		reason := endWhy[why]
		if reason == "" {
			reason = why
		}
		return Words{What: "service restored", Reason: reason, Rule: rule}
	case records.EventContractTerminated:
		return Words{What: "contract terminated", Reason: "the collection ladder reached its termination step; what is owed stays owed", Rule: rule}
	case records.EventSubjectAdded, records.EventSubjectEnded:
		return subjectWords(kind, payload)
	}
	return Words{What: kind, Reason: fmt.Sprintf("event %s", kind)}
}

// RenewalQueued says that a term entered the renewal queue.
func RenewalQueued(r records.Renewal) Words {
	return Words{What: fmt.Sprintf("term %d entered the renewal queue", r.Term),
		Reason: fmt.Sprintf("%d open recurring installments left in the term, at or below the queue threshold", r.OpenInstallments),
		Rule:   "BILLINGD_RENEWAL_QUEUE_THRESHOLD (or the plan's renewal_queue_threshold)"}
}

// Renewed says that a contract was renewed into a new term, by the sweep or by hand.
func Renewed(r records.Renewal) Words {
	price := ""
	if r.Price != nil {
		price = " at " + money(*r.Price)
	}
	w := Words{What: fmt.Sprintf("renewed into term %d%s (%s)", r.NewTerm, price, r.PriceMode)}
	if r.Trigger == records.RenewedByHand {
		w.Reason = "an operator renewed it (POST /v1/contracts/{id}/renew)"
		return w
	}
	w.Reason = "the term's open recurring installments fell to the renewal threshold"
	w.Rule = "BILLINGD_RENEWAL_THRESHOLD (or the plan's renewal_threshold); contract_renews_automatically"
	return w
}

// BenefitUse says that a benefit was used (or a use reversed).
func BenefitUse(u records.Usage, benefitName string, reversed bool) Words {
	if reversed {
		return Words{What: fmt.Sprintf("use %d of %s reversed", u.ID, benefitName), Reason: "an operator reversed the use; it no longer counts"}
	}
	return Words{What: fmt.Sprintf("%d × %s used at %s each", u.Quantity, benefitName, money(u.UnitCost)),
		Reason: "counted against the quota of its period", Rule: "the benefit's terms (plan or contract override)"}
}

// Run says that a run of a job as of the entry's date ran while this contract had work on
// that date.
func Run(r records.Run) Words {
	return Words{What: fmt.Sprintf("run %d of %s as of %s (%s): %s", r.ID, r.Job, fd(r.AsOf), r.Trigger, r.State),
		Reason: "the run of the day on which this contract has entries written by that job",
		Rule:   "BILLINGD_" + strings.ToUpper(strings.ReplaceAll(r.Job, "-", "_")) + "_SCHEDULE"}
}

// Operator says what an operator did through the API, the River UI or the CLI.
func Operator(a records.AuditEntry) Words {
	what := fmt.Sprintf("%s by %s", a.Route, a.Actor)
	if a.Status != nil {
		what += fmt.Sprintf(" (answered %d)", *a.Status)
	}
	reason := a.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return Words{What: what, Reason: reason}
}

func quote(s string) string {
	if s == "" {
		return "(default)"
	}
	return fmt.Sprintf("%q", s)
}

// daysBetween is the count of days from a to b (negative when b is before a).
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// ContractChange says what happened to a change asked of a contract (a due day, a plan, a
// pause, a resume; from and to as stored, JSON): requested, applied or cancelled (event,
// one of the TimelineChange* kinds).
func ContractChange(kind, from, to string, effective time.Time, actor, reason, event string) Words {
	change := fmt.Sprintf("%s change from %s to %s, effective %s", kind, from, to, fd(effective))
	if reason == "" {
		reason = "no reason given"
	}
	w := Words{Reason: reason, Rule: "contract changes (requested by " + actor + ")"}
	switch event {
	case records.TimelineChangeApplied:
		w.What = change + ": applied"
	case records.TimelineChangeDropped:
		w.What = change + ": cancelled before it applied"
	default:
		w.What = change + ": requested"
	}
	return w
}

// shiftWords names the shift that moves a nominal due date off a non-business day, by shift.
var shiftWords = map[string]string{
	string(billing.ShiftNext):     "next business day rule",
	string(billing.ShiftPrevious): "previous business day rule",
	string(billing.ShiftNone):     "no shift: due on the nominal date",
}

// changeWords say what a contract change that re-dates installments did, by cause.
var changeWords = map[string]string{
	records.RedateDueDayChange: "the due-date rule changed",
	records.RedatePause:        "the contract was paused",
	records.RedateResume:       "the contract was resumed",
	records.RedatePlanChange:   "the plan changed",
}

// Redated says that an installment (its sequence) was re-dated: its effective due date before
// and after (and its nominal one when that moved too), why (the holiday, the contract change
// or the operator's change that moved it, with who and why) and the due-date rule that
// computed its new date, whose shift is named in the reason.
func Redated(r records.InstallmentRedate, sequence int) Words {
	what := fmt.Sprintf("installment %d moved from %s to %s", sequence, fd(r.FromEffective), fd(r.ToEffective))
	if !r.FromNominal.Equal(r.ToNominal) {
		what += fmt.Sprintf(" (nominal due date %s to %s)", fd(r.FromNominal), fd(r.ToNominal))
	}
	shift, ok := shiftWords[r.RuleShift]
	if !ok {
		shift = "shift " + r.RuleShift
	}
	why := r.Reason
	if why == "" {
		why = "no reason given"
	}
	var reason string
	if r.Cause == records.RedateHolidayAdded {
		reason = fd(r.Holiday) + " was made a holiday"
		if r.HolidayName != "" {
			reason += ", " + r.HolidayName
		}
	} else if r.Cause == records.RedateHolidayRemoved {
		reason = fd(r.Holiday) + " is no longer a holiday"
	} else if r.Cause == records.RedateInstallmentPatch {
		reason = fmt.Sprintf("an operator set its nominal due date to %s (installment change %d by %s: %s)",
			fd(r.ToNominal), r.InstallmentChangeID, r.Actor, why)
	} else {
		did, ok := changeWords[r.Cause]
		if !ok {
			did = r.Cause
		}
		reason = fmt.Sprintf("%s (contract change %d by %s: %s)", did, r.ChangeID, r.Actor, why)
	}
	rule := DueRule(billing.DueDateRule{Kind: billing.DueRuleKind(r.RuleKind), Day: r.RuleDay, Shift: billing.Shift(r.RuleShift)})
	return Words{What: what, Reason: reason + " (" + shift + ")", Rule: rule}
}

// subjectWords says that a contract began or stopped covering a subject (a subject.added or
// subject.ended event's payload).
func subjectWords(kind string, payload map[string]any) Words {
	what, _ := payload["kind"].(string)
	name, _ := payload["name"].(string)
	if plate, _ := payload["plate"].(string); plate != "" {
		name = plate
	}
	price, _ := payload["price"].(string)
	if kind == records.EventSubjectEnded {
		return Words{What: fmt.Sprintf("%s %s no longer covered", what, name),
			Reason: "an operator ended the subject (DELETE /v1/contracts/{id}/subjects/{subject_id}): the days left of its period are credited",
			Rule:   "subjects are prorated like a plan change"}
	}
	return Words{What: fmt.Sprintf("%s %s covered at %s a period", what, name, price),
		Reason: "an operator added the subject (POST /v1/contracts/{id}/subjects): the days left of its period are charged",
		Rule:   "subjects are prorated like a plan change"}
}
