package billing_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
)

// row renders an installment as "seq term start..end due nominal→effective".
func row(in billing.ScheduledInstallment) string {
	d := fmtDates(in.ServiceStart, in.ServiceEnd, in.NominalDue, in.EffectiveDue)
	return fmt.Sprintf("%d t%d %s..%s due %s→%s", in.Sequence, in.Term, d[0], d[1], d[2], d[3])
}

func rows(ins []billing.ScheduledInstallment) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = row(in)
	}
	return out
}

var nationalCalendar = billing.NewCalendar()

func TestRecurringTerm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec billing.RecurringSpec
		term int
		want []string
	}{
		{
			// Seed 004: activated 01/06, paid that day, service until 31/07;
			// pays on 15/07 for service until 31/08.
			name: "seed 004 prepaid, day 15",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 15}, Period: billing.Monthly, Start: day("2026-06-01"), PerTerm: 4},
			term: 1,
			want: []string{
				"1 t1 2026-06-01..2026-07-31 due 2026-06-01→2026-06-01",
				"2 t1 2026-08-01..2026-08-31 due 2026-07-15→2026-07-15",
				"3 t1 2026-09-01..2026-09-30 due 2026-08-15→2026-08-17",
				"4 t1 2026-10-01..2026-10-31 due 2026-09-15→2026-09-15",
			},
		},
		{
			name: "prepaid quarterly, day 31, term 2",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 31, Shift: billing.ShiftNone}, Period: billing.Quarterly, Start: day("2026-01-20"), PerTerm: 2},
			term: 2,
			want: []string{
				"3 t2 2026-08-01..2026-10-31 due 2026-07-31→2026-07-31",
				"4 t2 2026-11-01..2027-01-31 due 2026-10-31→2026-10-31",
			},
		},
		{
			name: "fixed day 31, Jan–Apr 2026",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 31}, Period: billing.Monthly, Start: day("2026-01-01"), PerTerm: 4},
			term: 1,
			want: []string{
				"1 t1 2026-01-01..2026-01-31 due 2026-01-31→2026-02-02",
				"2 t1 2026-02-01..2026-02-28 due 2026-02-28→2026-03-02",
				"3 t1 2026-03-01..2026-03-31 due 2026-03-31→2026-03-31",
				"4 t1 2026-04-01..2026-04-30 due 2026-04-30→2026-04-30",
			},
		},
		{
			name: "fixed day 31, Jan–Mar 2028 (leap year), previous",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 31, Shift: billing.ShiftPrevious}, Period: billing.Monthly, Start: day("2028-01-01"), PerTerm: 3},
			term: 1,
			want: []string{
				"1 t1 2028-01-01..2028-01-31 due 2028-01-31→2028-01-31",
				"2 t1 2028-02-01..2028-02-29 due 2028-02-29→2028-02-25", // Carnival Mon 28 + Tue 29 Feb 2028
				"3 t1 2028-03-01..2028-03-31 due 2028-03-31→2028-03-31",
			},
		},
		{
			name: "fixed day 31, mid-month activation",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 31, Shift: billing.ShiftNone}, Period: billing.Monthly, Start: day("2026-01-15"), PerTerm: 3},
			term: 1,
			want: []string{
				"1 t1 2026-01-15..2026-02-14 due 2026-01-31→2026-01-31",
				"2 t1 2026-02-15..2026-03-14 due 2026-02-28→2026-02-28",
				"3 t1 2026-03-15..2026-04-14 due 2026-03-31→2026-03-31",
			},
		},
		{
			name: "fixed day before the activation day falls in the next month",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly, Start: day("2026-01-20"), PerTerm: 3},
			term: 1,
			want: []string{
				"1 t1 2026-01-20..2026-02-19 due 2026-02-10→2026-02-10",
				"2 t1 2026-02-20..2026-03-19 due 2026-03-10→2026-03-10",
				"3 t1 2026-03-20..2026-04-19 due 2026-04-10→2026-04-10",
			},
		},
		{
			name: "monthly fixed day 10, term 2 continues with sequences 13..24",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly, Start: day("2026-01-05"), PerTerm: 12},
			term: 2,
			want: []string{
				"13 t2 2027-01-05..2027-02-04 due 2027-01-10→2027-01-11",
				"14 t2 2027-02-05..2027-03-04 due 2027-02-10→2027-02-10",
				"15 t2 2027-03-05..2027-04-04 due 2027-03-10→2027-03-10",
				"16 t2 2027-04-05..2027-05-04 due 2027-04-10→2027-04-12",
				"17 t2 2027-05-05..2027-06-04 due 2027-05-10→2027-05-10",
				"18 t2 2027-06-05..2027-07-04 due 2027-06-10→2027-06-10",
				"19 t2 2027-07-05..2027-08-04 due 2027-07-10→2027-07-12",
				"20 t2 2027-08-05..2027-09-04 due 2027-08-10→2027-08-10",
				"21 t2 2027-09-05..2027-10-04 due 2027-09-10→2027-09-10",
				"22 t2 2027-10-05..2027-11-04 due 2027-10-10→2027-10-11",
				"23 t2 2027-11-05..2027-12-04 due 2027-11-10→2027-11-10",
				"24 t2 2027-12-05..2028-01-04 due 2027-12-10→2027-12-10",
			},
		},
		{
			name: "quarterly anniversary on the 31st, term 2",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.Anniversary}, Period: billing.Quarterly, Start: day("2026-01-31"), PerTerm: 4},
			term: 2,
			want: []string{
				"5 t2 2027-01-31..2027-04-29 due 2027-01-31→2027-02-01",
				"6 t2 2027-04-30..2027-07-30 due 2027-04-30→2027-04-30",
				"7 t2 2027-07-31..2027-10-30 due 2027-07-31→2027-08-02",
				"8 t2 2027-10-31..2028-01-30 due 2027-10-31→2027-11-01",
			},
		},
		{
			name: "quarterly fixed day 10, term 2",
			spec: billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Quarterly, Start: day("2026-01-05"), PerTerm: 4},
			term: 2,
			want: []string{
				"5 t2 2027-01-05..2027-04-04 due 2027-01-10→2027-01-11",
				"6 t2 2027-04-05..2027-07-04 due 2027-04-10→2027-04-12",
				"7 t2 2027-07-05..2027-10-04 due 2027-07-10→2027-07-12",
				"8 t2 2027-10-05..2028-01-04 due 2027-10-10→2027-10-11",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.spec.Price = money("99.90")
			tt.spec.Discount = money("5.00")
			got := billing.RecurringTerm(tt.spec, tt.term, nationalCalendar)
			if g := rows(got); !slices.Equal(g, tt.want) {
				t.Fatalf("RecurringTerm:\n got %s\nwant %s", strings.Join(g, "\n     "), strings.Join(tt.want, "\n     "))
			}
			for _, in := range got {
				if in.Kind != billing.Recurring || billing.FormatMoney(in.Amount) != "99.90" || billing.FormatMoney(in.Discount) != "5.00" {
					t.Errorf("installment %d: kind %q amount %s discount %s", in.Sequence, in.Kind, in.Amount, in.Discount)
				}
			}
		})
	}
}

