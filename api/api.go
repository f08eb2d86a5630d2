// Package api is billingd's HTTP JSON API under /v1: plans, customers, contracts,
// installments, payments, holidays and job runs. Every route requires the bearer token; bad
// input gets a 4xx JSON error naming the field and writes nothing.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/renewal"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// Config is what the API needs.
type Config struct {
	// Store is the store the API reads and writes (the daemon's one store).
	Store Store
	// Jobs are the names of the jobs an operator may run (POST /v1/runs).
	Jobs        []string
	Token       string
	Location    *time.Location
	Now         func() time.Time
	Logger      *slog.Logger
	CatchUpDays int
	// TrustUnlockMaxDays bounds a trust unlock (BILLINGD_TRUST_UNLOCK_MAX_DAYS; 0 allows none).
	TrustUnlockMaxDays int
	// TrustUnlocksPerEpisode is how many trust unlocks one block episode allows
	// (BILLINGD_TRUST_UNLOCKS_PER_EPISODE; 0 allows none).
	TrustUnlocksPerEpisode int
	// DryRunner runs a job dry for POST /v1/runs {"dry_run": true} (the daemon's
	// jobs.Runner); nil refuses dry runs.
	DryRunner DryRunner
	// DryRunTimeout bounds a dry run (BILLINGD_DRY_RUN_TIMEOUT); zero leaves it unbounded.
	DryRunTimeout time.Duration
	// DryRunSample is the most effects a dry run lists, and its default
	// (BILLINGD_DRY_RUN_SAMPLE).
	DryRunSample int
	// Changes are the settings of contract changes (BILLINGD_DUE_CHANGE_PRORATION,
	// BILLINGD_DUE_CHANGE_MIN_DAYS, BILLINGD_PAUSE_MIN_MONTHS).
	Changes records.ChangeSettings
	// RenewalThresholds are the global renewal thresholds (BILLINGD_RENEWAL_QUEUE_THRESHOLD,
	// BILLINGD_RENEWAL_THRESHOLD; a plan may override them) that a forecast applies and
	// GET /v1/contracts/{id}/explain judges renewal by.
	RenewalThresholds renewal.Thresholds
	// PixWebhookSecret authenticates POST /v1/pix/webhook (BILLINGD_PIX_WEBHOOK_SECRET); ""
	// turns the webhook off.
	PixWebhookSecret string
	// CancelReasonOptional lets a contract be cancelled without a reason of the catalogue
	// (BILLINGD_CANCEL_REASON_REQUIRED=false); by default one is required.
	CancelReasonOptional bool
}

// DryRunner runs a job's real sweep in a transaction it rolls back and reports what a real
// run would do (jobs.Runner.DryRun).
type DryRunner interface {
	DryRun(ctx context.Context, job string, asOf time.Time, sample int) (records.DryRun, error)
}

// Server serves the /v1 API.
type Server struct {
	cfg   Config
	store Store
	mux   *http.ServeMux
}

// New returns the API handler.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, store: cfg.Store, mux: http.NewServeMux()}
	for _, r := range s.routes() {
		s.mux.HandleFunc(r.method+" "+r.path, s.adapt(r))
	}
	s.mux.HandleFunc("/", s.noRoute)
	return s
}

// noRoute answers a request no route takes: 405 with the Allow header when the path exists
// under other methods, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "",
		r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allowed, ", "))
}

// handler serves one route: it writes the answer and returns nil, or returns the error that
// decides the answer (see fail) without writing anything.
type handler func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the route table: the method and path pattern, the handler, and the
// query parameters the route takes (any other is refused).
type route struct {
	method, path string
	handler      handler
	query        []string
}

// paged returns the query parameters of a paginated list: limit, after and names.
func paged(names ...string) []string { return append([]string{"limit", "after"}, names...) }

