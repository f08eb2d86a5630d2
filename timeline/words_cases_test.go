package timeline_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

// TestMoreEntryWords: the entries TestEntryWords leaves out — a package cycle, a payment on
// its very due date, lines and notices of kinds added later, the block, trust-unlock,
// renewal, benefit, operator and change entries.
func TestMoreEntryWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  timeline.Words
		want timeline.Words
	}{
		{"package cycle", timeline.Issued(records.Installment{Kind: billing.Recurring, Term: 1, Sequence: 3, ServiceStart: day("2026-09-05"),
			NominalDue: day("2026-09-05"), DueDate: day("2026-09-05"), Amount: dec("300.00")}, billing.DueDateRule{Kind: "anniversary", Shift: "next"}, false),
			timeline.Words{What: "recurring installment 3 (term 1) of 300.00, due 2026-09-05",
				Reason: "the next package cycle, for uses from 2026-09-05", Rule: "due_date_rule anniversary, shift next"}},
		{"totals without lines", timeline.Issued(records.Installment{Kind: billing.Recurring, Term: 2, Sequence: 2, DueDate: day("2026-09-05"),
			Amount: dec("99.90"), Discount: dec("9.99")}, billing.DueDateRule{Kind: "anniversary", Shift: "none"}, false),
			timeline.Words{What: "recurring installment 2 (term 2) of 99.90 less 9.99 of discounts, due 2026-09-05",
				Reason: "term 2 is generated once the contract is active", Rule: "due_date_rule anniversary, shift none"}},
		{"paid on the due date", timeline.Paid(records.Payment{ID: 9, Amount: dec("99.90"), Source: "api", PaidOn: day("2026-06-10"),
			Principal: dec("99.90")}, 2, day("2026-06-10")),
			timeline.Words{What: "payment 9 of 99.90 from api on installment 2", Reason: "paid on 2026-06-10, on time (due 2026-06-10): 99.90 principal"}},
		{"paid one day late, interest only", timeline.Paid(records.Payment{ID: 10, Amount: dec("100.00"), Source: "pix", PaidOn: day("2026-06-11"),
			Principal: dec("99.90"), Interest: dec("0.10")}, 2, day("2026-06-10")),
			timeline.Words{What: "payment 10 of 100.00 from pix on installment 2",
				Reason: "paid on 2026-06-11, 1 days after the due date 2026-06-10: 99.90 principal, 0.10 interest",
				Rule:   "late_fine_percent and monthly_interest_percent (the contract's, else its plan's); fine and interest first (Código Civil art. 354)"}},
		{"reversed with a reason", timeline.Reversed(records.Payment{ID: 3, Amount: dec("50.00"), ReversalReason: "cheque devolvido"}, 4),
			timeline.Words{What: "payment 3 of 50.00 on installment 4 reversed; the installment is judged again from its remaining payments",
				Reason: "cheque devolvido"}},
		{"line of a kind added later", timeline.LineAdded(billing.Line{Kind: "manual_credit", Amount: dec("-5.00"), Description: "cortesia"}, 7),
			timeline.Words{What: "manual_credit line of -5.00 added to installment 7: cortesia", Reason: "a manual_credit line"}},
		{"inactivity discount line", timeline.LineAdded(billing.Line{Kind: "inactivity_discount", Amount: dec("-33.30"), Description: "10 dias"}, 8),
			timeline.Words{What: "inactivity_discount line of -33.30 added to installment 8: 10 dias",
				Reason: "the days the contract stayed blocked, discounted", Rule: "inactivity_discount"}},
		{"welcome written", timeline.Notice("welcome", "", records.TimelineNoticeWritten, ""),
			timeline.Words{What: "welcome notice (about the new contract) written to the outbox",
				Reason: "the contract was created with the welcome option", Rule: "POST /v1/contracts welcome"}},
		{"failed without a cause keeps the reason", timeline.Notice("renewed", "2", records.TimelineNoticeFailed, ""),
			timeline.Words{What: "renewed notice (about term 2) failed", Reason: "the contract was renewed into a new term", Rule: "renewal thresholds"}},
		{"block started", timeline.BlockStarted(records.BlockEpisode{ID: 6, Reason: "installment 4 overdue 16 days"}, 4, "ISP"),
			timeline.Words{What: "block episode 6 began over installment 4", Reason: "installment 4 overdue 16 days", Rule: `blocking rule "ISP"`}},
		{"block ended for a reason added later", timeline.BlockEnded(records.BlockEpisode{ID: 6, EndReason: "migrated", BlockedDays: 0}, "ISP"),
			timeline.Words{What: "block episode 6 ended after 0 days of total suspension", Reason: "migrated", Rule: `blocking rule "ISP"`}},
		{"trust unlock", timeline.TrustUnlock(records.BlockEpisode{ID: 6, TrustUnlockUntil: day("2026-07-25"), TrustUnlocks: 2}),
			timeline.Words{What: "trust unlock of block episode 6 until 2026-07-25 (2 so far in the episode)",
				Reason: "an operator restored the service on trust; the block returns the day after unless it is paid",
				Rule:   "BILLINGD_TRUST_UNLOCK_MAX_DAYS, BILLINGD_TRUST_UNLOCKS_PER_EPISODE"}},
		{"total suspension", timeline.Event(records.EventContractSuspended, map[string]any{"level": "total"}, ""),
			timeline.Words{What: "service suspended (no service)", Reason: "the collection ladder reached its suspension step", Rule: "blocking rule (default)"}},
		{"restored for a reason added later", timeline.Event(records.EventContractRestored, map[string]any{"reason": "court_order"}, "RGC"),
			timeline.Words{What: "service restored", Reason: "court_order", Rule: `blocking rule "RGC"`}},
		{"terminated", timeline.Event(records.EventContractTerminated, nil, "RGC"),
			timeline.Words{What: "contract terminated", Reason: "the collection ladder reached its termination step; what is owed stays owed", Rule: `blocking rule "RGC"`}},
		{"a person covered", timeline.Event(records.EventSubjectAdded, map[string]any{"kind": "person", "name": "Maria Souza", "price": "19.90"}, "RGC"),
			timeline.Words{What: "person Maria Souza covered at 19.90 a period",
				Reason: "an operator added the subject (POST /v1/contracts/{id}/subjects): the days left of its period are charged",
				Rule:   "subjects are prorated like a plan change"}},
		{"a vehicle no longer covered, named by its plate", timeline.Event(records.EventSubjectEnded,
			map[string]any{"kind": "vehicle", "name": "", "plate": "ABC1D23", "price": "39.90"}, "RGC"),
			timeline.Words{What: "vehicle ABC1D23 no longer covered",
				Reason: "an operator ended the subject (DELETE /v1/contracts/{id}/subjects/{subject_id}): the days left of its period are credited",
				Rule:   "subjects are prorated like a plan change"}},
		{"renewal queued", timeline.RenewalQueued(records.Renewal{Term: 1, OpenInstallments: 3}),
			timeline.Words{What: "term 1 entered the renewal queue", Reason: "3 open recurring installments left in the term, at or below the queue threshold",
				Rule: "BILLINGD_RENEWAL_QUEUE_THRESHOLD (or the plan's renewal_queue_threshold)"}},
		{"renewed by the sweep at a price", timeline.Renewed(records.Renewal{NewTerm: 2, Price: func() *decimal.Decimal { p := dec("120.00"); return &p }(),
			PriceMode: "plan_price", Trigger: records.RenewedBySweep}),
			timeline.Words{What: "renewed into term 2 at 120.00 (plan_price)", Reason: "the term's open recurring installments fell to the renewal threshold",
				Rule: "BILLINGD_RENEWAL_THRESHOLD (or the plan's renewal_threshold); contract_renews_automatically"}},
		{"benefit use reversed", timeline.BenefitUse(records.Usage{ID: 4, Quantity: 2}, "Consulta", true),
			timeline.Words{What: "use 4 of Consulta reversed", Reason: "an operator reversed the use; it no longer counts"}},
		{"operator without a status or reason", timeline.Operator(records.AuditEntry{Route: "POST /v1/runs", Actor: "river-ui"}),
			timeline.Words{What: "POST /v1/runs by river-ui", Reason: "no reason given"}},
		{"a due day change requested", timeline.ContractChange("due_day", "10", "20", day("2026-09-01"), "ana", "pedido do cliente",
			records.TimelineChangeAsked),
			timeline.Words{What: "due_day change from 10 to 20, effective 2026-09-01: requested", Reason: "pedido do cliente",
				Rule: "contract changes (requested by ana)"}},
		{"a plan change cancelled", timeline.ContractChange("plan", "1", "2", day("2026-09-01"), "bia", "desistiu", records.TimelineChangeDropped),
			timeline.Words{What: "plan change from 1 to 2, effective 2026-09-01: cancelled before it applied", Reason: "desistiu",
				Rule: "contract changes (requested by bia)"}},
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
