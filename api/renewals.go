package api

import (
	"net/http"
	"strings"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// planChangeRequest is the body of PATCH /v1/plans/{id}: absent fields keep their value.
// A new price applies to existing contracts at their next renewal (mode plan_price).
type planChangeRequest struct {
	Name                  *string `json:"name"`
	Price                 *string `json:"price"`
	MinPrice              *string `json:"min_price"`
	RenewalQueueThreshold *int    `json:"renewal_queue_threshold"`
	RenewalThreshold      *int    `json:"renewal_threshold"`
	// CycleMonths sets a package's cycle_months; null returns it to "by use only". A change
	// counts from the current cycle's opening day.
	CycleMonths *int `json:"cycle_months"`
	// ResetRenewalThresholds removes the plan's thresholds: the global defaults apply.
	ResetRenewalThresholds bool `json:"reset_renewal_thresholds"`
	// The late settings: a value sets it, null returns it to the default.
	lateFields
}

func (s *Server) updatePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req planChangeRequest
	keys, err := decodeKeys(w, r, &req)
	if err != nil {
		return err
	}
	if req.ResetRenewalThresholds && (req.RenewalQueueThreshold != nil || req.RenewalThreshold != nil) {
		return billing.Fieldf("reset_renewal_thresholds", "cannot be combined with new thresholds")
	}
	p, err := s.store.UpdatePlan(r.Context(), id, func(p *billing.Plan) error {
		if req.Name != nil {
			p.Name = strings.TrimSpace(*req.Name)
			if hasNUL(p.Name) {
				return billing.Fieldf("name", "must not contain NUL characters")
			}
		}
		var err error
		if p.Price, err = optMoneyField("price", req.Price, p.Price); err != nil {
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
		resetNulls(keys, &p.Late)
		if _, sent := keys["cycle_months"]; sent {
			p.CycleMonths = req.CycleMonths
		}
		switch {
		case req.ResetRenewalThresholds:
			p.RenewalQueueThreshold, p.RenewalThreshold = nil, nil
		case req.RenewalQueueThreshold != nil || req.RenewalThreshold != nil:
			if req.RenewalQueueThreshold != nil {
				p.RenewalQueueThreshold = req.RenewalQueueThreshold
			}
			if req.RenewalThreshold != nil {
				p.RenewalThreshold = req.RenewalThreshold
			}
		}
		if err := p.Validate(); err != nil {
			return err
		}
		return renewal.PlanOverride(p.RenewalQueueThreshold, p.RenewalThreshold, p.InstallmentsPerTerm)
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toPlan(p))
}

// contractRenewalRequest is the body of PATCH /v1/contracts/{id}: only the renewal settings
// and allow_credit change; absent fields keep their value.
type contractRenewalRequest struct {
	AllowCredit       *bool   `json:"allow_credit"`
	AutoRenew         *bool   `json:"auto_renew"`
	IgnoreAutoRenewal *bool   `json:"ignore_auto_renewal"`
	RenewalPriceMode  *string `json:"renewal_price_mode"`
	SuggestedPrice    *string `json:"suggested_price"`
	// The late settings: a value sets it, null returns it to the plan's.
	lateFields
}

func (s *Server) updateContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req contractRenewalRequest
	keys, err := decodeKeys(w, r, &req)
	if err != nil {
		return err
	}
	c, err := s.store.UpdateContractRenewal(r.Context(), id, func(c *billing.Contract, plan billing.Plan) error {
		if err := req.settings(&c.Late); err != nil {
			return err
		}
		resetNulls(keys, &c.Late)
		if err := billing.ResolveLateRule(c.Late, plan.Late).Validate(); err != nil {
			return err
		}
		if req.AllowCredit != nil {
			c.AllowCredit = *req.AllowCredit
		}
		if req.AutoRenew != nil {
			c.AutoRenew = *req.AutoRenew
		}
		if req.IgnoreAutoRenewal != nil {
			c.IgnoreAutoRenewal = *req.IgnoreAutoRenewal
		}
		if req.RenewalPriceMode != nil {
			c.RenewalPriceMode = *req.RenewalPriceMode
		}
		if req.SuggestedPrice != nil {
			p, err := parseMoneyField("suggested_price", *req.SuggestedPrice)
			if err != nil {
				return err
			}
			if plan.MinPrice != nil && p.LessThan(*plan.MinPrice) {
				return billing.Fieldf("suggested_price", "%s is below the plan's minimum price %s", money(p), money(*plan.MinPrice))
			}
			c.SuggestedPrice = &p
		}
		switch c.RenewalPriceMode {
		case billing.RenewAtPlanPrice:
		case billing.RenewAtSuggested:
			if c.SuggestedPrice == nil {
				return billing.Fieldf("suggested_price", "required when renewal_price_mode is suggested")
			}
		default:
			return billing.Fieldf("renewal_price_mode", "want plan_price or suggested, got %q", c.RenewalPriceMode)
		}
		if p := c.SuggestedPrice; req.SuggestedPrice != nil && c.Discount.Add(c.OnTimeDiscount).GreaterThan(*p) {
			return billing.Fieldf("suggested_price", "%s does not cover the contract's discount %s plus on_time_discount %s",
				money(*p), money(c.Discount), money(c.OnTimeDiscount))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toContract(c))
}

// renewContract renews a contract as of the optional body's date (default today in the
// business zone, never in the future), whatever its open installments; 409 when it cannot be
// renewed.
func (s *Server) renewContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on := s.today()
	if r.ContentLength != 0 {
		var req decisionRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if err := auditReason(r, req.Reason); err != nil {
			return err
		}
		if req.Date != "" {
			if on, err = parseDateField("date", req.Date); err != nil {
				return err
			}
			if on.After(s.today()) {
				return billing.Fieldf("date", "%s is in the future (today is %s in %s)", req.Date,
					billing.FormatDate(s.today()), s.cfg.Location)
			}
		}
	}
	c, err := s.store.RenewContract(r.Context(), id, on)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toContract(c))
}

type renewalResponse struct {
	ID               int64   `json:"id"`
	ContractID       int64   `json:"contract_id"`
	Term             int     `json:"term"`
	State            string  `json:"state"`
	QueuedOn         string  `json:"queued_on"`
	OpenInstallments int     `json:"open_installments"`
	RenewedOn        *string `json:"renewed_on"`
	NewTerm          *int    `json:"new_term"`
	PriceMode        *string `json:"price_mode"`
	Price            *string `json:"price"`
	Trigger          *string `json:"trigger"`
}

func toRenewal(x records.Renewal) renewalResponse {
	out := renewalResponse{
		ID: x.ID, ContractID: x.ContractID, Term: x.Term, State: x.State, QueuedOn: billing.FormatDate(x.QueuedOn),
		OpenInstallments: x.OpenInstallments, RenewedOn: optDate(x.RenewedOn), Price: optMoney(x.Price),
	}
	if x.State == records.RenewalRenewed {
		out.NewTerm, out.PriceMode, out.Trigger = &x.NewTerm, &x.PriceMode, &x.Trigger
	}
	return out
}

func (s *Server) listRenewals(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	var f records.RenewalFilter
	if f.State, err = queryEnum(r, "state", records.RenewalStates); err != nil {
		return err
	}
	if f.ContractID, err = queryInt(r, "contract_id"); err != nil {
		return err
	}
	if f.From, err = queryDate(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryDate(r, "to"); err != nil {
		return err
	}
	items, err := s.store.Renewals(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, items, toRenewal, func(x renewalResponse) int64 { return x.ID })
}
