package timeline_test

import (
	"testing"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
	"github.com/billingd/billingd/timeline"
)

// TestCollectionVerdicts: each state of the collection verdict, the overdue trigger only
// when its due date is before the date asked about, the debt notice's date, and the stored
// status when it is a block.
func TestCollectionVerdicts(t *testing.T) {
	t.Parallel()
	on := day("2026-07-20")
	trigger := delinquency.Installment{ID: 5, Due: day("2026-06-30")}
	tests := []struct {
		name   string
		status string
		pos    delinquency.Position
		want   records.Verdict
	}{
		{"not on the ladder", billing.StatusActive, delinquency.Position{Step: delinquency.StepNone, Reason: "nothing overdue"},
			records.Verdict{Topic: "collection", State: "not on the ladder", Reason: "nothing overdue", Rule: `blocking rule "ISP", profile telecom_rgc765`}},
		{"partially suspended, stored status partial", billing.StatusSuspendedPartial, delinquency.Position{Step: delinquency.StepPartialSuspension,
			Since: day("2026-07-15"), Suspended: true, Trigger: trigger, NoticeSentOn: day("2026-07-05"), Reason: "r"},
			records.Verdict{Topic: "collection", State: "partially suspended", Since: day("2026-07-15"),
				Reason: "installment 5 (due 2026-06-30) is overdue since 2026-07-01; r; the debt notice was sent on 2026-07-05; stored status suspended_partial",
				Rule:   `blocking rule "ISP", profile telecom_rgc765`}},
		{"partial step not in force (trust unlock)", billing.StatusActive, delinquency.Position{Step: delinquency.StepPartialSuspension,
			Since: day("2026-07-15"), TrustUntil: day("2026-07-21"), Reason: "r"},
			records.Verdict{Topic: "collection", State: "partial_suspension, service restored on trust until 2026-07-21", Since: day("2026-07-15"),
				Reason: "r", Rule: `blocking rule "ISP", profile telecom_rgc765`}},
		{"suspended, stored status blocked", billing.StatusBlocked, delinquency.Position{Step: delinquency.StepSuspension,
			Since: day("2026-07-18"), Suspended: true, Trigger: trigger, Reason: "r"},
			records.Verdict{Topic: "collection", State: "suspended", Since: day("2026-07-18"),
				Reason: "installment 5 (due 2026-06-30) is overdue since 2026-07-01; r; stored status blocked",
				Rule:   `blocking rule "ISP", profile telecom_rgc765`}},
		{"terminated while suspended", billing.StatusBlocked, delinquency.Position{Step: delinquency.StepTermination,
			Since: day("2026-07-19"), Suspended: true, Reason: "r"},
			records.Verdict{Topic: "collection", State: "suspended", Since: day("2026-07-19"), Reason: "r; stored status blocked",
				Rule: `blocking rule "ISP", profile telecom_rgc765`}},
		{"reminder: trigger due on the date is not overdue", billing.StatusActive, delinquency.Position{Step: delinquency.StepReminder,
			Since: day("2026-07-17"), Trigger: delinquency.Installment{ID: 6, Due: day("2026-07-20")}, Reason: "due in 0 days"},
			records.Verdict{Topic: "collection", State: "reminder", Since: day("2026-07-17"), Reason: "due in 0 days",
				Rule: `blocking rule "ISP", profile telecom_rgc765`}},
		{"overdue: trigger due the day before", billing.StatusActive, delinquency.Position{Step: delinquency.StepOverdue,
			Since: day("2026-07-20"), Trigger: delinquency.Installment{ID: 7, Due: day("2026-07-19")}, Reason: "r"},
			records.Verdict{Topic: "collection", State: "overdue", Since: day("2026-07-20"),
				Reason: "installment 7 (due 2026-07-19) is overdue since 2026-07-20; r", Rule: `blocking rule "ISP", profile telecom_rgc765`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := timeline.Collection(tc.status, records.LadderPosition{Profile: "telecom_rgc765", Position: tc.pos}, "ISP", on)
			if got != tc.want {
				t.Errorf("\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestRenewalVerdicts: the automatic renewal's three decisions by the open installments
// and the thresholds, the queue and the previous renewal appended, and why a contract the
// SQL rule leaves out is not renewed.
func TestRenewalVerdicts(t *testing.T) {
	t.Parallel()
	auto := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true, TermNumber: 2, GeneratedTerm: 2}
	th := renewal.Thresholds{Queue: 3, Renewal: 2}
	const globalRule = "contract_renews_automatically; BILLINGD_RENEWAL_QUEUE_THRESHOLD 3, BILLINGD_RENEWAL_THRESHOLD 2"
	renewed := &records.Renewal{State: records.RenewalRenewed, NewTerm: 2, RenewedOn: day("2026-05-10")}
	queuedPrev := &records.Renewal{State: records.RenewalQueued, NewTerm: 2, RenewedOn: day("2026-05-10")}
	queued := &records.Renewal{State: records.RenewalQueued, QueuedOn: day("2026-07-10")}
	tests := []struct {
		name string
		f    timeline.RenewalFacts
		want records.Verdict
	}{
		{"due for renewal at the threshold", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 2, Applied: th},
			records.Verdict{Topic: "renewal", State: "due for renewal", Rule: globalRule,
				Reason: "2 open recurring installments left in term 2, at or below the renewal threshold 2: the next renew-contracts run creates term 3"}},
		{"queued, in the queue", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 3, Applied: th, Current: queued},
			records.Verdict{Topic: "renewal", State: "queued", Rule: globalRule, Since: day("2026-07-10"),
				Reason: "3 open recurring installments left in term 2, at or below the queue threshold 3 but above the renewal threshold 2; in the renewal queue since 2026-07-10"}},
		{"not due, the current renewal row not queued", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 4, Applied: th,
			Current: &records.Renewal{State: records.RenewalRenewed, QueuedOn: day("2026-07-10")}},
			records.Verdict{Topic: "renewal", State: "not due", Rule: globalRule,
				Reason: "4 open recurring installments left in term 2, above the queue threshold 3"}},
		{"renewed: not due, the term created by a renewal", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 11, Applied: th, Previous: renewed},
			records.Verdict{Topic: "renewal", State: "renewed", Rule: globalRule, Since: day("2026-05-10"),
				Reason: "11 open recurring installments left in term 2, above the queue threshold 3; term 2 was created by a renewal on 2026-05-10"}},
		{"due after a renewal keeps its state", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 1, Applied: th, Previous: renewed},
			records.Verdict{Topic: "renewal", State: "due for renewal", Rule: globalRule, Since: day("2026-05-10"),
				Reason: "1 open recurring installments left in term 2, at or below the renewal threshold 2: the next renew-contracts run creates term 3; term 2 was created by a renewal on 2026-05-10"}},
		{"previous renewal still queued says nothing", timeline.RenewalFacts{Contract: auto, Automatic: true, Open: 11, Applied: th, Previous: queuedPrev},
			records.Verdict{Topic: "renewal", State: "not due", Rule: globalRule,
				Reason: "11 open recurring installments left in term 2, above the queue threshold 3"}},
		{"the SQL rule does not hold", timeline.RenewalFacts{Contract: auto, Open: 1, Applied: th, Previous: renewed},
			records.Verdict{Topic: "renewal", State: "not renewed automatically", Rule: globalRule, Since: day("2026-05-10"),
				Reason: "contract_renews_automatically does not hold; term 2 was created by a renewal on 2026-05-10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := timeline.Renewal(tc.f); got != tc.want {
				t.Errorf("\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestInstallmentVerdicts: a finished contract, a cancelled one without an end date, a term
// without a generation date, and a generated term with and without an open installment.
func TestInstallmentVerdicts(t *testing.T) {
	t.Parallel()
	on := day("2026-07-20")
	active := billing.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, TermNumber: 2,
		ActivationDate: day("2026-07-20"), AdhesionDate: day("2026-06-01"), Rule: billing.DueDateRule{Kind: "fixed_day", Day: 10, Shift: "next"}}
	with := func(change func(*billing.Contract)) billing.Contract {
		c := active
		change(&c)
		return c
	}
	tests := []struct {
		name string
		f    timeline.InstallmentFacts
		want records.Verdict
	}{
		{"finished", timeline.InstallmentFacts{Count: 12, Contract: with(func(c *billing.Contract) {
			c.Status, c.EndReason, c.EndedOn = billing.StatusFinished, "terminated", day("2026-07-01")
		})},
			records.Verdict{Topic: "installments", State: "no new installments", Rule: "end_reason terminated", Since: day("2026-07-01"),
				Reason: "the contract is finished since 2026-07-01; it kept 12 installments"}},
		{"cancelled without an end date", timeline.InstallmentFacts{Count: 0, Contract: with(func(c *billing.Contract) {
			c.Status, c.EndReason = billing.StatusCancelled, "cancelled"
		})},
			records.Verdict{Topic: "installments", State: "no new installments", Rule: "end_reason cancelled",
				Reason: "the contract is cancelled; it kept 0 installments"}},
		{"term not generated, nothing due", timeline.InstallmentFacts{GeneratedTerm: 1, Contract: active},
			records.Verdict{Topic: "installments", State: "term not generated yet", Rule: "generate-installments (BILLINGD_GENERATE_INSTALLMENTS_SCHEDULE)",
				Reason: "term 2 is not generated yet"}},
		{"generated, activated on the date, next open", timeline.InstallmentFacts{GeneratedTerm: 2, Count: 13, Contract: active,
			NextOpen: records.Installment{ID: 41, Amount: dec("130.90"), Discount: dec("31.00"), DueDate: day("2026-08-10")}},
			records.Verdict{Topic: "installments", State: "generated", Rule: "due_date_rule fixed_day 10, shift next",
				Reason: "term 2 is generated: 13 installments; the next open one is installment 41 of 99.90, due 2026-08-10"}},
		{"generated, none open", timeline.InstallmentFacts{GeneratedTerm: 3, Count: 24, Contract: active},
			records.Verdict{Topic: "installments", State: "generated", Rule: "due_date_rule fixed_day 10, shift next",
				Reason: "term 2 is generated: 24 installments; none is open"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := timeline.Installments(tc.f, on); got != tc.want {
				t.Errorf("\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestBenefitsVerdictAllowed: nothing of the contract refuses a use.
func TestBenefitsVerdictAllowed(t *testing.T) {
	t.Parallel()
	got := timeline.Benefits(benefits.UseState{Settled: day("2026-06-01"), UsedAt: day("2026-07-20")})
	want := records.Verdict{Topic: "benefits", State: "allowed", Rule: "benefits.Check",
		Reason: "nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply"}
	if got != want {
		t.Errorf("\n got %#v\nwant %#v", got, want)
	}
}
