package billing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
)

// TestSubjectNormalize: a subject's own fields, per kind, as of 2026-07-20; a refusal names
// the field and says why, and an accepted subject is stored in its normal form.
func TestSubjectNormalize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 201)
	tests := []struct {
		name      string
		in        billing.Subject
		wantField string
		wantIn    string // a word of the reason
		want      billing.Subject
	}{
		{"person with a CPF", billing.Subject{Kind: "person", Name: "  Maria Souza ", Document: "529.982.247-25",
			BirthDate: day("1980-05-12"), PlanID: 3}, "", "",
			billing.Subject{Kind: "person", Name: "Maria Souza", Document: "52998224725", BirthDate: day("1980-05-12"), PlanID: 3}},
		{"person with a CNPJ, born today", billing.Subject{Kind: "person", Name: "Souza Ltda", Document: "11.222.333/0001-81",
			BirthDate: day("2026-07-20"), PlanID: 1}, "", "",
			billing.Subject{Kind: "person", Name: "Souza Ltda", Document: "11222333000181", BirthDate: day("2026-07-20"), PlanID: 1}},
		{"pet", billing.Subject{Kind: "pet", Name: "Rex", Species: " dog ", PlanID: 2}, "", "",
			billing.Subject{Kind: "pet", Name: "Rex", Species: "dog", PlanID: 2}},
		{"old plate", billing.Subject{Kind: "vehicle", Plate: "abc-1234", Model: "Fiat Uno", PlanID: 2}, "", "",
			billing.Subject{Kind: "vehicle", Plate: "ABC1234", Model: "Fiat Uno", PlanID: 2}},
		{"Mercosul plate", billing.Subject{Kind: "vehicle", Plate: "ABC 1D23", Model: " Gol ", PlanID: 2}, "", "",
			billing.Subject{Kind: "vehicle", Plate: "ABC1D23", Model: "Gol", PlanID: 2}},
		{"name of 200 characters", billing.Subject{Kind: "pet", Name: long[:200], Species: "cat", PlanID: 2}, "", "",
			billing.Subject{Kind: "pet", Name: long[:200], Species: "cat", PlanID: 2}},
		{"unknown kind", billing.Subject{Kind: "boat", PlanID: 1}, "kind", "boat", billing.Subject{}},
		{"no kind", billing.Subject{PlanID: 1}, "kind", "want one of", billing.Subject{}},
		{"person without a name", billing.Subject{Kind: "person", Document: "529.982.247-25", PlanID: 1}, "name", "required", billing.Subject{}},
		{"person without a document", billing.Subject{Kind: "person", Name: "Maria", PlanID: 1}, "document", "required", billing.Subject{}},
		{"wrong check digit", billing.Subject{Kind: "person", Name: "Maria", Document: "529.982.247-26", PlanID: 1}, "document", "check digit", billing.Subject{}},
		{"born tomorrow", billing.Subject{Kind: "person", Name: "Maria", Document: "52998224725", BirthDate: day("2026-07-21"),
			PlanID: 1}, "birth_date", "2026-07-21 is after today (2026-07-20)", billing.Subject{}},
		{"person with a species", billing.Subject{Kind: "person", Name: "Maria", Document: "52998224725", Species: "dog",
			PlanID: 1}, "species", "a person has no species", billing.Subject{}},
		{"pet without a species", billing.Subject{Kind: "pet", Name: "Rex", PlanID: 1}, "species", "required for a pet", billing.Subject{}},
		{"pet without a name", billing.Subject{Kind: "pet", Species: "dog", PlanID: 1}, "name", "required for a pet", billing.Subject{}},
		{"pet with a document", billing.Subject{Kind: "pet", Name: "Rex", Species: "dog", Document: "52998224725", PlanID: 1},
			"document", "a pet has no document", billing.Subject{}},
		{"pet with a birth date", billing.Subject{Kind: "pet", Name: "Rex", Species: "dog", BirthDate: day("2020-01-01"), PlanID: 1},
			"birth_date", "a pet has no birth_date", billing.Subject{}},
		{"vehicle without a plate", billing.Subject{Kind: "vehicle", Model: "Gol", PlanID: 1}, "plate", "required for a vehicle", billing.Subject{}},
		{"vehicle without a model", billing.Subject{Kind: "vehicle", Plate: "ABC1234", PlanID: 1}, "model", "required for a vehicle", billing.Subject{}},
		{"vehicle with a name", billing.Subject{Kind: "vehicle", Plate: "ABC1234", Model: "Gol", Name: "Fusca", PlanID: 1},
			"name", "a vehicle has no name", billing.Subject{}},
		{"plate too short", billing.Subject{Kind: "vehicle", Plate: "AB1234", Model: "Gol", PlanID: 1}, "plate", "Brazilian plate", billing.Subject{}},
		{"plate letter at the end", billing.Subject{Kind: "vehicle", Plate: "ABC123D", Model: "Gol", PlanID: 1}, "plate", "ABC123D", billing.Subject{}},
		{"name of 201 characters", billing.Subject{Kind: "pet", Name: long, Species: "cat", PlanID: 1}, "name", "at most 200 characters, got 201", billing.Subject{}},
		{"species of 201 characters", billing.Subject{Kind: "pet", Name: "Rex", Species: long, PlanID: 1}, "species", "got 201", billing.Subject{}},
		{"model of 201 characters", billing.Subject{Kind: "vehicle", Plate: "ABC1234", Model: long, PlanID: 1}, "model", "got 201", billing.Subject{}},
		{"no plan", billing.Subject{Kind: "pet", Name: "Rex", Species: "dog"}, "plan_id", "required", billing.Subject{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.in
			err := got.Normalize(day("2026-07-20"))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Kind != tt.want.Kind || got.Name != tt.want.Name || got.Document != tt.want.Document ||
					!got.BirthDate.Equal(tt.want.BirthDate) || got.Species != tt.want.Species || got.Plate != tt.want.Plate ||
					got.Model != tt.want.Model || got.PlanID != tt.want.PlanID {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			var fe *billing.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField || !strings.Contains(fe.Reason, tt.wantIn) {
				t.Errorf("got %v, want a refusal of %s saying %q", err, tt.wantField, tt.wantIn)
			}
		})
	}
}

