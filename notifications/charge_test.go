package notifications

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestNewChargeData: a grouped charge's date in dd/mm/yyyy, each installment's amount and the
// total in reais, the instruments as given; a charge without installments asks R$ 0,00.
func TestNewChargeData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Charge
		want ChargeData
	}{
		{name: "two contracts", in: Charge{ID: 42, DueDate: time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC),
			Installments: []ChargeInstallment{{ContractID: 1, Asks: decimal.RequireFromString("99.90")},
				{ContractID: 2, Asks: decimal.RequireFromString("1049.95")}},
			DigitableLine: "00190.00009 01234.567004 00000.500170 1 15250000114985", PixCopyPaste: "000201"},
			want: ChargeData{ID: 42, DueDate: "10/07/2026", Amount: "R$ 1.149,85",
				Installments:  []ChargeInstallmentData{{ContractID: 1, Amount: "R$ 99,90"}, {ContractID: 2, Amount: "R$ 1.049,95"}},
				DigitableLine: "00190.00009 01234.567004 00000.500170 1 15250000114985", PixCopyPaste: "000201"}},
		{name: "nothing open", in: Charge{ID: 7}, want: ChargeData{ID: 7, Amount: "R$ 0,00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NewChargeData(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NewChargeData = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestInstallmentNoticesShowTheirGroupedCharge: the shipped coming_due, overdue and reminder
// templates state the grouped charge (number, due date, total, each contract's amount, its
// boleto and PIX) when there is one, and nothing about it otherwise.
func TestInstallmentNoticesShowTheirGroupedCharge(t *testing.T) {
	t.Parallel()
	charge := NewChargeData(Charge{ID: 42, DueDate: time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC),
		Installments: []ChargeInstallment{{ContractID: 1, Asks: decimal.RequireFromString("99.90")},
			{ContractID: 2, Asks: decimal.RequireFromString("49.95")}},
		DigitableLine: "00190.00009 01234.567004", PixCopyPaste: "000201PIX"})
	for _, kind := range []string{KindComingDue, KindOverdue, KindReminder} {
		c, ok := CompiledDefault(kind)
		if !ok {
			t.Fatalf("no shipped %s", kind)
		}
		plain, err := c.Render(sampleData())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plain.Text, "agrupada") || strings.Contains(plain.HTML, "agrupada") {
			t.Errorf("%s without a charge mentions one:\n%s", kind, plain.Text)
		}
		d := sampleData()
		d.Charge = charge
		m, err := c.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		wantText := "Esta parcela é cobrada na cobrança agrupada nº 42, com vencimento em 10/07/2026, no valor total de R$ 149,85:\n" +
			"- contrato nº 1: R$ 99,90\n- contrato nº 2: R$ 49,95\nBoleto (linha digitável): 00190.00009 01234.567004\nPIX copia e cola: 000201PIX"
		if !strings.Contains(m.Text, wantText) {
			t.Errorf("%s text lacks the charge:\n%s", kind, m.Text)
		}
		for _, want := range []string{"cobrança agrupada nº 42", "<strong>R$ 149,85</strong>", "<li>contrato nº 2: R$ 49,95</li>",
			"<p>Boleto (linha digitável): 00190.00009 01234.567004</p>", "<p>PIX copia e cola: 000201PIX</p>"} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("%s HTML lacks %q:\n%s", kind, want, m.HTML)
			}
		}
	}
}
