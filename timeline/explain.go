package timeline

import (
	"fmt"
	"time"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// Collection answers "why is this contract blocked (or not)?" on a date from its position
// on its rule's collection ladder (delinquency.PositionAt, the sweep's own rule code),
// the contract's stored status and its blocking rule.
func Collection(status string, pos records.LadderPosition, ruleName string, on time.Time) records.Verdict {
	p := pos.Position
	v := records.Verdict{Topic: records.ExplainCollection, State: string(p.Step), Since: p.Since,
		Rule: fmt.Sprintf("blocking rule %s, profile %s", quote(ruleName), pos.Profile), Reason: p.Reason}
	switch {
	case p.Step == delinquency.StepNone:
		v.State = "not on the ladder"
	case p.Suspended && p.Step == delinquency.StepPartialSuspension:
		v.State = "partially suspended"
	case p.Suspended:
		v.State = "suspended"
	case !p.TrustUntil.IsZero():
		v.State = fmt.Sprintf("%s, service restored on trust until %s", p.Step, fd(p.TrustUntil))
	}
	if p.Trigger.ID != 0 && p.Trigger.Due.Before(on) {
		v.Reason = fmt.Sprintf("installment %d (due %s) is overdue since %s; %s", p.Trigger.ID, fd(p.Trigger.Due),
			fd(p.Trigger.Due.AddDate(0, 0, 1)), p.Reason)
	}
	if !p.NoticeSentOn.IsZero() {
		v.Reason += fmt.Sprintf("; the debt notice was sent on %s", fd(p.NoticeSentOn))
	}
	if status == billing.StatusBlocked || status == billing.StatusSuspendedPartial {
		v.Reason += fmt.Sprintf("; stored status %s", status)
	}
	return v
}

// RenewalFacts are what the renewal verdict needs: the contract's renewal state, whether
// the SQL rule contract_renews_automatically holds (the sweep's filter), the open recurring
// installments of its current term, the thresholds that apply to it (the plan's or the
// global ones, already lowered for short terms by Thresholds.For) and whether they are
// the plan's, and the renewal of its current term (nil when none).
type RenewalFacts struct {
	Contract  renewal.Contract
	Automatic bool
	Open      int
	Applied   renewal.Thresholds
	PlanOwn   bool
	Current   *records.Renewal
	Previous  *records.Renewal
}

// Renewal answers "why was this contract renewed, or not?" with the renew-contracts
// sweep's rules: contract_renews_automatically, then renewal.Decide over the open
// installments and the thresholds.
func Renewal(f RenewalFacts) records.Verdict {
	rule := fmt.Sprintf("contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD %d, BILLINGD_RENEWAL_THRESHOLD %d",
		f.Applied.Queue, f.Applied.Renewal)
	if f.PlanOwn {
		rule = fmt.Sprintf("contract_renews_automatically; the plan's renewal_queue_threshold %d, renewal_threshold %d",
			f.Applied.Queue, f.Applied.Renewal)
	}
	v := records.Verdict{Topic: records.ExplainRenewal, Rule: rule}
	c := f.Contract
	prev := ""
	if f.Previous != nil && f.Previous.State == records.RenewalRenewed {
		prev = fmt.Sprintf("; term %d was created by a renewal on %s", f.Previous.NewTerm, fd(f.Previous.RenewedOn))
		v.Since = f.Previous.RenewedOn
	}
	if !f.Automatic {
		v.State = "not renewed automatically"
		probe := c
		probe.RenewedIntoCurrent = false
		switch why := probe.ManualRefusal(); {
		case why != "":
			v.Reason = "it is not renewed: " + why
		case !c.AutoRenew:
			v.Reason = "auto_renew is off: only an operator renews it (POST /v1/contracts/{id}/renew)"
		case c.IgnoreAutoRenewal:
			v.Reason = "ignore_auto_renewal is on: only an operator renews it (POST /v1/contracts/{id}/renew)"
		default:
			v.Reason = "contract_renews_automatically does not hold"
		}
		v.Reason += prev
		return v
	}
	switch renewal.Decide(f.Open, f.Applied) {
	case renewal.Renew:
		v.State = "due for renewal"
		v.Reason = fmt.Sprintf("%d open recurring installments left in term %d, at or below the renewal threshold %d: the next renew-contracts run creates term %d",
			f.Open, c.TermNumber, f.Applied.Renewal, c.TermNumber+1)
	case renewal.Queue:
		v.State = "queued"
		v.Reason = fmt.Sprintf("%d open recurring installments left in term %d, at or below the queue threshold %d but above the renewal threshold %d",
			f.Open, c.TermNumber, f.Applied.Queue, f.Applied.Renewal)
	default:
		v.State = "not due"
		v.Reason = fmt.Sprintf("%d open recurring installments left in term %d, above the queue threshold %d",
			f.Open, c.TermNumber, f.Applied.Queue)
	}
	if f.Current != nil && f.Current.State == records.RenewalQueued {
		v.Reason += fmt.Sprintf("; in the renewal queue since %s", fd(f.Current.QueuedOn))
		v.Since = f.Current.QueuedOn
	}
	if prev != "" && v.State == "not due" {
		v.State = "renewed"
	}
	v.Reason += prev
	return v
}

// InstallmentFacts are what the installments verdict needs: the contract, the last term
// generated, the installments it has, its next open one (zero ID: none) and the date
// generate-installments next has work for it (zero: none).
type InstallmentFacts struct {
	Contract      billing.Contract
	GeneratedTerm int
	Count         int
	NextOpen      records.Installment
	GenerationDue time.Time
}

// Installments answers "why has this contract no installment?" on date on, with the
// generation rules (billing.Generate): pending activation, no billing, ended, activation
// ahead, term not generated yet.
func Installments(f InstallmentFacts, on time.Time) records.Verdict {
	c := f.Contract
	v := records.Verdict{Topic: records.ExplainInstallments}
	switch {
	case c.Status == billing.StatusPendingActivation:
		v.State, v.Rule = "none: pending activation", "wait_activation"
		v.Reason = fmt.Sprintf("the contract waits for its activation (adhesion on %s): installments are generated once it is activated (POST /v1/contracts/{id}/activate)", fd(c.AdhesionDate))
	case c.BillingMethod == billing.BillNone:
		v.State, v.Rule = "none: no billing", "billing_method no_billing"
		v.Reason = "the contract has no billing: nothing is ever generated for it"
	case c.Status == billing.StatusCancelled || c.Status == billing.StatusFinished:
		v.State, v.Rule = "no new installments", "end_reason "+c.EndReason
		v.Reason = fmt.Sprintf("the contract is %s", c.Status)
		if !c.EndedOn.IsZero() {
			v.Reason += " since " + fd(c.EndedOn)
			v.Since = c.EndedOn
		}
		v.Reason += fmt.Sprintf("; it kept %d installments", f.Count)
	case on.Before(c.ActivationDate):
		v.State, v.Rule = "none yet", "activation_date"
		v.Reason = fmt.Sprintf("the contract is activated on %s, after %s: its first term is generated from then", fd(c.ActivationDate), fd(on))
	case f.GeneratedTerm < c.TermNumber:
		v.State, v.Rule = "term not generated yet", "generate-installments (BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE)"
		v.Reason = fmt.Sprintf("term %d is not generated yet", c.TermNumber)
		if !f.GenerationDue.IsZero() {
			v.Reason += fmt.Sprintf(": generate-installments has work for it from %s", fd(f.GenerationDue))
		}
	default:
		v.State, v.Rule = "generated", DueRule(c.Rule)
		v.Reason = fmt.Sprintf("term %d is generated: %d installments", c.TermNumber, f.Count)
		if f.NextOpen.ID != 0 {
			v.Reason += fmt.Sprintf("; the next open one is installment %d of %s, due %s", f.NextOpen.ID,
				money(f.NextOpen.Amount.Sub(f.NextOpen.Discount)), fd(f.NextOpen.DueDate))
		} else {
			v.Reason += "; none is open"
		}
	}
	return v
}

// Benefits answers "why are this contract's benefit uses refused?" on a date with the rule
// of a use (benefits.Check) for a benefit granted and active without a grace period: what
// refuses every use of the contract. A benefit's own grant, grace and quota still apply.
func Benefits(st benefits.UseState) records.Verdict {
	st.Granted, st.BenefitActive, st.Terms.GraceDays = true, true, 0
	v := records.Verdict{Topic: records.ExplainBenefits, Rule: "benefits.Check"}
	if r := benefits.Check(st); r != nil {
		v.State = "refused: " + string(r.Reason)
		v.Reason = r.Message
		return v
	}
	v.State = "allowed"
	v.Reason = "nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply"
	return v
}
