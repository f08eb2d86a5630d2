package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sources of audit records.
const (
	AuditAPI     = "api"
	AuditRiverUI = "riverui"
	AuditCLI     = "cli"
)

// AuditSources are the sources of audit records.
var AuditSources = []string{AuditAPI, AuditRiverUI, AuditCLI}

// BootstrapActor is the actor of requests made with BILLINGD_API_TOKEN.
const BootstrapActor = "bootstrap"

// CLIRunRoute is the route of the runs `billingd run` enqueues, in the audit log.
const CLIRunRoute = "billingd run"

// MaxReasonLength bounds an operator's reason, in characters.
const MaxReasonLength = 500

// CheckReason checks an operator's reason (the API's "reason" field, the CLI's --reason):
// valid UTF-8, at most MaxReasonLength characters, no control characters (line breaks
// included), so that it reads as one line of the audit log. Empty is allowed.
func CheckReason(reason string) error {
	switch {
	case !utf8.ValidString(reason):
		return errors.New("not valid UTF-8")
	case utf8.RuneCountInString(reason) > MaxReasonLength:
		return fmt.Errorf("at most %d characters, got %d", MaxReasonLength, utf8.RuneCountInString(reason))
	case strings.ContainsFunc(reason, unicode.IsControl):
		return errors.New("must not contain control characters (line breaks included)")
	}
	return nil
}

// AuditEntry is one record of who did what: a request to a write route of the API or the
// River UI, or a run the CLI enqueued.
type AuditEntry struct {
	ID int64
	At time.Time
	// Actor is "bootstrap", a named token's name, or "cli:<user>".
	Actor string
	// TokenID is the named token the request authenticated with; nil otherwise.
	TokenID *int64
	// Source is AuditAPI, AuditRiverUI or AuditCLI.
	Source string
	// Method is the HTTP method, or "CLI".
	Method string
	// Route is the route pattern ("POST /v1/contracts/{id}/cancel"), the River UI's path, or
	// the CLI command ("billingd run").
	Route string
	// PathIDs are the route's path parameters by name ({"id": "12"}).
	PathIDs map[string]string
	// Status is the HTTP status answered; nil for the CLI or while the answer is not written.
	Status *int
	// Reason is the operator's reason, where the route takes one.
	Reason    string
	RequestID string
	// Detail holds what the route says about the request beyond its path (a run's job and
	// date, the run it enqueued). Never a secret.
	Detail map[string]any
}

// AuditFilter selects audit records; zero fields do not filter.
type AuditFilter struct {
	Actor string
	Route string
	// From and To bound At: From included, To excluded.
	From, To time.Time
	Limit    int
	// BeforeID pages backwards: only records with a smaller id.
	BeforeID int64
}

type auditKey struct{}

// WithAudit returns ctx carrying e, the audit record of the change ctx is for (nil carries
// none). The store writes e in the first transaction it commits under ctx and sets e.ID; the
// caller writes whatever is left (the status) afterwards.
func WithAudit(ctx context.Context, e *AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditOf returns the audit record ctx carries, or nil.
func AuditOf(ctx context.Context) *AuditEntry {
	e, _ := ctx.Value(auditKey{}).(*AuditEntry)
	return e
}

// AddAuditDetail sets detail key to value on the audit record ctx carries, if any: the store
// calls it inside a transaction so that what the change produced (a run's id) is written
// with the record.
func AddAuditDetail(ctx context.Context, key string, value any) {
	e := AuditOf(ctx)
	if e == nil {
		return
	}
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	e.Detail[key] = value
}

// APIToken is a named operator token as stored: never the token itself, which is shown once
// when it is created.
type APIToken struct {
	ID         int64
	Name       string
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	RevokedBy  string
}
