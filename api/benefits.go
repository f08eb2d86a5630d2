package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

type benefitRequest struct {
	Name        string `json:"name"`
	UnitCost    string `json:"unit_cost"`
	Active      *bool  `json:"active"`
	Description string `json:"description"`
}

type benefitResponse struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	UnitCost    string `json:"unit_cost"`
	Active      bool   `json:"active"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
}

func toBenefit(b benefits.Benefit) benefitResponse {
	return benefitResponse{ID: b.ID, Name: b.Name, UnitCost: money(b.UnitCost), Active: b.Active,
		Description: b.Description, CreatedAt: b.CreatedAt.UTC().Format(time.RFC3339)}
}

// readBenefit decodes and validates a benefit request (active defaults to true).
func readBenefit(w http.ResponseWriter, r *http.Request) (benefits.Benefit, error) {
	var req benefitRequest
	if err := decode(w, r, &req); err != nil {
		return benefits.Benefit{}, err
	}
	b := benefits.Benefit{Name: strings.TrimSpace(req.Name), Active: true, Description: strings.TrimSpace(req.Description)}
	if req.Active != nil {
		b.Active = *req.Active
	}
	if len(b.Name) > 200 {
		return benefits.Benefit{}, billing.Fieldf("name", "at most 200 characters")
	}
	if len(b.Description) > 2000 {
		return benefits.Benefit{}, billing.Fieldf("description", "at most 2000 characters")
	}
	var err error
	if b.UnitCost, err = parseMoneyField("unit_cost", req.UnitCost); err != nil {
		return benefits.Benefit{}, err
	}
	return b, b.Validate()
}

func (s *Server) createBenefit(w http.ResponseWriter, r *http.Request) error {
	b, err := readBenefit(w, r)
	if err != nil {
		return err
	}
	out, err := s.store.CreateBenefit(r.Context(), b)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toBenefit(out))
}

func (s *Server) updateBenefit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := readBenefit(w, r)
	if err != nil {
		return err
	}
	b.ID = id
	out, err := s.store.UpdateBenefit(r.Context(), b)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toBenefit(out))
}

func (s *Server) listBenefits(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	bs, err := s.store.Benefits(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, bs, toBenefit, func(b benefitResponse) int64 { return b.ID })
}

func (s *Server) getBenefit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := s.store.Benefit(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toBenefit(b))
}

type planBenefitRequest struct {
	BenefitID     int64   `json:"benefit_id"`
	Quantity      *int    `json:"quantity"`
	RenewalPeriod *string `json:"renewal_period"`
	GraceDays     *int    `json:"grace_days"`
	// OverageUnitPrice, when given, lets uses go beyond the quota at this price each.
	OverageUnitPrice *string `json:"overage_unit_price"`
	// UnitPrice is a package service's price per use, itemising the package's cycle charge.
	UnitPrice *string `json:"unit_price"`
}

type planBenefitResponse struct {
	PlanID        int64   `json:"plan_id"`
	BenefitID     int64   `json:"benefit_id"`
	BenefitName   string  `json:"benefit_name"`
	Quantity      int     `json:"quantity"`
	RenewalPeriod *string `json:"renewal_period"`
	GraceDays     int     `json:"grace_days"`
	// OverageUnitPrice is the price of a use beyond the quota; null refuses such uses.
	OverageUnitPrice *string `json:"overage_unit_price"`
	// UnitPrice is a package service's price per use (null: none listed).
	UnitPrice *string `json:"unit_price"`
}

func toPlanBenefit(p records.PlanBenefit) planBenefitResponse {
	out := planBenefitResponse{PlanID: p.PlanID, BenefitID: p.BenefitID, BenefitName: p.BenefitName,
		Quantity: p.Quantity, RenewalPeriod: optPeriod(p.Period), GraceDays: p.GraceDays, OverageUnitPrice: optMoney(p.OverageUnitPrice)}
	if p.UnitPrice != nil {
		price := money(*p.UnitPrice)
		out.UnitPrice = &price
	}
	return out
}

func optPeriod(p billing.Period) *string {
	if p == "" {
		return nil
	}
	s := string(p)
	return &s
}

func (s *Server) setPlanBenefit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req planBenefitRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.BenefitID < 1 {
		return billing.Fieldf("benefit_id", "required: the id of a benefit")
	}
	out, err := s.store.SetPlanBenefit(r.Context(), id, req.BenefitID, func(p billing.Plan) (benefits.Terms, *decimal.Decimal, error) {
		terms, err := benefits.NewPlanTerms(p, req.Quantity, req.RenewalPeriod, req.GraceDays)
		if err != nil {
			return benefits.Terms{}, nil, err
		}
		if req.OverageUnitPrice != nil {
			price, err := parseMoneyField("overage_unit_price", *req.OverageUnitPrice)
			if err != nil {
				return benefits.Terms{}, nil, err
			}
			terms.OverageUnitPrice = &price
			if err := benefits.ValidateOveragePrice(terms.PerCycle(), terms.OverageUnitPrice); err != nil {
				return benefits.Terms{}, nil, err
			}
		}
		price, err := benefits.PackageUnitPrice(p, req.UnitPrice)
		return terms, price, err
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toPlanBenefit(out))
}

func (s *Server) listPlanBenefits(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	ps, err := s.store.PlanBenefits(r.Context(), id, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, ps, toPlanBenefit, func(p planBenefitResponse) int64 { return p.BenefitID })
}

type contractBenefitRequest struct {
	Quantity      *int    `json:"quantity"`
	RenewalPeriod *string `json:"renewal_period"`
	GraceDays     *int    `json:"grace_days"`
}

type contractBenefitResponse struct {
	ContractID            int64   `json:"contract_id"`
	BenefitID             int64   `json:"benefit_id"`
	Granted               bool    `json:"granted"`
	Quantity              int     `json:"quantity"`
	RenewalPeriod         *string `json:"renewal_period"`
	GraceDays             int     `json:"grace_days"`
	OverrideQuantity      *int    `json:"override_quantity"`
	OverrideRenewalPeriod *string `json:"override_renewal_period"`
	OverrideGraceDays     *int    `json:"override_grace_days"`
}

func (s *Server) setContractBenefit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := r.PathValue("benefit_id")
	benefitID, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || benefitID < 1 {
		return invalid("benefit_id", "want a positive whole number, got %q", v)
	}
	var req contractBenefitRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	o := benefits.Override{Quantity: req.Quantity, GraceDays: req.GraceDays}
	if req.RenewalPeriod != nil {
		p := billing.Period(*req.RenewalPeriod)
		o.Period = &p
	}
	out, err := s.store.SetContractBenefit(r.Context(), id, benefitID, o)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, contractBenefitResponse{
		ContractID: out.ContractID, BenefitID: out.BenefitID, Granted: out.Granted, Quantity: out.Terms.Quantity,
		RenewalPeriod: optPeriod(out.Terms.Period), GraceDays: out.Terms.GraceDays, OverrideQuantity: req.Quantity,
		OverrideRenewalPeriod: req.RenewalPeriod, OverrideGraceDays: req.GraceDays,
	})
}
