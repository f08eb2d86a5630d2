package delinquency_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
)

// rec is an open recurring installment of a test table.
func rec(id int64, seq int, due, start string) delinquency.Installment {
	in := delinquency.Installment{ID: id, Kind: billing.Recurring, Sequence: seq, Due: d(due)}
	if start != "" {
		in.ServiceStart = d(start)
	}
	return in
}

// intp points at n, for the settings the API leaves out or gives.
func intp(n int) *int { return &n }

// decideAsOf runs Decide as the sweep does for the date it runs (today is the as-of date):
// the one call to change if Decide's signature changes.
func decideAsOf(s delinquency.State, asOf time.Time) delinquency.Decision {
	return delinquency.Decide(s, asOf, asOf)
}

// overdueBy keeps the installments due before asOf, as the block-delinquent sweep reads them.
func overdueBy(open []delinquency.Installment, asOf time.Time) []delinquency.Installment {
	var out []delinquency.Installment
	for _, in := range open {
		if in.Due.Before(asOf) {
			out = append(out, in)
		}
	}
	return out
}

// TestLadderFromRuleKeepsTheDates proves that the generic ladder LadderFromRule makes of a
// blocking rule warns (debt_notice) and blocks (suspension) on exactly the days Decide
// does, for rules with and without a warning, one or more installments, prepaid or not,
// on every day around the dates; the ladder sees every open installment, Decide only
// those due before the date, as the sweep reads them.
func TestLadderFromRuleKeepsTheDates(t *testing.T) {
	t.Parallel()
	sets := map[string][]delinquency.Installment{
		"one":               {rec(1, 1, "2026-03-10", "2026-03-01")},
		"two a month apart": {rec(2, 2, "2026-04-10", "2026-04-01"), rec(1, 1, "2026-03-10", "2026-03-01")},
		"three":             {rec(1, 1, "2026-01-31", "2026-01-01"), rec(2, 2, "2026-02-28", "2026-02-01"), rec(3, 3, "2026-03-31", "2026-03-01")},
		"prepaid seed 004":  {rec(2, 2, "2026-07-15", "2026-08-01"), rec(3, 3, "2026-08-15", "2026-09-01")},
		"prepaid due 31st":  {rec(2, 2, "2026-07-31", "2026-08-01")},
		"prepaid first":     {rec(1, 1, "2026-06-01", "2026-06-01")},
		"prepaid adhesion": {rec(2, 2, "2026-07-15", "2026-08-01"),
			{ID: 9, Kind: billing.Adhesion, Sequence: 1, Due: d("2026-07-01")}},
	}
	var rules []delinquency.Rule
	for _, b := range []int{1, 2, 3, 10, 30} {
		for _, w := range []int{0, 1, 3, b - 1} {
			for _, k := range []int{1, 2, 3} {
				r := delinquency.Rule{Name: "r", BlockAfterDays: b, MinOverdue: k, WarningDays: w}
				if r.Validate() == nil {
					rules = append(rules, r)
				}
			}
		}
	}
	for name, open := range sets {
		for _, prepaid := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s prepaid=%v", name, prepaid), func(t *testing.T) {
				t.Parallel()
				checked := map[string]int{}
				for _, r := range rules {
					l := delinquency.LadderFromRule(r)
					if err := l.Validate(); err != nil {
						t.Fatalf("rule %+v: ladder %+v refused: %v", r, l, err)
					}
					from, to := d("2026-01-20"), d("2026-10-15")
					for on := from; !on.After(to); on = on.AddDate(0, 0, 1) {
						dec := decideAsOf(delinquency.State{Rule: r, Prepaid: prepaid, Open: overdueBy(open, on)}, on)
						p := delinquency.PositionAt(delinquency.LadderState{Ladder: l, Prepaid: prepaid, Open: open}, on)
						var want []delinquency.StepKind
						switch dec.Action {
						case delinquency.Warn:
							want = []delinquency.StepKind{delinquency.StepDebtNotice}
						case delinquency.BlockNow:
							want = []delinquency.StepKind{delinquency.StepSuspension}
						default:
							want = []delinquency.StepKind{delinquency.StepNone, delinquency.StepOverdue}
						}
						if !slicesContains(want, p.Step) {
							t.Fatalf("rule %+v on %s: Decide %q, ladder at %s (%s)", r, fmtDate(on), dec.Action, p.Step, p.Reason)
						}
						checked[string(dec.Action)]++
						if b, ok := delinquency.BlockOf(r, prepaid, open); ok {
							if !p.SuspensionOn.Equal(b.On) || !p.NoticeOn.Equal(b.WarnOn) {
								t.Fatalf("rule %+v: ladder suspends %s warns %s, the rule blocks %s warns %s",
									r, fmtDate(p.SuspensionOn), fmtDate(p.NoticeOn), fmtDate(b.On), fmtDate(b.WarnOn))
							}
						}
					}
				}
				if checked["block"] == 0 || (checked["warn"] == 0 && name != "prepaid due 31st") {
					t.Errorf("the dates never reached a warning or a block: %v", checked)
				}
			})
		}
	}
}

