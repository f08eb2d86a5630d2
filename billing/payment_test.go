package billing_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// ledger is installment 7 of contract 3: 99.90 with a 10.00 discount and a 5.00 on-time
// discount, due on Friday 2026-07-10 (a business day: its own grace day), open, under rule.
func ledger(rule billing.LateRule, payments ...billing.PaymentOn) billing.Ledger {
	return billing.Ledger{InstallmentID: 7, ContractID: 3, State: billing.InstallmentOpen, Rule: rule, Payments: payments,
		Receivable: billing.Receivable{Amount: money("99.90"), Discount: money("10.00"), OnTimeDiscount: money("5.00"),
			EffectiveDue: day("2026-07-10")}}
}

// policy is today 2026-07-31 in São Paulo, partial payments recorded, credit as given.
func policy(allowCredit bool) billing.PaymentPolicy {
	return billing.PaymentPolicy{Today: day("2026-07-31"), Zone: "America/Sao_Paulo", AllowCredit: allowCredit}
}

// TestLedgerApply: what a payment pays, to the cent, on its date: 84.90 through the due
// date (the on-time discount), 89.90 plus 1/30 of 1% a day of interest after it (and a 2%
// fine when the contract sets one), fine and interest first; below that a partial payment,
// above it credit only when the contract allows it.
func TestLedgerApply(t *testing.T) {
	t.Parallel()
	defaults, fine2 := billing.DefaultLateRule(), lateRule("2.00", "1.00")
	type want struct {
		before, principal, fine, interest, credit, balance string
		settled                                            bool
	}
	tests := []struct {
		name        string
		ledger      billing.Ledger
		pay         billing.PaymentOn
		allowCredit bool
		want        want
	}{
		{"early, with the on-time discount", ledger(defaults), pay("2026-07-01", "84.90"), false,
			want{"84.90", "84.90", "0.00", "0.00", "0.00", "0.00", true}},
		{"on the due date, with the on-time discount", ledger(defaults), pay("2026-07-10", "84.90"), false,
			want{"84.90", "84.90", "0.00", "0.00", "0.00", "0.00", true}},
		{"1 day late: 89.90 × 1% ÷ 30 = 0.03 of interest", ledger(defaults), pay("2026-07-11", "89.93"), false,
			want{"89.93", "89.90", "0.00", "0.03", "0.00", "0.00", true}},
		{"3 days late: 0.09 of interest", ledger(defaults), pay("2026-07-13", "89.99"), false,
			want{"89.99", "89.90", "0.00", "0.09", "0.00", "0.00", true}},
		{"10 days late with a 2% fine: 1.80 and 0.30", ledger(fine2), pay("2026-07-20", "92.00"), false,
			want{"92.00", "89.90", "1.80", "0.30", "0.00", "0.00", true}},
		{"partial, late: fine and interest first", ledger(fine2), pay("2026-07-20", "50.00"), false,
			want{"92.00", "47.90", "1.80", "0.30", "0.00", "42.00", false}},
		{"the rest 10 days later: 0.14 of interest on the 42.00 left", ledger(fine2, pay("2026-07-20", "50.00")),
			pay("2026-07-30", "42.14"), false, want{"42.14", "42.00", "0.00", "0.14", "0.00", "0.00", true}},
		{"partial on time keeps the on-time discount", ledger(fine2), pay("2026-07-05", "40.00"), false,
			want{"84.90", "40.00", "0.00", "0.00", "0.00", "44.90", false}},
		{"the rest on time", ledger(fine2, pay("2026-07-05", "40.00")), pay("2026-07-10", "44.90"), false,
			want{"44.90", "44.90", "0.00", "0.00", "0.00", "0.00", true}},
		{"the rest late: 2% of the 49.90 left and 10 days of interest on it", ledger(fine2, pay("2026-07-05", "40.00")),
			pay("2026-07-20", "51.07"), false, want{"51.07", "49.90", "1.00", "0.17", "0.00", "0.00", true}},
		{"above what is due, with credit", ledger(defaults), pay("2026-07-10", "100.00"), true,
			want{"84.90", "84.90", "0.00", "0.00", "15.10", "0.00", true}},
		{"issue 13's payment with credit", ledger(defaults), pay("2026-07-10", "999999999999.99"), true,
			want{"84.90", "84.90", "0.00", "0.00", "999999999915.09", "0.00", true}},
		{"late, above with credit", ledger(defaults), pay("2026-07-13", "99.90"), true,
			want{"89.99", "89.90", "0.00", "0.09", "9.91", "0.00", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := tt.ledger.Apply(tt.pay, policy(tt.allowCredit), nationalCalendar)
			if err != nil {
				t.Fatal(err)
			}
			imp := a.Imputation
			got := want{billing.FormatMoney(a.Before.Balance), billing.FormatMoney(imp.Principal), billing.FormatMoney(imp.Fine),
				billing.FormatMoney(imp.Interest), billing.FormatMoney(imp.Credit), billing.FormatMoney(a.After.Balance), a.Settled()}
			if got != tt.want {
				t.Errorf("applied %+v\nwant    %+v", got, tt.want)
			}
			if sum := imp.Principal.Add(imp.Fine).Add(imp.Interest).Add(imp.Credit); !sum.Equal(tt.pay.Amount) {
				t.Errorf("the parts add up to %s, not the payment's %s", sum, tt.pay.Amount)
			}
			if a.Settled() && !a.After.SettledOn.Equal(tt.pay.On) {
				t.Errorf("settled on %s, want %s", a.After.SettledOn, tt.pay.On)
			}
		})
	}
}

