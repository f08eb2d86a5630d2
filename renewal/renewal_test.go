package renewal_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

// erp are the thresholds of the source ERP (seed 002), billingd's default settings:
// queued with 3 open installments, renewed with 2.
var erp = renewal.Thresholds{Queue: 3, Renewal: 2}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		open int
		t    renewal.Thresholds
		want renewal.Step
	}{
		{12, erp, renewal.Nothing},
		{4, erp, renewal.Nothing},
		{3, erp, renewal.Queue},
		{2, erp, renewal.Renew},
		{0, erp, renewal.Renew},
		{1, renewal.Thresholds{Queue: 1, Renewal: 1}, renewal.Renew},
		{1, renewal.Thresholds{Queue: 1, Renewal: 0}, renewal.Queue},
	}
	for _, tt := range tests {
		if got := renewal.Decide(tt.open, tt.t); got != tt.want {
			t.Errorf("Decide(%d, %+v) = %d, want %d", tt.open, tt.t, got, tt.want)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		t       renewal.Thresholds
		perTerm int
		field   string // "" for valid
	}{
		{"defaults", erp, 12, ""},
		{"equal", renewal.Thresholds{Queue: 2, Renewal: 2}, 12, ""},
		{"zero", renewal.Thresholds{}, 1, ""},
		{"negative queue", renewal.Thresholds{Queue: -1}, 12, renewal.FieldQueue},
		{"negative renewal", renewal.Thresholds{Queue: 1, Renewal: -1}, 12, renewal.FieldRenewal},
		{"renewal above queue", renewal.Thresholds{Queue: 2, Renewal: 3}, 12, renewal.FieldRenewal},
		{"queue not below the term", renewal.Thresholds{Queue: 12, Renewal: 2}, 12, renewal.FieldQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.t.ValidateFor(tt.perTerm)
			var fe *billing.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Errorf("error %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

func TestThresholdsFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		perTerm int
		want    renewal.Thresholds
	}{
		{12, erp},
		{4, erp},
		{3, renewal.Thresholds{Queue: 2, Renewal: 2}},
		{2, renewal.Thresholds{Queue: 1, Renewal: 1}},
		{1, renewal.Thresholds{}},
	}
	for _, tt := range tests {
		if got := erp.For(tt.perTerm); got != tt.want {
			t.Errorf("For(%d) = %+v, want %+v", tt.perTerm, got, tt.want)
		}
		// A fresh term is never due.
		if got := renewal.Decide(tt.perTerm, erp.For(tt.perTerm)); got != renewal.Nothing {
			t.Errorf("fresh term of %d: step %d, want nothing", tt.perTerm, got)
		}
	}
}

func TestPrice(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	suggested := d("109.90")
	tests := []struct {
		name      string
		mode      string
		suggested *decimal.Decimal
		discount  string
		want      string
		field     string
	}{
		{"plan price", billing.RenewAtPlanPrice, &suggested, "0", "119.90", ""},
		{"suggested", billing.RenewAtSuggested, &suggested, "0", "109.90", ""},
		{"suggested missing", billing.RenewAtSuggested, nil, "0", "", "suggested_price"},
		{"unknown mode", "cheapest", nil, "0", "", "renewal_price_mode"},
		{"discounts exceed", billing.RenewAtSuggested, &suggested, "105.00", "", "price"},
		{"discounts equal", billing.RenewAtSuggested, &suggested, "104.90", "109.90", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := renewal.Price(tt.mode, d("119.90"), tt.suggested, d(tt.discount), d("5.00"))
			var fe *billing.FieldError
			if tt.field != "" {
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("error %v, want a field error on %s", err, tt.field)
				}
				return
			}
			if err != nil || billing.FormatMoney(got) != tt.want {
				t.Fatalf("Price = %s, %v; want %s", billing.FormatMoney(got), err, tt.want)
			}
		})
	}
}

func TestManualRefusal(t *testing.T) {
	t.Parallel()
	ok := renewal.Contract{Status: billing.StatusActive, BillingMethod: billing.BillPerInstallment, TermNumber: 1, GeneratedTerm: 1}
	tests := []struct {
		name   string
		change func(*renewal.Contract)
		refuse bool
		auto   bool
	}{
		{"active", func(*renewal.Contract) {}, false, false},
		{"active with auto renewal", func(c *renewal.Contract) { c.AutoRenew = true }, false, true},
		{"blocked", func(c *renewal.Contract) { c.Status = billing.StatusBlocked; c.AutoRenew = true }, false, true},
		{"ignore automatic renewal", func(c *renewal.Contract) { c.AutoRenew, c.IgnoreAutoRenewal = true, true }, false, false},
		{"cancelled", func(c *renewal.Contract) { c.Status = billing.StatusCancelled }, true, false},
		{"finished", func(c *renewal.Contract) { c.Status = billing.StatusFinished }, true, false},
		{"pending activation", func(c *renewal.Contract) { c.Status = billing.StatusPendingActivation }, true, false},
		{"no billing", func(c *renewal.Contract) { c.BillingMethod = billing.BillNone }, true, false},
		{"term not generated", func(c *renewal.Contract) { c.GeneratedTerm = 0; c.AutoRenew = true }, true, false},
		{"already renewed", func(c *renewal.Contract) { c.TermNumber, c.GeneratedTerm, c.RenewedIntoCurrent = 2, 2, true }, true, false},
		{"renewed term now queued", func(c *renewal.Contract) {
			c.TermNumber, c.GeneratedTerm, c.RenewedIntoCurrent, c.QueuedForCurrent = 2, 2, true, true
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.change(&c)
			if got := c.ManualRefusal(); (got != "") != tt.refuse {
				t.Errorf("ManualRefusal() = %q, want refused %t", got, tt.refuse)
			}
			if got := c.Automatic(); got != tt.auto {
				t.Errorf("Automatic() = %t, want %t", got, tt.auto)
			}
		})
	}
}

func TestNextTermContinuesSequenceAndRule(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	spec := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Period("monthly"),
		Start: start, PerTerm: 12, Price: decimal.RequireFromString("119.90")}
	items, end, err := renewal.NextTerm(spec, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 12 || items[0].Sequence != 13 || items[11].Sequence != 24 || items[0].Term != 2 {
		t.Fatalf("items %+v", items)
	}
	if got := billing.FormatDate(items[0].NominalDue); got != "2027-02-10" {
		t.Errorf("first due %s, want 2027-02-10", got)
	}
	if got := billing.FormatDate(items[0].ServiceStart); got != "2027-01-15" {
		t.Errorf("first service start %s, want 2027-01-15", got)
	}
	if got := billing.FormatDate(end); got != "2028-01-14" {
		t.Errorf("term end %s, want 2028-01-14", got)
	}
}
