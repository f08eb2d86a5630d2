package billing

// DueRuleKind names how a contract's due dates are computed.
type DueRuleKind string

// The due-date rule kinds.
const (
	// FixedDay is due on a fixed day of the month (1–31, clamped to shorter months).
	FixedDay DueRuleKind = "fixed_day"
	// Anniversary is due on the activation day of each period.
	Anniversary DueRuleKind = "anniversary"
	// PrepaidFixedDay is due on activation, then on a fixed day, each payment buying service to the end of the following period.
	PrepaidFixedDay DueRuleKind = "prepaid_fixed_day"
)

// DueDateRule is a contract's due-date rule as stored in JSON.
type DueDateRule struct {
	Kind  DueRuleKind `json:"kind"`            // how due dates are computed
	Day   int         `json:"day,omitempty"`   // the fixed day (1–31); 0 for anniversary
	Shift Shift       `json:"shift,omitempty"` // non-business-day shift; empty means next
}

// Validate checks the rule and returns the first problem as a *FieldError naming its JSON
// field path, so the API answers it with a 422.
func (r DueDateRule) Validate() error {
	switch r.Kind {
	case FixedDay, PrepaidFixedDay:
		if r.Day < 1 || r.Day > 31 {
			return Fieldf("due_date_rule.day", "must be between 1 and 31, got %d", r.Day)
		}
	case Anniversary:
		if r.Day != 0 {
			return Fieldf("due_date_rule.day", "must be omitted for kind anniversary (the due day is the activation day), got %d", r.Day)
		}
	case "":
		return Fieldf("due_date_rule.kind", "is required (want fixed_day, anniversary or prepaid_fixed_day)")
	default:
		return Fieldf("due_date_rule.kind", "unknown kind %q (want fixed_day, anniversary or prepaid_fixed_day)", clip(string(r.Kind)))
	}
	if r.Shift != "" {
		if _, err := ParseShift(string(r.Shift)); err != nil {
			return Fieldf("due_date_rule.shift", "%v", err)
		}
	}
	return nil
}

// EffectiveShift returns the rule's shift, with the empty shift meaning ShiftNext.
func (r DueDateRule) EffectiveShift() Shift {
	if r.Shift == "" {
		return ShiftNext
	}
	return r.Shift
}
