package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
	"github.com/billingd/billingd/webhook"
)

// listEvents answers the published events in seq order, after ?after= (a seq): a receiver
// catches up by polling with the last seq it saw. An event is published once every
// transaction that could still write an earlier one has ended, so paging by seq skips none.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	var f records.EventFilter
	if f.Kind, err = queryEnum(r, "kind", records.EventKinds); err != nil {
		return err
	}
	if f.ContractID, err = queryInt(r, "contract_id"); err != nil {
		return err
	}
	events, err := s.store.Events(r.Context(), f, pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, events, webhook.BodyOf, func(b webhook.Body) int64 { return b.Seq })
}

type webhookRequest struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Kinds  []string `json:"kinds"`
}

// webhookResponse is an endpoint as the API shows it: never its secret.
type webhookResponse struct {
	ID              int64    `json:"id"`
	URL             string   `json:"url"`
	Kinds           []string `json:"kinds"`
	CreatedAt       string   `json:"created_at"`
	DeletedAt       *string  `json:"deleted_at"`
	Pending         int64    `json:"pending"`
	OldestPendingAt *string  `json:"oldest_pending_at"`
}

func toWebhook(e records.WebhookEndpoint) webhookResponse {
	return webhookResponse{ID: e.ID, URL: e.URL, Kinds: e.Kinds, CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339),
		DeletedAt: optInstant(e.DeletedAt), Pending: e.Pending, OldestPendingAt: optInstant(e.OldestPending)}
}

// Bounds of a webhook secret.
const (
	minWebhookSecret = 16
	maxWebhookSecret = 256
)

// checkWebhook validates a webhook request and returns the kinds it takes (every kind when
// none is named).
func checkWebhook(req webhookRequest) ([]string, error) {
	u, err := url.Parse(req.URL)
	switch {
	case req.URL == "":
		return nil, billing.Fieldf("url", "required: the http(s) URL events are POSTed to")
	case err != nil:
		return nil, billing.Fieldf("url", "not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, billing.Fieldf("url", "want an http or https URL, got scheme %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, billing.Fieldf("url", "want a host, as in https://erp.example.com/billingd")
	case u.User != nil:
		return nil, billing.Fieldf("url", "must not carry a user or password (the secret signs the deliveries)")
	case u.Fragment != "":
		return nil, billing.Fieldf("url", "must not have a fragment")
	case len(req.URL) > 2000:
		return nil, billing.Fieldf("url", "at most 2000 characters")
	case len(req.Secret) < minWebhookSecret || len(req.Secret) > maxWebhookSecret:
		return nil, billing.Fieldf("secret", "required: %d to %d characters the deliveries are signed with (HMAC-SHA256)",
			minWebhookSecret, maxWebhookSecret)
	}
	if len(req.Kinds) == 0 {
		return slices.Clone(records.EventKinds), nil
	}
	for i, k := range req.Kinds {
		if !slices.Contains(records.EventKinds, k) {
			return nil, billing.Fieldf(fmt.Sprintf("kinds[%d]", i), "want %s, got %q", oneOf(records.EventKinds), k)
		}
		if slices.Contains(req.Kinds[:i], k) {
			return nil, billing.Fieldf(fmt.Sprintf("kinds[%d]", i), "%q is already listed", k)
		}
	}
	return req.Kinds, nil
}

// createWebhook stores a webhook endpoint; it receives the events published from now on.
// The secret is kept to sign deliveries and never answered, logged or audited.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	kinds, err := checkWebhook(req)
	if err != nil {
		return err
	}
	auditDetail(r, "url", req.URL)
	auditDetail(r, "kinds", kinds)
	e, err := s.store.CreateWebhookEndpoint(r.Context(), records.WebhookEndpoint{URL: req.URL, Secret: req.Secret, Kinds: kinds})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/webhooks/%d", e.ID))
	return respond(w, http.StatusCreated, toWebhook(e))
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	eps, err := s.store.WebhookEndpoints(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, eps, toWebhook, func(e webhookResponse) int64 { return e.ID })
}

// deleteWebhook deletes an endpoint: it gets nothing more, its pending deliveries are
// dropped. Deleting it again changes nothing.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := s.store.DeleteWebhookEndpoint(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toWebhook(e))
}