// TestLedgerApplyRefuses: each refusal, its code, the field it names and the reason, and
// what it unwraps to (the API's 404, 409 or 422).
func TestLedgerApplyRefuses(t *testing.T) {
	t.Parallel()
	paid := ledger(billing.DefaultLateRule())
	paid.State, paid.PaidAt = billing.InstallmentPaid, day("2026-07-09")
	cancelled := ledger(billing.DefaultLateRule())
	cancelled.State = billing.InstallmentCancelled
	refusePartial := policy(false)
	refusePartial.RefusePartial = true
	tests := []struct {
		name   string
		ledger billing.Ledger
		pay    billing.PaymentOn
		pol    billing.PaymentPolicy
		code   string
		err    string
		is     error
	}{
		{"zero", ledger(billing.DefaultLateRule()), pay("2026-07-10", "0"), policy(false), billing.RefusedAmountNotPositive,
			"amount: must be more than zero, got 0", nil},
		{"in the future", ledger(billing.DefaultLateRule()), pay("2026-08-01", "84.90"), policy(false), billing.RefusedFutureDate,
			"paid_at: 2026-08-01 is in the future (today is 2026-07-31 in America/Sao_Paulo)", nil},
		{"already paid", paid, pay("2026-07-10", "84.90"), policy(false), billing.RefusedInstallmentPaid,
			"conflict: installment 7 was already paid on 2026-07-09", billing.ErrConflict},
		{"cancelled", cancelled, pay("2026-07-10", "84.90"), policy(false), billing.RefusedInstallmentCancelled,
			"conflict: installment 7 is cancelled and cannot be paid", billing.ErrConflict},
		{"before the latest payment", ledger(billing.DefaultLateRule(), pay("2026-07-15", "10.00")), pay("2026-07-12", "50.00"),
			policy(false), billing.RefusedOutOfOrder,
			"paid_at: 2026-07-12 is before 2026-07-15, the date of installment 7's latest payment: an installment's payments are recorded in date order", nil},
		{"one cent short, partial refused", ledger(billing.DefaultLateRule()), pay("2026-07-10", "84.89"), refusePartial, billing.RefusedPartial,
			"amount: 84.89 does not cover the 84.90 due on 2026-07-10 (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)", nil},
		{"late, partial refused", ledger(billing.DefaultLateRule()), pay("2026-07-11", "89.90"), refusePartial, billing.RefusedPartial,
			"amount: 89.90 does not cover the 89.93 due on 2026-07-11 (partial payments are refused: BILLINGD_PARTIAL_PAYMENTS is false)", nil},
		{"one cent above without credit", ledger(billing.DefaultLateRule()), pay("2026-07-10", "84.91"), policy(false), billing.RefusedAboveDue,
			"amount: 84.91 is above the 84.90 due on 2026-07-10: contract 3 does not allow credit (allow_credit)", nil},
		{"the late amount on time without credit", ledger(billing.DefaultLateRule()), pay("2026-07-10", "89.90"), policy(false), billing.RefusedAboveDue,
			"amount: 89.90 is above the 84.90 due on 2026-07-10: contract 3 does not allow credit (allow_credit)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.ledger.Apply(tt.pay, tt.pol, nationalCalendar)
			var r *billing.PaymentRefusal
			if !errors.As(err, &r) {
				t.Fatalf("error %v, want a refusal", err)
			}
			if r.Code != tt.code || err.Error() != tt.err {
				t.Errorf("refusal %s %q\nwant     %s %q", r.Code, err.Error(), tt.code, tt.err)
			}
			var fe *billing.FieldError
			switch {
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("%v is not %v", err, tt.is)
			case tt.is == nil && (!errors.As(err, &fe) || fe.Field != r.Field || fe.Error() != tt.err):
				t.Errorf("%v does not unwrap to a field error on %s", err, r.Field)
			}
		})
	}
	if err := billing.UnknownInstallment(9); !errors.Is(err, billing.ErrNotFound) || err.Error() != "not found: installment 9" {
		t.Errorf("unknown installment: %v", err)
	}
}

