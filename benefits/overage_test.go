package benefits

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func TestValidateOveragePrice(t *testing.T) {
	t.Parallel()
	price := func(s string) *decimal.Decimal { return ptr(decimal.RequireFromString(s)) }
	tests := []struct {
		name     string
		perCycle bool
		price    *decimal.Decimal
		wantErr  bool
	}{
		{"none on a plan", false, nil, false},
		{"none on a package", true, nil, false},
		{"3.50 a km", false, price("3.50"), false},
		{"one cent", false, price("0.01"), false},
		{"on a package", true, price("3.50"), true},
		{"zero", false, price("0"), true},
		{"negative", false, price("-0.01"), true},
		{"fractions of a cent", false, price("3.505"), true},
	}
	for _, tt := range tests {
		err := ValidateOveragePrice(tt.perCycle, tt.price)
		var fe *billing.FieldError
		if (err != nil) != tt.wantErr || (err != nil && (!errors.As(err, &fe) || fe.Field != "overage_unit_price")) {
			t.Errorf("%s: %v, want error %v naming overage_unit_price", tt.name, err, tt.wantErr)
		}
	}
}

func TestSplitUse(t *testing.T) {
	t.Parallel()
	price := ptr(decimal.RequireFromString("3.50"))
	tests := []struct {
		name                    string
		granted, used, quantity int
		price                   *decimal.Decimal
		inQuota, overage        int
		refused                 bool
		nextReset               string
	}{
		{"within the quota", 100, 0, 100, price, 100, 0, false, ""},
		{"within, no price", 100, 99, 1, nil, 1, 0, false, ""},
		{"120 km of 100", 100, 0, 120, price, 100, 20, false, ""},
		{"past an exhausted quota", 100, 100, 5, price, 0, 5, false, ""},
		{"one beyond", 100, 60, 41, price, 40, 1, false, ""},
		{"beyond without a price", 100, 60, 41, nil, 0, 0, true, "2026-08-05"},
	}
	for _, tt := range tests {
		in, over, r := SplitUse(tt.granted, tt.used, tt.quantity, tt.price, day("2026-08-04"))
		if in != tt.inQuota || over != tt.overage || (r != nil) != tt.refused {
			t.Errorf("%s: %d in quota, %d overage, refusal %v; want %d, %d, refused %v", tt.name, in, over, r, tt.inQuota, tt.overage, tt.refused)
		}
		if r != nil && (r.Reason != QuotaExhausted || billing.FormatDate(r.NextResetOn) != tt.nextReset) {
			t.Errorf("%s: refusal %+v, want quota_exhausted resetting on %s", tt.name, r, tt.nextReset)
		}
	}
}

func TestOverageLine(t *testing.T) {
	t.Parallel()
	price := decimal.RequireFromString("3.50")
	got := OverageLine(42, "Reboque (km)", 20, price, day("2026-07-15"))
	want := billing.Line{Kind: billing.LineOverage, SourceKey: "overage:42",
		Description: "overage: Reboque (km), 20 beyond the quota, used on 2026-07-15",
		Quantity:    decimal.NewFromInt(20), UnitPrice: &price, Amount: decimal.RequireFromString("70.00")}
	if got.Kind != want.Kind || got.SourceKey != want.SourceKey || got.Description != want.Description ||
		!got.Quantity.Equal(want.Quantity) || !got.UnitPrice.Equal(price) || got.Amount.StringFixed(2) != "70.00" {
		t.Errorf("line %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("line breaks its rules: %v", err)
	}
	tests := []struct {
		units int
		price string
		want  string
	}{{1, "3.50", "3.50"}, {3, "0.33", "0.99"}, {7, "12.25", "85.75"}}
	for _, tt := range tests {
		if got := OverageLine(1, "km", tt.units, decimal.RequireFromString(tt.price), day("2026-07-15")).Amount.StringFixed(2); got != tt.want {
			t.Errorf("%d × %s = %s, want %s", tt.units, tt.price, got, tt.want)
		}
	}
}
