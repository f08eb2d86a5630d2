package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// sweepAll runs every scheduled job's sweep over every contract as of asOf, as the daemon
// wires them (the settings' defaults).
func (b *bundle) sweepAll(asOf string) {
	b.t.Helper()
	sweeps := dryRunner(b.pool, b.store).Sweeps
	for _, name := range jobs.Names() {
		b.sweepBatch(name, sweeps[name], asOf)
	}
}

// rerunChangesNothing runs every sweep as of asOf and then again, and fails unless the second
// run left every table as the first did (internal/dbtest checksums).
func (b *bundle) rerunChangesNothing(asOf string) {
	b.t.Helper()
	b.sweepAll(asOf)
	before, err := dbtest.Checksums(context.Background(), b.pool, "audit_log")
	if err != nil {
		b.t.Fatal(err)
	}
	b.sweepAll(asOf)
	after, err := dbtest.Checksums(context.Background(), b.pool, "audit_log")
	if err != nil {
		b.t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		for table := range before {
			if before[table] != after[table] {
				b.t.Errorf("the rerun of every sweep as of %s changed %s", asOf, table)
			}
		}
	}
}

// installment returns an installment as GET /v1/installments/{id} answers it.
func (b *bundle) installment(id int64) map[string]any {
	b.t.Helper()
	return b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", id), nil).body
}

// TestRedateInstallmentOntoHoliday: a contract on fixed day 10 (shift next) from 2026-07-01;
// its third installment (nominally 2026-09-10) is re-dated onto 2026-09-07, Independence
// Day: its nominal due date is 2026-09-07 and its effective one the next business day,
// 2026-09-08, the change is recorded with the operator and the reason, and a rerun of every
// sweep changes nothing. The block sweep and the notices read the new date.
func TestRedateInstallmentOntoHoliday(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-20")
	third := b.installmentID(c, "recurring", 3)
	r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", third),
		`{"due_date": "2026-09-07", "reason": "o cliente recebe no dia 5"}`)
	for field, want := range map[string]any{"nominal_due": "2026-09-07", "due_date": "2026-09-08", "amount": "99.90",
		"discount": "0.00", "state": "open", "service_start": "2026-09-01", "service_end": "2026-09-30"} {
		if r.body[field] != want {
			t.Errorf("%s = %v, want %v", field, r.body[field], want)
		}
	}
	changes := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d/changes", third), nil).items(t)
	if len(changes) != 1 {
		t.Fatalf("changes %v", changes)
	}
	want := map[string]any{"installment_id": float64(third), "contract_id": float64(c), "kind": "redate",
		"old_due_date": "2026-09-10", "new_due_date": "2026-09-08", "old_amount": nil, "new_amount": nil,
		"reason": "o cliente recebe no dia 5", "actor": "bootstrap"}
	if got := without(changes[0], "id", "created_at"); !reflect.DeepEqual(got, want) {
		t.Errorf("change %v, want %v", got, want)
	}
	if rec := b.audit("?route=PATCH%20/v1/installments/%7Bid%7D"); len(rec) != 1 || rec[0]["reason"] != "o cliente recebe no dia 5" {
		t.Errorf("audit %v", rec)
	}
	// The same date again changes nothing and records nothing.
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", third), `{"due_date": "2026-09-07", "reason": "de novo"}`)
	if n := len(b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d/changes", third), nil).items(t)); n != 1 {
		t.Errorf("%d changes after the same date again, want 1", n)
	}
	// The notices follow the effective date: coming due 3 days before 2026-09-08, not before.
	b.sweepBatch("send-notices", postgres.NoticeSweep{DaysBeforeDue: 3}, "2026-09-04")
	if n := b.exec1(`SELECT count(*) FROM notices WHERE kind = 'coming_due' AND reference = $1`, fmt.Sprint(third)); n != 0 {
		t.Errorf("coming_due notice of the re-dated installment on 2026-09-04: %d, want 0", n)
	}
	b.sweepBatch("send-notices", postgres.NoticeSweep{DaysBeforeDue: 3}, "2026-09-05")
	if n := b.exec1(`SELECT count(*) FROM notices WHERE kind = 'coming_due' AND reference = $1`, fmt.Sprint(third)); n != 1 {
		t.Errorf("coming_due notice of the re-dated installment on 2026-09-05: %d, want 1", n)
	}
	b.rerunChangesNothing("2026-07-20")
}

// TestChangeInstallmentAmount: the amount of one installment goes from 99.90 to 79.90 by an
// adjustment line of -20.00 (a discount of the installment: amount 99.90, discount 20.00),
// then to 109.90 by one of +30.00; each change is recorded with its totals and the reason,
// and the ledger's invariant holds.
func TestChangeInstallmentAmount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-20")
	fourth := b.installmentID(c, "recurring", 4)
	r := b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", fourth), `{"amount": "79.90", "reason": "desconto negociado"}`)
	if r.body["amount"] != "99.90" || r.body["discount"] != "20.00" || r.body["due_date"] != "2026-10-13" {
		t.Errorf("after 79.90: amount %v discount %v due %v", r.body["amount"], r.body["discount"], r.body["due_date"])
	}
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", fourth), `{"amount": "109.90", "reason": "taxa de instalação"}`)
	lines := b.linesOf(c, "recurring", 4)
	wantLines := []string{
		"plan 99.90 × 1 at 99.90: plan, term 1 installment 4: service 2026-10-01 to 2026-10-31",
		"adjustment -20.00: adjustment from 99.90 to 79.90: desconto negociado",
		"adjustment 30.00: adjustment from 79.90 to 109.90: taxa de instalação",
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("lines\n%q\nwant\n%q", lines, wantLines)
	}
	in := b.installment(fourth)
	if in["amount"] != "129.90" || in["discount"] != "20.00" {
		t.Errorf("after 109.90: amount %v discount %v, want 129.90 and 20.00", in["amount"], in["discount"])
	}
	changes := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d/changes", fourth), nil).items(t)
	if len(changes) != 2 || changes[0]["old_amount"] != "99.90" || changes[0]["new_amount"] != "79.90" ||
		changes[1]["old_amount"] != "79.90" || changes[1]["new_amount"] != "109.90" || changes[1]["kind"] != "amount" {
		t.Errorf("changes %v", changes)
	}
	b.rerunChangesNothing("2026-07-20")
}

