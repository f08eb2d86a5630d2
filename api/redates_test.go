package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// redatedRows are the installment.redated rows of contract c's timeline, without their ids.
func (b *bundle) redatedRows(c int64) []string {
	b.t.Helper()
	ids := regexp.MustCompile(` \{[^}]*\}`)
	var out []string
	for _, r := range timelineRows(b.t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", c), nil).raw) {
		if strings.Contains(r, " installment.redated ") {
			out = append(out, ids.ReplaceAllString(r, ""))
		}
	}
	return out
}

// TestTimelineRedates is issue 17 item 2: every re-dating of an installment is on its
// contract's timeline, in order, with the dates, the words of why and the rule that decided.
// Two contracts of 50.00 due on the 10th (shift next) from 2026-07-10; "paid" has paid its
// installment 9 (nominally due Wednesday 2027-03-10).
//   - 10:00 2027-03-10 made a holiday: open's installment 9 moves to Thursday 2027-03-11;
//     paid's, paid, stays and gets no entry. The same holiday again is a 409 recording nothing.
//   - 10:30 the holiday removed: installment 9 back to 2027-03-10.
//   - 11:00 due day 20 from 2026-07-20 (today): installments 2 to 12 (open, nominally due after
//     it) move to the 20th; 9 from 2027-03-10 to Saturday 2027-03-20, shifted to Monday
//     2027-03-22. The same request again records nothing.
//   - 11:30 an operator sets installment 10's nominal due date to Sunday 2027-04-25: due
//     Monday 2027-04-26 (it was 2027-04-20, a Tuesday).
func TestTimelineRedates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := newStepClock(b)
	plan := b.plan("50.00", "")
	contract := func() int64 {
		return b.contract(plan, map[string]any{"adhesion_date": "2026-07-10",
			"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	}
	open, paid := contract(), contract()
	b.generate("2026-07-20")
	clock.stamp("2026-07-20 02:00")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(paid, "recurring", 9)),
		`{"amount": "50.00", "paid_at": "2026-07-20"}`)
	clock.stamp("2026-07-20 09:00")

	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2027-03-10", "name": "Aniversário da cidade"}`)
	clock.stamp("2026-07-20 10:00")
	b.must(http.StatusConflict, "POST", "/v1/holidays", `{"date": "2027-03-10", "name": "Aniversário da cidade"}`)
	clock.stamp("2026-07-20 10:05")
	b.must(http.StatusNoContent, "DELETE", "/v1/holidays/2027-03-10", nil)
	clock.stamp("2026-07-20 10:30")
	rule := map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 20}, "effective_on": "2026-07-20", "reason": "salário no dia 20"}
	ch := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/due-date-rule", open), rule).body
	clock.stamp("2026-07-20 11:00")
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/due-date-rule", open), rule)
	clock.stamp("2026-07-20 11:10")
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", b.installmentID(open, "recurring", 10)),
		`{"due_date": "2027-04-25", "reason": "cliente pediu"}`)
	clock.stamp("2026-07-20 11:30")

	holiday := "2026-07-20 10:00 installment.redated | installment 9 moved from 2027-03-10 to 2027-03-11 | " +
		"2027-03-10 was made a holiday, Aniversário da cidade (next business day rule) | due_date_rule fixed_day 10, shift next"
	removed := "2026-07-20 10:30 installment.redated | installment 9 moved from 2027-03-11 to 2027-03-10 | " +
		"2027-03-10 is no longer a holiday (next business day rule) | due_date_rule fixed_day 10, shift next"
	// due is the row of installment seq moved by the due day change from the 10th (effective
	// from) to the 20th (effective to).
	due := func(seq int, fromNominal, from, toNominal, to string) string {
		return fmt.Sprintf("2026-07-20 11:00 installment.redated | installment %d moved from %s to %s (nominal due date %s to %s) | "+
			"the due-date rule changed (contract change %v by bootstrap: salário no dia 20) (next business day rule) | due_date_rule fixed_day 20, shift next",
			seq, from, to, fromNominal, toNominal, ch["id"])
	}
	sameRows(t, "open's re-datings", b.redatedRows(open), []string{
		holiday,
		removed,
		due(2, "2026-08-10", "2026-08-10", "2026-08-20", "2026-08-20"),
		due(3, "2026-09-10", "2026-09-10", "2026-09-20", "2026-09-21"),
		due(4, "2026-10-10", "2026-10-13", "2026-10-20", "2026-10-20"),
		due(5, "2026-11-10", "2026-11-10", "2026-11-20", "2026-11-23"),
		due(6, "2026-12-10", "2026-12-10", "2026-12-20", "2026-12-21"),
		due(7, "2027-01-10", "2027-01-11", "2027-01-20", "2027-01-20"),
		due(8, "2027-02-10", "2027-02-10", "2027-02-20", "2027-02-22"),
		due(9, "2027-03-10", "2027-03-10", "2027-03-20", "2027-03-22"),
		due(10, "2027-04-10", "2027-04-12", "2027-04-20", "2027-04-20"),
		due(11, "2027-05-10", "2027-05-10", "2027-05-20", "2027-05-20"),
		due(12, "2027-06-10", "2027-06-10", "2027-06-20", "2027-06-21"),
		"2026-07-20 11:30 installment.redated | installment 10 moved from 2027-04-20 to 2027-04-26 (nominal due date 2027-04-20 to 2027-04-25) | " +
			"an operator set its nominal due date to 2027-04-25 (installment change 1 by bootstrap: cliente pediu) (next business day rule) | due_date_rule fixed_day 20, shift next",
	})
	sameRows(t, "paid's re-datings", b.redatedRows(paid), nil)
	sameRows(t, "paid's installments 8 to 10", b.installments(paid)[7:10], []string{
		"recurring 8 2027-02-10 50.00 open", "recurring 9 2027-03-10 50.00 paid", "recurring 10 2027-04-12 50.00 open"})
	// The re-datings are in order with the other entries of installment 9: issued at 02:00,
	// moved three times, its plan line written again for its new period by the due day change.
	nine := fmt.Sprintf("installment=%d", b.installmentID(open, "recurring", 9))
	var kinds []string
	for _, r := range timelineRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/timeline", open), nil).raw) {
		if strings.Contains(r, nine+" ") || strings.Contains(r, nine+"}") {
			kinds = append(kinds, strings.Join(strings.Fields(r)[:3], " "))
		}
	}
	sameRows(t, "installment 9's entries", kinds, []string{"2026-07-20 02:00 installment.issued",
		"2026-07-20 10:00 installment.redated", "2026-07-20 10:30 installment.redated",
		"2026-07-20 11:00 installment.line_added", "2026-07-20 11:00 installment.redated"})
}

