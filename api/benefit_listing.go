package api

import (
	"net/http"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// grantedBenefitResponse is one benefit a contract is granted on a day: the resolved terms
// and the balance of the period (or package cycle) containing that day.
type grantedBenefitResponse struct {
	BenefitID     int64            `json:"benefit_id"`
	BenefitName   string           `json:"benefit_name"`
	Active        bool             `json:"active"`
	Quantity      int              `json:"quantity"`
	RenewalPeriod *string          `json:"renewal_period"`
	GraceDays     int              `json:"grace_days"`
	Overridden    bool             `json:"overridden"`
	Balance       *balanceResponse `json:"balance"`
}

// balanceResponse is a benefit balance: one renewal period or package cycle.
type balanceResponse struct {
	ID          int64   `json:"id"`
	PeriodStart string  `json:"period_start"`
	PeriodEnd   *string `json:"period_end"`
	Cycle       *int    `json:"cycle"`
	Granted     int     `json:"granted"`
	Used        int     `json:"used"`
	Remaining   int     `json:"remaining"`
	NextResetOn *string `json:"next_reset_on"`
}

func toGrantedBenefit(g records.GrantedBenefit) grantedBenefitResponse {
	out := grantedBenefitResponse{BenefitID: g.BenefitID, BenefitName: g.BenefitName, Active: g.Active,
		Quantity: g.Terms.Quantity, RenewalPeriod: optPeriod(g.Terms.Period), GraceDays: g.Terms.GraceDays, Overridden: g.Overridden}
	if b := g.Balance; b != nil {
		out.Balance = &balanceResponse{ID: b.ID, PeriodStart: billing.FormatDate(b.PeriodStart), PeriodEnd: optDate(b.PeriodEnd),
			Granted: b.Granted, Used: b.Used, Remaining: b.Granted - b.Used}
		if b.Cycle > 0 {
			out.Balance.Cycle = &b.Cycle
		} else {
			out.Balance.NextResetOn = optDate(b.PeriodEnd.AddDate(0, 0, 1))
		}
	}
	return out
}

// contractBenefits lists the benefits a contract is granted as they stand on ?on= (default
// today in the business zone), by benefit id.
func (s *Server) contractBenefits(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	on, err := queryDate(r, "on")
	if err != nil {
		return err
	}
	if on.IsZero() {
		on = s.today()
	}
	gs, err := s.store.ContractBenefits(r.Context(), id, on, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, gs, toGrantedBenefit, func(g grantedBenefitResponse) int64 { return g.BenefitID })
}

// listUsages lists a contract's benefit uses by id, reversed ones included; filters
// benefit_id, from and to (the use date) and reversed (true or false).
func (s *Server) listUsages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	var f records.UsageFilter
	if f.BenefitID, err = queryInt(r, "benefit_id"); err != nil {
		return err
	}
	if f.From, f.To, err = queryDateRange(r); err != nil {
		return err
	}
	switch v := r.URL.Query().Get("reversed"); v {
	case "":
	case "true", "false":
		reversed := v == "true"
		f.Reversed = &reversed
	default:
		return invalid("reversed", "want true or false, got %q", v)
	}
	us, err := s.store.Usages(r.Context(), id, f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, us, toUsage, func(u usageResponse) int64 { return u.ID })
}
