package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// lateRule builds a rule from its two percentages.
func lateRule(fine, interest string) billing.LateRule {
	return billing.LateRule{FinePercent: money(fine), MonthlyInterestPercent: money(interest)}
}

// pay is one payment of a test table.
func pay(on, amount string) billing.PaymentOn {
	return billing.PaymentOn{On: day(on), Amount: money(amount)}
}

// Two mutants of AmountDueOn's code live through every test because no behaviour can tell
// them apart (equivalent mutants, gremlins v0.6.0):
//   - latecharges.go `out.Balance.Sign() < 0` to `<= 0` (the clamp of a balance below zero,
//     unreachable itself): a zero balance is set to zero;
//   - accrue's `days > 0` to `>= 0`: on the day interest was last charged through, zero
//     interest is added and the day charged through stays the same.
func TestAmountDueOn(t *testing.T) {
	t.Parallel()
	full := lateRule("2.00", "1.00")
	type want struct {
		fine, interest, principal, onTime, paid, balance, credit string
		late                                                     bool
		daysLate                                                 int
		settledOn                                                string
	}
	tests := []struct {
		name                     string
		amount, discount, onTime string
		due                      string
		rule                     billing.LateRule
		payments                 []billing.PaymentOn
		on                       string
		want                     want
	}{
		{"on the due date: the on-time discount", "99.90", "0", "5.00", "2026-03-10", full, nil, "2026-03-10",
			want{"0.00", "0.00", "99.90", "5.00", "0.00", "94.90", "0.00", false, 0, ""}},
		{"10 days late: fine 2% once, interest 10/30 of 1%", "100.00", "0", "0", "2026-03-10", full, nil, "2026-03-20",
			want{"2.00", "0.33", "100.00", "0.00", "0.00", "102.33", "0.00", true, 10, ""}},
		{"10 days late, 99.90 less a 10.00 discount: on 89.90", "99.90", "10.00", "5.00", "2026-03-10", full, nil, "2026-03-20",
			want{"1.80", "0.30", "89.90", "0.00", "0.00", "92.00", "0.00", true, 10, ""}},
		{"10 days late, paid in full", "100.00", "0", "0", "2026-03-10", full, []billing.PaymentOn{pay("2026-03-20", "102.33")}, "2026-03-20",
			want{"2.00", "0.33", "0.00", "0.00", "102.33", "0.00", "0.00", true, 10, "2026-03-20"}},
		{"the defaults: no fine, 1% a month", "99.90", "0", "0", "2026-03-10", billing.DefaultLateRule(), nil, "2026-03-20",
			want{"0.00", "0.33", "99.90", "0.00", "0.00", "100.23", "0.00", true, 10, ""}},
		{"across a month end: 31 Jan and 1–9 Feb are 10 days", "150.00", "0", "0", "2026-01-30", full, nil, "2026-02-09",
			want{"3.00", "0.50", "150.00", "0.00", "0.00", "153.50", "0.00", true, 10, ""}},
		{"across February: 28 Feb and 1–9 Mar are 10 days, 1/30 each", "150.00", "0", "0", "2026-02-27", full, nil, "2026-03-09",
			want{"3.00", "0.50", "150.00", "0.00", "0.00", "153.50", "0.00", true, 10, ""}},
		{"due on a Saturday (shift none), paid Monday: nothing extra, on-time discount kept", "100.00", "0", "5.00", "2026-03-14", full,
			[]billing.PaymentOn{pay("2026-03-16", "95.00")}, "2026-03-16",
			want{"0.00", "0.00", "0.00", "5.00", "95.00", "0.00", "0.00", false, 0, "2026-03-16"}},
		{"due on a Saturday, asked on Monday", "100.00", "0", "5.00", "2026-03-14", full, nil, "2026-03-16",
			want{"0.00", "0.00", "100.00", "5.00", "0.00", "95.00", "0.00", false, 0, ""}},
		{"due on a Saturday, paid Tuesday: 3 days from the due date", "100.00", "0", "5.00", "2026-03-14", full, nil, "2026-03-17",
			want{"2.00", "0.10", "100.00", "0.00", "0.00", "102.10", "0.00", true, 3, ""}},
		{"due on Tiradentes (Tuesday 21 Apr), paid Wednesday: nothing extra", "100.00", "0", "0", "2026-04-21", full, nil, "2026-04-22",
			want{"0.00", "0.00", "100.00", "0.00", "0.00", "100.00", "0.00", false, 0, ""}},
		{"due on Tiradentes, paid Thursday: 2 days", "100.00", "0", "0", "2026-04-21", full, nil, "2026-04-23",
			want{"2.00", "0.07", "100.00", "0.00", "0.00", "102.07", "0.00", true, 2, ""}},
		{"due Saturday before Carnival: grace through Ash Wednesday", "100.00", "0", "0", "2026-02-14", full, nil, "2026-02-18",
			want{"0.00", "0.00", "100.00", "0.00", "0.00", "100.00", "0.00", false, 0, ""}},
		{"due Saturday before Carnival, asked Thursday: 5 days", "100.00", "0", "0", "2026-02-14", full, nil, "2026-02-19",
			want{"2.00", "0.17", "100.00", "0.00", "0.00", "102.17", "0.00", true, 5, ""}},
		{"partial payment 10 days late: fine, interest, then principal", "200.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-20", "50.00")}, "2026-03-20",
			want{"4.00", "0.67", "154.67", "0.00", "50.00", "154.67", "0.00", true, 10, ""}},
		{"20 days after the partial payment: interest on 154.67 only", "200.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-20", "50.00")}, "2026-04-09",
			want{"4.00", "1.70", "154.67", "0.00", "50.00", "155.70", "0.00", true, 30, ""}},
		{"the rest paid: settled", "200.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-04-09", "155.70"), pay("2026-03-20", "50.00")}, "2026-04-30",
			want{"4.00", "1.70", "0.00", "0.00", "205.70", "0.00", "0.00", true, 30, "2026-04-09"}},
		{"a payment after the date asked is not counted", "200.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-20", "50.00"), pay("2026-04-09", "155.70")}, "2026-03-25",
			want{"4.00", "0.93", "154.67", "0.00", "50.00", "154.93", "0.00", true, 15, ""}},
		{"a payment below the fine: the rest of the fine stays owed, without interest", "100.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-20", "1.00")}, "2026-03-30",
			want{"2.00", "0.66", "100.00", "0.00", "1.00", "101.66", "0.00", true, 20, ""}},
		{"part paid on time, then late: fine and interest on the rest, on-time discount lost", "100.00", "0", "5.00", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-05", "30.00")}, "2026-03-20",
			want{"1.40", "0.23", "70.00", "0.00", "30.00", "71.63", "0.00", true, 10, ""}},
		{"part paid on time, asked on the due date", "100.00", "0", "5.00", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-05", "30.00")}, "2026-03-10",
			want{"0.00", "0.00", "70.00", "5.00", "30.00", "65.00", "0.00", false, 0, ""}},
		{"paid on time in two parts: settled, no charges later", "100.00", "0", "5.00", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-05", "30.00"), pay("2026-03-10", "65.00")}, "2026-05-10",
			want{"0.00", "0.00", "0.00", "5.00", "95.00", "0.00", "0.00", false, 0, "2026-03-10"}},
		{"overpaid late: the excess is credit", "100.00", "0", "0", "2026-03-10", full,
			[]billing.PaymentOn{pay("2026-03-20", "110.00")}, "2026-03-20",
			want{"2.00", "0.33", "0.00", "0.00", "110.00", "0.00", "7.67", true, 10, "2026-03-20"}},
		{"half a cent of interest rounds up: 15.00 one day", "15.00", "0", "0", "2026-03-10", lateRule("0", "1.00"), nil, "2026-03-11",
			want{"0.00", "0.01", "15.00", "0.00", "0.00", "15.01", "0.00", true, 1, ""}},
		{"under half a cent rounds down: 14.99 one day", "14.99", "0", "0", "2026-03-10", lateRule("0", "1.00"), nil, "2026-03-11",
			want{"0.00", "0.00", "14.99", "0.00", "0.00", "14.99", "0.00", true, 1, ""}},
		{"half a cent of fine rounds up: 2% of 0.25", "0.25", "0", "0", "2026-03-10", lateRule("2.00", "0"), nil, "2026-03-11",
			want{"0.01", "0.00", "0.25", "0.00", "0.00", "0.26", "0.00", true, 1, ""}},
		{"a year late: 365/30 of 1% on 1000.00", "1000.00", "0", "0", "2026-03-10", full, nil, "2027-03-10",
			want{"20.00", "121.67", "1000.00", "0.00", "0.00", "1141.67", "0.00", true, 365, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := billing.Receivable{Amount: money(tt.amount), Discount: money(tt.discount), OnTimeDiscount: money(tt.onTime), EffectiveDue: day(tt.due)}
			got, err := billing.AmountDueOn(r, tt.rule, nationalCalendar, tt.payments, day(tt.on))
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			for _, c := range []struct {
				part      string
				got, want string
			}{
				{"fine", billing.FormatMoney(got.Fine), w.fine},
				{"interest", billing.FormatMoney(got.Interest), w.interest},
				{"principal", billing.FormatMoney(got.Principal), w.principal},
				{"on-time discount", billing.FormatMoney(got.OnTimeDiscount), w.onTime},
				{"paid", billing.FormatMoney(got.Paid), w.paid},
				{"balance", billing.FormatMoney(got.Balance), w.balance},
				{"credit", billing.FormatMoney(got.Credit), w.credit},
				{"settled on", fmtDates(got.SettledOn)[0], map[string]string{"": "-"}[w.settledOn] + w.settledOn},
			} {
				if c.got != c.want {
					t.Errorf("%s %s, want %s", c.part, c.got, c.want)
				}
			}
			if got.Late != w.late || got.DaysLate != w.daysLate {
				t.Errorf("late %v for %d days, want %v for %d", got.Late, got.DaysLate, w.late, w.daysLate)
			}
			checkImputations(t, got)
		})
	}
}

