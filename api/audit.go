package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// auditTimeout bounds writing an audit record after the answer.
const auditTimeout = 5 * time.Second

// requestID returns the request's X-Request-Id (a client's, up to 64 characters) or a new
// random one, and sets it on the answer.
func requestID(w http.ResponseWriter, r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	w.Header().Set("X-Request-Id", id)
	return id
}

// newAudit starts the audit record of a request to a write route: who (the principal), what
// (source, method, route, path ids) and the request id. The route's handler may add the
// operator's reason (auditReason) and details (auditDetail); finishAudit writes the rest.
func newAudit(r *http.Request, source, route string, pathIDs map[string]string) *records.AuditEntry {
	p := principalOf(r.Context())
	reqID, _ := r.Context().Value(requestIDKey{}).(string)
	return &records.AuditEntry{Actor: p.actor, TokenID: p.tokenID, Source: source, Method: r.Method, Route: route,
		PathIDs: pathIDs, RequestID: reqID, Detail: map[string]any{}}
}

// routeParamRE finds the path parameters of a route pattern ("{id}").
var routeParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// routePathIDs returns the values of the path parameters of the route pattern path.
func routePathIDs(path string, r *http.Request) map[string]string {
	out := map[string]string{}
	for _, m := range routeParamRE.FindAllStringSubmatch(path, -1) {
		out[m[1]] = r.PathValue(m[1])
	}
	return out
}

// auditDetail adds a detail to the request's audit record.
func auditDetail(r *http.Request, key string, value any) {
	records.AddAuditDetail(r.Context(), key, value)
}

// auditReason checks an operator's reason (optional; see records.CheckReason) and puts it in
// the request's audit record.
func auditReason(r *http.Request, reason string) error {
	reason = strings.TrimSpace(reason)
	if err := records.CheckReason(reason); err != nil {
		return billing.Fieldf("reason", "%v", err)
	}
	if e := records.AuditOf(r.Context()); e != nil {
		e.Reason = reason
	}
	return nil
}

// finishAudit writes the rest of a request's audit record once it is answered with status:
// the status (and any detail added since) on the record the change's transaction wrote, or
// the whole record when no transaction wrote it (a refused request, a dry run, a change made
// outside postgres.RetryTx). It runs before the answer leaves, so a client that has the
// answer finds the record; a failure to write it is logged, as the answer is already decided.
func (s *Server) finishAudit(r *http.Request, e *records.AuditEntry, status int) {
	e.Status = &status
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	var err error
	if e.ID != 0 {
		err = s.store.FinishAudit(ctx, e)
	} else {
		err = s.store.RecordAudit(ctx, e)
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit record not written", slog.String("request_id", e.RequestID),
			slog.String("route", e.Route), slog.String("actor", e.Actor), slog.Int("status", status),
			slog.String("error", err.Error()))
	}
}

// statusWriter remembers the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

type auditResponse struct {
	ID        int64             `json:"id"`
	At        string            `json:"at"`
	Actor     string            `json:"actor"`
	TokenID   *int64            `json:"token_id"`
	Source    string            `json:"source"`
	Method    string            `json:"method"`
	Route     string            `json:"route"`
	PathIDs   map[string]string `json:"path_ids"`
	Status    *int              `json:"status"`
	Reason    *string           `json:"reason"`
	RequestID *string           `json:"request_id"`
	Detail    map[string]any    `json:"detail"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAudit(e records.AuditEntry) auditResponse {
	out := auditResponse{ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.Actor, TokenID: e.TokenID,
		Source: e.Source, Method: e.Method, Route: e.Route, PathIDs: e.PathIDs, Status: e.Status,
		Reason: optString(e.Reason), RequestID: optString(e.RequestID), Detail: e.Detail}
	if out.PathIDs == nil {
		out.PathIDs = map[string]string{}
	}
	if out.Detail == nil {
		out.Detail = map[string]any{}
	}
	return out
}

// auditedRoutes are the routes the audit log names: the API's write routes and the CLI's.
func (s *Server) auditedRoutes() []string {
	var out []string
	for _, rt := range s.routes() {
		if rt.method != http.MethodGet {
			out = append(out, rt.method+" "+rt.path)
		}
	}
	return append(out, records.CLIRunRoute)
}

// listAudit lists the audit log, newest first: ?actor= (exact), ?route= (a write route
// pattern, "billingd run", or a River UI path such as "POST /riverui/api/jobs/retry"),
// ?from= and ?to= (business dates, both included).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	var f records.AuditFilter
	f.Actor = r.URL.Query().Get("actor")
	f.Route = r.URL.Query().Get("route")
	if f.Route != "" && !slices.Contains(s.auditedRoutes(), f.Route) && !isRiverUIRoute(f.Route) {
		return invalid("route", "want a write route such as \"POST /v1/runs\", %q, or a River UI request such as "+
			"\"POST /riverui/api/jobs/retry\"; got %q", records.CLIRunRoute, f.Route)
	}
	from, to, err := queryDateRange(r)
	if err != nil {
		return err
	}
	if !from.IsZero() {
		f.From = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, s.cfg.Location)
	}
	if !to.IsZero() {
		f.To = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, s.cfg.Location)
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	f.Limit, f.BeforeID = pg.Size(), pg.After
	entries, err := s.store.AuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	return respondPage(w, pg, entries, toAudit, func(a auditResponse) int64 { return a.ID })
}

// isRiverUIRoute reports whether route is a River UI request as the audit log names it.
func isRiverUIRoute(route string) bool {
	method, path, ok := strings.Cut(route, " ")
	return ok && method != "" && method == strings.ToUpper(method) && strings.HasPrefix(path, "/riverui/")
}
