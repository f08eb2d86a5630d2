package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestActivationOnFirstPayment (seed 004): a contract on fixed day 10 (shift next) adhering
// on 2026-07-01 with activate_on_first_payment waits (pending_activation, deadline
// 2026-07-31) with its first installment issued at once (due 2026-07-10) and nothing more;
// paid on 2026-07-06, it is active from 2026-07-06: its first installment's service runs
// from that day, and generate-installments makes the rest of the term from it (due on the
// 10th from August, each service period starting on the 6th). A rerun of every sweep
// changes nothing.
func TestActivationOnFirstPayment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	created := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "activate_on_first_payment": true,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}})
	c := created.id(t)
	for field, want := range map[string]any{"status": "pending_activation", "wait_activation": true, "activation_date": nil,
		"activate_on_first_payment": true, "activation_deadline": "2026-07-31", "cancel_reason": nil} {
		if created.body[field] != want {
			t.Errorf("created: %s = %v, want %v", field, created.body[field], want)
		}
	}
	if got, want := b.installments(c), []string{"recurring 1 2026-07-10 99.90 open"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("installments at creation %v, want %v", got, want)
	}
	b.rerunChangesNothing("2026-07-05")
	if got := b.installments(c); len(got) != 1 {
		t.Fatalf("installments before the payment %v, want the first one only", got)
	}
	first := b.installmentID(c, "recurring", 1)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first), `{"amount": "99.90", "paid_at": "2026-07-06"}`)
	ct := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	for field, want := range map[string]any{"status": "active", "activation_date": "2026-07-06", "activation_deadline": "2026-07-31"} {
		if ct[field] != want {
			t.Errorf("after the payment: %s = %v, want %v", field, ct[field], want)
		}
	}
	in := b.installment(first)
	if in["service_start"] != "2026-07-06" || in["service_end"] != "2026-08-05" || in["state"] != "paid" || in["paid_at"] != "2026-07-06" {
		t.Errorf("first installment %v", in)
	}
	if n := b.exec1(`SELECT count(*) FROM events WHERE kind = 'contract.activated' AND contract_id = $1 AND occurred_on = '2026-07-06'`, c); n != 1 {
		t.Errorf("contract.activated events: %d, want 1", n)
	}
	b.rerunChangesNothing("2026-07-20")
	rows := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=3", c), nil).items(t)
	var got []string
	for _, it := range rows {
		got = append(got, fmt.Sprintf("%v %v %v-%v %v %v", it["sequence"], it["due_date"], it["service_start"], it["service_end"], it["amount"], it["state"]))
	}
	want := []string{
		"1 2026-07-10 2026-07-06-2026-08-05 99.90 paid",
		"2 2026-08-10 2026-08-06-2026-09-05 99.90 open",
		"3 2026-09-10 2026-09-06-2026-10-05 99.90 open",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installments after activation\n%q\nwant\n%q", got, want)
	}
	if n := len(b.installments(c)); n != 12 {
		t.Errorf("%d installments in the term, want 12", n)
	}
}

// TestActivationExpires: a contract activated on its first payment, never paid, is still
// waiting on its deadline (2026-07-31) and cancelled the day after by generate-installments
// (cancelled_on 2026-08-01, whatever day the sweep runs): reason not_paid, its first
// installment cancelled, an activation_expired notice; a rerun of every sweep changes
// nothing. With an adhesion fee the first installment is the first adhesion one.
func TestActivationExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "activate_on_first_payment": true,
		"adhesion_fee": "60.00", "adhesion_installments": 2,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.sweepAll("2026-07-31")
	want := []string{"adhesion 1 2026-07-01 30.00 open", "adhesion 2 2026-08-03 30.00 open"}
	if got := b.installments(c); !reflect.DeepEqual(got, want) {
		t.Errorf("installments while waiting %v, want %v", got, want)
	}
	if st := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["status"]; st != "pending_activation" {
		t.Errorf("status on the deadline %v, want pending_activation", st)
	}
	b.sweepAll("2026-08-04")
	ct := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	for field, want := range map[string]any{"status": "cancelled", "cancelled_on": "2026-08-01", "cancel_reason": "not_paid",
		"end_reason": "cancelled", "ended_on": "2026-08-01", "activation_date": nil} {
		if ct[field] != want {
			t.Errorf("expired: %s = %v, want %v", field, ct[field], want)
		}
	}
	want = []string{"adhesion 1 2026-07-01 30.00 cancelled", "adhesion 2 2026-08-03 30.00 cancelled"}
	if got := b.installments(c); !reflect.DeepEqual(got, want) {
		t.Errorf("installments after expiry %v, want %v", got, want)
	}
	if !containsNotice(b, c, "activation_expired", "2026-07-31") {
		t.Errorf("notices %s: no activation_expired notice about the deadline 2026-07-31", b.notices(c))
	}
	b.rerunChangesNothing("2026-08-04")
	report := b.must(http.StatusOK, "GET", "/v1/reports/cancellations?from=2026-08-01&to=2026-08-31", nil).body["items"]
	wantReport := []any{map[string]any{"month": "2026-08", "reason_id": 1.0, "reason_code": "not_paid", "reason_name": "not paid", "contracts": 1.0}}
	if !reflect.DeepEqual(report, wantReport) {
		t.Errorf("report %v, want %v", report, wantReport)
	}
}

