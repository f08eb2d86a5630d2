package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestAddonProratedAndEnded: a static IP of 30.00 a month starting on 2026-07-20 is an
// addon line on every open recurring installment: 11.61 on the first (12 of the 31 days
// 2026-07-20..2026-07-31, 30.00 × 12 / 31 half-up, as a plan change prorates), 30.00 on
// the next; ended on 2026-09-15 it is 15.00 on September's (15 of 30 days) and gone from
// October's on. A rerun of generation changes nothing.
func TestAddonProratedAndEnded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	path := fmt.Sprintf("/v1/contracts/%d/addons", c)
	a := b.must(http.StatusCreated, "POST", path, map[string]any{"description": "IP fixo", "price": "30.00"})
	if a.body["from"] != "2026-07-20" || a.body["until"] != nil || a.body["price"] != "30.00" {
		t.Errorf("add-on %s, want from 2026-07-20 (today), no until", a.raw)
	}
	tests := []struct {
		sequence int
		want     string
	}{
		{1, "addon 11.61 × 1 at 30.00: add-on: IP fixo, 12 of 31 days (2026-07-20 to 2026-07-31)"},
		{2, "addon 30.00 × 1 at 30.00: add-on: IP fixo, service 2026-08-01 to 2026-08-31"},
		{12, "addon 30.00 × 1 at 30.00: add-on: IP fixo, service 2027-06-01 to 2027-06-30"},
	}
	for _, tt := range tests {
		if got := b.linesOf(c, "recurring", tt.sequence); len(got) != 2 || got[1] != tt.want {
			t.Errorf("installment %d lines %q, want the plan and %q", tt.sequence, got, tt.want)
		}
	}
	if got := b.installments(c)[:2]; !reflect.DeepEqual(got, []string{"recurring 1 2026-07-10 111.51 open", "recurring 2 2026-08-10 129.90 open"}) {
		t.Errorf("installments %q", got)
	}
	ended := b.must(http.StatusOK, "DELETE", fmt.Sprintf("%s/%d?until=2026-09-15", path, a.id(t)), nil)
	if ended.body["until"] != "2026-09-15" {
		t.Errorf("ended add-on %s", ended.raw)
	}
	if got := b.linesOf(c, "recurring", 3); len(got) != 2 || got[1] != "addon 15.00 × 1 at 30.00: add-on: IP fixo, 15 of 30 days (2026-09-01 to 2026-09-15)" {
		t.Errorf("installment 3 lines %q", got)
	}
	if got := b.linesOf(c, "recurring", 4); len(got) != 1 {
		t.Errorf("installment 4 lines %q, want the plan's alone", got)
	}
	if got := b.linesOf(c, "recurring", 2); len(got) != 2 || got[1] != "addon 30.00 × 1 at 30.00: add-on: IP fixo, service 2026-08-01 to 2026-08-31" {
		t.Errorf("installment 2 lines %q", got)
	}
	before := b.snapshot()
	b.generate("2026-07-20")
	if b.snapshot() != before {
		t.Error("a rerun of generation changed the installments or their lines")
	}
	if e := b.send("DELETE", fmt.Sprintf("%s/%d", path, a.id(t)), nil); e.status != http.StatusConflict {
		t.Errorf("ending an ended add-on: %d %s, want 409", e.status, e.raw)
	}
	if list := b.must(http.StatusOK, "GET", path, nil).items(t); len(list) != 1 || list[0]["until"] != "2026-09-15" {
		t.Errorf("add-ons %v", list)
	}
}

