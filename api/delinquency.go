package api

import (
	"net/http"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

type blockingRuleRequest struct {
	Name                   string `json:"name"`
	BlockAfterDays         int    `json:"block_after_days"`
	MinOverdueInstallments *int   `json:"min_overdue_installments"`
	WarningDays            int    `json:"warning_days"`
	Default                bool   `json:"default"`
}

type blockingRuleResponse struct {
	ID                     int64  `json:"id"`
	Name                   string `json:"name"`
	BlockAfterDays         int    `json:"block_after_days"`
	MinOverdueInstallments int    `json:"min_overdue_installments"`
	WarningDays            int    `json:"warning_days"`
	Default                bool   `json:"default"`
	CreatedAt              string `json:"created_at"`
}

func toBlockingRule(r delinquency.Rule) blockingRuleResponse {
	return blockingRuleResponse{ID: r.ID, Name: r.Name, BlockAfterDays: r.BlockAfterDays, MinOverdueInstallments: r.MinOverdue,
		WarningDays: r.WarningDays, Default: r.Default, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) createBlockingRule(w http.ResponseWriter, r *http.Request) error {
	var req blockingRuleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if hasNUL(req.Name) {
		return billing.Fieldf("name", "must not contain NUL characters")
	}
	rule := delinquency.Rule{Name: req.Name, BlockAfterDays: req.BlockAfterDays, MinOverdue: 1, WarningDays: req.WarningDays, Default: req.Default}
	if req.MinOverdueInstallments != nil {
		rule.MinOverdue = *req.MinOverdueInstallments
	}
	out, err := s.store.CreateBlockingRule(r.Context(), rule)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toBlockingRule(out))
}

func (s *Server) listBlockingRules(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	rules, err := s.store.BlockingRules(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, rules, toBlockingRule, func(b blockingRuleResponse) int64 { return b.ID })
}

func (s *Server) getBlockingRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rule, err := s.store.BlockingRule(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toBlockingRule(rule))
}

type trustUnlockRequest struct {
	Days int `json:"days"`
	// Reason is the operator's (the customer's promise, say), kept in the audit log.
	Reason string `json:"reason"`
}

func (s *Server) trustUnlock(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req trustUnlockRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := auditReason(r, req.Reason); err != nil {
		return err
	}
	limits := records.TrustLimits{MaxDays: s.cfg.TrustUnlockMaxDays, PerEpisode: s.cfg.TrustUnlocksPerEpisode}
	c, err := s.store.TrustUnlock(r.Context(), id, s.today(), req.Days, limits)
	if err != nil {
		return err
	}
	return s.writeContracts(w, r, http.StatusOK, c)
}

type episodeResponse struct {
	ID               int64   `json:"id"`
	InstallmentID    int64   `json:"installment_id"`
	StartedOn        string  `json:"started_on"`
	EndedOn          *string `json:"ended_on"`
	Reason           string  `json:"reason"`
	EndReason        *string `json:"end_reason"`
	Blocked          bool    `json:"blocked"`
	TrustUnlockUntil *string `json:"trust_unlock_until"`
	TrustUnlocks     int     `json:"trust_unlocks"`
	Reblocks         int     `json:"reblocks"`
	BlockedDays      int     `json:"blocked_days"`
}

// contractRenderer reads the block episodes of contracts and returns the function that
// renders one of them with its episodes.
func (s *Server) contractRenderer(r *http.Request, cs ...billing.Contract) (func(billing.Contract) contractResponse, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	episodes, err := s.store.BlockEpisodes(r.Context(), ids, s.today())
	if err != nil {
		return nil, err
	}
	return func(c billing.Contract) contractResponse {
		out := toContract(c)
		for _, e := range episodes[c.ID] {
			er := episodeResponse{ID: e.ID, InstallmentID: e.InstallmentID, StartedOn: billing.FormatDate(e.StartedOn),
				EndedOn: optDate(e.EndedOn), Reason: e.Reason, Blocked: e.Blocked, TrustUnlockUntil: optDate(e.TrustUnlockUntil),
				TrustUnlocks: e.TrustUnlocks, Reblocks: e.Reblocks, BlockedDays: e.BlockedDays}
			if e.EndReason != "" {
				er.EndReason = &e.EndReason
			}
			if e.EndedOn.IsZero() && !e.Blocked {
				out.TrustUnlockUntil = er.TrustUnlockUntil
			}
			out.BlockEpisodes = append(out.BlockEpisodes, er)
		}
		return out
	}, nil
}

// writeContracts answers one contract with its block episodes.
func (s *Server) writeContracts(w http.ResponseWriter, r *http.Request, status int, c billing.Contract) error {
	render, err := s.contractRenderer(r, c)
	if err != nil {
		return err
	}
	return respond(w, status, render(c))
}
