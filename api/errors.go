package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
)

// apiError is the JSON error body.
type apiError struct {
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
	// GraceEndsOn and NextResetOn come with a refused benefit use (in_grace, quota_exhausted).
	GraceEndsOn string `json:"grace_ends_on,omitempty"`
	NextResetOn string `json:"next_reset_on,omitempty"`
}

// writeError writes the JSON error body with status.
func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, apiError{Error: code, Field: field, Message: msg, RequestID: w.Header().Get("X-Request-Id")})
}

// RetryAfter is the Retry-After of a 503 while the database cannot be reached.
const RetryAfter = 5 * time.Second

// fail is the one place that turns a handler's error into an answer: a refused benefit use
// its status, a statusError its own, field errors 422, not found 404, conflicts 409, a
// database that cannot be reached a logged 503 with Retry-After, anything else a logged 500.
// The answer never carries the database's own message, which may name its user, host or port.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *billing.FieldError
	var be *statusError
	var refusal *benefits.Refusal
	switch {
	case errors.As(err, &refusal):
		status, field := refusalStatus(refusal.Reason)
		body := apiError{Error: string(refusal.Reason), Field: field, Message: refusal.Message, RequestID: w.Header().Get("X-Request-Id")}
		if !refusal.GraceEndsOn.IsZero() {
			body.GraceEndsOn = billing.FormatDate(refusal.GraceEndsOn)
		}
		if !refusal.NextResetOn.IsZero() {
			body.NextResetOn = billing.FormatDate(refusal.NextResetOn)
		}
		writeJSON(w, status, body)
	case errors.As(err, &be):
		writeError(w, be.status, be.code, be.field, be.msg)
	case errors.As(err, &fe):
		writeError(w, http.StatusUnprocessableEntity, "invalid", fe.Field, fe.Error())
	case errors.Is(err, billing.ErrBenefitNotFound) && r.PathValue("benefit_id") != "":
		writeError(w, http.StatusNotFound, "not_found", "benefit_id", err.Error())
	case errors.Is(err, billing.ErrUsageNotFound):
		writeError(w, http.StatusNotFound, "not_found", "usage_id", err.Error())
	case errors.Is(err, billing.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", pathParam(r), err.Error())
	case errors.Is(err, billing.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", pathParam(r), err.Error())
	case unavailable(err):
		reqID, _ := r.Context().Value(requestIDKey{}).(string)
		s.cfg.Logger.WarnContext(r.Context(), "api request failed: database unavailable", slog.String("request_id", reqID),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
		writeError(w, http.StatusServiceUnavailable, "unavailable", "",
			fmt.Sprintf("the database cannot be reached; retry in %d seconds (request %s)", int(RetryAfter.Seconds()), reqID))
	default:
		reqID, _ := r.Context().Value(requestIDKey{}).(string)
		s.cfg.Logger.ErrorContext(r.Context(), "api request failed", slog.String("request_id", reqID),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal", "", "internal error; see the server log for request "+reqID)
	}
}

// unavailable reports whether err says that the database cannot be reached right now, which
// a retry may cure: a connection refused, reset or cut off (the pool cannot acquire one, or
// one broke under a query), or a server that is shutting down, starting up or restarting
// (SQLSTATE class 08 and 57P01..57P03, read from any error carrying a SQLSTATE, as
// PostgreSQL driver errors do).
func unavailable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		switch code := state.SQLState(); {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
			return true
		}
	}
	return false
}

// pathParam names the path parameter that identifies the request's resource ("id" or
// "date"), or "" when the path has none: a 404 or 409 names it as the field.
func pathParam(r *http.Request) string {
	for _, name := range []string{"id", "date"} {
		if r.PathValue(name) != "" {
			return name
		}
	}
	return ""
}

// statusError is an error answered with its own status, code and field: a request that
// cannot be read, or a conflict that names a field.
type statusError struct {
	status           int
	code, field, msg string
}

func (e *statusError) Error() string { return e.msg }

// invalid is a 400 naming field, with the reason.
func invalid(field, format string, args ...any) error {
	return &statusError{status: http.StatusBadRequest, code: "invalid", field: field, msg: field + ": " + fmt.Sprintf(format, args...)}
}
