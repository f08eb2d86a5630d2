package forecast

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

// petBasis is seed 003's pet package contract (bath ×4 at 35.00, nail trim ×2 at 15.00, ear
// cleaning ×2 at 10.00; 190.00 a cycle, one installment a term, fixed day 10), activated on
// 2026-03-02 with its installment 1 (due 03-10) paid on 2026-03-05, when cycle 1 opened;
// its plan's cycles end after cycle_months 1.
func petBasis() Basis {
	price := func(s string) *decimal.Decimal { d := money(s); return &d }
	return Basis{
		Generation: billing.GenerationState{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment,
			Price: money("190.00"), Discount: money("0.00"), AdhesionDate: day("2026-03-02"), ActivationDate: day("2026-03-02"),
			Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly, PerTerm: 1, TermNumber: 1,
			GeneratedTerm: 1},
		OnTimeDiscount: money("0.00"),
		Renewal: renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, AutoRenew: true,
			TermNumber: 1, GeneratedTerm: 1},
		PriceMode: billing.RenewAtPlanPrice, PlanPrice: money("190.00"), Settled: day("2026-03-05"),
		Package: &Package{CycleMonths: 1, Current: 1, Opened: day("2026-03-05"), PreviousDue: day("2026-03-10"),
			Services: []benefits.PackageService{
				{BenefitID: 1, Name: "Banho", Quantity: 4, UnitPrice: price("35.00"), Active: true},
				{BenefitID: 2, Name: "Corte de Unhas", Quantity: 2, UnitPrice: price("15.00"), Active: true},
				{BenefitID: 3, Name: "Limpeza de Ouvido", Quantity: 2, UnitPrice: price("10.00"), Active: true},
			}},
	}
}

// TestPackageCycles: the forecast of a package contract lists the cycles reset-benefit-quotas
// opens by date by the horizon — the day each opens, its installment's sequence, nominal and
// effective due dates and amount — and those installments among the forecast's; a pause
// moves the cycle it touches; a package ending only by use lists none and says why.
func TestPackageCycles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		change       func(*Basis)
		until        string
		cycles       []string
		installments []string
		note         string
	}{
		// 05-10 is a Sunday: due Monday 05-11.
		{"seed 003, three cycles by date", nil, "2026-06-30",
			[]string{"2 2026-04-05 #2 2026-04-10/2026-04-10 190.00-0.00", "3 2026-05-05 #3 2026-05-10/2026-05-11 190.00-0.00",
				"4 2026-06-05 #4 2026-06-10/2026-06-10 190.00-0.00"},
			[]string{"package_cycle 2 2026-04-10 190.00", "package_cycle 3 2026-05-11 190.00", "package_cycle 4 2026-06-10 190.00"},
			NoteCyclesByDate},
		{"paused a month inside cycle 1", func(b *Basis) {
			b.Package.Pause = benefits.PauseWindow{From: day("2026-03-20"), Until: day("2026-04-19")}
		}, "2026-06-30",
			[]string{"2 2026-05-05 #2 2026-05-10/2026-05-11 190.00-0.00", "3 2026-06-05 #3 2026-06-10/2026-06-10 190.00-0.00"},
			[]string{"package_cycle 2 2026-05-11 190.00", "package_cycle 3 2026-06-10 190.00"}, NoteCyclesByDate},
		{"paused, the day before the new end", func(b *Basis) {
			b.Package.Pause = benefits.PauseWindow{From: day("2026-03-20"), Until: day("2026-04-19")}
		}, "2026-05-04", []string{}, []string{}, NoteCyclesByDate},
		// Due 07-10, after the horizon: the cycle is listed, its installment is not.
		{"an installment due after the horizon", nil, "2026-07-05",
			[]string{"2 2026-04-05 #2 2026-04-10/2026-04-10 190.00-0.00", "3 2026-05-05 #3 2026-05-10/2026-05-11 190.00-0.00",
				"4 2026-06-05 #4 2026-06-10/2026-06-10 190.00-0.00", "5 2026-07-05 #5 2026-07-10/2026-07-10 190.00-0.00"},
			[]string{"package_cycle 2 2026-04-10 190.00", "package_cycle 3 2026-05-11 190.00", "package_cycle 4 2026-06-10 190.00"},
			NoteCyclesByDate},
		{"a fixed discount", func(b *Basis) { b.Generation.Discount = money("10.00") }, "2026-04-30",
			[]string{"2 2026-04-05 #2 2026-04-10/2026-04-10 190.00-10.00"}, []string{"package_cycle 2 2026-04-10 190.00"}, NoteCyclesByDate},
		{"cycles by use only", func(b *Basis) { b.Package.CycleMonths = 0 }, "2026-06-30", []string{}, []string{}, NoteCyclesByUse},
		// Not settled: installment 1, paid on its due date 03-10, opens cycle 1 that day.
		{"cycle 1 not started", func(b *Basis) {
			b.Package.Opened, b.Package.PreviousDue, b.Settled = day("0001-01-01"), day("0001-01-01"), day("0001-01-01")
			b.Open = []Installment{{ID: 9, Kind: billing.Recurring, Term: 1, Sequence: 1, NominalDue: day("2026-03-10"),
				DueDate: day("2026-03-10"), Amount: money("190.00"), Discount: money("0.00")}}
		}, "2026-05-31",
			[]string{"2 2026-04-10 #2 2026-04-10/2026-04-10 190.00-0.00", "3 2026-05-10 #3 2026-05-10/2026-05-11 190.00-0.00"},
			[]string{"existing 1 2026-03-10 190.00", "package_cycle 2 2026-04-10 190.00", "package_cycle 3 2026-05-11 190.00"},
			NoteCyclesByDate},
		// Installment 2 exists (made by generation): the cycle is listed, not charged again.
		{"the cycle's installment exists", func(b *Basis) {
			b.Open = []Installment{{ID: 10, Kind: billing.Recurring, Term: 2, Sequence: 2, NominalDue: day("2026-04-10"),
				DueDate: day("2026-04-10"), Amount: money("190.00"), Discount: money("0.00")}}
		}, "2026-04-30", []string{"2 2026-04-05 #2 2026-04-10/2026-04-10 190.00-0.00 existing"},
			[]string{"existing 2 2026-04-10 190.00"}, NoteCyclesByDate},
		{"no billing", func(b *Basis) { b.Generation.BillingMethod = billing.BillNone }, "2026-04-30",
			[]string{"2 2026-04-05 #2 2026-04-10/2026-04-10 190.00-0.00"}, []string{}, NoteCyclesByDate},
		{"cancelled", func(b *Basis) { b.Generation.Status = billing.StatusCancelled }, "2026-06-30", []string{}, []string{},
			NoteCyclesByDate},
		{"finished", func(b *Basis) { b.Generation.Status = billing.StatusFinished }, "2026-06-30", []string{}, []string{},
			NoteCyclesByDate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := petBasis()
			if tt.change != nil {
				tt.change(&b)
			}
			f, err := Compute(b, day("2026-03-10"), day(tt.until), thresholds, billing.NewCalendar())
			if err != nil {
				t.Fatal(err)
			}
			cycles := []string{}
			for _, c := range f.Cycles {
				s := fmt.Sprintf("%d %s #%d %s/%s %s-%s", c.Cycle, billing.FormatDate(c.OpensOn), c.Sequence,
					billing.FormatDate(c.NominalDue), billing.FormatDate(c.DueDate), c.Amount.StringFixed(2), c.Discount.StringFixed(2))
				if c.Existing {
					s += " existing"
				}
				cycles = append(cycles, s)
			}
			if !reflect.DeepEqual(cycles, tt.cycles) {
				t.Errorf("cycles %q, want %q", cycles, tt.cycles)
			}
			items := []string{}
			for _, it := range f.Installments {
				items = append(items, fmt.Sprintf("%s %d %s %s", it.Source, it.Sequence, billing.FormatDate(it.DueDate), it.Amount.StringFixed(2)))
			}
			if !reflect.DeepEqual(items, tt.installments) {
				t.Errorf("installments %q, want %q", items, tt.installments)
			}
			if f.CyclesNote != tt.note || f.RenewalStopped != NotePackageRenewal || len(f.Renewals) != 0 {
				t.Errorf("note %q, renewal stopped %q, %d renewals; want %q, %q, none", f.CyclesNote, f.RenewalStopped,
					len(f.Renewals), tt.note, NotePackageRenewal)
			}
		})
	}
}

