package benefits

import (
	"errors"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

func day(s string) time.Time {
	d, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func TestPeriodAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, anchor string
		period       billing.Period
		d            string
		start, end   string
	}{
		{"first day", "2026-01-10", billing.Monthly, "2026-01-10", "2026-01-10", "2026-02-09"},
		{"last day", "2026-01-10", billing.Monthly, "2026-02-09", "2026-01-10", "2026-02-09"},
		{"second period", "2026-01-10", billing.Monthly, "2026-02-10", "2026-02-10", "2026-03-09"},
		{"before the anchor", "2026-01-10", billing.Monthly, "2026-01-09", "2025-12-10", "2026-01-09"},
		{"31st clamped in February", "2026-01-31", billing.Monthly, "2026-02-28", "2026-02-28", "2026-03-30"},
		{"31st back in March", "2026-01-31", billing.Monthly, "2026-03-31", "2026-03-31", "2026-04-29"},
		{"31st leap February", "2028-01-31", billing.Monthly, "2028-02-29", "2028-02-29", "2028-03-30"},
		{"bimonthly", "2026-01-10", billing.Bimonthly, "2026-03-09", "2026-01-10", "2026-03-09"},
		{"quarterly", "2026-01-10", billing.Quarterly, "2026-07-15", "2026-07-10", "2026-10-09"},
		{"semiannual", "2026-08-31", billing.Semiannual, "2027-03-01", "2027-02-28", "2027-08-30"},
		{"annual 29 Feb", "2028-02-29", billing.Annual, "2029-02-28", "2029-02-28", "2030-02-27"},
		{"annual years later", "2026-03-05", billing.Annual, "2031-03-04", "2030-03-05", "2031-03-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, end := PeriodAt(day(tt.anchor), tt.period, day(tt.d))
			if got := billing.FormatDate(start) + " " + billing.FormatDate(end); got != tt.start+" "+tt.end {
				t.Errorf("PeriodAt = %s, want %s %s", got, tt.start, tt.end)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	terms := Terms{Quantity: 10, Period: billing.Monthly, GraceDays: 30}
	base := UseState{Granted: true, Terms: terms, BenefitActive: true, Settled: day("2026-01-10"), UsedAt: day("2026-02-09")}
	tests := []struct {
		name   string
		change func(*UseState)
		reason Reason
		grace  string
	}{
		{"first day after grace", func(*UseState) {}, "", ""},
		{"last day of grace", func(s *UseState) { s.UsedAt = day("2026-02-08") }, InGrace, "2026-02-08"},
		{"settlement day", func(s *UseState) { s.UsedAt = day("2026-01-10") }, InGrace, "2026-02-08"},
		{"no grace: settlement day", func(s *UseState) { s.Terms.GraceDays = 0; s.UsedAt = day("2026-01-10") }, "", ""},
		{"nothing settled", func(s *UseState) { s.Settled = time.Time{} }, InGrace, ""},
		{"not granted first", func(s *UseState) { s.Granted = false; s.Blocked = true }, NotGranted, ""},
		{"inactive", func(s *UseState) { s.BenefitActive = false; s.Blocked = true }, BenefitInactive, ""},
		{"blocked before delinquent", func(s *UseState) { s.Blocked = true; s.OverdueSince = day("2026-01-31") }, ContractBlocked, ""},
		{"delinquent", func(s *UseState) { s.OverdueSince = day("2026-01-31") }, Delinquent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			tt.change(&s)
			r := Check(s)
			switch {
			case tt.reason == "" && r != nil:
				t.Fatalf("refused: %v", r)
			case tt.reason == "":
				return
			case r == nil || r.Reason != tt.reason:
				t.Fatalf("got %v, want %s", r, tt.reason)
			}
			if got := formatOpt(r.GraceEndsOn); got != tt.grace {
				t.Errorf("grace ends on %q, want %q", got, tt.grace)
			}
		})
	}
}

func formatOpt(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return billing.FormatDate(d)
}

func TestCheckQuota(t *testing.T) {
	t.Parallel()
	if r := CheckQuota(10, 9, 1, day("2026-02-09")); r != nil {
		t.Errorf("last use refused: %v", r)
	}
	r := CheckQuota(10, 10, 1, day("2026-02-09"))
	if r == nil || r.Reason != QuotaExhausted || formatOpt(r.NextResetOn) != "2026-02-10" {
		t.Errorf("exhausted: %+v, want quota_exhausted resetting on 2026-02-10", r)
	}
	r = CheckQuota(4, 3, 2, time.Time{})
	if r == nil || r.Reason != QuotaExhausted || !r.NextResetOn.IsZero() {
		t.Errorf("package cycle: %+v, want quota_exhausted without a reset date", r)
	}
}

func TestNextCycleDue(t *testing.T) {
	t.Parallel()
	activation := day("2026-03-20")
	tests := []struct {
		name         string
		rule         billing.DueDateRule
		usedOn, prev string
		want         string
	}{
		{"fixed day later this month", billing.DueDateRule{Kind: billing.FixedDay, Day: 25}, "2026-04-10", "2026-03-25", "2026-04-25"},
		{"fixed day next month", billing.DueDateRule{Kind: billing.FixedDay, Day: 5}, "2026-04-10", "2026-03-25", "2026-05-05"},
		{"fixed day on the day", billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, "2026-04-10", "2026-03-10", "2026-04-10"},
		{"after the previous due", billing.DueDateRule{Kind: billing.FixedDay, Day: 25}, "2026-04-02", "2026-04-25", "2026-05-25"},
		{"day 31 clamped", billing.DueDateRule{Kind: billing.FixedDay, Day: 31}, "2026-02-03", "2026-01-31", "2026-02-28"},
		{"anniversary", billing.DueDateRule{Kind: billing.Anniversary}, "2026-04-21", "2026-04-20", "2026-05-20"},
		{"prepaid fixed day", billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 15}, "2026-04-15", "2026-03-20", "2026-04-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := billing.FormatDate(NextCycleDue(tt.rule, activation, day(tt.usedOn), day(tt.prev))); got != tt.want {
				t.Errorf("NextCycleDue = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	plan := &Terms{Quantity: 10, Period: billing.Monthly, GraceDays: 30}
	tests := []struct {
		name    string
		plan    *Terms
		o       *Override
		want    Terms
		granted bool
	}{
		{"plan only", plan, nil, *plan, true},
		{"override grace", plan, &Override{GraceDays: ptr(0)}, Terms{10, billing.Monthly, 0, nil}, true},
		{"override all", plan, &Override{Quantity: ptr(2), Period: ptr(billing.Annual), GraceDays: ptr(90)}, Terms{2, billing.Annual, 90, nil}, true},
		{"withdrawn", plan, &Override{Quantity: ptr(0)}, Terms{0, billing.Monthly, 30, nil}, false},
		{"contract only", nil, &Override{Quantity: ptr(3), Period: ptr(billing.Quarterly)}, Terms{3, billing.Quarterly, 0, nil}, true},
		{"incomplete contract only", nil, &Override{GraceDays: ptr(3)}, Terms{}, false},
		{"nothing", nil, nil, Terms{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Resolve(tt.plan, tt.o)
			if got != tt.want || ok != tt.granted {
				t.Errorf("Resolve = %+v %v, want %+v %v", got, ok, tt.want, tt.granted)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	pkg := billing.Plan{Kind: billing.KindPackage, UsesPerCycle: ptr(4)}
	plan := billing.Plan{Kind: billing.KindPlan}
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"plan without quantity", second(NewPlanTerms(plan, nil, ptr("monthly"), nil)), "quantity"},
		{"plan quantity 0", second(NewPlanTerms(plan, ptr(0), ptr("monthly"), nil)), "quantity"},
		{"plan without period", second(NewPlanTerms(plan, ptr(2), nil, nil)), "renewal_period"},
		{"plan bad period", second(NewPlanTerms(plan, ptr(2), ptr("weekly"), nil)), "renewal_period"},
		{"negative grace", second(NewPlanTerms(plan, ptr(2), ptr("monthly"), ptr(-1))), "grace_days"},
		{"package other quantity", second(NewPlanTerms(pkg, ptr(5), nil, nil)), "quantity"},
		{"package with period", second(NewPlanTerms(pkg, nil, ptr("monthly"), nil)), "renewal_period"},
		{"package ok", second(NewPlanTerms(pkg, ptr(4), nil, ptr(7))), ""},
		{"override incomplete", ValidateOverride(billing.KindPlan, nil, Override{Quantity: ptr(2)}), "renewal_period"},
		{"override negative", ValidateOverride(billing.KindPlan, &Terms{}, Override{Quantity: ptr(-2)}), "quantity"},
		{"override package period", ValidateOverride(billing.KindPackage, &Terms{Quantity: 4}, Override{Period: ptr(billing.Monthly)}), "renewal_period"},
		{"override package foreign", ValidateOverride(billing.KindPackage, nil, Override{GraceDays: ptr(1)}), "benefit_id"},
		{"benefit without name", Benefit{Name: " "}.Validate(), "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fe *billing.FieldError
			switch {
			case tt.field == "" && tt.err != nil:
				t.Errorf("unexpected error %v", tt.err)
			case tt.field != "" && (!errors.As(tt.err, &fe) || fe.Field != tt.field):
				t.Errorf("error %v, want a field error on %s", tt.err, tt.field)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }
