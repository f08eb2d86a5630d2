package benefits

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// TestNewPlanTermsBounds pins each bound of a plan's terms at the value it allows and the
// first it refuses: grace days 0 to 3650, quantity 1 to 100000.
func TestNewPlanTermsBounds(t *testing.T) {
	t.Parallel()
	plan := billing.Plan{Kind: billing.KindPlan}
	tests := []struct {
		name     string
		quantity *int
		grace    *int
		want     Terms
		field    string
	}{
		{"grace omitted is 0", ptr(3), nil, Terms{Quantity: 3, Period: billing.Monthly}, ""},
		{"grace 0", ptr(3), ptr(0), Terms{Quantity: 3, Period: billing.Monthly}, ""},
		{"grace 3650", ptr(3), ptr(3650), Terms{Quantity: 3, Period: billing.Monthly, GraceDays: 3650}, ""},
		{"grace 3651", ptr(3), ptr(3651), Terms{}, "grace_days"},
		{"grace -1", ptr(3), ptr(-1), Terms{}, "grace_days"},
		{"quantity 1", ptr(1), nil, Terms{Quantity: 1, Period: billing.Monthly}, ""},
		{"quantity 100000", ptr(100000), nil, Terms{Quantity: 100000, Period: billing.Monthly}, ""},
		{"quantity 100001", ptr(100001), nil, Terms{}, "quantity"},
		{"quantity 0", ptr(0), nil, Terms{}, "quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewPlanTerms(plan, tt.quantity, ptr("monthly"), tt.grace)
			checkField(t, err, tt.field)
			if got != tt.want {
				t.Errorf("NewPlanTerms = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestNewPlanTermsPackage checks a package's terms: no period, a service's quantity from 1
// to the uses per cycle (omitted: all of them); a package without uses_per_cycle holds 0.
func TestNewPlanTermsPackage(t *testing.T) {
	t.Parallel()
	pkg := billing.Plan{Kind: billing.KindPackage, UsesPerCycle: ptr(4)}
	tests := []struct {
		name     string
		plan     billing.Plan
		quantity *int
		want     Terms
		field    string
	}{
		{"quantity omitted", pkg, nil, Terms{Quantity: 4, GraceDays: 2}, ""},
		{"quantity repeated", pkg, ptr(4), Terms{Quantity: 4, GraceDays: 2}, ""},
		{"quantity one more", pkg, ptr(5), Terms{}, "quantity"},
		{"quantity one less", pkg, ptr(3), Terms{Quantity: 3, GraceDays: 2}, ""},
		{"quantity 1", pkg, ptr(1), Terms{Quantity: 1, GraceDays: 2}, ""},
		{"quantity 0", pkg, ptr(0), Terms{}, "quantity"},
		{"no uses_per_cycle", billing.Plan{Kind: billing.KindPackage}, nil, Terms{GraceDays: 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewPlanTerms(tt.plan, tt.quantity, nil, ptr(2))
			checkField(t, err, tt.field)
			if got != tt.want {
				t.Errorf("NewPlanTerms = %+v, want %+v", got, tt.want)
			}
			if err == nil && !got.PerCycle() {
				t.Errorf("a package's terms %+v do not renew per cycle", got)
			}
		})
	}
}

// TestPerCycle checks that only terms without a renewal period renew per package cycle.
func TestPerCycle(t *testing.T) {
	t.Parallel()
	if !(Terms{Quantity: 4}).PerCycle() {
		t.Error("terms without a period: PerCycle false, want true")
	}
	if (Terms{Quantity: 4, Period: billing.Monthly}).PerCycle() {
		t.Error("monthly terms: PerCycle true, want false")
	}
}

// TestValidateOverrideBounds pins each bound of a contract's override of a plan's terms:
// quantity 0 (withdrawn) to 100000, grace 0 to 3650, a known period.
func TestValidateOverrideBounds(t *testing.T) {
	t.Parallel()
	plan := &Terms{Quantity: 10, Period: billing.Monthly, GraceDays: 30}
	tests := []struct {
		name  string
		o     Override
		field string
	}{
		{"nothing overridden", Override{}, ""},
		{"quantity 0 withdraws", Override{Quantity: ptr(0)}, ""},
		{"quantity -1", Override{Quantity: ptr(-1)}, "quantity"},
		{"quantity 100000", Override{Quantity: ptr(100000)}, ""},
		{"quantity 100001", Override{Quantity: ptr(100001)}, "quantity"},
		{"grace 0", Override{GraceDays: ptr(0)}, ""},
		{"grace -1", Override{GraceDays: ptr(-1)}, "grace_days"},
		{"grace 3650", Override{GraceDays: ptr(3650)}, ""},
		{"grace 3651", Override{GraceDays: ptr(3651)}, "grace_days"},
		{"period annual", Override{Period: ptr(billing.Annual)}, ""},
		{"period weekly", Override{Period: ptr(billing.Period("weekly"))}, "renewal_period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, ValidateOverride(billing.KindPlan, plan, tt.o), tt.field)
		})
	}
}

// TestValidateOverrideWithoutPlanTerms checks that an override of a benefit the plan does
// not grant gives both quantity and period, and names the one missing (quantity first).
func TestValidateOverrideWithoutPlanTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     Override
		field string
	}{
		{"both", Override{Quantity: ptr(2), Period: ptr(billing.Quarterly)}, ""},
		{"period only", Override{Period: ptr(billing.Quarterly)}, "quantity"},
		{"quantity only", Override{Quantity: ptr(2)}, "renewal_period"},
		{"grace only", Override{GraceDays: ptr(5)}, "quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, ValidateOverride(billing.KindPlan, nil, tt.o), tt.field)
		})
	}
}

// TestValidateOverridePackage checks a contract's override of its package's benefit: the
// quantity is 0 (withdrawn) or the package's own, never another.
func TestValidateOverridePackage(t *testing.T) {
	t.Parallel()
	pkg := &Terms{Quantity: 4}
	tests := []struct {
		name  string
		o     Override
		field string
	}{
		{"grace only", Override{GraceDays: ptr(3)}, ""},
		{"quantity 0 withdraws", Override{Quantity: ptr(0)}, ""},
		{"quantity repeated", Override{Quantity: ptr(4)}, ""},
		{"quantity one more", Override{Quantity: ptr(5)}, "quantity"},
		{"quantity one less", Override{Quantity: ptr(3)}, "quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, ValidateOverride(billing.KindPackage, pkg, tt.o), tt.field)
		})
	}
}

// TestBenefitValidate checks a benefit's own rules: a name that is not blank, no NUL in
// the name or the description, a unit cost of 0 or more.
func TestBenefitValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		b     Benefit
		field string
	}{
		{"valid, free", Benefit{Name: "Consulta", UnitCost: decimal.Zero}, ""},
		{"valid, priced", Benefit{Name: "Consulta", UnitCost: decimal.RequireFromString("35.00"), Description: "clínica geral"}, ""},
		{"empty name", Benefit{}, "name"},
		{"blank name", Benefit{Name: " \t"}, "name"},
		{"NUL in the name", Benefit{Name: "Con\x00sulta"}, "name"},
		{"NUL in the description", Benefit{Name: "Consulta", Description: "a\x00b"}, "description"},
		{"negative cost", Benefit{Name: "Consulta", UnitCost: decimal.RequireFromString("-0.01")}, "unit_cost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkField(t, tt.b.Validate(), tt.field)
		})
	}
}