// TestPackageCycleLines: a cycle's installment is itemised like the sweep's, one plan line
// per service (4 × 35.00, 2 × 15.00, 2 × 10.00) described by its cycle and opening day.
func TestPackageCycleLines(t *testing.T) {
	t.Parallel()
	f, err := Compute(petBasis(), day("2026-03-10"), day("2026-04-30"), thresholds, billing.NewCalendar())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Installments) != 1 {
		t.Fatalf("installments %+v, want cycle 2's", f.Installments)
	}
	it := f.Installments[0]
	var got []string
	for _, l := range it.Lines {
		got = append(got, fmt.Sprintf("%s %s %s: %s", l.Kind, l.Quantity, l.Amount.StringFixed(2), l.Description))
	}
	want := []string{"plan 4 140.00: Banho ×4, package cycle 2: uses from 2026-04-05",
		"plan 2 30.00: Corte de Unhas ×2, package cycle 2: uses from 2026-04-05",
		"plan 2 20.00: Limpeza de Ouvido ×2, package cycle 2: uses from 2026-04-05"}
	if !reflect.DeepEqual(got, want) || it.Term != 2 || it.Kind != billing.Recurring || !it.ServiceStart.Equal(day("2026-04-05")) {
		t.Errorf("cycle 2's installment: term %d, %s, from %s, lines %s; want term 2, recurring, from 2026-04-05, lines %s",
			it.Term, it.Kind, billing.FormatDate(it.ServiceStart), strings.Join(got, "; "), strings.Join(want, "; "))
	}
}

// TestPackageCycleTerm: a cycle's installment belongs to the term its sequence falls in,
// installments_per_term at a time (2 a term: cycles 2 and 3 are in terms 1 and 2).
func TestPackageCycleTerm(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		perTerm int
		want    []int
	}{{1, []int{2, 3}}, {2, []int{1, 2}}, {0, []int{2, 3}}} {
		t.Run(fmt.Sprint(tt.perTerm), func(t *testing.T) {
			t.Parallel()
			b := petBasis()
			b.Generation.PerTerm = tt.perTerm
			f, err := Compute(b, day("2026-03-10"), day("2026-05-31"), thresholds, billing.NewCalendar())
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, it := range f.Installments {
				got = append(got, it.Term)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("terms of cycles 2 and 3 with %d a term: %v, want %v", tt.perTerm, got, tt.want)
			}
		})
	}
}
