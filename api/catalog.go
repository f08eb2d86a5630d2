package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

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
	// RenewalQueueThreshold and RenewalThreshold override the global thresholds, both or neither.
	RenewalQueueThreshold *int `json:"renewal_queue_threshold"`
	RenewalThreshold      *int `json:"renewal_threshold"`
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
	CreatedAt           string  `json:"created_at"`
	// The plan's renewal thresholds; null means the global defaults.
	RenewalQueueThreshold *int `json:"renewal_queue_threshold"`
	RenewalThreshold      *int `json:"renewal_threshold"`
}

func toPlan(p billing.Plan) planResponse {
	return planResponse{
		ID: p.ID, Name: p.Name, Kind: p.Kind, Price: money(p.Price), Period: string(p.Period),
		InstallmentsPerTerm: p.InstallmentsPerTerm, MinPrice: optMoney(p.MinPrice), UsesPerCycle: p.UsesPerCycle,
		CreatedAt:             p.CreatedAt.UTC().Format(time.RFC3339),
		RenewalQueueThreshold: p.RenewalQueueThreshold, RenewalThreshold: p.RenewalThreshold,
	}
}

func (s *Server) createPlan(w http.ResponseWriter, r *http.Request) {
	var req planRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	p := billing.Plan{Name: strings.TrimSpace(req.Name), Kind: req.Kind, Period: billing.Period(req.Period),
		InstallmentsPerTerm: req.InstallmentsPerTerm, UsesPerCycle: req.UsesPerCycle,
		RenewalQueueThreshold: req.RenewalQueueThreshold, RenewalThreshold: req.RenewalThreshold}
	if p.Kind == "" {
		p.Kind = billing.KindPlan
	}
	if hasNUL(p.Name) {
		s.fail(w, r, billing.Fieldf("name", "must not contain NUL characters"))
		return
	}
	var err error
	if p.Price, err = parseMoneyField("price", req.Price); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.MinPrice != nil {
		min, err := parseMoneyField("min_price", *req.MinPrice)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.MinPrice = &min
	}
	if err := p.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := renewal.PlanOverride(p.RenewalQueueThreshold, p.RenewalThreshold, p.InstallmentsPerTerm); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.store.CreatePlan(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toPlan(out))
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	plans, err := s.store.Plans(r.Context(), pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]planResponse, len(plans))
	for i, p := range plans {
		out[i] = toPlan(p)
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(p planResponse) int64 { return p.ID }))
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.store.Plan(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPlan(p))
}

type customerRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Document string `json:"document"`
}

type customerResponse struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Document  string `json:"document"`
	CreatedAt string `json:"created_at"`
}

func toCustomer(c billing.Customer) customerResponse {
	return customerResponse{ID: c.ID, Name: c.Name, Email: c.Email, Document: c.Document, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	var req customerRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c := billing.Customer{Name: strings.TrimSpace(req.Name), Email: strings.TrimSpace(req.Email), Document: strings.TrimSpace(req.Document)}
	switch {
	case c.Name == "" || len(c.Name) > 200 || hasNUL(c.Name):
		s.fail(w, r, billing.Fieldf("name", "required, at most 200 characters, without NUL characters"))
		return
	case !validEmail(c.Email):
		s.fail(w, r, billing.Fieldf("email", "want an e-mail address such as ana@example.com, got %q", c.Email))
		return
	case len(c.Document) > 32 || hasNUL(c.Document):
		s.fail(w, r, billing.Fieldf("document", "at most 32 characters, without NUL characters"))
		return
	}
	out, err := s.store.CreateCustomer(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toCustomer(out))
}

// hasNUL reports whether s holds a NUL character, which a PostgreSQL text column refuses.
func hasNUL(s string) bool { return strings.ContainsRune(s, 0) }

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t\r\n<>,;\x00") && len(s) <= 254
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.store.Customers(r.Context(), pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]customerResponse, len(cs))
	for i, c := range cs {
		out[i] = toCustomer(c)
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(c customerResponse) int64 { return c.ID }))
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.store.Customer(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toCustomer(c))
}

type holidayRequest struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

type holidayResponse struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

func (s *Server) addHoliday(w http.ResponseWriter, r *http.Request) {
	var req holidayRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	day, err := parseDateField("date", req.Date)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 100 || hasNUL(name) {
		s.fail(w, r, billing.Fieldf("name", "required, at most 100 characters, without NUL characters"))
		return
	}
	if err := s.store.AddHoliday(r.Context(), billing.Holiday{Date: day, Name: name}); err != nil {
		if errors.Is(err, billing.ErrConflict) {
			writeError(w, http.StatusConflict, "conflict", "date", err.Error())
			return
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, holidayResponse{Date: billing.FormatDate(day), Name: name})
}

func (s *Server) listHolidays(w http.ResponseWriter, r *http.Request) {
	from, err := queryDate(r, "from")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := queryDate(r, "to")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hs, err := s.store.Holidays(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]holidayResponse, len(hs))
	for i, h := range hs {
		out[i] = holidayResponse{Date: billing.FormatDate(h.Date), Name: h.Name}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) deleteHoliday(w http.ResponseWriter, r *http.Request) {
	day, err := apiDate(r.PathValue("date"))
	if err != nil {
		s.fail(w, r, invalid("date", "%v", err))
		return
	}
	if err := s.store.DeleteHoliday(r.Context(), day); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