// TestAddonGeneratedAndRenewed: an add-on of 19.90 (an app) active from the adhesion day
// is written by generation in the statement that creates the term's installments (119.80
// = 99.90 + 19.90 each) and carried into the renewed term by renew-contracts.
func TestAddonGeneratedAndRenewed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-01-15",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.must(http.StatusCreated, "POST", fmt.Sprintf("/v1/contracts/%d/addons", c),
		map[string]any{"description": "App Clube", "price": "19.90", "from": "2026-01-15"})
	b.generate("2026-07-20")
	if got := b.linesOf(c, "recurring", 1); len(got) != 2 || got[1] != "addon 19.90 × 1 at 19.90: add-on: App Clube, service 2026-01-15 to 2026-02-14" {
		t.Errorf("installment 1 lines %q", got)
	}
	b.pay(c, 1, 10, "119.80", paidAddonFixedDay10From0115)
	if got := b.renew("2026-07-20"); !reflect.DeepEqual(got, renewalCounts(1, 1, 1, 12)) {
		t.Fatalf("renewal: %v, want one contract queued and renewed with 12 installments", got)
	}
	if got := b.linesOf(c, "recurring", 13); len(got) != 2 || got[1] != "addon 19.90 × 1 at 19.90: add-on: App Clube, service 2027-01-15 to 2027-02-14" {
		t.Errorf("installment 13 lines %q", got)
	}
	before := b.snapshot()
	b.generate("2026-07-20")
	b.renew("2026-07-20")
	if b.snapshot() != before {
		t.Error("a rerun of generation and renewal changed the installments or their lines")
	}
}

// TestAddonRefusals: bad input is a 4xx naming the field and writes nothing.
func TestAddonRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	closed := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.exec("UPDATE contracts SET status = 'finished' WHERE id = $1", closed)
	path := fmt.Sprintf("/v1/contracts/%d/addons", c)
	a := b.must(http.StatusCreated, "POST", path, map[string]any{"description": "IP fixo", "price": "30.00", "from": "2026-07-20"}).id(t)
	tests := []struct {
		name, method, path string
		body               map[string]any
		status             int
		field              string
	}{
		{"no description", "POST", path, map[string]any{"price": "30.00"}, 422, "description"},
		{"no price", "POST", path, map[string]any{"description": "IP"}, 422, "price"},
		{"zero price", "POST", path, map[string]any{"description": "IP", "price": "0"}, 422, "price"},
		{"bad from", "POST", path, map[string]any{"description": "IP", "price": "30.00", "from": "2026-02-30"}, 422, "from"},
		{"closed contract", "POST", fmt.Sprintf("/v1/contracts/%d/addons", closed), map[string]any{"description": "IP", "price": "30.00"}, 409, "id"},
		{"until before from", "DELETE", fmt.Sprintf("%s/%d?until=2026-07-19", path, a), nil, 422, "until"},
		{"bad until", "DELETE", fmt.Sprintf("%s/%d?until=amanhã", path, a), nil, 400, "until"},
		{"unknown add-on", "DELETE", fmt.Sprintf("%s/999999", path), nil, 404, "id"},
	}
	before := b.snapshot()
	for _, tt := range tests {
		r := b.send(tt.method, tt.path, tt.body)
		if r.status != tt.status || r.err(t).Field != tt.field {
			t.Errorf("%s: %d %s, want %d naming %s", tt.name, r.status, r.raw, tt.status, tt.field)
		}
	}
	if b.snapshot() != before {
		t.Error("a refused add-on request wrote something")
	}
}

// paidAddonFixedDay10From0115 is what each of the first 10 installments of 119.80 (99.90 +
// the 19.90 add-on) of a contract from 2026-01-15, fixed day 10, asks on 2026-07-20: 1% a
// month of interest, 119.80 × 1% ÷ 30 a day, for the days since its effective due date
// (paidFixedDay10From0115's): 160 days 6.3893 → 6.39; 132, 5.2712 → 5.27; 101, 4.0333 →
// 4.03; 70, 2.7953 → 2.80; 40, 1.5973 → 1.60; 10, 0.3993 → 0.40; from 08-10 on, none.
var paidAddonFixedDay10From0115 = []string{"126.19", "125.07", "123.83", "122.60", "121.40", "120.20", "119.80", "119.80", "119.80", "119.80"}