// adapt turns a route's handler into an http.HandlerFunc that refuses a query parameter the
// route does not take (400 naming it) and answers the handler's error with fail. A request
// to a write route (any method but GET) gets an audit record: the store writes it in the
// transaction of the change (records.WithAudit), and finishAudit adds the status answered.
func (s *Server) adapt(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if rt.method != http.MethodGet {
			entry := newAudit(r, records.AuditAPI, rt.method+" "+rt.path, routePathIDs(rt.path, r))
			r = r.WithContext(records.WithAudit(r.Context(), entry))
			sw := &statusWriter{ResponseWriter: w}
			w = sw
			defer func() { s.finishAudit(r, entry, sw.code()) }()
		}
		err := rt.checkQuery(r.URL.Query())
		if err == nil {
			err = rt.handler(w, r)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	}
}

// checkQuery refuses the first (by name) query parameter the route does not take.
func (rt route) checkQuery(q url.Values) error {
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if slices.Contains(rt.query, name) {
			continue
		}
		takes := "takes no query parameters"
		if len(rt.query) > 0 {
			takes = "takes " + strings.Join(rt.query, ", ")
		}
		if name == "" {
			return invalid("query", "a parameter without a name; %s %s %s", rt.method, rt.path, takes)
		}
		return invalid(name, "unknown query parameter; %s %s %s", rt.method, rt.path, takes)
	}
	return nil
}

// Routes lists the API's routes as "METHOD /path" (for the OpenAPI test).
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.routes() {
		out = append(out, r.method+" "+r.path)
	}
	return out
}

