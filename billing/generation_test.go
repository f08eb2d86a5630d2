package billing_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func d(s string) time.Time {
	t, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func baseState() billing.GenerationState {
	return billing.GenerationState{
		Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment,
		Price: decimal.RequireFromString("99.90"), Discount: decimal.RequireFromString("10.00"),
		AdhesionDate: d("2026-03-02"), ActivationDate: d("2026-03-02"),
		Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly, PerTerm: 12,
		AdhesionFee: decimal.RequireFromString("100.00"), AdhesionInstallments: 3, TermNumber: 1,
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	cal := billing.NewCalendar()
	tests := []struct {
		name          string
		state         func(*billing.GenerationState)
		asOf          string
		wantAdhesion  []string // amount@effective due
		wantRecurring int
		wantFirstDue  string
		wantNextDue   string
		wantTermEnd   string
	}{
		{name: "active: adhesion and the whole term", asOf: "2026-03-02",
			wantAdhesion: []string{"33.34@2026-03-02", "33.33@2026-04-02", "33.33@2026-05-04"}, wantRecurring: 12,
			wantFirstDue: "2026-03-10", wantTermEnd: "2027-03-01"},
		{name: "before the adhesion date: nothing yet", asOf: "2026-03-01", wantNextDue: "2026-03-02"},
		{name: "no billing: nothing ever", asOf: "2026-03-02", state: func(s *billing.GenerationState) { s.BillingMethod = billing.BillNone }},
		{name: "cancelled: nothing", asOf: "2026-03-02", state: func(s *billing.GenerationState) { s.Status = billing.StatusCancelled }},
		{name: "pending activation: nothing", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.Status, s.ActivationDate = billing.StatusPendingActivation, time.Time{}
		}},
		{name: "pending activation with generate-now: adhesion only", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.Status, s.ActivationDate, s.GenerateNow = billing.StatusPendingActivation, time.Time{}, true
		}, wantAdhesion: []string{"33.34@2026-03-02", "33.33@2026-04-02", "33.33@2026-05-04"}},
		{name: "activation in the future: adhesion now, term later", asOf: "2026-03-05", state: func(s *billing.GenerationState) {
			s.ActivationDate = d("2026-03-20")
		}, wantAdhesion: []string{"33.34@2026-03-02", "33.33@2026-04-02", "33.33@2026-05-04"}, wantNextDue: "2026-03-20"},
		{name: "already generated: nothing", asOf: "2026-04-02", state: func(s *billing.GenerationState) {
			s.AdhesionGenerated, s.GeneratedTerm = true, 1
		}},
		{name: "renewed: only term 2", asOf: "2027-01-02", state: func(s *billing.GenerationState) {
			s.AdhesionGenerated, s.GeneratedTerm, s.TermNumber = true, 1, 2
		}, wantRecurring: 12, wantFirstDue: "2027-03-10", wantTermEnd: "2028-03-01"},
		{name: "partially suspended: still billed", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.Status, s.AdhesionGenerated = billing.StatusSuspendedPartial, true
		}, wantRecurring: 12, wantFirstDue: "2026-03-10", wantTermEnd: "2027-03-01"},
		{name: "blocked: still billed", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.Status, s.AdhesionGenerated = billing.StatusBlocked, true
		}, wantRecurring: 12, wantFirstDue: "2026-03-10", wantTermEnd: "2027-03-01"},
		{name: "pending activation with an activation date: not active, nothing", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.Status, s.AdhesionGenerated = billing.StatusPendingActivation, true
		}},
		{name: "an adhesion fee in no installment: no adhesion installment", asOf: "2026-03-02", state: func(s *billing.GenerationState) {
			s.AdhesionInstallments = 0
		}, wantRecurring: 12, wantFirstDue: "2026-03-10", wantTermEnd: "2027-03-01"},
		{name: "term generated, activation still ahead: no next due", asOf: "2026-03-05", state: func(s *billing.GenerationState) {
			s.ActivationDate, s.AdhesionGenerated, s.GeneratedTerm = d("2026-03-20"), true, 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := baseState()
			if tt.state != nil {
				tt.state(&s)
			}
			g, err := billing.Generate(s, d(tt.asOf), cal)
			if err != nil {
				t.Fatal(err)
			}
			var adhesion []string
			var recurring []billing.ScheduledInstallment
			for _, it := range g.Installments {
				if it.Kind == billing.Adhesion {
					adhesion = append(adhesion, billing.FormatMoney(it.Amount)+"@"+billing.FormatDate(it.EffectiveDue))
				} else {
					recurring = append(recurring, it)
				}
			}
			if len(adhesion) != len(tt.wantAdhesion) {
				t.Fatalf("adhesion %v, want %v", adhesion, tt.wantAdhesion)
			}
			for i := range adhesion {
				if adhesion[i] != tt.wantAdhesion[i] {
					t.Fatalf("adhesion %v, want %v", adhesion, tt.wantAdhesion)
				}
			}
			if len(recurring) != tt.wantRecurring {
				t.Fatalf("%d recurring installments, want %d", len(recurring), tt.wantRecurring)
			}
			if tt.wantRecurring > 0 {
				first := recurring[0]
				if billing.FormatDate(first.EffectiveDue) != tt.wantFirstDue || first.Amount.String() != "99.9" || first.Discount.String() != "10" {
					t.Fatalf("first recurring: due %s amount %s discount %s", billing.FormatDate(first.EffectiveDue), first.Amount, first.Discount)
				}
			}
			if got := optDate(g.NextDue); got != tt.wantNextDue {
				t.Fatalf("next due %q, want %q", got, tt.wantNextDue)
			}
			if got := optDate(g.TermEnd); got != tt.wantTermEnd {
				t.Fatalf("term end %q, want %q", got, tt.wantTermEnd)
			}
		})
	}
	// The progress markers: an adhesion fee in no installment never marks the adhesion as
	// generated; a term already generated stays the term generated.
	s := baseState()
	s.AdhesionInstallments = 0
	if g, err := billing.Generate(s, d("2026-03-02"), cal); err != nil || g.AdhesionGenerated || g.GeneratedTerm != 1 {
		t.Errorf("an adhesion fee in no installment: adhesion generated %t, term %d (%v); want false, 1", g.AdhesionGenerated, g.GeneratedTerm, err)
	}
	s = baseState()
	if g, err := billing.Generate(s, d("2026-03-02"), cal); err != nil || !g.AdhesionGenerated || g.GeneratedTerm != 1 {
		t.Errorf("active: adhesion generated %t, term %d (%v); want true, 1", g.AdhesionGenerated, g.GeneratedTerm, err)
	}
}

// TestFixedDayBeforeActivationDayNeverRepeatsADueDate pins the case where the fixed day
// falls before the activation day in a short month.
func TestFixedDayBeforeActivationDayNeverRepeatsADueDate(t *testing.T) {
	t.Parallel()
	items := billing.RecurringTerm(billing.RecurringSpec{
		Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 29, Shift: billing.ShiftNone}, Period: billing.Monthly,
		Start: d("2026-01-30"), PerTerm: 4, Price: decimal.RequireFromString("50.00"),
	}, 1, nil)
	want := []string{"2026-02-28", "2026-03-29", "2026-04-29", "2026-05-29"}
	for i, it := range items {
		if got := billing.FormatDate(it.NominalDue); got != want[i] {
			t.Fatalf("installment %d due %s, want %s", i+1, got, want[i])
		}
		if it.NominalDue.Before(it.ServiceStart) {
			t.Fatalf("installment %d due %s before its service starts %s", i+1, billing.FormatDate(it.NominalDue), billing.FormatDate(it.ServiceStart))
		}
	}
}

func optDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return billing.FormatDate(t)
}
