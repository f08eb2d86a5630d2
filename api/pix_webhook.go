package api

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/records"
)

// PixWebhookPath is the PIX webhook's route. It is not under the API token: the PSP
// authenticates with its own secret (PixWebhookSecretHeader), or mutual TLS at a proxy.
const PixWebhookPath = "/v1/pix/webhook"

// PixWebhookSecretHeader carries the webhook's secret (BILLINGD_PIX_WEBHOOK_SECRET).
const PixWebhookSecretHeader = "X-Webhook-Secret"

// pixWebhookActor is the audit log's actor of the webhook's calls.
const pixWebhookActor = "pix-webhook"

// endToEndIDRE is what an endToEndId holds: 32 letters and digits (E + ISPB + date + id).
var endToEndIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,35}$`)

// pixWebhookRequest is a PSP's notification in the BCB PIX API shape; fields billingd does
// not read are accepted as they come.
type pixWebhookRequest struct {
	Pix []pixItem `json:"pix"`
}

type pixItem struct {
	EndToEndID       string          `json:"endToEndId"`
	TxID             string          `json:"txid"`
	Valor            string          `json:"valor"`
	Horario          string          `json:"horario"`
	Chave            string          `json:"chave"`
	InfoPagador      string          `json:"infoPagador"`
	Pagador          json.RawMessage `json:"pagador"`
	ComponentesValor json.RawMessage `json:"componentesValor"`
	Devolucoes       json.RawMessage `json:"devolucoes"`
}

// servePixWebhook authenticates a call of the PIX webhook by its secret, compared in
// constant time, then serves it as an audited route of actor pix-webhook. Without a
// configured secret the route does not exist (404).
func (s *Server) servePixWebhook(w http.ResponseWriter, r *http.Request) {
	secret := s.cfg.PixWebhookSecret
	if secret == "" {
		writeError(w, http.StatusNotFound, "not_found", "", "not found: the PIX webhook is off (BILLINGD_PIX_WEBHOOK_SECRET is empty)")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed: POST only")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(PixWebhookSecretHeader)), []byte(secret)) != 1 {
		writeError(w, http.StatusUnauthorized, "unauthorized", PixWebhookSecretHeader,
			"unauthorized: missing or wrong "+PixWebhookSecretHeader+" header")
		return
	}
	r = r.WithContext(withPrincipal(r.Context(), principal{actor: pixWebhookActor}))
	s.adapt(route{http.MethodPost, PixWebhookPath, s.pixWebhook, nil})(w, r)
}

// pixWebhookResponse counts what the call did.
type pixWebhookResponse struct {
	Recorded   int `json:"recorded"`
	Duplicates int `json:"duplicates"`
	Exceptions int `json:"exceptions"`
}

// pixWebhook records the notified PIX payments (postgres.Store.RecordPixNotifications): each
// matched by its txid, idempotent by its endToEndId, the others listed as payment exceptions.
// A malformed notification refuses the call (422 naming pix[i].field) and records nothing.
func (s *Server) pixWebhook(w http.ResponseWriter, r *http.Request) error {
	var req pixWebhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Pix) == 0 {
		return invalid("pix", "required: at least one PIX")
	}
	ns := make([]records.PixNotification, len(req.Pix))
	seen := map[string]bool{}
	for i, p := range req.Pix {
		field := func(name string) string { return fmt.Sprintf("pix[%d].%s", i, name) }
		if !endToEndIDRE.MatchString(p.EndToEndID) {
			return invalid(field("endToEndId"), "want 1 to 35 letters and digits, got %q", p.EndToEndID)
		}
		if seen[p.EndToEndID] {
			return invalid(field("endToEndId"), "%s appears twice in the call", p.EndToEndID)
		}
		seen[p.EndToEndID] = true
		if p.TxID == "" || len(p.TxID) > 35 {
			return invalid(field("txid"), "want 1 to 35 characters, got %q", p.TxID)
		}
		amount, err := decimal.NewFromString(p.Valor)
		if err != nil || amount.Sign() <= 0 || !amount.Equal(amount.Round(2)) || !moneyPattern.MatchString(p.Valor) {
			return invalid(field("valor"), "want a positive amount with two decimals such as \"99.90\", got %q", p.Valor)
		}
		at, err := time.Parse(time.RFC3339Nano, p.Horario)
		if err != nil {
			return invalid(field("horario"), "want an RFC 3339 time such as 2026-03-10T14:05:00-03:00, got %q", p.Horario)
		}
		ns[i] = records.PixNotification{EndToEndID: p.EndToEndID, TxID: p.TxID, Amount: amount, PaidAt: at}
	}
	out, err := s.store.RecordPixNotifications(r.Context(), s.cfg.Now(), ns)
	if err != nil {
		return err
	}
	auditDetail(r, "pix", len(ns))
	return respond(w, http.StatusOK, pixWebhookResponse{Recorded: out.Recorded, Duplicates: out.Duplicates, Exceptions: out.Exceptions})
}

// moneyPattern is the BCB's amount: digits, a dot and two decimals.
var moneyPattern = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{2}$`)