func (s *Server) routes() []route {
	return []route{
		{"POST", "/v1/plans", s.createPlan, nil},
		{"GET", "/v1/plans", s.listPlans, paged()},
		{"GET", "/v1/plans/{id}", s.getPlan, nil},
		{"POST", "/v1/customers", s.createCustomer, nil},
		{"GET", "/v1/customers", s.listCustomers, paged()},
		{"GET", "/v1/customers/{id}", s.getCustomer, nil},
		{"POST", "/v1/contracts", s.createContract, nil},
		{"GET", "/v1/contracts", s.listContracts, paged("customer_id", "status")},
		{"GET", "/v1/contracts/{id}", s.getContract, nil},
		{"POST", "/v1/contracts/{id}/activate", s.activateContract, nil},
		{"POST", "/v1/contracts/{id}/cancel", s.cancelContract, nil},
		{"GET", "/v1/contracts/{id}/timeline", s.contractTimeline, []string{"limit"}},
		{"GET", "/v1/contracts/{id}/explain", s.explainContract, []string{"on"}},
		{"GET", "/v1/contracts/{id}/installments", s.contractInstallments, paged("state", "due_from", "due_to")},
		{"GET", "/v1/installments", s.listInstallments, paged("state", "due_from", "due_to", "contract_id")},
		{"POST", "/v1/installments/{id}/payments", s.recordPayment, nil},
		{"POST", "/v1/holidays", s.addHoliday, nil},
		{"GET", "/v1/holidays", s.listHolidays, []string{"from", "to"}},
		{"DELETE", "/v1/holidays/{date}", s.deleteHoliday, nil},
		{"POST", "/v1/runs", s.createRun, nil},
		{"GET", "/v1/runs", s.listRuns, paged("job", "state", "from")},
		{"GET", "/v1/runs/{id}", s.getRun, nil},
		{"PATCH", "/v1/plans/{id}", s.updatePlan, nil},
		{"PATCH", "/v1/contracts/{id}", s.updateContract, nil},
		{"POST", "/v1/contracts/{id}/renew", s.renewContract, nil},
		{"GET", "/v1/renewals", s.listRenewals, paged("state", "from", "to", "contract_id")},
		{"POST", "/v1/blocking-rules", s.createBlockingRule, nil},
		{"GET", "/v1/blocking-rules", s.listBlockingRules, paged()},
		{"GET", "/v1/blocking-rules/{id}", s.getBlockingRule, nil},
		{"POST", "/v1/contracts/{id}/trust-unlock", s.trustUnlock, nil},
		{"POST", "/v1/contracts/{id}/due-date-rule", s.changeDueDateRule, nil},
		{"POST", "/v1/contracts/{id}/plan-change", s.changePlan, nil},
		{"POST", "/v1/contracts/{id}/pause", s.pauseContract, nil},
		{"POST", "/v1/contracts/{id}/resume", s.resumeContract, nil},
		{"GET", "/v1/contracts/{id}/changes", s.listChanges, paged()},
		{"DELETE", "/v1/contracts/{id}/changes/{change_id}", s.cancelChange, nil},
		{"POST", "/v1/contracts/{id}/changes/{change_id}/cancel", s.cancelChange, nil},
		{"GET", "/v1/collections", s.listCollections, paged("step", "from", "to", "format")},
		{"POST", "/v1/benefits", s.createBenefit, nil},
		{"GET", "/v1/benefits", s.listBenefits, paged()},
		{"GET", "/v1/benefits/{id}", s.getBenefit, nil},
		{"PUT", "/v1/benefits/{id}", s.updateBenefit, nil},
		{"POST", "/v1/plans/{id}/benefits", s.setPlanBenefit, nil},
		{"GET", "/v1/plans/{id}/benefits", s.listPlanBenefits, paged()},
		{"GET", "/v1/contracts/{id}/benefits", s.contractBenefits, paged("on")},
		{"PUT", "/v1/contracts/{id}/benefits/{benefit_id}", s.setContractBenefit, nil},
		{"POST", "/v1/contracts/{id}/benefit-usages", s.recordUse, nil},
		{"GET", "/v1/contracts/{id}/benefit-usages", s.listUsages, paged("benefit_id", "from", "to", "reversed")},
		{"DELETE", "/v1/contracts/{id}/benefit-usages/{usage_id}", s.reverseUse, nil},
		{"POST", "/v1/contracts/{id}/charges", s.createCharge, nil},
		{"GET", "/v1/contracts/{id}/charges", s.listCharges, paged()},
		{"POST", "/v1/contracts/{id}/addons", s.createAddon, nil},
		{"GET", "/v1/contracts/{id}/addons", s.listAddons, paged()},
		{"DELETE", "/v1/contracts/{id}/addons/{addon_id}", s.endAddon, []string{"until"}},
		{"GET", "/v1/reports/benefit-usage", s.usageReport, []string{"from", "to", "customer_id", "benefit_id", "group_by"}},
		{"POST", "/v1/email-templates", s.createTemplate, nil},
		{"GET", "/v1/email-templates", s.listTemplates, paged("kind", "scope")},
		{"GET", "/v1/email-templates/{id}", s.getTemplate, nil},
		{"PUT", "/v1/email-templates/{id}", s.updateTemplate, nil},
		{"GET", "/v1/notifications", s.listNotifications, paged("contract_id", "kind", "state")},
		{"GET", "/v1/notifications/{id}", s.getNotification, nil},
		{"POST", "/v1/tokens", s.createToken, nil},
		{"GET", "/v1/tokens", s.listTokens, paged()},
		{"DELETE", "/v1/tokens/{id}", s.revokeToken, nil},
		{"GET", "/v1/audit", s.listAudit, paged("actor", "route", "from", "to")},
		{"GET", "/v1/installments/{id}", s.getInstallment, []string{"on"}},
		{"GET", "/v1/payments", s.listPayments, paged("installment_id", "contract_id")},
		{"GET", "/v1/payments/{id}", s.getPayment, nil},
		{"POST", "/v1/payments/{id}/reverse", s.reversePayment, nil},
		{"GET", "/v1/installments/overdue", s.overdueInstallments, paged("on", "format")},
		{"GET", "/v1/contracts/{id}/forecast", s.contractForecast, []string{"until"}},
		{"POST", "/v1/simulations", s.simulate, []string{"until"}},
		{"GET", "/v1/events", s.listEvents, paged("kind", "contract_id")},
		{"POST", "/v1/webhooks", s.createWebhook, nil},
		{"GET", "/v1/webhooks", s.listWebhooks, paged()},
		{"DELETE", "/v1/webhooks/{id}", s.deleteWebhook, nil},
		{"POST", "/v1/payment-files", s.uploadPaymentFile, []string{"filename"}},
		{"GET", "/v1/payment-files/{id}", s.getPaymentFile, nil},
		{"GET", "/v1/payment-exceptions", s.listPaymentExceptions, paged("from", "to", "reason")},
		{"PATCH", "/v1/installments/{id}", s.patchInstallment, nil},
		{"POST", "/v1/installments/{id}/cancel", s.cancelInstallment, nil},
		{"GET", "/v1/installments/{id}/changes", s.installmentChanges, nil},
		{"GET", "/v1/grouped-charges/{id}", s.getGroupedCharge, nil},
		{"POST", "/v1/grouped-charges/{id}/payments", s.payGroupedCharge, nil},
		{"GET", "/v1/customers/{id}/grouped-charges", s.customerGroupedCharges, nil},
		{"PATCH", "/v1/customers/{id}", s.patchCustomer, nil},
		{"GET", "/v1/cancellation-reasons", s.listCancellationReasons, []string{"all"}},
		{"POST", "/v1/cancellation-reasons", s.createCancellationReason, nil},
		{"DELETE", "/v1/cancellation-reasons/{id}", s.disableCancellationReason, nil},
		{"GET", "/v1/reports/cancellations", s.cancellationReport, []string{"from", "to"}},
		{"POST", "/v1/contracts/{id}/subjects", s.addSubject, nil},
		{"GET", "/v1/contracts/{id}/subjects", s.listSubjects, nil},
		{"DELETE", "/v1/contracts/{id}/subjects/{subject_id}", s.endSubject, nil},
	}
}