// TestLedgerRestate: after a reversal the installment is what its remaining payments make
// it, as of today: the first of two late payments reversed leaves the second imputed to the
// fine and interest accrued on its own date first.
func TestLedgerRestate(t *testing.T) {
	t.Parallel()
	fine2 := lateRule("2.00", "1.00")
	tests := []struct {
		name      string
		ledger    billing.Ledger
		today     string
		state     string
		balance   string
		fine, int string
		settledOn string
	}{
		{"both payments stand", ledger(fine2, pay("2026-07-20", "50.00"), pay("2026-07-30", "42.14")), "2026-08-05",
			billing.InstallmentPaid, "0.00", "1.80", "0.44", "2026-07-30"},
		{"the first reversed: 42.14 on 07-30 pays 1.80 + 0.60 first, 50.16 left, 0.10 more by 08-05",
			ledger(fine2, pay("2026-07-30", "42.14")), "2026-08-05", billing.InstallmentOpen, "50.26", "1.80", "0.70", ""},
		{"the second reversed: 42.00 left on 07-20, 16 days of interest by 08-05",
			ledger(fine2, pay("2026-07-20", "50.00")), "2026-08-05", billing.InstallmentOpen, "42.22", "1.80", "0.52", ""},
		{"nothing left: 92.00 on 07-20 grows to 92.48 by 08-05 (26 days of interest)", ledger(fine2), "2026-08-05", billing.InstallmentOpen,
			"92.48", "1.80", "0.78", ""},
		{"a payment with credit still covers it", ledger(billing.DefaultLateRule(), pay("2026-07-10", "100.00")), "2026-08-05",
			billing.InstallmentPaid, "0.00", "0.00", "0.00", "2026-07-10"},
		{"restated before its latest payment's date: as of that date, 07-30, both stand", ledger(fine2, pay("2026-07-20", "50.00"),
			pay("2026-07-30", "42.14")), "2026-07-25", billing.InstallmentPaid, "0.00", "1.80", "0.44", "2026-07-30"},
		{"restated before its one payment's date: as of 07-30, 50.16 left after 1.80 + 0.60 and 39.74 of principal",
			ledger(fine2, pay("2026-07-30", "42.14")), "2026-07-21", billing.InstallmentOpen, "50.16", "1.80", "0.60", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			state, due, err := tt.ledger.Restate(day(tt.today), nationalCalendar)
			if err != nil {
				t.Fatal(err)
			}
			settled := ""
			if !due.SettledOn.IsZero() {
				settled = billing.FormatDate(due.SettledOn)
			}
			got := []string{state, billing.FormatMoney(due.Balance), billing.FormatMoney(due.Fine), billing.FormatMoney(due.Interest), settled}
			if want := []string{tt.state, tt.balance, tt.fine, tt.int, tt.settledOn}; !reflect.DeepEqual(got, want) {
				t.Errorf("restated %q, want %q", got, want)
			}
		})
	}
	cancelled := ledger(fine2)
	cancelled.State = billing.InstallmentCancelled
	if state, _, err := cancelled.Restate(day("2026-08-05"), nationalCalendar); err != nil || state != billing.InstallmentCancelled {
		t.Errorf("a cancelled installment restated %q, %v", state, err)
	}
}

