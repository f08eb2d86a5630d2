package timeline_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
	"github.com/billingd/billingd/timeline"
)

func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestEntryWords(t *testing.T) {
	t.Parallel()
	fixed := billing.DueDateRule{Kind: "fixed_day", Day: 10, Shift: "next"}
	status := 421
	tests := []struct {
		name string
		got  timeline.Words
		want timeline.Words
	}{
		{"issued with a shifted due date and a discount line", timeline.Issued(records.Installment{Kind: billing.Recurring, Term: 1, Sequence: 5,
			ServiceStart: day("2026-10-01"), ServiceEnd: day("2026-10-31"), NominalDue: day("2026-10-10"), DueDate: day("2026-10-13"),
			Amount: dec("130.90"), Discount: dec("31.00"),
			Lines: []billing.Line{{Kind: "plan", Amount: dec("99.90")}, {Kind: "discount", Amount: dec("-10.00")}}}, fixed, false),
			timeline.Words{What: "recurring installment 5 (term 1) of 99.90 less 10.00 of discounts, due 2026-10-13",
				Reason: "term 1 is generated once the contract is active; this installment bills the service from 2026-10-01 to 2026-10-31; due 2026-10-13, moved from 2026-10-10, which is not a business day (or a holiday moved it)",
				Rule:   "due_date_rule fixed_day 10, shift next"}},
		{"adhesion", timeline.Issued(records.Installment{Kind: billing.Adhesion, Term: 1, Sequence: 2, NominalDue: day("2026-08-01"),
			DueDate: day("2026-08-01"), Amount: dec("50.00")}, billing.DueDateRule{Kind: "anniversary", Shift: "none"}, false),
			timeline.Words{What: "adhesion installment 2 (term 1) of 50.00, due 2026-08-01",
				Reason: "the adhesion fee, billed once the contract is active (or at once with generate_now)",
				Rule:   "due_date_rule anniversary, shift none"}},
		{"renewed term", timeline.Issued(records.Installment{Kind: billing.Recurring, Term: 2, Sequence: 13,
			ServiceStart: day("2027-06-01"), ServiceEnd: day("2027-06-30"), NominalDue: day("2027-06-10"), DueDate: day("2027-06-10"),
			Amount: dec("99.90")}, fixed, true),
			timeline.Words{What: "recurring installment 13 (term 2) of 99.90, due 2027-06-10",
				Reason: "the renewal created term 2; this installment bills the service from 2027-06-01 to 2027-06-30",
				Rule:   "due_date_rule fixed_day 10, shift next"}},
		{"paid late from a bank file, with a fine", timeline.Paid(records.Payment{ID: 7, Amount: dec("102.62"), Source: "bank_file",
			PaidOn: day("2026-07-10"), Principal: dec("99.90"), Fine: dec("2.00"), Interest: dec("0.72")}, 3, day("2026-06-10")),
			timeline.Words{What: "payment 7 of 102.62 from bank_file on installment 3",
				Reason: "paid on 2026-07-10, 30 days after the due date 2026-06-10: 99.90 principal, 2.00 late fine, 0.72 interest",
				Rule:   "late_fine_percent and monthly_interest_percent (the contract's, else its plan's); fine and interest first (Código Civil art. 354)"}},
		{"paid early with credit", timeline.Paid(records.Payment{ID: 8, Amount: dec("110.00"), Source: "pix",
			PaidOn: day("2026-06-01"), Principal: dec("99.90"), Credit: dec("10.10")}, 1, day("2026-06-10")),
			timeline.Words{What: "payment 8 of 110.00 from pix on installment 1",
				Reason: "paid on 2026-06-01, on time (due 2026-06-10): 99.90 principal, 10.10 credit"}},
		{"reversed without a reason", timeline.Reversed(records.Payment{ID: 8, Amount: dec("110.00")}, 1),
			timeline.Words{What: "payment 8 of 110.00 on installment 1 reversed; the installment is judged again from its remaining payments",
				Reason: "no reason given"}},
		{"notice sent", timeline.Notice("coming_due", "12", records.TimelineNoticeSent, ""),
			timeline.Words{What: "coming_due notice (about installment 12) sent", Reason: "an installment falls due in a few days",
				Rule: "BILLINGD_NOTICE_DAYS_BEFORE_DUE"}},
		{"notice failed", timeline.Notice("termination", "4", records.TimelineNoticeFailed, "550 mailbox unavailable"),
			timeline.Words{What: "termination notice (about block episode 4) failed", Reason: "550 mailbox unavailable",
				Rule: "blocking rule termination_after_days"}},
		{"notice of a kind added later", timeline.Notice("survey", "x", records.TimelineNoticeWritten, ""),
			timeline.Words{What: "survey notice (about x) written to the outbox", Reason: "a survey notice"}},
		{"block ended by the rule", timeline.BlockEnded(records.BlockEpisode{ID: 3, EndReason: records.EndedByRule, BlockedDays: 2}, ""),
			timeline.Words{What: "block episode 3 ended after 2 days of total suspension",
				Reason: "the blocking rule no longer holds (nothing overdue enough)", Rule: "blocking rule (default)"}},
		{"partial suspension", timeline.Event(records.EventContractSuspended, map[string]any{"level": "partial"}, "RGC"),
			timeline.Words{What: "service partially suspended (reduced service)", Reason: "the collection ladder reached its suspension step",
				Rule: `blocking rule "RGC"`}},
		{"restored after a cancellation", timeline.Event(records.EventContractRestored, map[string]any{"reason": "cancelled"}, "RGC"),
			timeline.Words{What: "service restored", Reason: "the contract was cancelled", Rule: `blocking rule "RGC"`}},
		{"an event kind added later", timeline.Event("contract.migrated", nil, ""),
			timeline.Words{What: "contract.migrated", Reason: "event contract.migrated"}},
		{"renewed by hand", timeline.Renewed(records.Renewal{NewTerm: 3, PriceMode: "suggested", Trigger: records.RenewedByHand}),
			timeline.Words{What: "renewed into term 3 (suggested)", Reason: "an operator renewed it (POST /v1/contracts/{id}/renew)"}},
		{"benefit use", timeline.BenefitUse(records.Usage{ID: 4, Quantity: 2, UnitCost: dec("15.00")}, "Consulta", false),
			timeline.Words{What: "2 × Consulta used at 15.00 each", Reason: "counted against the quota of its period",
				Rule: "the benefit's terms (plan or contract override)"}},
		{"run", timeline.Run(records.Run{ID: 9, Job: "block-delinquent", AsOf: day("2026-06-11"), Trigger: "schedule", State: "succeeded"}),
			timeline.Words{What: "run 9 of block-delinquent as of 2026-06-11 (schedule): succeeded",
				Reason: "the run of the day on which this contract has entries written by that job",
				Rule:   "BILLINGD_BLOCK_DELINQUENT_SCHEDULE"}},
		{"operator with a reason", timeline.Operator(records.AuditEntry{Route: "POST /v1/contracts/{id}/trust-unlock", Actor: "ana",
			Status: &status, Reason: "cliente prometeu pagar"}),
			timeline.Words{What: "POST /v1/contracts/{id}/trust-unlock by ana (answered 421)", Reason: "cliente prometeu pagar"}},
		{"a pause applied", timeline.ContractChange("pause", `{"months": 0}`, `{"months": 2}`, day("2026-08-01"), "ana", "",
			records.TimelineChangeApplied),
			timeline.Words{What: `pause change from {"months": 0} to {"months": 2}, effective 2026-08-01: applied`, Reason: "no reason given",
				Rule: "contract changes (requested by ana)"}},
		{"late fine line", timeline.LineAdded(billing.Line{Kind: "late_fine", Amount: dec("2.00"), Description: "multa de 2%"}, 3),
			timeline.Words{What: "late_fine line of 2.00 added to installment 3: multa de 2%", Reason: "the late fine of a late settlement",
				Rule: "late_fine_percent (the contract's, else its plan's)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("\n got %#v\nwant %#v", tc.got, tc.want)
			}
		})
	}
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	active := billing.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, TermNumber: 1,
		ActivationDate: day("2026-06-01"), AdhesionDate: day("2026-06-01"), Rule: billing.DueDateRule{Kind: "anniversary", Shift: "none"}}
	with := func(change func(*billing.Contract)) billing.Contract {
		c := active
		change(&c)
		return c
	}
	auto := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true, TermNumber: 1, GeneratedTerm: 1}
	th := renewal.Thresholds{Queue: 3, Renewal: 2}
	on := day("2026-07-20")
	tests := []struct {
		name string
		got  records.Verdict
		want records.Verdict
	}{
		{"trust unlock in force", timeline.Collection(billing.StatusActive, records.LadderPosition{Profile: "generic",
			Position: delinquency.Position{Step: delinquency.StepSuspension, Since: day("2026-07-10"), TrustUntil: day("2026-07-22"),
				Trigger: delinquency.Installment{ID: 5, Due: day("2026-06-30")}, Reason: "r"}}, "ISP", on),
			records.Verdict{Topic: "collection", State: "suspension, service restored on trust until 2026-07-22", Since: day("2026-07-10"),
				Reason: "installment 5 (due 2026-06-30) is overdue since 2026-07-01; r", Rule: `blocking rule "ISP", profile generic`}},
		{"auto_renew off", timeline.Renewal(timeline.RenewalFacts{Contract: func() renewal.Contract { c := auto; c.AutoRenew = false; return c }(),
			Open: 1, Applied: th}),
			records.Verdict{Topic: "renewal", State: "not renewed automatically",
				Reason: "auto_renew is off: only an operator renews it (POST /v1/contracts/{id}/renew)",
				Rule:   "contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2"}},
		{"ignored, with the plan's thresholds", timeline.Renewal(timeline.RenewalFacts{Contract: func() renewal.Contract { c := auto; c.IgnoreAutoRenewal = true; return c }(),
			Open: 1, Applied: renewal.Thresholds{Queue: 1, Renewal: 0}, PlanOwn: true}),
			records.Verdict{Topic: "renewal", State: "not renewed automatically",
				Reason: "ignore_auto_renewal is on: only an operator renews it (POST /v1/contracts/{id}/renew)",
				Rule:   "contract_renews_automatically; the plan's renewal_queue_threshold 1, renewal_threshold 0"}},
		{"term not generated", timeline.Renewal(timeline.RenewalFacts{Contract: func() renewal.Contract { c := auto; c.GeneratedTerm = 0; return c }(),
			Applied: th}),
			records.Verdict{Topic: "renewal", State: "not renewed automatically",
				Reason: "it is not renewed: the installments of its term 1 are not generated yet",
				Rule:   "contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2"}},
		{"pending activation", timeline.Installments(timeline.InstallmentFacts{Contract: with(func(c *billing.Contract) {
			c.Status, c.ActivationDate = billing.StatusPendingActivation, time.Time{}
		})}, on),
			records.Verdict{Topic: "installments", State: "none: pending activation", Rule: "wait_activation",
				Reason: "the contract waits for its activation (adhesion on 2026-06-01): installments are generated once it is activated (POST /v1/contracts/{id}/activate)"}},
		{"no billing", timeline.Installments(timeline.InstallmentFacts{Contract: with(func(c *billing.Contract) { c.BillingMethod = billing.BillNone })}, on),
			records.Verdict{Topic: "installments", State: "none: no billing", Rule: "billing_method no_billing",
				Reason: "the contract has no billing: nothing is ever generated for it"}},
		{"cancelled", timeline.Installments(timeline.InstallmentFacts{Count: 3, Contract: with(func(c *billing.Contract) {
			c.Status, c.EndReason, c.EndedOn = billing.StatusCancelled, billing.EndCancelled, day("2026-07-05")
		})}, on),
			records.Verdict{Topic: "installments", State: "no new installments", Rule: "end_reason cancelled", Since: day("2026-07-05"),
				Reason: "the contract is cancelled since 2026-07-05; it kept 3 installments"}},
		{"activation ahead", timeline.Installments(timeline.InstallmentFacts{Contract: with(func(c *billing.Contract) {
			c.ActivationDate = day("2026-08-01")
		})}, on),
			records.Verdict{Topic: "installments", State: "none yet", Rule: "activation_date",
				Reason: "the contract is activated on 2026-08-01, after 2026-07-20: its first term is generated from then"}},
		{"term not generated yet", timeline.Installments(timeline.InstallmentFacts{GenerationDue: day("2026-07-21"), Contract: active}, on),
			records.Verdict{Topic: "installments", State: "term not generated yet", Rule: "generate-installments (BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE)",
				Reason: "term 1 is not generated yet: generate-installments has work for it from 2026-07-21"}},
		{"benefits of a blocked contract", timeline.Benefits(benefits.UseState{Blocked: true, UsedAt: on}),
			records.Verdict{Topic: "benefits", State: "refused: contract_blocked", Reason: "the contract is blocked (invalid wallet)", Rule: "benefits.Check"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("\n got %#v\nwant %#v", tc.got, tc.want)
			}
		})
	}
}
