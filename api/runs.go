package api

import (
	"net/http"
	"slices"
	"strconv"
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

// createRun enqueues a manual run, like `billingd run`. A date outside the window of
// records.CheckAsOf (before the catch-up window, or in the future) needs force.
func (s *Server) createRun(w http.ResponseWriter, r *http.Request) error {
	var req runRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !slices.Contains(s.cfg.Jobs, req.Job) {
		return billing.Fieldf("job", "unknown job %q (want %s)", req.Job, oneOf(s.cfg.Jobs))
	}
	asOf := s.today()
	if req.AsOf != "" {
		var err error
		if asOf, err = parseDateField("as_of", req.AsOf); err != nil {
			return err
		}
	}
	if err := records.CheckAsOf(asOf, s.today(), s.cfg.CatchUpDays); err != nil && !req.Force {
		return billing.Fieldf("as_of", "%v; send \"force\": true to run it anyway", err)
	}
	run, err := s.store.RequestRun(r.Context(), req.Job, asOf)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/runs/"+strconv.FormatInt(run.ID, 10))
	return respond(w, http.StatusAccepted, toRun(run))
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	var f records.RunFilter
	var err error
	if f.Job, err = queryEnum(r, "job", s.cfg.Jobs); err != nil {
		return err
	}
	if f.State, err = queryEnum(r, "state", records.RunStates); err != nil {
		return err
	}
	from, err := queryDate(r, "from")
	if err != nil {
		return err
	}
	if !from.IsZero() {
		f.From = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, s.cfg.Location)
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	f.Limit, f.BeforeID = pg.Limit, pg.After
	runs, err := s.store.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	return respondPage(w, pg, runs, toRun, func(r runResponse) int64 { return r.ID })
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := s.store.Run(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toRun(run))
}