// TestSubjectLineDescription: the words of a subject's subject_plan line, per kind.
func TestSubjectLineDescription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   billing.Subject
		plan string
		want string
	}{
		{billing.Subject{Kind: "person", Name: "Maria Souza", Document: "52998224725"}, "Essencial",
			"person Maria Souza (CPF 52998224725): plan Essencial"},
		{billing.Subject{Kind: "person", Name: "Souza Ltda", Document: "11222333000181"}, "Empresa",
			"person Souza Ltda (CNPJ 11222333000181): plan Empresa"},
		{billing.Subject{Kind: "pet", Name: "Rex", Species: "dog"}, "Banho", "pet Rex (dog): plan Banho"},
		{billing.Subject{Kind: "vehicle", Plate: "ABC1D23", Model: "Fiat Uno"}, "Guincho", "vehicle ABC1D23 (Fiat Uno): plan Guincho"},
	}
	for _, tt := range tests {
		if got := billing.SubjectLineDescription(tt.in, tt.plan); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if got := billing.SubjectSourceKey(42); got != "subject:42" {
		t.Errorf("source key %q, want subject:42", got)
	}
}

// TestSubjectCovers: a subject is billed a whole period's line when it started on or before
// the period's first day and had not ended by it (ended_on is the first day not covered).
func TestSubjectCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		started, ended, periodStart string
		want                        bool
	}{
		{"2026-07-20", "", "2026-08-01", true},
		{"2026-08-01", "", "2026-08-01", true},
		{"2026-08-02", "", "2026-08-01", false},
		{"2026-07-20", "2026-08-02", "2026-08-01", true},
		{"2026-07-20", "2026-08-01", "2026-08-01", false},
		{"2026-07-20", "2026-07-31", "2026-08-01", false},
	}
	for _, tt := range tests {
		s := billing.Subject{StartedOn: day(tt.started)}
		if tt.ended != "" {
			s.EndedOn = day(tt.ended)
		}
		if got := billing.SubjectCovers(s, day(tt.periodStart)); got != tt.want {
			t.Errorf("started %s ended %q, period from %s: %v, want %v", tt.started, tt.ended, tt.periodStart, got, tt.want)
		}
	}
}

