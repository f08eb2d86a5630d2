package forecast

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// basis is an active monthly contract of 12 installments per term activated on 2026-01-10,
// fixed day 10, nothing generated yet.
func basis() Basis {
	return Basis{
		Generation: billing.GenerationState{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment,
			Price: money("100.00"), Discount: money("10.00"), AdhesionDate: day("2026-01-10"), ActivationDate: day("2026-01-10"),
			Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10, Shift: billing.ShiftNone}, Period: billing.Monthly,
			PerTerm: 12, TermNumber: 1},
		OnTimeDiscount: money("5.00"),
		Renewal: renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true,
			TermNumber: 1},
		PriceMode: billing.RenewAtPlanPrice, PlanPrice: money("120.00"),
	}
}

var thresholds = renewal.Thresholds{Queue: 3, Renewal: 2}

func TestCompute(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		change       func(*Basis)
		until        string
		installments int
		renewals     string
		stopped      string
		total        string
	}{
		{"first term, no renewal yet", nil, "2026-09-30", 9, "", "", "810.00"},
		{"renewed on the 10th payment", nil, "2027-03-31", 15, "1:2026-09-10/2026-10-10@120.00", "", "1410.00"},
		{"two renewals", nil, "2028-03-31", 27, "1:2026-09-10/2026-10-10@120.00 2:2027-09-10/2027-10-10@120.00", "", "2730.00"},
		{"plan thresholds", func(b *Basis) { b.PlanThresholds = &renewal.Thresholds{Queue: 1, Renewal: 0} }, "2027-03-31", 15,
			"1:2026-11-10/2026-12-10@120.00", "", "1410.00"},
		{"auto_renew off", func(b *Basis) { b.Renewal.AutoRenew = false }, "2027-03-31", 12, "",
			"auto_renew is off: only an operator renews it", "1080.00"},
		{"renewal price below the discounts", func(b *Basis) { b.PlanPrice = money("12.00") }, "2027-03-31", 12, "",
			"term 1 is not renewed on 2026-10-10: renewal price 12.00 does not cover the discounts 10.00 + 5.00 (the sweep leaves it queued for the operator)", "1080.00"},
		{"pending activation", func(b *Basis) {
			b.Generation.Status, b.Renewal.Status, b.Generation.ActivationDate = billing.StatusPendingActivation,
				billing.StatusPendingActivation, time.Time{}
		}, "2027-03-31", 0, "", "it is pending activation: its first term has not started", "0.00"},
		{"no billing", func(b *Basis) {
			b.Generation.BillingMethod, b.Renewal.BillingMethod = billing.BillNone, billing.BillNone
		},
			"2027-03-31", 0, "", "it has no billing (no_billing)", "0.00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := basis()
			if tt.change != nil {
				tt.change(&b)
			}
			f, err := Compute(b, day("2026-01-10"), day(tt.until), thresholds, billing.NewCalendar())
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Installments) != tt.installments {
				t.Errorf("%d installments, want %d", len(f.Installments), tt.installments)
			}
			var ren []string
			for _, r := range f.Renewals {
				ren = append(ren, strings.Join([]string{string(rune('0' + r.Term)), ":", billing.FormatDate(r.QueuedOn), "/",
					billing.FormatDate(r.RenewedOn), "@", billing.FormatMoney(r.Price)}, ""))
			}
			if got := strings.Join(ren, " "); got != tt.renewals {
				t.Errorf("renewals %q, want %q", got, tt.renewals)
			}
			if f.RenewalStopped != tt.stopped {
				t.Errorf("renewal_stopped %q, want %q", f.RenewalStopped, tt.stopped)
			}
			total := decimal.Zero
			for i, it := range f.Installments {
				total = total.Add(it.Amount).Sub(it.Discount)
				if i > 0 && it.DueDate.Before(f.Installments[i-1].DueDate) {
					t.Errorf("installment %d due %s before the one before it", i, billing.FormatDate(it.DueDate))
				}
			}
			if billing.FormatMoney(total) != tt.total {
				t.Errorf("total %s, want %s", billing.FormatMoney(total), tt.total)
			}
		})
	}
}

// TestComputeExistingOpen: an overdue open installment counts as paid on the forecast's
// first day, and existing installments keep their id and lines.
func TestComputeExistingOpen(t *testing.T) {
	t.Parallel()
	b := basis()
	b.Generation.GeneratedTerm, b.Renewal.GeneratedTerm = 1, 1
	for seq := 10; seq <= 12; seq++ { // nine paid, three open; the 10th overdue on 2026-11-20
		it := billing.RecurringTerm(billing.RecurringSpec{Rule: b.Generation.Rule, Period: billing.Monthly,
			Start: b.Generation.ActivationDate, PerTerm: 12, Price: money("100.00"), Discount: money("10.00")}, 1, nil)[seq-1]
		inst := scheduled(it, "", money("5.00"), 0, nil)
		inst.ID = int64(seq)
		b.Open = append(b.Open, inst)
	}
	f, err := Compute(b, day("2026-11-20"), day("2026-12-31"), thresholds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Renewals) != 1 || f.Renewals[0].QueuedOn != day("2026-11-20") || f.Renewals[0].RenewedOn != day("2026-11-20") {
		t.Errorf("renewals %+v, want term 1 queued and renewed on 2026-11-20 (three open: the overdue one paid today)", f.Renewals)
	}
	if f.Installments[0].ID != 10 || f.Installments[0].Source != SourceExisting || len(f.Installments[0].Lines) != 2 {
		t.Errorf("first installment %+v, want the existing 10th with its two lines", f.Installments[0])
	}
}

func TestCheckUntil(t *testing.T) {
	t.Parallel()
	from := day("2026-07-20")
	for _, tt := range []struct {
		until string
		ok    bool
	}{{"2026-07-20", true}, {"2036-07-20", true}, {"2036-07-21", false}, {"2026-07-19", false}} {
		err := CheckUntil("until", from, day(tt.until))
		if (err == nil) != tt.ok {
			t.Errorf("until %s: %v, want ok %v", tt.until, err, tt.ok)
		}
	}
}

// TestQuotas: a monthly grant of 2 uses anchored at the first settlement, the periods that
// start by until; a package's per-cycle grant is left out.
func TestQuotas(t *testing.T) {
	t.Parallel()
	b := basis()
	b.Settled = day("2026-01-31")
	b.Grants = []Grant{{BenefitID: 1, Name: "Visita", Terms: benefits.Terms{Quantity: 2, Period: billing.Monthly, GraceDays: 30}},
		{BenefitID: 2, Name: "Pacote", Terms: benefits.Terms{Quantity: 5}}}
	f, err := Compute(b, day("2026-02-15"), day("2026-04-30"), thresholds, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range f.Quotas {
		got = append(got, billing.FormatDate(q.PeriodStart)+".."+billing.FormatDate(q.PeriodEnd)+" from "+billing.FormatDate(q.AvailableFrom))
	}
	want := "2026-01-31..2026-02-27 from 2026-03-02 2026-02-28..2026-03-30 from 2026-03-02 2026-03-31..2026-04-29 from 2026-03-02 2026-04-30..2026-05-30 from 2026-03-02"
	if strings.Join(got, " ") != want {
		t.Errorf("quotas %q, want %q", strings.Join(got, " "), want)
	}
}
