package billing

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Kinds of subject a contract covers (issue 19 item 1).
const (
	// SubjectPerson is a beneficiary: a name, a CPF or CNPJ and, for a CPF, a birth date.
	SubjectPerson = "person"
	// SubjectPet is a pet: a name and a species.
	SubjectPet = "pet"
	// SubjectVehicle is a vehicle: a plate and a model.
	SubjectVehicle = "vehicle"
)

// SubjectKinds are the kinds of subject, in the order documents list them.
var SubjectKinds = []string{SubjectPerson, SubjectPet, SubjectVehicle}

// MaxSubjectText is the longest name, species or model a subject takes, in characters.
const MaxSubjectText = 200

// platePattern is a Brazilian plate without its dash: the old ABC1234 or the Mercosul ABC1D23.
var platePattern = regexp.MustCompile(`^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$`)

// Subject is one subject a contract covers, on its own plan: a person, a pet or a vehicle.
// It is covered from StartedOn (included) to EndedOn (excluded; zero while covered).
type Subject struct {
	ID, ContractID int64
	Kind           string
	Name           string
	// Document is a person's CPF or CNPJ, digits only once validated.
	Document  string
	BirthDate time.Time
	Species   string
	Plate     string
	Model     string
	PlanID    int64
	// Price is the subject's plan's price when it was added.
	Price decimal.Decimal
	// LineDescription is the words of the subject's subject_plan lines.
	LineDescription string
	StartedOn       time.Time
	EndedOn         time.Time
}

// Normalize checks a new subject's own fields as of today and puts them in their stored
// form: the document's digits, the plate in capitals without its dash, names trimmed. It
// refuses, naming the field: an unknown kind, a field the kind does not have, a missing
// field the kind requires, a text over MaxSubjectText characters, a bad CPF or CNPJ (its
// check digits), a birth date after today, a plate that is not Brazilian and a missing plan.
func (s *Subject) Normalize(today time.Time) error {
	s.Name, s.Species, s.Model = strings.TrimSpace(s.Name), strings.TrimSpace(s.Species), strings.TrimSpace(s.Model)
	s.Plate = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s.Plate))
	if !slices.Contains(SubjectKinds, s.Kind) {
		return Fieldf("kind", "want one of %v, got %q", SubjectKinds, s.Kind)
	}
	if err := s.checkFieldsOfKind(); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"name", s.Name}, {"species", s.Species}, {"model", s.Model}} {
		if n := len([]rune(f.value)); n > MaxSubjectText {
			return Fieldf(f.name, "at most %d characters, got %d", MaxSubjectText, n)
		}
	}
	switch s.Kind {
	case SubjectPerson:
		_, digits, err := ParseDocument(s.Document)
		if err != nil {
			return Fieldf("document", "%s", err.Error())
		}
		s.Document = digits
		if s.BirthDate.After(today) {
			return Fieldf("birth_date", "%s is after today (%s)", FormatDate(s.BirthDate), FormatDate(today))
		}
	case SubjectVehicle:
		if !platePattern.MatchString(s.Plate) {
			return Fieldf("plate", "want a Brazilian plate such as ABC-1234 or ABC1D23, got %q", s.Plate)
		}
	}
	if s.PlanID < 1 {
		return Fieldf("plan_id", "required: the id of the subject's plan")
	}
	return nil
}

