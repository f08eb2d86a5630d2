package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

type runRequest struct {
	Job   string `json:"job"`
	AsOf  string `json:"as_of"`
	Force bool   `json:"force"`
}

type runResponse struct {
	records.Run
	AsOf string `json:"as_of"`
}

func toRun(r records.Run) runResponse { return runResponse{Run: r, AsOf: billing.FormatDate(r.AsOf)} }

// createRun enqueues a manual run, like `billingd run`. A date outside the catch-up window
// (in the past) or in the future needs force.
func (s *Server) createRun(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.Contains(s.cfg.Jobs, req.Job) {
		s.fail(w, r, billing.Fieldf("job", "unknown job %q (want %s)", req.Job, strings.Join(s.cfg.Jobs, ", ")))
		return
	}
	asOf := s.today()
	if req.AsOf != "" {
		var err error
		if asOf, err = parseDateField("as_of", req.AsOf); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	earliest := s.today().AddDate(0, 0, -s.cfg.CatchUpDays)
	if !req.Force && (asOf.Before(earliest) || asOf.After(s.today())) {
		s.fail(w, r, billing.Fieldf("as_of", "%s is outside the window %s..%s; send \"force\": true to run it anyway",
			billing.FormatDate(asOf), billing.FormatDate(earliest), billing.FormatDate(s.today())))
		return
	}
	run, err := s.store.RequestRun(r.Context(), req.Job, asOf)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/runs/"+strconv.FormatInt(run.ID, 10))
	writeJSON(w, http.StatusAccepted, toRun(run))
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	f := records.RunFilter{Job: r.URL.Query().Get("job"), State: r.URL.Query().Get("state")}
	if f.Job != "" {
		if !slices.Contains(s.cfg.Jobs, f.Job) {
			s.fail(w, r, invalid("job", "unknown job %q", f.Job))
			return
		}
	}
	switch f.State {
	case "", records.RunQueued, records.RunRunning, records.RunSucceeded, records.RunFailed:
	default:
		s.fail(w, r, invalid("state", "want queued, running, succeeded or failed, got %q", f.State))
		return
	}
	from, err := queryDate(r, "from")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !from.IsZero() {
		f.From = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, s.cfg.Location)
	}
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Limit, f.BeforeID = pg.Limit, pg.After
	runs, err := s.store.Runs(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]runResponse, len(runs))
	for i, run := range runs {
		out[i] = toRun(run)
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(r runResponse) int64 { return r.ID }))
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.store.Run(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRun(run))
}