// containsNotice reports whether the contract has a notice of kind about reference.
func containsNotice(b *bundle, contract int64, kind, reference string) bool {
	return b.exec1(`SELECT count(*) FROM notices WHERE contract_id = $1 AND kind = $2 AND reference = $3`, contract, kind, reference) == 1
}

// TestActivationOnAdhesionPayment: with an adhesion fee of 60.00 in two installments, the
// contract waits with both adhesion installments issued from its adhesion date (1 July and
// 3 August, the 1st being a Saturday); the first one paid on 2026-07-08 activates it that day,
// and its recurring installments run from that day (fixed day 10: the first due 2026-07-10
// for 8 July to 7 August). A second payment changes no activation.
func TestActivationOnAdhesionPayment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01", "activate_on_first_payment": true,
		"adhesion_fee": "60.00", "adhesion_installments": 2,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10, "shift": "next"}}).id(t)
	b.generate("2026-07-01")
	// Paid a week late: what is due on 2026-07-08, its interest included (a partial payment
	// settles nothing and activates nothing).
	first := b.installmentID(c, "adhesion", 1)
	due := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d?on=2026-07-08", first), nil).body["amount_due"].(map[string]any)["balance"]
	if due != "30.07" {
		t.Errorf("due on 2026-07-08: %v, want 30.07 (30.00 and 7 days of interest at 1%% a month)", due)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first), `{"amount": "10.00", "paid_at": "2026-07-08"}`)
	if st := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["status"]; st != "pending_activation" {
		t.Errorf("after a partial payment: %v, want pending_activation", st)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", first), `{"amount": "20.07", "paid_at": "2026-07-08"}`)
	ct := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body
	if ct["status"] != "active" || ct["activation_date"] != "2026-07-08" {
		t.Errorf("after the adhesion payment: %v %v", ct["status"], ct["activation_date"])
	}
	b.rerunChangesNothing("2026-07-20")
	rows := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?limit=4", c), nil).items(t)
	var got []string
	for _, it := range rows {
		got = append(got, fmt.Sprintf("%v %v %v %v-%v %v", it["kind"], it["sequence"], it["due_date"], it["service_start"], it["service_end"], it["state"]))
	}
	want := []string{
		"adhesion 1 2026-07-01 <nil>-<nil> paid",
		"adhesion 2 2026-08-03 <nil>-<nil> open",
		"recurring 1 2026-07-10 2026-07-08-2026-08-07 open",
		"recurring 2 2026-08-10 2026-08-08-2026-09-07 open",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installments\n%q\nwant\n%q", got, want)
	}
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/installments/%d/payments", b.installmentID(c, "adhesion", 2)),
		`{"amount": "30.00", "paid_at": "2026-07-20"}`)
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d", c), nil).body["activation_date"]; got != "2026-07-08" {
		t.Errorf("activation date after the second payment %v, want 2026-07-08", got)
	}
	if n := b.exec1(`SELECT count(*) FROM events WHERE kind = 'contract.activated' AND contract_id = $1`, c); n != 1 {
		t.Errorf("contract.activated events: %d, want 1", n)
	}
}
