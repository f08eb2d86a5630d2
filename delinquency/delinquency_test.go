package delinquency_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

func d(s string) time.Time {
	t, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return billing.FormatDate(t)
}

var rule = delinquency.Rule{Name: "r", BlockAfterDays: 10, MinOverdue: 1, WarningDays: 3}

func TestRuleValidateNamesTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rule  delinquency.Rule
		field string
	}{
		{"ok", rule, ""},
		{"no name", delinquency.Rule{BlockAfterDays: 10, MinOverdue: 1}, "name"},
		{"zero days", delinquency.Rule{Name: "x", MinOverdue: 1}, "block_after_days"},
		{"366 days", delinquency.Rule{Name: "x", BlockAfterDays: 366, MinOverdue: 1}, "block_after_days"},
		{"zero installments", delinquency.Rule{Name: "x", BlockAfterDays: 5}, "min_overdue_installments"},
		{"warning as long as the wait", delinquency.Rule{Name: "x", BlockAfterDays: 5, MinOverdue: 1, WarningDays: 5}, "warning_days"},
		{"negative warning", delinquency.Rule{Name: "x", BlockAfterDays: 5, MinOverdue: 1, WarningDays: -1}, "warning_days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.rule.Validate()
			var fe *billing.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Fatalf("error %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

func TestBlockOf(t *testing.T) {
	t.Parallel()
	rec := func(id int64, seq int, due, start string) delinquency.Installment {
		return delinquency.Installment{ID: id, Kind: billing.Recurring, Sequence: seq, Due: d(due), ServiceStart: d(start)}
	}
	tests := []struct {
		name     string
		rule     delinquency.Rule
		prepaid  bool
		open     []delinquency.Installment
		on, warn string
		trigger  int64
		none     bool
	}{
		{"ten days after the due date, warned three before", rule, false,
			[]delinquency.Installment{rec(2, 2, "2026-04-10", "2026-04-01"), rec(1, 1, "2026-03-10", "2026-03-01")},
			"2026-03-20", "2026-03-17", 1, false},
		{"nothing open", rule, false, nil, "", "", 0, true},
		{"two overdue needed: the second one's date", delinquency.Rule{Name: "k", BlockAfterDays: 5, MinOverdue: 2, WarningDays: 2}, false,
			[]delinquency.Installment{rec(1, 1, "2026-03-10", "2026-03-01"), rec(2, 2, "2026-04-10", "2026-04-01")},
			"2026-04-15", "2026-04-13", 2, false},
		{"two overdue needed, one open", delinquency.Rule{Name: "k", BlockAfterDays: 5, MinOverdue: 2}, false,
			[]delinquency.Installment{rec(1, 1, "2026-03-10", "2026-03-01")}, "", "", 0, true},
		{"no warning", delinquency.Rule{Name: "n", BlockAfterDays: 1, MinOverdue: 1}, false,
			[]delinquency.Installment{rec(1, 1, "2026-03-10", "2026-03-01")}, "2026-03-11", "", 1, false},
		// Seed 004: activated 2026-06-01 and paid, due day 15; the July installment pays
		// August; unpaid, the contract is blocked the day after paid_through 2026-07-31.
		{"prepaid: the day after paid_through", rule, true,
			[]delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-01"), rec(3, 3, "2026-08-15", "2026-09-01")},
			"2026-08-01", "2026-07-29", 2, false},
		{"prepaid: due on the 31st, warned the day after", rule, true,
			[]delinquency.Installment{rec(2, 2, "2026-07-31", "2026-08-01")}, "2026-08-01", "", 2, false},
		{"prepaid: first installment unpaid follows the days", rule, true,
			[]delinquency.Installment{rec(1, 1, "2026-06-01", "2026-06-01")}, "2026-06-11", "2026-06-08", 1, false},
		{"prepaid: an older adhesion installment blocks first", rule, true,
			[]delinquency.Installment{rec(2, 2, "2026-07-15", "2026-08-01"),
				{ID: 9, Kind: billing.Adhesion, Sequence: 1, Due: d("2026-07-01")}},
			"2026-07-11", "2026-07-08", 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ok := delinquency.BlockOf(tt.rule, tt.prepaid, tt.open)
			if ok == tt.none {
				t.Fatalf("ok %v, want %v", ok, !tt.none)
			}
			if got := fmtDate(b.On); got != tt.on {
				t.Errorf("block on %s, want %s", got, tt.on)
			}
			if got := fmtDate(b.WarnOn); got != tt.warn {
				t.Errorf("warn on %s, want %s", got, tt.warn)
			}
			if b.Trigger.ID != tt.trigger {
				t.Errorf("trigger %d, want %d", b.Trigger.ID, tt.trigger)
			}
		})
	}
}

// TestPrepaidBlockIsTheDayAfterPaidThrough checks the prepaid block date against
// billing.PaidThrough on the seed 004 schedule.
func TestPrepaidBlockIsTheDayAfterPaidThrough(t *testing.T) {
	t.Parallel()
	spec := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 15},
		Period: billing.Monthly, Start: d("2026-06-01"), PerTerm: 12, Price: decimal.RequireFromString("50")}
	sched := billing.RecurringTerm(spec, 1, nil)
	for paid := 1; paid < 6; paid++ {
		var states []billing.PaidState
		var open []delinquency.Installment
		for i, it := range sched {
			states = append(states, billing.PaidState{Sequence: it.Sequence, ServiceEnd: it.ServiceEnd, Paid: i < paid})
			if i >= paid {
				open = append(open, delinquency.Installment{ID: int64(i + 1), Kind: it.Kind, Sequence: it.Sequence,
					Due: it.EffectiveDue, ServiceStart: it.ServiceStart})
			}
		}
		through, _ := billing.PaidThrough(states)
		b, ok := delinquency.BlockOf(rule, true, open)
		if !ok || !b.On.Equal(through.AddDate(0, 0, 1)) {
			t.Errorf("%d paid: block on %s, want the day after paid_through %s", paid, fmtDate(b.On), fmtDate(through))
		}
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	open := []delinquency.Installment{{ID: 1, Kind: billing.Recurring, Sequence: 1, Due: d("2026-03-10")}}
	blocked := &delinquency.Episode{ID: 7, StartedOn: d("2026-03-20"), Blocked: true}
	// Trust-unlocked on 2026-03-26 for 3 days: served through 03-29.
	until, err := delinquency.TrustUntil(d("2026-03-26"), 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	trusted := &delinquency.Episode{ID: 7, StartedOn: d("2026-03-20"), TrustUntil: until}
	// Opened by a run as of 2027-03-20, a year ahead (a typo in the year, forced).
	future := &delinquency.Episode{ID: 8, StartedOn: d("2027-03-20"), Blocked: true}
	futureTrusted := &delinquency.Episode{ID: 8, StartedOn: d("2027-03-20"), TrustUntil: d("2026-03-31")}
	tests := []struct {
		name        string
		episode     *delinquency.Episode
		open        []delinquency.Installment
		asOf, today string
		want        delinquency.Action
	}{
		{"before the warning", nil, open, "2026-03-16", "2026-03-16", delinquency.None},
		{"warning day", nil, open, "2026-03-17", "2026-03-17", delinquency.Warn},
		{"day before the block", nil, open, "2026-03-19", "2026-03-19", delinquency.Warn},
		{"block day", nil, open, "2026-03-20", "2026-03-20", delinquency.BlockNow},
		{"blocked stays blocked", blocked, open, "2026-03-21", "2026-03-21", delinquency.None},
		{"blocked, paid: unblocked", blocked, nil, "2026-03-21", "2026-03-21", delinquency.Unblock},
		{"blocked, rerun for an earlier date", blocked, nil, "2026-03-19", "2026-03-21", delinquency.None},
		{"blocked today, rerun for yesterday", blocked, nil, "2026-03-19", "2026-03-20", delinquency.None},
		{"trust granted", trusted, open, "2026-03-26", "2026-03-26", delinquency.None},
		{"trust last day", trusted, open, "2026-03-29", "2026-03-29", delinquency.None},
		{"trust over, unpaid", trusted, open, "2026-03-30", "2026-03-30", delinquency.Reblock},
		{"trust over, paid", trusted, nil, "2026-03-30", "2026-03-30", delinquency.Unblock},
		// A block opened by a run for a date not reached yet is undone by a run for today
		// when the contract is not delinquent as of today...
		{"future block, not delinquent today", future, open, "2026-03-15", "2026-03-15", delinquency.Unblock},
		{"future block, nothing open", future, nil, "2026-03-15", "2026-03-15", delinquency.Unblock},
		{"future block, rerun for an earlier date", future, nil, "2026-03-10", "2026-03-15", delinquency.Unblock},
		// ...and starts as of today's run when it is.
		{"future block, delinquent today", future, open, "2026-03-25", "2026-03-25", delinquency.Restart},
		{"future block, delinquent before today", future, open, "2026-03-22", "2026-03-25", delinquency.Restart},
		// A future block under a trust unlock is closed if the rule no longer holds (as any
		// trust-unlocked one whose rule no longer holds), else left to its unlock.
		{"future block trust-unlocked, not delinquent", futureTrusted, nil, "2026-03-15", "2026-03-15", delinquency.Unblock},
		{"future block trust-unlocked, delinquent", futureTrusted, open, "2026-03-25", "2026-03-25", delinquency.None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := delinquency.Decide(delinquency.State{Rule: rule, Episode: tt.episode, Open: tt.open}, d(tt.asOf), d(tt.today))
			if got.Action != tt.want {
				t.Fatalf("action %q, want %q", got.Action, tt.want)
			}
		})
	}
}

func TestTrustUntil(t *testing.T) {
	t.Parallel()
	// Granted on the 26th for 3 days: served the 26th and the 3 days after it, through the
	// 29th; blocked again as of the 30th if still unpaid.
	tests := []struct {
		on, want string
		days     int
	}{
		{"2026-03-26", "2026-03-29", 3},
		{"2026-03-26", "2026-03-27", 1},
		{"2026-03-30", "2026-04-06", 7},
		{"2026-12-30", "2027-01-02", 3},
	}
	for _, tt := range tests {
		if got, err := delinquency.TrustUntil(d(tt.on), tt.days, 7); err != nil || fmtDate(got) != tt.want {
			t.Errorf("%d days from %s: %s %v, want %s", tt.days, tt.on, fmtDate(got), err, tt.want)
		}
	}
	for _, days := range []int{0, 8, -1} {
		var fe *billing.FieldError
		if _, err := delinquency.TrustUntil(d("2026-03-22"), days, 7); !errors.As(err, &fe) || fe.Field != "days" {
			t.Errorf("%d days: %v, want a field error on days", days, err)
		}
	}
}
