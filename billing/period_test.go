package billing_test

import (
	"testing"

	"github.com/billingd/billingd/billing"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		months int // 0 means an error is expected
	}{
		{"monthly", 1},
		{"bimonthly", 2},
		{"quarterly", 3},
		{"semiannual", 6},
		{"annual", 12},
		{"", 0},
		{"Monthly", 0},
		{"weekly", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			p, err := billing.ParsePeriod(tt.in)
			if tt.months == 0 {
				if err == nil {
					t.Fatalf("ParsePeriod(%q) = %q, want an error", tt.in, p)
				}
				if p.Months() != 0 {
					t.Errorf("Months of the zero period = %d, want 0", p.Months())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tt.in, err)
			}
			if p.Months() != tt.months {
				t.Errorf("%s.Months() = %d, want %d", p, p.Months(), tt.months)
			}
		})
	}
}
