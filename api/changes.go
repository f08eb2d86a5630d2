package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// ChangeStore is the part of the store contract changes use (issue 18 items 1, 2, 7).
type ChangeStore interface {
	ChangeDueDateRule(ctx context.Context, contractID int64, req records.DueRuleChange, settings records.ChangeSettings) (records.ContractChange, error)
	ChangePlan(ctx context.Context, contractID int64, req records.PlanChange) (records.ContractChange, error)
	PauseContract(ctx context.Context, contractID int64, req records.PauseRequest, settings records.ChangeSettings) (records.ContractChange, error)
	ResumeContract(ctx context.Context, contractID int64, req records.ResumeRequest) (records.ContractChange, error)
	CancelContractChange(ctx context.Context, contractID, changeID int64, actor string) (records.ContractChange, error)
	ContractChanges(ctx context.Context, contractID int64, page records.Page) ([]records.ContractChange, error)
	ChangeStates(ctx context.Context, ids []int64) (map[int64]records.ChangeState, error)
}

// changeResponse is one contract change as the API shows it.
type changeResponse struct {
	ID          int64          `json:"id"`
	ContractID  int64          `json:"contract_id"`
	Kind        string         `json:"kind"`
	Status      string         `json:"status"`
	RequestedAt string         `json:"requested_at"`
	RequestedOn string         `json:"requested_on"`
	EffectiveOn string         `json:"effective_on"`
	From        map[string]any `json:"from"`
	To          map[string]any `json:"to"`
	AppliedOn   *string        `json:"applied_on"`
	CancelledAt *string        `json:"cancelled_at"`
	Actor       string         `json:"actor"`
	Reason      string         `json:"reason"`
}

func toChange(c records.ContractChange) changeResponse {
	out := changeResponse{ID: c.ID, ContractID: c.ContractID, Kind: c.Kind, Status: c.Status,
		RequestedAt: c.RequestedAt.UTC().Format(time.RFC3339), RequestedOn: billing.FormatDate(c.RequestedOn),
		EffectiveOn: billing.FormatDate(c.EffectiveOn), From: c.From, To: c.To, AppliedOn: optDate(c.AppliedOn),
		Actor: c.Actor, Reason: c.Reason}
	if !c.CancelledAt.IsZero() {
		at := c.CancelledAt.UTC().Format(time.RFC3339)
		out.CancelledAt = &at
	}
	return out
}

// changeRequest starts a change request: the business day, the operator and the reason
// (also kept in the audit log).
func (s *Server) changeRequest(r *http.Request, reason string) (records.ChangeRequest, error) {
	if err := auditReason(r, reason); err != nil {
		return records.ChangeRequest{}, err
	}
	return records.ChangeRequest{Today: s.today(), Actor: principalOf(r.Context()).actor, Reason: reason}, nil
}

// conflictOn answers a conflict naming field instead of the path's id.
func conflictOn(err error, field string) error {
	if errors.Is(err, billing.ErrConflict) {
		return &statusError{status: http.StatusConflict, code: "conflict", field: field, msg: err.Error()}
	}
	return err
}

type dueRuleRequest struct {
	DueDateRule *billing.DueDateRule `json:"due_date_rule"`
	EffectiveOn string               `json:"effective_on"`
	Reason      string               `json:"reason"`
}

func (s *Server) changeDueDateRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req dueRuleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.DueDateRule == nil {
		return billing.Fieldf("due_date_rule", "required: the new rule {\"kind\", \"day\", \"shift\"}")
	}
	if err := req.DueDateRule.Validate(); err != nil {
		return err
	}
	base, err := s.changeRequest(r, req.Reason)
	if err != nil {
		return err
	}
	in := records.DueRuleChange{ChangeRequest: base, Rule: *req.DueDateRule, EffectiveOn: base.Today}
	if req.EffectiveOn != "" {
		if in.EffectiveOn, err = parseDateField("effective_on", req.EffectiveOn); err != nil {
			return err
		}
	}
	ch, err := s.store.ChangeDueDateRule(r.Context(), id, in, s.cfg.Changes)
	if err != nil {
		return conflictOn(err, "due_date_rule")
	}
	return respond(w, http.StatusOK, toChange(ch))
}