// checkImputations checks that every payment counted is applied whole: fine, interest,
// principal and credit add up to it, and to what was paid.
func checkImputations(t *testing.T, got billing.AmountDue) {
	t.Helper()
	total := decimal.Zero
	for _, imp := range got.Imputations {
		parts := imp.Fine.Add(imp.Interest).Add(imp.Principal).Add(imp.Credit)
		if !parts.Equal(imp.Amount) {
			t.Errorf("payment of %s on %s imputed %s", imp.Amount, fmtDates(imp.On)[0], parts)
		}
		for _, p := range []decimal.Decimal{imp.Fine, imp.Interest, imp.Principal, imp.Credit} {
			if p.Sign() < 0 {
				t.Errorf("payment on %s: a negative part %s", fmtDates(imp.On)[0], p)
			}
		}
		total = total.Add(imp.Amount)
	}
	if !total.Equal(got.Paid) {
		t.Errorf("imputations add up to %s, paid %s", total, got.Paid)
	}
}

func TestAmountDueImputesInterestFirst(t *testing.T) {
	t.Parallel()
	r := billing.Receivable{Amount: money("200.00"), Discount: money("0"), OnTimeDiscount: money("0"), EffectiveDue: day("2026-03-10")}
	got, err := billing.AmountDueOn(r, lateRule("2.00", "1.00"), nationalCalendar,
		[]billing.PaymentOn{pay("2026-03-20", "50.00"), pay("2026-04-09", "155.70")}, day("2026-04-09"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][4]string{{"4.00", "0.67", "45.33", "0.00"}, {"0.00", "1.03", "154.67", "0.00"}}
	if len(got.Imputations) != len(want) {
		t.Fatalf("%d imputations, want %d", len(got.Imputations), len(want))
	}
	for i, imp := range got.Imputations {
		g := [4]string{billing.FormatMoney(imp.Fine), billing.FormatMoney(imp.Interest), billing.FormatMoney(imp.Principal), billing.FormatMoney(imp.Credit)}
		if g != want[i] {
			t.Errorf("payment %d imputed fine, interest, principal, credit %v, want %v", i+1, g, want[i])
		}
	}
}

func TestAmountDueRefusesBadInput(t *testing.T) {
	t.Parallel()
	ok := billing.Receivable{Amount: money("100.00"), Discount: money("0"), OnTimeDiscount: money("0"), EffectiveDue: day("2026-03-10")}
	tests := []struct {
		name     string
		change   func(*billing.Receivable, *billing.LateRule, *[]billing.PaymentOn)
		field    string
		mentions string
	}{
		{"fine above 2%", func(_ *billing.Receivable, l *billing.LateRule, _ *[]billing.PaymentOn) {
			l.FinePercent = money("2.01")
		}, "late_fine_percent", "art. 52"},
		{"negative fine", func(_ *billing.Receivable, l *billing.LateRule, _ *[]billing.PaymentOn) {
			l.FinePercent = money("-0.01")
		}, "late_fine_percent", "0.00 to 2.00"},
		{"fine with three decimals", func(_ *billing.Receivable, l *billing.LateRule, _ *[]billing.PaymentOn) {
			l.FinePercent = money("1.005")
		}, "late_fine_percent", "two decimal"},
		{"a yearly rate as a monthly one", func(_ *billing.Receivable, l *billing.LateRule, _ *[]billing.PaymentOn) {
			l.MonthlyInterestPercent = money("12")
		}, "monthly_interest_percent", "0.00 to 10.00"},
		{"negative interest", func(_ *billing.Receivable, l *billing.LateRule, _ *[]billing.PaymentOn) {
			l.MonthlyInterestPercent = money("-1")
		}, "monthly_interest_percent", "0.00 to 10.00"},
		{"negative amount", func(r *billing.Receivable, _ *billing.LateRule, _ *[]billing.PaymentOn) { r.Amount = money("-1") }, "amount", "negative"},
		{"discounts above the amount", func(r *billing.Receivable, _ *billing.LateRule, _ *[]billing.PaymentOn) {
			r.Discount, r.OnTimeDiscount = money("60"), money("50")
		}, "discount", "exceed"},
		{"no due date", func(r *billing.Receivable, _ *billing.LateRule, _ *[]billing.PaymentOn) { r.EffectiveDue = time.Time{} }, "due_date", "required"},
		{"a zero payment", func(_ *billing.Receivable, _ *billing.LateRule, p *[]billing.PaymentOn) {
			*p = []billing.PaymentOn{pay("2026-03-01", "10"), pay("2026-03-02", "0")}
		}, "payments[1].amount", "more than zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, l, ps := ok, lateRule("2.00", "1.00"), []billing.PaymentOn(nil)
			tt.change(&r, &l, &ps)
			_, err := billing.AmountDueOn(r, l, nationalCalendar, ps, day("2026-03-20"))
			var fe *billing.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Reason, tt.mentions) {
				t.Fatalf("error %v, want a field error on %s mentioning %q", err, tt.field, tt.mentions)
			}
		})
	}
	if _, err := billing.AmountDueOn(ok, billing.DefaultLateRule(), nil, nil, day("2026-03-20")); err == nil {
		t.Error("a nil calendar was accepted")
	}
}

func TestLateRuleBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fine, interest string
		ok             bool
	}{
		{"0", "0", true}, {"2.00", "10.00", true}, {"2", "1", true}, {"0.50", "0.99", true},
		{"2.001", "1", false}, {"2.01", "1", false}, {"1", "10.01", false}, {"1", "0.333", false},
	} {
		err := lateRule(tt.fine, tt.interest).Validate()
		if (err == nil) != tt.ok {
			t.Errorf("fine %s interest %s: %v, want ok %v", tt.fine, tt.interest, err, tt.ok)
		}
	}
}

func TestResolveLateRule(t *testing.T) {
	t.Parallel()
	p := func(s string) *decimal.Decimal { d := money(s); return &d }
	tests := []struct {
		name           string
		contract, plan billing.LateSettings
		fine, interest string
	}{
		{"defaults", billing.LateSettings{}, billing.LateSettings{}, "0.00", "1.00"},
		{"the plan's", billing.LateSettings{}, billing.LateSettings{FinePercent: p("2.00"), MonthlyInterestPercent: p("0.50")}, "2.00", "0.50"},
		{"the contract's over the plan's", billing.LateSettings{FinePercent: p("1.00")}, billing.LateSettings{FinePercent: p("2.00"), MonthlyInterestPercent: p("0.50")}, "1.00", "0.50"},
		{"the contract's over the default", billing.LateSettings{MonthlyInterestPercent: p("0")}, billing.LateSettings{}, "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.ResolveLateRule(tt.contract, tt.plan)
			if billing.FormatMoney(got.FinePercent) != tt.fine || billing.FormatMoney(got.MonthlyInterestPercent) != tt.interest {
				t.Errorf("fine %s interest %s, want %s %s", got.FinePercent, got.MonthlyInterestPercent, tt.fine, tt.interest)
			}
		})
	}
}

