package billing_test

import (
	"testing"

	"github.com/billingd/billingd/billing"
)

func TestDueDateRuleValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule billing.DueDateRule
		want string // "" means valid
	}{
		{"fixed day 1", billing.DueDateRule{Kind: billing.FixedDay, Day: 1}, ""},
		{"fixed day 31 previous", billing.DueDateRule{Kind: billing.FixedDay, Day: 31, Shift: billing.ShiftPrevious}, ""},
		{"prepaid day 15", billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 15, Shift: billing.ShiftNone}, ""},
		{"anniversary", billing.DueDateRule{Kind: billing.Anniversary}, ""},
		{"fixed day 0", billing.DueDateRule{Kind: billing.FixedDay}, "due_date_rule.day: must be between 1 and 31, got 0"},
		{"fixed day 32", billing.DueDateRule{Kind: billing.FixedDay, Day: 32}, "due_date_rule.day: must be between 1 and 31, got 32"},
		{"prepaid day -1", billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: -1}, "due_date_rule.day: must be between 1 and 31, got -1"},
		{"unknown kind", billing.DueDateRule{Kind: "x", Day: 5}, `due_date_rule.kind: unknown kind "x" (want fixed_day, anniversary or prepaid_fixed_day)`},
		{"missing kind", billing.DueDateRule{}, "due_date_rule.kind: is required (want fixed_day, anniversary or prepaid_fixed_day)"},
		{"anniversary with day", billing.DueDateRule{Kind: billing.Anniversary, Day: 10}, "due_date_rule.day: must be omitted for kind anniversary (the due day is the activation day), got 10"},
		{"unknown shift", billing.DueDateRule{Kind: billing.FixedDay, Day: 10, Shift: "later"}, `due_date_rule.shift: unknown shift "later" (want next, previous or none)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.rule.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDueDateRuleEffectiveShift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want billing.Shift
	}{
		{"", billing.ShiftNext},
		{billing.ShiftNext, billing.ShiftNext},
		{billing.ShiftPrevious, billing.ShiftPrevious},
		{billing.ShiftNone, billing.ShiftNone},
	}
	for _, tt := range tests {
		t.Run(string(tt.in), func(t *testing.T) {
			t.Parallel()
			r := billing.DueDateRule{Kind: billing.FixedDay, Day: 10, Shift: tt.in}
			if got := r.EffectiveShift(); got != tt.want {
				t.Errorf("EffectiveShift() = %q, want %q", got, tt.want)
			}
		})
	}
}
