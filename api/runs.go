package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/jobs"
)

type runRequest struct {
	Job   string `json:"job"`
	AsOf  string `json:"as_of"`
	Force bool   `json:"force"`
}

type runResponse struct {
	jobs.Run
	AsOf string `json:"as_of"`
}

func toRun(r jobs.Run) runResponse { return runResponse{Run: r, AsOf: billing.FormatDate(r.AsOf)} }

// createRun enqueues a manual run, like `billingd run`. A date outside the window of
// jobs.CheckAsOf (before the catch-up window, or in the future) needs force.
func (s *Server) createRun(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := jobs.Lookup(req.Job); !ok {
		s.fail(w, r, billing.Fieldf("job", "unknown job %q (want %s)", req.Job, strings.Join(jobs.Names(), ", ")))
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
	if err := jobs.CheckAsOf(asOf, s.today(), s.cfg.CatchUpDays); err != nil && !req.Force {
		s.fail(w, r, billing.Fieldf("as_of", "%v; send \"force\": true to run it anyway", err))
		return
	}
	id, err := jobs.EnqueueRun(r.Context(), s.cfg.Pool, s.cfg.River, req.Job, asOf)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := jobs.GetRun(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/runs/"+strconv.FormatInt(id, 10))
	writeJSON(w, http.StatusAccepted, toRun(run))
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	f := jobs.RunFilter{Job: r.URL.Query().Get("job"), State: r.URL.Query().Get("state")}
	if f.Job != "" {
		if _, ok := jobs.Lookup(f.Job); !ok {
			s.fail(w, r, invalid("job", "unknown job %q", f.Job))
			return
		}
	}
	switch f.State {
	case "", jobs.RunQueued, jobs.RunRunning, jobs.RunSucceeded, jobs.RunFailed:
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
	runs, err := jobs.ListRuns(r.Context(), s.cfg.Pool, f)
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
	run, err := jobs.GetRun(r.Context(), s.cfg.Pool, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRun(run))
}
