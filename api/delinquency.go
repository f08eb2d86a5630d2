package api

import (
	"net/http"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// blockingRuleRequest is a blocking rule as POST /v1/blocking-rules takes it: either the
// days of before the ladder (block_after_days, warning_days: a generic ladder, as the
// rules of before it migrated), or a profile and the ladder's settings, each left out
// taking the profile's default.
type blockingRuleRequest struct {
	Name                       string  `json:"name"`
	Default                    bool    `json:"default"`
	BlockAfterDays             *int    `json:"block_after_days"`
	WarningDays                *int    `json:"warning_days"`
	MinOverdueInstallments     *int    `json:"min_overdue_installments"`
	Profile                    *string `json:"profile"`
	ReminderDays               []int   `json:"reminder_days"`
	NoticeAfterDays            *int    `json:"notice_after_days"`
	PartialSuspensionAfterDays *int    `json:"partial_suspension_after_days"`
	SuspensionAfterDays        *int    `json:"suspension_after_days"`
	TerminationAfterDays       *int    `json:"termination_after_days"`
}

type blockingRuleResponse struct {
	ID                         int64  `json:"id"`
	Name                       string `json:"name"`
	BlockAfterDays             int    `json:"block_after_days"`
	MinOverdueInstallments     int    `json:"min_overdue_installments"`
	WarningDays                int    `json:"warning_days"`
	Default                    bool   `json:"default"`
	Profile                    string `json:"profile"`
	ReminderDays               []int  `json:"reminder_days"`
	NoticeAfterDays            int    `json:"notice_after_days"`
	PartialSuspensionAfterDays int    `json:"partial_suspension_after_days"`
	SuspensionAfterDays        int    `json:"suspension_after_days"`
	TerminationAfterDays       int    `json:"termination_after_days"`
	RequiresSentNotice         bool   `json:"requires_sent_notice"`
	Ladder                     string `json:"ladder"`
	CreatedAt                  string `json:"created_at"`
}

func toBlockingRule(r delinquency.Rule) blockingRuleResponse {
	l := r.Ladder
	reminders := l.ReminderDays
	if reminders == nil {
		reminders = []int{}
	}
	return blockingRuleResponse{ID: r.ID, Name: r.Name, BlockAfterDays: r.BlockAfterDays, MinOverdueInstallments: r.MinOverdue,
		WarningDays: r.WarningDays, Default: r.Default, Profile: string(l.Profile), ReminderDays: reminders,
		NoticeAfterDays: l.NoticeDays, PartialSuspensionAfterDays: l.PartialSuspensionDays, SuspensionAfterDays: l.SuspensionDays,
		TerminationAfterDays: l.TerminationDays, RequiresSentNotice: delinquency.RequiresSentNotice(l.Profile), Ladder: l.String(),
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)}
}

// ladder returns the request's ladder, naming the first field at fault: the days of
// before the ladder make a generic ladder (delinquency.LadderFromRule), to which
// reminder_days, partial_suspension_after_days and termination_after_days may be added;
// otherwise the profile (generic by default) fills what is left out (delinquency.NewLadder)
// and refuses what its rule forbids.
func (req blockingRuleRequest) ladder() (delinquency.Ladder, error) {
	if req.BlockAfterDays == nil && req.WarningDays == nil {
		settings := delinquency.LadderSettings{MinOverdue: req.MinOverdueInstallments, ReminderDays: req.ReminderDays,
			NoticeDays: req.NoticeAfterDays, PartialSuspensionDays: req.PartialSuspensionAfterDays,
			SuspensionDays: req.SuspensionAfterDays, TerminationDays: req.TerminationAfterDays}
		if req.Profile != nil {
			if *req.Profile == "" {
				return delinquency.Ladder{}, billing.Fieldf(delinquency.FieldProfile, "want %s, got \"\"", oneOf(delinquency.Profiles))
			}
			settings.Profile = *req.Profile
		}
		return delinquency.NewLadder(settings)
	}
	switch {
	case req.Profile != nil && *req.Profile != string(delinquency.Generic):
		return delinquency.Ladder{}, billing.Fieldf(delinquency.FieldProfile,
			"block_after_days and warning_days describe a generic ladder; for %q give notice_after_days and suspension_after_days instead", clip(*req.Profile))
	case req.NoticeAfterDays != nil:
		return delinquency.Ladder{}, billing.Fieldf(delinquency.FieldNoticeDays, "give either block_after_days and warning_days or notice_after_days and suspension_after_days, not both")
	case req.SuspensionAfterDays != nil:
		return delinquency.Ladder{}, billing.Fieldf(delinquency.FieldSuspensionDays, "give either block_after_days and warning_days or notice_after_days and suspension_after_days, not both")
	}
	rule := delinquency.Rule{Name: "-", MinOverdue: 1}
	if req.BlockAfterDays != nil {
		rule.BlockAfterDays = *req.BlockAfterDays
	}
	if req.WarningDays != nil {
		rule.WarningDays = *req.WarningDays
	}
	if req.MinOverdueInstallments != nil {
		rule.MinOverdue = *req.MinOverdueInstallments
	}
	if err := rule.Validate(); err != nil {
		return delinquency.Ladder{}, err
	}
	l := delinquency.LadderFromRule(rule)
	if req.ReminderDays != nil {
		l.ReminderDays = req.ReminderDays
	}
	if req.PartialSuspensionAfterDays != nil {
		l.PartialSuspensionDays = *req.PartialSuspensionAfterDays
	}
	if req.TerminationAfterDays != nil {
		l.TerminationDays = *req.TerminationAfterDays
	}
	return l, l.Validate()
}