// checkFieldsOfKind refuses a field the subject's kind does not have and a missing field it
// requires.
func (s *Subject) checkFieldsOfKind() error {
	has := map[string]bool{"name": s.Name != "", "document": s.Document != "", "birth_date": !s.BirthDate.IsZero(),
		"species": s.Species != "", "plate": s.Plate != "", "model": s.Model != ""}
	required := map[string][]string{SubjectPerson: {"name", "document"}, SubjectPet: {"name", "species"},
		SubjectVehicle: {"plate", "model"}}[s.Kind]
	allowed := map[string][]string{SubjectPerson: {"name", "document", "birth_date"}, SubjectPet: {"name", "species"},
		SubjectVehicle: {"plate", "model"}}[s.Kind]
	for _, f := range required {
		if !has[f] {
			return Fieldf(f, "required for a %s", s.Kind)
		}
	}
	for _, f := range []string{"name", "document", "birth_date", "species", "plate", "model"} {
		if has[f] && !slices.Contains(allowed, f) {
			return Fieldf(f, "a %s has no %s (a %s has %s)", s.Kind, f, s.Kind, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// SubjectLineDescription describes a subject's subject_plan line: "person Maria Souza (CPF
// 52998224725): plan Assistência Pessoal", "pet Rex (dog): plan Banho", "vehicle ABC1D23
// (Fiat Uno): plan Guincho".
func SubjectLineDescription(s Subject, planName string) string {
	var who string
	switch s.Kind {
	case SubjectPerson:
		who = fmt.Sprintf("%s (%s %s)", s.Name, documentLabel(s.Document), s.Document)
	case SubjectPet:
		who = fmt.Sprintf("%s (%s)", s.Name, s.Species)
	default:
		who = fmt.Sprintf("%s (%s)", s.Plate, s.Model)
	}
	return fmt.Sprintf("%s %s: plan %s", s.Kind, who, planName)
}

// documentLabel names a document by its length: CPF (11 digits) or CNPJ.
func documentLabel(digits string) string {
	if len(digits) == 11 {
		return "CPF"
	}
	return "CNPJ"
}

// SubjectSourceKey is the source key of a subject's subject_plan line: "subject:<id>".
func SubjectSourceKey(id int64) string { return fmt.Sprintf("subject:%d", id) }

// SubjectCovers reports whether the subject is billed a whole subject_plan line for the
// service period starting on periodStart: it started on or before that day and had not
// ended by it. Generation writes the same rule in SQL.
func SubjectCovers(s Subject, periodStart time.Time) bool {
	return !s.StartedOn.After(periodStart) && (s.EndedOn.IsZero() || s.EndedOn.After(periodStart))
}

// SubjectProrationLine is the proration line of a subject added (starting) or ended on a
// day inside the service period start..end, as a plan change from no plan to the subject's
// (or from it to none) prorates it (PlanChangeProration): the days from the day to the
// period's end, charged when it starts and credited when it ends. It returns false when
// the day is the period's first (the period's whole line says it) or outside the period,
// or when the proration is zero.
func SubjectProrationLine(s Subject, starting bool, day, start, end time.Time) (Line, bool) {
	if !day.After(start) {
		return Line{}, false
	}
	from, to, what, key := decimal.Zero, s.Price, "added", "start"
	if !starting {
		from, to, what, key = s.Price, decimal.Zero, "ended", "end"
	}
	p := PlanChangeProration(from, to, day, start, end)
	if p.Amount.IsZero() {
		return Line{}, false
	}
	return Line{Kind: LineProration, SourceKey: fmt.Sprintf("%s:%s:%s", SubjectSourceKey(s.ID), key, FormatDate(start)),
		Quantity: decimal.NewFromInt(int64(p.Days)), Amount: p.Amount,
		Description: fmt.Sprintf("%s %s on %s: %d days of %d at %s", s.LineDescription, what, FormatDate(day), p.Days,
			p.PeriodDays, FormatMoney(s.Price))}, true
}

// SubjectLines returns the subject_plan lines the store writes on a scheduled installment
// (generation, renewal): one for each subject covering its first day of service
// (SubjectCovers), in the order given, at the subject's price; none for an adhesion
// installment or a package cycle (no end of service).
func SubjectLines(subjects []Subject, it ScheduledInstallment) []Line {
	if it.Kind != Recurring || it.ServiceEnd.IsZero() {
		return nil
	}
	var out []Line
	for _, s := range subjects {
		if !SubjectCovers(s, it.ServiceStart) {
			continue
		}
		price := s.Price
		out = append(out, Line{Kind: LineSubjectPlan, SourceKey: SubjectSourceKey(s.ID), Description: s.LineDescription,
			Quantity: decimal.NewFromInt(1), UnitPrice: &price, Amount: s.Price})
	}
	return out
}
