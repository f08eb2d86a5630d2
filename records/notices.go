package records

import (
	"time"

	"github.com/billingd/billingd/notifications"
)

// Notice states.
const (
	NoticePending  = "pending"
	NoticeRendered = "rendered"
	NoticeSent     = "sent"
	NoticeFailed   = "failed"
)

// NoticeStates are the states of a notice.
var NoticeStates = []string{NoticePending, NoticeRendered, NoticeSent, NoticeFailed}

// Notice is one row of the outbox.
type Notice struct {
	ID              int64
	ContractID      int64
	Kind            string
	Reference       string
	State           string
	Recipient       string
	Subject         string
	HTML            string
	Text            string
	TemplateID      *int64
	SubjectOverride string
	MessageID       string
	Attempts        int
	LastError       string
	CreatedAt       time.Time
	// RenderedAt is when the subject and bodies were last fixed; nil while pending.
	RenderedAt *time.Time
	SentAt     *time.Time
}

// Welcome is the welcome option of a new contract.
type Welcome struct {
	// To is the destination; empty means the customer's address.
	To string
	// Subject replaces the template's subject when not empty (literal text).
	Subject string
	// TemplateID chooses a welcome template; nil resolves contract, plan, default, shipped.
	TemplateID *int64
}

// NoticeFilter selects notices for a list; empty fields match all.
type NoticeFilter struct {
	ContractID int64
	Kind       string
	State      string
}

// Template scopes.
const (
	ScopeDefault  = "default"
	ScopePlan     = "plan"
	ScopeContract = "contract"
)

// TemplateScopes are the scopes of an e-mail template.
var TemplateScopes = []string{ScopeDefault, ScopePlan, ScopeContract}

// EmailTemplate is an operator's template for one kind of e-mail: the default of the kind,
// a plan's own or one contract's own.
type EmailTemplate struct {
	ID         int64
	Kind       string
	Scope      string
	PlanID     *int64
	ContractID *int64
	notifications.Template
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TemplateFilter selects templates for a list; empty fields match all.
type TemplateFilter struct {
	Kind  string
	Scope string
}