type contractPlanRequest struct {
	PlanID    int64  `json:"plan_id"`
	Effective string `json:"effective"`
	Reason    string `json:"reason"`
}

func (s *Server) changePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req contractPlanRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.PlanID < 1 {
		return billing.Fieldf("plan_id", "required: the id of an existing plan")
	}
	base, err := s.changeRequest(r, req.Reason)
	if err != nil {
		return err
	}
	in := records.PlanChange{ChangeRequest: base, PlanID: req.PlanID}
	switch req.Effective {
	case "", records.EffectiveNow, records.EffectiveTermEnd:
		in.Effective = req.Effective
	default:
		in.Effective = records.EffectiveDate
		if in.On, err = billing.ParseDate(req.Effective); err != nil {
			return billing.Fieldf("effective", "want now, term_end or a date YYYY-MM-DD, got %q", req.Effective)
		}
	}
	ch, err := s.store.ChangePlan(r.Context(), id, in)
	if err != nil {
		return conflictOn(err, "plan_id")
	}
	return respond(w, http.StatusOK, toChange(ch))
}

type pauseRequest struct {
	From   string `json:"from"`
	Months int    `json:"months"`
	Reason string `json:"reason"`
}

func (s *Server) pauseContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req pauseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := billing.CheckPauseMonths(req.Months); err != nil {
		return err
	}
	base, err := s.changeRequest(r, req.Reason)
	if err != nil {
		return err
	}
	in := records.PauseRequest{ChangeRequest: base, From: base.Today, Months: req.Months}
	if req.From != "" {
		if in.From, err = parseDateField("from", req.From); err != nil {
			return err
		}
	}
	ch, err := s.store.PauseContract(r.Context(), id, in, s.cfg.Changes)
	if err != nil {
		return conflictOn(err, "from")
	}
	return respond(w, http.StatusOK, toChange(ch))
}

type resumeRequest struct {
	On     string `json:"on"`
	Reason string `json:"reason"`
}

func (s *Server) resumeContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req resumeRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	base, err := s.changeRequest(r, req.Reason)
	if err != nil {
		return err
	}
	in := records.ResumeRequest{ChangeRequest: base, On: base.Today}
	if req.On != "" {
		if in.On, err = parseDateField("on", req.On); err != nil {
			return err
		}
	}
	ch, err := s.store.ResumeContract(r.Context(), id, in)
	if err != nil {
		return conflictOn(err, "on")
	}
	return respond(w, http.StatusOK, toChange(ch))
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ContractChanges(r.Context(), id, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, items, toChange, func(c changeResponse) int64 { return c.ID })
}

// cancelChangeRequest is the optional body of a change's cancellation: the operator's reason.
type cancelChangeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := r.PathValue("change_id")
	changeID, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || changeID < 1 {
		return invalid("change_id", "want a positive whole number, got %q", v)
	}
	if r.ContentLength != 0 {
		var req cancelChangeRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		if err := auditReason(r, req.Reason); err != nil {
			return err
		}
	}
	ch, err := s.store.CancelContractChange(r.Context(), id, changeID, principalOf(r.Context()).actor)
	if errors.Is(err, billing.ErrNotFound) {
		return &statusError{status: http.StatusNotFound, code: "not_found", field: "change_id", msg: err.Error()}
	}
	if err != nil {
		return conflictOn(err, "change_id")
	}
	return respond(w, http.StatusOK, toChange(ch))
}

// changeStates reads the contracts' scheduled changes and pauses for their JSON.
func (s *Server) changeStates(r *http.Request, ids []int64) (map[int64]records.ChangeState, error) {
	return s.store.ChangeStates(r.Context(), ids)
}

// addChanges puts a contract's scheduled changes and pause window on its JSON.
func addChanges(out *contractResponse, st records.ChangeState) {
	out.ScheduledChanges = make([]changeResponse, 0, len(st.Scheduled))
	for _, ch := range st.Scheduled {
		out.ScheduledChanges = append(out.ScheduledChanges, toChange(ch))
	}
	out.PausedFrom, out.PausedUntil = optDate(st.PausedFrom), optDate(st.PausedUntil)
}