// TestSubjectProrationLine: a subject added or ended inside a period (2026-08-01 to
// 2026-08-31, 31 days) is prorated like a plan change from no plan to its own, or back:
// the days from the day to the period's end at its price, half-up to the cent.
func TestSubjectProrationLine(t *testing.T) {
	t.Parallel()
	s := billing.Subject{ID: 7, Price: money("19.90"), LineDescription: "pet Rex (dog): plan Banho"}
	tests := []struct {
		name     string
		starting bool
		on       string
		price    string
		wantOK   bool
		want     string // amount × days: source key: description
	}{
		{"added on the 16th", true, "2026-08-16", "19.90", true,
			"10.27 × 16: subject:7:start:2026-08-01: pet Rex (dog): plan Banho added on 2026-08-16: 16 days of 31 at 19.90"},
		{"ended on the 16th", false, "2026-08-16", "19.90", true,
			"-10.27 × 16: subject:7:end:2026-08-01: pet Rex (dog): plan Banho ended on 2026-08-16: 16 days of 31 at 19.90"},
		{"added on the last day", true, "2026-08-31", "19.90", true,
			"0.64 × 1: subject:7:start:2026-08-01: pet Rex (dog): plan Banho added on 2026-08-31: 1 days of 31 at 19.90"},
		{"added on the second day", true, "2026-08-02", "31.00", true,
			"30.00 × 30: subject:7:start:2026-08-01: pet Rex (dog): plan Banho added on 2026-08-02: 30 days of 31 at 31.00"},
		{"added on the first day: the whole line says it", true, "2026-08-01", "19.90", false, ""},
		{"ended on the first day", false, "2026-08-01", "19.90", false, ""},
		{"after the period", true, "2026-09-01", "19.90", false, ""},
		{"before the period", true, "2026-07-31", "19.90", false, ""},
		{"a free plan prorates nothing", true, "2026-08-16", "0.00", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := s
			sub.Price = money(tt.price)
			l, ok := billing.SubjectProrationLine(sub, tt.starting, day(tt.on), day("2026-08-01"), day("2026-08-31"))
			if ok != tt.wantOK {
				t.Fatalf("ok %v, want %v (%+v)", ok, tt.wantOK, l)
			}
			if !ok {
				return
			}
			got := billing.FormatMoney(l.Amount) + " × " + l.Quantity.String() + ": " + l.SourceKey + ": " + l.Description
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if l.Kind != billing.LineProration || l.UnitPrice != nil {
				t.Errorf("kind %s unit price %v, want proration without a unit price", l.Kind, l.UnitPrice)
			}
			if err := l.Validate(); err != nil {
				t.Errorf("the line breaks its own rules: %v", err)
			}
		})
	}
}

// TestSubjectLines: a scheduled recurring installment gets one subject_plan line per subject
// covering its first day, in the order given; an adhesion installment or a package cycle
// none.
func TestSubjectLines(t *testing.T) {
	t.Parallel()
	subjects := []billing.Subject{
		{ID: 1, Price: money("19.90"), LineDescription: "person Maria", StartedOn: day("2026-07-20")},
		{ID: 2, Price: money("29.90"), LineDescription: "person João", StartedOn: day("2026-07-20"), EndedOn: day("2026-08-16")},
		{ID: 3, Price: money("39.90"), LineDescription: "vehicle ABC1D23", StartedOn: day("2026-08-16")},
	}
	recurring := func(start, end string) billing.ScheduledInstallment {
		it := billing.ScheduledInstallment{Kind: billing.Recurring, ServiceStart: day(start)}
		if end != "" {
			it.ServiceEnd = day(end)
		}
		return it
	}
	tests := []struct {
		name string
		it   billing.ScheduledInstallment
		want []string
	}{
		{"August: Maria and João", recurring("2026-08-01", "2026-08-31"),
			[]string{"subject:1 19.90 at 19.90: person Maria", "subject:2 29.90 at 29.90: person João"}},
		{"September: Maria and the vehicle", recurring("2026-09-01", "2026-09-30"),
			[]string{"subject:1 19.90 at 19.90: person Maria", "subject:3 39.90 at 39.90: vehicle ABC1D23"}},
		{"July: none yet", recurring("2026-07-01", "2026-07-31"), nil},
		{"a package cycle", recurring("2026-09-01", ""), nil},
		{"an adhesion installment", billing.ScheduledInstallment{Kind: billing.Adhesion, ServiceStart: day("2026-09-01"),
			ServiceEnd: day("2026-09-30")}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range billing.SubjectLines(subjects, tt.it) {
			if l.Kind != billing.LineSubjectPlan || !l.Quantity.Equal(money("1")) {
				t.Errorf("%s: line %+v, want a subject_plan of quantity 1", tt.name, l)
			}
			got = append(got, l.SourceKey+" "+billing.FormatMoney(l.Amount)+" at "+billing.FormatMoney(*l.UnitPrice)+": "+l.Description)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
