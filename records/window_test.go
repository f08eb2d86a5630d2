package records_test

import (
	"errors"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// TestCheckAsOf pins the window `billingd run` and POST /v1/runs share: on 2026-11-25 with
// 31 catch-up days, 2026-10-25 through 2026-11-25 run without force.
func TestCheckAsOf(t *testing.T) {
	t.Parallel()
	today, err := billing.ParseDate("2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		asOf, err string
	}{
		{"2026-11-25", ""},
		{"2026-10-25", ""},
		{"2026-11-01", ""},
		{"2026-11-26", "outside the run window: 2026-11-26 is in the future (today is 2026-11-25)"},
		{"2027-11-25", "outside the run window: 2027-11-25 is in the future (today is 2026-11-25)"},
		{"2026-10-24", "outside the run window: 2026-10-24 is before 2026-10-25, the first date of the catch-up window (BILLINGD_CATCHUP_DAYS=31)"},
	}
	for _, tt := range tests {
		asOf, err := billing.ParseDate(tt.asOf)
		if err != nil {
			t.Fatal(err)
		}
		got := records.CheckAsOf(asOf, today, 31)
		switch {
		case tt.err == "" && got != nil:
			t.Errorf("%s: %v, want no error", tt.asOf, got)
		case tt.err != "" && (got == nil || got.Error() != tt.err || !errors.Is(got, records.ErrOutsideWindow)):
			t.Errorf("%s: %v, want %q", tt.asOf, got, tt.err)
		}
	}
}
