package timeline_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/timeline"
)

// TestWriteText: the text of `billingd contract ID`, whole — verdicts with and without a
// date, the overdue table, and timeline entries with and without an instant, an amount,
// lines, a reason and a rule, truncated or not.
func TestWriteText(t *testing.T) {
	t.Parallel()
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 10, 14, 5, 0, 0, time.UTC) // 11:05 in São Paulo (UTC-3)
	amount := dec("102.62")
	e := records.Explanation{ContractID: 42, On: day("2026-07-20"), Status: "blocked",
		Verdicts: []records.Verdict{
			{Topic: "collection", State: "suspended", Since: day("2026-07-18"), Reason: "r1", Rule: "rule1"},
			{Topic: "renewal", State: "not due", Reason: "r2", Rule: "rule2"},
		},
		Overdue: []records.OverdueInstallment{{ID: 5, Term: 1, Sequence: 3, DueDate: day("2026-06-30"), OverdueSince: day("2026-07-01"), Amount: dec("99.9")}},
	}
	tl := records.Timeline{ContractID: 42, Limit: 2, Truncated: true, Entries: []records.TimelineEntry{
		{On: day("2026-06-01"), Kind: "installment.issued", What: "w1", Lines: []billing.Line{{Kind: "plan", Amount: dec("99.90"), Description: "Plano"}}},
		{On: day("2026-07-10"), At: &at, Kind: "payment.recorded", What: "w2", Amount: &amount, Reason: "late", Rule: "fine"},
	}}
	var out bytes.Buffer
	if err := timeline.WriteText(&out, e, tl, saoPaulo); err != nil {
		t.Fatal(err)
	}
	want := "Contract 42 on 2026-07-20: blocked\n" +
		"\n" +
		"collection:   suspended since 2026-07-18\n" +
		"  why:  r1\n" +
		"  rule: rule1\n" +
		"renewal:      not due\n" +
		"  why:  r2\n" +
		"  rule: rule2\n" +
		"\n" +
		"Overdue on 2026-07-20:\n" +
		"INSTALLMENT  TERM  SEQUENCE  DUE         OVERDUE SINCE  AMOUNT\n" +
		"5            1     3         2026-06-30  2026-07-01     99.90\n" +
		"\n" +
		"Timeline (2 entries, the first 2; more exist):\n" +
		"ON          AT     KIND                AMOUNT  WHAT\n" +
		"2026-06-01  --:--  installment.issued          w1\n" +
		"                                                 line plan 99.90: Plano\n" +
		"2026-07-10  11:05  payment.recorded    102.62  w2\n" +
		"                                                 why: late\n" +
		"                                                 rule: fine\n"
	if out.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if err := timeline.WriteText(&out, records.Explanation{ContractID: 7, On: day("2026-07-20"), Status: "active"},
		records.Timeline{ContractID: 7, Limit: 500}, saoPaulo); err != nil {
		t.Fatal(err)
	}
	want = "Contract 7 on 2026-07-20: active\n" +
		"\n" +
		"\n" +
		"Overdue on 2026-07-20: none\n" +
		"\n" +
		"Timeline (0 entries):\n" +
		"ON  AT  KIND  AMOUNT  WHAT\n"
	if out.String() != want {
		t.Errorf("WriteText of a contract with nothing:\n%q\nwant:\n%q", out.String(), want)
	}
}