// TestLadderFromRuleDecidesEpisodesAsDecide runs TestDecide's cases with an open block
// episode through DecideLadder: the same unblocks, re-blocks and nothing-to-dos.
func TestLadderFromRuleDecidesEpisodesAsDecide(t *testing.T) {
	t.Parallel()
	open := []delinquency.Installment{{ID: 1, Kind: billing.Recurring, Sequence: 1, Due: d("2026-03-10")}}
	blocked := &delinquency.Episode{ID: 7, StartedOn: d("2026-03-20"), Blocked: true}
	trusted := &delinquency.Episode{ID: 7, StartedOn: d("2026-03-20"), TrustUntil: d("2026-03-24")}
	tests := []struct {
		name    string
		episode *delinquency.Episode
		open    []delinquency.Installment
		asOf    string
		move    delinquency.Move
	}{
		{"blocked stays blocked", blocked, open, "2026-03-21", delinquency.MoveNone},
		{"blocked, paid: unblocked", blocked, nil, "2026-03-21", delinquency.MoveRestore},
		{"blocked, rerun for an earlier date", blocked, nil, "2026-03-19", delinquency.MoveNone},
		{"trust last day", trusted, open, "2026-03-24", delinquency.MoveNone},
		{"trust over, unpaid", trusted, open, "2026-03-25", delinquency.MoveSuspend},
		{"trust over, paid", trusted, nil, "2026-03-25", delinquency.MoveRestore},
	}
	want := map[delinquency.Action]delinquency.Move{
		delinquency.None: delinquency.MoveNone, delinquency.Unblock: delinquency.MoveRestore, delinquency.Reblock: delinquency.MoveSuspend,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A rerun for an earlier date runs on a day after the block started (today is
			// never before the episode's start: Decide would take it for a future run's block).
			today := d(tt.asOf)
			if today.Before(tt.episode.StartedOn) {
				today = tt.episode.StartedOn
			}
			dec := delinquency.Decide(delinquency.State{Rule: rule, Episode: tt.episode, Open: tt.open}, d(tt.asOf), today)
			s := delinquency.LadderState{Ladder: delinquency.LadderFromRule(rule), Open: tt.open,
				Step: delinquency.StepSuspension, StepSince: tt.episode.StartedOn, Suspended: tt.episode.Blocked,
				TrustUntil: tt.episode.TrustUntil}
			if tt.episode.Blocked {
				s.SuspendedSince = tt.episode.StartedOn
			}
			got := delinquency.DecideLadder(s, d(tt.asOf))
			if got.Move != tt.move || want[dec.Action] != tt.move {
				t.Fatalf("ladder %q, Decide %q, want %q (%s)", got.Move, dec.Action, tt.move, got.Position.Reason)
			}
		})
	}
}

func TestLadderFromRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule                    delinquency.Rule
		notice, suspension, min int
		steps                   string
	}{
		{delinquency.Rule{Name: "default", BlockAfterDays: 10, MinOverdue: 1, WarningDays: 3}, 7, 3, 1,
			"debt_notice 7 due_date, suspension 3 notice_due"},
		{delinquency.Rule{Name: "no warning", BlockAfterDays: 5, MinOverdue: 2}, 0, 5, 2, "suspension 5 due_date"},
	}
	for _, tt := range tests {
		l := delinquency.LadderFromRule(tt.rule)
		if l.Profile != delinquency.Generic || l.NoticeDays != tt.notice || l.SuspensionDays != tt.suspension || l.MinOverdue != tt.min ||
			l.PartialSuspensionDays != 0 || l.TerminationDays != 0 || len(l.ReminderDays) != 0 {
			t.Errorf("%s: %+v", tt.rule.Name, l)
		}
		var steps []string
		for _, s := range l.Steps() {
			steps = append(steps, fmt.Sprintf("%s %d %s", s.Kind, s.Days, s.From))
		}
		if got := strings.Join(steps, ", "); got != tt.steps {
			t.Errorf("%s: steps %s, want %s", tt.rule.Name, got, tt.steps)
		}
	}
	if got := delinquency.LadderFromRule(rule); got.String() != "generic ladder from 1 overdue installment(s): debt_notice 7 days after the due date; suspension 3 days after the debt notice is due" {
		t.Errorf("described as %q", got.String())
	}
}

func TestNewLadderFillsAndRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings delinquency.LadderSettings
		want     string // the steps, when accepted
		field    string // the field refused
		mentions string
	}{
		{"generic defaults: migration 005's rule", delinquency.LadderSettings{}, "N7 P0 S3 T0 K1 R[]", "", ""},
		{"telecom defaults", delinquency.LadderSettings{Profile: "telecom_rgc765"}, "N5 P0 S15 T75 K1 R[]", "", ""},
		{"health defaults", delinquency.LadderSettings{Profile: "health_9656"}, "N10 P0 S10 T0 K1 R[]", "", ""},
		{"telecom with reminders and the RGC 632 commercial ladder",
			delinquency.LadderSettings{Profile: "telecom_rgc765", ReminderDays: []int{5, 1}, PartialSuspensionDays: intp(15), SuspensionDays: intp(45), TerminationDays: intp(75)},
			"N5 P15 S45 T75 K1 R[5 1]", "", ""},
		{"generic without a notice", delinquency.LadderSettings{NoticeDays: intp(0), SuspensionDays: intp(10)}, "N0 P0 S10 T0 K1 R[]", "", ""},
		{"generic with a termination", delinquency.LadderSettings{TerminationDays: intp(30)}, "N7 P0 S3 T30 K1 R[]", "", ""},
		{"unknown profile", delinquency.LadderSettings{Profile: "telecom"}, "", "profile", "unknown profile"},
		{"telecom suspension 14 days after the notice", delinquency.LadderSettings{Profile: "telecom_rgc765", SuspensionDays: intp(14)},
			"", "suspension_after_days", "Resolução 765/2023 art. 70"},
		{"telecom without a notice", delinquency.LadderSettings{Profile: "telecom_rgc765", NoticeDays: intp(0)},
			"", "notice_after_days", "a debt notice must precede any suspension"},
		{"telecom partial suspension 10 days after the notice", delinquency.LadderSettings{Profile: "telecom_rgc765", PartialSuspensionDays: intp(10), SuspensionDays: intp(45)},
			"", "partial_suspension_after_days", "at least 15 days"},
		{"telecom termination 74 days after the notice", delinquency.LadderSettings{Profile: "telecom_rgc765", TerminationDays: intp(74)},
			"", "termination_after_days", "at least 75 days after the debt notice"},
		{"telecom termination 60 days after a partial suspension on day 20", delinquency.LadderSettings{Profile: "telecom_rgc765", PartialSuspensionDays: intp(20), SuspensionDays: intp(45), TerminationDays: intp(79)},
			"", "termination_after_days", "at least 80"},
		{"health notice after the 50th day", delinquency.LadderSettings{Profile: "health_9656", NoticeDays: intp(51)},
			"", "notice_after_days", "by the 50th day of default"},
		{"health partial suspension", delinquency.LadderSettings{Profile: "health_9656", PartialSuspensionDays: intp(5)},
			"", "partial_suspension_after_days", "never partially"},
		{"no installments", delinquency.LadderSettings{MinOverdue: intp(0)}, "", "min_overdue_installments", "between 1 and 120"},
		{"reminders smallest first", delinquency.LadderSettings{ReminderDays: []int{1, 5}}, "", "reminder_days", "largest first"},
		{"a reminder 61 days before", delinquency.LadderSettings{ReminderDays: []int{61}}, "", "reminder_days", "1 to 60"},
		{"partial after the suspension", delinquency.LadderSettings{PartialSuspensionDays: intp(3)}, "", "partial_suspension_after_days", "before the total one"},
		{"termination before the suspension", delinquency.LadderSettings{TerminationDays: intp(2)}, "", "termination_after_days", "after the suspension"},
		{"suspension a year and a day after the due date", delinquency.LadderSettings{NoticeDays: intp(300), SuspensionDays: intp(66)}, "", "suspension_after_days", "at most 365"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := delinquency.NewLadder(tt.settings)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				got := fmt.Sprintf("N%d P%d S%d T%d K%d R%v", l.NoticeDays, l.PartialSuspensionDays, l.SuspensionDays, l.TerminationDays, l.MinOverdue, l.ReminderDays)
				if got != tt.want {
					t.Errorf("ladder %s, want %s", got, tt.want)
				}
				return
			}
			var fe *billing.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Reason, tt.mentions) {
				t.Fatalf("error %v, want a field error on %s mentioning %q", err, tt.field, tt.mentions)
			}
		})
	}
}

