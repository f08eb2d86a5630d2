package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// TimelineEntryJSON is one entry of GET /v1/contracts/{id}/timeline.
type TimelineEntryJSON struct {
	On     string           `json:"on"`
	At     *time.Time       `json:"at"`
	Kind   string           `json:"kind"`
	What   string           `json:"what"`
	Reason string           `json:"reason"`
	Rule   string           `json:"rule"`
	IDs    map[string]int64 `json:"ids"`
	Amount *string          `json:"amount"`
	Source string           `json:"source,omitempty"`
	Lines  []lineResponse   `json:"lines,omitempty"`
}

// TimelineJSON is the answer of GET /v1/contracts/{id}/timeline.
type TimelineJSON struct {
	ContractID int64               `json:"contract_id"`
	Limit      int                 `json:"limit"`
	Truncated  bool                `json:"truncated"`
	Items      []TimelineEntryJSON `json:"items"`
}

// ToTimelineJSON turns a timeline into its JSON answer (the CLI's --output json too).
func ToTimelineJSON(t records.Timeline) TimelineJSON {
	out := TimelineJSON{ContractID: t.ContractID, Limit: t.Limit, Truncated: t.Truncated, Items: []TimelineEntryJSON{}}
	for _, e := range t.Entries {
		j := TimelineEntryJSON{On: billing.FormatDate(e.On), At: e.At, Kind: e.Kind, What: e.What, Reason: e.Reason,
			Rule: e.Rule, IDs: e.IDs, Amount: optMoney(e.Amount), Source: e.Source}
		if len(e.Lines) > 0 {
			j.Lines = toLines(e.Lines)
		}
		out.Items = append(out.Items, j)
	}
	return out
}

// VerdictJSON is one verdict of GET /v1/contracts/{id}/explain.
type VerdictJSON struct {
	Topic  string  `json:"topic"`
	State  string  `json:"state"`
	Since  *string `json:"since"`
	Reason string  `json:"reason"`
	Rule   string  `json:"rule"`
}

// OverdueJSON is an installment overdue on the date asked about.
type OverdueJSON struct {
	InstallmentID int64  `json:"installment_id"`
	Term          int    `json:"term"`
	Sequence      int    `json:"sequence"`
	DueDate       string `json:"due_date"`
	OverdueSince  string `json:"overdue_since"`
	Amount        string `json:"amount"`
}

// ExplanationJSON is the answer of GET /v1/contracts/{id}/explain.
type ExplanationJSON struct {
	ContractID int64         `json:"contract_id"`
	On         string        `json:"on"`
	Status     string        `json:"status"`
	Verdicts   []VerdictJSON `json:"verdicts"`
	Overdue    []OverdueJSON `json:"overdue"`
}

// ToExplanationJSON turns an explanation into its JSON answer (the CLI's --output json too).
func ToExplanationJSON(e records.Explanation) ExplanationJSON {
	out := ExplanationJSON{ContractID: e.ContractID, On: billing.FormatDate(e.On), Status: e.Status,
		Verdicts: []VerdictJSON{}, Overdue: []OverdueJSON{}}
	for _, v := range e.Verdicts {
		out.Verdicts = append(out.Verdicts, VerdictJSON{Topic: v.Topic, State: v.State, Since: optDate(v.Since), Reason: v.Reason, Rule: v.Rule})
	}
	for _, o := range e.Overdue {
		out.Overdue = append(out.Overdue, OverdueJSON{InstallmentID: o.ID, Term: o.Term, Sequence: o.Sequence,
			DueDate: billing.FormatDate(o.DueDate), OverdueSince: billing.FormatDate(o.OverdueSince), Amount: money(o.Amount)})
	}
	return out
}

// timelineLimit reads ?limit= of a timeline: 1 to records.MaxTimelineLimit, default
// records.DefaultTimelineLimit.
func timelineLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return records.DefaultTimelineLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > records.MaxTimelineLimit {
		return 0, invalid("limit", "want a whole number from 1 to %d, got %q", records.MaxTimelineLimit, v)
	}
	return n, nil
}

func (s *Server) contractTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit, err := timelineLimit(r)
	if err != nil {
		return err
	}
	t, err := s.store.Timeline(r.Context(), id, limit, s.today())
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ToTimelineJSON(t))
}

// explainDate reads ?on= (default: today in the business time zone).
func (s *Server) explainDate(r *http.Request) (time.Time, error) {
	on, err := queryDate(r, "on")
	if err != nil || !on.IsZero() {
		return on, err
	}
	return s.today(), nil
}

func (s *Server) explainContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	on, err := s.explainDate(r)
	if err != nil {
		return err
	}
	e, err := s.store.Explain(r.Context(), id, on, s.cfg.RenewalThresholds)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ToExplanationJSON(e))
}
