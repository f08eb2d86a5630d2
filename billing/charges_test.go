package billing_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
)

func TestOneOffChargeValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		charge billing.OneOffCharge
		field  string
	}{
		{"a visit", billing.OneOffCharge{Description: "Visita técnica", Amount: money("100.00"), Installments: 3}, ""},
		{"one cent in one", billing.OneOffCharge{Description: "x", Amount: money("0.01"), Installments: 1}, ""},
		{"three cents in three", billing.OneOffCharge{Description: "x", Amount: money("0.03"), Installments: 3}, ""},
		{"sixty parts", billing.OneOffCharge{Description: "x", Amount: money("600.00"), Installments: 60}, ""},
		{"200 characters", billing.OneOffCharge{Description: strings.Repeat("é", 200), Amount: money("1.00"), Installments: 1}, ""},
		{"no description", billing.OneOffCharge{Amount: money("1.00"), Installments: 1}, "description"},
		{"blank description", billing.OneOffCharge{Description: " \t", Amount: money("1.00"), Installments: 1}, "description"},
		{"NUL", billing.OneOffCharge{Description: "a\x00b", Amount: money("1.00"), Installments: 1}, "description"},
		{"201 characters", billing.OneOffCharge{Description: strings.Repeat("é", 201), Amount: money("1.00"), Installments: 1}, "description"},
		{"zero", billing.OneOffCharge{Description: "x", Amount: money("0"), Installments: 1}, "amount"},
		{"negative", billing.OneOffCharge{Description: "x", Amount: money("-1.00"), Installments: 1}, "amount"},
		{"fractions of a cent", billing.OneOffCharge{Description: "x", Amount: money("1.001"), Installments: 1}, "amount"},
		{"zero parts", billing.OneOffCharge{Description: "x", Amount: money("1.00"), Installments: 0}, "installments"},
		{"61 parts", billing.OneOffCharge{Description: "x", Amount: money("610.00"), Installments: 61}, "installments"},
		{"two cents in three", billing.OneOffCharge{Description: "x", Amount: money("0.02"), Installments: 3}, "installments"},
	}
	for _, tt := range tests {
		err := tt.charge.Validate()
		var fe *billing.FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v, want no error", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
}

func TestChargeLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		charge billing.OneOffCharge
		want   []string
	}{
		{"100.00 in 3", billing.OneOffCharge{Description: "Visita", Amount: money("100.00"), Installments: 3}, []string{
			"charge:7:1 33.34 Visita (part 1 of 3)", "charge:7:2 33.33 Visita (part 2 of 3)", "charge:7:3 33.33 Visita (part 3 of 3)"}},
		{"one part", billing.OneOffCharge{Description: "Roteador", Amount: money("250.00"), Installments: 1}, []string{
			"charge:7:1 250.00 Roteador"}},
		{"0.05 in 2", billing.OneOffCharge{Description: "x", Amount: money("0.05"), Installments: 2}, []string{
			"charge:7:1 0.03 x (part 1 of 2)", "charge:7:2 0.02 x (part 2 of 2)"}},
	}
	for _, tt := range tests {
		lines, err := billing.ChargeLines(7, tt.charge)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, l := range lines {
			if l.Kind != billing.LineCharge || !l.Quantity.Equal(money("1")) || l.UnitPrice != nil || l.Validate() != nil {
				t.Errorf("%s: line %+v", tt.name, l)
			}
			got = append(got, l.SourceKey+" "+l.Amount.StringFixed(2)+" "+l.Description)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := billing.ChargeLines(7, billing.OneOffCharge{Description: "x", Amount: money("0"), Installments: 1}); err == nil {
		t.Error("a charge of zero made lines")
	}
}

func TestAddonValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		addon billing.Addon
		field string
	}{
		{"open-ended", billing.Addon{Description: "IP fixo", Price: money("30.00"), From: day("2026-07-20")}, ""},
		{"one day", billing.Addon{Description: "IP fixo", Price: money("30.00"), From: day("2026-07-20"), Until: day("2026-07-20")}, ""},
		{"no description", billing.Addon{Price: money("30.00"), From: day("2026-07-20")}, "description"},
		{"zero price", billing.Addon{Description: "IP", Price: money("0"), From: day("2026-07-20")}, "price"},
		{"negative price", billing.Addon{Description: "IP", Price: money("-1.00"), From: day("2026-07-20")}, "price"},
		{"fractions of a cent", billing.Addon{Description: "IP", Price: money("1.001"), From: day("2026-07-20")}, "price"},
		{"no start", billing.Addon{Description: "IP", Price: money("30.00")}, "from"},
		{"ends before it starts", billing.Addon{Description: "IP", Price: money("30.00"), From: day("2026-07-20"), Until: day("2026-07-19")}, "until"},
	}
	for _, tt := range tests {
		err := tt.addon.Validate()
		var fe *billing.FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v, want no error", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
}