func TestRecurringTermInvalid(t *testing.T) {
	t.Parallel()
	good := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.FixedDay, Day: 10}, Period: billing.Monthly, Start: day("2026-01-05"), PerTerm: 12}
	tests := []struct {
		name string
		edit func(*billing.RecurringSpec)
		term int
	}{
		{"term 0", func(*billing.RecurringSpec) {}, 0},
		{"no installments per term", func(s *billing.RecurringSpec) { s.PerTerm = 0 }, 1},
		{"unknown period", func(s *billing.RecurringSpec) { s.Period = "weekly" }, 1},
		{"unknown kind", func(s *billing.RecurringSpec) { s.Rule.Kind = "x" }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := good
			tt.edit(&spec)
			if got := billing.RecurringTerm(spec, tt.term, nationalCalendar); got != nil {
				t.Errorf("RecurringTerm = %v, want nil", rows(got))
			}
		})
	}
}

func TestAdhesionInstallments(t *testing.T) {
	t.Parallel()
	got, err := billing.AdhesionInstallments(money("100.00"), 3, day("2026-01-31"), billing.ShiftNext, nationalCalendar)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 t1 -..- due 2026-01-31→2026-02-02 33.34",
		"2 t1 -..- due 2026-02-28→2026-03-02 33.33",
		"3 t1 -..- due 2026-03-31→2026-03-31 33.33",
	}
	var g []string
	for _, in := range got {
		g = append(g, row(in)+" "+billing.FormatMoney(in.Amount))
		if in.Kind != billing.Adhesion || !in.Discount.IsZero() {
			t.Errorf("installment %d: kind %q discount %s", in.Sequence, in.Kind, in.Discount)
		}
	}
	if !slices.Equal(g, want) {
		t.Errorf("AdhesionInstallments:\n got %q\nwant %q", g, want)
	}
}

func TestAdhesionInstallmentsEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fee     string
		n       int
		wantErr string // "" means nil, nil
	}{
		{"no installments", "100.00", 0, ""},
		{"zero fee", "0", 3, ""},
		{"negative count", "100.00", -1, "adhesion fee: split into -1 parts"},
		{"negative fee", "-10.00", 2, "adhesion fee: split -10: total must not be negative"},
		{"fraction of a cent", "10.005", 2, "at most two decimal places"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := billing.AdhesionInstallments(money(tt.fee), tt.n, day("2026-03-10"), billing.ShiftNext, nationalCalendar)
			if got != nil {
				t.Errorf("installments = %v, want nil", rows(got))
			}
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestPaidThrough(t *testing.T) {
	t.Parallel()
	spec := billing.RecurringSpec{Rule: billing.DueDateRule{Kind: billing.PrepaidFixedDay, Day: 15}, Period: billing.Monthly, Start: day("2026-06-01"), PerTerm: 12, Price: money("99.90")}
	sched := billing.RecurringTerm(spec, 1, nationalCalendar)
	states := func(paid ...int) []billing.PaidState {
		var out []billing.PaidState
		for i := len(sched) - 1; i >= 0; i-- { // reverse order on purpose
			out = append(out, billing.PaidState{Sequence: sched[i].Sequence, ServiceEnd: sched[i].ServiceEnd, Paid: slices.Contains(paid, sched[i].Sequence)})
		}
		return out
	}
	tests := []struct {
		name string
		in   []billing.PaidState
		want string // "" means false
	}{
		{"nothing paid", states(), ""},
		{"first paid (seed: usable until 31/07)", states(1), "2026-07-31"},
		{"first and second paid (seed: until 31/08)", states(1, 2), "2026-08-31"},
		{"gap at 2", states(1, 3, 4), "2026-07-31"},
		{"only later ones paid", states(2, 3), ""},
		{"empty", nil, ""},
		{"duplicate sequence, one row paid", []billing.PaidState{
			{Sequence: 1, ServiceEnd: day("2026-07-31")},
			{Sequence: 1, ServiceEnd: day("2026-07-31"), Paid: true},
			{Sequence: 2, ServiceEnd: day("2026-08-31"), Paid: true},
		}, "2026-08-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := billing.PaidThrough(tt.in)
			switch {
			case tt.want == "" && (ok || !got.IsZero()):
				t.Errorf("PaidThrough = %s, %v; want false", billing.FormatDate(got), ok)
			case tt.want != "" && (!ok || !got.Equal(day(tt.want))):
				t.Errorf("PaidThrough = %s, %v; want %s", billing.FormatDate(got), ok, tt.want)
			}
		})
	}
}
