package billing_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// TestSplitChargePayment: a grouped charge's payment pays each installment exactly what it
// asks on the payment's date when it is what the whole charge asks that day; a partial
// payment, a surplus, the on-time amount paid late and a charge with nothing open are refused
// with their code, field and reason, which names the amount asked on the date (and, late, its
// fine and interest).
func TestSplitChargePayment(t *testing.T) {
	t.Parallel()
	two := []billing.ChargeMember{{InstallmentID: 11, Asks: money("99.90")}, {InstallmentID: 12, Asks: money("49.95")}}
	late := []billing.ChargeMember{{InstallmentID: 11, Asks: money("102.23"), LateCharges: money("2.33")},
		{InstallmentID: 12, Asks: money("51.12"), LateCharges: money("1.17")}}
	tests := []struct {
		name    string
		paid    string
		on      string
		members []billing.ChargeMember
		want    []decimal.Decimal
		code    string
		field   string
		reason  string
	}{
		{name: "whole amount split exactly", paid: "149.85", on: "2026-03-10", members: two,
			want: []decimal.Decimal{money("99.90"), money("49.95")}},
		{name: "one member", paid: "0.01", on: "2026-03-10", members: []billing.ChargeMember{{InstallmentID: 3, Asks: money("0.01")}},
			want: []decimal.Decimal{money("0.01")}},
		{name: "late: what each asks on the date", paid: "153.35", on: "2026-03-20", members: late,
			want: []decimal.Decimal{money("102.23"), money("51.12")}},
		{name: "partial refused", paid: "149.84", on: "2026-03-10", members: two, code: billing.RefusedChargeAmount, field: "amount",
			reason: "a grouped charge is paid whole: want 149.85 on 2026-03-10, got 149.84"},
		{name: "surplus refused", paid: "149.86", on: "2026-03-10", members: two, code: billing.RefusedChargeAmount, field: "amount",
			reason: "a grouped charge is paid whole: want 149.85 on 2026-03-10, got 149.86"},
		{name: "one member's amount refused", paid: "99.90", on: "2026-03-10", members: two, code: billing.RefusedChargeAmount,
			field: "amount", reason: "a grouped charge is paid whole: want 149.85 on 2026-03-10, got 99.90"},
		{name: "on-time amount paid late refused", paid: "149.85", on: "2026-03-20", members: late, code: billing.RefusedChargeAmount,
			field:  "amount",
			reason: "a grouped charge is paid whole: want 153.35 on 2026-03-20 (149.85 of principal plus 3.50 of fine and interest accrued after the due date), got 149.85"},
		{name: "late surplus refused", paid: "153.36", on: "2026-03-20", members: late, code: billing.RefusedChargeAmount,
			field:  "amount",
			reason: "a grouped charge is paid whole: want 153.35 on 2026-03-20 (149.85 of principal plus 3.50 of fine and interest accrued after the due date), got 153.36"},
		{name: "nothing open", paid: "10.00", on: "2026-03-10", code: billing.RefusedChargeSettled, field: "id",
			reason: "the grouped charge has no open installment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := billing.SplitChargePayment(money(tc.paid), day(tc.on), tc.members)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("shares %v, want %v", got, tc.want)
				}
				for i := range got {
					if !got[i].Equal(tc.want[i]) {
						t.Errorf("share %d = %s, want %s", i, got[i], tc.want[i])
					}
				}
				return
			}
			var r *billing.PaymentRefusal
			if !errors.As(err, &r) || got != nil {
				t.Fatalf("got %v, %v; want refusal %s", got, err, tc.code)
			}
			if want := (billing.PaymentRefusal{Code: tc.code, Field: tc.field, Reason: tc.reason}); !reflect.DeepEqual(*r, want) {
				t.Errorf("refusal %+v, want %+v", *r, want)
			}
		})
	}
}