// TestExplainJudgesAsOfTheDate is issue 17 item 5: explain judges the installments as they
// stood on the date asked, not as they stand now. A contract of 50.00 due on the 10th (shift
// next, no fine nor interest) from 2026-05-10: installment 1 due Monday 2026-05-11 (the 10th
// is a Sunday), 2 due Wednesday 2026-06-10, 3 due Friday 2026-07-10.
//   - installment 1 paid on 2026-05-11, the payment reversed today (2026-07-20);
//   - installment 2 paid late, on 2026-07-15;
//   - 2026-07-10 made a holiday today: installment 3 moves to Monday 2026-07-13.
//
// On 2026-06-05: 1 was paid (its reversal came later), 2 not due yet: benefits allowed.
// On 2026-06-20: 1 was paid, 2 was overdue since 2026-06-11 (benefits refused from its due date).
// On 2026-07-12: also 3, due 2026-07-10 then, overdue since 2026-07-11.
// Today: 1 is overdue since 2026-05-12, 2 is paid, 3 is overdue since 2026-07-14.
func TestExplainJudgesAsOfTheDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("50.00", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-05-10", "late_fine_percent": "0.00", "monthly_interest_percent": "0.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-20")
	first := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 1)),
		`{"amount": "50.00", "paid_at": "2026-05-11"}`).body
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "recurring", 2)),
		`{"amount": "50.00", "paid_at": "2026-07-15"}`)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/payments/%v/reverse", first["id"]), `{"reason": "chargeback"}`)
	b.must(http.StatusCreated, "POST", "/v1/holidays", `{"date": "2026-07-10", "name": "Feriado municipal"}`)
	// The re-dating was recorded today (the test's clock), after both dates asked.
	b.exec("UPDATE installment_redates SET at = '2026-07-20 10:00-03'")
	overdue := func(on string) []string {
		var out []string
		for _, r := range explainRows(t, b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/explain?on=%s", c, on), nil).raw) {
			if strings.HasPrefix(r, "overdue ") || strings.HasPrefix(r, "installments: ") || strings.HasPrefix(r, "benefits: ") {
				out = append(out, r)
			}
		}
		return out
	}
	next := func(seq int, due string) string {
		return fmt.Sprintf("installments: generated | term 1 is generated: 12 installments; the next open one is installment %d of 50.00, due %s | due_date_rule fixed_day 10, shift next",
			b.installmentID(c, "recurring", seq), due)
	}
	delinquent := func(since string) string {
		return "benefits: refused: delinquent | the contract has an installment overdue since " + since + " | benefits.Check"
	}
	sameRows(t, "on 2026-06-05", overdue("2026-06-05"), []string{next(2, "2026-06-10"),
		"benefits: allowed | nothing of the contract refuses a use; each benefit's grant, grace period and quota still apply | benefits.Check"})
	sameRows(t, "on 2026-06-20", overdue("2026-06-20"), []string{next(2, "2026-06-10"), delinquent("2026-06-10"),
		"overdue 2 due 2026-06-10 since 2026-06-11 50.00"})
	sameRows(t, "on 2026-07-12", overdue("2026-07-12"), []string{next(2, "2026-06-10"), delinquent("2026-06-10"),
		"overdue 2 due 2026-06-10 since 2026-06-11 50.00", "overdue 3 due 2026-07-10 since 2026-07-11 50.00"})
	sameRows(t, "today", overdue("2026-07-20"), []string{next(1, "2026-05-11"), delinquent("2026-05-11"),
		"overdue 1 due 2026-05-11 since 2026-05-12 50.00", "overdue 3 due 2026-07-13 since 2026-07-14 50.00"})
}
