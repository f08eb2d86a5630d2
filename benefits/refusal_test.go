package benefits

import (
	"errors"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

// TestRefusalMessages checks the words of each refusal that carries numbers or dates, as
// the API returns them (Error is the reason, a colon and the message). Worked out by hand:
// settled on 10 Jan with 30 grace days, the grace period is 10 Jan … 8 Feb; 10 granted and
// 9 used leave 1; a period ending on 9 Feb starts afresh on 10 Feb.
func TestRefusalMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *Refusal
		want string
	}{
		{"grace", Check(UseState{Granted: true, BenefitActive: true, Terms: Terms{Quantity: 1, Period: billing.Monthly, GraceDays: 30},
			Settled: day("2026-01-10"), UsedAt: day("2026-01-20")}),
			"in_grace: in the grace period of 30 days from the settlement of the first charge on 2026-01-10, until 2026-02-08"},
		{"nothing settled", Check(UseState{Granted: true, BenefitActive: true, Terms: Terms{GraceDays: 15}, UsedAt: day("2026-01-20")}),
			"in_grace: the contract's first charge is not settled yet; the grace period of 15 days counts from its settlement"},
		{"period quota", CheckQuota(10, 9, 2, day("2026-02-09")),
			"quota_exhausted: 1 of the period's 10 uses are left, 2 asked; the quota starts afresh on 2026-02-10"},
		{"package quota", CheckQuota(4, 1, 4, time.Time{}),
			"quota_exhausted: 3 of the package cycle's 4 uses are left, 4 asked"},
		{"overdue", Check(UseState{Granted: true, BenefitActive: true, Settled: day("2026-01-10"), OverdueSince: day("2026-03-10"),
			UsedAt: day("2026-03-20")}),
			"delinquent: the contract has an installment overdue since 2026-03-10"},
		{"paused", Check(UseState{Granted: true, BenefitActive: true, Settled: day("2026-01-10"),
			PausedFrom: day("2026-03-01"), PausedUntil: day("2026-03-31"), UsedAt: day("2026-03-20")}),
			"paused: the contract is paused from 2026-03-01 to 2026-03-31: its benefits are suspended with it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.r == nil {
				t.Fatalf("not refused, want %q", tt.want)
			}
			if got := tt.r.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

// TestCheckQuotaBoundary checks that a use taking the last units of a quota is allowed and
// one unit more is refused, for a period and for a package cycle.
func TestCheckQuotaBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		granted, used, quantity int
		periodEnd               time.Time
		refused                 bool
	}{
		{"period, all that is left", 10, 7, 3, day("2026-02-09"), false},
		{"period, one more", 10, 7, 4, day("2026-02-09"), true},
		{"package, all that is left", 4, 0, 4, time.Time{}, false},
		{"package, one more", 4, 0, 5, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckQuota(tt.granted, tt.used, tt.quantity, tt.periodEnd); (got != nil) != tt.refused {
				t.Errorf("CheckQuota(%d, %d, %d) = %v, want refused %t", tt.granted, tt.used, tt.quantity, got, tt.refused)
			}
		})
	}
}

// TestCheckPauseAndHealthGate checks the reasons between the block and the grace period:
// a pause refuses uses from its first to its last day inclusive; a health-gated contract
// is refused as delinquent from DelinquentFrom on, whatever OverdueSince says, while any
// other contract is refused from OverdueSince.
func TestCheckPauseAndHealthGate(t *testing.T) {
	t.Parallel()
	base := UseState{Granted: true, BenefitActive: true, Terms: Terms{Quantity: 5, Period: billing.Monthly}, Settled: day("2026-01-10"),
		UsedAt: day("2026-05-10")}
	tests := []struct {
		name   string
		change func(*UseState)
		reason Reason
	}{
		{"pause starts on the day", func(s *UseState) { s.PausedFrom, s.PausedUntil = day("2026-05-10"), day("2026-05-20") }, Paused},
		{"pause ends on the day", func(s *UseState) { s.PausedFrom, s.PausedUntil = day("2026-05-01"), day("2026-05-10") }, Paused},
		{"pause starts the day after", func(s *UseState) { s.PausedFrom, s.PausedUntil = day("2026-05-11"), day("2026-05-20") }, ""},
		{"pause ended the day before", func(s *UseState) { s.PausedFrom, s.PausedUntil = day("2026-05-01"), day("2026-05-09") }, ""},
		{"health: delinquent from the day", func(s *UseState) {
			s.HealthGated, s.DelinquentFrom, s.DaysInDefault = true, day("2026-05-10"), 61
		}, Delinquent},
		{"health: delinquent from the day after", func(s *UseState) {
			s.HealthGated, s.DelinquentFrom, s.DaysInDefault, s.OverdueSince = true, day("2026-05-11"), 60, day("2026-03-10")
		}, ""},
		{"health: overdue alone is not delinquent", func(s *UseState) { s.HealthGated, s.OverdueSince = true, day("2026-03-10") }, ""},
		{"not health: overdue is delinquent", func(s *UseState) { s.OverdueSince = day("2026-05-09") }, Delinquent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			tt.change(&s)
			r := Check(s)
			switch {
			case tt.reason == "" && r != nil:
				t.Errorf("refused: %v", r)
			case tt.reason != "" && (r == nil || r.Reason != tt.reason):
				t.Errorf("got %v, want %s", r, tt.reason)
			}
		})
	}
}

// TestPeriodAtClampedStartAfterTheDay checks a day that falls in the month of a period's
// start but before it, because the anchor's day is clamped: anchored on 31 Jan, monthly,
// 27 Feb is still in the first period (31 Jan–27 Feb), the next starting on 28 Feb.
func TestPeriodAtClampedStartAfterTheDay(t *testing.T) {
	t.Parallel()
	start, end := PeriodAt(day("2026-01-31"), billing.Monthly, day("2026-02-27"))
	if got := billing.FormatDate(start) + " " + billing.FormatDate(end); got != "2026-01-31 2026-02-27" {
		t.Errorf("PeriodAt = %s, want 2026-01-31 2026-02-27", got)
	}
}

// checkField fails t unless err is a billing.FieldError on field, or nil when field is "".
func checkField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *billing.FieldError
	switch {
	case field == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case field != "" && (!errors.As(err, &fe) || fe.Field != field):
		t.Errorf("error %v, want a field error on %s", err, field)
	}
}
