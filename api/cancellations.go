package api

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// cancellationReasonRequest is the body of POST /v1/cancellation-reasons.
type cancellationReasonRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type cancellationReasonResponse struct {
	ID         int64   `json:"id"`
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Active     bool    `json:"active"`
	CreatedAt  string  `json:"created_at"`
	DisabledAt *string `json:"disabled_at"`
}

func toCancellationReason(r records.CancellationReason) cancellationReasonResponse {
	out := cancellationReasonResponse{ID: r.ID, Code: r.Code, Name: r.Name, Active: r.Active,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)}
	if !r.DisabledAt.IsZero() {
		at := r.DisabledAt.UTC().Format(time.RFC3339)
		out.DisabledAt = &at
	}
	return out
}

// reasonCodeRE is what a reason's code may be: lower case letters, digits and underscores,
// starting with a letter, at most 40 characters (the CHECK of cancellation_reasons.code).
var reasonCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func (s *Server) listCancellationReasons(w http.ResponseWriter, r *http.Request) error {
	all := false
	switch v := r.URL.Query().Get("all"); v {
	case "", "false":
	case "true":
		all = true
	default:
		return invalid("all", "want true or false, got %q", v)
	}
	reasons, err := s.store.CancellationReasons(r.Context(), all)
	if err != nil {
		return err
	}
	out := list[cancellationReasonResponse]{Items: make([]cancellationReasonResponse, len(reasons))}
	for i, reason := range reasons {
		out.Items[i] = toCancellationReason(reason)
	}
	return respond(w, http.StatusOK, out)
}

func (s *Server) createCancellationReason(w http.ResponseWriter, r *http.Request) error {
	var req cancellationReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	code, name := strings.TrimSpace(req.Code), strings.TrimSpace(req.Name)
	switch {
	case !reasonCodeRE.MatchString(code):
		return billing.Fieldf("code", "want lower case letters, digits and _, starting with a letter, at most 40 characters, got %q", code)
	case name == "" || len(name) > 200 || hasNUL(name):
		return billing.Fieldf("name", "required, at most 200 characters, without NUL characters")
	}
	out, err := s.store.CreateCancellationReason(r.Context(), code, name)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toCancellationReason(out))
}

func (s *Server) disableCancellationReason(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	out, err := s.store.DisableCancellationReason(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toCancellationReason(out))
}

// cancellationReportLine is one line of GET /v1/reports/cancellations: the contracts
// cancelled in a month for a reason.
type cancellationReportLine struct {
	// Month is the month as YYYY-MM.
	Month     string `json:"month"`
	ReasonID  *int64 `json:"reason_id"`
	Code      string `json:"reason_code"`
	Name      string `json:"reason_name"`
	Contracts int64  `json:"contracts"`
}

// cancellationReportResponse is the body of GET /v1/reports/cancellations: its bounds and lines.
type cancellationReportResponse struct {
	From  *string                  `json:"from"`
	To    *string                  `json:"to"`
	Items []cancellationReportLine `json:"items"`
}

func (s *Server) cancellationReport(w http.ResponseWriter, r *http.Request) error {
	from, to, err := queryDateRange(r)
	if err != nil {
		return err
	}
	lines, err := s.store.CancellationReport(r.Context(), from, to)
	if err != nil {
		return err
	}
	out := cancellationReportResponse{From: optDate(from), To: optDate(to), Items: make([]cancellationReportLine, len(lines))}
	for i, l := range lines {
		out.Items[i] = cancellationReportLine{Month: l.Month.Format("2006-01"), ReasonID: l.ReasonID, Code: l.Code, Name: l.Name,
			Contracts: l.Contracts}
	}
	return respond(w, http.StatusOK, out)
}
