package billing_test

import (
	"testing"

	"github.com/billingd/billingd/billing"
)

// TestPaymentRules pays an installment of 99.90 with a 10.00 discount and a 5.00 on-time
// discount, due on 2026-07-10: 84.90 is due through the due date, 89.90 from the day after.
func TestPaymentRules(t *testing.T) {
	t.Parallel()
	open := billing.Payable{ID: 7, ContractID: 3, State: billing.InstallmentOpen, Charge: billing.Charge{
		Amount: money("99.90"), Discount: money("10.00"), OnTimeDiscount: money("5.00"), DueDate: day("2026-07-10")}}
	tests := []struct {
		name        string
		amount      string
		paidAt      string
		allowCredit bool
		due         string
		err         string // the FieldError on amount, "" when accepted
		credit      string
	}{
		{"early, on-time discount", "84.90", "2026-07-01", false, "84.90", "", "0.00"},
		{"on the due date, on-time discount", "84.90", "2026-07-10", false, "84.90", "", "0.00"},
		{"the day after, no on-time discount", "89.90", "2026-07-11", false, "89.90", "", "0.00"},
		{"one cent short", "84.89", "2026-07-10", false, "84.90", "amount: 84.89 does not cover the 84.90 due on 2026-07-10", ""},
		{"one cent short even with credit", "89.89", "2026-07-13", true, "89.90", "amount: 89.89 does not cover the 89.90 due on 2026-07-13", ""},
		{"one cent above without credit", "84.91", "2026-07-10", false, "84.90",
			"amount: 84.91 is above the 84.90 due on 2026-07-10: contract 3 does not allow credit (allow_credit)", ""},
		{"the late amount on time without credit", "89.90", "2026-07-10", false, "84.90",
			"amount: 89.90 is above the 84.90 due on 2026-07-10: contract 3 does not allow credit (allow_credit)", ""},
		{"above with credit", "100.00", "2026-07-10", true, "84.90", "", "15.10"},
		{"issue 13's payment with credit", "999999999999.99", "2026-07-10", true, "84.90", "", "999999999915.09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := open.DueOn(day(tt.paidAt)); got.String() != money(tt.due).String() {
				t.Errorf("due on %s: %s, want %s", tt.paidAt, got, tt.due)
			}
			err := open.CheckAmount(money(tt.amount), day(tt.paidAt), tt.allowCredit)
			if got := errText(err); got != tt.err {
				t.Fatalf("CheckAmount: %q, want %q", got, tt.err)
			}
			if err == nil && billing.FormatMoney(open.Credit(money(tt.amount), day(tt.paidAt))) != tt.credit {
				t.Errorf("credit %s, want %s", open.Credit(money(tt.amount), day(tt.paidAt)), tt.credit)
			}
		})
	}
}

// TestPaymentRefusalAndArrival checks what no amount makes payable and what a payment must be
// as it arrives.
func TestPaymentRefusalAndArrival(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    billing.Payable
		want string
	}{
		{billing.Payable{ID: 7, State: billing.InstallmentOpen}, ""},
		{billing.Payable{ID: 7, State: billing.InstallmentPaid, PaidAt: day("2026-07-09")}, "installment 7 was already paid on 2026-07-09"},
		{billing.Payable{ID: 7, State: billing.InstallmentCancelled}, "installment 7 is cancelled and cannot be paid"},
	} {
		if got := tt.p.PaymentRefusal(); got != tt.want {
			t.Errorf("%s: refusal %q, want %q", tt.p.State, got, tt.want)
		}
	}
	for _, tt := range []struct{ amount, want string }{
		{"0.01", ""}, {"0", "amount: must be more than zero"}, {"-1.00", "amount: must be more than zero"},
	} {
		if got := errText(billing.CheckPaymentAmount(money(tt.amount))); got != tt.want {
			t.Errorf("amount %s: %q, want %q", tt.amount, got, tt.want)
		}
	}
	today := day("2026-07-20")
	for _, tt := range []struct{ paidAt, want string }{
		{"2026-07-20", ""}, {"2026-01-01", ""},
		{"2026-07-21", "paid_at: 2026-07-21 is in the future (today is 2026-07-20 in America/Sao_Paulo)"},
	} {
		if got := errText(billing.CheckPaymentDate(day(tt.paidAt), today, "America/Sao_Paulo")); got != tt.want {
			t.Errorf("paid_at %s: %q, want %q", tt.paidAt, got, tt.want)
		}
	}
	for _, tt := range []struct{ amount, discount, onTime, want string }{
		{"99.90", "10.00", "5.00", "84.90"}, {"10.00", "6.00", "5.00", "0.00"}, {"10.00", "0.00", "0.00", "10.00"},
	} {
		c := billing.Charge{Amount: money(tt.amount), Discount: money(tt.discount), OnTimeDiscount: money(tt.onTime)}
		if got := billing.FormatMoney(c.DiscountRoom()); got != tt.want {
			t.Errorf("room of %+v: %s, want %s", tt, got, tt.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