// TestChargeMemberOn: what an installment asks as a member of a grouped charge paid on a date
// is its balance under the single-installment rules (2% fine, 1% a month pro rata die): on
// time its amount less discounts and payments; late its principal plus fine and interest,
// the on-time discount lost, with the fine and interest as LateCharges; a due date on a
// Saturday is on time on the Monday (grace day); a bad rule fails naming the installment.
func TestChargeMemberOn(t *testing.T) {
	t.Parallel()
	rule := billing.LateRule{FinePercent: money("2.00"), MonthlyInterestPercent: money("1.00")}
	ledger := func(amount, onTime, due string, payments ...billing.PaymentOn) billing.Ledger {
		return billing.Ledger{InstallmentID: 7, ContractID: 1, State: billing.InstallmentOpen, Rule: rule, Payments: payments,
			Receivable: billing.Receivable{Amount: money(amount), OnTimeDiscount: money(onTime), EffectiveDue: day(due)}}
	}
	tests := []struct {
		name       string
		ledger     billing.Ledger
		on         string
		asks, late string
	}{
		{"on the due date", ledger("99.90", "0", "2026-03-10"), "2026-03-10", "99.90", "0"},
		{"ten days late: 2.00 fine, 0.33 interest", ledger("99.90", "0", "2026-03-10"), "2026-03-20", "102.23", "2.33"},
		{"49.95 ten days late: 1.00 fine, 0.17 interest", ledger("49.95", "0", "2026-03-10"), "2026-03-20", "51.12", "1.17"},
		{"on time keeps the on-time discount", ledger("99.90", "5.00", "2026-03-10"), "2026-03-10", "94.90", "0"},
		{"late loses the on-time discount", ledger("99.90", "5.00", "2026-03-10"), "2026-03-20", "102.23", "2.33"},
		{"due Saturday, paid Monday: grace day", ledger("99.90", "0", "2026-03-14"), "2026-03-16", "99.90", "0"},
		{"due Saturday, paid Tuesday: 3 days", ledger("99.90", "0", "2026-03-14"), "2026-03-17", "102.00", "2.10"},
		{"after a partial payment of 50.00", ledger("99.90", "0", "2026-03-10", billing.PaymentOn{On: day("2026-03-05"), Amount: money("50.00")}),
			"2026-03-20", "51.07", "1.17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := billing.ChargeMemberOn(tc.ledger, billing.NewCalendar(), day(tc.on))
			if err != nil {
				t.Fatal(err)
			}
			if m.InstallmentID != 7 || !m.Asks.Equal(money(tc.asks)) || !m.LateCharges.Equal(money(tc.late)) {
				t.Errorf("member %+v, want installment 7 asking %s with %s of fine and interest", m, tc.asks, tc.late)
			}
		})
	}
	bad := ledger("99.90", "0", "2026-03-10")
	bad.Rule.FinePercent = money("3.00")
	var fe *billing.FieldError
	if _, err := billing.ChargeMemberOn(bad, billing.NewCalendar(), day("2026-03-20")); !errors.As(err, &fe) ||
		fe.Field != "late_fine_percent" || !strings.HasPrefix(err.Error(), "installment 7: ") {
		t.Errorf("a 3%% fine: %v, want a late_fine_percent error naming installment 7", err)
	}
}

// TestChargeRefusalsUnwrap: a settled charge is a conflict, a wrong amount a field error on
// amount.
func TestChargeRefusalsUnwrap(t *testing.T) {
	t.Parallel()
	settled := &billing.PaymentRefusal{Code: billing.RefusedChargeSettled, Field: "id", Reason: "none open"}
	if !errors.Is(settled, billing.ErrConflict) || settled.Error() != billing.ErrConflict.Error()+": none open" {
		t.Errorf("settled: %v", settled)
	}
	wrong := &billing.PaymentRefusal{Code: billing.RefusedChargeAmount, Field: "amount", Reason: "want 1.00"}
	var fe *billing.FieldError
	if !errors.As(wrong, &fe) || fe.Field != "amount" || errors.Is(wrong, billing.ErrConflict) || wrong.Error() != "amount: want 1.00" {
		t.Errorf("wrong amount: %v", wrong)
	}
}

// TestChargeTotal: the sum of the members' asks, zero for none.
func TestChargeTotal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		members []billing.ChargeMember
		want    string
	}{
		{nil, "0"},
		{[]billing.ChargeMember{{Asks: money("99.90")}, {Asks: money("0.05")}, {Asks: money("10.00")}}, "109.95"},
	}
	for _, tc := range tests {
		if got := billing.ChargeTotal(tc.members); !got.Equal(money(tc.want)) {
			t.Errorf("ChargeTotal(%v) = %s, want %s", tc.members, got, tc.want)
		}
	}
}
