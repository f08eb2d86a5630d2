package benefits

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func money(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

func amounts(ds []decimal.Decimal) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.StringFixed(2)
	}
	return out
}

func TestSplitPackagePrice(t *testing.T) {
	t.Parallel()
	petShop := []PackageService{{Quantity: 4, UnitPrice: money("35.00")}, {Quantity: 2, UnitPrice: money("15.00")}, {Quantity: 2, UnitPrice: money("10.00")}}
	tests := []struct {
		name     string
		price    string
		services []PackageService
		want     []string
	}{
		{"listed prices add up: exactly quantity × unit price", "190.00", petShop, []string{"140.00", "30.00", "20.00"}},
		{"contract price below the list: shares by weight, cents to the largest remainders", "100.00", petShop, []string{"73.68", "15.79", "10.53"}},
		{"no prices listed: by quantity", "100.00", []PackageService{{Quantity: 4}, {Quantity: 2}, {Quantity: 2}}, []string{"50.00", "25.00", "25.00"}},
		{"zero prices listed count as none", "90.00", []PackageService{{Quantity: 1, UnitPrice: money("0")}, {Quantity: 2, UnitPrice: money("0")}}, []string{"30.00", "60.00"}},
		{"one cent left over goes to the earlier of equal remainders", "0.01", []PackageService{{Quantity: 1}, {Quantity: 1}}, []string{"0.01", "0.00"}},
		{"two cents over three equal services", "0.02", []PackageService{{Quantity: 1}, {Quantity: 1}, {Quantity: 1}}, []string{"0.01", "0.01", "0.00"}},
		{"a service with no quantity gets nothing", "10.00", []PackageService{{Quantity: 0, UnitPrice: money("5.00")}, {Quantity: 1, UnitPrice: money("5.00")}}, []string{"0.00", "10.00"}},
		{"a priced service beside an unpriced one: the unpriced weighs nothing", "50.00", []PackageService{{Quantity: 2}, {Quantity: 1, UnitPrice: money("7.00")}}, []string{"0.00", "50.00"}},
		{"no quantity at all: all zero", "50.00", []PackageService{{Quantity: 0}, {Quantity: -1}}, []string{"0.00", "0.00"}},
		{"largest remainder wins over the earlier service", "1.00", []PackageService{{Quantity: 1}, {Quantity: 2}}, []string{"0.33", "0.67"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := amounts(SplitPackagePrice(decimal.RequireFromString(tt.price), tt.services))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestCycleUsedUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []PackageService
		want     bool
	}{
		{"every service used up", []PackageService{{Quantity: 4, Used: 4, Active: true}, {Quantity: 2, Used: 2, Active: true}}, true},
		{"one service left", []PackageService{{Quantity: 4, Used: 4, Active: true}, {Quantity: 2, Used: 1, Active: true}}, false},
		{"used beyond the quantity still counts as used up", []PackageService{{Quantity: 1, Used: 2, Active: true}}, true},
		{"an inactive service is not waited for", []PackageService{{Quantity: 4, Used: 4, Active: true}, {Quantity: 2, Used: 0}}, true},
		{"a withdrawn service is not waited for", []PackageService{{Quantity: 4, Used: 4, Active: true}, {Quantity: 0, Active: true}}, true},
		{"only inactive services: never used up", []PackageService{{Quantity: 2, Used: 2}}, false},
		{"no service: never used up", nil, false},
		{"an open balance's grant counts, not the quantity", []PackageService{{Quantity: 4, Granted: 2, Used: 2, Active: true}}, true},
		{"an open balance's grant not used up", []PackageService{{Quantity: 1, Granted: 2, Used: 1, Active: true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CycleUsedUp(tt.services); got != tt.want {
				t.Fatalf("CycleUsedUp = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPackageCycleLines(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	petShop := []PackageService{{BenefitID: 7, Name: "Banho", Quantity: 4, UnitPrice: money("35.00")},
		{BenefitID: 8, Name: "Tosa de unhas", Quantity: 2, UnitPrice: money("15.00")},
		{BenefitID: 9, Name: "Limpeza de ouvidos", Quantity: 2, UnitPrice: money("10.00")},
		{BenefitID: 10, Name: "Withdrawn", Quantity: 0}}
	type line struct{ kind, key, desc, qty, unit, amount string }
	tests := []struct {
		name            string
		price, discount string
		services        []PackageService
		want            []line
	}{
		{"itemised with a discount", "190.00", "10.00", petShop, []line{
			{"plan", "package_service:7", "Banho ×4, package cycle 2: uses from 2026-03-20", "4", "35.00", "140.00"},
			{"plan", "package_service:8", "Tosa de unhas ×2, package cycle 2: uses from 2026-03-20", "2", "15.00", "30.00"},
			{"plan", "package_service:9", "Limpeza de ouvidos ×2, package cycle 2: uses from 2026-03-20", "2", "10.00", "20.00"},
			{"discount", "discount", "fixed discount", "1", "", "-10.00"},
		}},
		{"a share not a whole cent per use has no unit price", "100.00", "0", petShop[:2], []line{
			{"plan", "package_service:7", "Banho ×4, package cycle 2: uses from 2026-03-20", "4", "", "82.35"},
			{"plan", "package_service:8", "Tosa de unhas ×2, package cycle 2: uses from 2026-03-20", "2", "", "17.65"},
		}},
		{"one service: the single plan line", "50.00", "0", petShop[:1], []line{
			{"plan", "plan", "plan, package cycle 2: uses from 2026-03-20", "1", "50.00", "50.00"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			price, discount := decimal.RequireFromString(tt.price), decimal.RequireFromString(tt.discount)
			got := PackageCycleLines(2, from, price, discount, tt.services)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				unit := ""
				if g.UnitPrice != nil {
					unit = g.UnitPrice.StringFixed(2)
				}
				if g.Kind != w.kind || g.SourceKey != w.key || g.Description != w.desc || g.Quantity.String() != w.qty ||
					unit != w.unit || g.Amount.StringFixed(2) != w.amount {
					t.Errorf("line %d = %s %s %q %s %s %s, want %+v", i, g.Kind, g.SourceKey, g.Description, g.Quantity, unit, g.Amount.StringFixed(2), w)
				}
				if err := g.Validate(); err != nil {
					t.Errorf("line %d: %v", i, err)
				}
			}
			amount, disc := billing.LineTotals(got)
			if !amount.Equal(price) || !disc.Equal(discount) {
				t.Fatalf("LineTotals = %s, %s; want %s, %s", amount, disc, price, discount)
			}
		})
	}
}

func TestItemised(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []PackageService
		want     bool
	}{
		{"two services", []PackageService{{Quantity: 1}, {Quantity: 2}}, true},
		{"one service", []PackageService{{Quantity: 4}}, false},
		{"two, one withdrawn", []PackageService{{Quantity: 4}, {Quantity: 0}}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Itemised(tt.services); got != tt.want {
				t.Fatalf("Itemised = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPackageUnitPriceAndTerms(t *testing.T) {
	t.Parallel()
	four := 4
	pkg := billing.Plan{Kind: billing.KindPackage, UsesPerCycle: &four}
	plan := billing.Plan{Kind: billing.KindPlan}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	tests := []struct {
		name      string
		plan      billing.Plan
		raw       *string
		want      string
		field     string
		quantity  *int
		wantTerms int
	}{
		{"none listed", pkg, nil, "", "", nil, 4},
		{"a package's price", pkg, str("35.00"), "35.00", "", num(1), 1},
		{"zero is a price", pkg, str("0"), "0.00", "", num(4), 4},
		{"negative", pkg, str("-1.00"), "", "unit_price", nil, 4},
		{"three decimals", pkg, str("1.005"), "", "unit_price", nil, 4},
		{"a plan lists none", plan, str("10.00"), "", "unit_price", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PackageUnitPrice(tt.plan, tt.raw)
			var fe *billing.FieldError
			switch {
			case tt.field != "":
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("err = %v, want a field error on %s", err, tt.field)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tt.want == "" && got != nil:
				t.Fatalf("got %s, want none", got)
			case tt.want != "" && (got == nil || got.StringFixed(2) != tt.want):
				t.Fatalf("got %v, want %s", got, tt.want)
			}
			if tt.plan.Kind != billing.KindPackage {
				return
			}
			terms, err := NewPlanTerms(tt.plan, tt.quantity, nil, nil)
			if err != nil || terms.Quantity != tt.wantTerms {
				t.Fatalf("NewPlanTerms = %+v, %v; want quantity %d", terms, err, tt.wantTerms)
			}
		})
	}
	for _, q := range []int{0, 5} {
		var fe *billing.FieldError
		if _, err := NewPlanTerms(pkg, &q, nil, nil); !errors.As(err, &fe) || fe.Field != "quantity" {
			t.Errorf("quantity %d: err = %v, want a field error on quantity", q, err)
		}
	}
}