// ServeHTTP authenticates the request (the bootstrap token or a named one, see authenticate),
// then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, requestID(w, r)))
	if r.URL.Path == PixWebhookPath {
		s.servePixWebhook(w, r)
		return
	}
	p, err := s.authenticate(r)
	if err != nil {
		s.authFailed(w, r, err, `Bearer realm="billingd"`)
		return
	}
	r = r.WithContext(withPrincipal(r.Context(), p))
	s.mux.ServeHTTP(w, r)
}

type requestIDKey struct{}

// respond writes v as the JSON answer with status; it returns nil, so that a handler can end
// with it.
func respond(w http.ResponseWriter, status int, v any) error {
	writeJSON(w, status, v)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads exactly one JSON object into v, refusing unknown fields, repeated keys, keys
// that match a field only when case is ignored (see checkKeys), wrong types and bodies over
// MaxBodyBytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	_, err := decodeKeys(w, r, v)
	return err
}

// decodeKeys decodes like decode and also returns the body's top-level keys with their raw
// values, so that a PATCH can tell a field sent as null (reset it) from one left out (keep it).
func decodeKeys(w http.ResponseWriter, r *http.Request, v any) (map[string]json.RawMessage, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, &statusError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "Content-Type must be application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, decodeError(err)
	}
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return nil, &statusError{status: http.StatusBadRequest, code: "malformed", field: "body", msg: "body: want exactly one JSON object"}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, decodeError(err) // unreachable: the body decoded as an object above
	}
	return keys, nil
}

