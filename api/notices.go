package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/records"
)

// welcomeFields are the welcome option of POST /v1/contracts.
type welcomeFields struct {
	WelcomeEmail           bool    `json:"welcome_email"`
	WelcomeEmailTo         *string `json:"welcome_email_to"`
	WelcomeEmailSubject    *string `json:"welcome_email_subject"`
	WelcomeEmailTemplateID *int64  `json:"welcome_email_template_id"`
}

// welcome validates the welcome option; it is nil when no welcome e-mail is asked for.
func (f welcomeFields) welcome() (*records.Welcome, error) {
	if !f.WelcomeEmail {
		for name, set := range map[string]bool{"welcome_email_to": f.WelcomeEmailTo != nil,
			"welcome_email_subject": f.WelcomeEmailSubject != nil, "welcome_email_template_id": f.WelcomeEmailTemplateID != nil} {
			if set {
				return nil, billing.Fieldf(name, "only with \"welcome_email\": true")
			}
		}
		return nil, nil
	}
	var w records.Welcome
	if f.WelcomeEmailTo != nil {
		w.To = strings.TrimSpace(*f.WelcomeEmailTo)
		if !validEmail(w.To) {
			return nil, billing.Fieldf("welcome_email_to", "want an e-mail address such as ana@example.com, got %q", w.To)
		}
	}
	if f.WelcomeEmailSubject != nil {
		w.Subject = strings.TrimSpace(*f.WelcomeEmailSubject)
		if w.Subject == "" || len(w.Subject) > 200 || strings.ContainsAny(w.Subject, "\r\n\x00") {
			return nil, billing.Fieldf("welcome_email_subject", "one line of 1 to 200 characters")
		}
	}
	if f.WelcomeEmailTemplateID != nil {
		if *f.WelcomeEmailTemplateID < 1 {
			return nil, billing.Fieldf("welcome_email_template_id", "want the id of a welcome e-mail template")
		}
		w.TemplateID = f.WelcomeEmailTemplateID
	}
	return &w, nil
}

type templateRequest struct {
	Kind       string `json:"kind"`
	Scope      string `json:"scope"`
	PlanID     *int64 `json:"plan_id"`
	ContractID *int64 `json:"contract_id"`
	Subject    string `json:"subject"`
	HTMLBody   string `json:"html_body"`
	TextBody   string `json:"text_body"`
}

type templateResponse struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Scope      string `json:"scope"`
	PlanID     *int64 `json:"plan_id"`
	ContractID *int64 `json:"contract_id"`
	Subject    string `json:"subject"`
	HTMLBody   string `json:"html_body"`
	TextBody   string `json:"text_body"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

func toTemplate(t records.EmailTemplate) templateResponse {
	return templateResponse{ID: t.ID, Kind: t.Kind, Scope: t.Scope, PlanID: t.PlanID, ContractID: t.ContractID,
		Subject: t.Subject, HTMLBody: t.HTML, TextBody: t.Text,
		CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: t.UpdatedAt.UTC().Format(time.RFC3339)}
}

func (req templateRequest) template() (records.EmailTemplate, error) {
	t := records.EmailTemplate{Kind: req.Kind, Scope: req.Scope, PlanID: req.PlanID, ContractID: req.ContractID,
		Template: notifications.Template{Subject: req.Subject, HTML: req.HTMLBody, Text: req.TextBody}}
	if t.Scope == "" {
		t.Scope = records.ScopeDefault
	}
	for field, v := range map[string]string{"subject": req.Subject, "html_body": req.HTMLBody, "text_body": req.TextBody} {
		if hasNUL(v) {
			return t, billing.Fieldf(field, "must not hold NUL characters")
		}
	}
	return t, nil
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := req.template()
	if err == nil {
		t, err = s.store.CreateTemplate(r.Context(), t)
	}
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toTemplate(t))
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req templateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := req.template()
	if err == nil {
		t.ID = id
		t, err = s.store.UpdateTemplate(r.Context(), t)
	}
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toTemplate(t))
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.store.GetTemplate(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toTemplate(t))
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	var f records.TemplateFilter
	if f.Kind, err = queryEnum(r, "kind", notifications.Kinds); err != nil {
		return err
	}
	if f.Scope, err = queryEnum(r, "scope", records.TemplateScopes); err != nil {
		return err
	}
	ts, err := s.store.Templates(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, ts, toTemplate, func(t templateResponse) int64 { return t.ID })
}

type notificationResponse struct {
	ID         int64   `json:"id"`
	ContractID int64   `json:"contract_id"`
	Kind       string  `json:"kind"`
	Reference  string  `json:"reference"`
	State      string  `json:"state"`
	Recipient  string  `json:"recipient"`
	Subject    string  `json:"subject"`
	HTMLBody   string  `json:"html_body"`
	TextBody   string  `json:"text_body"`
	MessageID  string  `json:"message_id"`
	Attempts   int     `json:"attempts"`
	LastError  string  `json:"last_error"`
	CreatedAt  string  `json:"created_at"`
	SentAt     *string `json:"sent_at"`
}

func toNotification(n records.Notice) notificationResponse {
	out := notificationResponse{ID: n.ID, ContractID: n.ContractID, Kind: n.Kind, Reference: n.Reference, State: n.State,
		Recipient: n.Recipient, Subject: n.Subject, HTMLBody: n.HTML, TextBody: n.Text, MessageID: n.MessageID,
		Attempts: n.Attempts, LastError: n.LastError, CreatedAt: n.CreatedAt.UTC().Format(time.RFC3339)}
	if n.SentAt != nil {
		v := n.SentAt.UTC().Format(time.RFC3339)
		out.SentAt = &v
	}
	return out
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	contract, err := queryInt(r, "contract_id")
	if err != nil {
		return err
	}
	f := records.NoticeFilter{ContractID: contract}
	if f.Kind, err = queryEnum(r, "kind", notifications.Kinds); err != nil {
		return err
	}
	if f.State, err = queryEnum(r, "state", records.NoticeStates); err != nil {
		return err
	}
	ns, err := s.store.Notices(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, ns, toNotification, func(n notificationResponse) int64 { return n.ID })
}

func (s *Server) getNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.store.GetNotice(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toNotification(n))
}