func TestAddonLine(t *testing.T) {
	t.Parallel()
	addon := func(from, until string) billing.Addon {
		a := billing.Addon{Description: "IP fixo", Price: money("30.00"), From: day(from)}
		if until != "" {
			a.Until = day(until)
		}
		return a
	}
	tests := []struct {
		name       string
		addon      billing.Addon
		start, end string
		want       string // "" when no line
	}{
		{"whole period", addon("2026-07-01", ""), "2026-08-01", "2026-08-31", "30.00 add-on: IP fixo, service 2026-08-01 to 2026-08-31"},
		{"starts on the first day", addon("2026-08-01", ""), "2026-08-01", "2026-08-31", "30.00 add-on: IP fixo, service 2026-08-01 to 2026-08-31"},
		{"ends on the last day", addon("2026-07-01", "2026-08-31"), "2026-08-01", "2026-08-31", "30.00 add-on: IP fixo, service 2026-08-01 to 2026-08-31"},
		{"starts mid-period", addon("2026-07-20", ""), "2026-07-01", "2026-07-31", "11.61 add-on: IP fixo, 12 of 31 days (2026-07-20 to 2026-07-31)"},
		{"ends mid-period", addon("2026-07-01", "2026-09-15"), "2026-09-01", "2026-09-30", "15.00 add-on: IP fixo, 15 of 30 days (2026-09-01 to 2026-09-15)"},
		{"starts and ends inside", addon("2026-09-11", "2026-09-20"), "2026-09-01", "2026-09-30", "10.00 add-on: IP fixo, 10 of 30 days (2026-09-11 to 2026-09-20)"},
		{"the last day alone", addon("2026-09-30", ""), "2026-09-01", "2026-09-30", "1.00 add-on: IP fixo, 1 of 30 days (2026-09-30 to 2026-09-30)"},
		{"the first day alone", addon("2026-08-01", "2026-09-01"), "2026-09-01", "2026-09-30", "1.00 add-on: IP fixo, 1 of 30 days (2026-09-01 to 2026-09-01)"},
		{"starts after the period", addon("2026-10-01", ""), "2026-09-01", "2026-09-30", ""},
		{"ended before the period", addon("2026-07-01", "2026-08-31"), "2026-09-01", "2026-09-30", ""},
		{"too little to charge", billing.Addon{Description: "x", Price: money("0.10"), From: day("2026-07-31")}, "2026-07-01", "2026-07-31", ""},
	}
	for _, tt := range tests {
		l, ok := billing.AddonLine(9, tt.addon, day(tt.start), day(tt.end))
		got := ""
		if ok {
			got = l.Amount.StringFixed(2) + " " + l.Description
			if l.Kind != billing.LineAddon || l.SourceKey != "addon:9" || !l.UnitPrice.Equal(tt.addon.Price) || l.Validate() != nil {
				t.Errorf("%s: line %+v", tt.name, l)
			}
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