// TestCancelInstallment: cancelling one overdue installment with a reason makes it
// cancelled: it is not overdue (the contract is not on the ladder, block-delinquent leaves
// it active) and not open for renewal; a cancelled or paid installment cannot be changed or
// cancelled again (409 naming its state), a missing reason or a past due date is refused
// (422 naming the field) and writes nothing.
func TestCancelInstallment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-20")
	first, second := b.installmentID(c, "recurring", 1), b.installmentID(c, "recurring", 2)
	r := b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/cancel", first), `{"reason": "cobrada por engano"}`)
	if r.body["state"] != "cancelled" || r.body["due_date"] != "2026-07-10" {
		t.Errorf("cancelled: %v", r.body)
	}
	ct := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if step := ct["ladder"].(map[string]any)["step"]; step != "none" {
		t.Errorf("ladder step %v after cancelling the overdue installment, want none", step)
	}
	b.sweepAll("2026-07-31")
	if st := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["status"]; st != "active" {
		t.Errorf("status %v after block-delinquent, want active", st)
	}
	var open int64
	if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM installments WHERE contract_id = $1 AND state = 'open'`, c).Scan(&open); err != nil || open != 11 {
		t.Errorf("open installments %d (%v), want 11", open, err)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", second), `{"amount": "99.90", "paid_at": "2026-07-20"}`)
	before := b.snapshot()
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		field, says              string
	}{
		{"cancel a cancelled one", "POST", fmt.Sprintf("/v1/installments/%d/cancel", first), `{"reason": "x"}`, 409, "id", "is cancelled"},
		{"re-date a cancelled one", "PATCH", fmt.Sprintf("/v1/installments/%d", first), `{"due_date": "2026-08-20", "reason": "x"}`, 409, "id", "is cancelled"},
		{"re-date a paid one", "PATCH", fmt.Sprintf("/v1/installments/%d", second), `{"due_date": "2026-08-20", "reason": "x"}`, 409, "id", "is paid"},
		{"cancel a paid one", "POST", fmt.Sprintf("/v1/installments/%d/cancel", second), `{"reason": "x"}`, 409, "id", "is paid"},
		{"no reason", "PATCH", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 3)), `{"due_date": "2026-09-20"}`, 422, "reason", "required"},
		{"a past date", "PATCH", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 3)), `{"due_date": "2026-07-19", "reason": "x"}`, 422, "due_date", "before today"},
		{"a negative amount", "PATCH", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 3)), `{"amount": "-1.00", "reason": "x"}`, 422, "amount", "negative"},
		{"nothing to change", "PATCH", fmt.Sprintf("/v1/installments/%d", b.installmentID(c, "recurring", 3)), `{"reason": "x"}`, 422, "due_date", "due_date, amount or both"},
		{"an unknown installment", "POST", "/v1/installments/999999/cancel", `{"reason": "x"}`, 404, "id", "installment 999999"},
	} {
		r := b.send(tc.method, tc.path, tc.body)
		if e := r.err(t); r.status != tc.status || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: %d %+v, want %d naming %s saying %q", tc.name, r.status, e, tc.status, tc.field, tc.says)
		}
	}
	if after := b.snapshot(); after != before {
		t.Errorf("refused changes wrote something")
	}
	b.rerunChangesNothing("2026-07-31")
}

// TestRedateMovesTheLadder: the ladder reads the effective due date: an installment overdue
// since 2026-07-10 puts the contract's position at suspension on 2026-07-20 (notice on
// 2026-07-17); re-dated to 2026-07-27, it is no longer overdue on 2026-07-20: the
// contract's position projects the ladder from the new date (debt notice on 2026-08-03,
// suspension on 2026-08-06), and block-delinquent as of 2026-07-20 leaves it active.
func TestRedateMovesTheLadder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-20")
	first := b.installmentID(c, "recurring", 1)
	ladder := func() map[string]any {
		return b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["ladder"].(map[string]any)
	}
	if before := ladder(); before["step"] != "suspension" || before["suspension_on"] != "2026-07-20" || before["notice_on"] != "2026-07-17" {
		t.Errorf("ladder before the re-dating: %v, want suspension on 2026-07-20 after a notice on 2026-07-17", before)
	}
	b.must(http.StatusOK, "PATCH", fmt.Sprintf("/v1/installments/%d", first), `{"due_date": "2026-07-27", "reason": "prorrogado"}`)
	after := ladder()
	for field, want := range map[string]any{"step": "none", "trigger_installment_id": float64(first), "next_step": "debt_notice",
		"next_step_on": "2026-08-03", "suspension_on": "2026-08-06",
		"reason": "not on the ladder: installment 1 due 2026-07-27; next: debt_notice on 2026-08-03"} {
		if after[field] != want {
			t.Errorf("ladder after the re-dating: %s = %v, want %v", field, after[field], want)
		}
	}
	b.block("2026-07-20")
	if st := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["status"]; st != "active" {
		t.Errorf("status %v, want active", st)
	}
	b.rerunChangesNothing("2026-07-20")
}
