package billing_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// TestSplitChargePayment: a grouped charge's payment pays each installment exactly what it
// asks when it is the charge's whole amount; a partial payment, a surplus and a charge with
// nothing open are refused with their code, field and reason.
func TestSplitChargePayment(t *testing.T) {
	t.Parallel()
	two := []billing.ChargeMember{{InstallmentID: 11, Asks: money("99.90")}, {InstallmentID: 12, Asks: money("49.95")}}
	tests := []struct {
		name    string
		paid    string
		members []billing.ChargeMember
		want    []decimal.Decimal
		code    string
		field   string
		reason  string
	}{
		{name: "whole amount split exactly", paid: "149.85", members: two, want: []decimal.Decimal{money("99.90"), money("49.95")}},
		{name: "one member", paid: "0.01", members: []billing.ChargeMember{{InstallmentID: 3, Asks: money("0.01")}},
			want: []decimal.Decimal{money("0.01")}},
		{name: "partial refused", paid: "149.84", members: two, code: billing.RefusedChargeAmount, field: "amount",
			reason: "a grouped charge is paid whole: want 149.85, got 149.84"},
		{name: "surplus refused", paid: "149.86", members: two, code: billing.RefusedChargeAmount, field: "amount",
			reason: "a grouped charge is paid whole: want 149.85, got 149.86"},
		{name: "one member's amount refused", paid: "99.90", members: two, code: billing.RefusedChargeAmount, field: "amount",
			reason: "a grouped charge is paid whole: want 149.85, got 99.90"},
		{name: "nothing open", paid: "10.00", code: billing.RefusedChargeSettled, field: "id",
			reason: "the grouped charge has no open installment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := billing.SplitChargePayment(money(tc.paid), tc.members)
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
