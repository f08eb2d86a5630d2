package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// SubjectStore is the part of the store a contract's subjects use (issue 19 item 1).
type SubjectStore interface {
	AddSubject(ctx context.Context, contractID int64, s billing.Subject, today time.Time) (billing.Subject, error)
	EndSubject(ctx context.Context, contractID, subjectID int64, today time.Time) (billing.Subject, error)
	Subjects(ctx context.Context, contractID int64) ([]billing.Subject, error)
	RecordSubjectUse(ctx context.Context, contractID, subjectID, benefitID int64, usedAt time.Time, quantity int) (records.Usage, error)
}

// subjectRequest is the body of POST /v1/contracts/{id}/subjects: the kind, the fields of
// that kind and the subject's plan.
type subjectRequest struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Document  string `json:"document"`
	BirthDate string `json:"birth_date"`
	Species   string `json:"species"`
	Plate     string `json:"plate"`
	Model     string `json:"model"`
	PlanID    int64  `json:"plan_id"`
}

// subjectResponse is one subject as the API shows it; the fields another kind has are null.
type subjectResponse struct {
	ID              int64   `json:"id"`
	ContractID      int64   `json:"contract_id"`
	Kind            string  `json:"kind"`
	Name            *string `json:"name"`
	Document        *string `json:"document"`
	BirthDate       *string `json:"birth_date"`
	Species         *string `json:"species"`
	Plate           *string `json:"plate"`
	Model           *string `json:"model"`
	PlanID          int64   `json:"plan_id"`
	Price           string  `json:"price"`
	LineDescription string  `json:"line_description"`
	StartedOn       string  `json:"started_on"`
	EndedOn         *string `json:"ended_on"`
}

// optText is nil for an empty string.
func optText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optDay is nil for the zero day, its YYYY-MM-DD otherwise.
func optDay(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return optText(billing.FormatDate(t))
}

func toSubject(s billing.Subject) subjectResponse {
	return subjectResponse{ID: s.ID, ContractID: s.ContractID, Kind: s.Kind, Name: optText(s.Name), Document: optText(s.Document),
		BirthDate: optDay(s.BirthDate), Species: optText(s.Species), Plate: optText(s.Plate), Model: optText(s.Model),
		PlanID: s.PlanID, Price: billing.FormatMoney(s.Price), LineDescription: s.LineDescription,
		StartedOn: billing.FormatDate(s.StartedOn), EndedOn: optDay(s.EndedOn)}
}

func (s *Server) addSubject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req subjectRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := billing.Subject{Kind: req.Kind, Name: req.Name, Document: req.Document, Species: req.Species, Plate: req.Plate,
		Model: req.Model, PlanID: req.PlanID}
	if req.BirthDate != "" {
		if in.BirthDate, err = parseDateField("birth_date", req.BirthDate); err != nil {
			return err
		}
	}
	today := s.today()
	if err := in.Normalize(today); err != nil {
		return err
	}
	out, err := s.store.AddSubject(r.Context(), id, in, today)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toSubject(out))
}

func (s *Server) listSubjects(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	items, err := s.store.Subjects(r.Context(), id)
	if err != nil {
		return err
	}
	out := list[subjectResponse]{Items: make([]subjectResponse, len(items))}
	for i, it := range items {
		out.Items[i] = toSubject(it)
	}
	return respond(w, http.StatusOK, out)
}

func (s *Server) endSubject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := r.PathValue("subject_id")
	subjectID, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || subjectID < 1 {
		return invalid("subject_id", "want a positive whole number, got %q", v)
	}
	out, err := s.store.EndSubject(r.Context(), id, subjectID, s.today())
	if errors.Is(err, billing.ErrNotFound) && strings.Contains(err.Error(), "subject") {
		return &statusError{status: http.StatusNotFound, code: "not_found", field: "subject_id", msg: err.Error()}
	}
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toSubject(out))
}
