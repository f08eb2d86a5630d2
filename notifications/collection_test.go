package notifications

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func TestNewCollectionData(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := billing.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	m := decimal.RequireFromString
	rule := billing.LateRule{FinePercent: m("2.00"), MonthlyInterestPercent: m("1.00")}
	cal := billing.NewCalendar()
	on := day("2026-03-20")
	owed := func(id int64, seq int, amount, due string, paid ...billing.PaymentOn) OwedInstallment {
		r := billing.Receivable{Amount: m(amount), Discount: decimal.Zero, OnTimeDiscount: m("5.00"), EffectiveDue: day(due)}
		got, err := billing.AmountDueOn(r, rule, cal, paid, on)
		if err != nil {
			t.Fatal(err)
		}
		return OwedInstallment{ID: id, Sequence: seq, InstallmentsPerTerm: 12, DueDate: day(due), Due: got}
	}
	c := Collection{On: on, SuspensionOn: day("2026-03-31"), TerminationOn: day("2026-05-30"), RestoreWithinDays: 1, Late: rule,
		Installments: []OwedInstallment{
			owed(11, 2, "1234.50", "2026-02-10"),
			owed(12, 3, "100.00", "2026-03-10", billing.PaymentOn{On: day("2026-03-15"), Amount: m("50.00")}),
			owed(13, 4, "100.00", "2026-04-10"),
		}}
	c.Installments[2].Instruments = InstrumentData{PixCopyPaste: "000201..."}
	got := NewCollectionData(c)
	// 1234.50 38 days late: fine 24.69, interest 1234.50 × 38 / 3000 = 15.64. 100.00 paid
	// 50.00 five days late: fine 2.00 and interest 0.17 first, 47.83 of principal; then
	// 52.17 × 5 / 3000 = 0.09 more. April's is not due yet: the on-time discount applies.
	want := []string{
		"11 2/12 10/02/2026 R$ 1.234,50 R$ 0,00 R$ 24,69 R$ 15,64 R$ 0,00 R$ 1.274,83",
		"12 3/12 10/03/2026 R$ 100,00 R$ 0,00 R$ 2,00 R$ 0,26 R$ 50,00 R$ 52,26",
		"13 4/12 10/04/2026 R$ 100,00 R$ 5,00 R$ 0,00 R$ 0,00 R$ 0,00 R$ 95,00",
	}
	for i, in := range got.Installments {
		line := strings.Join([]string{itoa(in.ID), in.Number, in.DueDate, in.Amount, in.Discount, in.Fine, in.Interest, in.Paid, in.AmountDue}, " ")
		if line != want[i] {
			t.Errorf("installment %d: %s, want %s", i, line, want[i])
		}
	}
	if got.Total != "R$ 1.422,09" || got.OnDate != "20/03/2026" || got.SuspensionDate != "31/03/2026" || got.TerminationDate != "30/05/2026" ||
		got.PartialSuspensionDate != "" || got.RestoreDeadline != "em até 1 dia após a confirmação do pagamento" ||
		got.FinePercent != "2,00%" || got.MonthlyInterestPercent != "1,00%" || got.Installments[2].Instruments.PixCopyPaste != "000201..." {
		t.Errorf("%+v", got)
	}
}

func TestCollectionTemplatesCompileAndRender(t *testing.T) {
	t.Parallel()
	tpl := Template{
		Subject: "Aviso de débito: {{.Collection.Total}} — suspensão em {{.Collection.SuspensionDate}}",
		HTML: `<table>{{range .Collection.Installments}}<tr><td>{{.Number}}</td><td>{{.DueDate}}</td><td>{{.AmountDue}}</td>` +
			`<td>{{with .Instruments}}{{.DigitableLine}}{{end}}</td></tr>{{end}}</table>` +
			`{{if .Collection.TerminationDate}}<p>Rescisão em {{.Collection.TerminationDate}}</p>{{end}}`,
		Text: "{{range .Collection.Installments}}{{.Number}} {{.DueDate}} {{.AmountDue}}\n{{end}}Total {{.Collection.Total}}; religação {{.Collection.RestoreDeadline}}",
	}
	c, err := Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Render(sampleData())
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Aviso de débito: R$ 102,23 — suspensão em 04/08/2026" || !strings.Contains(msg.Text, "1/12 10/07/2026 R$ 102,23") ||
		!strings.Contains(msg.HTML, "Rescisão em 03/10/2026") || !strings.Contains(msg.Text, "em até 1 dia após a confirmação do pagamento") {
		t.Errorf("rendered %+v", msg)
	}
	bad := tpl
	bad.Text = "{{range .Collection.Installments}}{{.Vencimento}}{{end}}"
	if _, err := Compile(bad); err == nil || !strings.Contains(err.Error(), "unknown field Vencimento in OwedInstallmentData") {
		t.Errorf("an unknown field inside the range: %v", err)
	}
}

func TestBRPercentAndDays(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2": "2,00%", "1.5": "1,50%", "0": "0,00%", "10.00": "10,00%"} {
		if got := BRPercent(decimal.RequireFromString(in)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for n, want := range map[int]string{1: "1 dia", -1: "-1 dia", 0: "0 dias", 2: "2 dias", 15: "15 dias", -2: "-2 dias"} {
		if got := BRDays(n); got != want {
			t.Errorf("BRDays(%d) = %q, want %q", n, got, want)
		}
	}
}

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

// TestNewCollectionDataWithoutTermOrRestoreDeadline: an installment whose plan has no
// count of installments per term is numbered by its sequence alone, and no restore
// deadline is stated when the operator set none (0 days).
func TestNewCollectionDataWithoutTermOrRestoreDeadline(t *testing.T) {
	t.Parallel()
	m := decimal.RequireFromString
	due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	got := NewCollectionData(Collection{On: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), RestoreWithinDays: 0,
		Late: billing.LateRule{FinePercent: m("2"), MonthlyInterestPercent: m("0.5")},
		Installments: []OwedInstallment{{ID: 21, Sequence: 3, InstallmentsPerTerm: 0, DueDate: due,
			Due: billing.AmountDue{Amount: m("80.00"), Fine: m("1.60"), Interest: m("0.13"), Balance: m("81.73")}}}})
	if len(got.Installments) != 1 || got.Installments[0].Number != "3" || got.Installments[0].AmountDue != "R$ 81,73" {
		t.Errorf("installments %+v, want one numbered 3 owing R$ 81,73", got.Installments)
	}
	if got.RestoreDeadline != "" || got.RestoreWithinDays != 0 || got.Total != "R$ 81,73" || got.MonthlyInterestPercent != "0,50%" {
		t.Errorf("%+v", got)
	}
	got = NewCollectionData(Collection{RestoreWithinDays: 15})
	if got.RestoreDeadline != "em até 15 dias após a confirmação do pagamento" || got.Total != "R$ 0,00" || got.Installments != nil ||
		got.OnDate != "" {
		t.Errorf("nothing owed, 15 days to restore: %+v", got)
	}
}
