package api

import (
	"context"
	"errors"
	"fmt"
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
	// DryRun asks what the run would do, without doing it (200 with a DryRunReport).
	DryRun bool `json:"dry_run"`
	// Sample is how many effects a dry run lists (default and most: BILLINGD_DRY_RUN_SAMPLE).
	Sample *int `json:"sample"`
	// Reason is the operator's, kept in the audit log (worth giving with force).
	Reason string `json:"reason"`
}

type runResponse struct {
	records.Run
	AsOf string `json:"as_of"`
}

func toRun(r records.Run) runResponse { return runResponse{Run: r, AsOf: billing.FormatDate(r.AsOf)} }

// createRun enqueues a manual run, like `billingd run`, or with dry_run answers what it would
// do, like `billingd run --dry-run`. A date outside the window of records.CheckAsOf (before
// the catch-up window, or in the future) needs force, dry or not.
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
	if err := auditReason(r, req.Reason); err != nil {
		return err
	}
	if req.Sample != nil && !req.DryRun {
		return billing.Fieldf("sample", "only a dry run lists effects; send \"dry_run\": true or leave sample out")
	}
	auditDetail(r, "job", req.Job)
	auditDetail(r, "as_of", billing.FormatDate(asOf))
	if req.Force {
		auditDetail(r, "force", true)
	}
	if req.DryRun {
		auditDetail(r, "dry_run", true)
	}
	if err := records.CheckAsOf(asOf, s.today(), s.cfg.CatchUpDays); err != nil && !req.Force {
		return billing.Fieldf("as_of", "%v; send \"force\": true to run it anyway", err)
	}
	if req.DryRun {
		return s.dryRun(w, r, req, asOf)
	}
	run, err := s.store.RequestRun(r.Context(), req.Job, asOf)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/runs/"+strconv.FormatInt(run.ID, 10))
	return respond(w, http.StatusAccepted, toRun(run))
}

// dryRun answers what a run of req.Job as of asOf would do (DryRunner), within
// DryRunTimeout: 504 when it takes longer, with nothing changed.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request, req runRequest, asOf time.Time) error {
	if s.cfg.DryRunner == nil {
		return &statusError{status: http.StatusNotImplemented, code: "not_implemented", field: "dry_run",
			msg: "dry_run: this server runs no jobs to preview"}
	}
	sample := s.cfg.DryRunSample
	if req.Sample != nil {
		if *req.Sample < 0 || *req.Sample > s.cfg.DryRunSample {
			return billing.Fieldf("sample", "want 0 to %d (BILLINGD_DRY_RUN_SAMPLE), got %d", s.cfg.DryRunSample, *req.Sample)
		}
		sample = *req.Sample
	}
	ctx := r.Context()
	if s.cfg.DryRunTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.DryRunTimeout)
		defer cancel()
	}
	report, err := s.cfg.DryRunner.DryRun(ctx, req.Job, asOf, sample)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
		return &statusError{status: http.StatusGatewayTimeout, code: "timeout", msg: fmt.Sprintf(
			"the dry run of %s as of %s did not finish within %s (BILLINGD_DRY_RUN_TIMEOUT) and changed nothing; "+
				"`billingd run %s --as-of %s --dry-run --timeout 10m` can wait longer",
			req.Job, billing.FormatDate(asOf), s.cfg.DryRunTimeout, req.Job, billing.FormatDate(asOf))}
	}
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, NewDryRunReport(report))
}

// DryRunReport is the JSON of a dry run, as POST /v1/runs {"dry_run": true} answers it and
// `billingd run --dry-run --output json` prints it.
type DryRunReport struct {
	Job    string `json:"job"`
	AsOf   string `json:"as_of"`
	DryRun bool   `json:"dry_run"`
	// Batches is how many batches a real run would plan.
	Batches int `json:"batches"`
	// Counts are the counts a real run would record in job_runs.
	Counts map[string]int64 `json:"counts"`
	// Tables are the rows the run would insert, update and delete, per table.
	Tables []DryRunTable `json:"tables"`
	// Effects is a sample of the rows it would insert or update, at most SampleLimit.
	Effects     []DryRunEffect `json:"effects"`
	SampleLimit int            `json:"sample_limit"`
	DurationMS  int64          `json:"duration_ms"`
}

// DryRunTable counts the rows a dry run would write in one table.
type DryRunTable struct {
	Table    string `json:"table"`
	Inserted int64  `json:"inserted"`
	Updated  int64  `json:"updated"`
	Deleted  int64  `json:"deleted"`
}

// DryRunEffect is one row a run would insert or update: its table, whether it is new, its
// key, its contract, what it is, its amount and its date.
type DryRunEffect struct {
	Table      string  `json:"table"`
	Action     string  `json:"action"`
	Key        string  `json:"key"`
	ContractID *int64  `json:"contract_id"`
	What       string  `json:"what"`
	Amount     *string `json:"amount"`
	Date       *string `json:"date"`
}

// NewDryRunReport renders a dry run: money as decimal strings, dates as YYYY-MM-DD.
func NewDryRunReport(d records.DryRun) DryRunReport {
	out := DryRunReport{Job: d.Job, AsOf: billing.FormatDate(d.AsOf), DryRun: true, Batches: d.Batches, Counts: d.Counts,
		Tables: make([]DryRunTable, len(d.Tables)), Effects: make([]DryRunEffect, len(d.Effects)),
		SampleLimit: d.SampleLimit, DurationMS: d.Duration.Milliseconds()}
	if out.Counts == nil {
		out.Counts = map[string]int64{}
	}
	for i, t := range d.Tables {
		out.Tables[i] = DryRunTable{Table: t.Table, Inserted: t.Inserted, Updated: t.Updated, Deleted: t.Deleted}
	}
	for i, e := range d.Effects {
		out.Effects[i] = DryRunEffect{Table: e.Table, Action: e.Action, Key: e.Key, ContractID: e.ContractID, What: e.What,
			Amount: optMoney(e.Amount)}
		if e.Date != nil {
			day := billing.FormatDate(*e.Date)
			out.Effects[i].Date = &day
		}
	}
	return out
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