func (s *Server) createBlockingRule(w http.ResponseWriter, r *http.Request) error {
	var req blockingRuleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if hasNUL(req.Name) {
		return billing.Fieldf("name", "must not contain NUL characters")
	}
	if req.Name == "" {
		return billing.Fieldf("name", "required")
	}
	l, err := req.ladder()
	if err != nil {
		return err
	}
	out, err := s.store.CreateBlockingRule(r.Context(), delinquency.Rule{Name: req.Name, Default: req.Default, Ladder: l})
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
	SuspensionLevel  *string `json:"suspension_level"`
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
	positions, err := s.store.LadderPositions(r.Context(), ids, s.today())
	if err != nil {
		return nil, err
	}
	changes, err := s.changeStates(r, ids)
	if err != nil {
		return nil, err
	}
	return func(c billing.Contract) contractResponse {
		out := toContract(c)
		addChanges(&out, changes[c.ID])
		out.Ladder = toLadder(positions[c.ID])
		for _, e := range episodes[c.ID] {
			er := episodeResponse{ID: e.ID, InstallmentID: e.InstallmentID, StartedOn: billing.FormatDate(e.StartedOn),
				EndedOn: optDate(e.EndedOn), Reason: e.Reason, Blocked: e.Blocked, TrustUnlockUntil: optDate(e.TrustUnlockUntil),
				TrustUnlocks: e.TrustUnlocks, Reblocks: e.Reblocks, BlockedDays: e.BlockedDays}
			if e.EndReason != "" {
				er.EndReason = &e.EndReason
			}
			if e.Level != "" {
				er.SuspensionLevel = &e.Level
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

// ladderResponse is a contract's position on its blocking rule's collection ladder on a
// date (delinquency.PositionAt): the step and since when, what comes next and when (no
// date while it waits, and waiting says for what), the ladder's dates for the installment
// that put it there, and the reason in words.
type ladderResponse struct {
	Profile              string  `json:"profile"`
	Step                 string  `json:"step"`
	Since                *string `json:"since"`
	NextStep             *string `json:"next_step"`
	NextStepOn           *string `json:"next_step_on"`
	Waiting              *string `json:"waiting"`
	Suspended            bool    `json:"suspended"`
	TrustUnlockUntil     *string `json:"trust_unlock_until"`
	TriggerInstallmentID *int64  `json:"trigger_installment_id"`
	NoticeOn             *string `json:"notice_on"`
	NoticeSentOn         *string `json:"notice_sent_on"`
	PartialSuspensionOn  *string `json:"partial_suspension_on"`
	SuspensionOn         *string `json:"suspension_on"`
	TerminationOn        *string `json:"termination_on"`
	DaysInDefault        *int    `json:"days_in_default"`
	NoticeDeadline       *string `json:"notice_deadline"`
	Reason               string  `json:"reason"`
}

func toLadder(lp records.LadderPosition) ladderResponse {
	p := lp.Position
	if p.Step == "" {
		p.Step = delinquency.StepNone
	}
	out := ladderResponse{Profile: lp.Profile, Step: string(p.Step), Since: optDate(p.Since), Suspended: p.Suspended,
		TrustUnlockUntil: optDate(p.TrustUntil), NextStepOn: optDate(p.NextOn), NoticeOn: optDate(p.NoticeOn),
		NoticeSentOn: optDate(p.NoticeSentOn), PartialSuspensionOn: optDate(p.PartialSuspensionOn),
		SuspensionOn: optDate(p.SuspensionOn), TerminationOn: optDate(p.TerminationOn), NoticeDeadline: optDate(p.NoticeDeadline),
		Reason: p.Reason}
	if p.Next != "" {
		next := string(p.Next)
		out.NextStep = &next
	}
	if p.Waiting != "" {
		out.Waiting = &p.Waiting
	}
	if p.Trigger.ID != 0 {
		id := p.Trigger.ID
		out.TriggerInstallmentID = &id
	}
	if lp.Profile == string(delinquency.Health9656) {
		n := p.DaysInDefault
		out.DaysInDefault = &n
	}
	return out
}

// collectionResponse is one contract on the collection ladder: the step stored by the
// last block-delinquent run and since when (what the list filters on), and its position
// today.
type collectionResponse struct {
	ContractID int64          `json:"contract_id"`
	CustomerID int64          `json:"customer_id"`
	Status     string         `json:"status"`
	Step       string         `json:"step"`
	Since      *string        `json:"since"`
	Ladder     ladderResponse `json:"ladder"`
}

func toCollection(e records.CollectionEntry) collectionResponse {
	return collectionResponse{ContractID: e.ContractID, CustomerID: e.CustomerID, Status: e.Status, Step: e.Step,
		Since: optDate(e.Since), Ladder: toLadder(records.LadderPosition{Profile: e.Profile, Position: e.Position})}
}

// collectionSteps are the steps GET /v1/collections?step= takes: the stored ones but none.
var collectionSteps = delinquency.StoredSteps[1:]

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	step, err := queryEnum(r, "step", collectionSteps)
	if err != nil {
		return err
	}
	from, to, err := queryDateRange(r)
	if err != nil {
		return err
	}
	f := records.CollectionFilter{Step: step, From: from, To: to}
	asCSV, err := wantsCSV(r)
	if err != nil {
		return err
	}
	if asCSV {
		return s.collectionsCSV(w, r, f)
	}
	entries, err := s.store.Collections(r.Context(), f, s.today(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, entries, toCollection, func(c collectionResponse) int64 { return c.ContractID })
}
