package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// TestInstallmentLines: generation writes each installment with its lines (issue 19 item
// 4). A contract priced 99.90 with a fixed discount of 10.00 and an adhesion fee of 100.00
// in 3: each adhesion installment is one adhesion line (33.34, 33.33, 33.33, the remainder
// cent on the first), each recurring one a plan line of 99.90 and a discount line of
// -10.00; the installment's amount and discount are their sums (and the ledger invariant,
// checked when every API test ends, holds).
func TestInstallmentLines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01", "discount": "10.00",
		"on_time_discount": "5.00", "adhesion_fee": "100.00", "adhesion_installments": 3,
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	tests := []struct {
		kind     string
		sequence int
		want     []string
	}{
		{"adhesion", 1, []string{"adhesion 33.34 × 1 at 33.34: adhesion fee, installment 1 of 3"}},
		{"adhesion", 2, []string{"adhesion 33.33 × 1 at 33.33: adhesion fee, installment 2 of 3"}},
		{"adhesion", 3, []string{"adhesion 33.33 × 1 at 33.33: adhesion fee, installment 3 of 3"}},
		{"recurring", 1, []string{"plan 99.90 × 1 at 99.90: plan, term 1 installment 1: service 2026-07-01 to 2026-07-31",
			"discount -10.00: fixed discount"}},
		{"recurring", 12, []string{"plan 99.90 × 1 at 99.90: plan, term 1 installment 12: service 2027-06-01 to 2027-06-30",
			"discount -10.00: fixed discount"}},
	}
	for _, tt := range tests {
		if got := b.linesOf(c, tt.kind, tt.sequence); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %d: lines\n%q\nwant\n%q", tt.kind, tt.sequence, got, tt.want)
		}
	}
	items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments?contract_id=%d&limit=500", c), nil).items(t)
	if len(items) != 15 {
		t.Fatalf("%d installments, want 15", len(items))
	}
	for _, it := range items {
		wantDiscount := "10.00"
		if it["kind"] == "adhesion" {
			wantDiscount = "0.00"
		}
		if it["discount"] != wantDiscount {
			t.Errorf("%s %v: discount %v, want %s", it["kind"], it["sequence"], it["discount"], wantDiscount)
		}
	}
	// A rerun writes no line twice.
	before := b.snapshot()
	b.generate("2026-07-20")
	if b.snapshot() != before {
		t.Error("a second generation changed the installments or their lines")
	}
}

// TestInstallmentLinesInNotices: a notice's template sees the installment's lines
// ({{range .Installment.Lines}}), with amounts as R$ and discounts negative.
func TestInstallmentLinesInNotices(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contract(b.plan("99.90", ""), map[string]any{"adhesion_date": "2026-07-01", "discount": "10.00",
		"due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	b.must(http.StatusCreated, "POST", "/v1/email-templates", map[string]any{"kind": "coming_due", "scope": "default",
		"subject":   "Linhas: {{range .Installment.Lines}}[{{.Kind}} {{.Quantity}} {{.UnitPrice}} {{.Amount}}: {{.Description}}]{{end}}",
		"html_body": "<p>{{.Installment.AmountDue}}</p>", "text_body": "{{.Installment.AmountDue}}"})
	notice := b.exec1(`INSERT INTO notices (contract_id, kind, reference) VALUES ($1, 'coming_due', $2) RETURNING id`,
		c, fmt.Sprint(b.installmentID(c, "recurring", 1)))
	want := "Linhas: [plan 1 R$ 99,90 R$ 99,90: plan, term 1 installment 1: service 2026-07-01 to 2026-07-31]" +
		"[discount 1 -R$ 10,00: fixed discount]" // (a subject collapses the empty unit price's spaces)
	if got := b.renderNotice(notice); got != want {
		t.Errorf("subject\n%q\nwant\n%q", got, want)
	}
}