// sentNull reports whether the body set key to null.
func sentNull(keys map[string]json.RawMessage, key string) bool {
	raw, ok := keys[key]
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &statusError{status: http.StatusRequestEntityTooLarge, code: "too_large", field: "body", msg: fmt.Sprintf("body: larger than %d bytes", MaxBodyBytes)}
	case errors.As(err, &syntax):
		return &statusError{status: http.StatusBadRequest, code: "malformed", field: "body", msg: fmt.Sprintf("body: malformed JSON at byte %d", syntax.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &statusError{status: http.StatusBadRequest, code: "invalid", field: field,
			msg: fmt.Sprintf("%s: want %s, got JSON %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &statusError{status: http.StatusBadRequest, code: "malformed", field: "body", msg: "body: empty or truncated JSON"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		quoted := strings.TrimPrefix(err.Error(), "json: unknown field ")
		field, uerr := strconv.Unquote(quoted)
		if uerr != nil || field == "" {
			// An empty or unprintable key: name the body and quote the key.
			return &statusError{status: http.StatusBadRequest, code: "invalid", field: "body", msg: "body: unknown field " + quoted}
		}
		return &statusError{status: http.StatusBadRequest, code: "invalid", field: field, msg: field + ": unknown field"}
	default:
		return &statusError{status: http.StatusBadRequest, code: "malformed", field: "body", msg: "body: " + err.Error()}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	default:
		return "a number"
	}
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, invalid("id", "want a positive whole number, got %q", v)
	}
	return id, nil
}

// queryInt parses an optional positive integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(name, "want a whole number, got %q", v)
	}
	return n, nil
}

// queryEnum reads an optional query parameter that takes one of values.
func queryEnum(r *http.Request, name string, values []string) (string, error) {
	v := r.URL.Query().Get(name)
	if v != "" && !slices.Contains(values, v) {
		return "", invalid(name, "want %s, got %q", oneOf(values), v)
	}
	return v, nil
}

// oneOf lists values as "a, b or c".
func oneOf(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// page reads ?limit= and ?after= (an id cursor).
func page(r *http.Request) (records.Page, error) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		return records.Page{}, err
	}
	if limit > 500 {
		return records.Page{}, invalid("limit", "at most 500, got %d", limit)
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return records.Page{}, err
	}
	return records.Page{After: after, Limit: int(limit)}, nil
}

// list is a page of items with the cursor of the next page.
type list[T any] struct {
	Items     []T    `json:"items"`
	NextAfter *int64 `json:"next_after"`
}

// respondPage answers one page of a list: the items, each rendered, with next_after set to
// the id of the last one when the page is full.
func respondPage[T, R any](w http.ResponseWriter, pg records.Page, items []T, render func(T) R, id func(R) int64) error {
	l := list[R]{Items: make([]R, len(items))}
	for i, it := range items {
		l.Items[i] = render(it)
	}
	if len(items) > 0 && len(items) == pg.Size() {
		last := id(l.Items[len(l.Items)-1])
		l.NextAfter = &last
	}
	return respond(w, http.StatusOK, l)
}

// today is the current date in the business time zone.
func (s *Server) today() time.Time { return billing.DateOf(s.cfg.Now(), s.cfg.Location) }

// parseMoneyField parses a required decimal string field.
func parseMoneyField(field, v string) (decimal.Decimal, error) {
	if v == "" {
		return decimal.Decimal{}, billing.Fieldf(field, "required: a decimal string such as \"99.90\"")
	}
	d, err := billing.ParseMoney(v)
	if err != nil {
		return decimal.Decimal{}, billing.Fieldf(field, "%v", err)
	}
	return d, nil
}

// optMoneyField parses an optional decimal string field; empty means def.
func optMoneyField(field string, v *string, def decimal.Decimal) (decimal.Decimal, error) {
	if v == nil {
		return def, nil
	}
	return parseMoneyField(field, *v)
}

func money(d decimal.Decimal) string { return billing.FormatMoney(d) }

func optMoney(d *decimal.Decimal) *string {
	if d == nil {
		return nil
	}
	s := billing.FormatMoney(*d)
	return &s
}

func optDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := billing.FormatDate(t)
	return &s
}
