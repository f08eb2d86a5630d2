package forecast

import (
	"strings"
	"testing"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

// row is one forecast installment as a line: due date, source, kind, term, sequence,
// amount, discount, on-time discount and its lines' kinds and amounts.
func row(it Installment) string {
	var lines []string
	for _, l := range it.Lines {
		lines = append(lines, l.Kind+" "+billing.FormatMoney(l.Amount))
	}
	return strings.Join([]string{billing.FormatDate(it.DueDate), it.Source, string(it.Kind),
		"term " + string(rune('0'+it.Term)), "seq " + itoa(it.Sequence), billing.FormatMoney(it.Amount),
		"-" + billing.FormatMoney(it.Discount), "on time -" + billing.FormatMoney(it.OnTimeDiscount), "[" + strings.Join(lines, ", ") + "]"}, " ")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// TestComputeRowsWithAdhesion: every installment of a forecast with an adhesion fee of
// 60.00 in two parts, worked out by hand: the parts due on the adhesion day (2026-01-10)
// and a month later, 30.00 each with no discount, no on-time discount and one adhesion
// line; the recurring ones on day 10, 100.00 less the fixed 10.00, with the on-time 5.00.
// On equal dates the adhesion part comes first.
func TestComputeRowsWithAdhesion(t *testing.T) {
	t.Parallel()
	b := basis()
	b.Generation.AdhesionFee, b.Generation.AdhesionInstallments = money("60.00"), 2
	f, err := Compute(b, day("2026-01-10"), day("2026-03-31"), thresholds, billing.NewCalendar())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range f.Installments {
		got = append(got, row(it))
	}
	want := []string{
		"2026-01-10 generation adhesion term 1 seq 1 30.00 -0.00 on time -0.00 [adhesion 30.00]",
		"2026-01-10 generation recurring term 1 seq 1 100.00 -10.00 on time -5.00 [plan 100.00, discount -10.00]",
		"2026-02-10 generation adhesion term 1 seq 2 30.00 -0.00 on time -0.00 [adhesion 30.00]",
		"2026-02-10 generation recurring term 1 seq 2 100.00 -10.00 on time -5.00 [plan 100.00, discount -10.00]",
		"2026-03-10 generation recurring term 1 seq 3 100.00 -10.00 on time -5.00 [plan 100.00, discount -10.00]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("installments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.From != day("2026-01-10") || f.Until != day("2026-03-31") {
		t.Errorf("from %s until %s, want 2026-01-10 until 2026-03-31", billing.FormatDate(f.From), billing.FormatDate(f.Until))
	}
}

// TestComputeRenewalWhole: the renewal of term 1 in full — queued on the 9th due date
// (2026-09-10, three left), renewed on the 10th (2026-10-10, two left), into term 2 at the
// plan's 120.00, that term serving 2027-01-10 to 2028-01-09 — and its first installment:
// sequence 13, due 2027-01-10, 120.00 less 10.00, on time 5.00, from renewal.
func TestComputeRenewalWhole(t *testing.T) {
	t.Parallel()
	f, err := Compute(basis(), day("2026-01-10"), day("2027-01-10"), thresholds, billing.NewCalendar())
	if err != nil {
		t.Fatal(err)
	}
	want := Renewal{Term: 1, QueuedOn: day("2026-09-10"), RenewedOn: day("2026-10-10"), NewTerm: 2, Price: money("120.00"), TermEnd: day("2028-01-09")}
	if len(f.Renewals) != 1 || f.Renewals[0].Term != want.Term || f.Renewals[0].QueuedOn != want.QueuedOn || f.Renewals[0].RenewedOn != want.RenewedOn ||
		f.Renewals[0].NewTerm != want.NewTerm || !f.Renewals[0].Price.Equal(want.Price) || f.Renewals[0].TermEnd != want.TermEnd {
		t.Fatalf("renewals %+v, want [%+v]", f.Renewals, want)
	}
	if len(f.Installments) != 13 {
		t.Fatalf("%d installments, want 13", len(f.Installments))
	}
	if got, want := row(f.Installments[12]), "2027-01-10 renewal recurring term 2 seq 13 120.00 -10.00 on time -5.00 [plan 120.00, discount -10.00]"; got != want {
		t.Errorf("last installment %s, want %s", got, want)
	}
}

// TestComputeNotAutomatic: why a forecast has no renewals, for each reason the renewal
// rules give.
func TestComputeNotAutomatic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		change  func(*Basis)
		stopped string
	}{
		{"cancelled", func(b *Basis) {
			b.Generation.Status, b.Renewal.Status = billing.StatusCancelled, billing.StatusCancelled
		}, "it is cancelled"},
		{"finished", func(b *Basis) { b.Generation.Status, b.Renewal.Status = billing.StatusFinished, billing.StatusFinished }, "it is finished"},
		{"ignore_auto_renewal", func(b *Basis) { b.Renewal.IgnoreAutoRenewal = true }, "ignore_auto_renewal is set: only an operator renews it"},
		{"a package's contract", func(b *Basis) { b.Renewal.Package = true }, NotePackageRenewal},
		{"term not generated: activated after until", func(b *Basis) { b.Generation.ActivationDate = day("2027-06-10") },
			"the installments of its term 1 are not generated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := basis()
			tc.change(&b)
			f, err := Compute(b, day("2026-01-10"), day("2027-03-31"), thresholds, billing.NewCalendar())
			if err != nil {
				t.Fatal(err)
			}
			if f.RenewalStopped != tc.stopped || len(f.Renewals) != 0 {
				t.Errorf("renewals %+v, stopped %q; want none, %q", f.Renewals, f.RenewalStopped, tc.stopped)
			}
		})
	}
}

// TestQuotasAnchors: a contract without billing anchors its periods at its activation day;
// a billed one with nothing settled at its earliest installment's due date, moved to the
// forecast's first day when that is later.
func TestQuotasAnchors(t *testing.T) {
	t.Parallel()
	grant := []Grant{{BenefitID: 1, Name: "Visita", Terms: benefits.Terms{Quantity: 1, Period: billing.Monthly, GraceDays: 30}}}
	for _, tc := range []struct {
		name   string
		change func(*Basis)
		want   string
	}{
		{"no billing: from the activation day 2026-01-10", func(b *Basis) {
			b.Generation.BillingMethod, b.Renewal.BillingMethod = billing.BillNone, billing.BillNone
		}, "2026-02-10..2026-03-09 from 2026-02-09, 2026-03-10..2026-04-09 from 2026-02-09"},
		{"nothing settled: the first due date 2026-01-10, moved to 2026-02-15", nil,
			"2026-02-15..2026-03-14 from 2026-03-17, 2026-03-15..2026-04-14 from 2026-03-17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := basis()
			b.Grants = grant
			if tc.change != nil {
				tc.change(&b)
			}
			f, err := Compute(b, day("2026-02-15"), day("2026-03-31"), renewal.Thresholds{Queue: 3, Renewal: 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range f.Quotas {
				if q.BenefitID != 1 || q.Name != "Visita" || q.Granted != 1 {
					t.Errorf("quota %+v, want benefit 1 Visita, 1 use", q)
				}
				got = append(got, billing.FormatDate(q.PeriodStart)+".."+billing.FormatDate(q.PeriodEnd)+" from "+billing.FormatDate(q.AvailableFrom))
			}
			if strings.Join(got, ", ") != tc.want {
				t.Errorf("quotas %q, want %q", strings.Join(got, ", "), tc.want)
			}
		})
	}
}
