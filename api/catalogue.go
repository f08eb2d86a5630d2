package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/renewal"
)

type planRequest struct {
	Name                string  `json:"name"`
	Kind                string  `json:"kind"`
	Price               string  `json:"price"`
	Period              string  `json:"period"`
	InstallmentsPerTerm int     `json:"installments_per_term"`
	MinPrice            *string `json:"min_price"`
	UsesPerCycle        *int    `json:"uses_per_cycle"`
	// CycleMonths: a package's cycle also ends this many months after it opened (null: by use only).
	CycleMonths *int `json:"cycle_months"`
	// RenewalQueueThreshold and RenewalThreshold override the global thresholds, both or neither.
	RenewalQueueThreshold *int `json:"renewal_queue_threshold"`
	RenewalThreshold      *int `json:"renewal_threshold"`
	lateFields
}

// lateFields are the late-charge settings a plan or a contract may set; null (or left out)
// inherits: a contract's from its plan, a plan's from the defaults (no fine, 1.00% a month).
type lateFields struct {
	LateFinePercent        *string `json:"late_fine_percent"`
	MonthlyInterestPercent *string `json:"monthly_interest_percent"`
}

// settings parses the late fields that are set into s, keeping the others as they are.
func (f lateFields) settings(s *billing.LateSettings) error {
	for _, x := range []struct {
		field string
		v     *string
		dst   **decimal.Decimal
	}{{"late_fine_percent", f.LateFinePercent, &s.FinePercent}, {"monthly_interest_percent", f.MonthlyInterestPercent, &s.MonthlyInterestPercent}} {
		if x.v == nil {
			continue
		}
		d, err := billing.ParseMoney(*x.v)
		if err != nil {
			return billing.Fieldf(x.field, "want a percentage such as \"1.00\": %v", err)
		}
		*x.dst = &d
	}
	return nil
}

// resetNulls sets to nil (inherit) each late setting the body sent as null.
func resetNulls(keys map[string]json.RawMessage, s *billing.LateSettings) {
	if sentNull(keys, "late_fine_percent") {
		s.FinePercent = nil
	}
	if sentNull(keys, "monthly_interest_percent") {
		s.MonthlyInterestPercent = nil
	}
}

// lateResponse shows a plan's or a contract's own late settings; null inherits.
type lateResponse struct {
	LateFinePercent        *string `json:"late_fine_percent"`
	MonthlyInterestPercent *string `json:"monthly_interest_percent"`
}

func toLate(s billing.LateSettings) lateResponse {
	return lateResponse{LateFinePercent: optMoney(s.FinePercent), MonthlyInterestPercent: optMoney(s.MonthlyInterestPercent)}
}

type planResponse struct {
	ID                  int64   `json:"id"`
	Name                string  `json:"name"`
	Kind                string  `json:"kind"`
	Price               string  `json:"price"`
	Period              string  `json:"period"`
	InstallmentsPerTerm int     `json:"installments_per_term"`
	MinPrice            *string `json:"min_price"`
	UsesPerCycle        *int    `json:"uses_per_cycle"`
	// CycleMonths is how many months a package's cycle lasts at most (null: until used up).
	CycleMonths *int   `json:"cycle_months"`
	CreatedAt   string `json:"created_at"`
	// The plan's renewal thresholds; null means the global defaults.
	RenewalQueueThreshold *int `json:"renewal_queue_threshold"`
	RenewalThreshold      *int `json:"renewal_threshold"`
	lateResponse
}

func toPlan(p billing.Plan) planResponse {
	return planResponse{
		ID: p.ID, Name: p.Name, Kind: p.Kind, Price: money(p.Price), Period: string(p.Period),
		InstallmentsPerTerm: p.InstallmentsPerTerm, MinPrice: optMoney(p.MinPrice), UsesPerCycle: p.UsesPerCycle,
		CycleMonths: p.CycleMonths, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339),
		RenewalQueueThreshold: p.RenewalQueueThreshold, RenewalThreshold: p.RenewalThreshold, lateResponse: toLate(p.Late),
	}
}

func (s *Server) createPlan(w http.ResponseWriter, r *http.Request) error {
	var req planRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p := billing.Plan{Name: strings.TrimSpace(req.Name), Kind: req.Kind, Period: billing.Period(req.Period),
		InstallmentsPerTerm: req.InstallmentsPerTerm, UsesPerCycle: req.UsesPerCycle, CycleMonths: req.CycleMonths,
		RenewalQueueThreshold: req.RenewalQueueThreshold, RenewalThreshold: req.RenewalThreshold}
	if p.Kind == "" {
		p.Kind = billing.KindPlan
	}
	if hasNUL(p.Name) {
		return billing.Fieldf("name", "must not contain NUL characters")
	}
	var err error
	if p.Price, err = parseMoneyField("price", req.Price); err != nil {
		return err
	}
	if req.MinPrice != nil {
		min, err := parseMoneyField("min_price", *req.MinPrice)
		if err != nil {
			return err
		}
		p.MinPrice = &min
	}
	if err := req.settings(&p.Late); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := renewal.PlanOverride(p.RenewalQueueThreshold, p.RenewalThreshold, p.InstallmentsPerTerm); err != nil {
		return err
	}
	out, err := s.store.CreatePlan(r.Context(), p)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toPlan(out))
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	plans, err := s.store.Plans(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, plans, toPlan, func(p planResponse) int64 { return p.ID })
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.store.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toPlan(p))
}

// hasNUL reports whether s holds a NUL character, which a PostgreSQL text column refuses.
func hasNUL(s string) bool { return strings.ContainsRune(s, 0) }

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t\r\n<>,;\x00") && len(s) <= 254
}

type holidayRequest struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

type holidayResponse struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

func (s *Server) addHoliday(w http.ResponseWriter, r *http.Request) error {
	var req holidayRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	day, err := parseDateField("date", req.Date)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 100 || hasNUL(name) {
		return billing.Fieldf("name", "required, at most 100 characters, without NUL characters")
	}
	moved, err := s.store.AddHoliday(r.Context(), billing.Holiday{Date: day, Name: name})
	if err != nil {
		if errors.Is(err, billing.ErrConflict) {
			return &statusError{status: http.StatusConflict, code: "conflict", field: "date", msg: err.Error()}
		}
		return err
	}
	s.cfg.Logger.InfoContext(r.Context(), "holiday added", slog.String("date", billing.FormatDate(day)),
		slog.Int64("installments_redated", moved))
	return respond(w, http.StatusCreated, holidayResponse{Date: billing.FormatDate(day), Name: name})
}

func (s *Server) listHolidays(w http.ResponseWriter, r *http.Request) error {
	from, err := queryDate(r, "from")
	if err != nil {
		return err
	}
	to, err := queryDate(r, "to")
	if err != nil {
		return err
	}
	hs, err := s.store.Holidays(r.Context(), from, to)
	if err != nil {
		return err
	}
	out := make([]holidayResponse, len(hs))
	for i, h := range hs {
		out[i] = holidayResponse{Date: billing.FormatDate(h.Date), Name: h.Name}
	}
	return respond(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) deleteHoliday(w http.ResponseWriter, r *http.Request) error {
	day, err := apiDate(r.PathValue("date"))
	if err != nil {
		return invalid("date", "%v", err)
	}
	moved, err := s.store.DeleteHoliday(r.Context(), day)
	if err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(r.Context(), "holiday removed", slog.String("date", billing.FormatDate(day)),
		slog.Int64("installments_redated", moved))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