// TestLateLines: a settlement after the grace day carries a late_fine and a late_interest
// line of what was charged, keyed by the settling payment; on time, or still open, none.
func TestLateLines(t *testing.T) {
	t.Parallel()
	fine2 := lateRule("2.00", "1.00")
	due := func(l billing.Ledger, on string) billing.AmountDue {
		d, err := billing.AmountDueOn(l.Receivable, l.Rule, nationalCalendar, l.Payments, day(on))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	two := ledger(fine2, pay("2026-07-20", "50.00"), pay("2026-07-30", "42.14"))
	got := billing.LateLines(due(two, "2026-08-05"), fine2, 12)
	want := []billing.Line{
		{Kind: "late_fine", Description: "late fine of 2.00% (settled 2026-07-30, late after 2026-07-10)", Quantity: money("1"),
			Amount: money("1.80"), SourceKey: "late_fine:12"},
		{Kind: "late_interest", Quantity: money("20"), Amount: money("0.44"), SourceKey: "late_interest:12",
			Description: "interest of 1.00% a month pro rata die for 20 days on the principal outstanding (settled 2026-07-30)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("late lines\n%+v\nwant\n%+v", got, want)
	}
	for _, l := range got {
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", l.Kind, err)
		}
	}
	onTime := ledger(fine2, pay("2026-07-10", "84.90"))
	open := ledger(fine2, pay("2026-07-20", "50.00"))
	noFine := ledger(billing.DefaultLateRule(), pay("2026-07-13", "89.99"))
	for name, lines := range map[string][]billing.Line{
		"on time": billing.LateLines(due(onTime, "2026-08-05"), fine2, 1),
		"open":    billing.LateLines(due(open, "2026-08-05"), fine2, 1),
	} {
		if lines != nil {
			t.Errorf("%s: late lines %+v, want none", name, lines)
		}
	}
	if lines := billing.LateLines(due(noFine, "2026-08-05"), billing.DefaultLateRule(), 5); len(lines) != 1 || lines[0].Kind != "late_interest" ||
		!lines[0].Amount.Equal(money("0.09")) {
		t.Errorf("no fine, 3 days late: %+v, want one late_interest line of 0.09", lines)
	}
}

// TestPaymentArrival checks what a payment must be as it arrives, and the discount room.
func TestPaymentArrival(t *testing.T) {
	t.Parallel()
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
	// Equivalent mutant (gremlins, payment.go DiscountRoom `room.Sign() < 0` to `<= 0`): a
	// room of exactly zero is then returned as decimal.Zero instead of itself, the same value;
	// the 10.00 - 5.00 - 5.00 case pins that it is 0.00 either way.
	for _, tt := range []struct{ amount, discount, onTime, want string }{
		{"99.90", "10.00", "5.00", "84.90"}, {"10.00", "6.00", "5.00", "0.00"}, {"10.00", "0.00", "0.00", "10.00"},
		{"10.00", "5.00", "5.00", "0.00"},
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

// FuzzLedgerApply applies up to three payments of arbitrary amounts and dates to an
// installment under arbitrary rules and policies, as every payment path does (Apply, then
// Add), and holds the rules to their promises: a payment is refused or imputed in parts
// that add up to it, none negative, credit only when allowed; a partial payment only when
// allowed, leaving a balance; once settled the installment takes no more; the late lines of
// a late settlement add up to its fine and interest; and Restate over the payments finds
// the state the payments left.
func FuzzLedgerApply(f *testing.F) {
	f.Add(uint32(9990), uint32(1000), uint32(500), uint8(200), uint16(100), uint8(0), int16(10), uint32(5000), int16(20), uint32(4214), int16(21), uint32(1))
	f.Add(uint32(9990), uint32(0), uint32(0), uint8(0), uint16(100), uint8(3), int16(0), uint32(9990), int16(1), uint32(1), int16(2), uint32(1))
	f.Add(uint32(1), uint32(0), uint32(1), uint8(200), uint16(1000), uint8(1), int16(-5), uint32(1), int16(400), uint32(99999999), int16(0), uint32(0))
	f.Fuzz(func(t *testing.T, amount, discount, onTime uint32, fineBP uint8, interestBP uint16, flags uint8,
		o1 int16, a1 uint32, o2 int16, a2 uint32, o3 int16, a3 uint32) {
		cents := func(c uint32) decimal.Decimal { return decimal.New(int64(c), -2) }
		if uint64(discount)+uint64(onTime) > uint64(amount) {
			return // AmountDueOn refuses such an installment (FuzzAmountDue)
		}
		due := day("2026-03-10")
		l := billing.Ledger{InstallmentID: 1, ContractID: 1, State: billing.InstallmentOpen,
			Rule:       billing.LateRule{FinePercent: decimal.New(int64(fineBP%201), -2), MonthlyInterestPercent: decimal.New(int64(interestBP%1001), -2)},
			Receivable: billing.Receivable{Amount: cents(amount), Discount: cents(discount), OnTimeDiscount: cents(onTime), EffectiveDue: due}}
		pol := billing.PaymentPolicy{Today: day("2027-06-30"), Zone: "America/Sao_Paulo", AllowCredit: flags&1 != 0, RefusePartial: flags&2 != 0}
		for _, p := range []struct {
			off int16
			c   uint32
		}{{o1, a1}, {o2, a2}, {o3, a3}} {
			pay := billing.PaymentOn{On: due.AddDate(0, 0, int(p.off%500)), Amount: cents(p.c)}
			wasPaid := l.State == billing.InstallmentPaid
			a, err := l.Apply(pay, pol, nationalCalendar)
			var r *billing.PaymentRefusal
			if errors.As(err, &r) {
				if wasPaid && pay.Amount.IsPositive() && !pay.On.After(pol.Today) && r.Code != billing.RefusedInstallmentPaid {
					t.Fatalf("a paid installment refused %s for %s: %v", pay.Amount, r.Code, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%+v: %v", pay, err)
			}
			if wasPaid {
				t.Fatalf("a paid installment took %+v", pay)
			}
			imp := a.Imputation
			for _, part := range []decimal.Decimal{imp.Principal, imp.Fine, imp.Interest, imp.Credit, a.After.Balance} {
				if part.IsNegative() {
					t.Fatalf("a negative part: %+v, balance %s", imp, a.After.Balance)
				}
			}
			if !imp.Principal.Add(imp.Fine).Add(imp.Interest).Add(imp.Credit).Equal(pay.Amount) {
				t.Fatalf("the parts %+v do not add up to %s", imp, pay.Amount)
			}
			switch {
			case imp.Credit.IsPositive() && !pol.AllowCredit:
				t.Fatalf("credit %s without allow_credit", imp.Credit)
			case !a.Settled() && pol.RefusePartial:
				t.Fatalf("a partial payment %s of %s accepted while refused", pay.Amount, a.Before.Balance)
			case a.Settled() != a.After.Balance.IsZero():
				t.Fatalf("settled %v with a balance of %s", a.Settled(), a.After.Balance)
			}
			if a.Settled() {
				lines := billing.LateLines(a.After, l.Rule, 1)
				var sum decimal.Decimal
				for _, line := range lines {
					if err := line.Validate(); err != nil {
						t.Fatalf("late line %+v: %v", line, err)
					}
					sum = sum.Add(line.Amount)
				}
				if a.After.Late && !sum.Equal(a.After.Fine.Add(a.After.Interest)) {
					t.Fatalf("late lines %s, fine and interest %s + %s", sum, a.After.Fine, a.After.Interest)
				}
			}
			l = l.Add(pay, a)
		}
		state, due2, err := l.Restate(pol.Today, nationalCalendar)
		if err != nil {
			t.Fatal(err)
		}
		if state != l.State || (state == billing.InstallmentPaid && !due2.SettledOn.Equal(l.PaidAt)) {
			t.Fatalf("restated %s settled %s, the payments left %s settled %s", state, due2.SettledOn, l.State, l.PaidAt)
		}
	})
}