func TestGraceDay(t *testing.T) {
	t.Parallel()
	for due, want := range map[string]string{
		"2026-03-10": "2026-03-10", // a Tuesday
		"2026-03-14": "2026-03-16", // Saturday → Monday
		"2026-04-21": "2026-04-22", // Tiradentes → Wednesday
		"2026-02-14": "2026-02-18", // Saturday before Carnival → Ash Wednesday
		"2026-11-20": "2026-11-23", // Consciência Negra, a Friday → Monday
	} {
		if got := billing.FormatDate(billing.GraceDay(nationalCalendar, day(due))); got != want {
			t.Errorf("grace day of %s: %s, want %s", due, got, want)
		}
	}
}

// FuzzAmountDue checks, for any installment, rule and up to two payments, that the rule
// never panics, never asks a negative amount, imputes every payment whole and, while no
// payment is made after a date, never asks less on a later date.
func FuzzAmountDue(f *testing.F) {
	f.Add(uint32(10000), uint32(0), uint32(0), uint16(0), uint8(200), uint16(100), int16(10), uint32(5000), int16(30), uint32(20000), uint16(40))
	f.Add(uint32(9990), uint32(1000), uint32(500), uint16(4), uint8(0), uint16(1000), int16(-5), uint32(100), int16(2), uint32(1), uint16(2))
	f.Add(uint32(25), uint32(0), uint32(0), uint16(34), uint8(200), uint16(0), int16(0), uint32(0), int16(0), uint32(0), uint16(1))
	f.Fuzz(func(t *testing.T, amount, discount, onTime uint32, dueOff uint16, fineBP uint8, interestBP uint16, p1Off int16, p1 uint32, p2Off int16, p2 uint32, span uint16) {
		cents := func(c uint32) decimal.Decimal { return decimal.New(int64(c), -2) }
		due := day("2026-01-01").AddDate(0, 0, int(dueOff%1500))
		r := billing.Receivable{Amount: cents(amount), Discount: cents(discount), OnTimeDiscount: cents(onTime), EffectiveDue: due}
		rule := billing.LateRule{FinePercent: decimal.New(int64(fineBP%201), -2), MonthlyInterestPercent: decimal.New(int64(interestBP%1001), -2)}
		var ps []billing.PaymentOn
		last := due.AddDate(0, 0, -10)
		for _, p := range []struct {
			off int16
			c   uint32
		}{{p1Off, p1}, {p2Off, p2}} {
			if p.c == 0 {
				continue
			}
			on := due.AddDate(0, 0, int(p.off%400))
			ps = append(ps, billing.PaymentOn{On: on, Amount: cents(p.c)})
			if on.After(last) {
				last = on
			}
		}
		prev := decimal.Zero
		for i := 0; i <= int(span%120); i++ {
			on := last.AddDate(0, 0, i)
			got, err := billing.AmountDueOn(r, rule, nationalCalendar, ps, on)
			if err != nil {
				if uint64(discount)+uint64(onTime) <= uint64(amount) {
					t.Fatalf("valid input refused: %v", err)
				}
				return
			}
			for _, p := range []decimal.Decimal{got.Balance, got.Fine, got.Interest, got.Principal, got.Credit} {
				if p.Sign() < 0 {
					t.Fatalf("on %s a negative part: %+v", fmtDates(on)[0], got)
				}
			}
			if maxFine := got.Amount.Sub(got.Discount).Mul(decimal.RequireFromString("0.02")).Round(2); got.Fine.GreaterThan(maxFine) {
				t.Fatalf("fine %s above 2%% of the principal (%s)", got.Fine, maxFine)
			}
			if got.Balance.LessThan(prev) {
				t.Fatalf("on %s the balance fell to %s from %s the day before with no payment", fmtDates(on)[0], got.Balance, prev)
			}
			prev = got.Balance
			checkImputations(t, got)
		}
	})
}