func TestProfileRefusesContractsAndLateRules(t *testing.T) {
	t.Parallel()
	telecom, _ := delinquency.ProfileOf("telecom_rgc765")
	health, _ := delinquency.ProfileOf("health_9656")
	generic, _ := delinquency.ProfileOf("")
	var fe *billing.FieldError
	if err := telecom.CheckContract(false); !errors.As(err, &fe) || fe.Field != "inactivity_discount" || !strings.Contains(fe.Reason, "suspended days are not charged") {
		t.Errorf("telecom without the inactivity discount: %v", err)
	}
	for _, p := range []delinquency.Profile{telecom, health, generic} {
		if err := p.CheckContract(true); err != nil {
			t.Errorf("%s with the inactivity discount: %v", p.Name, err)
		}
	}
	if err := generic.CheckContract(false); err != nil || health.CheckContract(false) != nil {
		t.Errorf("generic or health without the inactivity discount refused: %v", err)
	}
	late := func(fine, interest string) billing.LateRule {
		return billing.LateRule{FinePercent: decimal.RequireFromString(fine), MonthlyInterestPercent: decimal.RequireFromString(interest)}
	}
	if err := telecom.CheckLateRule(late("2.00", "1.01")); !errors.As(err, &fe) || fe.Field != "monthly_interest_percent" || !strings.Contains(fe.Reason, "art. 78") {
		t.Errorf("telecom at 1.01%% a month: %v", err)
	}
	if err := telecom.CheckLateRule(late("2.00", "1.00")); err != nil {
		t.Errorf("telecom at 2%% and 1%%: %v", err)
	}
	if err := generic.CheckLateRule(late("2.01", "1.00")); !errors.As(err, &fe) || fe.Field != "late_fine_percent" {
		t.Errorf("a 2.01%% fine: %v", err)
	}
	if err := generic.CheckLateRule(late("2.00", "5.00")); err != nil {
		t.Errorf("generic at 5%% a month: %v", err)
	}
}

func TestRequiresSentNoticeIsTheProfiles(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{"generic": false, "telecom_rgc765": true, "health_9656": true} {
		p, err := delinquency.ProfileOf(name)
		if err != nil || p.RequiresSentNotice != want {
			t.Errorf("%s: requires a sent notice %v (%v), want %v", name, p.RequiresSentNotice, err, want)
		}
	}
}

func TestParseStepKind(t *testing.T) {
	t.Parallel()
	for _, k := range delinquency.StepKinds {
		if got, err := delinquency.ParseStepKind(string(k)); err != nil || got != k {
			t.Errorf("%s: %v %v", k, got, err)
		}
	}
	if _, err := delinquency.ParseStepKind("blocked"); err == nil {
		t.Error("blocked parsed")
	}
}

func slicesContains(ks []delinquency.StepKind, k delinquency.StepKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
